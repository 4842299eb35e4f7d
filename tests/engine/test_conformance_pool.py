"""Every pooling layer against the real frameworks: random configurations, shapes, counts, rejections.

Each configuration builds the real PyTorch / Keras layer and runs a tensor of zeros on the CPU; Keras is
also traced symbolically through keras.Input (now and then with a None spatial dim, which only the trace
can take). The engine must give the same output shape(s), parameter counts and weights (none), and raise
ShapeError exactly when the framework raises.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest

from tests.engine import conformance
from tests.engine.conformance import TUPLE, Tally, framework_error, keras_counts
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, IndexError, NotImplementedError, OverflowError)
AXES = (1, 2, 3)


# ---- running the real layers ----------------------------------------------------------------------

# ('ok', output shapes, total params, trainable params, weights) or ('error', message).
run_torch = partial(conformance.run_torch, errors=FRAMEWORK_ERRORS, form=TUPLE)


def run_keras(keras, layer: str, kwargs: dict, shape: tuple):
    """The symbolic trace (keras.Input) and, when every dim is known, a real call on zeros; both must agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = getattr(keras.layers, layer)(**kwargs)
            traced = tuple(obj(keras.Input(batch_shape=shape)).shape)
        except FRAMEWORK_ERRORS as err:
            return framework_error(err)
        if all(v is not None for v in shape):
            try:
                real = tuple(obj(np.zeros(shape, dtype="float32")).shape)
            except FRAMEWORK_ERRORS as err:
                # The real call is the truth, also where the trace accepts what the backend refuses
                # (AveragePooling3D, padding='same', an axis smaller than the pool: torch's avg_pool3d).
                return framework_error(err)
            assert real == traced, f"Keras trace {traced} and real call {real} differ"
    return ("ok", (traced,), *keras_counts(obj))


# ---- drawing configurations ---------------------------------------------------------------------------


def per_axis(rng, rank: int, low: int, high: int, equal_prob: float = 0.35):
    """An int (the same for every axis) or a tuple of per-axis values (often unequal)."""
    if rank == 1 or rng.random() < equal_prob:
        v = rng.randint(low, high)
        return v if rng.random() < 0.6 else (v,) * rank
    return tuple(rng.randint(low, high) for _ in range(rank))


def widen(v, rank: int) -> tuple:
    return tuple(v) if isinstance(v, tuple) else (v,) * rank


def lengths_near(rng, thresholds: list[int], high: int = 11) -> list[int]:
    """Per-axis input lengths: often right around the smallest accepted length, otherwise anywhere."""
    out = []
    for t in thresholds:
        if rng.random() < 0.5:
            out.append(max(1, t + rng.choice([-2, -1, 0, 0, 1, 2, 3])))
        else:
            out.append(rng.randint(1, max(high, t + 2)))
    return out


def torch_input(rng, spatial: list[int]) -> tuple:
    """Batched (N, C, *L), unbatched (C, *L), or now and then one rank too many or too few."""
    channels = rng.randint(1, 3)
    roll = rng.random()
    if roll < 0.03:
        return (1, 1, channels, *spatial)
    if roll < 0.05 and len(spatial) > 1:
        return tuple(spatial)
    if roll < 0.35:
        return (channels, *spatial)
    return (rng.randint(1, 2), channels, *spatial)


def keras_input(rng, spatial: list[int], channels_last: bool) -> tuple:
    channels = rng.randint(1, 3)
    if rng.random() < 0.08:  # wrong rank
        spatial = spatial[:-1] if len(spatial) > 1 else [*spatial, 2]
    shape = (rng.randint(1, 2), *spatial, channels) if channels_last else (rng.randint(1, 2), channels, *spatial)
    if rng.random() < 0.1:  # a None spatial dim: only the symbolic trace can take it
        first = 1 if channels_last else 2
        axis = rng.randrange(first, first + len(spatial))
        shape = (*shape[:axis], None, *shape[axis + 1 :])
    return shape


def keras_data_format(rng, kwargs: dict) -> bool:
    """Sets data_format now and then; returns True for channels_last."""
    roll = rng.random()
    if roll < 0.3:
        kwargs["data_format"] = "channels_first"
        return False
    if roll < 0.5:
        kwargs["data_format"] = "channels_last"
    return True


