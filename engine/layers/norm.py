"""Normalization: Keras BatchNormalization / LayerNormalization / GroupNormalization / UnitNormalization;
PyTorch BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d.

The output always has the input's shape. What differs is the parameter count: Keras counts the moving
statistics of batch normalization (non-trainable weights), PyTorch keeps them as buffers, outside
parameters().
"""

from __future__ import annotations

import itertools

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import check_equal, require_known, shape_text
from engine.layers.reshape import normalize_axis
from engine.registry import register
from engine.spec import (
    MAX_INT,
    LayerSpec,
    Outcome,
    Param,
    boolean,
    int_list,
    integer,
    is_known,
    number,
    optional,
    product,
)
from engine.symbols import C_in, P, v

NORM_AFFINE = Formula(
    "norm_affine_param_count",
    P,
    2 * C_in,
    "A scale γ (weight) and a shift β (bias) for each of the C normalized features (C = product of the "
    "normalized axes' sizes).",
)
NORM_ONE_VECTOR = Formula(
    "norm_one_vector_param_count",
    P,
    C_in,
    "Only one learnable vector of C entries (scale without shift, or shift without scale).",
)
KERAS_BATCHNORM = Formula(
    "keras_batchnorm_param_count",
    P,
    v * C_in,
    "v vectors of C (the normalized axis): gamma and beta (trainable, when scale / center), moving_mean and "
    "moving_variance (non-trainable), and with renorm also moving_stddev, renorm_mean and renorm_stddev. "
    "count_params() counts them all: 4C by default, of which 2C are trainable.",
)

ANY_INT = integer(minimum=-MAX_INT)
ANY_NUMBER = number(minimum=-float(MAX_INT))


# The variance offset, declared once per framework: it never changes a shape.
KERAS_EPSILON = Param("epsilon", ANY_NUMBER, 0.001, "Added to the variance; no shape effect.")
TORCH_EPS = Param("eps", number(), 1e-5, "Added to the variance; no shape effect.")


def axis_list(allow_empty: bool = False):
    """An int or a list of ints (negative counts from the end); an empty list only with allow_empty."""
    inner = int_list(minimum=-MAX_INT)

    def parse(val, rank, fld):
        if isinstance(val, (list, tuple)) and not val:
            if allow_empty:
                return ()
            raise ShapeError("invalid_param", f"{fld.split('.')[-1]} must name at least one axis, received []", fld)
        return inner(val, rank, fld)

    parse.kind = "int | list[int]"
    return parse


def _affine_count(ctx, vectors: int, size):
    """Parameter count of `vectors` learnable vectors (0, 1 or 2) of `size` entries each."""
    if vectors == 2:
        return ctx.apply(NORM_AFFINE, "parameters", C_in=size)
    if vectors == 1:
        return ctx.apply(NORM_ONE_VECTOR, "parameters", C_in=size)
    return 0


# ---- Keras ----------------------------------------------------------------------------------------


def keras_batchnorm_rule(ctx) -> Outcome:
    """Shape kept; one vector of size C = input_shape[axis] per weight."""
    prm = ctx.p
    axis = normalize_axis(prm["axis"], ctx.rank, "params.axis")
    channels = require_known(ctx.x[axis], f"size of the normalized axis {prm['axis']}", f"input_shape[{axis}]")
    names = [n for n, on in (("gamma", prm["scale"]), ("beta", prm["center"])) if on]
    frozen = ["moving_mean", "moving_variance"]
    if prm["renorm"]:
        frozen += ["moving_stddev", "renorm_mean", "renorm_stddev"]
    weights = {n: (channels,) for n in names + frozen}
    count = ctx.apply(KERAS_BATCHNORM, "parameters", v=len(weights), C_in=channels)
    return Outcome({"output": ctx.x}, weights, non_trainable=tuple(frozen), param_count=count)


