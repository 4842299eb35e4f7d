"""Symbols carried through long stacks stay cheap: the expression size is bounded per dimension."""

from __future__ import annotations

import time

import pytest

from engine import ShapeError, evaluate, trace
from engine.bounds import MAX_SYMBOLIC_TERMS
from engine.compile import MAX_SYMBOLIC_NODES

STRIDED_CONV = {"layer": "Conv1d", "params": {"in_channels": 4, "out_channels": 4, "kernel_size": 3, "stride": 2}}


def test_short_symbolic_trace_gives_nested_closed_forms():
    result = trace("pytorch", [None, 4, "L"], [STRIDED_CONV] * 3)
    assert result["output_shape"][:2] == [None, 4]
    text = result["output_shape"][2]
    assert text.count("floor") >= 2 and "L" in text


def test_symbolic_closed_form_agrees_with_numbers_along_a_trace():
    import sympy

    length_symbol = sympy.Symbol("L", integer=True, positive=True)
    symbolic = trace("pytorch", [2, 4, "L"], [STRIDED_CONV] * 4)["layers"]
    # Reading back our own printed output (never a user's string) to check it against numbers.
    closed_forms = [sympy.parse_expr(step["output_shape"][2], local_dict={"L": length_symbol}) for step in symbolic]
    for length in (31, 32, 33, 64, 1000, 2**31):
        numeric = trace("pytorch", [2, 4, length], [STRIDED_CONV] * 4)["layers"]
        assert [int(form.subs(length_symbol, length)) for form in closed_forms] == [
            n["output_shape"][2] for n in numeric
        ]
        assert [s["param_count"] for s in symbolic] == [n["param_count"] for n in numeric]
    assert (
        evaluate("pytorch", "Conv1d", STRIDED_CONV["params"], [2, 4, "L"])["output_shape"][2] == "floor((L - 3)/2) + 1"
    )


@pytest.mark.parametrize(
    "framework, shape, layer",
    [
        ("pytorch", [None, 4, "L"], STRIDED_CONV),
        (
            "keras",
            [None, "H", "W", 3],
            {"layer": "Conv2D", "params": {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}},
        ),
    ],
)
def test_runaway_symbolic_trace_is_a_fast_clean_error(framework, shape, layer):
    started = time.perf_counter()
    with pytest.raises(ShapeError) as err:
        trace(framework, shape, [layer] * 1000)
    elapsed = time.perf_counter() - started
    assert err.value.code == "symbolic_too_complex"
    assert err.value.layer_index is not None and err.value.layer_index < 100
    # Either bound may trip first: one dimension's size, or the request's symbolic work.
    assert str(MAX_SYMBOLIC_NODES) in err.value.message or str(MAX_SYMBOLIC_TERMS) in err.value.message
    assert elapsed < 10, f"bounded symbolic work took {elapsed:.1f} s"


VALID_CONV3D = {"layer": "Conv3d", "params": {"in_channels": 1, "out_channels": 1, "kernel_size": 2}}


def test_a_thousand_valid_convolutions_on_symbols_stop_within_a_second():
    # Each layer only subtracts 1 (D - 1, D - 2, ...): the sizes stay small, but every new floor()
    # costs SymPy a millisecond or two; this request took 6-12 s before the per-request budget.
    # (CPU time of this process: other work on a shared machine does not count.)
    started = time.process_time()
    with pytest.raises(ShapeError) as err:
        trace("pytorch", [1, 1, "D", "H", "W"], [VALID_CONV3D] * 1000)
    elapsed = time.process_time() - started
    assert err.value.code == "symbolic_too_complex"
    assert str(MAX_SYMBOLIC_TERMS) in err.value.message and "give a number" in err.value.message
    assert err.value.field == f"layers[{err.value.layer_index}].input_shape"
    assert elapsed < 2, f"took {elapsed:.2f} s"
    # The same stack on numbers is answered, and a short symbolic one too.
    assert trace("pytorch", [1, 1, 2000, 2000, 2000], [VALID_CONV3D] * 1000)["output_shape"] == [1, 1, 1000, 1000, 1000]
    assert trace("pytorch", [1, 1, "D", "H", "W"], [VALID_CONV3D] * 20)["output_shape"][2:] == [
        "D - 20",
        "H - 20",
        "W - 20",
    ]


def test_repeated_symbolic_work_is_charged_once_per_request():
    # A 1x1 convolution leaves D as D: the same formula on the same input is worked out once.
    same = {"layer": "Conv3d", "params": {"in_channels": 1, "out_channels": 1, "kernel_size": 1}}
    started = time.process_time()
    result = trace("pytorch", [1, 1, "D", "H", "W"], [same] * 1000)
    assert result["output_shape"] == [1, 1, "D", "H", "W"]
    assert time.process_time() - started < 2


def test_the_budget_is_per_request():
    # Two requests in a row each get the whole budget (a refused one does not eat into the next).
    for _ in range(2):
        with pytest.raises(ShapeError):
            trace("pytorch", [1, 1, "D", "H", "W"], [VALID_CONV3D] * 1000)
        assert evaluate("pytorch", "Conv3d", VALID_CONV3D["params"], [1, 1, "D", 5, 5])["output_shape"][2] == "D - 1"
