"""Keras TimeDistributed against Keras 3: random inner layers, random inputs, output shapes, counts, rejections.

Each configuration wraps a random Keras layer (Dense, Conv1D, Conv2D, MaxPooling2D, Flatten, Reshape, Embedding,
LSTM/GRU/SimpleRNN, Dropout, BatchNormalization, a nested TimeDistributed or a Bidirectional LSTM) with random
parameters, some invalid, on a random input (None batch or time now and then, ranks the inner layer rejects, rank
< 3). Keras runs a real call on zeros (a None batch as 2) when every other dimension is known, else keras.Input.

Inputs of a rank the inner layer does not accept always run as a real call: keras.Input goes through the inner
layer's compute_output_shape, which checks no rank (MaxPooling2D gives a shape for a rank-3 slice that a real call
rejects; see test_wrapper_traps.py). Inner layers with several outputs run on keras.Input, where Keras raises (a real
call may stack the list into one odd tensor).
"""

from __future__ import annotations

import pytest

from tests.engine import conformance
from tests.engine.conformance import LIST, Tally, draw_activation, keras_weights, last_path_part
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, AssertionError, IndexError)


def keras_layer_weights(keras, obj) -> dict:
    """Weights as the engine names them: the innermost layer's own names; a Bidirectional's as forward/, backward/."""
    while isinstance(obj, keras.layers.TimeDistributed):
        obj = obj.layer
    if isinstance(obj, keras.layers.Bidirectional):
        forward = keras_weights(obj.forward_layer, last_path_part, "forward/")
        return {**forward, **keras_weights(obj.backward_layer, last_path_part, "backward/")}
    return keras_weights(obj, last_path_part)


def run_keras(keras, inner: tuple, shape: tuple, symbolic: bool):
    def build(k):
        return k.layers.TimeDistributed(build_inner(k, inner))

    return conformance.run_keras(
        keras,
        build,
        {},
        shape,
        symbolic=symbolic,
        errors=FRAMEWORK_ERRORS,
        form=LIST,
        weights=lambda obj: keras_layer_weights(keras, obj),
    )


def build_inner(k, inner: tuple):
    name, kwargs = inner
    if name in ("TimeDistributed", "Bidirectional"):
        return getattr(k.layers, name)(build_inner(k, kwargs["layer"]), **kwargs["rest"])
    return getattr(k.layers, name)(**kwargs)


def engine_form(inner: tuple) -> dict:
    """The engine's {'layer': ..., 'params': ...} for an inner (name, kwargs)."""
    name, kwargs = inner
    if name in ("TimeDistributed", "Bidirectional"):
        return {"layer": name, "params": {"layer": engine_form(kwargs["layer"]), **kwargs["rest"]}}
    return {"layer": name, "params": dict(kwargs)}


def dim(rng, low: int = 1, high: int = 5):
    return rng.randint(low, high)


# Each drawer returns (inner (name, kwargs), inner slice shape without batch, strict rank, multi-output).
# strict: the inner layer's real call rejects any other rank, so a wrong rank may be drawn.


def draw_dense(rng):
    kwargs: dict = {"units": rng.choice((1, 3, 8, 8, 0) if rng.random() < 0.06 else (1, 3, 8))}
    if rng.random() < 0.3:
        kwargs["use_bias"] = False
    rest = tuple(dim(rng) for _ in range(rng.randint(1, 3)))
    return ("Dense", kwargs), rest, 2


def draw_conv(rng, rank: int):
    kernel = tuple(rng.randint(1, 3) for _ in range(rank))
    kwargs: dict = {
        "filters": rng.randint(1, 4),
        "kernel_size": kernel if rank > 1 and rng.random() < 0.5 else kernel[0],
    }
    if rng.random() < 0.4:
        kwargs["strides"] = rng.randint(1, 2)
    if rng.random() < 0.4:
        kwargs["padding"] = rng.choice(("valid", "same") + (("causal",) if rank == 1 else ()))
    if rng.random() < 0.04:
        kwargs["filters"] = 0
    rest = (*(dim(rng, 1, 6) for _ in range(rank)), dim(rng, 1, 3))
    return (f"Conv{rank}D", kwargs), rest, rank + 1


def draw_pool(rng):
    kwargs: dict = {"pool_size": rng.choice((2, 2, 1, 3, (2, 1)))}
    if rng.random() < 0.3:
        kwargs["strides"] = rng.randint(1, 2)
    if rng.random() < 0.3:
        kwargs["padding"] = rng.choice(("valid", "same"))
    rest = (dim(rng, 1, 6), dim(rng, 1, 6), dim(rng, 1, 3))
    return ("MaxPooling2D", kwargs), rest, 3


def draw_flatten(rng):
    return ("Flatten", {}), tuple(dim(rng) for _ in range(rng.randint(1, 3))), None


def draw_reshape(rng):
    rest = tuple(dim(rng, 1, 4) for _ in range(rng.randint(1, 3)))
    size = 1
    for v in rest:
        size *= v
    roll = rng.random()
    if roll < 0.4:
        target = [size]
    elif roll < 0.75:
        target = [-1, 1] if rng.random() < 0.5 else [1, -1]
    else:
        target = [size + rng.choice((0, 0, 1)), 1]  # one in three does not fit
    return ("Reshape", {"target_shape": tuple(target)}), rest, None


