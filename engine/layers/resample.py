"""Resampling and padding: Keras UpSampling/ZeroPadding/Cropping ND, PyTorch Upsample and Zero/Constant/Reflection/
Replication/CircularPad."""

from __future__ import annotations

import math

import sympy as sp

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import axis_name, join_channels, shape_text, split_channels
from engine.layers.pool import keras_data_format
from engine.registry import register
from engine.spec import MAX_INT, LayerSpec, Outcome, Param, boolean, choice, integer, is_known, optional, per_axis
from engine.symbols import L_in, L_out, crop_l, crop_r, f

UPSAMPLE_REPEAT = Formula(
    "upsample_repeat_length",
    L_out,
    L_in * f,
    "Keras UpSampling: every row (column, frame) is repeated f = size times.",
)
UPSAMPLE_SCALE_TORCH = Formula(
    "upsample_scale_length_torch",
    L_out,
    sp.floor(L_in * f),
    "PyTorch Upsample / interpolate with scale_factor f: floor(L·f), with L·f computed in double precision.",
)
PAD_LENGTH = Formula(
    "pad_length",
    L_out,
    L_in + crop_l + crop_r,
    "Padding adds c_l entries before and c_r after the axis (a negative PyTorch padding removes them).",
)
CROP_LENGTH = Formula(
    "crop_length",
    L_out,
    L_in - crop_l - crop_r,
    "Cropping removes c_l entries from the start and c_r from the end of the axis.",
)

ORDINALS = ("1st", "2nd", "3rd")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _bad(fld: str, message: str):
    raise ShapeError("invalid_param", message, fld)


# ---- parsers ---------------------------------------------------------------------------------


def keras_pairs(what: str, negative_int: bool = False):
    """Keras ZeroPadding/Cropping amounts -> ((start, end), ...) per spatial axis.

    1D: an int or (start, end). 2D/3D: an int, one int per axis (symmetric), or one (start, end) per axis.
    `negative_int`: Keras ZeroPadding2D/3D take a bare negative int without complaint (it crops).
    """

    def amount(x, fld, label):
        if not _is_int(x) or not 0 <= x <= MAX_INT:
            _bad(fld, f"each {label} must be an integer >= 0, received {x!r}")
        return x

    def pair(x, fld, label):
        if _is_int(x):
            return (amount(x, fld, label), amount(x, fld, label))
        if not isinstance(x, (list, tuple)) or len(x) != 2:
            _bad(fld, f"the {label} must be an integer or a tuple of 2 integers, received {x!r}")
        return (amount(x[0], fld, label), amount(x[1], fld, label))

    def parse(v, rank, fld):
        if _is_int(v):
            if not (negative_int and rank > 1):
                amount(v, fld, what)
            elif not -MAX_INT <= v <= MAX_INT:
                _bad(fld, f"{what} is out of range, received {v}")
            return ((v, v),) * rank
        if rank == 1:
            return (pair(v, fld, what),)
        if not isinstance(v, (list, tuple)) or len(v) != rank:
            _bad(
                fld,
                f"{what} should be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints, received {v!r}",
            )
        return tuple(pair(x, fld, f"{ORDINALS[n]} entry of {what}") for n, x in enumerate(v))

    parse.kind = "int | tuple[int, int] (1D) | tuple[int | tuple[int, int], ...] (2D, 3D)"
    return parse


def torch_padding():
    """An int (every side) or a tuple in PyTorch order: (left, right, top, bottom, front, back), last axis first."""

    def parse(v, rank, fld):
        if _is_int(v):
            if not -MAX_INT <= v <= MAX_INT:
                _bad(fld, f"padding is out of range, received {v}")
            return (v,) * (2 * rank)
        if not isinstance(v, (list, tuple)) or not 0 < len(v) <= 16:
            _bad(fld, f"padding must be an int or a tuple of ints, received {v!r}")
        for x in v:
            if not _is_int(x) or not -MAX_INT <= x <= MAX_INT:
                _bad(fld, f"padding must be a tuple of ints, but found {x!r}")
        if len(v) % 2:
            _bad(fld, f"Padding length must be divisible by 2, received {len(v)} values {list(v)!r}")
        return tuple(v)

    parse.kind = "int | tuple[int, ...]"
    return parse


