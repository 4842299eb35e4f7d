"""Multi-head attention: Keras MultiHeadAttention and PyTorch MultiheadAttention.

The layer takes a query and a value (and optionally a key). input_shape is the QUERY's shape; the value's and
the key's shapes are the parameters value_shape and key_shape (default: the query's shape, self-attention;
key_shape defaults to value_shape). Call-time switches that change the outputs are parameters too
(Keras return_attention_scores; PyTorch need_weights and average_attn_weights).
"""

from __future__ import annotations

import math

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import require_finite, require_known, shape_text
from engine.layers.recurrent import restrict_inert
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, boolean, integer, is_known, optional
from engine.symbols import C_k, C_o, C_q, C_v, E, E_k, E_v, L_in, L_out, P, d_k, d_v, heads, n_bias

# ---- formulas -----------------------------------------------------------------------------------

KERAS_MHA_PARAMS = Formula(
    "keras_mha_param_count",
    P,
    heads * d_k * (C_q + C_k) + heads * d_v * (C_v + C_o) + 2 * heads * d_k + heads * d_v + C_o,
    "Keras MultiHeadAttention: query and key projections C×h×d_k, value projection C_v×h×d_v, output "
    "projection h×d_v×C_o (C_o = the query's last axis, or the product of output_shape), each with a bias.",
)
KERAS_MHA_PARAMS_NO_BIAS = Formula(
    "keras_mha_param_count_no_bias",
    P,
    heads * d_k * (C_q + C_k) + heads * d_v * (C_v + C_o),
    "Keras MultiHeadAttention with use_bias=False.",
)
KERAS_MHA_GATE_PARAMS = Formula(
    "keras_mha_gate_param_count",
    P,
    heads * d_k * (C_q + C_k) + heads * d_v * (C_v + C_o + C_q) + 2 * heads * d_k + 2 * heads * d_v + C_o,
    "Keras MultiHeadAttention with use_gate=True: a sigmoid gate projection C_q×h×d_v (with bias) is added.",
)
KERAS_MHA_GATE_PARAMS_NO_BIAS = Formula(
    "keras_mha_gate_param_count_no_bias",
    P,
    heads * d_k * (C_q + C_k) + heads * d_v * (C_v + C_o + C_q),
    "Keras MultiHeadAttention with use_gate=True and use_bias=False.",
)
TORCH_MHA_PARAMS = Formula(
    "torch_mha_param_count",
    P,
    4 * E**2 + 4 * E,
    "PyTorch MultiheadAttention, default case (kdim = vdim = embed_dim, bias=True): in_proj_weight 3E×E, "
    "in_proj_bias 3E, out_proj E×E + E.",
)
TORCH_MHA_PARAMS_GENERAL = Formula(
    "torch_mha_param_count_general",
    P,
    E * (E + E_k + E_v) + E**2 + n_bias * E,
    "PyTorch MultiheadAttention: projections E×E, E×kdim, E×vdim and out_proj E×E, plus b bias vectors of E: "
    "4 with bias=True (3 in-projection, 1 out_proj) and 2 more with add_bias_kv (bias_k, bias_v).",
)
TORCH_MHA_EXTRA_KEY = Formula(
    "torch_mha_extra_key_position",
    L_out,
    L_in + 1,
    "add_bias_kv appends a learned key/value position and add_zero_attn a zero one: each adds 1 to the source length S.",
)


# ---- parsers ------------------------------------------------------------------------------------


def shape_param():
    """Another input's shape (batch included), like input_shape: ints, None (unknown) or symbol names."""

    def parse(v, rank, fld):
        from engine.api import parse_input_shape

        parse_input_shape(v, fld)  # validates; the rule converts symbol names again
        return tuple(v)

    parse.kind = "list[int | None | str] | None"
    return parse


def _shape(value, fld):
    from engine.api import parse_input_shape

    return parse_input_shape(list(value), fld)


