"""Formula.substituted prints each formula once per set of shown symbols and puts the numbers in: the
result must be exactly what printing the numbers gives (engine.render.render), for every formula."""

from __future__ import annotations

import math

import sympy as sp

import engine
from engine import compile as engine_compile
from engine import render

H = sp.Symbol("H")


def _draw(rng, arg):
    return rng.choice(
        [
            rng.randint(0, 10),
            rng.randint(0, 2**31),
            rng.random() * 10,
            float(rng.randint(0, 9)),
            -rng.randint(1, 9),
            None,
            True,
            H,
            sp.floor((H - 1) / 2) + 1,
        ]
    )


def _printed(formula, values):
    shown = {
        a: values[a.name]
        for a in formula.args
        if values.get(a.name) is not None and not isinstance(values[a.name], bool)
    }
    return render.render(formula.equation, explicit_times=True, shown=shown)


def test_template_equals_printing_the_numbers(rng):
    formulas = [f for spec in engine.layers(None) for f in spec.formulas]
    checked = 0
    for _ in range(3):
        for formula in formulas:
            values = {a.name: _draw(rng, a) for a in formula.args}
            assert formula.substituted(values) == _printed(formula, values), (formula.key, values)
            checked += 1
    assert checked >= 3 * len(formulas) > 300


def test_three_and_three_point_zero_print_differently():
    formula = engine.get_layer("keras", "Dense").formulas[-1]
    ints = {a.name: 3 for a in formula.args}
    floats = {a.name: 3.0 for a in formula.args}
    assert formula.substituted(ints) != formula.substituted(floats)
    assert formula.substituted(floats) == _printed(formula, floats)


def test_caches_are_bounded():
    assert engine_compile._substitution_template.cache_info().maxsize == engine_compile.SUBSTITUTED_CACHE_SIZE
    assert engine_compile._substituted.cache_info().maxsize == engine_compile.SUBSTITUTED_CACHE_SIZE
    assert not math.isinf(engine_compile.SUBSTITUTED_CACHE_SIZE)


def test_answers_are_copies():
    formula = engine.get_layer("keras", "Conv1D").formulas[0]
    values = {a.name: 5 for a in formula.args}
    first = formula.substituted(values)
    first["text"] = "changed"
    assert formula.substituted(values)["text"] != "changed"
    symbolic = {a.name: H for a in formula.args}
    second = formula.substituted(symbolic)
    second["text"] = "changed"
    assert formula.substituted(symbolic)["text"] != "changed"