def keras_layernorm_rule(ctx) -> Outcome:
    """Shape kept; gamma and beta have the sizes of the normalized axes (in the sorted order of `axis`)."""
    prm = ctx.p
    seen = {}
    for raw in prm["axis"]:
        axis = normalize_axis(raw, ctx.rank, "params.axis")
        if axis in seen:
            raise ShapeError(
                "duplicate_axis",
                f"axis {list(prm['axis'])} names dim {axis} twice ({seen[axis]} and {raw}) for a rank-{ctx.rank} input",
                "params.axis",
            )
        seen[axis] = raw
    # Keras works on sorted(axis), raw values: [-1, 1] gives weights of shape (input[-1], input[1]).
    ordered = sorted(prm["axis"])
    if not prm["rms_scaling"]:
        _check_torch_layer_norm(ctx, ordered)
    names = [
        n
        for n, on in (("gamma", prm["scale"] or prm["rms_scaling"]), ("beta", prm["center"] and not prm["rms_scaling"]))
        if on
    ]
    if not names:  # nothing to build: any sizes pass
        return Outcome({"output": ctx.x}, param_count=0)
    shape = tuple(
        require_known(ctx.x[raw], f"size of the normalized axis {raw}", f"input_shape[{raw % ctx.rank}]")
        for raw in ordered
    )
    output = ctx.x
    if len(shape) == ctx.rank:
        # Weights with the input's rank are not reshaped before broadcasting against it: when mixing negative
        # and non-negative axes reorders them, the product broadcasts to a new shape, or fails.
        output = tuple(_broadcast_dim(ctx, w, x, shape) for w, x in zip(shape, ctx.x, strict=True))
    weights = {n: shape for n in names}
    count = _affine_count(ctx, len(weights), product(shape))
    return Outcome({"output": output}, weights, param_count=count)


def _contiguous(axes: list) -> bool:
    """Keras's test for handing the axes to torch's layer_norm: sorted raw values in steps of 1 (or one axis)."""
    return len(axes) <= 1 or all(b - a == 1 for a, b in itertools.pairwise(axes))


def _check_torch_layer_norm(ctx, ordered: list) -> None:
    """On the torch backend, Keras hands contiguous axes to torch's layer_norm, which normalizes the input's
    trailing dims: the sizes of the named axes (in sorted order) must be those trailing sizes, and there
    must be at least one axis (only rms_scaling, computed by hand, takes axis=[])."""
    if not ordered:
        raise ShapeError(
            "invalid_param",
            "axis=[] names no axis: on the torch backend torch's layer_norm needs at least one (rms_scaling=True "
            "takes axis=[], with one scale parameter)",
            "params.axis",
        )
    if not _contiguous(ordered):
        return  # computed by hand (mean and variance over the axes): any axes work
    rank = len(ctx.x)
    if [raw % rank for raw in ordered] == list(range(rank - len(ordered), rank)):
        return  # the trailing axes themselves
    named = tuple(ctx.x[raw] for raw in ordered)
    trailing = tuple(ctx.x[rank - len(ordered) :])
    unknown = [
        i for i in [raw % rank for raw in ordered] + list(range(rank - len(ordered), rank)) if not is_known(ctx.x[i])
    ]
    if unknown and named != trailing:
        raise ShapeError(
            "unknown_dimension",
            f"axis {list(ctx.p['axis'])} works on the torch backend only if the sizes {shape_text(named)} equal the "
            f"input's trailing sizes {shape_text(trailing)} (torch's layer_norm normalizes those): give a number "
            f"for input_shape[{unknown[0]}], received {ctx.x[unknown[0]]}",
            f"input_shape[{unknown[0]}]",
        )
    if named != trailing:
        raise ShapeError(
            "layer_norm_axes",
            f"axis {list(ctx.p['axis'])} normalizes sizes {shape_text(named)}, but on the torch backend Keras hands "
            f"contiguous axes to torch's layer_norm, which normalizes the {len(ordered)} trailing dims "
            f"{shape_text(trailing)} of the input {shape_text(ctx.x)}: name the last axes (TensorFlow and JAX "
            "accept any axes)",
            "params.axis",
        )


