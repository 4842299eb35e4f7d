"""Reshaping layers against the real frameworks: Keras Flatten / Reshape / Permute / RepeatVector and
PyTorch Flatten / Unflatten.

Each configuration builds the real layer and runs a tensor of zeros on the CPU; a Keras input with a None
dim is traced symbolically through keras.Input instead. The engine must give the same output shape,
parameter counts and weight shapes, and raise ShapeError exactly when the framework raises. The helpers
here (run_torch, run_keras: the reshape family's error set) are shared with test_conformance_norm_elementwise.py
and test_conformance_dense.py.
"""

from __future__ import annotations

import math
from functools import partial

import pytest

import engine
from engine import ShapeError
from tests.engine import conformance
from tests.engine.conformance import Tally
from tests.engine.conftest import CONFIGS_PER_LAYER

pytestmark = pytest.mark.conformance

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, IndexError, ZeroDivisionError)


# ---- running the real layers -----------------------------------------------------------------------

# Shared with test_conformance_norm_elementwise.py and test_conformance_dense.py.
run_torch = partial(conformance.run_torch, errors=FRAMEWORK_ERRORS, limit=300)


def run_keras(keras, layer: str, kwargs: dict, shape: tuple, symbolic: bool = False):
    """A shape with a None (batch included) is traced through keras.Input; else a real call."""
    symbolic = symbolic or any(v is None for v in shape)
    return conformance.run_keras(keras, layer, kwargs, shape, symbolic=symbolic, errors=FRAMEWORK_ERRORS, limit=300)


# ---- drawing helpers ------------------------------------------------------------------------------


def dims(rng, count: int, low: int = 1, high: int = 5) -> list:
    return [rng.randint(low, high) for _ in range(count)]


def maybe_none(rng, shape: list, prob: float, batch_prob: float = 0.2) -> tuple:
    """Sometimes an unknown batch, sometimes an unknown non-batch dim (Keras traces those symbolically)."""
    shape = list(shape)
    if rng.random() < batch_prob:
        shape[0] = None
    if len(shape) > 1 and rng.random() < prob:
        shape[rng.randrange(1, len(shape))] = None
    return tuple(shape)


def factor(rng, total: int, parts: int) -> list:
    """`parts` positive integers whose product is total."""
    out = []
    for _ in range(parts - 1):
        divisors = [d for d in range(1, total + 1) if total % d == 0]
        d = rng.choice(divisors)
        out.append(d)
        total //= d
    out.append(total)
    rng.shuffle(out)
    return out


def sizes_for(rng, total, parts: int) -> tuple:
    """Target sizes for `total` elements: mostly right (often with one -1), sometimes wrong or malformed."""
    roll = rng.random()
    if total is None or roll < 0.12:
        sizes = dims(rng, parts, 1, 6)
    else:
        sizes = factor(rng, total, parts)
    if rng.random() < 0.45:
        sizes[rng.randrange(parts)] = -1
    roll = rng.random()
    if roll < 0.04 and parts >= 2:
        sizes[0] = sizes[1] = -1  # two unknowns
    elif roll < 0.07:
        sizes[rng.randrange(parts)] = rng.choice((0, -2))
    elif roll < 0.12 and total is not None:
        sizes[rng.randrange(parts)] += 1  # wrong total
    return tuple(sizes)


# ---- Keras ------------------------------------------------------------------------------------------


