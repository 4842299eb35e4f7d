"""Pooling (Keras MaxPooling/AveragePooling ND, GlobalPooling; PyTorch MaxPool/AvgPool/Adaptive*Pool).

The sliding-window formulas are the convolution ones (imported from conv.py, not copied); only
PyTorch's ceil_mode needs a formula of its own.
"""

from __future__ import annotations

import sympy as sp

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import axis_name, join_channels, shape_text, split_channels
from engine.layers.conv import CONV_EXPLICIT, CONV_SAME_KERAS, CONV_VALID
from engine.registry import register
from engine.spec import MAX_INT, LayerSpec, Outcome, Param, boolean, choice, is_known, optional, per_axis
from engine.symbols import L_in, L_out, d, k, p, s

# PyTorch ceil_mode (aten pooling_output_shape): out = ceil((L + 2p - d(k-1) - 1)/s) + 1, then minus 1
# if (out - 1)s >= L + p, i.e. if the last window would start inside the right padding. Because PyTorch
# also demands 2p <= k, that single correction is the same as capping out at ceil((L + p)/s).
POOL_CEIL_TORCH = Formula(
    "pool_ceil_length_torch",
    L_out,
    sp.Min(sp.ceiling((L_in + 2 * p - d * (k - 1) - 1) / s) + 1, sp.ceiling((L_in + p) / s)),
    "ceil_mode=True in PyTorch pooling: round the window count up, but the last window must start inside "
    "the input or the left padding: out = ceil((L+2p-d(k-1)-1)/s)+1, minus 1 if (out-1)s >= L+p.",
)

POOL_NOTE = (
    "Each spatial axis follows the same rule, with no weights. Dumoulin & Visin relationship (pooling): "
    "o = floor((i - k)/s) + 1; with padding p on both sides o = floor((i + 2p - k)/s) + 1."
)


# ---- parsers ---------------------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def keras_data_format():
    """'channels_last' / 'channels_first' (any case), None (= channels_last), or Keras 1 'tf' / 'th'."""
    pick = choice("channels_last", "channels_first")

    def parse(v, rank, fld):
        if v is None:
            return "channels_last"
        if fld.endswith("dim_ordering") and v in ("tf", "th"):  # Keras 1 spelling
            return "channels_last" if v == "tf" else "channels_first"
        return pick(v, rank, fld)

    parse.kind = "'channels_last' | 'channels_first' | None"
    return parse


def torch_stride():
    """None (or an empty list) means stride = kernel_size."""
    widen = per_axis()

    def parse(v, rank, fld):
        if v is None or (isinstance(v, (list, tuple)) and len(v) == 0):
            return None
        return widen(v, rank, fld)

    parse.kind = "int | tuple[int, ...] | None"
    return parse


def divisor():
    """divisor_override: None or a non-zero integer."""

    def parse(v, rank, fld):
        if v is None:
            return None
        if not _is_int(v) or not -MAX_INT <= v <= MAX_INT:
            raise ShapeError("invalid_param", f"divisor_override must be an integer, received {v!r}", fld)
        if v == 0:
            raise ShapeError("invalid_param", "divisor must be not zero, received divisor_override=0", fld)
        return v

    parse.kind = "int | None"
    return parse


def adaptive_output_size(allow_none: bool):
    """An integer >= 0, or one per spatial axis; None entries keep that input size (not in 1d)."""

    def one(x, fld):
        if x is None and allow_none:
            return None
        if not _is_int(x):
            what = "an integer or None" if allow_none else "an integer (None is not accepted by the 1d layers)"
            raise ShapeError("invalid_param", f"each output_size entry must be {what}, received {x!r}", fld)
        if not 0 <= x <= MAX_INT:
            raise ShapeError(
                "invalid_param", f"elements of output_size must be greater than or equal to 0, received {x}", fld
            )
        return x

    def parse(v, rank, fld):
        if isinstance(v, (list, tuple)):
            if len(v) != rank:
                raise ShapeError("invalid_param", f"output_size must have {rank} value(s), received {list(v)!r}", fld)
            return tuple(one(x, fld) for x in v)
        if v is None:
            raise ShapeError(
                "invalid_param",
                "output_size must be an integer or a tuple"
                + (" (None only inside the tuple)" if allow_none else "")
                + ", received None",
                fld,
            )
        return one(v, fld)  # kept as an int: PyTorch treats a bare int differently from a tuple

    parse.kind = "int | tuple[int | None, ...]" if allow_none else "int | tuple[int]"
    return parse


# ---- rules -----------------------------------------------------------------------------------