def _broadcast_dim(ctx, w, x, shape):
    """One axis of input * gamma (+ beta) when both have the input's rank (NumPy broadcasting)."""
    if not (is_known(w) and is_known(x)) or w == x or w == 1:
        return x
    if x == 1:
        return w
    raise ShapeError(
        "weight_broadcast",
        f"gamma/beta of shape {shape_text(shape)} do not broadcast against the input {shape_text(ctx.x)}: Keras "
        f"orders the axes by their values as given (sorted({list(ctx.p['axis'])}) = {sorted(ctx.p['axis'])}), so "
        "mixing negative and non-negative axes reorders the weights; give all axes the same sign",
        "params.axis",
    )


def group_count():
    """Keras GroupNormalization's groups: a positive int, or -1 (one group per channel: instance normalization)."""

    def parse(val, rank, fld):
        if type(val) is not int or not (val >= 1 or val == -1) or val > MAX_INT:
            raise ShapeError(
                "invalid_param",
                f"groups must be a positive integer (or -1 for instance normalization), received {val!r}",
                fld,
            )
        return val

    parse.kind = "int"
    return parse


def axes_or_empty():
    """Keras UnitNormalization's axis: an int, or a list/tuple of ints (an empty list normalizes nothing)."""
    inner = int_list(minimum=-MAX_INT)

    def parse(val, rank, fld):
        if isinstance(val, (list, tuple)) and not val:
            return ()
        if type(val) is not int and not isinstance(val, (list, tuple)):
            raise ShapeError(
                "invalid_param", f"axis must be an int or a list/tuple of ints, received {val!r}"[:200], fld
            )
        return inner(val, rank, fld)

    parse.kind = "int | list[int]"
    return parse


def keras_groupnorm_rule(ctx) -> Outcome:
    """Shape kept; C = input_shape[axis] (known) split into `groups` groups; gamma and beta of size C."""
    prm = ctx.p
    axis = normalize_axis(prm["axis"], ctx.rank, "params.axis")
    fld = f"input_shape[{axis}]"
    channels = require_known(ctx.x[axis], f"size of the group axis {prm['axis']}", fld)
    groups = channels if prm["groups"] == -1 else prm["groups"]
    if is_known(channels) and channels < groups:
        raise ShapeError(
            "groups_mismatch",
            f"number of groups ({groups}) cannot be more than the number of channels ({channels}) of "
            f"{shape_text(ctx.x)}",
            fld,
        )
    if is_known(channels) and channels % groups:
        raise ShapeError(
            "groups_mismatch",
            f"the number of channels ({channels}) of {shape_text(ctx.x)} must be a multiple of the number of groups "
            f"({groups})",
            fld,
        )
    if prm["axis"] == -ctx.rank:
        # call() special-cases axis == -1 and indexes the reduction axes with axis - 1 otherwise: -rank
        # (the default -1 on a rank-1 input) points one past the first of them.
        raise ShapeError(
            "invalid_axis",
            f"axis {prm['axis']} fails in GroupNormalization.call on a rank-{ctx.rank} input (pop index out of "
            f"range): Keras computes the reduction axes from axis - 1; give the axis as {axis}",
            "params.axis",
        )
    names = [n for n, on in (("gamma", prm["scale"]), ("beta", prm["center"])) if on]
    weights = {n: (channels,) for n in names}
    return Outcome({"output": ctx.x}, weights, param_count=_affine_count(ctx, len(weights), channels))


def keras_unitnorm_rule(ctx) -> Outcome:
    """Shape kept, no weights; each axis must exist and appear once."""
    seen = {}
    for raw in ctx.p["axis"] if isinstance(ctx.p["axis"], tuple) else (ctx.p["axis"],):
        axis = normalize_axis(raw, ctx.rank, "params.axis")
        if axis in seen:
            raise ShapeError(
                "duplicate_axis",
                f"axis {list(ctx.p['axis'])} names dim {axis} twice ({seen[axis]} and {raw}) for a rank-{ctx.rank} "
                "input",
                "params.axis",
            )
        seen[axis] = raw
    return Outcome({"output": ctx.x}, param_count=0)


