"""Every convolution layer against the real frameworks: random configurations, shapes, counts, rejections.

Each configuration builds the real PyTorch / Keras layer and runs a tensor of zeros on the CPU (Keras inputs
with a None spatial dim are traced symbolically through keras.Input instead). The engine must give the same
output shape, parameter counts and weight shapes, and raise ShapeError exactly when the framework raises.
"""

from __future__ import annotations

import pytest

from tests.engine import conformance
from tests.engine.conformance import Tally, draw_activation, run_keras
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

# ---- running the real layers ----------------------------------------------------------------------


def run_torch(torch, layer: str, kwargs: dict, shape: tuple):
    """('ok', output shape, total params, trainable params, weights) or ('error', message)."""
    real = conformance.run_torch(torch, layer, kwargs, shape)
    if real[0] == "ok" and 0 in real[1]:
        # ConvTranspose on the oneDNN path (batch >= 2 or groups > 1) returns an empty axis where the
        # native path raises "Output size is too small": both mean an output below 1.
        return ("error", f"empty output {real[1]}")
    return real


# ---- drawing configurations ---------------------------------------------------------------------------


def per_axis(rng, rank: int, low: int, high: int, equal_prob: float = 0.4):
    """An int (the same for every axis) or a tuple of per-axis values (often unequal)."""
    if rank == 1 or rng.random() < equal_prob:
        v = rng.randint(low, high)
        return v if rng.random() < 0.5 else (v,) * rank
    return tuple(rng.randint(low, high) for _ in range(rank))


def widen(v, rank: int) -> tuple:
    return tuple(v) if isinstance(v, tuple) else (v,) * rank


def lengths_near(rng, thresholds: list[int], spread: int = 3, high: int = 9) -> list[int]:
    """Per-axis input lengths: often right around the smallest accepted length, otherwise anywhere."""
    out = []
    for t in thresholds:
        if rng.random() < 0.55:
            out.append(max(1, t + rng.randint(-2, spread)))
        else:
            out.append(rng.randint(1, max(high, t + 2)))
    return out


def channels_pair(rng, groups: int) -> tuple[int, int]:
    """(in, out) channel counts, now and then not divisible by groups."""
    c_in, c_out = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
    if groups > 1 and rng.random() < 0.08:
        c_in += 1
    if groups > 1 and rng.random() < 0.08:
        c_out += 1
    return c_in, c_out


def torch_input(rng, channels: int, spatial: list[int], rank: int) -> tuple:
    roll = rng.random()
    if roll < 0.03:
        return (1, 1, channels, *spatial)  # one rank too many
    if roll < 0.3:
        return (channels, *spatial)  # unbatched
    return (rng.choice((1, 2)), channels, *spatial)


# ---- PyTorch Conv1d/2d/3d -------------------------------------------------------------------------------


def draw_torch_conv(rng, rank: int):
    groups = rng.choice((1, 1, 1, 2, 3))
    c_in, c_out = channels_pair(rng, groups)
    kernel = per_axis(rng, rank, 1, 4)
    stride = per_axis(rng, rank, 1, 3) if rng.random() < 0.6 else 1
    dilation = per_axis(rng, rank, 1, 3) if rng.random() < 0.4 else 1
    roll = rng.random()
    if roll < 0.15:
        padding = "same"
        if rng.random() < 0.7:
            stride = 1
    elif roll < 0.25:
        padding = "valid"
    else:
        padding = per_axis(rng, rank, 0, 2)
    kwargs = {"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel}
    if stride != 1 or rng.random() < 0.3:
        kwargs["stride"] = stride
    kwargs["padding"] = padding
    if dilation != 1:
        kwargs["dilation"] = dilation
    if groups > 1:
        kwargs["groups"] = groups
    if rng.random() < 0.2:
        kwargs["bias"] = False
    if rng.random() < 0.2:
        kwargs["padding_mode"] = rng.choice(("reflect", "replicate", "circular"))
    ks, ds = widen(kernel, rank), widen(dilation, rank)
    pads = (0,) * rank if isinstance(padding, str) else widen(padding, rank)
    thresholds = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(ks, ds, pads, strict=True)]
    if kwargs.get("padding_mode") in ("reflect", "circular"):
        thresholds = [max(t, p) for t, p in zip(thresholds, pads, strict=True)]
    spatial = lengths_near(rng, thresholds)
    channels = c_in if rng.random() > 0.06 else c_in + 1
    return kwargs, torch_input(rng, channels, spatial, rank)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_torch_conv_matches_pytorch(rng, torch, rank):
    tally = Tally()
    layer = f"Conv{rank}d"
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_torch_conv(rng, rank)
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- PyTorch ConvTranspose1d/2d/3d ----------------------------------------------------------------------