def keras_pool_rule(ctx) -> Outcome:
    """Keras MaxPooling/AveragePooling 1D/2D/3D: channels kept, each spatial axis pooled."""
    rank, prm = ctx.spec.rank, ctx.p
    pool = prm["pool_size"]
    strides = prm["strides"] or pool
    channels_last = prm["data_format"] == "channels_last"
    lead, channels, spatial, offset = split_channels(ctx.x, rank, channels_last)
    if prm["padding"] == "same" and ctx.spec.options.get("same_checks_unpadded_input"):
        _check_keras_avg3d_same(spatial, pool, strides, offset)
    out = []
    for a, length in enumerate(spatial):
        where = f"axis {axis_name(rank, a)}"
        if prm["padding"] == "same":
            out.append(ctx.apply(CONV_SAME_KERAS, where, L_in=length, s=strides[a]))
            continue
        value = ctx.apply(CONV_VALID, where, L_in=length, k=pool[a], s=strides[a], d=1)
        if is_known(value) and value < 1:
            raise ShapeError(
                "output_too_small",
                f"computed output size would be zero or negative: pool_size {pool[a]} is larger than the input "
                f"{length} on {where} with padding='valid'",
                f"input_shape[{offset + a}]",
            )
        out.append(value)
    return Outcome({"output": join_channels(lead, channels, out, channels_last)})