# ---- PyTorch --------------------------------------------------------------------------------------


def torch_batchnorm_rule(ctx) -> Outcome:
    """(N, C, *spatial) kept; weight and bias of size C (buffers running_mean / running_var not counted)."""
    prm = ctx.p
    channels = prm["num_features"]
    if prm["affine"] or prm["track_running_stats"]:  # with neither, nothing has num_features entries
        check_equal(channels, ctx.x[1], "num_features", "input_shape[1]", ctx.spec.name)
    # A module as constructed is in training mode (the engine answers for it): the batch statistics need
    # more than one value per channel. After .eval() the running statistics are used, if there are any.
    if product([ctx.x[0], *ctx.x[2:]]) == 1:
        after_eval = (
            "after .eval() it runs, on the running statistics"
            if prm["track_running_stats"]
            else "without running statistics the batch statistics are used after .eval() too"
        )
        raise ShapeError(
            "single_value_per_channel",
            f"expected more than 1 value per channel when training, got input size {shape_text(ctx.x)}: a module "
            f"as constructed is in training mode; {after_eval}",
            "input_shape[0]",
        )
    weights = {}
    if prm["affine"]:
        weights["weight"] = (channels,)
        if prm["bias"]:
            weights["bias"] = (channels,)
    return Outcome({"output": ctx.x}, weights, param_count=_affine_count(ctx, len(weights), channels))


def torch_layernorm_rule(ctx) -> Outcome:
    """(*, *normalized_shape) kept: the trailing dims must equal normalized_shape."""
    shape = ctx.p["normalized_shape"]
    tail = ctx.x[len(ctx.x) - len(shape) :] if len(shape) <= ctx.rank else None
    expected = ", ".join(map(str, shape))
    if tail is None:
        raise ShapeError(
            "rank_mismatch",
            f"given normalized_shape={list(shape)}, expected input with shape [*, {expected}], but got input of "
            f"size {shape_text(ctx.x)}",
            "input_shape",
        )
    for n, (want, got) in enumerate(zip(shape, tail, strict=True)):
        if is_known(got) and got != want:
            raise ShapeError(
                "channel_mismatch",
                f"given normalized_shape={list(shape)}, expected input with shape [*, {expected}], but got input of "
                f"size {shape_text(ctx.x)}",
                f"input_shape[{ctx.rank - len(shape) + n}]",
            )
    weights = {}
    if ctx.p["elementwise_affine"]:
        weights["weight"] = shape
        if ctx.p["bias"]:
            weights["bias"] = shape
    return Outcome({"output": ctx.x}, weights, param_count=_affine_count(ctx, len(weights), product(shape)))


def torch_groupnorm_rule(ctx) -> Outcome:
    """(N, C, *) kept; num_groups must divide num_channels; weight and bias of size C."""
    groups, channels = ctx.p["num_groups"], ctx.p["num_channels"]
    if ctx.rank < 2:
        raise ShapeError(
            "rank_mismatch",
            f"GroupNorm expects at least 2 dimensions (N, C, *), received rank 1: {shape_text(ctx.x)}",
            "input_shape",
        )
    if channels % groups:
        raise ShapeError(
            "groups_mismatch",
            f"num_channels ({channels}) must be divisible by num_groups ({groups})",
            "params.num_groups",
        )
    received = ctx.x[1]
    if ctx.p["affine"]:
        check_equal(channels, received, "num_channels", "input_shape[1]", "GroupNorm")
    elif is_known(received) and received % groups:
        # Without weights nothing ties the input to num_channels; only the grouping must fit.
        raise ShapeError(
            "groups_mismatch",
            f"expected the number of channels in the input to be divisible by num_groups, but got input of shape "
            f"{shape_text(ctx.x)} and num_groups={groups}",
            "input_shape[1]",
        )
    per_group = received // groups if is_known(received) else channels // groups
    if product([ctx.x[0], per_group, *ctx.x[2:]]) == 1:
        raise ShapeError(
            "single_value_per_group",
            f"expected more than 1 value per group, got input size {shape_text(ctx.x)} with {groups} groups of "
            f"{per_group} channel(s)",
            "input_shape",
        )
    weights = {}
    if ctx.p["affine"]:
        weights["weight"] = (channels,)
        if ctx.p["bias"]:
            weights["bias"] = (channels,)
    return Outcome({"output": ctx.x}, weights, param_count=_affine_count(ctx, len(weights), channels))


