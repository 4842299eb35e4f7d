"""Recurrent layers against the real frameworks: random configurations, output shapes, counts, rejections.

Keras SimpleRNN / LSTM / GRU / Bidirectional and PyTorch RNN / LSTM / GRU are built for real and run on a tensor
of zeros (Keras inputs with a None time axis, or a stateful layer with a None batch, are traced through
keras.Input instead). The engine must give the same output shapes (all of them, in order), parameter counts and
weight shapes, and raise ShapeError exactly when the framework raises.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.engine import conformance
from tests.engine.conformance import BOTH, LAYER_ACTIVATIONS, LIST, REAL_CALL_ONLY, Tally, keras_weights, last_path_part
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, AssertionError)


# ---- Keras ----------------------------------------------------------------------------------------


def run_keras(keras, build, shape: tuple, symbolic: bool):
    """Build with `build(keras)`; call on zeros (a None batch runs as 2 and is put back) or on keras.Input."""

    def weights(obj) -> dict:
        if isinstance(obj, keras.layers.Bidirectional):
            forward = keras_weights(obj.forward_layer, last_path_part, "forward/")
            return {**forward, **keras_weights(obj.backward_layer, last_path_part, "backward/")}
        return keras_weights(obj, last_path_part)

    return conformance.run_keras(
        keras, build, {}, shape, symbolic=symbolic, errors=FRAMEWORK_ERRORS, form=LIST, weights=weights
    )


KERAS_RNNS = ("SimpleRNN", "LSTM", "GRU")


def draw_keras_rnn(rng, layer: str, allow_errors: bool = True):
    """(engine params, Keras kwargs): the same layer, now and then spelled the Keras 1 way for the engine."""
    units = rng.randint(1, 8)
    kwargs: dict = {"units": units}
    if rng.random() < 0.3:
        kwargs["activation"] = rng.choice(("relu", "sigmoid", None, "tanh", *LAYER_ACTIVATIONS))
    if layer != "SimpleRNN" and rng.random() < 0.2:
        kwargs["recurrent_activation"] = rng.choice(("hard_sigmoid", "tanh", "sigmoid", *LAYER_ACTIVATIONS))
    if "glu" in (kwargs.get("activation"), kwargs.get("recurrent_activation")):
        kwargs["units"] = rng.choice((2, 2, 3, 4))  # LSTM and GRU run 'glu' with units=2 only
    if rng.random() < 0.25:
        kwargs["use_bias"] = False
    for flag in ("return_sequences", "return_state"):
        if rng.random() < 0.6:
            kwargs[flag] = rng.random() < 0.5
    if rng.random() < 0.2:
        kwargs["go_backwards"] = True
    for flag in ("stateful", "unroll"):
        if rng.random() < 0.12:
            kwargs[flag] = True
    if layer == "GRU" and rng.random() < 0.5:
        kwargs["reset_after"] = rng.random() < 0.5
    if rng.random() < 0.2:
        kwargs["dropout"] = rng.choice((0.25, 1.5, -0.3))  # Keras clamps it to [0, 1]
    if rng.random() < 0.1:
        kwargs["recurrent_dropout"] = 0.2
    if layer != "SimpleRNN" and rng.random() < 0.1:
        kwargs["use_cudnn"] = rng.choice(("auto", False))
    if allow_errors and rng.random() < 0.04:
        kwargs["units"] = rng.choice((0, -2))
    if allow_errors and layer != "SimpleRNN" and rng.random() < 0.03:
        kwargs["use_cudnn"] = "yes"
    params = dict(kwargs)
    if rng.random() < 0.25:  # Keras 1 spelling for the engine
        params["output_dim"] = params.pop("units")
    return params, kwargs


def draw_keras_sequence(rng, kwargs: dict, allow_errors: bool = True):
    """(shape, symbolic): batch often None, time steps sometimes None, features rarely None."""
    batch = None if rng.random() < 0.5 else rng.randint(1, 3)
    steps = None if rng.random() < 0.15 else rng.randint(1, 5)
    features = rng.randint(1, 5)
    if allow_errors and rng.random() < 0.04:
        features = None
    shape: tuple = (batch, steps, features)
    if allow_errors and rng.random() < 0.04:
        shape = rng.choice(((batch, features), (batch, 2, steps, features)))
    if REAL_CALL_ONLY & {kwargs.get("activation"), kwargs.get("recurrent_activation")}:
        # Keras's symbolic shapes miss what 'glu' and 'threshold' do: run them for real, often on one
        # time step (where SimpleRNN runs 'glu').
        batch = batch if batch is not None or not kwargs.get("stateful") else 2
        shape = (
            batch,
            *(rng.choice((1, 1, 3)) if v is None or rng.random() < 0.4 else v for v in shape[1:-1]),
            shape[-1],
        )
    symbolic = any(v is None for v in shape[1:]) or (kwargs.get("stateful", False) and batch is None)
    return shape, symbolic


@pytest.mark.parametrize("layer", KERAS_RNNS)
def test_keras_recurrent_matches_keras(rng, torch, keras, layer):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        params, kwargs = draw_keras_rnn(rng, layer)
        shape, symbolic = draw_keras_sequence(rng, kwargs)
        if rng.random() < 0.1 and shape[-1] is not None:
            kwargs["input_dim"] = params["input_dim"] = shape[-1]  # Keras 3 warns and ignores it
        real = run_keras(keras, lambda k, kw=kwargs: getattr(k.layers, layer)(**kw), shape, symbolic)
        tally.check("keras", layer, params, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER)


def draw_bidirectional(rng):
    layer = rng.choice(KERAS_RNNS)
    params, kwargs = draw_keras_rnn(rng, layer, allow_errors=False)
    if rng.random() < 0.06:
        params["go_backwards"] = kwargs["go_backwards"] = True  # the backward copy would go backwards too
    engine_params = {"layer": {"layer": layer, "params": params}}
    merge = rng.choice(("concat", "concat", "sum", "mul", "ave", None))
    keras_merge = {} if merge == "concat" and rng.random() < 0.5 else {"merge_mode": merge}
    engine_params.update(keras_merge)
    backward = None
    if rng.random() < 0.3:
        back_layer = rng.choice(KERAS_RNNS)
        back_params, back_kwargs = draw_keras_rnn(rng, back_layer, allow_errors=False)
        for flag in ("return_sequences", "return_state", "stateful"):
            back_params[flag] = back_kwargs[flag] = kwargs.get(flag, False)
        if rng.random() < 0.08:
            back_params["return_state"] = back_kwargs["return_state"] = not kwargs.get("return_state", False)
        back_params["go_backwards"] = back_kwargs["go_backwards"] = not kwargs.get("go_backwards", False)
        if rng.random() < 0.08:
            back_params["go_backwards"] = back_kwargs["go_backwards"] = kwargs.get("go_backwards", False)
        if rng.random() < 0.5:
            back_params.pop("output_dim", None)
            back_kwargs["units"] = back_params["units"] = kwargs["units"]  # widths equal: sum/mul/ave can merge
        engine_params["backward_layer"] = {"layer": back_layer, "params": back_params}
        backward = (back_layer, back_kwargs)
    return layer, kwargs, keras_merge, backward, engine_params


def test_keras_bidirectional_matches_keras(rng, torch, keras):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        layer, kwargs, merge, backward, params = draw_bidirectional(rng)
        shape, symbolic = draw_keras_sequence(rng, kwargs, allow_errors=rng.random() < 0.3)
        if backward is not None and symbolic:
            # Keras's symbolic shape assumes the backward layer has the forward width (see the trap tests).
            shape = (2, *[4 if v is None else v for v in shape[1:]])
            symbolic = False

        def build(k, layer=layer, kwargs=kwargs, merge=merge, backward=backward):
            back = {} if backward is None else {"backward_layer": getattr(k.layers, backward[0])(**backward[1])}
            return k.layers.Bidirectional(getattr(k.layers, layer)(**kwargs), **merge, **back)

        tally.check(
            "keras",
            "Bidirectional",
            params,
            {"layer": kwargs, **merge, "backward": backward},
            shape,
            run_keras(keras, build, shape, symbolic),
        )
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- PyTorch --------------------------------------------------------------------------------------


run_torch = partial(conformance.run_torch, errors=FRAMEWORK_ERRORS, form=LIST)


def draw_torch_rnn(rng, layer: str):
    input_size, hidden = rng.randint(1, 5), rng.randint(1, 7)
    kwargs: dict = {"input_size": input_size, "hidden_size": hidden}
    if rng.random() < 0.5:
        kwargs["num_layers"] = rng.randint(1, 3)
    if layer == "RNN" and rng.random() < 0.3:
        kwargs["nonlinearity"] = rng.choice(("tanh", "relu", "relu", "Tanh"))  # case matters
    for flag in ("bias", "batch_first", "bidirectional"):
        if rng.random() < 0.4:
            kwargs[flag] = rng.random() < 0.5
    if rng.random() < 0.2:
        kwargs["dropout"] = rng.choice((0.0, 0.3, 1.0, 1.5, -0.1))
    if layer == "LSTM" and rng.random() < 0.35:
        kwargs["proj_size"] = rng.randint(0, hidden + 1)  # hidden and above are rejected
    if rng.random() < 0.03:
        kwargs["hidden_size"] = 0
    steps = rng.randint(1, 5)
    features = input_size if rng.random() > 0.08 else input_size + rng.choice((-1, 1)) or 2
    roll = rng.random()
    if roll < 0.25:
        shape: tuple = (steps, features)  # unbatched
    elif roll < 0.28:
        shape = (2, steps, 1, features)  # 4-D
    else:
        batch = rng.randint(1, 3)
        shape = (batch, steps, features) if kwargs.get("batch_first") else (steps, batch, features)
    return kwargs, shape


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_torch_recurrent_matches_pytorch(rng, torch, layer):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_torch_rnn(rng, layer)
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)
