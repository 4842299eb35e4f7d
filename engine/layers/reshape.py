"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector (Keras); Flatten, Unflatten (PyTorch).

No weights. Two formulas: flattening multiplies the merged axes' lengths (applied once per merged axis),
and an inferred -1 size is the elements left over after the named sizes.
"""

from __future__ import annotations

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import shape_text
from engine.registry import register
from engine.spec import MAX_INT, LayerSpec, Outcome, Param, choice, int_list, integer, is_known, optional, product
from engine.symbols import L_in, L_out, i, q

FLATTEN_STEP = Formula(
    "flatten_running_product",
    L_out,
    i * L_in,
    "Flattening multiplies lengths: i is the product of the axes merged so far, L_in the next axis to merge.",
)
RESHAPE_INFERRED = Formula(
    "reshape_inferred_size",
    L_out,
    i / q,
    "The -1 entry takes what is left: i elements to redistribute, divided by q, the product of the sizes given "
    "explicitly. Exact: the framework rejects a q that does not divide i.",
)

ANY_INT = integer(minimum=-MAX_INT)


# ---- helpers shared by the layer families (imported by norm.py and elementwise.py) -----------------


def normalize_axis(axis: int, rank: int, fld: str, what: str = "axis") -> int:
    """A Python-style axis (negative counts from the end) checked against the input's rank (batch included)."""
    if not -rank <= axis < rank:
        raise ShapeError(
            "axis_out_of_range",
            f"{what} {axis} is out of range for a rank-{rank} input: expected a value in [{-rank}, {rank - 1}]",
            fld,
        )
    return axis % rank


def sizes_list(allow_empty: bool = False, allow_minus_one: bool = True, minimum: int = 1):
    """A list or tuple of sizes (a bare int is rejected, as the frameworks do); at most one -1."""
    inner = int_list(minimum=minimum, allow_minus_one=allow_minus_one)

    def parse(v, rank, fld):
        name = fld.split(".")[-1]
        if not isinstance(v, (list, tuple)):
            raise ShapeError("invalid_param", f"{name} must be a tuple of integers, received {v!r}"[:200], fld)
        if not v and allow_empty:
            return ()
        if not v:
            raise ShapeError("invalid_param", f"{name} must not be empty", fld)
        out = inner(v, rank, fld)
        if out.count(-1) > 1:
            raise ShapeError(
                "invalid_param",
                f"there must be at most one unknown dimension (-1) in {name}, received {list(out)}",
                fld,
            )
        return out

    parse.kind = "list[int]"
    return parse


def multiply_axes(ctx, dims, labels):
    """Product of `dims` through the flatten formula, one application per merged axis (None stays None)."""
    acc = dims[0]
    for dim, label in zip(dims[1:], labels[1:], strict=True):
        acc = ctx.apply(FLATTEN_STEP, f"merge {label}", i=acc, L_in=dim)
    return acc


def fill_minus_one(ctx, sizes: tuple, total, fld: str, mismatch) -> tuple:
    """Replace a -1 in `sizes` by total / (product of the others); check the product when total is known.

    `mismatch(named, total, inferring)` words the error the way the framework does.
    """
    named = product([v for v in sizes if v != -1])
    if -1 not in sizes:
        if is_known(total) and named != total:
            raise ShapeError("size_mismatch", mismatch(named, total, False), fld)
        return sizes
    if total is None:
        return tuple(None if v == -1 else v for v in sizes)
    if is_known(total) and total % named:
        raise ShapeError("size_mismatch", mismatch(named, total, True), fld)
    inferred = ctx.apply(RESHAPE_INFERRED, "the -1 entry", i=total, q=named)
    return tuple(inferred if v == -1 else v for v in sizes)


# ---- Keras ----------------------------------------------------------------------------------------


def keras_flatten_rule(ctx) -> Outcome:
    """(N, d1, ..., dk) -> (N, d1·...·dk); a rank-1 input (N,) becomes (N, 1)."""
    batch, rest = ctx.x[0], ctx.x[1:]
    if not rest:
        return Outcome({"output": (batch, 1)})
    return Outcome({"output": (batch, multiply_axes(ctx, rest, [f"axis {n}" for n in range(1, ctx.rank)]))})


