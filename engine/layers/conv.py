"""Convolutions (Keras ConvND / PyTorch ConvNd): one per-axis formula, applied to every axis."""

from __future__ import annotations

import sympy as sp

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._activations import GLU_HALF, apply_output_activation, output_activation_param
from engine.layers._common import axis_name, check_divisible, check_equal, join_channels, require_known, split_channels
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, boolean, choice, integer, is_known, per_axis
from engine.symbols import C_in, C_out, K, L_in, L_out, P, d, g, k, p, s

# Dumoulin & Visin, relationship 6 (zero padding p, stride s, dilation d): the kernel's effective
# extent is d(k - 1) + 1; count how many strides fit after the first window.
CONV_EXPLICIT = Formula(
    "conv_output_length",
    L_out,
    sp.floor((L_in + 2 * p - d * (k - 1) - 1) / s) + 1,
    "Output length of a convolution or pooling window along one axis with explicit padding p on each side.",
)
CONV_VALID = Formula(
    "conv_valid_length",
    L_out,
    sp.floor((L_in - d * (k - 1) - 1) / s) + 1,
    "padding='valid': no padding; a window must fit wholly inside the input.",
)
CONV_SAME_KERAS = Formula(
    "conv_same_length",
    L_out,
    sp.ceiling(L_in / s),
    "padding='same' (and 'causal') in Keras/TensorFlow: pad so that the output is ceil(L/s), whatever the kernel.",
)
CONV_SAME_TORCH = Formula(
    "conv_same_length_torch",
    L_out,
    L_in,
    "padding='same' in PyTorch (stride 1 only): the output keeps the input length, for any kernel or dilation.",
)
CONV_PARAMS = Formula(
    "conv_param_count",
    P,
    C_out * (C_in / g) * K + C_out,
    "Weights: C_out filters of size K·(C_in/g) (K = product of kernel sizes, g = groups), plus one bias per filter.",
)
CONV_PARAMS_NO_BIAS = Formula("conv_param_count_no_bias", P, C_out * (C_in / g) * K, "Without bias.")


def _kernel_extent(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1) + 1


def _check_padding_mode(mode: str, padding, axis: int, kernel: int, dilation: int, length, where: str, fld: str):
    """padding_mode='reflect' needs each side's padding < the input; 'circular' wraps around at most once.

    With padding='same' PyTorch pads d(k-1) in all: (d(k-1))//2 on the left and the rest on the right.
    """
    if mode == "replicate" or not is_known(length):
        return
    if padding == "same":
        total = dilation * (kernel - 1)
        side = total - total // 2
    else:
        side = padding[axis]
    if mode == "reflect" and side >= length:
        raise ShapeError(
            "padding_too_large",
            f"padding_mode='reflect' needs padding smaller than the input: padding {side} on {where} is not less than the input {length}",
            fld,
        )
    if mode == "circular" and side > length:
        raise ShapeError(
            "padding_too_large",
            f"padding_mode='circular' wraps around at most once: padding {side} on {where} is larger than the input {length}",
            fld,
        )


def check_stride_with_dilation(strides: tuple, dilation: tuple):
    """Keras Conv and Conv Transpose reject strides > 1 together with dilation_rate > 1 (any axes)."""
    if any(st > 1 for st in strides) and any(dl > 1 for dl in dilation):
        raise ShapeError(
            "stride_with_dilation",
            f"strides > 1 is not supported with dilation_rate > 1, received strides={list(strides)} and dilation_rate={list(dilation)}",
            "params.strides",
        )


def keras_split_channels(ctx):
    """(lead dims, channels, spatial dims, first spatial offset, channel field) of a Keras input; channels must be known."""
    channels_last = ctx.p["data_format"] != "channels_first"
    lead, channels, spatial, offset = split_channels(ctx.x, ctx.spec.rank, channels_last)
    channel_field = f"input_shape[{len(ctx.x) - 1 if channels_last else offset - 1}]"
    channels = require_known(channels, "channel dimension", channel_field)
    return lead, channels, spatial, offset, channel_field