def torch_instancenorm_rule(ctx) -> Outcome:
    """(N, C, *spatial) or unbatched (C, *spatial) kept; weight and bias of num_features only with affine."""
    prm = ctx.p
    channels = prm["num_features"]
    unbatched = ctx.rank == ctx.spec.rank + 1
    dim = 0 if unbatched else 1
    if prm["affine"] or prm["track_running_stats"]:
        # weight / bias or running_mean / running_var have num_features entries; without them num_features
        # is not used and a different channel count only warns.
        if channels < 0:
            raise ShapeError(
                "invalid_param",
                f"num_features must not be negative with affine or track_running_stats (they allocate "
                f"num_features entries), received {channels}",
                "params.num_features",
            )
        check_equal(channels, ctx.x[dim], f"num_features (dim {dim})", f"input_shape[{dim}]", ctx.spec.name)
    # As for BatchNorm: training mode, as constructed; after .eval() only running statistics help.
    if product(ctx.x[dim + 1 :]) == 1:
        after_eval = (
            "after .eval() it runs, on the running statistics"
            if prm["track_running_stats"]
            else "without running statistics the instance statistics are used after .eval() too"
        )
        raise ShapeError(
            "single_spatial_element",
            f"expected more than 1 spatial element when training, got input size {shape_text(ctx.x)}: a module "
            f"as constructed is in training mode; {after_eval}",
            f"input_shape[{dim + 1}]",
        )
    weights = {}
    if prm["affine"]:
        weights["weight"] = (channels,)
        if prm["bias"]:
            weights["bias"] = (channels,)
    return Outcome({"output": ctx.x}, weights, param_count=_affine_count(ctx, len(weights), channels))


ALL_RANKS = tuple(range(1, 9))

register(
    LayerSpec(
        framework="keras",
        name="BatchNormalization",
        params=(
            Param("axis", ANY_INT, -1, "The feature (channel) axis, an int; -1 is the last (channels_last)."),
            Param("momentum", ANY_NUMBER, 0.99, "Momentum of the moving averages; no shape effect."),
            KERAS_EPSILON,
            Param("center", boolean(), True, "Learn a shift beta (C weights)."),
            Param("scale", boolean(), True, "Learn a scale gamma (C weights)."),
            Param("renorm", boolean(), False, "Batch renormalization: three more non-trainable vectors of C."),
        ),
        rule=keras_batchnorm_rule,
        formulas=(KERAS_BATCHNORM,),
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent="BatchNorm2d",
        note="Shape kept. count_params() is 4C, not 2C: gamma and beta are trainable, moving_mean and "
        "moving_variance are non-trainable weights that Keras counts (PyTorch BatchNorm keeps them as buffers "
        "and reports 2C). C = input_shape[axis], which must be known. Matches BatchNorm1d/2d/3d in PyTorch "
        "depending on the rank (with channels last instead of first).",
    )
)
register(
    LayerSpec(
        framework="keras",
        name="LayerNormalization",
        params=(
            Param(
                "axis",
                axis_list(allow_empty=True),
                -1,
                "Axis or axes to normalize over (per sample); -1 is the last; [] only with rms_scaling.",
            ),
            KERAS_EPSILON,
            Param("center", boolean(), True, "Learn a shift beta with the normalized axes' shape."),
            Param("scale", boolean(), True, "Learn a scale gamma with the normalized axes' shape."),
            Param("rms_scaling", boolean(), False, "Deprecated RMS variant: gamma only, center and scale ignored."),
        ),
        rule=keras_layernorm_rule,
        formulas=(NORM_AFFINE, NORM_ONE_VECTOR),
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent="LayerNorm",
        note="Shape kept. gamma and beta each have the shape of the normalized axes: 2C parameters, C = product "
        "of their sizes (axis=-1: the last dim). On the torch backend (the engine follows it) Keras 3.15 hands "
        "contiguous axes (sorted, in steps of 1) to torch's layer_norm, which fails unless their sizes are "
        "the input's trailing sizes (axis=1 on (None, 4, 5) fails; TensorFlow and JAX accept it), and "
        "needs at least one axis; rms_scaling=True is computed by hand and takes any axes, even [] (one "
        "scale parameter).",
    )
)