def keras_reshape_rule(ctx) -> Outcome:
    """(N, *any) -> (N, *target_shape); one -1 is inferred; the element count must not change."""
    target = ctx.p["target_shape"]
    rest = ctx.x[1:]
    total = product(rest)
    shown = "(" + ", ".join(map(str, target)) + ("," if len(target) == 1 else "") + ")"

    def mismatch(named, total, inferring):
        head = f"the total size of the tensor must be unchanged: input_shape {shape_text(rest)} has {total} elements per sample"
        if inferring:
            return f"{head}, not a multiple of {named}, the product of the other sizes in target_shape {shown}"
        return f"{head}, target_shape {shown} has {named}"

    out = fill_minus_one(ctx, target, total, "params.target_shape", mismatch)
    return Outcome({"output": (ctx.x[0], *out)})


def keras_permute_rule(ctx) -> Outcome:
    """(N, d1, ..., dk) -> (N, d_dims[0], ..., d_dims[k-1]); dims are 1-based and the batch stays first."""
    dims = ctx.p["dims"]
    if sorted(dims) != list(range(1, len(dims) + 1)):
        raise ShapeError(
            "invalid_permutation",
            f"dims must be a permutation of 1..{len(dims)} (1-based: the batch axis 0 cannot move), received {list(dims)}",
            "params.dims",
        )
    if ctx.rank != len(dims) + 1:
        raise ShapeError(
            "rank_mismatch",
            f"Permute{tuple(dims)} expects an input of rank {len(dims) + 1} (batch included), received rank {ctx.rank}: "
            f"{shape_text(ctx.x)}",
            "input_shape",
        )
    return Outcome({"output": (ctx.x[0], *(ctx.x[d] for d in dims))})


def keras_repeat_vector_rule(ctx) -> Outcome:
    """(N, F) -> (N, n, F)."""
    return Outcome({"output": (ctx.x[0], ctx.p["n"], ctx.x[1])})


# ---- PyTorch --------------------------------------------------------------------------------------


def torch_flatten_rule(ctx) -> Outcome:
    """Merge dims start_dim..end_dim (inclusive) into one; the default start_dim=1 keeps the batch."""
    start = normalize_axis(ctx.p["start_dim"], ctx.rank, "params.start_dim", "start_dim")
    end = normalize_axis(ctx.p["end_dim"], ctx.rank, "params.end_dim", "end_dim")
    if start > end:
        raise ShapeError(
            "invalid_param",
            f"start_dim cannot come after end_dim: start_dim={ctx.p['start_dim']} is dim {start}, "
            f"end_dim={ctx.p['end_dim']} is dim {end} of a rank-{ctx.rank} input",
            "params.start_dim",
        )
    merged = multiply_axes(ctx, ctx.x[start : end + 1], [f"dim {n}" for n in range(start, end + 1)])
    return Outcome({"output": (*ctx.x[:start], merged, *ctx.x[end + 1 :])})


def torch_unflatten_rule(ctx) -> Outcome:
    """Split dim `dim` into unflattened_size (one -1 inferred); the sizes must multiply to that dim."""
    dim = normalize_axis(ctx.p["dim"], ctx.rank, "params.dim", "dim")
    sizes = ctx.p["unflattened_size"]
    length = ctx.x[dim]

    def mismatch(named, total, inferring):
        head = f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({total}) in the input tensor"
        return f"{head}: {named} does not divide {total}" if inferring else f"{head}: their product is {named}"

    out = fill_minus_one(ctx, sizes, length, f"input_shape[{dim}]", mismatch)
    return Outcome({"output": (*ctx.x[:dim], *out, *ctx.x[dim + 1 :])})


ALL_RANKS = tuple(range(1, 9))

