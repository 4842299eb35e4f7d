"""Keras TimeDistributed: the named traps pinned with literal numbers, and unit tests.

The trap tests check the engine against literal numbers and, where it is cheap, Keras 3 too. The unit tests need
no framework: error codes, messages and fields, None and symbolic dimensions, nesting, formulas, traces.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import ShapeError


def td(name: str, /, **params) -> dict:
    return {"layer": {"layer": name, "params": params}}


def ev(params, shape, **kw):
    return engine.evaluate("keras", "TimeDistributed", params, shape, **kw)


def err(params, shape) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        engine.evaluate("keras", "TimeDistributed", params, shape)
    return info.value


def keras_shapes(keras, layer, shape, symbolic: bool = False):
    """Output shape(s) of a real call on zeros (or on keras.Input), warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = keras.Input(batch_shape=shape) if symbolic else np.zeros(shape, dtype="float32")
        y = layer(x)
    return tuple(y.shape) if not isinstance(y, (list, tuple)) else [tuple(t.shape) for t in y]


# ---- pinned traps ---------------------------------------------------------------------------------


def test_time_distributed_dense_on_none_10_16(keras):
    # The forum question: TimeDistributed(Dense(8)) on (None, 10, 16) -> (None, 10, 8), 16*8 + 8 = 136 parameters,
    # one copy shared by the 10 steps (T never multiplies them). Dense alone on (None, 10, 16) gives the same.
    mine = ev(td("Dense", units=8), [None, 10, 16])
    assert mine["output_shape"] == [None, 10, 8]
    assert mine["param_count"] == mine["trainable_params"] == 136
    assert mine["weights"] == {"kernel": [16, 8], "bias": [8]}
    assert engine.evaluate("keras", "Dense", {"units": 8}, [None, 10, 16])["output_shape"] == [None, 10, 8]
    layer = keras.layers.TimeDistributed(keras.layers.Dense(8))
    assert keras_shapes(keras, layer, (None, 10, 16), symbolic=True) == (None, 10, 8)
    assert layer.count_params() == 136
    assert [w.path.rsplit("/", 1)[-1] for w in layer.weights] == ["kernel", "bias"]


def test_time_distributed_conv2d_on_video_frames(keras):
    # (32, 10, 128, 128, 3) -> (32, 10, 126, 126, 64), the Keras docstring example: 3*3*3*64 + 64 = 1792.
    mine = ev(td("Conv2D", filters=64, kernel_size=(3, 3)), [32, 10, 128, 128, 3])
    assert mine["output_shape"] == [32, 10, 126, 126, 64]
    assert mine["param_count"] == 1792
    layer = keras.layers.TimeDistributed(keras.layers.Conv2D(64, (3, 3)))
    assert keras_shapes(keras, layer, (32, 10, 128, 128, 3), symbolic=True) == (32, 10, 126, 126, 64)
    assert layer.count_params() == 1792


def test_time_distributed_conv2d_needs_rank_5(keras):
    # Conv2D sees each step as (N, 8, 3): rank 3, one short. Keras: "Kernel shape must have the same length as input".
    e = err(td("Conv2D", filters=16, kernel_size=3), [None, 5, 8, 3])
    assert e.code == "rank_mismatch" and e.field == "input_shape"
    assert "(None, 8, 3)" in e.message and "needs rank 5" in e.message
    layer = keras.layers.TimeDistributed(keras.layers.Conv2D(16, 3))
    with pytest.raises(ValueError, match="Kernel shape must have the same length as input"):
        keras_shapes(keras, layer, (2, 5, 8, 3))


def test_keras3_inner_layer_sees_batch_n_not_n_times_t(keras):
    # tf.keras 2 folded (N, T, ...) to (N*T, ...); Keras 3 loops over T: a stateful inner LSTM keeps batch N = 2
    # (its state is (2, u), not (2*5, u)) and a None batch stays None, which stateful=True refuses.
    layer = keras.layers.TimeDistributed(keras.layers.LSTM(3, stateful=True))
    assert keras_shapes(keras, layer, (2, 5, 4, 3)) == (2, 5, 3)
    assert tuple(layer.layer.states[0].shape) == (2, 3)
    assert ev(td("LSTM", units=3, stateful=True), [2, 5, 4, 3])["output_shape"] == [2, 5, 3]
    e = err(td("LSTM", units=3, stateful=True), [None, 5, 4, 3])
    assert e.code == "stateful_needs_batch" and e.field == "input_shape[0]"


def test_multiple_inner_outputs_are_rejected(keras):
    # keras.Input: "Cannot convert '5' to a shape". A real call stacks [output, h, c] into ONE tensor (3, T, N, u).
    layer = keras.layers.TimeDistributed(keras.layers.LSTM(4, return_state=True))
    with pytest.raises(ValueError, match="Cannot convert"):
        keras_shapes(keras, layer, (2, 5, 4, 3), symbolic=True)
    layer = keras.layers.TimeDistributed(keras.layers.LSTM(4, return_state=True))
    assert keras_shapes(keras, layer, (2, 5, 4, 3)) == (3, 5, 2, 4)
    e = err(td("LSTM", units=4, return_state=True), [2, 5, 4, 3])
    assert e.code == "multiple_outputs" and e.field == "params.layer.params.return_state"
    e = err(td("Bidirectional", layer={"layer": "LSTM", "params": {"units": 4}}, merge_mode=None), [2, 5, 4, 3])
    assert e.code == "multiple_outputs" and e.field == "params.layer.params.merge_mode"
    nested = td("TimeDistributed", **td("GRU", units=2, return_state=True))
    e = err(nested, [2, 5, 4, 3, 2])
    assert e.code == "multiple_outputs" and e.field == "params.layer.params.layer.params.return_state"


