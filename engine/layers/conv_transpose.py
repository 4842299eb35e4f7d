"""Transposed convolutions (Keras ConvNDTranspose / PyTorch ConvTransposeNd): per-axis formulas written once."""

from __future__ import annotations

import sympy as sp

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._activations import GLU_HALF, apply_output_activation, output_activation_param
from engine.layers._common import (
    axis_name,
    check_divisible,
    check_equal,
    join_channels,
    keras_conv_legacy,
    split_channels,
)
from engine.layers.conv import CONV_PARAMS, CONV_PARAMS_NO_BIAS, check_stride_with_dilation, keras_split_channels
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, boolean, choice, integer, is_known, optional, per_axis
from engine.symbols import L_in, L_out, d, k, op, p, s

# Dumoulin & Visin, relationship 14 (with dilation): the transpose of a convolution with padding p and
# stride s spreads the input s apart, adds the kernel's extent d(k - 1) + 1, removes p from each side and
# output_padding (the a of the paper) on one side.
CONVT_EXPLICIT = Formula(
    "conv_transpose_output_length",
    L_out,
    (L_in - 1) * s - 2 * p + d * (k - 1) + op + 1,
    "Output length of a transposed convolution along one axis: stride s, padding p removed from each side, "
    "dilation d, output_padding op added on one side.",
)
CONVT_VALID_KERAS = Formula(
    "conv_transpose_valid_length_keras",
    L_out,
    L_in * s + sp.Max(d * (k - 1) + 1 - s, 0),
    "Keras padding='valid' with output_padding=None: (L - 1)s + max(k_eff, s), so L·s when the kernel "
    "is shorter than the stride (PyTorch gives (L - 1)s + k_eff there).",
)
CONVT_SAME_KERAS = Formula(
    "conv_transpose_same_length_keras",
    L_out,
    L_in * s,
    "Keras padding='same' with output_padding=None: L·s, whatever the kernel or dilation.",
)


def _kernel_extent(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1) + 1


def _kernel_product(sizes) -> int:
    out = 1
    for n in sizes:
        out *= n
    return out


def _too_small(value, where: str, fld: str, detail: str):
    if is_known(value) and value < 1:
        raise ShapeError("output_too_small", f"computed output size {value} on {where} is below 1 ({detail})", fld)