for _rank, _ranks, _layout in (
    (1, (2, 3), "(N, C) or (N, C, L)"),
    (2, (4,), "(N, C, H, W)"),
    (3, (5,), "(N, C, D, H, W)"),
):
    register(
        LayerSpec(
            framework="pytorch",
            name=f"BatchNorm{_rank}d",
            params=(
                Param("num_features", integer(), doc="C, the channel count: dim 1 of the input."),
                Param("eps", number(open_min=True), 1e-5, "Added to the variance; must be positive (training)."),
                Param("momentum", optional(ANY_NUMBER), 0.1, "Running-average momentum (None: cumulative average)."),
                Param("affine", boolean(), True, "Learn weight (scale) and bias (shift), C each."),
                Param("track_running_stats", boolean(), True, "Keep running_mean / running_var buffers."),
                Param("bias", boolean(), True, "With affine, also learn the shift (keyword-only, torch 2.13)."),
            ),
            rule=torch_batchnorm_rule,
            formulas=(NORM_AFFINE,),
            rank=_rank,
            input_ranks=_ranks,
            category="normalization",
            equivalent="BatchNormalization",
            note=f"Input {_layout}, shape kept, channels at dim 1 must equal num_features. Parameters 2C (weight and "
            "bias); running_mean, running_var and num_batches_tracked are buffers, not counted (Keras counts its "
            "moving statistics: 4C). No unbatched input. With affine=False and track_running_stats=False nothing "
            "checks the channel count. The engine answers for the module as constructed, in training mode: "
            "a single value per channel (N = 1 and no spatial extent) fails with 'Expected more than 1 value "
            "per channel when training'; after .eval() it runs when track_running_stats is on.",
        )
    )

register(
    LayerSpec(
        framework="pytorch",
        name="LayerNorm",
        params=(
            Param(
                "normalized_shape",
                int_list(),
                doc="The trailing dims to normalize over: an int (the last dim) or a list that must match the "
                "input's last dims.",
            ),
            TORCH_EPS,
            Param("elementwise_affine", boolean(), True, "Learn weight and bias with shape normalized_shape."),
            Param("bias", boolean(), True, "With elementwise_affine, also learn the shift."),
        ),
        rule=torch_layernorm_rule,
        formulas=(NORM_AFFINE, NORM_ONE_VECTOR),
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent="LayerNormalization",
        note="Shape kept. The input must end with normalized_shape; weight and bias both have that shape: "
        "2·prod(normalized_shape) parameters (no buffers).",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="GroupNorm",
        params=(
            Param("num_groups", integer(), doc="Groups the channels are split into; must divide num_channels."),
            Param("num_channels", integer(), doc="C, the channel count: dim 1 of the input."),
            TORCH_EPS,
            Param("affine", boolean(), True, "Learn per-channel weight and bias."),
            Param("bias", boolean(), True, "With affine, also learn the shift (keyword-only)."),
        ),
        rule=torch_groupnorm_rule,
        formulas=(NORM_AFFINE,),
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent="GroupNormalization",
        note="Input (N, C, *), shape kept; num_groups must divide num_channels, and dim 1 must equal "
        "num_channels (only with affine: without weights any channel count divisible by num_groups passes); each group needs more than one value (N·(C/G)·spatial > 1). Parameters 2C (per channel, "
        "not per group). Keras: GroupNormalization(groups, axis=-1), channels last.",
    )
)