def keras_output_shape():
    """None, an int or a list of ints; 0 and () count as unset, as in Keras (a falsy value)."""

    def parse(v, rank, fld):
        if v is None or v == 0 or v == () or v == []:
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, (list, tuple)) or not 0 < len(v) <= 6:
            raise ShapeError(
                "invalid_param", f"output_shape should be an int or a list of ints, received {v!r}"[:200], fld
            )
        for x in v:
            if isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= 2**31:
                raise ShapeError(
                    "invalid_param", f"output_shape holds {x!r}; each entry must be a positive integer", fld
                )
        return tuple(v)

    parse.kind = "int | list[int] | None"
    return parse


def axes_param():
    """None, an int or a list of ints (negative ones count from the end)."""

    def parse(v, rank, fld):
        if v is None:
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            return (v,)
        if (
            not isinstance(v, (list, tuple))
            or len(v) > 8
            or any(isinstance(x, bool) or not isinstance(x, int) for x in v)
        ):
            raise ShapeError(
                "invalid_param", f"attention_axes must be an int, list, or tuple of ints, received {v!r}"[:200], fld
            )
        return tuple(v)

    parse.kind = "int | list[int] | None"
    return parse


def dropout_rate(minimum: float | None, maximum: float, after_eval: str = ""):
    """A dropout rate in [minimum, maximum]; `after_eval` says what the module does with others after .eval()."""

    def parse(v, rank, fld):
        require_finite(v, "dropout", fld)
        if (minimum is not None and v < minimum) or v > maximum:
            low = f"between {minimum} and" if minimum is not None else "at most"
            raise ShapeError("invalid_param", f"dropout must be {low} {maximum}, received {v}{after_eval}", fld)
        return v

    parse.kind = "float"
    return parse


def optional_bool():
    def parse(v, rank, fld):
        return None if v is None else boolean()(v, rank, fld)

    parse.kind = "bool | None"
    return parse


# ---- Keras --------------------------------------------------------------------------------------


def _broadcast(dims: list, what: str, fld: str):
    """Non-attention axes of query, value and key broadcast like the einsum that combines them."""
    known = {d for d in dims if is_known(d) and d != 1}
    if len(known) > 1:
        raise ShapeError(
            "batch_mismatch", f"{what} must match (or be 1) in the query, value and key, received {dims}", fld
        )
    if known:
        return known.pop()
    for d in dims:
        if not is_known(d):
            return d
    return 1