def torch_conv_transpose_rule(ctx) -> Outcome:
    """PyTorch ConvTranspose1d/2d/3d: (N, C_in, *L) or unbatched (C_in, *L) -> (N, C_out, *L_out)."""
    rank, prm = ctx.spec.rank, ctx.p
    c_in, c_out, groups = prm["in_channels"], prm["out_channels"], prm["groups"]
    check_divisible(c_in, groups, "in_channels", "params.in_channels")
    check_divisible(c_out, groups, "out_channels", "params.out_channels")
    if prm["padding_mode"] != "zeros":
        raise ShapeError(
            "unsupported_padding_mode",
            f'only "zeros" padding mode is supported for {ctx.spec.name}, received {prm["padding_mode"]!r}',
            "params.padding_mode",
        )
    strides, dilation, out_pad = prm["stride"], prm["dilation"], prm["output_padding"]
    for a in range(rank):
        if out_pad[a] >= max(strides[a], dilation[a]):
            raise ShapeError(
                "output_padding_too_large",
                f"output padding must be smaller than either stride or dilation, received output_padding={list(out_pad)}, "
                f"stride={list(strides)}, dilation={list(dilation)} (axis {axis_name(rank, a)}: {out_pad[a]} is not "
                f"below max({strides[a]}, {dilation[a]}))",
                "params.output_padding",
            )
    lead, channels, spatial, offset = split_channels(ctx.x, rank, channels_last=False)
    check_equal(c_in, channels, "in_channels", f"input_shape[{offset - 1}]", ctx.spec.name)
    out = []
    for a, length in enumerate(spatial):
        kk, st, dl, pad, extra = prm["kernel_size"][a], strides[a], dilation[a], prm["padding"][a], out_pad[a]
        where = f"axis {axis_name(rank, a)}"
        value = ctx.apply(CONVT_EXPLICIT, where, L_in=length, s=st, p=pad, d=dl, k=kk, op=extra)
        _too_small(
            value,
            where,
            f"input_shape[{offset + a}]",
            f"input {length}, stride {st}, padding {pad}, dilated kernel {_kernel_extent(kk, dl)}, output_padding {extra}",
        )
        out.append(value)
    kernel = _kernel_product(prm["kernel_size"])
    formula = CONV_PARAMS if prm["bias"] else CONV_PARAMS_NO_BIAS
    count = ctx.apply(formula, "parameters", C_out=c_out, C_in=c_in, g=groups, K=kernel)
    weights = {"weight": (c_in, c_out // groups, *prm["kernel_size"])}
    if prm["bias"]:
        weights["bias"] = (c_out,)
    return Outcome({"output": (*lead, c_out, *out)}, weights, param_count=count)


def keras_conv_transpose_rule(ctx) -> Outcome:
    """Keras Conv1DTranspose/2D/3D: (N, *L, C) -> (N, *L_out, filters) (channels_last), or channels_first."""
    rank, prm = ctx.spec.rank, ctx.p
    filters, padding, strides, dilation = prm["filters"], prm["padding"], prm["strides"], prm["dilation_rate"]
    out_pad = prm["output_padding"]
    if out_pad is not None:
        for a in range(rank):
            if out_pad[a] >= strides[a]:
                raise ShapeError(
                    "output_padding_too_large",
                    f"output_padding must be strictly less than strides for all dimensions: at dimension {a} "
                    f"output_padding is {out_pad[a]} but strides is {strides[a]}, received output_padding={list(out_pad)}, "
                    f"strides={list(strides)}",
                    "params.output_padding",
                )
    check_stride_with_dilation(strides, dilation)
    lead, channels, spatial, offset, _ = keras_split_channels(ctx)
    out = []
    for a, length in enumerate(spatial):
        kk, st, dl = prm["kernel_size"][a], strides[a], dilation[a]
        where = f"axis {axis_name(rank, a)}"
        if out_pad is None:
            if padding == "valid":
                out.append(ctx.apply(CONVT_VALID_KERAS, where, L_in=length, s=st, d=dl, k=kk))
            else:
                out.append(ctx.apply(CONVT_SAME_KERAS, where, L_in=length, s=st))
            continue
        # An explicit output_padding: Keras crops k_eff // 2 from each side for 'same' (PyTorch's rule with
        # p = k_eff // 2), nothing for 'valid'. An even kernel thus gives (L - 1)s + op, not L·s.
        pad = _kernel_extent(kk, dl) // 2 if padding == "same" else 0
        where_p = f"{where} (padding='{padding}': p = {'k_eff // 2' if padding == 'same' else '0'})"
        out.append(ctx.apply(CONVT_EXPLICIT, where_p, L_in=length, s=st, p=pad, d=dl, k=kk, op=out_pad[a]))
        # Keras returns an empty axis (size 0) for L=1, 'same', an even kernel and op=0; it does not raise.
    kernel = _kernel_product(prm["kernel_size"])
    formula = CONV_PARAMS if prm["use_bias"] else CONV_PARAMS_NO_BIAS
    count = ctx.apply(formula, "parameters", C_out=filters, C_in=channels, g=1, K=kernel)
    weights = {"kernel": (*prm["kernel_size"], filters, channels)}
    if prm["use_bias"]:
        weights["bias"] = (filters,)
    channels_last = prm["data_format"] != "channels_first"
    output = apply_output_activation(
        ctx,
        join_channels(lead, filters, out, channels_last),
        "params.filters" if channels_last else "params.activation",
    )
    return Outcome({"output": output}, weights, param_count=count)


def keras_conv_transpose_params(rank: int):
    common = {
        "filters": Param("filters", integer(), doc="Number of filters: the output's channel count."),
        "kernel_size": Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
        "strides": Param("strides", per_axis(), 1, "Upsampling step per axis."),
        "padding": Param(
            "padding",
            choice("valid", "same"),
            "valid",
            "'valid' ((L-1)s + max(k_eff, s) without output_padding) or 'same' (L·s without output_padding).",
        ),
        "output_padding": Param(
            "output_padding",
            optional(per_axis(minimum=0)),
            None,
            "None (Keras picks it), or extra length on one side per axis; must be below strides.",
        ),
        "data_format": Param(
            "data_format", choice("channels_last", "channels_first"), "channels_last", "Where the channel axis is."
        ),
        "dilation_rate": Param(
            "dilation_rate", per_axis(), 1, "Spacing between kernel taps; cannot combine with strides > 1."
        ),
        "activation": output_activation_param(),
        "use_bias": Param("use_bias", boolean(), True, "Add one bias per filter."),
    }
    # Conv3DTranspose takes data_format before output_padding; Conv1DTranspose and Conv2DTranspose after.
    order = ["filters", "kernel_size", "strides", "padding", "output_padding", "data_format"]
    if rank == 3:
        order[4:6] = ["data_format", "output_padding"]
    order += ["dilation_rate", "activation", "use_bias"]
    return tuple(common[name] for name in order)


def _torch_padding(v, rank, fld):
    if isinstance(v, str):
        raise ShapeError(
            "invalid_param",
            f"{fld.split('.')[-1]} of a transposed convolution is one int or one int per axis; "
            f"the strings 'same' and 'valid' are not accepted, received {v!r}",
            fld,
        )
    return per_axis(minimum=0)(v, rank, fld)


_torch_padding.kind = "int | tuple[int, ...]"


def torch_conv_transpose_params(rank: int):
    return (
        Param("in_channels", integer(), doc="Channels of the input (dim 1, or dim 0 unbatched)."),
        Param("out_channels", integer(), doc="Channels of the output."),
        Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
        Param("stride", per_axis(), 1, "Upsampling step per axis."),
        Param(
            "padding",
            _torch_padding,
            0,
            "d(k-1) - p zeros are added on each side: p is removed from each side of the output.",
        ),
        Param(
            "output_padding",
            per_axis(minimum=0),
            0,
            "Extra length on one side per axis; must be below max(stride, dilation).",
        ),
        Param("groups", integer(), 1, "Blocked connections; must divide in_channels and out_channels."),
        Param("bias", boolean(), True, "Add one learnable bias per output channel."),
        Param("dilation", per_axis(), 1, "Spacing between kernel taps."),
        Param(
            "padding_mode",
            choice("zeros", "reflect", "replicate", "circular", case_insensitive=False),
            "zeros",
            "Only 'zeros' is supported by transposed convolutions.",
        ),
    )


CONVT_NOTE = (
    "The transpose (gradient) of a convolution: it maps a length the convolution would produce back to one it "
    "could take. Dumoulin & Visin relationship 14: o = s(i - 1) + a + k - 2p, with k replaced by d(k - 1) + 1 "
    "for dilation and a = output_padding."
)
_KERAS_ALIASES = {
    1: ("Convolution1DTranspose",),
    2: ("Convolution2DTranspose", "Deconvolution2D", "Deconv2D"),
    3: ("Convolution3DTranspose", "Deconvolution3D", "Deconv3D"),
}

for _rank in (1, 2, 3):
    _legacy = keras_conv_legacy(_rank)
    register(
        LayerSpec(
            framework="keras",
            name=f"Conv{_rank}DTranspose",
            aliases=_KERAS_ALIASES[_rank],
            params=keras_conv_transpose_params(_rank),
            rule=keras_conv_transpose_rule,
            formulas=(CONVT_VALID_KERAS, CONVT_SAME_KERAS, CONVT_EXPLICIT, CONV_PARAMS, CONV_PARAMS_NO_BIAS, GLU_HALF),
            param_aliases=_legacy,
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="convolution",
            equivalent=f"ConvTranspose{_rank}d",
            note=CONVT_NOTE
            + " Keras: without output_padding, 'valid' gives (L-1)s + max(k_eff, s) and 'same' gives L·s; with an "
            "explicit output_padding op (< strides), 'valid' gives (L-1)s + k_eff + op and 'same' removes k_eff//2 "
            "from each side, so k=4, s=2, op=0 takes 7 to 12, not 14. strides > 1 cannot combine with dilation_rate > 1.",
        )
    )
    register(
        LayerSpec(
            framework="pytorch",
            name=f"ConvTranspose{_rank}d",
            params=torch_conv_transpose_params(_rank),
            rule=torch_conv_transpose_rule,
            formulas=(CONVT_EXPLICIT, CONV_PARAMS, CONV_PARAMS_NO_BIAS),
            rank=_rank,
            input_ranks=(_rank + 1, _rank + 2),
            category="convolution",
            equivalent=f"Conv{_rank}DTranspose",
            note=CONVT_NOTE
            + " PyTorch: output_padding must be below max(stride, dilation) (so stride 1, dilation 2 allows 1); an "
            "output below 1 is an error. Weight shape is (in_channels, out_channels/groups, *kernel).",
        )
    )