register(
    LayerSpec(
        framework="keras",
        name="GroupNormalization",
        params=(
            Param(
                "groups", group_count(), 32, "Groups the channels are split into (-1: one per channel); must divide C."
            ),
            Param("axis", ANY_INT, -1, "The channel axis, an int; -1 is the last (channels_last)."),
            KERAS_EPSILON,
            Param("center", boolean(), True, "Learn a shift beta (C weights)."),
            Param("scale", boolean(), True, "Learn a scale gamma (C weights)."),
        ),
        rule=keras_groupnorm_rule,
        formulas=(NORM_AFFINE, NORM_ONE_VECTOR),
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent="GroupNorm",
        note="Shape kept. C = input_shape[axis] must be known, at least groups and a multiple of it (the default "
        "groups=32 rejects fewer than 32 channels); gamma and beta have C entries each: 2C parameters, per channel "
        "and not per group. groups=-1 is instance normalization. axis=-rank fails in call() (Keras derives the "
        "reduction axes from axis - 1), so the default axis=-1 cannot run on a rank-1 input. PyTorch: "
        "GroupNorm(num_groups, num_channels), channels first.",
    )
)
register(
    LayerSpec(
        framework="keras",
        name="UnitNormalization",
        params=(
            Param(
                "axis",
                axes_or_empty(),
                -1,
                "Axis or axes the L2 norm is taken over (per sample); -1 is the last. An empty list normalizes "
                "each value on its own.",
            ),
        ),
        rule=keras_unitnorm_rule,
        input_ranks=ALL_RANKS,
        category="normalization",
        equivalent=None,
        note="Divides by the L2 norm over axis: shape kept, no parameters. Each axis must exist and appear once "
        "(the symbolic trace only checks the range; the real call refuses a repeated axis). PyTorch has no layer: "
        "F.normalize(x, dim=...).",
    )
)

for _rank, _layout in (
    (1, "(N, C, L) or unbatched (C, L)"),
    (2, "(N, C, H, W) or unbatched (C, H, W)"),
    (3, "(N, C, D, H, W) or unbatched (C, D, H, W)"),
):
    register(
        LayerSpec(
            framework="pytorch",
            name=f"InstanceNorm{_rank}d",
            params=(
                Param(
                    "num_features",
                    ANY_INT,
                    doc="C, the channel count (dim 1, or dim 0 unbatched); only checked with affine or "
                    "track_running_stats.",
                ),
                Param("eps", ANY_NUMBER, 1e-5, "Added to the variance; no shape effect."),
                Param("momentum", optional(ANY_NUMBER), 0.1, "Running-average momentum (None: cumulative average)."),
                Param("affine", boolean(), False, "Learn weight (scale) and bias (shift), C each."),
                Param("track_running_stats", boolean(), False, "Keep running_mean / running_var buffers of C."),
                Param("bias", boolean(), True, "With affine, also learn the shift (keyword-only, torch 2.13)."),
            ),
            rule=torch_instancenorm_rule,
            formulas=(NORM_AFFINE, NORM_ONE_VECTOR),
            rank=_rank,
            input_ranks=(_rank + 1, _rank + 2),
            category="normalization",
            equivalent=None,
            note=f"Input {_layout}, shape kept; each sample and channel is normalized over its spatial axes. "
            "By default (affine=False, track_running_stats=False) there are no parameters and num_features is not "
            "used: a different channel count only warns. With affine (weight and bias, 2C parameters) or "
            "track_running_stats (running_mean / running_var buffers, not counted) the channel dim must equal "
            "num_features. A rank-"
            + str(_rank + 1)
            + " input is unbatched: its channels are dim 0"
            + (" (so a (N, C) input is read as (C, L), unlike BatchNorm1d)" if _rank == 1 else "")
            + ". The engine answers for the module as constructed, in training mode: a single spatial element "
            "fails ('Expected more than 1 spatial element when training'); after .eval() it runs only with "
            "track_running_stats. Keras has no InstanceNormalization "
            "layer: GroupNormalization(groups=-1) normalizes the same way, channels last.",
        )
    )