def test_keras_flatten_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 5)
        shape = maybe_none(rng, [rng.randint(1, 3), *dims(rng, rank - 1)], 0.2)
        kwargs = {}
        roll = rng.random()
        if roll < 0.3:
            kwargs["data_format"] = rng.choice(("channels_last", "channels_first"))
        elif roll < 0.42:  # Flatten accepts every rank, so a bad data_format is its only rejection
            kwargs["data_format"] = "channels_middle"
        tally.check("keras", "Flatten", kwargs, kwargs, shape, run_keras(keras, "Flatten", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=1)


def test_keras_reshape_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rest = dims(rng, rng.randint(1, 3), 1, 6)
        shape = maybe_none(rng, [rng.randint(1, 3), *rest], 0.15)
        total = None if None in shape[1:] else math.prod(shape[1:])
        target = sizes_for(rng, total, rng.randint(1, 3))
        if None in shape[1:] and 0 in target:
            target = tuple(1 if t == 0 else t for t in target)  # Keras cannot check a 0 without the sizes
        roll = rng.random()
        if roll < 0.03:
            target = math.prod(rest)  # a bare int: Keras wants a tuple
        elif roll < 0.06 and total == 1:
            target = ()
        kwargs = {"target_shape": target}
        tally.check("keras", "Reshape", kwargs, kwargs, shape, run_keras(keras, "Reshape", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_keras_permute_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        k = rng.randint(1, 4)
        shape = maybe_none(rng, [rng.randint(1, 3), *dims(rng, k)], 0.2)
        perm = list(range(1, k + 1))
        rng.shuffle(perm)
        roll = rng.random()
        if roll < 0.08:
            perm = [p - 1 for p in perm]  # 0-based by mistake
        elif roll < 0.14 and k >= 2:
            perm[0] = perm[1]  # not a permutation
        elif roll < 0.22:
            perm = perm + [k + 1] if rng.random() < 0.5 else perm[:-1] or [1]  # rank mismatch
        kwargs = {"dims": tuple(perm)}
        tally.check("keras", "Permute", kwargs, kwargs, shape, run_keras(keras, "Permute", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_keras_repeat_vector_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = 2 if rng.random() < 0.85 else rng.choice((1, 3))
        shape = maybe_none(rng, [rng.randint(1, 3), *dims(rng, rank - 1)], 0.2)
        kwargs = {"n": rng.randint(1, 5) if rng.random() < 0.93 else 0}
        tally.check("keras", "RepeatVector", kwargs, kwargs, shape, run_keras(keras, "RepeatVector", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- PyTorch ----------------------------------------------------------------------------------------


def test_torch_flatten_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 5)
        shape = tuple(dims(rng, rank, 1, 4))
        kwargs = {}
        if rng.random() < 0.8:
            kwargs["start_dim"] = rng.randint(-rank - 1, rank)
        if rng.random() < 0.6:
            kwargs["end_dim"] = rng.randint(-rank - 1, rank)
        tally.check("pytorch", "Flatten", kwargs, kwargs, shape, run_torch(torch, "Flatten", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_torch_unflatten_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 4)
        shape = tuple(dims(rng, rank, 1, 8))
        dim = rng.randint(-rank - 1, rank) if rng.random() < 0.15 else rng.randint(-rank, rank - 1)
        total = shape[dim] if -rank <= dim < rank else 6
        sizes = sizes_for(rng, total, rng.randint(1, 3))
        roll = rng.random()
        if roll < 0.03:
            sizes = total  # a bare int: torch wants a tuple
        elif roll < 0.06:
            sizes = ()
        elif roll < 0.5:
            sizes = list(sizes)
        kwargs = {"dim": dim, "unflattened_size": sizes}
        tally.check("pytorch", "Unflatten", kwargs, kwargs, shape, run_torch(torch, "Unflatten", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- pinned traps (literal numbers) -------------------------------------------------------------------


def test_pin_keras_reshape_infers_minus_one(keras):
    r = engine.evaluate("keras", "Reshape", {"target_shape": [-1, 128]}, [None, 16, 16, 64])
    assert r["output_shape"] == [None, 128, 128]
    assert r["param_count"] == 0
    assert run_keras(keras, "Reshape", {"target_shape": (-1, 128)}, (None, 16, 16, 64))[1] == (None, 128, 128)
    # GAN generator: Dense(32768) -> Reshape((16, 16, 128))
    assert engine.evaluate("keras", "Reshape", {"target_shape": [16, 16, 128]}, [None, 32768])["output_shape"] == [
        None,
        16,
        16,
        128,
    ]


def test_pin_keras_reshape_wrong_total_names_both_sizes(keras):
    with pytest.raises(ShapeError) as err:
        engine.evaluate("keras", "Reshape", {"target_shape": [5, 5]}, [None, 4, 6])
    assert err.value.code == "size_mismatch"
    assert err.value.field == "params.target_shape"
    assert "total size of the tensor must be unchanged" in err.value.message
    assert "24" in err.value.message and "25" in err.value.message
    assert run_keras(keras, "Reshape", {"target_shape": (5, 5)}, (2, 4, 6))[0] == "error"
    with pytest.raises(ShapeError) as err:
        engine.evaluate("keras", "Reshape", {"target_shape": [-1, 5]}, [None, 4, 6])
    assert "24" in err.value.message and "5" in err.value.message


def test_pin_torch_flatten_start_dim_end_dim(torch):
    assert engine.evaluate("torch", "Flatten", {}, [16, 3, 32, 32])["output_shape"] == [16, 3072]
    assert engine.evaluate("torch", "Flatten", {"start_dim": 0}, [16, 3, 32, 32])["output_shape"] == [49152]
    assert engine.evaluate("torch", "Flatten", {"start_dim": 2}, [16, 3, 32, 32])["output_shape"] == [16, 3, 1024]
    assert engine.evaluate("torch", "Flatten", {"start_dim": 1, "end_dim": 2}, [16, 3, 32, 32])["output_shape"] == [
        16,
        96,
        32,
    ]
    assert engine.evaluate("torch", "Flatten", {"start_dim": 2, "end_dim": 2}, [16, 3, 32, 32])["output_shape"] == [
        16,
        3,
        32,
        32,
    ]
    assert run_torch(torch, "Flatten", {"start_dim": 1, "end_dim": 2}, (16, 3, 32, 32))[1] == (16, 96, 32)
    with pytest.raises(ShapeError) as err:
        engine.evaluate("torch", "Flatten", {"start_dim": 2, "end_dim": 1}, [16, 3, 32, 32])
    assert err.value.code == "invalid_param" and err.value.field == "params.start_dim"
    assert "start_dim cannot come after end_dim" in err.value.message
    assert run_torch(torch, "Flatten", {"start_dim": 2, "end_dim": 1}, (16, 3, 32, 32))[0] == "error"


# ---- unit tests (no framework): None, symbols, error codes and fields ---------------------------------------


def test_none_dims_stay_none():
    assert engine.evaluate("keras", "Flatten", {}, [None, None, 4])["output_shape"] == [None, None]
    assert engine.evaluate("keras", "Flatten", {}, [None])["output_shape"] == [None, 1]
    assert engine.evaluate("keras", "Reshape", {"target_shape": [-1, 3]}, [None, None, 6])["output_shape"] == [
        None,
        None,
        3,
    ]
    # Keras cannot check the total when a size is unknown: the target is taken as given.
    assert engine.evaluate("keras", "Reshape", {"target_shape": [5, 5]}, [None, None, 6])["output_shape"] == [
        None,
        5,
        5,
    ]
    assert engine.evaluate("keras", "Permute", {"dims": [2, 1]}, [None, None, 4])["output_shape"] == [None, 4, None]
    assert engine.evaluate("keras", "RepeatVector", {"n": 3}, [None, None])["output_shape"] == [None, 3, None]
    assert engine.evaluate("torch", "Flatten", {}, [None, 3, None])["output_shape"] == [None, None]
    assert engine.evaluate("torch", "Unflatten", {"dim": 1, "unflattened_size": [2, -1]}, [None, None])[
        "output_shape"
    ] == [None, 2, None]


def test_symbolic_dims_give_expressions():
    r = engine.evaluate("keras", "Flatten", {}, [None, "H", "W", 3])
    assert r["output_shape"] == [None, "3*H*W"]
    assert [f["key"] for f in r["formulas"]] == ["flatten_running_product"] * 2
    r = engine.evaluate("keras", "Reshape", {"target_shape": [-1, 3]}, ["N", "H", "W", 3])
    assert r["output_shape"] == ["N", "H*W", 3]
    assert r["formulas"][0]["key"] == "reshape_inferred_size"
    r = engine.evaluate("keras", "Reshape", {"target_shape": [4, -1]}, [None, "T", 6])
    assert r["output_shape"] == [None, 4, "3*T/2"]
    assert engine.evaluate("torch", "Flatten", {"start_dim": -2}, [2, "C", "H", "W"])["output_shape"] == [2, "C", "H*W"]
    r = engine.evaluate("torch", "Unflatten", {"dim": 1, "unflattened_size": [-1, 7, 7]}, ["N", "F"])
    assert r["output_shape"] == ["N", "F/49", 7, 7]


def test_substituted_formulas_render():
    r = engine.evaluate("torch", "Flatten", {}, [2, 3, 4, 5], substitute=True)
    assert r["output_shape"] == [2, 60]
    assert [f["values"] for f in r["formulas"]] == [{"i": 3, "L_in": 4}, {"i": 12, "L_in": 5}]
    assert all(f["substituted"]["text"] and f["latex"] for f in r["formulas"])


@pytest.mark.parametrize(
    "framework, layer, params, shape, code, field, words",
    [
        (
            "keras",
            "Reshape",
            {"target_shape": [-1, -1]},
            [None, 4, 6],
            "invalid_param",
            "params.target_shape",
            "at most one",
        ),
        ("keras", "Reshape", {"target_shape": 24}, [None, 4, 6], "invalid_param", "params.target_shape", "tuple"),
        ("keras", "Reshape", {"target_shape": [0, 24]}, [None, 4, 6], "invalid_param", "params.target_shape", "0"),
        ("keras", "Reshape", {"target_shape": [-1, 5]}, [None, 4, 6], "size_mismatch", "params.target_shape", "24"),
        ("keras", "Reshape", {}, [None, 4, 6], "missing_param", "params.target_shape", "target_shape"),
        ("keras", "Permute", {"dims": [0, 1]}, [None, 4, 6], "invalid_permutation", "params.dims", "1-based"),
        ("keras", "Permute", {"dims": [1, 1]}, [None, 4, 6], "invalid_permutation", "params.dims", "[1, 1]"),
        ("keras", "Permute", {"dims": [1, 2, 3]}, [None, 4, 6], "rank_mismatch", "input_shape", "rank 4"),
        ("keras", "RepeatVector", {"n": 0}, [None, 4], "invalid_param", "params.n", "received 0"),
        ("keras", "RepeatVector", {"n": 2}, [None, 4, 5], "rank_mismatch", "input_shape", "rank 2"),
        ("keras", "Flatten", {"data_format": "nhwc"}, [None, 4], "invalid_param", "params.data_format", "nhwc"),
        ("pytorch", "Flatten", {"start_dim": 4}, [2, 3, 4, 5], "axis_out_of_range", "params.start_dim", "[-4, 3]"),
        ("pytorch", "Flatten", {"end_dim": -5}, [2, 3, 4, 5], "axis_out_of_range", "params.end_dim", "-5"),
        ("pytorch", "Flatten", {}, [7], "axis_out_of_range", "params.start_dim", "rank-1"),
        (
            "pytorch",
            "Flatten",
            {"start_dim": -1, "end_dim": 1},
            [2, 3, 4],
            "invalid_param",
            "params.start_dim",
            "after",
        ),
        ("pytorch", "Flatten", {"strat_dim": 1}, [2, 3], "unknown_param", "params.strat_dim", "start_dim"),
        (
            "pytorch",
            "Unflatten",
            {"dim": 1, "unflattened_size": [2, 4]},
            [2, 6],
            "size_mismatch",
            "input_shape[1]",
            "(6)",
        ),
        (
            "pytorch",
            "Unflatten",
            {"dim": 1, "unflattened_size": [4, -1]},
            [2, 6],
            "size_mismatch",
            "input_shape[1]",
            "4",
        ),
        (
            "pytorch",
            "Unflatten",
            {"dim": 1, "unflattened_size": 6},
            [2, 6],
            "invalid_param",
            "params.unflattened_size",
            "tuple",
        ),
        (
            "pytorch",
            "Unflatten",
            {"dim": 1, "unflattened_size": []},
            [2, 6],
            "invalid_param",
            "params.unflattened_size",
            "empty",
        ),
        ("pytorch", "Unflatten", {"dim": 2, "unflattened_size": [6]}, [2, 6], "axis_out_of_range", "params.dim", "2"),
        (
            "pytorch",
            "Unflatten",
            {"dim": 1, "unflattened_size": [-2, -3]},
            [2, 6],
            "invalid_param",
            "params.unflattened_size",
            "-2",
        ),
    ],
)
def test_errors_name_code_field_and_values(framework, layer, params, shape, code, field, words):
    with pytest.raises(ShapeError) as err:
        engine.evaluate(framework, layer, params, shape)
    assert (err.value.code, err.value.field) == (code, field), repr(err.value)
    assert words in err.value.message, repr(err.value)


def test_trace_through_reshaping_layers():
    t = engine.trace(
        "keras",
        [None, 28, 28],
        [
            {"layer": "Reshape", "params": {"target_shape": [28, 28, 1]}},
            {"layer": "Permute", "params": {"dims": [3, 1, 2]}},
            {"layer": "Flatten"},
            {"layer": "RepeatVector", "params": {"n": 4}},
        ],
    )
    assert [s["output_shape"] for s in t["layers"]] == [
        [None, 28, 28, 1],
        [None, 1, 28, 28],
        [None, 784],
        [None, 4, 784],
    ]
    with pytest.raises(ShapeError) as err:
        engine.trace("pytorch", [2, 12], [{"layer": "Unflatten", "params": {"dim": 1, "unflattened_size": [5, -1]}}])
    assert err.value.field == "layers[0].input_shape[1]" and err.value.layer_index == 0
