"""Keras depthwise and separable convolutions: the spatial rule of Conv, channels times depth_multiplier."""

from __future__ import annotations

from engine.compile import Formula
from engine.layers._activations import GLU_HALF, apply_output_activation, output_activation_param
from engine.layers._common import join_channels, keras_conv_legacy
from engine.layers.conv import CONV_SAME_KERAS, CONV_VALID, keras_conv_lengths, keras_split_channels
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, boolean, choice, integer, per_axis
from engine.symbols import C_in, C_out, K, P, m

DEPTHWISE_PARAMS = Formula(
    "depthwise_param_count",
    P,
    C_in * m * K + C_in * m,
    "Each of the C_in channels gets m filters of K taps (K = product of kernel sizes), plus one bias per output channel (C_in·m).",
)
DEPTHWISE_PARAMS_NO_BIAS = Formula("depthwise_param_count_no_bias", P, C_in * m * K, "Without bias.")
SEPARABLE_PARAMS = Formula(
    "separable_param_count",
    P,
    C_in * m * K + C_in * m * C_out + C_out,
    "Depthwise kernel (K·C_in·m), then a 1×1 pointwise kernel from C_in·m channels to C_out filters, plus one bias per filter.",
)
SEPARABLE_PARAMS_NO_BIAS = Formula("separable_param_count_no_bias", P, C_in * m * K + C_in * m * C_out, "Without bias.")


def _kernel_product(sizes) -> int:
    out = 1
    for n in sizes:
        out *= n
    return out


def depthwise_rule(ctx) -> Outcome:
    """(N, *L, C) -> (N, *L_out, C·depth_multiplier) (channels_last), or channels_first."""
    prm = ctx.p
    mult = prm["depth_multiplier"]
    lead, channels, spatial, offset, _ = keras_split_channels(ctx)
    out = keras_conv_lengths(ctx, spatial, offset, prm["padding"], prm["strides"], prm["dilation_rate"])
    kernel = _kernel_product(prm["kernel_size"])
    formula = DEPTHWISE_PARAMS if prm["use_bias"] else DEPTHWISE_PARAMS_NO_BIAS
    count = ctx.apply(formula, "parameters", C_in=channels, m=mult, K=kernel)
    weights = {"kernel": (*prm["kernel_size"], channels, mult)}
    if prm["use_bias"]:
        weights["bias"] = (channels * mult,)
    channels_last = prm["data_format"] != "channels_first"
    output = apply_output_activation(ctx, join_channels(lead, channels * mult, out, channels_last))
    return Outcome({"output": output}, weights, param_count=count)


def separable_rule(ctx) -> Outcome:
    """(N, *L, C) -> (N, *L_out, filters): a depthwise convolution then a 1×1 convolution."""
    prm = ctx.p
    mult, filters, rank = prm["depth_multiplier"], prm["filters"], ctx.spec.rank
    lead, channels, spatial, offset, _ = keras_split_channels(ctx)
    out = keras_conv_lengths(ctx, spatial, offset, prm["padding"], prm["strides"], prm["dilation_rate"])
    kernel = _kernel_product(prm["kernel_size"])
    formula = SEPARABLE_PARAMS if prm["use_bias"] else SEPARABLE_PARAMS_NO_BIAS
    count = ctx.apply(formula, "parameters", C_in=channels, m=mult, K=kernel, C_out=filters)
    weights = {
        "depthwise_kernel": (*prm["kernel_size"], channels, mult),
        "pointwise_kernel": (*(1,) * rank, channels * mult, filters),
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


_COMMON = {
    "kernel_size": Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
    "strides": Param("strides", per_axis(), 1, "Step between windows per axis."),
    "padding": Param("padding", choice("valid", "same"), "valid", "'valid' (no padding) or 'same' (output ceil(L/s))."),
    "depth_multiplier": Param("depth_multiplier", integer(), 1, "Filters per input channel in the depthwise step."),
    "data_format": Param(
        "data_format", choice("channels_last", "channels_first"), "channels_last", "Where the channel axis is."
    ),
    "dilation_rate": Param("dilation_rate", per_axis(), 1, "Spacing between kernel taps (strides > 1 allowed here)."),
    "activation": output_activation_param(),
    "use_bias": Param("use_bias", boolean(), True, "Add one bias per output channel."),
    "filters": Param("filters", integer(), doc="Number of filters of the pointwise step: the output's channel count."),
}
_DEPTHWISE_ORDER = (
    "kernel_size",
    "strides",
    "padding",
    "depth_multiplier",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
)
_SEPARABLE_ORDER = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "depth_multiplier",
    "activation",
    "use_bias",
)
_NOTE = (
    "The output length per axis follows Keras Conv (Dumoulin & Visin relationship 6: "
    "o = floor((i - d(k-1) - 1)/s) + 1 for 'valid', ceil(i/s) for 'same'). Unlike Conv, strides > 1 may combine "
    "with dilation_rate > 1, and 'causal' padding is not accepted."
)

for _rank in (1, 2):
    register(
        LayerSpec(
            framework="keras",
            name=f"DepthwiseConv{_rank}D",
            params=tuple(_COMMON[n] for n in _DEPTHWISE_ORDER),
            rule=depthwise_rule,
            formulas=(CONV_VALID, CONV_SAME_KERAS, DEPTHWISE_PARAMS, DEPTHWISE_PARAMS_NO_BIAS, GLU_HALF),
            param_aliases={"border_mode": "padding", "subsample": "strides"},
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="convolution",
            equivalent=f"Conv{_rank}d",
            note=_NOTE
            + f" Each channel is convolved on its own: C channels become C·depth_multiplier. PyTorch equivalent: "
            f"Conv{_rank}d(C, C*depth_multiplier, k, groups=C).",
        )
    )
    _legacy = keras_conv_legacy(_rank)
    register(
        LayerSpec(
            framework="keras",
            name=f"SeparableConv{_rank}D",
            aliases=(f"SeparableConvolution{_rank}D",),
            params=tuple(_COMMON[n] for n in _SEPARABLE_ORDER),
            rule=separable_rule,
            formulas=(CONV_VALID, CONV_SAME_KERAS, SEPARABLE_PARAMS, SEPARABLE_PARAMS_NO_BIAS, GLU_HALF),
            param_aliases=_legacy,
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="convolution",
            equivalent=None,
            note=_NOTE
            + f" A depthwise convolution (C -> C·depth_multiplier) then a 1×1 convolution to filters. PyTorch has no "
            f"single layer: Conv{_rank}d(C, C*m, k, groups=C, bias=False) followed by Conv{_rank}d(C*m, filters, 1) "
            "has the same shapes and parameter count.",
        )
    )