def keras_mha_rule(ctx) -> Outcome:
    """query (B, *T, C_q), value (B, *S, C_v), key (B, *S, C_k) -> (B, *T, C_o) [, scores (B, h, *T, *S)]."""
    prm = ctx.p
    query = ctx.x
    value = _shape(prm["value_shape"], "params.value_shape") if prm["value_shape"] is not None else query
    key = _shape(prm["key_shape"], "params.key_shape") if prm["key_shape"] is not None else value
    rank = len(query)
    for name, other in (("value", value), ("key", key)):
        if len(other) != rank:
            raise ShapeError(
                "rank_mismatch",
                f"the {name} must have the query's rank {rank}, received {name} {shape_text(other)} and query {shape_text(query)}",
                f"params.{name}_shape",
            )
    for a in range(1, rank - 1):
        if is_known(value[a]) and is_known(key[a]) and value[a] != key[a]:
            raise ShapeError(
                "key_value_mismatch",
                f"All dimensions of value and key, except the last one, must be equal; received value {shape_text(value)} "
                f"and key {shape_text(key)}",
                f"params.key_shape[{a}]",
            )
    if prm["flash_attention"] and prm["dropout"] > 0:
        raise ShapeError(
            "flash_with_dropout",
            f"Dropout is not supported when flash attention is enabled, received dropout={prm['dropout']}",
            "params.dropout",
        )
    scores = prm["return_attention_scores"]
    if prm["flash_attention"] and scores:
        raise ShapeError(
            "flash_with_scores",
            "Returning attention scores is not supported when flash attention is enabled",
            "params.return_attention_scores",
        )
    c_q = require_known(query[-1], "query's last dimension", f"input_shape[{rank - 1}]")
    c_k = require_known(key[-1], "key's last dimension", f"params.key_shape[{rank - 1}]")
    c_v = require_known(value[-1], "value's last dimension", f"params.value_shape[{rank - 1}]")
    h, dk = prm["num_heads"], prm["key_dim"]
    dv = prm["value_dim"] or dk
    # Keras builds the attention on the projected tensors (B, *T, h, d), of rank P = rank + 1, and reads
    # attention_axes there: a negative axis counts from P - 1, so -1 names the heads axis; any axis Keras
    # can index (batch and heads included) is taken, and the einsums decide what runs.
    projected = rank + 1
    axes = tuple(range(1, projected - 2))
    if prm["attention_axes"] is not None:
        axes = tuple(a if a >= 0 else (projected - 1) + a for a in prm["attention_axes"])
        for given, a in zip(prm["attention_axes"], axes, strict=True):
            if not -projected <= a < projected:  # numpy.delete refuses it while the layer is built
                raise ShapeError(
                    "invalid_attention_axes",
                    f"attention_axes {list(prm['attention_axes'])}: axis {given} is out of range; Keras reads it on "
                    f"the projected rank-{projected} tensor (batch, {rank - 2} attended axes, heads, key_dim) as "
                    f"{a}, and that tensor has axes {-projected} to {projected - 1}",
                    "params.attention_axes",
                )
    # Rank-3 inputs without dropout or scores go through a fused dot-product kernel that ignores attention_axes.
    fused = rank == 3 and prm["dropout"] == 0 and not scores
    if fused:
        axes = (1,)
    elif not axes:
        raise ShapeError(
            "invalid_attention_axes",
            "attention_axes=[] leaves the softmax no axis to normalize over (only the fused rank-3 path, without "
            "dropout or scores, ignores attention_axes)",
            "params.attention_axes",
        )
    source, target, product_notation = _attention_notation(projected, axes)
    q_proj = (*query[:-1], h, dk)
    k_proj = (*key[:-1], h, dk)
    v_proj = (*value[:-1], h, dv)
    attention_scores = _einsum_shape(
        (  # torch.einsum(key, query); read query first so that a mismatch names the key's (or value's) field
            (target, q_proj, "query", "input_shape"),
            (source, k_proj, "key", "params.key_shape" if prm["key_shape"] is not None else "params.value_shape"),
        ),
        product_notation,
        axes,
    )
    combined = _einsum_shape(
        (
            (product_notation, attention_scores, "attention scores", "params.attention_axes"),
            (source, v_proj, "value", "params.value_shape"),
        ),
        target,
        axes,
    )
    out_dims = prm["output_shape"] or (c_q,)
    width = math.prod(out_dims)
    bias, gate = prm["use_bias"], prm["use_gate"]
    formula = {
        (True, False): KERAS_MHA_PARAMS,
        (False, False): KERAS_MHA_PARAMS_NO_BIAS,
        (True, True): KERAS_MHA_GATE_PARAMS,
        (False, True): KERAS_MHA_GATE_PARAMS_NO_BIAS,
    }[(bias, gate)]
    count = ctx.apply(formula, "parameters", h=h, d_k=dk, d_v=dv, C_q=c_q, C_k=c_k, C_v=c_v, C_o=width)
    weights = {"query/kernel": (c_q, h, dk)}
    if bias:
        weights["query/bias"] = (h, dk)
    weights["key/kernel"] = (c_k, h, dk)
    if bias:
        weights["key/bias"] = (h, dk)
    if gate:
        weights["gate/kernel"] = (c_q, h, dv)
        if bias:
            weights["gate/bias"] = (h, dv)
    weights["value/kernel"] = (c_v, h, dv)
    if bias:
        weights["value/bias"] = (h, dv)
    weights["attention_output/kernel"] = (h, dv, *out_dims)
    if bias:
        weights["attention_output/bias"] = out_dims
    outputs = {"output": (*combined[: rank - 1], *out_dims)}
    if scores:
        outputs["attention_scores"] = attention_scores
    return Outcome(outputs, weights, param_count=count)