def test_keras_skips_the_inner_rank_check_the_engine_keeps(keras):
    # TimeDistributed calls the inner layer's call() directly, so its input spec is never checked. Some layers then
    # run on other ranks: GlobalAveragePooling1D on a (N, 16) slice averages it to (N,) -> (2, 10). The engine keeps
    # each layer's own ranks (a documented difference).
    layer = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling1D())
    assert keras_shapes(keras, layer, (2, 10, 16)) == (2, 10)
    assert err(td("GlobalAveragePooling1D"), [2, 10, 16]).code == "rank_mismatch"
    assert ev(td("GlobalAveragePooling1D"), [2, 10, 7, 16])["output_shape"] == [2, 10, 16]
    # A SimpleRNN on a rank-4 slice (3, 1, 3, 3) steps over the axis of 1 and adds its (3, 3) state to the
    # (3, 3, 3) product: it broadcasts by accident (batch 3 = the axis 3) and gives (3, 3, 3, 3).
    layer = keras.layers.TimeDistributed(keras.layers.SimpleRNN(3))
    assert keras_shapes(keras, layer, (3, 3, 1, 3, 3)) == (3, 3, 3, 3)
    assert err(td("SimpleRNN", units=3), [3, 3, 1, 3, 3]).code == "rank_mismatch"


def test_keras_input_shape_differs_from_a_real_call_on_a_wrong_rank(keras):
    # keras.Input traces the inner compute_output_shape, which checks no rank: MaxPooling2D "gives" (2, 5, 2, 2, 3)
    # for a (2, 4, 3) slice that a real call rejects ("pool_size argument must be a tuple of 1 integers").
    layer = keras.layers.TimeDistributed(keras.layers.MaxPooling2D())
    assert keras_shapes(keras, layer, (2, 5, 4, 3), symbolic=True) == (2, 5, 2, 2, 3)
    layer = keras.layers.TimeDistributed(keras.layers.MaxPooling2D())
    with pytest.raises(ValueError, match="pool_size"):
        keras_shapes(keras, layer, (2, 5, 4, 3))
    assert err(td("MaxPooling2D"), [2, 5, 4, 3]).code == "rank_mismatch"


def test_multi_head_attention_cannot_be_wrapped(keras):
    layer = keras.layers.TimeDistributed(keras.layers.MultiHeadAttention(num_heads=2, key_dim=2))
    with pytest.raises(TypeError, match="value_shape"):
        keras_shapes(keras, layer, (2, 3, 4, 4))
    e = err(td("MultiHeadAttention", num_heads=2, key_dim=2), [2, 3, 4, 4])
    assert e.code == "unsupported_layer" and e.field == "params.layer.layer"


def test_nested_time_distributed_and_bidirectional(keras):
    mine = ev(td("TimeDistributed", **td("Dense", units=3)), [2, 5, 4, 3])
    assert mine["output_shape"] == [2, 5, 4, 3] and mine["param_count"] == 12
    assert mine["weights"] == {"kernel": [3, 3], "bias": [3]}
    bi = td("Bidirectional", layer={"layer": "LSTM", "params": {"units": 4}})
    mine = ev(bi, [2, 5, 4, 3])
    assert mine["output_shape"] == [2, 5, 8] and mine["param_count"] == 2 * 4 * (4 * (3 + 4) + 4) == 256
    assert set(mine["weights"]) == {
        f"{d}/{w}" for d in ("forward", "backward") for w in ("kernel", "recurrent_kernel", "bias")
    }
    layer = keras.layers.TimeDistributed(keras.layers.Bidirectional(keras.layers.LSTM(4)))
    assert keras_shapes(keras, layer, (2, 5, 4, 3)) == (2, 5, 8)
    assert layer.count_params() == 256


def test_inner_non_trainable_weights_pass_through():
    mine = ev(td("BatchNormalization"), [None, 5, 4])
    assert mine["param_count"] == 16 and mine["trainable_params"] == 8
    assert mine["weights"] == {"gamma": [4], "beta": [4], "moving_mean": [4], "moving_variance": [4]}


# ---- unit tests (no framework) ---------------------------------------------------------------------


def test_rank_below_3_is_rejected():
    e = err(td("Dense", units=8), [None, 16])
    assert e.code == "rank_mismatch" and e.field == "input_shape" and "rank 3 to 8" in e.message
    e = err(td("Embedding", input_dim=10, output_dim=3), [2, 5])
    assert e.code == "rank_mismatch"


