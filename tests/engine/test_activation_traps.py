"""The activation keyword of Keras layers: names Keras refuses, and the two activations that are not
shape-neutral. Keras's symbolic shapes say 'glu' keeps the shape; a real call halves the last axis, so
the engine follows the real call. Each trap is checked against literal numbers and a real Keras call.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import ShapeError

pytestmark = pytest.mark.conformance


def real_call(keras, layer: str, kwargs: dict, shape: tuple):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(keras.layers, layer)(**kwargs)(np.zeros(shape, dtype="float32"))
    return [list(t.shape) for t in (out if isinstance(out, (list, tuple)) else [out])]


def rejects(keras, layer: str, kwargs: dict, shape: tuple) -> bool:
    try:
        real_call(keras, layer, kwargs, shape)
    except (ValueError, RuntimeError, TypeError):
        return True
    return False


def engine_error(layer: str, params: dict, shape: list) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        engine.evaluate("keras", layer, params, shape)
    return info.value


def test_glu_in_dense_halves_the_units_though_keras_symbolic_shape_keeps_them(keras):
    answer = engine.evaluate("keras", "Dense", {"units": 6, "activation": "glu"}, [2, 4])
    assert answer["output_shape"] == [2, 3] == real_call(keras, "Dense", {"units": 6, "activation": "glu"}, (2, 4))[0]
    assert answer["param_count"] == 4 * 6 + 6  # the kernel still has 6 columns
    assert "glu_halved_length" in [f["key"] for f in answer["formulas"]]
    symbolic = keras.layers.Dense(6, activation="glu")(keras.Input((4,)))
    assert tuple(symbolic.shape) == (None, 6)  # what model.summary() would print


def test_glu_on_a_channels_first_conv_halves_the_width_not_the_channels(keras):
    params = {"filters": 6, "kernel_size": 1, "activation": "glu", "data_format": "channels_first"}
    answer = engine.evaluate("keras", "Conv2D", params, [2, 3, 4, 8])
    assert answer["output_shape"] == [2, 6, 4, 4] == real_call(keras, "Conv2D", params, (2, 3, 4, 8))[0]
    odd = engine_error("Conv2D", params, [2, 3, 4, 5])
    assert (odd.code, odd.field) == ("odd_length", "params.activation") and "5" in odd.message
    assert rejects(keras, "Conv2D", params, (2, 3, 4, 5))


def test_an_odd_number_of_units_cannot_be_halved(keras):
    error = engine_error("Dense", {"units": 5, "activation": "glu"}, [2, 4])
    assert (error.code, error.field) == ("odd_length", "params.units")
    assert rejects(keras, "Dense", {"units": 5, "activation": "glu"}, (2, 4))


@pytest.mark.parametrize("layer", ["Dense", "Conv1D", "LSTM"])
def test_an_activation_name_keras_does_not_know_is_refused_with_suggestions(keras, layer):
    params = {"units": 4} if layer in ("Dense", "LSTM") else {"filters": 4, "kernel_size": 1}
    error = engine_error(layer, {**params, "activation": "Relu"}, [2, 3, 5])
    assert (error.code, error.field) == ("unknown_activation", "params.activation")
    assert "'Relu'" in error.message and "relu" in error.message
    assert rejects(keras, layer, {**params, "activation": "Relu"}, (2, 3, 5))


def test_threshold_needs_arguments_no_layer_passes(keras):
    error = engine_error("Conv1D", {"filters": 4, "kernel_size": 1, "activation": "threshold"}, [2, 3, 5])
    assert (error.code, error.field) == ("invalid_param", "params.activation")
    assert rejects(keras, "Conv1D", {"filters": 4, "kernel_size": 1, "activation": "threshold"}, (2, 3, 5))


def test_glu_in_lstm_and_gru_runs_only_with_two_units(keras):
    for layer in ("LSTM", "GRU"):
        for key in ("activation", "recurrent_activation"):
            kwargs = {"units": 2, key: "glu", "return_state": True}
            shapes = engine.evaluate("keras", layer, kwargs, [2, 3, 5])["outputs"]
            assert list(shapes.values()) == real_call(keras, layer, kwargs, (2, 3, 5))
            wide = engine_error(layer, {"units": 6, key: "glu"}, [2, 3, 5])
            assert (wide.code, wide.field) == ("invalid_param", f"params.{key}") and "units=2" in wide.message
            assert rejects(keras, layer, {"units": 6, key: "glu"}, (2, 3, 5))


def test_glu_in_simple_rnn_runs_on_one_time_step_and_halves_the_output(keras):
    kwargs = {"units": 6, "activation": "glu", "return_sequences": True, "return_state": True}
    answer = engine.evaluate("keras", "SimpleRNN", kwargs, [2, 1, 5])
    assert answer["outputs"] == {"output": [2, 1, 3], "h": [2, 3]}
    assert list(answer["outputs"].values()) == real_call(keras, "SimpleRNN", kwargs, (2, 1, 5))
    longer = engine_error("SimpleRNN", kwargs, [2, 3, 5])
    assert longer.code == "invalid_param" and "T=3" in longer.message
    assert rejects(keras, "SimpleRNN", kwargs, (2, 3, 5))
    stateful = engine_error("SimpleRNN", {**kwargs, "stateful": True}, [2, 1, 5])
    assert "stateful" in stateful.message
    assert rejects(keras, "SimpleRNN", {**kwargs, "stateful": True}, (2, 1, 5))


def test_lstm_with_both_activations_glu_gives_h_of_width_one_on_a_single_step(keras):
    kwargs = {"units": 2, "activation": "glu", "recurrent_activation": "glu", "return_state": True}
    answer = engine.evaluate("keras", "LSTM", kwargs, [2, 1, 5])
    assert answer["outputs"] == {"output": [2, 1], "h": [2, 1], "c": [2, 2]}
    assert list(answer["outputs"].values()) == real_call(keras, "LSTM", kwargs, (2, 1, 5))
    for shape, bad in (([2, 3, 5], "T=3"), ([2, 1, 5], "stateful")):
        params = {**kwargs, "stateful": bad == "stateful"}
        assert bad in engine_error("LSTM", params, shape).message
        assert rejects(keras, "LSTM", params, tuple(shape))