def draw_embedding(rng):
    kwargs = {"input_dim": rng.randint(1, 6), "output_dim": rng.randint(1, 4)}
    return ("Embedding", kwargs), tuple(dim(rng) for _ in range(rng.randint(1, 2))), None


def draw_rnn(rng):
    name = rng.choice(("LSTM", "GRU", "SimpleRNN"))
    kwargs: dict = {"units": rng.randint(1, 4)}
    if rng.random() < 0.4:
        kwargs["return_sequences"] = rng.random() < 0.5
    if rng.random() < 0.12:
        kwargs["return_state"] = True
    # No wrong ranks: a recurrent cell on a rank-4 slice broadcasts by accident when an axis is 1 (trap test).
    return (name, kwargs), (dim(rng, 1, 3), dim(rng, 1, 3)), None


def draw_dropout(rng):
    kwargs = {"rate": rng.choice((0.0, 0.2, 0.5, 0.5, 1.5) if rng.random() < 0.1 else (0.0, 0.2, 0.5))}
    return ("Dropout", kwargs), tuple(dim(rng) for _ in range(rng.randint(1, 3))), None


def draw_batchnorm(rng):
    kwargs: dict = {}
    if rng.random() < 0.3:
        kwargs["center"] = False
    if rng.random() < 0.3:
        kwargs["scale"] = False
    return ("BatchNormalization", kwargs), tuple(dim(rng) for _ in range(rng.randint(1, 3))), None


def draw_nested_time_distributed(rng):
    inner, rest, strict = draw_dense(rng)
    rest = (dim(rng, 1, 3), *rest)
    return ("TimeDistributed", {"layer": inner, "rest": {}}), rest, strict + 1


def draw_bidirectional(rng):
    kwargs: dict = {"units": rng.randint(1, 3)}
    if rng.random() < 0.4:
        kwargs["return_sequences"] = True
    rest = {"merge_mode": rng.choice(("concat", "sum", None))} if rng.random() < 0.3 else {}
    return ("Bidirectional", {"layer": ("LSTM", kwargs), "rest": rest}), (dim(rng, 1, 3), dim(rng, 1, 3)), None


DRAWERS = (
    (draw_dense, 3),
    (lambda rng: draw_conv(rng, 1), 1),
    (lambda rng: draw_conv(rng, 2), 2),
    (draw_pool, 1),
    (draw_flatten, 1),
    (draw_reshape, 1),
    (draw_embedding, 1),
    (draw_rnn, 2),
    (draw_dropout, 1),
    (draw_batchnorm, 1),
    (draw_nested_time_distributed, 1),
    (draw_bidirectional, 1),
)


def multi_output(inner: tuple) -> bool:
    name, kwargs = inner
    if name == "Bidirectional":
        return kwargs["rest"].get("merge_mode", "concat") is None or multi_output(kwargs["layer"])
    if name == "TimeDistributed":
        return multi_output(kwargs["layer"])
    return bool(kwargs.get("return_state"))


def draw_configuration(rng):
    """(inner layer, input shape, symbolic)."""
    drawers = [d for d, weight in DRAWERS for _ in range(weight)]
    inner, rest, strict = rng.choice(drawers)(rng)
    wrong_rank = False
    if strict is not None and rng.random() < 0.12:
        rest = rest[:-1] if len(rest) > 1 and rng.random() < 0.5 else (*rest, dim(rng, 1, 3))
        wrong_rank = True
    steps = dim(rng, 1, 4)
    shape = (rng.choice((None, 1, 2, 3)), steps, *rest)
    if rng.random() < 0.08:
        shape = shape[:2] if rng.random() < 0.5 else (shape[0], *rest[:1])  # rank 2: TimeDistributed refuses
    elif not wrong_rank:
        if rng.random() < 0.2:
            shape = (shape[0], None, *shape[2:])  # unknown time axis
        if rng.random() < 0.1 and inner[0] in ("Flatten", "Dropout", "Conv1D", "Conv2D", "MaxPooling2D", "LSTM"):
            axis = rng.randrange(2, len(shape) - 1) if len(shape) > 3 else None
            if axis is not None:
                shape = (*shape[:axis], None, *shape[axis + 1 :])
    if inner[0] == "Dense":
        shape = draw_activation(rng, inner[1], shape, 0.25)
    if multi_output(inner):
        return inner, shape, True
    symbolic = any(v is None for v in shape[1:])
    return inner, shape, symbolic


def test_keras_time_distributed_matches_keras(rng, keras):
    tally = Tally(LIST, describe="TimeDistributed({kwargs})", check_codes=True)
    for _ in range(CONFIGS_PER_LAYER):
        inner, shape, symbolic = draw_configuration(rng)
        real = run_keras(keras, inner, shape, symbolic)
        tally.check("keras", "TimeDistributed", {"layer": engine_form(inner)}, inner, shape, real)
    # Measured over 8 runs of 720 draws (SHAPEKB_FLOOR_LOG): 80-82% accepted, 18-21% rejected. At 120 draws the
    # accepted floor (24) cannot fail by luck, and fewer than 4 rejections has a chance of about 1e-7.
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=4)