def keras_conv_lengths(ctx, spatial: list, offset: int, padding: str, strides: tuple, dilation: tuple) -> list:
    """Output length of every spatial axis of a Keras convolution ('valid', 'same' or 'causal')."""
    out = []
    for a, length in enumerate(spatial):
        kk, st, dl = ctx.p["kernel_size"][a], strides[a], dilation[a]
        where = f"axis {axis_name(ctx.spec.rank, a)}"
        if padding in ("same", "causal"):
            out.append(ctx.apply(CONV_SAME_KERAS, where, L_in=length, s=st))
            continue
        value = ctx.apply(CONV_VALID, where, L_in=length, k=kk, s=st, d=dl)
        if is_known(value) and value < 1:
            raise ShapeError(
                "output_too_small",
                f"computed output size would be zero or negative: kernel {_kernel_extent(kk, dl)}{' (dilated)' if dl > 1 else ''} is larger "
                f"than the input {length} on {where} with padding='valid'",
                f"input_shape[{offset + a}]",
            )
        out.append(value)
    return out


def torch_conv_rule(ctx) -> Outcome:
    """PyTorch Conv1d/2d/3d: (N, C_in, *L) or unbatched (C_in, *L) -> (N, C_out, *L_out)."""
    rank, prm = ctx.spec.rank, ctx.p
    c_in, c_out, groups = prm["in_channels"], prm["out_channels"], prm["groups"]
    check_divisible(c_in, groups, "in_channels", "params.in_channels")
    check_divisible(c_out, groups, "out_channels", "params.out_channels")
    padding = prm["padding"]
    if padding == "same" and any(st > 1 for st in prm["stride"]):
        raise ShapeError(
            "same_with_stride", "padding='same' is not supported for strided convolutions", "params.padding"
        )
    lead, channels, spatial, offset = split_channels(ctx.x, rank, channels_last=False)
    check_equal(c_in, channels, "in_channels", f"input_shape[{offset - 1}]", ctx.spec.name)
    out = []
    for a, length in enumerate(spatial):
        kk, st, dl = prm["kernel_size"][a], prm["stride"][a], prm["dilation"][a]
        where = f"axis {axis_name(rank, a)}"
        if prm["padding_mode"] != "zeros" and padding != "valid":
            _check_padding_mode(prm["padding_mode"], padding, a, kk, dl, length, where, f"input_shape[{offset + a}]")
        if padding == "same":
            out.append(ctx.apply(CONV_SAME_TORCH, where, L_in=length))
            continue
        pad = 0 if padding == "valid" else padding[a]
        if is_known(length) and length + 2 * pad < _kernel_extent(kk, dl):
            raise ShapeError(
                "kernel_too_large",
                f"kernel {_kernel_extent(kk, dl)}{' (dilated)' if dl > 1 else ''} is larger than the padded input {length + 2 * pad} "
                f"on {where} (input {length}, padding {pad})",
                f"input_shape[{offset + a}]",
            )
        out.append(ctx.apply(CONV_EXPLICIT, where, L_in=length, p=pad, k=kk, s=st, d=dl))
    kernel = 1
    for kk in prm["kernel_size"]:
        kernel *= kk
    count = ctx.apply(
        CONV_PARAMS if prm["bias"] else CONV_PARAMS_NO_BIAS, "parameters", C_out=c_out, C_in=c_in, g=groups, K=kernel
    )
    weights = {"weight": (c_out, c_in // groups, *prm["kernel_size"])}
    if prm["bias"]:
        weights["bias"] = (c_out,)
    return Outcome({"output": (*lead, c_out, *out)}, weights, param_count=count)


def keras_conv_rule(ctx) -> Outcome:
    """Keras Conv1D/2D/3D: (N, *L, C) -> (N, *L_out, filters) (channels_last), or channels_first."""
    rank, prm = ctx.spec.rank, ctx.p
    filters, groups, padding = prm["filters"], prm["groups"], prm["padding"]
    strides, dilation = prm["strides"], prm["dilation_rate"]
    if padding == "causal" and rank != 1:
        raise ShapeError("invalid_param", "padding='causal' is only for Conv1D", "params.padding")
    check_stride_with_dilation(strides, dilation)
    check_divisible(filters, groups, "filters", "params.filters")
    lead, channels, spatial, offset, channel_field = keras_split_channels(ctx)
    check_divisible(channels, groups, "input channels", channel_field)
    out = keras_conv_lengths(ctx, spatial, offset, padding, strides, dilation)
    kernel = 1
    for kk in prm["kernel_size"]:
        kernel *= kk
    formula = CONV_PARAMS if prm["use_bias"] else CONV_PARAMS_NO_BIAS
    count = ctx.apply(formula, "parameters", C_out=filters, C_in=channels, g=groups, K=kernel)
    weights = {
        "kernel": (*prm["kernel_size"], channels // groups if is_known(channels) else channels / groups, filters)
    }
    if prm["use_bias"]:
        weights["bias"] = (filters,)
    channels_last = prm["data_format"] != "channels_first"
    output = apply_output_activation(
        ctx,
        join_channels(lead, filters, out, channels_last),
        "params.filters" if channels_last else "params.activation",
    )
    return Outcome({"output": output}, weights, param_count=count)


def keras_conv_params(rank: int):
    pads = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    return (
        Param("filters", integer(), doc="Number of filters: the output's channel count."),
        Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
        Param("strides", per_axis(), 1, "Step between windows per axis."),
        Param(
            "padding",
            choice(*pads),
            "valid",
            "'valid' (no padding) or 'same' (output ceil(L/s))" + (", 'causal'" if rank == 1 else "") + ".",
        ),
        Param("data_format", choice("channels_last", "channels_first"), "channels_last", "Where the channel axis is."),
        Param("dilation_rate", per_axis(), 1, "Spacing between kernel taps; cannot combine with strides > 1."),
        Param("groups", integer(), 1, "Split input and filters into this many groups."),
        output_activation_param(),
        Param("use_bias", boolean(), True, "Add one bias per filter."),
    )


def torch_conv_params(rank: int):
    padding_mode = choice("valid", "same", case_insensitive=False)
    padding_amounts = per_axis(minimum=0)

    def padding(v, r, fld):
        return padding_mode(v, r, fld) if isinstance(v, str) else padding_amounts(v, r, fld)

    padding.kind = "int | tuple[int, ...] | 'valid' | 'same'"
    return (
        Param("in_channels", integer(), doc="Channels of the input (dim 1, or dim 0 unbatched)."),
        Param("out_channels", integer(), doc="Channels of the output: the number of filters."),
        Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
        Param("stride", per_axis(), 1, "Step between windows per axis."),
        Param("padding", padding, 0, "Zeros added to both sides of each axis, or 'valid' / 'same' (stride 1 only)."),
        Param("dilation", per_axis(), 1, "Spacing between kernel taps."),
        Param("groups", integer(), 1, "Blocked connections; must divide in_channels and out_channels."),
        Param("bias", boolean(), True, "Add one learnable bias per output channel."),
        Param(
            "padding_mode",
            choice("zeros", "reflect", "replicate", "circular", case_insensitive=False),
            "zeros",
            "How padding is filled; does not change shapes.",
        ),
    )


CONV_NOTE = "Each spatial axis follows the same rule. Dumoulin & Visin relationship: o = floor((i + 2p - k - (k-1)(d-1))/s) + 1."

for _rank in (1, 2, 3):
    _legacy = {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides", "atrous_rate": "dilation_rate"}
    if _rank == 1:
        _legacy.update({"filter_length": "kernel_size", "subsample_length": "strides"})
    if _rank == 2:
        _legacy.update({"nb_row": ("kernel_size", 0), "nb_col": ("kernel_size", 1), "dim_ordering": "data_format"})
    register(
        LayerSpec(
            framework="keras",
            name=f"Conv{_rank}D",
            aliases=(f"Convolution{_rank}D",) + (("AtrousConvolution1D",) if _rank == 1 else ()),
            params=keras_conv_params(_rank),
            rule=keras_conv_rule,
            formulas=(CONV_VALID, CONV_SAME_KERAS, CONV_PARAMS, CONV_PARAMS_NO_BIAS, GLU_HALF),
            param_aliases=_legacy,
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="convolution",
            equivalent=f"Conv{_rank}d",
            note=CONV_NOTE
            + " Keras 'same' gives ceil(L/s) for any kernel; strides > 1 cannot combine with dilation_rate > 1.",
            options={"legacy_positional": {"Convolution2D": ("nb_filter", "nb_row", "nb_col")}} if _rank == 2 else {},
        )
    )
    register(
        LayerSpec(
            framework="pytorch",
            name=f"Conv{_rank}d",
            params=torch_conv_params(_rank),
            rule=torch_conv_rule,
            formulas=(CONV_EXPLICIT, CONV_SAME_TORCH, CONV_PARAMS, CONV_PARAMS_NO_BIAS),
            rank=_rank,
            input_ranks=(_rank + 1, _rank + 2),
            category="convolution",
            equivalent=f"Conv{_rank}D",
            note=CONV_NOTE + " PyTorch pads p zeros on both sides; 'same' needs stride 1.",
        )
    )