def fill_value():
    """ConstantPad's fill value: any number (or None for 0); it never changes a shape."""

    def parse(v, rank, fld):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            _bad(fld, f"value must be a number, received {v!r}")
        return v

    parse.kind = "float"
    return parse


def _one_or_up_to_three(one, message: str, kind: str, single=lambda x: x):
    """A parser for one value or a tuple of 1 to 3 values, each checked by `one`."""

    def parse(v, rank, fld):
        if isinstance(v, (list, tuple)):
            if not 0 < len(v) <= 3:
                _bad(fld, f"{message}, received {list(v)!r}")
            return tuple(one(x, fld) for x in v)
        return single(one(v, fld))

    parse.kind = kind
    return parse


def int_or_ints(minimum: int):
    """Upsample size: an int or a list of ints (its length is checked against the input)."""

    def one(x, fld):
        if not _is_int(x) or not minimum <= x <= MAX_INT:
            _bad(fld, f"size must hold integers >= {minimum}, received {x!r}")
        return x

    return _one_or_up_to_three(one, "size must be an int or a tuple of 1 to 3 ints", "int | tuple[int, ...]")


def scale_factors():
    """Upsample scale_factor: a positive number or a list of them; a bare 0 means 'not given' (as in PyTorch)."""

    def one(x, fld):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            _bad(fld, f"scale_factor must be a number, received {x!r}")
        if not 0 <= x <= MAX_INT:
            _bad(fld, f"scale_factor must be positive, received {x}")
        return x

    # A single 0 means 'not given': Upsample stores `float(scale_factor) if scale_factor else None`.
    return _one_or_up_to_three(
        one,
        "scale_factor must be a number or a tuple of 1 to 3 numbers",
        "float | tuple[float, ...]",
        single=lambda x: x or None,
    )


# ---- rules -----------------------------------------------------------------------------------


def _keras_axes(ctx):
    channels_last = ctx.p.get("data_format", "channels_last") == "channels_last"
    lead, channels, spatial, offset = split_channels(ctx.x, ctx.spec.rank, channels_last)
    return lead, channels, spatial, offset, channels_last


def keras_upsampling_rule(ctx) -> Outcome:
    """Keras UpSampling1D/2D/3D: each spatial axis times its size."""
    rank = ctx.spec.rank
    size = ctx.p["size"]
    sizes = size if isinstance(size, tuple) else (size,) * rank
    lead, channels, spatial, _, channels_last = _keras_axes(ctx)
    out = [
        ctx.apply(UPSAMPLE_REPEAT, f"axis {axis_name(rank, a)}", L_in=length, f=sizes[a])
        for a, length in enumerate(spatial)
    ]
    return Outcome({"output": join_channels(lead, channels, out, channels_last)})


def _keras_edges_rule(ctx, param: str, formula, check) -> Outcome:
    """Each spatial axis changes by the (start, end) pair of `param`; `check` rejects a bad length."""
    rank = ctx.spec.rank
    lead, channels, spatial, offset, channels_last = _keras_axes(ctx)
    out = []
    for a, length in enumerate(spatial):
        start, end = ctx.p[param][a]
        where = f"axis {axis_name(rank, a)}"
        value = ctx.apply(formula, where, L_in=length, c_l=start, c_r=end)
        if is_known(value):
            check(value, start, end, length, where, f"input_shape[{offset + a}]")
        out.append(value)
    return Outcome({"output": join_channels(lead, channels, out, channels_last)})


def _check_padded(value, start, end, length, where, fld):
    if value < 0:
        raise ShapeError(
            "negative_output",
            f"negative padding {start} on each side of {where} leaves {value} (input {length}): "
            "negative dimensions are not allowed",
            fld,
        )