def _attention_notation(projected: int, axes: tuple) -> tuple[str, str, str]:
    """Keras's einsum subscripts for key, query and the scores (its _build_attention_equation, restated)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    target = letters[:projected]
    removed = {a % projected for a in (*axes, projected - 1)}
    batch = [i for i in range(projected) if i not in removed]
    source, offset = "", projected
    for i in range(projected):
        if i in batch or i == projected - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch] + [target[a] for a in axes] + [source[a] for a in axes])
    return source, target, product


def _einsum_shape(operands, output: str, axes: tuple) -> tuple:
    """The shape torch.einsum gives `output` from (subscripts, shape, name, field) operands, or its error.

    A subscript's sizes must agree or be 1 (they broadcast); an output subscript appears once."""
    repeated = sorted({c for c in output if output.count(c) > 1})
    if repeated:
        raise ShapeError(
            "invalid_attention_axes",
            f"attention_axes {list(axes)} names an axis twice, or the feature axis (after Keras reads negative axes "
            f"on the projected tensor): its attention einsum would repeat an output subscript",
            "params.attention_axes",
        )
    sizes: dict = {}  # subscript -> (size, operand, position): a known size other than 1 wins, then an unknown one
    for subscripts, shape, name, fld in operands:
        for position, (c, d) in enumerate(zip(subscripts, shape, strict=True)):
            if c not in sizes:
                sizes[c] = (d, name, position)
                continue
            kept, first, at = sizes[c]
            settled = is_known(kept) and kept != 1
            if is_known(d) and d != 1:
                if settled and d != kept:
                    where = f"{fld}[{position}]" if fld.endswith("shape") else fld
                    raise ShapeError(
                        "batch_mismatch",
                        f"with attention_axes {list(axes)} the {name}'s axis {position} (size {d}) meets the {first}'s "
                        f"axis {at} (size {kept}) in Keras's attention einsum: they must match (or be 1)",
                        where,
                    )
                if not settled:
                    sizes[c] = (d, name, position)
            elif not is_known(d) and kept == 1:
                sizes[c] = (d, name, position)
    return tuple(sizes[c][0] for c in output)


register(
    LayerSpec(
        framework="keras",
        name="MultiHeadAttention",
        params=(
            Param("num_heads", integer(), doc="Number of attention heads h."),
            Param("key_dim", integer(), doc="Size d_k of each head for query and key."),
            Param("value_dim", optional(integer()), None, "Size d_v of each head for value (default key_dim)."),
            Param("dropout", dropout_rate(0.0, 1.0), 0.0, "Dropout on the attention probabilities, in [0, 1]."),
            Param("use_bias", boolean(), True, "Biases in the four projections."),
            Param(
                "output_shape",
                keras_output_shape(),
                None,
                "Last axis (or axes) of the output; default the query's last axis.",
            ),
            Param("attention_axes", axes_param(), None, "Axes attended over (default: all but batch and features)."),
            Param("sliding_window", optional(integer()), None, "Attend only within this distance; no shape change."),
            Param(
                "flash_attention",
                optional_bool(),
                None,
                "Use flash attention; cannot combine with dropout or returned scores.",
            ),
            Param("use_gate", boolean(), False, "Add a sigmoid gate projection of the query (C_q×h×d_v)."),
            Param(
                "value_shape",
                optional(shape_param()),
                None,
                "Call argument: the value's shape, batch included (default: the query's).",
            ),
            Param("key_shape", optional(shape_param()), None, "Call argument: the key's shape (default: the value's)."),
            Param("return_attention_scores", boolean(), False, "Call argument: also return the scores (B, h, *T, *S)."),
        ),
        rule=keras_mha_rule,
        formulas=(KERAS_MHA_PARAMS, KERAS_MHA_PARAMS_NO_BIAS, KERAS_MHA_GATE_PARAMS, KERAS_MHA_GATE_PARAMS_NO_BIAS),
        input_ranks=tuple(range(3, 9)),
        category="attention",
        equivalent="MultiheadAttention",
        note=(
            "input_shape is the query's shape (B, *T, C_q); value_shape (B, *S, C_v) and key_shape (B, *S, C_k) are "
            "parameters (default: self-attention). The output keeps the query's shape with the last axis C_o "
            "(output_shape, else C_q). Parameters h·d_k·(C_q + C_k) + h·d_v·(C_v + C_o) + biases 2·h·d_k + h·d_v + C_o; "
            "the key size d_k is per head, so widths need not divide. With return_attention_scores=True the scores are "
            "(B, h, T, S) (rank 3); Keras's symbolic shape (keras.Input) wrongly says (B, h, T, T). Rank-3 inputs "
            "without dropout or scores take a fused kernel that ignores attention_axes. Otherwise Keras reads "
            "attention_axes on the projected (B, *T, h, d_k), a negative axis counting from h: the batch (0) and "
            "the heads (-1, or the input's feature index) may be attended; d_k, an axis named twice, or [] fail. "
            "Axes that are not attended broadcast (a size of 1 matches any)."
        ),
    )
)


