"""Rearranging layers (PyTorch): PixelShuffle / PixelUnshuffle, ChannelShuffle, Unfold / Fold.

No weights. They move values between the channel axis and the spatial axes (or between blocks and
columns) without computing anything, so each output size is a product or an exact quotient of input
sizes. Unfold and Fold count sliding blocks with the convolution length formula of engine/layers/conv.py
(imported, applied per axis), and multiply the per-axis counts with reshape's flattening step.
"""

from __future__ import annotations

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import axis_name, split_channels
from engine.layers.conv import CONV_EXPLICIT
from engine.layers.reshape import FLATTEN_STEP, multiply_axes
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, integer, is_known, per_axis
from engine.symbols import C_in, C_out, K, L_in, L_out, shuffle_r

PIXEL_SHUFFLE_CHANNELS = Formula(
    "pixel_shuffle_channels",
    C_out,
    C_in / shuffle_r**2,
    "PixelShuffle: every r² channels become one r×r patch. Exact: the channels must divide by r².",
)
PIXEL_SHUFFLE_LENGTH = Formula(
    "pixel_shuffle_length",
    L_out,
    L_in * shuffle_r,
    "PixelShuffle: each of H and W grows r times (upscale_factor r).",
)
PIXEL_UNSHUFFLE_CHANNELS = Formula(
    "pixel_unshuffle_channels",
    C_out,
    C_in * shuffle_r**2,
    "PixelUnshuffle: every r×r patch becomes r² channels (downscale_factor r).",
)
PIXEL_UNSHUFFLE_LENGTH = Formula(
    "pixel_unshuffle_length",
    L_out,
    L_in / shuffle_r,
    "PixelUnshuffle: each of H and W shrinks r times. Exact: both must divide by r.",
)
UNFOLD_CHANNELS = Formula(
    "unfold_channels",
    C_out,
    C_in * K,
    "Unfold: each column holds one block, C channels times K = k_h·k_w kernel positions.",
)
FOLD_CHANNELS = Formula(
    "fold_channels",
    C_out,
    C_in / K,
    "Fold: a column of C_in = C·K values goes back to C channels (K = product of kernel_size). "
    "Exact: the input's channel dimension must divide by K.",
)


def _pair(values) -> str:
    return "(" + ", ".join("None" if v is None else str(v) for v in values) + ")"


def _window(prm: dict, keys: tuple) -> str:
    return ", ".join(f"{key}={_pair(prm[key])}" for key in keys)


# ---- PixelShuffle / PixelUnshuffle ------------------------------------------------------------------


def pixel_shuffle_rule(ctx) -> Outcome:
    """(*, C·r², H, W) -> (*, C, H·r, W·r); any number of leading dims (none: a rank-3 input)."""
    r = ctx.p["upscale_factor"]
    rank = ctx.rank
    channels, height, width = ctx.x[-3:]
    if is_known(channels) and channels % (r * r):
        raise ShapeError(
            "not_divisible",
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}",
            f"input_shape[{rank - 3}]",
        )
    out_c = ctx.apply(PIXEL_SHUFFLE_CHANNELS, "channels", C_in=channels, r=r)
    out_h = ctx.apply(PIXEL_SHUFFLE_LENGTH, "axis H", L_in=height, r=r)
    out_w = ctx.apply(PIXEL_SHUFFLE_LENGTH, "axis W", L_in=width, r=r)
    return Outcome({"output": (*ctx.x[:-3], out_c, out_h, out_w)})


def pixel_unshuffle_rule(ctx) -> Outcome:
    """(*, C, H·r, W·r) -> (*, C·r², H, W); height is checked before width, as torch does."""
    r = ctx.p["downscale_factor"]
    rank = ctx.rank
    channels, height, width = ctx.x[-3:]
    for name, value, offset in (("height", height, 2), ("width", width, 1)):
        if is_known(value) and value % r:
            raise ShapeError(
                "not_divisible",
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size(-{offset})={value} is not divisible by {r}",
                f"input_shape[{rank - offset}]",
            )
    out_c = ctx.apply(PIXEL_UNSHUFFLE_CHANNELS, "channels", C_in=channels, r=r)
    out_h = ctx.apply(PIXEL_UNSHUFFLE_LENGTH, "axis H", L_in=height, r=r)
    out_w = ctx.apply(PIXEL_UNSHUFFLE_LENGTH, "axis W", L_in=width, r=r)
    return Outcome({"output": (*ctx.x[:-3], out_c, out_h, out_w)})


