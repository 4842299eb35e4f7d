"""Embeddings and multi-head attention against the real frameworks: random configurations, shapes, counts, rejections.

Each configuration builds the real layer and runs tensors of zeros on the CPU (a None dimension runs as 2 and is put
back as None). For attention, the engine's input_shape is the query's shape and value_shape / key_shape are
parameters; the framework gets tensors of those shapes. The engine must give the same output shapes (all of them,
in order), parameter counts and weight shapes, and raise ShapeError exactly when the framework raises.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest

from tests.engine import conformance
from tests.engine.conformance import (
    BOTH,
    LIST,
    Tally,
    concrete,
    framework_error,
    keras_counts,
    keras_weights,
    last_path_part,
    torch_counts,
)
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, AssertionError, IndexError)


def strip_layer_name(w) -> str:
    return w.path.split("/", 1)[1]


def random_shape(rng, rank: int, none_prob: float = 0.0) -> tuple:
    return tuple(None if rng.random() < none_prob else rng.randint(1, 4) for _ in range(rank))


# ---- Embedding ------------------------------------------------------------------------------------


def run_keras_embedding(keras, kwargs: dict, shape: tuple):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = keras.layers.Embedding(**kwargs)
            out = tuple(obj(np.zeros(concrete(shape), dtype="int32")).shape)
        except FRAMEWORK_ERRORS as err:
            return framework_error(err)
    out = (*(None if v is None else o for v, o in zip(shape, out[:-1], strict=True)), out[-1])
    return ("ok", [out], *keras_counts(obj, partial(keras_weights, name=last_path_part)))


def draw_keras_embedding(rng):
    kwargs: dict = {"input_dim": rng.randint(1, 40), "output_dim": rng.randint(1, 12)}
    if rng.random() < 0.3:
        kwargs["mask_zero"] = rng.random() < 0.5
    if rng.random() < 0.3:
        kwargs["input_length"] = rng.randint(1, 12)  # Keras 3 ignores it, right or wrong
    if rng.random() < 0.15:
        kwargs["lora_rank"] = rng.choice((0, 1, 2, 3))
    if rng.random() < 0.12:
        kwargs[rng.choice(("input_dim", "output_dim"))] = rng.choice((0, -3))
    shape = random_shape(rng, rng.randint(1, 4), none_prob=0.2)
    return kwargs, shape


def test_keras_embedding_matches_keras(rng, torch, keras):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_keras_embedding(rng)
        tally.check("keras", "Embedding", kwargs, kwargs, shape, run_keras_embedding(keras, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def run_torch_embedding(torch, kwargs: dict, shape: tuple):
    return conformance.run_torch(
        torch, "Embedding", kwargs, shape, errors=FRAMEWORK_ERRORS, form=LIST, dtype=torch.long
    )


def draw_torch_embedding(rng):
    vocab = rng.randint(1, 40)
    kwargs: dict = {"num_embeddings": vocab, "embedding_dim": rng.randint(1, 12)}
    if rng.random() < 0.4:
        kwargs["padding_idx"] = rng.randint(-vocab, vocab - 1)
        if rng.random() < 0.3:
            kwargs["padding_idx"] = rng.choice((-vocab - 1, vocab, vocab + 2))  # outside [-N, N-1]
    if rng.random() < 0.04:
        kwargs[rng.choice(("num_embeddings", "embedding_dim"))] = -3
    if rng.random() < 0.2:
        kwargs["max_norm"] = rng.choice((1.0, 2.5))
    if rng.random() < 0.1:
        kwargs["scale_grad_by_freq"] = True
    if rng.random() < 0.1:
        kwargs["sparse"] = True
    return kwargs, random_shape(rng, rng.randint(1, 4))


def test_torch_embedding_matches_pytorch(rng, torch):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, shape = draw_torch_embedding(rng)
        tally.check("pytorch", "Embedding", kwargs, kwargs, shape, run_torch_embedding(torch, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- Keras MultiHeadAttention --------------------------------------------------------------------


def run_keras_mha(keras, kwargs: dict, call: dict, query: tuple, value: tuple, key: tuple | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = keras.layers.MultiHeadAttention(**kwargs)
            args = [np.zeros(concrete(query), dtype="float32"), np.zeros(concrete(value), dtype="float32")]
            if key is not None:
                args.append(np.zeros(concrete(key), dtype="float32"))
            y = obj(*args, **call)
        except FRAMEWORK_ERRORS as err:
            return framework_error(err)
    outputs = [tuple(t.shape) for t in (y if isinstance(y, (list, tuple)) else [y])]
    if query[0] is None:  # a None batch (in query, value and key alike) ran as 2
        outputs = [(None, *s[1:]) for s in outputs]
    return ("ok", outputs, *keras_counts(obj, partial(keras_weights, name=strip_layer_name)))


def draw_keras_mha(rng):
    """(kwargs, call kwargs, engine params, query, value, key)."""
    heads, key_dim = rng.randint(1, 3), rng.randint(1, 4)
    kwargs: dict = {"num_heads": heads, "key_dim": key_dim}
    if rng.random() < 0.4:
        kwargs["value_dim"] = rng.randint(1, 4)
    if rng.random() < 0.25:
        kwargs["use_bias"] = False
    if rng.random() < 0.3:
        kwargs["output_shape"] = rng.choice((rng.randint(1, 6), (rng.randint(1, 3), rng.randint(1, 3)), 0))
    if rng.random() < 0.2:
        kwargs["use_gate"] = True
    if rng.random() < 0.3:
        kwargs["dropout"] = rng.choice((0.2, 0.2, 1.5))
    if rng.random() < 0.05:
        kwargs["flash_attention"] = True
        kwargs["dropout"] = rng.choice((0.0, 0.3))  # CPU torch has no flash kernel: keep it to the rejected cases
    if rng.random() < 0.03:
        kwargs[rng.choice(("num_heads", "key_dim"))] = 0
    rank = 3 if rng.random() < 0.65 else 4
    call = {"return_attention_scores": rng.random() < 0.5}
    if kwargs.get("flash_attention") and not kwargs["dropout"]:
        call["return_attention_scores"] = True
    attended = list(range(1, rank - 1))
    if rng.random() < 0.4:
        if rank == 4:
            axes = rng.choice(([1], [2], [2, 1], [1, 2], [-2], [-3, -2]))
        else:
            axes = rng.choice(([1], [-2], 1))
        kwargs["attention_axes"] = axes
        attended = [a % rank for a in ([axes] if isinstance(axes, int) else axes)]  # -2 is axis rank - 2
    if rng.random() < 0.15:
        # Any axis Keras can index on the projected (B, *T, heads, key_dim), batch and heads included (Keras takes
        # them), the feature axis or one axis twice (the einsum fails), out of range (the build fails), or none.
        kwargs["attention_axes"] = rng.choice(
            ([], [0], [rank - 1], [-1], [1, 1], [rank], [rank + 1], [-rank - 1], [-rank - 2], [0, rank - 1])
            + ([rng.randint(-rank - 3, rank + 1) for _ in range(rng.randint(1, 3))],)
        )
        attended = [] if rng.random() < 0.5 else attended  # S equal to T now and then: more of them run
    # A None batch runs as 2 and is put back as the first dim of each output, which is not the batch when
    # the batch axis is attended: those draws keep a known batch.
    odd_axes = kwargs.get("attention_axes") not in (None, 1, [1], [-2], [2], [2, 1], [1, 2], [-3, -2])
    batch = None if rng.random() < 0.3 and not odd_axes else rng.randint(1, 3)
    query = [batch] + [rng.randint(2, 4) for _ in range(rank - 2)] + [rng.randint(1, 5)]
    value = list(query)
    for a in attended:
        value[a] = rng.randint(2, 5)  # S differs from T
    value[-1] = rng.randint(1, 5)
    roll = rng.random()
    if roll < 0.05 and batch is not None:
        value[0] = batch + 1  # batch mismatch (1 would broadcast)
    elif roll < 0.1 and batch is not None:
        value[0] = 1  # broadcasts
    key = None
    if rng.random() < 0.35:
        key = list(value)
        key[-1] = rng.randint(1, 5)
        if rng.random() < 0.1:
            key[1] += 1  # key and value must agree except on the last axis
    if rng.random() < 0.03:
        value = value[:-2] + value[-1:]  # rank mismatch
    params = {**kwargs, **call, "value_shape": value}
    if key is not None:
        params["key_shape"] = key
    return kwargs, call, params, tuple(query), tuple(value), None if key is None else tuple(key)


def test_keras_multi_head_attention_matches_keras(rng, torch, keras):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, call, params, query, value, key = draw_keras_mha(rng)
        real = run_keras_mha(keras, kwargs, call, query, value, key)
        tally.check("keras", "MultiHeadAttention", params, {**kwargs, **call, "key": key, "value": value}, query, real)
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- PyTorch MultiheadAttention ------------------------------------------------------------------


def run_torch_mha(torch, kwargs: dict, call: dict, query: tuple, key: tuple, value: tuple):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = torch.nn.MultiheadAttention(**kwargs)
            with torch.no_grad():
                out, weights = module(torch.zeros(query), torch.zeros(key), torch.zeros(value), **call)
        except FRAMEWORK_ERRORS as err:
            return framework_error(err)
    outputs = [tuple(out.shape)] + ([] if weights is None else [tuple(weights.shape)])
    return ("ok", outputs, *torch_counts(module))


def draw_torch_mha(rng):
    heads = rng.randint(1, 4)
    embed = heads * rng.randint(1, 3)
    if rng.random() < 0.06:
        embed += 1 if heads > 1 else 0  # not divisible by num_heads
    kwargs: dict = {"embed_dim": embed, "num_heads": heads}
    for flag, p in (("bias", 0.25), ("add_bias_kv", 0.25), ("add_zero_attn", 0.25), ("batch_first", 0.4)):
        if rng.random() < p:
            kwargs[flag] = rng.random() < 0.6 if flag != "bias" else False
    if rng.random() < 0.3:
        kwargs["kdim"] = rng.randint(1, 6)
    if rng.random() < 0.3:
        kwargs["vdim"] = rng.randint(1, 6)
    if rng.random() < 0.15:
        kwargs["dropout"] = rng.choice((0.1, 1.5, -0.2))  # above 1 fails in training mode; below 0 does nothing
    call = {}
    if rng.random() < 0.2:
        call["need_weights"] = False
    if rng.random() < 0.3:
        call["average_attn_weights"] = False
    kdim, vdim = kwargs.get("kdim") or embed, kwargs.get("vdim") or embed
    batched = rng.random() < 0.75
    batch, target, source = rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 4)

    def make(length, width):
        if not batched:
            return [length, width]
        return [batch, length, width] if kwargs.get("batch_first") else [length, batch, width]

    query, key, value = make(target, embed), make(source, kdim), make(source, vdim)
    roll = rng.random()
    if roll < 0.04:
        query[-1] += 1  # not embed_dim
    elif roll < 0.08:
        key[-1] += 1  # not kdim
    elif roll < 0.12:
        value[0] += 1  # sequence (or batch) mismatch with the key
    elif roll < 0.16 and batched:
        b = 0 if kwargs.get("batch_first") else 1
        key[b] = value[b] = batch + 1  # query batch differs
    elif roll < 0.18:
        key = key[-1:] + key if batched else [1, *key]  # rank mismatch
    params = {**kwargs, **call}
    if key != query or rng.random() < 0.5:
        params["key_shape"] = key
    if value != key or rng.random() < 0.5:
        params["value_shape"] = value
    return kwargs, call, params, tuple(query), tuple(key), tuple(value)


def test_torch_multihead_attention_matches_pytorch(rng, torch):
    tally = Tally(LIST, BOTH)
    for _ in range(CONFIGS_PER_LAYER):
        kwargs, call, params, query, key, value = draw_torch_mha(rng)
        real = run_torch_mha(torch, kwargs, call, query, key, value)
        tally.check(
            "pytorch", "MultiheadAttention", params, {**kwargs, **call, "key": key, "value": value}, query, real
        )
    tally.assert_floor(CONFIGS_PER_LAYER)