def _check_cropped(value, start, end, length, where, fld):
    if value < 1:
        raise ShapeError(
            "crop_too_large",
            f"cropping ({start}, {end}) must be smaller than the input: it removes {start + end} of {length} "
            f"on {where}",
            fld,
        )


def keras_padding_rule(ctx) -> Outcome:
    """Keras ZeroPadding1D/2D/3D: each spatial axis grows by its two pads."""
    return _keras_edges_rule(ctx, "padding", PAD_LENGTH, _check_padded)


def keras_cropping_rule(ctx) -> Outcome:
    """Keras Cropping1D/2D/3D: each spatial axis loses its two crops; at least 1 must remain."""
    return _keras_edges_rule(ctx, "cropping", CROP_LENGTH, _check_cropped)


def torch_pad_rule(ctx) -> Outcome:
    """PyTorch ZeroPad/ConstantPad: pads (left, right) of the last axis, then (top, bottom) of the one before..."""
    pads = ctx.p["padding"]
    shape = list(ctx.x)
    axes = len(pads) // 2
    if axes > len(shape):
        raise ShapeError(
            "rank_mismatch",
            f"padding length should be less than or equal to two times the input dimension, but got padding length "
            f"{len(pads)} and input of dimension {len(shape)}",
            "input_shape",
        )
    for j in reversed(range(axes)):  # first padded axis first, for the formulas' order
        index = len(shape) - 1 - j
        start, end = pads[2 * j], pads[2 * j + 1]
        length = shape[index]
        where = f"dim {index}" + (f" (axis {axis_name(axes, axes - 1 - j)})" if axes <= 3 else "")
        if is_known(length) and length + min(start, 0) + min(end, 0) < 0:
            raise ShapeError(
                "negative_output",
                f"negative padding ({start}, {end}) removes more than the input size {length} on {where}",
                f"input_shape[{index}]",
            )
        shape[index] = ctx.apply(PAD_LENGTH, where, L_in=length, c_l=start, c_r=end)
    return Outcome({"output": tuple(shape)})


# PyTorch's reflect / replicate / circular padding (F.pad with a non-constant mode). Its rules, as torch 2.13 runs them:
# the layer passes its padding tuple on as it is (an int is widened to 2·rank values), so the tuple's length
# 2n decides which axes are padded and which input ranks work (n + 1 unbatched or n + 2 batched, n = 1 to 3).
PAD_AXIS_LETTERS = ("W", "H", "D")  # the axis each (start, end) pair pads, last axis first as in the tuple


def _dims_text(shape) -> str:
    """A shape as torch prints sizes: [1, 3, 4, 5] (None for an unknown dim)."""
    from engine.api import show_shape

    return "[" + ", ".join("None" if v is None else str(v) for v in show_shape(shape)) + "]"


def _check_mode_dispatch(pads: tuple, shape: tuple):
    """F.pad with a non-constant mode: 2n values pad the last n axes of an (n + 1)- or (n + 2)-D input, n <= 3."""
    dim, size = len(shape), len(pads)
    if size > 2 * dim:
        raise ShapeError(
            "rank_mismatch",
            f"Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{size} and input of dimension {dim}",
            "input_shape",
        )
    n = size // 2
    if n > 3 or dim not in (n + 1, n + 2):
        raise ShapeError(
            "rank_mismatch",
            f"Padding size {size} is not supported for {dim}D input tensor ("
            + (
                "this mode pads at most 3 axes (6 values)"
                if n > 3
                else f"{size} values pad the last {n} {'axis' if n == 1 else 'axes'} of an input of rank {n + 1} or {n + 2}"
            )
            + f"; received {_dims_text(shape)})",
            "input_shape",
        )