# ---- Keras MaxPooling / AveragePooling ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
@pytest.mark.parametrize("rank", AXES)
def test_keras_pooling(keras, rng, kind, rank):
    layer = f"{kind}{rank}D"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        pool = per_axis(rng, rank, 1, 4)
        kwargs = {"pool_size": pool}
        if rng.random() < 0.6:
            kwargs["strides"] = per_axis(rng, rank, 1, 3)
        roll = rng.random()
        padding = "same" if roll < 0.45 else "valid"
        if roll < 0.03:
            padding = rng.choice(["SAME", "Valid"])  # Keras pooling compares padding case-sensitively
        if padding != "valid" or rng.random() < 0.5:
            kwargs["padding"] = padding
        channels_last = keras_data_format(rng, kwargs)
        spatial = lengths_near(rng, list(widen(pool, rank)))
        if padding == "same" and rng.random() < 0.3:
            spatial = [rng.randint(1, max(1, k - 1)) for k in widen(pool, rank)]  # pool larger than the input
        shape = keras_input(rng, spatial, channels_last)
        params = dict(kwargs)
        if rng.random() < 0.15:  # Keras 1 keyword spellings
            if "padding" in params:
                params["border_mode"] = params.pop("padding")
            if rank == 1:
                params["pool_length"] = params.pop("pool_size")
                if "strides" in params:
                    params["stride"] = params.pop("strides")
        tally.check("keras", layer, params, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


@pytest.mark.parametrize("kind", ["GlobalAveragePooling", "GlobalMaxPooling"])
@pytest.mark.parametrize("rank", AXES)
def test_keras_global_pooling(keras, rng, kind, rank):
    layer = f"{kind}{rank}D"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs = {}
        if rng.random() < 0.6:
            kwargs["keepdims"] = rng.random() < 0.5
        channels_last = keras_data_format(rng, kwargs)
        shape = keras_input(rng, [rng.randint(1, 6) for _ in range(rank)], channels_last)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=0)
    assert tally.rejected >= 1 or CONFIGS_PER_LAYER < 60, "the wrong-rank inputs were never drawn"


# ---- PyTorch MaxPool / AvgPool --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Max", "Avg"])
@pytest.mark.parametrize("rank", AXES)
def test_torch_pooling(torch, rng, kind, rank):
    layer = f"{kind}Pool{rank}d"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        kernel = per_axis(rng, rank, 1, 5)
        kwargs = {"kernel_size": kernel}
        if rng.random() < 0.6:
            kwargs["stride"] = per_axis(rng, rank, 1, 3)
        stride = widen(kwargs.get("stride", kernel), rank)
        if rng.random() < 0.6:
            # up to one past the limit 2p <= k
            kwargs["padding"] = tuple(rng.randint(0, k // 2 + (rng.random() < 0.15)) for k in widen(kernel, rank))
            if rank == 1 or rng.random() < 0.3:
                kwargs["padding"] = kwargs["padding"][0]
        pad = widen(kwargs.get("padding", 0), rank)
        dilation = (1,) * rank
        if kind == "Max" and rng.random() < 0.4:
            kwargs["dilation"] = per_axis(rng, rank, 1, 3)
            dilation = widen(kwargs["dilation"], rank)
        if rng.random() < 0.5:
            kwargs["ceil_mode"] = True
        if kind == "Max" and rng.random() < 0.3:
            kwargs["return_indices"] = True
        if kind == "Avg":
            if rng.random() < 0.3:
                kwargs["count_include_pad"] = False
            if rank > 1 and rng.random() < 0.15:
                kwargs["divisor_override"] = rng.choice([0, 1, 3, -2])
        extent = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(widen(kernel, rank), dilation, pad, strict=True)]
        floor = [max(1, e) for e in extent]
        if layer == "AvgPool3d":  # it also rejects an unpadded input smaller than the kernel
            floor = [max(f, k) for f, k in zip(floor, widen(kernel, rank), strict=True)]
        spatial = lengths_near(rng, floor)
        if kwargs.get("ceil_mode") and rng.random() < 0.4:
            # land just past a multiple of the stride, where the last-window rule decides
            spatial = [
                max(1, e + s * rng.randint(0, 2) + rng.randint(-1, 1)) for e, s in zip(extent, stride, strict=True)
            ]
        shape = torch_input(rng, spatial)
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


@pytest.mark.parametrize("kind", ["Max", "Avg"])
@pytest.mark.parametrize("rank", AXES)
def test_torch_adaptive_pooling(torch, rng, kind, rank):
    layer = f"Adaptive{kind}Pool{rank}d"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        roll = rng.random()
        if roll < 0.15:
            size = 1 if rng.random() < 0.5 else (1,) * rank  # AdaptiveAvgPool2d/3d take any rank for this
        elif roll < 0.35:
            size = rng.randint(0, 7) if rng.random() < 0.85 else None
        else:
            size = tuple(None if rng.random() < 0.25 else rng.randint(0, 7) for _ in range(rank))
            if rng.random() < 0.08:
                size = size + (2,)  # one entry too many
        kwargs = {"output_size": size}
        if kind == "Max" and rng.random() < 0.3:
            kwargs["return_indices"] = True
        shape = torch_input(rng, [rng.randint(1, 8) for _ in range(rank)])
        if rng.random() < 0.1:
            shape = (2, *shape) if rng.random() < 0.5 else shape[-rank:]
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)