# ---- PyTorch ------------------------------------------------------------------------------------


def torch_mha_rule(ctx) -> Outcome:
    """query (L, N, E) / (N, L, E) / unbatched (L, E); key (S, N, kdim); value (S, N, vdim)."""
    prm = ctx.p
    embed, h = prm["embed_dim"], prm["num_heads"]
    if embed % h:
        raise ShapeError(
            "heads_mismatch",
            f"embed_dim must be divisible by num_heads, received embed_dim={embed} and num_heads={h}",
            "params.num_heads",
        )
    if prm["dropout"] < 0 and not prm["need_weights"]:
        # need_weights=True applies dropout only when p > 0; need_weights=False hands p to the fused kernel.
        raise ShapeError(
            "invalid_param",
            f"dropout must lie in [0, 1] with need_weights=False (the fused attention kernel rejects it), received {prm['dropout']}",
            "params.dropout",
        )
    kdim, vdim = prm["kdim"] or embed, prm["vdim"] or embed
    query = ctx.x
    key = _shape(prm["key_shape"], "params.key_shape") if prm["key_shape"] is not None else query
    value = _shape(prm["value_shape"], "params.value_shape") if prm["value_shape"] is not None else key
    rank = len(query)
    for name, other in (("key", key), ("value", value)):
        if len(other) != rank:
            batched = "batched (3-D)" if rank == 3 else "unbatched (2-D)"
            raise ShapeError(
                "rank_mismatch",
                f"For {batched} query, expected key and value to be {rank}-D, received {name} {shape_text(other)}",
                f"params.{name}_shape",
            )
    last = rank - 1
    for name, shape, want, fld in (
        ("embedding dimension", query, embed, f"input_shape[{last}]"),
        ("key dimension (kdim)", key, kdim, f"params.key_shape[{last}]"),
        ("value dimension (vdim)", value, vdim, f"params.value_shape[{last}]"),
    ):
        if is_known(shape[-1]) and shape[-1] != want:
            raise ShapeError("channel_mismatch", f"was expecting {name} of {want}, but got {shape[-1]}", fld)
    batched = rank == 3
    first = prm["batch_first"] and batched
    seq_axis, batch_axis = (1, 0) if first else (0, 1)
    same = kdim == embed and vdim == embed
    compare = range(rank) if same else ((seq_axis, batch_axis) if batched else (0,))
    for a in compare:
        if is_known(key[a]) and is_known(value[a]) and key[a] != value[a]:
            what = (
                "key shape does not match value shape" if same else "key's sequence and batch dims do not match value's"
            )
            raise ShapeError(
                "key_value_mismatch",
                f"{what}: key {shape_text(key)}, value {shape_text(value)}",
                f"params.value_shape[{a}]",
            )
    if batched:
        for name, shape in (("key", key), ("value", value)):
            if is_known(query[batch_axis]) and is_known(shape[batch_axis]) and query[batch_axis] != shape[batch_axis]:
                raise ShapeError(
                    "batch_mismatch",
                    f"the query's batch {query[batch_axis]} differs from the {name}'s {shape[batch_axis]}",
                    f"params.{name}_shape[{batch_axis}]",
                )
    source = key[seq_axis]
    if prm["add_bias_kv"]:
        source = ctx.apply(TORCH_MHA_EXTRA_KEY, "source length (add_bias_kv)", L_in=source)
    if prm["add_zero_attn"]:
        source = ctx.apply(TORCH_MHA_EXTRA_KEY, "source length (add_zero_attn)", L_in=source)
    bias = prm["bias"]
    if same and bias and not prm["add_bias_kv"]:
        count = ctx.apply(TORCH_MHA_PARAMS, "parameters", E=embed)
    else:
        vectors = (4 if bias else 0) + (2 if prm["add_bias_kv"] else 0)
        count = ctx.apply(TORCH_MHA_PARAMS_GENERAL, "parameters", E=embed, E_k=kdim, E_v=vdim, b=vectors)
    if same:
        weights = {"in_proj_weight": (3 * embed, embed)}
    else:
        weights = {"q_proj_weight": (embed, embed), "k_proj_weight": (embed, kdim), "v_proj_weight": (embed, vdim)}
    if bias:
        weights["in_proj_bias"] = (3 * embed,)
    if prm["add_bias_kv"]:
        weights["bias_k"] = (1, 1, embed)
        weights["bias_v"] = (1, 1, embed)
    weights["out_proj.weight"] = (embed, embed)
    if bias:
        weights["out_proj.bias"] = (embed,)
    outputs = {"attn_output": (*query[:-1], embed)}
    if prm["need_weights"]:
        target = query[seq_axis]
        per_head = () if prm["average_attn_weights"] else (h,)
        outputs["attn_weights"] = (
            (query[batch_axis], *per_head, target, source) if batched else (*per_head, target, source)
        )
    return Outcome(outputs, weights, param_count=count)