def _check_not_empty(pads: tuple, shape: tuple):
    """Reflection/replication kernels refuse an empty dim (an empty batch of a batched input is fine)."""
    n = len(pads) // 2
    first = 1 if len(shape) == n + 2 else 0
    for index in range(first, len(shape)):
        if shape[index] == 0:
            raise ShapeError(
                "empty_input",
                f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero "
                f"dimensions for input, but got: {_dims_text(shape)}",
                f"input_shape[{index}]",
            )


def _check_reflect_limits(pads: tuple, shape: tuple):
    """Reflection mirrors without repeating the edge: each pad must be smaller than its axis (W, then H, then D)."""
    for j in range(len(pads) // 2):
        start, end = pads[2 * j], pads[2 * j + 1]
        index = len(shape) - 1 - j
        length = shape[index]
        if is_known(length) and (start >= length or end >= length):
            raise ShapeError(
                "padding_too_large",
                f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({start}, {end}) at dimension {index} of input {_dims_text(shape)}",
                "params.padding",
            )


def _check_kernel_output(pads: tuple, shape: tuple, out: list):
    """Reflection/replication: the kernel refuses an output whose padded axes are all empty (or less); past that
    check, an axis that would be negative cannot be allocated. One empty axis next to a non-empty one is fine."""
    n = len(pads) // 2
    axes = range(len(shape) - n, len(shape))  # the padded axes, outermost first
    sizes = [out[i] for i in axes]
    known = [v for v in sizes if is_known(v)]
    if len(known) == n and max(known) < 1:
        letters = PAD_AXIS_LETTERS[:n][::-1]
        given = ", ".join(f"{a}: {shape[i]}" for a, i in zip(letters, axes, strict=True))
        got = " ".join(f"{a}: {v}" for a, v in zip(letters, sizes, strict=True))
        index = next(i for i in axes if out[i] == min(known))
        raise ShapeError(
            "output_too_small",
            f"input ({given}) is too small. Calculated output {got} (padding {list(pads)})",
            f"input_shape[{index}]",
        )
    for i in axes:
        if is_known(out[i]) and out[i] < 0:
            raise ShapeError(
                "negative_output",
                f"Trying to create tensor with negative dimension {out[i]}: {_dims_text(out)} (padding {list(pads)} "
                f"on input {_dims_text(shape)})",
                f"input_shape[{i}]",
            )


def _check_circular(pads: tuple, shape: tuple, out: list):
    """Circular padding wraps around at most once (each pad <= its axis); an axis may become empty, not negative.

    Checked axis by axis, outermost padded axis first; then the slice copies that build the output."""
    n = len(pads) // 2
    axes = []
    for index in range(len(shape) - n, len(shape)):
        j = len(shape) - 1 - index
        start, end = pads[2 * j], pads[2 * j + 1]
        length = shape[index]
        where = f"dim {index} (axis {PAD_AXIS_LETTERS[j]})"
        if is_known(length) and (start > length or end > length):
            raise ShapeError(
                "padding_too_large",
                f"Padding value causes wrapping around more than once: padding ({start}, {end}) on {where} is "
                f"larger than the input size {length}",
                "params.padding",
            )
        if is_known(out[index]) and out[index] < 0:
            raise ShapeError(
                "negative_output",
                f"Negative padding value is resulting in an empty dimension: padding ({start}, {end}) leaves "
                f"{out[index]} on {where} (input {length})",
                f"input_shape[{index}]",
            )
        axes.append((index, start, end, length, where))
    _check_circular_copies(axes, out)


def _slice(size: int, start: int, end: int) -> tuple:
    """(start, end) of tensor.slice(start, end) on an axis of `size`: negative bounds count from the end, then
    both are clamped to the axis and end to at least start."""
    bounds = range(size)[start:end]
    return (bounds.start, max(bounds.stop, bounds.start))


def _copy_fails(written: tuple, read: tuple, same_tensor_dense: bool):
    """Why torch's copy_ of `read` into `written` (slices of one axis) fails, or None.

    A 1-entry source broadcasts. When both are slices of the output and dense in memory, a partial overlap is
    refused; an identical slice (full overlap) is fine."""
    wrote, got = written[1] - written[0], read[1] - read[0]
    if same_tensor_dense and wrote and got and written != read and written[0] < read[1] and read[0] < written[1]:
        return "overlap", wrote, got
    if wrote != got and got != 1:
        return "size", wrote, got
    return None


def _check_circular_copies(axes: list, out: list):
    """CircularPad builds its output with slice copies, and torch 2.13 checks nothing more before them: a crop
    deeper than the axis makes a slice bound negative, it counts from the end and the two sides no longer match;
    and a wrap-around copy between overlapping slices of the output is refused when the slices are dense in
    memory (every output dim before the axis is 1): CircularPad1d((2, -2)) rejects a (1, 3) input, not (2, 3).
    Skipped on an axis whose sizes are unknown."""
    copies = []  # (index, start, end, length, where, written, read, same tensor and dense) in torch's order
    for index, start, end, length, where in axes:  # the input copied into the middle: every axis in one copy
        if is_known(length) and is_known(out[index]):
            size = out[index]
            middle = (
                _slice(size, max(start, 0), size - max(end, 0)),
                _slice(length, max(-start, 0), length + min(end, 0)),
            )
            copies.append((index, start, end, length, where, *middle, False))
    for index, start, end, length, where in reversed(axes):  # then the wrap-around, last axis first
        size = out[index]
        if not (is_known(length) and is_known(size)):
            continue
        others = [v for i, v in enumerate(out) if i != index]
        dense = all(is_known(v) for v in others) and all(v != 0 for v in others)
        dense = dense and all(v == 1 for v in out[:index])
        right = max(end, 0)
        if start > 0:
            copies.append(
                (
                    index,
                    start,
                    end,
                    length,
                    where,
                    _slice(size, 0, start),
                    _slice(size, size - start - right, size - right),
                    dense,
                )
            )
        if end > 0:
            left = max(start, 0)
            copies.append(
                (
                    index,
                    start,
                    end,
                    length,
                    where,
                    _slice(size, size - end, size),
                    _slice(size, left, left + end),
                    dense,
                )
            )
    for index, start, end, length, where, written, read, dense in copies:
        failure = _copy_fails(written, read, dense)
        if failure is None:
            continue
        kind, wrote, got = failure
        if kind == "overlap":
            detail = (
                f"the wrap-around copy reads entries {read[0]}..{read[1] - 1} of the output into entries "
                f"{written[0]}..{written[1] - 1}, which overlap (unsupported operation: some elements of the input "
                "tensor and the written-to tensor refer to a single memory location)"
            )
        else:
            detail = (
                f"a copy reads {got} entries into {wrote} (The size of tensor a ({wrote}) must match the size of "
                f"tensor b ({got}))"
            )
        raise ShapeError(
            "crop_too_large" if kind == "size" else "padding_overlap",
            f"circular padding ({start}, {end}) on {where} (input {length}, output {out[index]}) cannot be built: "
            + detail,
            "params.padding",
        )


def torch_mode_pad_rule(ctx) -> Outcome:
    """PyTorch ReflectionPad / ReplicationPad / CircularPad 1d-3d: the last n axes grow by their two pads."""
    mode = ctx.spec.options["mode"]
    pads = ctx.p["padding"]
    shape = tuple(ctx.x)
    # CircularPadNd checks its input rank (N + 1 or N + 2) before F.pad: input_ranks does it for the engine.
    _check_mode_dispatch(pads, shape)
    if mode != "circular":
        _check_not_empty(pads, shape)
    if mode == "reflect":
        _check_reflect_limits(pads, shape)
    n = len(pads) // 2
    out = list(shape)
    for index in range(len(shape) - n, len(shape)):  # outermost padded axis first, for the formulas' order
        j = len(shape) - 1 - index
        where = f"dim {index} (axis {PAD_AXIS_LETTERS[j]})"
        out[index] = ctx.apply(PAD_LENGTH, where, L_in=shape[index], c_l=pads[2 * j], c_r=pads[2 * j + 1])
    if mode == "circular":
        _check_circular(pads, shape, out)
    else:
        _check_kernel_output(pads, shape, out)
    return Outcome({"output": tuple(out)})


UPSAMPLE_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact", "lanczos")


def torch_upsample_rule(ctx) -> Outcome:
    """PyTorch Upsample: (N, C, *L) with 1 to 3 spatial axes -> size, or floor(L * scale_factor)."""
    prm = ctx.p
    mode, size, scale = prm["mode"], prm["size"], prm["scale_factor"]
    if mode in ("nearest", "area", "nearest-exact") and prm["align_corners"] is not None:
        raise ShapeError(
            "invalid_param",
            f"align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
            f"trilinear, received mode={mode!r} and align_corners={prm['align_corners']}",
            "params.align_corners",
        )
    if size is not None and scale is not None:
        raise ShapeError("conflicting_params", "only one of size or scale_factor should be defined", "params.size")
    if size is None and scale is None:
        raise ShapeError("missing_param", "either size or scale_factor should be defined", "params.size")
    if prm["recompute_scale_factor"] and size is not None:
        raise ShapeError(
            "conflicting_params",
            "recompute_scale_factor is not meaningful with an explicit size",
            "params.recompute_scale_factor",
        )
    if mode == "lanczos":
        raise ShapeError(
            "invalid_param", "Lanczos mode requires antialias=True, which Upsample cannot set", "params.mode"
        )
    rank = len(ctx.x)
    need = UPSAMPLE_MODE_RANK.get(mode)
    if rank not in (3, 4, 5) or (need is not None and rank != need):
        want = f"{need}D input" if need else "a 3D, 4D or 5D input (N, C, d1[, d2[, d3]])"
        raise ShapeError(
            "rank_mismatch", f"mode {mode!r} needs {want}, received {rank}D input {shape_text(ctx.x)}", "input_shape"
        )
    spatial = list(ctx.x[2:])
    n = len(spatial)
    given, name = (size, "size") if size is not None else (scale, "scale_factor")
    values = given if isinstance(given, tuple) else (given,) * n
    if len(values) != n:
        raise ShapeError(
            "rank_mismatch",
            f"input and {name} must have the same number of spatial dimensions, but got input with spatial "
            f"dimensions of {list(spatial)} and {name} {list(values)}",
            f"params.{name}",
        )
    smallest = 0 if mode == "area" else 1  # 'area' is an adaptive average pool: an empty axis is allowed
    out = []
    for a, length in enumerate(spatial):
        where = f"axis {axis_name(n, a)}"
        if size is not None:
            value = values[a]
        else:
            factor = values[a]
            if not is_known(length) and isinstance(factor, float):
                # Symbolic path: the factor as the exact fraction its decimal spelling names (0.7 -> 7/10), never
                # a SymPy float. (The binary value of 0.7 is a hair below 7/10, so floor(10·that) would be 6
                # where PyTorch's double product 10 * 0.7 rounds to 7.0.) Known lengths use the double product.
                factor = sp.Rational(repr(factor))
            value = ctx.apply(UPSAMPLE_SCALE_TORCH, where, L_in=length, f=factor)
        if is_known(value) and value < smallest:
            raise ShapeError(
                "output_too_small",
                f"input and output sizes should be greater than 0, but got input {length} and output {value} on {where}",
                f"params.{name}" if size is not None else f"input_shape[{2 + a}]",
            )
        out.append(value)
    return Outcome({"output": (*ctx.x[:2], *out)})


# ---- declarations ----------------------------------------------------------------------------

RESAMPLE_NOTE = "No weights."

for _rank in (1, 2, 3):
    _fmt = (Param("data_format", keras_data_format(), "channels_last", "Where the channel axis is."),)
    if _rank == 1:
        _up_params = (Param("size", integer(), 2, "Repeat each step this many times (an int, not a tuple)."),)
    else:
        _up_params = (Param("size", per_axis(), (2,) * _rank, "Repeat factor per spatial axis."), *_fmt)
    if _rank == 2:
        _up_params += (
            Param(
                "interpolation",
                choice("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
                "nearest",
                "How new pixels are filled; never changes the shape. The torch backend takes nearest, bilinear and "
                "bicubic only; 'area' needs TensorFlow.",
            ),
        )
    register(
        LayerSpec(
            framework="keras",
            name=f"UpSampling{_rank}D",
            params=_up_params,
            rule=keras_upsampling_rule,
            formulas=(UPSAMPLE_REPEAT,),
            param_aliases={"length": "size"} if _rank == 1 else {"dim_ordering": "data_format"},
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="resampling",
            equivalent="Upsample",
            note="Each spatial axis is multiplied by its integer size (rows and columns are repeated). "
            + ("UpSampling1D has no data_format: the steps are axis 1. " if _rank == 1 else "")
            + "PyTorch: Upsample(scale_factor=size).",
        )
    )
    _zero_params = (
        Param(
            "padding",
            keras_pairs("padding", negative_int=True),
            1 if _rank == 1 else (1, 1) if _rank == 2 else ((1, 1),) * 3,
            "Zeros added: an int, one int per axis (both sides), or ((before, after), ...) per axis.",
        ),
        *_fmt,
    )
    register(
        LayerSpec(
            framework="keras",
            name=f"ZeroPadding{_rank}D",
            params=_zero_params,
            rule=keras_padding_rule,
            formulas=(PAD_LENGTH,),
            param_aliases={} if _rank == 1 else {"dim_ordering": "data_format"},
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="padding",
            equivalent=f"ZeroPad{_rank}d",
            note="Each spatial axis grows by the pads on both of its sides (Dumoulin & Visin: zero padding p "
            "makes i + 2p)."
            + (
                " A bare negative int is accepted by ZeroPadding2D/3D and crops; a negative result is rejected."
                if _rank > 1
                else ""
            ),
        )
    )
    register(
        LayerSpec(
            framework="keras",
            name=f"Cropping{_rank}D",
            params=(
                Param(
                    "cropping",
                    keras_pairs("cropping"),
                    (1, 1) if _rank == 1 else ((0, 0),) * 2 if _rank == 2 else ((1, 1),) * 3,
                    "Entries removed: an int, one int per axis (both sides), or ((start, end), ...) per axis.",
                ),
                *(() if _rank == 1 else _fmt),
            ),
            rule=keras_cropping_rule,
            formulas=(CROP_LENGTH,),
            param_aliases={} if _rank == 1 else {"dim_ordering": "data_format"},
            rank=_rank,
            input_ranks=(_rank + 2,),
            category="padding",
            equivalent=None,
            note="Each spatial axis loses its start and end crops; at least 1 entry must remain. "
            + ("Cropping1D has no data_format: the steps are axis 1. " if _rank == 1 else "")
            + f"PyTorch has no crop layer: ZeroPad{_rank}d with negative padding (or slicing) does it.",
        )
    )
    _torch_pad_doc = (
        "An int (every side) or a tuple in PyTorch order, last axis first: (left, right"
        + (", top, bottom" if _rank > 1 else "")
        + (", front, back" if _rank > 2 else "")
        + "). Negative values crop."
    )
    for _name, _extra in (
        (f"ZeroPad{_rank}d", ()),
        (f"ConstantPad{_rank}d", (Param("value", fill_value(), doc="Fill value."),)),
    ):
        register(
            LayerSpec(
                framework="pytorch",
                name=_name,
                params=(Param("padding", torch_padding(), doc=_torch_pad_doc), *_extra),
                rule=torch_pad_rule,
                formulas=(PAD_LENGTH,),
                rank=_rank,
                input_ranks=tuple(range(1, 9)),
                category="padding",
                equivalent=f"ZeroPadding{_rank}D",
                note="Pads (left, right) of the last axis, then (top, bottom) of the one before, then (front, back). "
                "A tuple may name fewer or more axes than the layer's name says (any even length up to twice the "
                "input rank). Negative padding crops; an axis may become empty (0) but not negative.",
            )
        )

PAD_MODES = {
    "Reflection": (
        "reflect",
        "mirrors the input without repeating its edge, so each pad must be smaller than the input size on its "
        "axis (pad < L; ReflectionPad2d(3) rejects a 3x3 input)",
    ),
    "Replication": (
        "replicate",
        "repeats the edge value, so any pad works, even on an axis of size 1",
    ),
    "Circular": (
        "circular",
        "wraps around, at most once: each pad may be at most the input size on its axis (pad <= L)",
    ),
}

for _kind, (_mode, _how) in PAD_MODES.items():
    for _rank in (1, 2, 3):
        _torch_pad_doc = (
            "An int (every side) or a tuple in PyTorch order, last axis first: (left, right"
            + (", top, bottom" if _rank > 1 else "")
            + (", front, back" if _rank > 2 else "")
            + "). Negative values crop."
        )
        if _mode == "circular":
            _ranks_note = (
                f"The input is (C, *spatial) or (N, C, *spatial): rank {_rank + 1} or {_rank + 2}, checked by the "
                "layer; a padding tuple of 2n values pads the last n axes and needs a rank n + 1 or n + 2 as well. "
                "An axis may become empty (0), not negative."
            )
        else:
            _ranks_note = (
                "The padding tuple's length decides (the layer passes it on as it is): 2n values pad the last n "
                "axes (n = 1 to 3) of an input of rank n + 1 (unbatched) or n + 2 (batched). Every dim but the "
                "batch must be non-empty. One padded axis may become empty (0) if another keeps at least 1; an "
                "axis below 0, or all of them at 0 or below, is rejected."
            )
        register(
            LayerSpec(
                framework="pytorch",
                name=f"{_kind}Pad{_rank}d",
                params=(Param("padding", torch_padding(), doc=_torch_pad_doc),),
                rule=torch_mode_pad_rule,
                formulas=(PAD_LENGTH,),
                rank=_rank,
                input_ranks=(_rank + 1, _rank + 2) if _mode == "circular" else (2, 3, 4, 5),
                category="padding",
                equivalent=None,
                note=f"F.pad(mode='{_mode}'): each padded axis becomes L + pad_start + pad_end, like ZeroPad{_rank}d; "
                f"only the fill differs. {_kind} padding {_how}. Negative padding crops (allowed in every mode). "
                + _ranks_note
                + " Keras has no such layer (ZeroPadding fills zeros).",
                options={"mode": _mode},
            )
        )

register(
    LayerSpec(
        framework="pytorch",
        name="Upsample",
        params=(
            Param("size", optional(int_or_ints(0)), None, "Target size per spatial axis (instead of scale_factor)."),
            Param("scale_factor", optional(scale_factors()), None, "Multiplier per spatial axis: out = floor(L·f)."),
            Param(
                "mode",
                choice(*UPSAMPLE_MODES, case_insensitive=False),
                "nearest",
                "nearest | linear (3D input) | bilinear, bicubic (4D) | trilinear (5D) | area | nearest-exact.",
            ),
            Param("align_corners", optional(boolean()), None, "Only for linear, bilinear, bicubic, trilinear."),
            Param("recompute_scale_factor", optional(boolean()), None, "Not allowed together with size."),
        ),
        rule=torch_upsample_rule,
        formulas=(UPSAMPLE_SCALE_TORCH,),
        input_ranks=(3, 4, 5),
        category="resampling",
        equivalent="UpSampling2D",
        note="Batch and channels are kept; each spatial axis becomes size, or floor(L·scale_factor) computed in "
        "double precision (9 × 1.5 -> 13). Exactly one of size and scale_factor. An output below 1 is rejected "
        "(mode='area' allows an empty axis).",
    )
)