def draw_torch_conv_transpose(rng, rank: int):
    groups = rng.choice((1, 1, 1, 2, 3))
    c_in, c_out = channels_pair(rng, groups)
    kernel = per_axis(rng, rank, 1, 4)
    stride = per_axis(rng, rank, 1, 3)
    dilation = per_axis(rng, rank, 1, 3) if rng.random() < 0.5 else 1
    padding = per_axis(rng, rank, 0, 3) if rng.random() < 0.7 else 0
    ss, ds, ks, ps = widen(stride, rank), widen(dilation, rank), widen(kernel, rank), widen(padding, rank)
    # output_padding up to max(stride, dilation): the top value is rejected.
    limit = [max(s, d) for s, d in zip(ss, ds, strict=True)]
    if rng.random() < 0.6:
        out_pad = tuple(rng.randint(0, lim - 1 if rng.random() < 0.85 else lim) for lim in limit)
        if rank == 1 or rng.random() < 0.3:
            out_pad = out_pad[0] if len(set(out_pad)) == 1 else out_pad
    else:
        out_pad = 0
    ops = widen(out_pad, rank)
    kwargs = {"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel, "stride": stride}
    if padding != 0 or rng.random() < 0.2:
        kwargs["padding"] = padding
    if out_pad != 0:
        kwargs["output_padding"] = out_pad
    if groups > 1:
        kwargs["groups"] = groups
    if rng.random() < 0.2:
        kwargs["bias"] = False
    if dilation != 1:
        kwargs["dilation"] = dilation
    if rng.random() < 0.04:
        kwargs["padding_mode"] = rng.choice(("reflect", "circular"))
    # Output (L-1)s - 2p + d(k-1) + op + 1 >= 1 from L >= 1 + (2p - d(k-1) - op) / s.
    thresholds = [1 + -((d * (k - 1) + o - 2 * p) // s) for k, s, d, p, o in zip(ks, ss, ds, ps, ops, strict=True)]
    spatial = lengths_near(rng, thresholds, spread=2, high=6)
    channels = c_in if rng.random() > 0.06 else c_in + 1
    return kwargs, torch_input(rng, channels, spatial, rank)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_torch_conv_transpose_matches_pytorch(rng, torch, rank):
    tally = Tally()
    layer = f"ConvTranspose{rank}d"
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_torch_conv_transpose(rng, rank)
        tally.check("pytorch", layer, kwargs, kwargs, shape, run_torch(torch, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- Keras: shared drawing ------------------------------------------------------------------------------


def keras_strides_dilation(rng, rank: int, allow_both: bool):
    strides = per_axis(rng, rank, 1, 3) if rng.random() < 0.5 else 1
    dilation = 1
    if rng.random() < 0.4:
        dilation = per_axis(rng, rank, 1, 3)
        if max(widen(strides, rank)) > 1 and not allow_both and rng.random() < 0.6:
            strides = 1  # keep most configurations valid; the rest test the rejection
    return strides, dilation


def keras_input(rng, channels, spatial: list, channels_first: bool) -> tuple:
    batch = None if rng.random() < 0.4 else rng.choice((1, 2))
    spatial = [None if rng.random() < 0.07 else v for v in spatial]
    if rng.random() < 0.03:
        channels = None
    if rng.random() < 0.02:
        spatial = [*spatial, 3]  # one rank too many
    return (batch, channels, *spatial) if channels_first else (batch, *spatial, channels)


def keras_data_format(rng, kwargs: dict) -> bool:
    if rng.random() < 0.25:
        kwargs["data_format"] = "channels_first"
        return True
    if rng.random() < 0.1:
        kwargs["data_format"] = "channels_last"
    return False


# ---- Keras Conv1D/2D/3D -----------------------------------------------------------------------------------


def draw_keras_conv(rng, rank: int):
    groups = rng.choice((1, 1, 1, 2, 3))
    channels, filters = channels_pair(rng, groups)
    kernel = per_axis(rng, rank, 1, 4)
    strides, dilation = keras_strides_dilation(rng, rank, allow_both=False)
    pads = ["valid", "same"] + (["causal"] if rank == 1 else [])
    padding = rng.choice(pads) if rng.random() > 0.03 else "causal"
    kwargs = {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding}
    channels_first = keras_data_format(rng, kwargs)
    if dilation != 1:
        kwargs["dilation_rate"] = dilation
    if groups > 1:
        kwargs["groups"] = groups
    if rng.random() < 0.2:
        kwargs["use_bias"] = False
    ks, ds = widen(kernel, rank), widen(dilation, rank)
    spatial = lengths_near(rng, [d * (k - 1) + 1 for k, d in zip(ks, ds, strict=True)])
    return kwargs, draw_activation(rng, kwargs, keras_input(rng, channels, spatial, channels_first), 0.25)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_keras_conv_matches_keras(rng, keras, rank):
    tally = Tally()
    layer = f"Conv{rank}D"
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_keras_conv(rng, rank)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- Keras Conv1DTranspose/2D/3D --------------------------------------------------------------------------


def draw_keras_conv_transpose(rng, rank: int):
    filters, channels = rng.randint(1, 4), rng.randint(1, 4)
    kernel = per_axis(rng, rank, 1, 5)
    strides, dilation = keras_strides_dilation(rng, rank, allow_both=False)
    if rng.random() < 0.3:
        strides = per_axis(rng, rank, 2, 4)
        dilation = 1
    padding = rng.choice(("valid", "same")) if rng.random() > 0.04 else "causal"
    kwargs = {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding}
    ss = widen(strides, rank)
    if rng.random() < 0.55:
        out_pad = tuple(rng.randint(0, s - 1 if rng.random() < 0.75 else s) for s in ss)
        kwargs["output_padding"] = (
            out_pad[0] if (rank == 1 or rng.random() < 0.4) and len(set(out_pad)) == 1 else out_pad
        )
    elif rng.random() < 0.2:
        kwargs["output_padding"] = None
    channels_first = keras_data_format(rng, kwargs)
    if dilation != 1:
        kwargs["dilation_rate"] = dilation
    if rng.random() < 0.2:
        kwargs["use_bias"] = False
    spatial = [1 if rng.random() < 0.25 else rng.randint(1, 6) for _ in range(rank)]
    return kwargs, draw_activation(rng, kwargs, keras_input(rng, channels, spatial, channels_first), 0.25)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_keras_conv_transpose_matches_keras(rng, keras, rank):
    tally = Tally()
    layer = f"Conv{rank}DTranspose"
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_keras_conv_transpose(rng, rank)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- Keras DepthwiseConv1D/2D and SeparableConv1D/2D ------------------------------------------------------


def draw_keras_depthwise(rng, rank: int, separable: bool):
    channels = rng.randint(1, 4)
    kernel = per_axis(rng, rank, 1, 4)
    strides, dilation = keras_strides_dilation(rng, rank, allow_both=True)
    padding = rng.choice(("valid", "same")) if rng.random() > 0.04 else "causal"
    kwargs = {"kernel_size": kernel, "strides": strides, "padding": padding}
    if separable:
        kwargs = {"filters": rng.randint(1, 5), **kwargs}
    if rng.random() < 0.6:
        kwargs["depth_multiplier"] = rng.randint(1, 3)
    channels_first = keras_data_format(rng, kwargs)
    if dilation != 1:
        kwargs["dilation_rate"] = dilation
    if rng.random() < 0.2:
        kwargs["use_bias"] = False
    ks, ds = widen(kernel, rank), widen(dilation, rank)
    spatial = lengths_near(rng, [d * (k - 1) + 1 for k, d in zip(ks, ds, strict=True)])
    return kwargs, draw_activation(rng, kwargs, keras_input(rng, channels, spatial, channels_first), 0.25)


@pytest.mark.parametrize("layer", ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"])
def test_keras_depthwise_and_separable_match_keras(rng, keras, layer):
    tally = Tally()
    rank = int(layer[-2])
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_keras_depthwise(rng, rank, separable=layer.startswith("Separable"))
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)
