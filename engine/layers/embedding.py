"""Embedding lookups (Keras Embedding / PyTorch Embedding): integer indices of any shape (*) -> (*, D)."""

from __future__ import annotations

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers.recurrent import restrict_inert
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, anything, boolean, integer, number, optional
from engine.symbols import D, N_vocab, P, lora_r

EMBEDDING_PARAMS = Formula(
    "embedding_param_count",
    P,
    N_vocab * D,
    "One vector of D numbers per index of the vocabulary N: a table N×D (no bias).",
)
EMBEDDING_LORA_PARAMS = Formula(
    "embedding_lora_param_count",
    P,
    N_vocab * D + lora_r * (N_vocab + D),
    "Keras Embedding with lora_rank=r: the N×D table (frozen) plus the trainable factors N×r and r×D.",
)


def keras_embedding_rule(ctx) -> Outcome:
    """(*) -> (*, output_dim); input_length is ignored, as Keras 3 ignores it."""
    vocab, width, rank = ctx.p["input_dim"], ctx.p["output_dim"], ctx.p["lora_rank"]
    weights = {"embeddings": (vocab, width)}
    if rank:
        count = ctx.apply(EMBEDDING_LORA_PARAMS, "parameters", N=vocab, D=width, r=rank)
        weights.update({"lora_embeddings_a": (vocab, rank), "lora_embeddings_b": (rank, width)})
        return Outcome({"output": (*ctx.x, width)}, weights, non_trainable=("embeddings",), param_count=count)
    count = ctx.apply(EMBEDDING_PARAMS, "parameters", N=vocab, D=width)
    return Outcome({"output": (*ctx.x, width)}, weights, param_count=count)


def torch_embedding_rule(ctx) -> Outcome:
    """(*) -> (*, embedding_dim)."""
    vocab, width, pad = ctx.p["num_embeddings"], ctx.p["embedding_dim"], ctx.p["padding_idx"]
    if pad is not None and not -vocab <= pad < vocab:
        raise ShapeError(
            "padding_idx_out_of_range",
            f"Padding_idx must be within num_embeddings: padding_idx must lie in [{-vocab}, {vocab - 1}], received {pad}",
            "params.padding_idx",
        )
    count = ctx.apply(EMBEDDING_PARAMS, "parameters", N=vocab, D=width)
    return Outcome({"output": (*ctx.x, width)}, {"weight": (vocab, width)}, param_count=count)


NOTE = "Any integer input shape (*) gives (*, D): one D-vector per index. Parameters N·D (no bias)."

register(
    LayerSpec(
        framework="keras",
        name="Embedding",
        params=(
            Param("input_dim", integer(), doc="Vocabulary size N: indices lie in [0, N)."),
            Param("output_dim", integer(), doc="Width D of each embedding vector: the output's new last axis."),
            Param("embeddings_initializer", anything(), "uniform", "How the table starts; no shape change."),
            Param("embeddings_regularizer", anything(), None, "No shape change."),
            Param("embeddings_constraint", anything(), None, "No shape change."),
            Param(
                "mask_zero",
                boolean(),
                False,
                "Treat index 0 as padding (a mask for later layers); then input_dim must count it. No shape change.",
            ),
            Param("weights", anything(), None, "Initial values; no shape change."),
            Param(
                "lora_rank",
                optional(integer(minimum=0)),
                None,
                "LoRA: freeze the table and train two factors N×r and r×D (0 or None: off).",
            ),
            Param("lora_alpha", anything(), None, "LoRA scaling; no shape change."),
            Param(
                "input_length",
                anything(),
                None,
                "Deprecated: Keras 3 accepts it with a warning and ignores it, even a wrong value.",
            ),
        ),
        rule=keras_embedding_rule,
        formulas=(EMBEDDING_PARAMS, EMBEDDING_LORA_PARAMS),
        input_ranks=tuple(range(1, 9)),
        category="embedding",
        equivalent="Embedding",
        note=NOTE
        + " Keras 3 ignores input_length (it warns 'Argument `input_length` is deprecated. Just remove it.') and it no "
        "longer builds a Sequential model: Embedding(263, 64, input_length=10) on (None, 10) gives (None, 10, 64), "
        "16,832 parameters.",
    )
)

_torch = register(
    LayerSpec(
        framework="pytorch",
        name="Embedding",
        params=(
            Param("num_embeddings", integer(), doc="Vocabulary size N: indices lie in [0, N)."),
            Param("embedding_dim", integer(), doc="Width D of each embedding vector: the output's new last axis."),
            Param(
                "padding_idx",
                optional(integer(minimum=-(2**31))),
                None,
                "Index whose vector stays zero (no gradient); must lie in [-N, N-1].",
            ),
            Param("max_norm", optional(number()), None, "Renormalize looked-up vectors to this norm; no shape change."),
            Param("norm_type", number(), 2.0, "The p of the p-norm for max_norm."),
            Param("scale_grad_by_freq", boolean(), False, "Scale gradients by index frequency; no shape change."),
            Param("sparse", boolean(), False, "Sparse gradients; no shape change."),
        ),
        rule=torch_embedding_rule,
        formulas=(EMBEDDING_PARAMS,),
        input_ranks=tuple(range(1, 9)),
        category="embedding",
        equivalent="Embedding",
        note=NOTE + " The input holds integer indices (torch.long); a 0-d index gives (D,).",
    )
)
restrict_inert(_torch, {"device", "dtype", "_weight", "_freeze"})