# ---- ChannelShuffle ---------------------------------------------------------------------------------


def channel_shuffle_rule(ctx) -> Outcome:
    """Shape kept; the channels are dim 1 whatever the rank (a rank-3 input is (N, C, L), not unbatched)."""
    groups, channels = ctx.p["groups"], ctx.x[1]
    if is_known(channels) and channels % groups:
        raise ShapeError(
            "groups_mismatch",
            f"Number of channels must be divisible by groups. Got {channels} channels and {groups} groups.",
            "input_shape[1]",
        )
    return Outcome({"output": ctx.x})


# ---- Unfold / Fold ----------------------------------------------------------------------------------


def _block_counts(ctx, lengths) -> list:
    """Sliding blocks along each spatial axis: the convolution output length, one application per axis."""
    prm = ctx.p
    return [
        ctx.apply(
            CONV_EXPLICIT,
            f"blocks along {axis_name(2, a)}",
            L_in=length,
            p=prm["padding"][a],
            k=prm["kernel_size"][a],
            s=prm["stride"][a],
            d=prm["dilation"][a],
        )
        for a, length in enumerate(lengths)
    ]


def unfold_rule(ctx) -> Outcome:
    """(N, C, H, W) or unbatched (C, H, W) -> (N, C·k_h·k_w, L_H·L_W)."""
    prm = ctx.p
    lead, channels, spatial, offset = split_channels(ctx.x, 2, channels_last=False)
    blocks = _block_counts(ctx, spatial)
    for a, count in enumerate(blocks):
        if is_known(count) and count < 1:
            raise ShapeError(
                "output_too_small",
                f"Given input with spatial size {_pair(spatial)}, {_window(prm, ('kernel_size', 'dilation', 'padding'))}, "
                f"calculated shape of the array of sliding blocks as {_pair(blocks)}, but its components must be at least one.",
                f"input_shape[{offset + a}]",
            )
    kernel = prm["kernel_size"][0] * prm["kernel_size"][1]
    out_c = ctx.apply(UNFOLD_CHANNELS, "channels", C_in=channels, K=kernel)
    total = multiply_axes(ctx, blocks, ["blocks along H", "blocks along W"])
    return Outcome({"output": (*lead, out_c, total)})


def fold_rule(ctx) -> Outcome:
    """(N, C·k_h·k_w, L) or unbatched (C·k_h·k_w, L) -> (N, C, *output_size); L must be the block count."""
    prm = ctx.p
    size = prm["output_size"]
    columns, length = ctx.x[-2:]
    kernel = prm["kernel_size"][0] * prm["kernel_size"][1]
    dim = ctx.rank - 2
    if is_known(columns) and columns % kernel:
        raise ShapeError(
            "not_divisible",
            f"Expected size of input's dimension {dim} to be divisible by the product of kernel_size, but got "
            f"input.size({dim})={columns} and kernel_size={_pair(prm['kernel_size'])}.",
            f"input_shape[{dim}]",
        )
    window = _window(prm, ("output_size", "kernel_size", "dilation", "padding", "stride"))
    blocks = _block_counts(ctx, size)
    # torch compares L first, and words a non-positive count as "-1 * -1 = 1"; the clearer error goes first.
    if any(count < 1 for count in blocks):
        raise ShapeError(
            "output_too_small",
            f"Given {window}, calculated shape of the array of sliding blocks as {_pair(blocks)}, "
            "which is too small (non-positive)",
            "params.output_size",
        )
    total = multiply_axes(ctx, blocks, ["blocks along H", "blocks along W"])
    if is_known(length) and length != total:
        raise ShapeError(
            "size_mismatch",
            f"Given {window}, expected size of input's dimension {dim + 1} to match the calculated number of sliding "
            f"blocks {blocks[0]} * {blocks[1]} = {total}, but got input.size({dim + 1})={length}.",
            f"input_shape[{dim + 1}]",
        )
    out_c = ctx.apply(FOLD_CHANNELS, "channels", C_in=columns, K=kernel)
    return Outcome({"output": (*ctx.x[:-2], out_c, *size)})


