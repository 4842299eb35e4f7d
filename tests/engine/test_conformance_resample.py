"""Resampling and padding layers against the real frameworks: random configurations, shapes, rejections.

Keras UpSampling/ZeroPadding/Cropping 1D-3D and PyTorch Upsample and Zero/Constant/Reflection/Replication/
CircularPad 1d-3d are built for
real and run on tensors of zeros (Keras is also traced through keras.Input, now and then with a None
spatial dim). The engine must give the same output shape and counts (no weights), and raise ShapeError
exactly when the framework raises.
"""

from __future__ import annotations

import pytest

from tests.engine.conformance import TUPLE, Tally
from tests.engine.conftest import CONFIGS_PER_LAYER
from tests.engine.test_conformance_pool import keras_data_format, keras_input, per_axis, run_keras, run_torch

pytestmark = pytest.mark.conformance

AXES = (1, 2, 3)


# ---- Keras ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rank", AXES)
def test_keras_upsampling(keras, rng, rank):
    layer = f"UpSampling{rank}D"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs = {}
        channels_last = True
        if rank == 1:
            roll = rng.random()
            if roll < 0.8:
                kwargs["size"] = rng.randint(1, 4)
            elif roll < 0.9:
                kwargs["size"] = rng.choice([0, (2,)])  # UpSampling1D takes a positive int only
        else:
            if rng.random() < 0.8:
                kwargs["size"] = per_axis(rng, rank, 1, 3)
                if rng.random() < 0.08:
                    kwargs["size"] = (0, *((2,) * (rank - 1)))
            channels_last = keras_data_format(rng, kwargs)
        if rank == 2 and rng.random() < 0.5:
            kwargs["interpolation"] = rng.choice(["nearest", "bilinear", "bicubic", "Bilinear", "NEAREST", "cubic"])
        shape = keras_input(rng, [rng.randint(1, 6) for _ in range(rank)], channels_last)
        if kwargs.get("interpolation") == "cubic":
            # Keras checks the interpolation only when it runs, which a None dim cannot
            shape = tuple(3 if v is None else v for v in shape)
        params = dict(kwargs)
        if rank == 1 and "size" in params and rng.random() < 0.2:
            params["length"] = params.pop("size")  # Keras 1 spelling
        tally.check("keras", layer, params, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def keras_amounts(rng, rank: int, high: int, negative_int: bool):
    """An int, a tuple of per-axis ints, or a tuple of (start, end) pairs; now and then a negative."""
    roll = rng.random()
    if roll < 0.3 or (rank == 1 and roll < 0.5):
        low = -2 if negative_int and rng.random() < 0.3 else 0
        return rng.randint(low, high)
    if rank == 1:
        return (rng.randint(0, high), rng.randint(0, high))
    if roll < 0.55:
        return tuple(rng.randint(0, high) for _ in range(rank))
    out = tuple(
        (rng.randint(0, high), rng.randint(0, high)) if rng.random() < 0.7 else rng.randint(0, high)
        for _ in range(rank)
    )
    if rng.random() < 0.05:
        out = ((-1, 1), *out[1:])  # a negative entry in a tuple is always rejected
    if rng.random() < 0.03:
        out = out[:-1]  # one axis short
    return out


@pytest.mark.parametrize("rank", AXES)
def test_keras_zero_padding(keras, rng, rank):
    layer = f"ZeroPadding{rank}D"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs = {}
        if rng.random() < 0.85:
            kwargs["padding"] = keras_amounts(rng, rank, 3, negative_int=True)
        channels_last = keras_data_format(rng, kwargs)
        shape = keras_input(rng, [rng.randint(1, 6) for _ in range(rank)], channels_last)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


@pytest.mark.parametrize("rank", AXES)
def test_keras_cropping(keras, rng, rank):
    layer = f"Cropping{rank}D"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs = {}
        if rng.random() < 0.9:
            kwargs["cropping"] = keras_amounts(rng, rank, 3 if rank < 3 else 2, negative_int=False)
        channels_last = True if rank == 1 else keras_data_format(rng, kwargs)
        shape = keras_input(rng, [rng.randint(1, 9) for _ in range(rank)], channels_last)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- PyTorch ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ZeroPad", "ConstantPad"])
@pytest.mark.parametrize("rank", AXES)
def test_torch_padding(torch, rng, kind, rank):
    layer = f"{kind}{rank}d"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        if rng.random() < 0.3:
            padding = rng.randint(-2, 3)
        else:
            pairs = rank if rng.random() < 0.6 else rng.randint(1, rank + 2)
            padding = tuple(rng.randint(-2, 3) if rng.random() < 0.25 else rng.randint(0, 3) for _ in range(2 * pairs))
            if rng.random() < 0.04:
                padding = padding[:-1]  # odd length
        kwargs = {"padding": padding}
        if kind == "ConstantPad":
            kwargs["value"] = rng.choice([0.0, 1.5, -3, 7])
        input_rank = rank + rng.choice([0, 1, 1, 1, 2]) if rng.random() < 0.9 else rng.randint(1, 5)
        shape = tuple(rng.randint(1, 5) for _ in range(input_rank))
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"]
MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
SCALES = [0.1, 0.25, 1 / 3, 0.5, 0.7, 1, 1.5, 2, 2.5, 3, 2 / 3, 1.1]


def test_torch_upsample(torch, rng):
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER * 3):  # one layer with many modes: three rounds
        mode = rng.choice(MODES) if rng.random() < 0.97 else rng.choice(["lanczos", "Nearest"])
        rank = MODE_RANK.get(mode, rng.choice([3, 4, 5]))
        if rng.random() < 0.05:
            rank = rng.choice([2, 3, 4, 5, 6])
        n = max(rank - 2, 1)
        kwargs = {"mode": mode}
        roll = rng.random()
        if roll < 0.45:
            kwargs["size"] = rng.randint(0, 9) if rng.random() < 0.5 else tuple(rng.randint(0, 9) for _ in range(n))
        elif roll < 0.97:
            kwargs["scale_factor"] = (
                rng.choice(SCALES + [round(rng.uniform(0.1, 3.5), rng.randint(1, 3))])
                if rng.random() < 0.5
                else tuple(rng.choice(SCALES) for _ in range(n))
            )
            if rng.random() < 0.02:
                kwargs["scale_factor"] = 0  # Upsample reads a falsy factor as "not given"
        elif roll < 0.985:
            kwargs["size"], kwargs["scale_factor"] = 4, 2.0
        if rng.random() < 0.04 and isinstance(kwargs.get("size", kwargs.get("scale_factor")), tuple):
            key = "size" if "size" in kwargs else "scale_factor"
            kwargs[key] = (*kwargs[key], 2)  # one spatial axis too many
        if rng.random() < 0.25:
            kwargs["align_corners"] = rng.random() < 0.5
        if rng.random() < 0.15:
            kwargs["recompute_scale_factor"] = rng.random() < 0.6
        shape = (rng.randint(1, 2), rng.randint(1, 2), *(rng.randint(1, 9) for _ in range(rank - 2)))
        tally.check("pytorch", "Upsample", kwargs, kwargs, shape, run_torch(torch, "Upsample", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER * 3)


# ---- PyTorch reflection / replication / circular padding ---------------------------------------------

PAD_KINDS = ["Reflection", "Replication", "Circular"]


def mode_pad_side(rng, length: int, edge: bool) -> int:
    """One side's padding for an axis of `length`: a safe value, or one at a limit of some mode.

    Safe: at most length - 1 (below every mode's limit) and a crop of at most (length - 1) // 2, so two safe
    sides leave at least 1. Edge: length - 1 (reflection's largest), length (circular's largest), length + 1,
    or a crop of the whole axis or more."""
    if not edge:
        return rng.randint(-((length - 1) // 2), min(length - 1, 3))
    return rng.choice([length - 1, length, length + 1, length + 1, -length, -length - 1, -length + 1])


def mode_pad_config(rng, rank: int) -> tuple:
    """(padding, input shape) for a <kind>Pad<rank>d: unequal sides, H != W, unbatched inputs, wrong ranks."""
    roll = rng.random()
    pairs = rank if roll < 0.88 else rng.choice([n for n in (1, 2, 3, 4) if n != rank])
    if rng.random() < 0.9:
        base = pairs if rng.random() < 0.5 else rank  # torch follows the tuple's length for reflect/replicate
        input_rank = base + rng.choice([1, 1, 2, 2, 2])
    else:
        input_rank = rng.randint(1, 6)  # any rank, mostly a wrong one
    shape = tuple(rng.randint(1, 3) for _ in range(max(input_rank - 3, 0))) + tuple(
        rng.randint(1, 6) for _ in range(min(input_rank, 3))
    )
    if rng.random() < 0.25 and pairs == rank:
        lengths = [shape[-1 - j] for j in range(min(rank, len(shape)))] or [3]
        if rng.random() < 0.6:
            padding = rng.randint(-1, min(lengths) - 1 if min(lengths) > 1 else 1)
        else:
            padding = rng.choice([min(lengths) - 1, min(lengths), min(lengths) + 1, -1, -2])
        return padding, shape
    edges = set()
    if rng.random() < 0.5:
        edges = {rng.randrange(2 * pairs) for _ in range(rng.choice([1, 1, 1, 2]))}
    padding = []
    for j in range(pairs):
        length = shape[-1 - j] if j < len(shape) else 3
        padding += [mode_pad_side(rng, length, 2 * j in edges), mode_pad_side(rng, length, 2 * j + 1 in edges)]
    if rng.random() < 0.12:
        # Pad one side and crop the other deeper than what is left: CircularPad's wrap-around copies then read
        # overlapping slices of its output, refused when they are dense in memory (the dims before are all 1).
        j = rng.randrange(min(pairs, len(shape)) or 1)
        length = shape[-1 - j] if j < len(shape) else 3
        grow = rng.randint(1, length)
        if grow >= 2 and length >= 3 and rng.random() < 0.6:
            crop = rng.randint(length - grow + 1, length - 1)  # the copies overlap
        else:
            crop = rng.randint(max(length - grow, 0), length + 1)
        shift = [grow, -crop]
        padding[2 * j : 2 * j + 2] = shift if rng.random() < 0.5 else shift[::-1]
        if rng.random() < 0.5:
            shape = tuple(1 if i < len(shape) - 1 - j else v for i, v in enumerate(shape))
    if rng.random() < 0.03:
        padding = padding[:-1]  # odd length
    return tuple(padding), shape


@pytest.mark.parametrize("kind", PAD_KINDS)
@pytest.mark.parametrize("rank", AXES)
def test_torch_mode_padding(torch, rng, kind, rank):
    layer = f"{kind}Pad{rank}d"
    tally = Tally(TUPLE)
    for _ in range(CONFIGS_PER_LAYER):
        padding, shape = mode_pad_config(rng, rank)
        kwargs = {"padding": padding}
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=5)