def test_inner_params_are_validated_by_their_own_declaration():
    e = err(td("Dense", units=0), [2, 5, 3])
    assert e.code == "invalid_param" and e.field == "params.layer.params.units"
    e = err(td("Dense", unit=3), [2, 5, 3])
    assert e.code == "unknown_param" and e.field == "params.layer.params.unit" and "units" in e.message
    e = err(td("Dense"), [2, 5, 3])
    assert e.code == "missing_param" and e.field == "params.layer.params.units"
    e = err(td("Dens", units=3), [2, 5, 3])
    assert e.code == "unknown_layer" and e.field == "params.layer.layer" and "Dense" in e.message
    e = err(td("BatchNorm2d", num_features=3), [2, 5, 3, 3, 3])
    assert e.code == "unknown_layer" and "pytorch layer" in e.message
    e = err(td("TimeDistributed", **td("Dense", units=-1)), [2, 5, 3, 3])
    assert e.field == "params.layer.params.layer.params.units"
    e = err({"layer": "Dense"}, [2, 5, 3])
    assert e.code == "invalid_param" and e.field == "params.layer"
    e = err({"layer": {"layer": "Dense", "params": {"units": 3}, "units": 3}}, [2, 5, 3])
    assert e.code == "invalid_param" and "'layer' and 'params' only" in e.message
    e = err({}, [2, 5, 3])
    assert e.code == "missing_param" and e.field == "params.layer"


def test_inner_shape_errors_point_at_the_outer_axis():
    # Conv2D fails on H of the slice (N, H, W, C) = input_shape[1] of the slice, input_shape[2] of (N, T, H, W, C).
    e = err(td("Conv2D", filters=2, kernel_size=3), [None, 5, 2, 8, 3])
    assert e.code == "output_too_small" and e.field == "input_shape[2]"
    assert e.message.startswith("TimeDistributed(Conv2D) on each time step (None, 2, 8, 3):")
    e = err(td("Dense", units=3), [2, 5, None])
    assert e.code == "unknown_dimension" and e.field == "input_shape[2]"
    e = err(td("Reshape", target_shape=[4]), [2, 5, 3])
    assert e.field in ("params.layer.params.target_shape", "input_shape")


def test_none_and_symbolic_dims():
    assert ev(td("Dense", units=8), [None, None, 16])["output_shape"] == [None, None, 8]
    r = ev(td("Conv1D", filters=4, kernel_size=3), ["B", "T", "L", 2])
    assert r["output_shape"] == ["B", "T", "L - 2", 4] and r["param_count"] == 28
    r = ev(td("Flatten"), [None, "T", 4, 3])
    assert r["output_shape"] == [None, "T", 12]
    r = ev(td("Flatten"), [None, 7, None, 3])
    assert r["output_shape"] == [None, 7, None]
    r = ev(td("Embedding", input_dim=100, output_dim=8), ["N", "T", "L"])
    assert r["output_shape"] == ["N", "T", "L", 8] and r["param_count"] == 800


def test_formulas_are_the_inner_layers():
    r = ev(td("Conv2D", filters=4, kernel_size=3), [1, 2, 6, 5, 3])
    keys = [f["key"] for f in r["formulas"]]
    assert "conv_param_count" in keys
    assert all(f["where"].startswith("Conv2D on each time step") for f in r["formulas"])
    spec = engine.get_layer("keras", "TimeDistributed")
    assert spec.category == "wrapper" and spec.equivalent is None and spec.formulas == ()
    assert spec.describe()["params"][0]["name"] == "layer"


def test_in_a_trace():
    result = engine.trace(
        "keras",
        [None, 10, 64, 64, 3],
        [
            {"layer": "TimeDistributed", "params": td("Conv2D", filters=8, kernel_size=3, strides=2)},
            {"layer": "TimeDistributed", "params": td("Flatten")},
            {"layer": "LSTM", "params": {"units": 16}},
        ],
    )
    assert [s["output_shape"] for s in result["layers"]] == [[None, 10, 31, 31, 8], [None, 10, 7688], [None, 16]]
    assert result["total_params"] == 224 + 4 * (16 * (7688 + 16) + 16)
    with pytest.raises(ShapeError) as info:
        engine.trace(
            "keras", [None, 10, 16], [{"layer": "TimeDistributed", "params": td("Conv1D", filters=2, kernel_size=3)}]
        )
    assert info.value.code == "rank_mismatch" and info.value.field == "layers[0].input_shape"


def test_an_answer_shows_the_wrapped_layer_and_its_params_can_be_sent_back():
    params = {"layer": {"layer": "Bidirectional", "params": {"layer": {"layer": "LSTM", "params": {"units": 4}}}}}
    answer = engine.evaluate("keras", "TimeDistributed", params, [None, 5, 7, 3])
    shown = answer["params"]["layer"]
    assert shown["layer"] == "Bidirectional"
    assert shown["params"]["layer"]["layer"] == "LSTM" and shown["params"]["layer"]["params"]["units"] == 4
    again = engine.evaluate("keras", "TimeDistributed", answer["params"], [None, 5, 7, 3])
    assert again["output_shape"] == answer["output_shape"] == [None, 5, 8]