_torch = register(
    LayerSpec(
        framework="pytorch",
        name="MultiheadAttention",
        params=(
            Param("embed_dim", integer(), doc="Model width E: the query's last axis and the output's."),
            Param("num_heads", integer(), doc="Heads; must divide embed_dim (each head has E/num_heads)."),
            Param(
                "dropout",
                dropout_rate(
                    None,
                    1.0,
                    ": a module as constructed is in training mode, where the dropout fails; after .eval() it runs",
                ),
                0.0,
                "Dropout on the attention weights; above 1 fails in training mode (the module as constructed; after "
                ".eval() it runs), below 0 only with need_weights=False.",
            ),
            Param("bias", boolean(), True, "Biases in the input and output projections."),
            Param(
                "add_bias_kv", boolean(), False, "Learn an extra key/value position: S grows by 1, adds 2E parameters."
            ),
            Param("add_zero_attn", boolean(), False, "Append a zero key/value position: S grows by 1."),
            Param("kdim", optional(integer()), None, "Key features (default embed_dim)."),
            Param("vdim", optional(integer()), None, "Value features (default embed_dim)."),
            Param("batch_first", boolean(), False, "Inputs and attn_output are (N, L, E) instead of (L, N, E)."),
            Param(
                "key_shape", optional(shape_param()), None, "Forward argument: the key's shape (default: the query's)."
            ),
            Param(
                "value_shape",
                optional(shape_param()),
                None,
                "Forward argument: the value's shape (default: the key's).",
            ),
            Param("need_weights", boolean(), True, "Forward argument: also return attn_weights."),
            Param(
                "average_attn_weights",
                boolean(),
                True,
                "Forward argument: average the weights over heads (N, L, S); else (N, h, L, S).",
            ),
        ),
        rule=torch_mha_rule,
        formulas=(TORCH_MHA_PARAMS, TORCH_MHA_PARAMS_GENERAL, TORCH_MHA_EXTRA_KEY),
        input_ranks=(2, 3),
        category="attention",
        equivalent="MultiHeadAttention",
        note=(
            "input_shape is the query's shape (L, N, E), (N, L, E) with batch_first, or unbatched (L, E); key_shape "
            "(S, N, kdim) and value_shape (S, N, vdim) are parameters (default: self-attention). Outputs attn_output "
            "(the query's shape) and attn_weights (N, L, S) averaged over heads, never batch first. Parameters 4E²+4E "
            "by default; embed_dim must divide by num_heads. Keras's MultiHeadAttention sizes heads by key_dim instead."
        ),
    )
)
restrict_inert(_torch, {"device", "dtype"})
