"""Rearranging layers against real PyTorch: PixelShuffle, PixelUnshuffle, ChannelShuffle, Unfold, Fold.

Each configuration builds the real torch.nn module and runs a tensor of zeros on the CPU (sizes stay small);
the engine must give the same output shape and parameter counts (none), and raise ShapeError exactly when
torch raises. Draws put sizes on both sides of each divisibility or size limit, give H != W and unequal
per-axis parameters, unbatched and extra-batch inputs, wrong ranks and invalid parameters.
"""

from __future__ import annotations

import pytest

from tests.engine import conformance
from tests.engine.conformance import Tally
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance


def run_torch(torch, layer: str, kwargs: dict, shape: tuple):
    return conformance.run_torch(torch, layer, kwargs, shape, limit=300)


def check(tally: Tally, torch, layer: str, kwargs: dict, shape: tuple):
    tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))


def lead_dims(rng, low: int, high: int) -> list:
    """Leading (batch) dims: from `low` to `high` of them, each 1 or 2."""
    return [rng.randint(1, 2) for _ in range(rng.randint(low, high))]


def wrong_rank_shape(rng, good: int) -> tuple:
    """A shape of rank 1 or 2 (too few dims): the layers here need at least 3."""
    return tuple(rng.randint(1, 6) for _ in range(rng.randint(1, good - 1)))


def near(rng, multiple: int) -> int:
    """A size one off a multiple (never below 1); when the multiple is 1 any size still divides."""
    return max(1, multiple + rng.choice((-1, 1)))


def bad_factor(rng):
    return rng.choice((0, -1, 2.0, (2, 2), True))


def per_axis_value(rng, values: tuple):
    """An int, or a pair (tuple or list) of two possibly unequal values."""
    roll = rng.random()
    if roll < 0.3 and values[0] == values[1]:
        return values[0]
    return list(values) if roll < 0.55 else tuple(values)


# ---- PixelShuffle / PixelUnshuffle -------------------------------------------------------------------


def test_torch_pixel_shuffle_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        r = rng.choice((1, 2, 2, 3))
        channels = rng.randint(1, 3) * r * r
        if rng.random() < 0.3:
            channels = near(rng, channels)
        height, width = rng.randint(1, 4), rng.randint(1, 5)
        shape = (*lead_dims(rng, 0, 3), channels, height, width)
        if rng.random() < 0.07:
            shape = wrong_rank_shape(rng, 3)
        kwargs = {"upscale_factor": bad_factor(rng) if rng.random() < 0.05 else r}
        check(tally, torch, "PixelShuffle", kwargs, shape)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=10)


def test_torch_pixel_unshuffle_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        r = rng.choice((1, 2, 2, 3))
        height, width = rng.randint(1, 3) * r, rng.randint(1, 3) * r
        roll = rng.random()
        if roll < 0.15:
            height = near(rng, height)
        elif roll < 0.3:
            width = near(rng, width)
        elif roll < 0.36:
            height, width = near(rng, height), near(rng, width)
        shape = (*lead_dims(rng, 0, 3), rng.randint(1, 3), height, width)
        if rng.random() < 0.07:
            shape = wrong_rank_shape(rng, 3)
        kwargs = {"downscale_factor": bad_factor(rng) if rng.random() < 0.05 else r}
        check(tally, torch, "PixelUnshuffle", kwargs, shape)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=10)


# ---- ChannelShuffle ----------------------------------------------------------------------------------


def test_torch_channel_shuffle_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        groups = rng.randint(1, 4)
        channels = rng.randint(1, 3) * groups
        if rng.random() < 0.3:
            channels = near(rng, channels)
        # The channels are dim 1 at every rank: (N, C, *rest), rest of 1 to 4 dims.
        shape = (rng.randint(1, 2), channels, *(rng.randint(1, 3) for _ in range(rng.randint(1, 4))))
        if rng.random() < 0.08:
            shape = wrong_rank_shape(rng, 3)
        kwargs = {"groups": bad_factor(rng) if rng.random() < 0.05 else groups}
        check(tally, torch, "ChannelShuffle", kwargs, shape)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=10)


# ---- Unfold / Fold -----------------------------------------------------------------------------------


def draw_window(rng) -> dict:
    """kernel_size, dilation, padding, stride per axis (H, W), often unequal."""
    kernel = (rng.randint(1, 4), rng.randint(1, 4))
    dilation = (rng.randint(1, 3), rng.randint(1, 3)) if rng.random() < 0.35 else (1, 1)
    padding = (rng.randint(0, 2), rng.randint(0, 2)) if rng.random() < 0.4 else (0, 0)
    stride = (rng.randint(1, 3), rng.randint(1, 3)) if rng.random() < 0.5 else (1, 1)
    return {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}


def blocks(length: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    return (length + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def limit_length(rng, window: dict, axis: int, spread: int) -> int:
    """An axis length at the edge of fitting one block: the extent d(k-1)+1 minus both paddings, -1..+spread."""
    extent = window["dilation"][axis] * (window["kernel_size"][axis] - 1) + 1
    return max(1, extent - 2 * window["padding"][axis] + rng.randint(-1, spread))


def window_kwargs(rng, window: dict) -> dict:
    """The window as keyword arguments: defaults left out now and then, ints or pairs, a few invalid values."""
    kwargs = {}
    for name, values in window.items():
        if name == "kernel_size" or values != (1 if name != "padding" else 0,) * 2 or rng.random() < 0.5:
            kwargs[name] = per_axis_value(rng, values)
    if rng.random() < 0.06:
        name = rng.choice(list(window))
        kwargs[name] = rng.choice(((2, 2, 2), (2,), 0 if name != "padding" else -1, 1.0))
    return kwargs


def test_torch_unfold_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        window = draw_window(rng)
        height, width = limit_length(rng, window, 0, 4), limit_length(rng, window, 1, 4)
        channels = rng.randint(1, 3)
        roll = rng.random()
        if roll < 0.6:
            shape = (rng.randint(1, 2), channels, height, width)
        elif roll < 0.9:
            shape = (channels, height, width)
        else:
            shape = rng.choice(((height, width), (width,), (1, 1, channels, height, width)))
        check(tally, torch, "Unfold", window_kwargs(rng, window), shape)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=10)


def test_torch_fold_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        window = draw_window(rng)
        size = (limit_length(rng, window, 0, 6), limit_length(rng, window, 1, 6))
        counts = [
            blocks(size[a], *(window[n][a] for n in ("kernel_size", "dilation", "padding", "stride"))) for a in (0, 1)
        ]
        length = counts[0] * counts[1] if min(counts) >= 1 else rng.randint(1, 6)
        if rng.random() < 0.12:
            length = near(rng, length)
        columns = rng.randint(1, 2) * window["kernel_size"][0] * window["kernel_size"][1]
        if rng.random() < 0.1:
            columns += rng.choice((-1, 1)) if columns > 1 else 1
        roll = rng.random()
        if roll < 0.6:
            shape = (rng.randint(1, 2), columns, length)
        elif roll < 0.92:
            shape = (columns, length)
        else:
            shape = rng.choice(((length,), (1, 1, columns, length)))
        kwargs = {"output_size": per_axis_value(rng, size), **window_kwargs(rng, window)}
        check(tally, torch, "Fold", kwargs, shape)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=10)