def _keras_same_padding(length: int, pool: int, stride: int) -> int:
    """The total 'same' padding Keras's torch backend computes for one axis of a pooling."""
    if stride == 1:
        return pool - 1
    return max(0, (-(-length // stride) - 1) * stride + pool - length)


def _check_keras_avg3d_same(spatial, pool, strides, offset) -> None:
    """Keras AveragePooling3D, padding='same', on the torch backend: when every axis pads evenly, the padding
    is handed to torch's avg_pool3d, which refuses an input (before padding) smaller than the pool; an
    uneven axis makes Keras pad the tensor itself, and then every axis is at least the pool."""
    if not all(is_known(length) for length in spatial):
        return
    if any(_keras_same_padding(length, pool[a], strides[a]) % 2 for a, length in enumerate(spatial)):
        return
    for a, length in enumerate(spatial):
        if length < pool[a]:
            raise ShapeError(
                "input_smaller_than_pool",
                f"input {length} is smaller than pool_size {pool[a]} on axis {axis_name(3, a)}: with padding='same' "
                "padding evenly on every axis, the torch backend's avg_pool3d checks the input before padding",
                f"input_shape[{offset + a}]",
            )


def keras_global_pool_rule(ctx) -> Outcome:
    """Keras GlobalAveragePooling/GlobalMaxPooling: (N, *L, C) -> (N, C), or (N, 1, ..., C) with keepdims."""
    rank, prm = ctx.spec.rank, ctx.p
    channels_last = prm["data_format"] == "channels_last"
    lead, channels, spatial, _ = split_channels(ctx.x, rank, channels_last)
    if prm["keepdims"]:
        return Outcome({"output": join_channels(lead, channels, [1] * rank, channels_last)})
    return Outcome({"output": (*lead, channels)})


def torch_pool_rule(ctx) -> Outcome:
    """PyTorch MaxPool/AvgPool 1d/2d/3d: (N, C, *L) or unbatched (C, *L); channels kept."""
    rank, prm = ctx.spec.rank, ctx.p
    kernel, pad = prm["kernel_size"], prm["padding"]
    stride = prm["stride"] or kernel
    dilation = prm.get("dilation") or (1,) * rank
    ceil_mode = prm["ceil_mode"]
    for a in range(rank):
        if 2 * pad[a] > kernel[a]:  # checked on kernel_size, whatever the dilation
            raise ShapeError(
                "padding_too_large",
                f"pad should be at most half of kernel size, but got padding={pad[a]} and kernel_size={kernel[a]} "
                f"on axis {axis_name(rank, a)}",
                "params.padding",
            )
    lead, channels, spatial, offset = split_channels(ctx.x, rank, channels_last=False)
    if ctx.spec.options.get("input_at_least_kernel"):  # AvgPool3d compares the unpadded input with the kernel
        for a, length in enumerate(spatial):
            if is_known(length) and length < kernel[a]:
                raise ShapeError(
                    "input_smaller_than_kernel",
                    f"input image {length} is smaller than kernel size {kernel[a]} on axis {axis_name(rank, a)} "
                    f"(AvgPool3d checks the input before padding, padding={pad[a]})",
                    f"input_shape[{offset + a}]",
                )
    out = []
    for a, length in enumerate(spatial):
        where = f"axis {axis_name(rank, a)}"
        values = {"L_in": length, "p": pad[a], "k": kernel[a], "s": stride[a], "d": dilation[a]}
        value = ctx.apply(POOL_CEIL_TORCH if ceil_mode else CONV_EXPLICIT, where, **values)
        if is_known(value) and value < 1:
            extent = dilation[a] * (kernel[a] - 1) + 1
            raise ShapeError(
                "output_too_small",
                f"calculated output size {value} is too small on {where}: input {length}, padding {pad[a]}, "
                f"kernel {extent}{' (dilated)' if dilation[a] > 1 else ''}, stride {stride[a]}",
                f"input_shape[{offset + a}]",
            )
        out.append(value)
    shape = (*lead, channels, *out)
    outputs = {"output": shape}
    if prm.get("return_indices"):
        outputs["indices"] = shape
    return Outcome(outputs)


def torch_adaptive_rule(ctx) -> Outcome:
    """PyTorch AdaptiveAvgPool/AdaptiveMaxPool: each spatial axis becomes output_size (None keeps it)."""
    rank, sizes, x = ctx.spec.rank, ctx.p["output_size"], ctx.x
    if isinstance(sizes, tuple) and len(x) <= rank:  # a tuple is matched against the input's trailing dims
        raise ShapeError(
            "rank_mismatch",
            f"input dimension should be at least {rank + 1} when output_size is a tuple, received rank {len(x)}",
            "input_shape",
        )
    if not isinstance(sizes, tuple):
        sizes = (sizes,) * rank
    out = tuple(length if size is None else size for size, length in zip(sizes, x[len(x) - rank :], strict=True))
    if len(x) not in (rank + 1, rank + 2):
        # AdaptiveAvgPool2d/3d compute an all-ones output as a mean over the last axes, for any rank.
        if not (ctx.spec.options.get("mean_shortcut") and all(v == 1 for v in out)):
            raise ShapeError(
                "rank_mismatch",
                f"{ctx.spec.name} expects a {rank + 1}D or {rank + 2}D input, received rank {len(x)}: {shape_text(x)}"
                + (
                    f" (any rank of at least {rank} works only when every output size is 1)"
                    if ctx.spec.options.get("mean_shortcut")
                    else ""
                ),
                "input_shape",
            )
    shape = (*x[: len(x) - rank], *out)
    outputs = {"output": shape}
    if ctx.p.get("return_indices"):
        outputs["indices"] = shape
    return Outcome(outputs)


# ---- declarations ----------------------------------------------------------------------------


def keras_pool_params():
    return (
        Param("pool_size", per_axis(), 2, "Window size, one int or one per spatial axis."),
        Param("strides", optional(per_axis()), None, "Step between windows per axis; None means pool_size."),
        Param(
            "padding",
            choice("valid", "same", case_insensitive=False),
            "valid",
            "'valid' (windows inside the input) or 'same' (output ceil(L/s), even for a pool larger than the input).",
        ),
        Param("data_format", keras_data_format(), "channels_last", "Where the channel axis is."),
    )


def torch_pool_params(kind: str, rank: int):
    params = [
        Param("kernel_size", per_axis(), doc="Window size, one int or one per spatial axis."),
        Param("stride", torch_stride(), None, "Step between windows per axis; None means kernel_size."),
        Param("padding", per_axis(minimum=0), 0, "Implicit padding on both sides; at most kernel_size/2."),
    ]
    if kind == "max":
        params += [
            Param("dilation", per_axis(), 1, "Spacing between window taps."),
            Param("return_indices", boolean(), False, "Also return the argmax indices (a second output, same shape)."),
            Param("ceil_mode", boolean(), False, "Round the window count up (the last window must start inside)."),
        ]
    else:
        params += [
            Param("ceil_mode", boolean(), False, "Round the window count up (the last window must start inside)."),
            Param("count_include_pad", boolean(), True, "Count padded zeros in the average; no shape change."),
        ]
        if rank > 1:
            params.append(Param("divisor_override", divisor(), None, "Divide by this instead of the window size."))
    return tuple(params)


for _rank in (1, 2, 3):
    _legacy = {"border_mode": "padding"}
    if _rank == 1:
        _legacy.update({"pool_length": "pool_size", "stride": "strides"})
    else:
        _legacy["dim_ordering"] = "data_format"
    for _mode, _keras, _short, _torch in (
        ("max", "MaxPooling", "MaxPool", "Max"),
        ("average", "AveragePooling", "AvgPool", "Avg"),
    ):
        register(
            LayerSpec(
                framework="keras",
                name=f"{_keras}{_rank}D",
                aliases=(f"{_short}{_rank}D",),
                params=keras_pool_params(),
                rule=keras_pool_rule,
                formulas=(CONV_VALID, CONV_SAME_KERAS),
                param_aliases=dict(_legacy),
                rank=_rank,
                input_ranks=(_rank + 2,),
                category="pooling",
                equivalent=f"{_torch}Pool{_rank}d",
                note=POOL_NOTE
                + " strides defaults to pool_size. 'valid' uses the convolution formula with d = 1 and rejects an "
                "output below 1; 'same' gives ceil(L/s) for any pool size"
                + (
                    ", except that on the torch backend an input axis smaller than the pool fails when the 'same' "
                    "padding is even on every axis (torch's avg_pool3d checks the input before padding)."
                    if (_mode, _rank) == ("average", 3)
                    else "."
                ),
                options={"mode": _mode, "same_checks_unpadded_input": (_mode, _rank) == ("average", 3)},
            )
        )
        _global = f"Global{_keras}{_rank}D"
        register(
            LayerSpec(
                framework="keras",
                name=_global,
                aliases=(f"Global{_short}{_rank}D",),
                params=(
                    Param("data_format", keras_data_format(), "channels_last", "Where the channel axis is."),
                    Param("keepdims", boolean(), False, "Keep each spatial axis as size 1."),
                ),
                rule=keras_global_pool_rule,
                param_aliases={} if _rank == 1 else {"dim_ordering": "data_format"},
                rank=_rank,
                input_ranks=(_rank + 2,),
                category="pooling",
                equivalent=f"Adaptive{_torch}Pool{_rank}d",
                note="Reduces every spatial axis: (N, *L, C) -> (N, C), or (N, 1, ..., 1, C) with keepdims=True. "
                f"PyTorch writes it Adaptive{_torch}Pool{_rank}d(1) (then flatten).",
                options={"mode": _mode},
            )
        )
        register(
            LayerSpec(
                framework="pytorch",
                name=f"{_torch}Pool{_rank}d",
                params=torch_pool_params("max" if _mode == "max" else "avg", _rank),
                rule=torch_pool_rule,
                formulas=(CONV_EXPLICIT, POOL_CEIL_TORCH),
                rank=_rank,
                input_ranks=(_rank + 1, _rank + 2),
                category="pooling",
                equivalent=f"{_keras}{_rank}D",
                note=POOL_NOTE
                + " stride defaults to kernel_size; 2·padding must not exceed kernel_size (whatever the dilation); "
                "an output below 1 is rejected."
                + (
                    " Unlike the 1d/2d layers, AvgPool3d also rejects an input (before padding) smaller than the kernel."
                    if (_mode, _rank) == ("average", 3)
                    else ""
                )
                + (
                    " return_indices=True adds a second output, the indices, of the same shape."
                    if _mode == "max"
                    else ""
                ),
                options={"input_at_least_kernel": (_mode, _rank) == ("average", 3)},
            )
        )
        _adaptive_params = [
            Param(
                "output_size",
                adaptive_output_size(allow_none=_rank > 1),
                doc="Target size, one int or one per spatial axis" + ("; None keeps that axis." if _rank > 1 else "."),
            )
        ]
        if _mode == "max":
            _adaptive_params.append(
                Param("return_indices", boolean(), False, "Also return the indices (a second output).")
            )
        register(
            LayerSpec(
                framework="pytorch",
                name=f"Adaptive{_torch}Pool{_rank}d",
                params=tuple(_adaptive_params),
                rule=torch_adaptive_rule,
                rank=_rank,
                input_ranks=tuple(range(_rank, 9)) if _mode == "average" and _rank > 1 else (_rank + 1, _rank + 2),
                options={"mean_shortcut": _mode == "average" and _rank > 1},
                category="pooling",
                equivalent=_global,
                note="The output is exactly output_size, whatever the input (it may be larger than the input; 0 gives "
                "an empty axis)."
                + (" A None entry keeps that input size." if _rank > 1 else " None is rejected by the 1d layer.")
                + (" return_indices=True adds a second output, the indices." if _mode == "max" else "")
                + f" Adaptive{_torch}Pool{_rank}d(1) + flatten is Keras Global{_keras}{_rank}D."
                + (
                    " An all-ones output is computed as a mean over the last axes, so it takes any input rank."
                    if _mode == "average" and _rank > 1
                    else ""
                ),
            )
        )