# ---- declarations -----------------------------------------------------------------------------------

ANY_LEAD = tuple(range(3, 9))
NO_KERAS = " Keras has no such layer: keras.ops.{op} does it on a tensor (in a custom layer)."
WINDOW_PARAMS = (
    Param("dilation", per_axis(), 1, "Spacing between kernel taps, one int or one per axis (H, W)."),
    Param("padding", per_axis(minimum=0), 0, "Implicit zeros on both sides of each axis, one int or one per axis."),
    Param("stride", per_axis(), 1, "Step between blocks, one int or one per axis."),
)

register(
    LayerSpec(
        framework="pytorch",
        name="PixelShuffle",
        params=(Param("upscale_factor", integer(), doc="r: each of H and W grows r times, channels shrink r² times."),),
        rule=pixel_shuffle_rule,
        formulas=(PIXEL_SHUFFLE_CHANNELS, PIXEL_SHUFFLE_LENGTH),
        input_ranks=ANY_LEAD,
        category="reshape",
        equivalent=None,
        note="(*, C·r², H, W) -> (*, C, H·r, W·r), the sub-pixel convolution of Shi et al. (2016): any number of "
        "leading dims, none included (a rank-3 input). The channels (dim -3) must divide by r²."
        + NO_KERAS.format(op="depth_to_space")
        + " It is channels_last by default.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="PixelUnshuffle",
        params=(
            Param("downscale_factor", integer(), doc="r: each of H and W shrinks r times, channels grow r² times."),
        ),
        rule=pixel_unshuffle_rule,
        formulas=(PIXEL_UNSHUFFLE_CHANNELS, PIXEL_UNSHUFFLE_LENGTH),
        input_ranks=ANY_LEAD,
        category="reshape",
        equivalent=None,
        note="(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of PixelShuffle: any number of leading dims, none "
        "included. H and W (dims -2 and -1) must both divide by r; height is checked first."
        + NO_KERAS.format(op="space_to_depth")
        + " It is channels_last by default.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="ChannelShuffle",
        params=(Param("groups", integer(), doc="Split the channels into this many groups and interleave them."),),
        rule=channel_shuffle_rule,
        input_ranks=ANY_LEAD,
        category="reshape",
        equivalent=None,
        note="Keeps the shape (ShuffleNet's channel shuffle). The channels are always dim 1 and must divide by "
        "groups; the input needs more than 2 dims. There is no unbatched form: a rank-3 input is (N, C, L), "
        "so (C, H, W) is read with H as the channels. Keras has no such layer.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="Unfold",
        params=(Param("kernel_size", per_axis(), doc="Block size, one int or one per axis (H, W)."), *WINDOW_PARAMS),
        rule=unfold_rule,
        formulas=(CONV_EXPLICIT, UNFOLD_CHANNELS, FLATTEN_STEP),
        rank=2,
        input_ranks=(3, 4),
        category="reshape",
        equivalent=None,
        note="im2col: (N, C, H, W) or unbatched (C, H, W) -> (N, C·k_h·k_w, L), one column per sliding block. "
        "L = L_H·L_W, each the convolution output length (Dumoulin & Visin relationship: "
        "o = floor((i + 2p - k - (k-1)(d-1))/s) + 1); each must be at least 1. Only 4D (or 3D) input."
        + NO_KERAS.format(op="unfold"),
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="Fold",
        params=(
            Param("output_size", per_axis(), doc="Spatial size (H, W) of the output, one int or one per axis."),
            Param("kernel_size", per_axis(), doc="Block size, one int or one per axis (H, W)."),
            *WINDOW_PARAMS,
        ),
        rule=fold_rule,
        formulas=(CONV_EXPLICIT, FLATTEN_STEP, FOLD_CHANNELS),
        rank=2,
        input_ranks=(2, 3),
        category="reshape",
        equivalent=None,
        note="col2im, the inverse of Unfold (overlaps are summed): (N, C·k_h·k_w, L) or unbatched (C·k_h·k_w, L) "
        "-> (N, C, *output_size). L must equal the number of blocks a convolution over output_size gives "
        "(Dumoulin & Visin: o = floor((i + 2p - k - (k-1)(d-1))/s) + 1 per axis, multiplied), and dim -2 must divide "
        "by k_h·k_w." + NO_KERAS.format(op="fold"),
    )
)