register(
    LayerSpec(
        framework="keras",
        name="Flatten",
        params=(
            Param(
                "data_format",
                optional(choice("channels_last", "channels_first")),
                None,
                "Order in which values are laid out before flattening; never changes the shape.",
            ),
        ),
        rule=keras_flatten_rule,
        formulas=(FLATTEN_STEP,),
        input_ranks=ALL_RANKS,
        category="reshape",
        equivalent="Flatten",
        note="Keeps the batch axis and multiplies all the others: (N, H, W, C) -> (N, H·W·C). "
        "Any None among them makes the result None. A rank-1 input (N,) becomes (N, 1). "
        "channels_first only reorders the values (transposes to channels_last first).",
    )
)
register(
    LayerSpec(
        framework="keras",
        name="Reshape",
        params=(
            Param(
                "target_shape",
                sizes_list(allow_empty=True),
                doc="Output shape without the batch axis (a tuple); one entry may be -1 to be inferred.",
            ),
        ),
        rule=keras_reshape_rule,
        formulas=(RESHAPE_INFERRED,),
        input_ranks=ALL_RANKS,
        category="reshape",
        equivalent="Unflatten",
        note="(N, *s) -> (N, *target_shape): the batch is kept and the number of elements per sample must not "
        "change ('total size of the tensor must be unchanged'). A -1 is inferred as the elements left over. "
        "With a None input dim Keras cannot check the total and the -1 becomes None. "
        "PyTorch has no Reshape module: use x.reshape / x.view in forward, or nn.Unflatten for one axis.",
    )
)
register(
    LayerSpec(
        framework="keras",
        name="Permute",
        params=(
            Param(
                "dims",
                sizes_list(allow_minus_one=False, minimum=-MAX_INT),
                doc="A permutation of 1..k (1-based, the batch is axis 0 and never moves): (2, 1) swaps the first two.",
            ),
        ),
        rule=keras_permute_rule,
        category="reshape",
        equivalent=None,
        note="Reorders the non-batch axes: Permute((2, 1)) takes (N, T, F) to (N, F, T). "
        "dims must hold each of 1..k once, where k is the input rank without the batch. "
        "In PyTorch use x.permute(0, 2, 1) in forward.",
    )
)
register(
    LayerSpec(
        framework="keras",
        name="RepeatVector",
        params=(Param("n", integer(), doc="How many times to repeat the input vector."),),
        rule=keras_repeat_vector_rule,
        input_ranks=(2,),
        category="reshape",
        equivalent=None,
        note="(N, F) -> (N, n, F): repeats a vector n times, typically to feed an encoder's summary to every "
        "time step of a decoder. Only rank-2 input. In PyTorch use x.unsqueeze(1).expand(-1, n, -1).",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="Flatten",
        params=(
            Param("start_dim", ANY_INT, 1, "First dim to merge (negative counts from the end)."),
            Param("end_dim", ANY_INT, -1, "Last dim to merge, inclusive (negative counts from the end)."),
        ),
        rule=torch_flatten_rule,
        formulas=(FLATTEN_STEP,),
        input_ranks=ALL_RANKS,
        category="reshape",
        equivalent="Flatten",
        note="Merges dims start_dim..end_dim into one: with the defaults (1, -1), (N, C, H, W) -> (N, C·H·W). "
        "Unlike torch.flatten (start_dim=0), nn.Flatten keeps dim 0. start_dim after end_dim is rejected; "
        "start_dim == end_dim changes nothing.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="Unflatten",
        params=(
            Param("dim", ANY_INT, doc="The dim to split (negative counts from the end)."),
            Param(
                "unflattened_size",
                sizes_list(),
                doc="The sizes that replace dim, a tuple or list; one may be -1 to be inferred.",
            ),
        ),
        rule=torch_unflatten_rule,
        formulas=(RESHAPE_INFERRED,),
        input_ranks=ALL_RANKS,
        category="reshape",
        equivalent="Reshape",
        note="Splits one dim into several: Unflatten(1, (C, H, W)) takes (N, C·H·W) to (N, C, H, W), the inverse "
        "of Flatten. The sizes must multiply to that dim; one -1 is inferred.",
    )
)
