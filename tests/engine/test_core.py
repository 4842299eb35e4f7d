"""Unit tests of the engine core (no framework): compiled formulas, resolve(), parse_input_shape,
evaluate/trace answers, and the fast paths against the general code they shortcut."""

from __future__ import annotations

import inspect
import math
import random
from fractions import Fraction

import pytest
import sympy as sp

import engine
from engine import api, registry
from engine.compile import Formula
from engine.errors import ShapeError
from engine.spec import MAX_INT, LayerSpec, Outcome, Param, boolean, choice, integer, per_axis
from engine.symbols import C_in, C_out, K, L_in, L_out, P, d, g, k, p, s

# Formulas private to these tests (keys prefixed so they cannot clash with the engine's).
CONV = Formula("test_core_conv", L_out, sp.floor((L_in + 2 * p - d * (k - 1) - 1) / s) + 1, "conv length")
CEIL = Formula("test_core_ceil", L_out, sp.ceiling((L_in - k + 1) / s), "ceil length")
PARAMS = Formula("test_core_params", P, C_out * (C_in / g) * K + C_out, "conv parameters")
MAXED = Formula("test_core_max", L_out, sp.Max(L_in * s, L_in + k), "max")


def _exact_conv(length, pad, dil, ker, stride):
    return math.floor(Fraction(length + 2 * pad - dil * (ker - 1) - 1, stride)) + 1


def _all_formulas():
    seen = {}
    for spec in registry.all_layers():
        for formula in spec.formulas:
            seen.setdefault(formula.key, formula)
    return list(seen.values())


def _random_value(rng, sym):
    big = rng.random() < 0.3
    low = 1 if sym.is_positive else 0
    return rng.randint(low, MAX_INT) if big else rng.randint(low, 12)


# ---- Formula: compiled once, exact -----------------------------------------------------------


def test_floor_formula_is_exact_up_to_2_31(rng):
    checked = 0
    for _ in range(3000):
        length = rng.choice([rng.randint(1, MAX_INT), MAX_INT, MAX_INT - 1, rng.randint(1, 50)])
        ker, stride = rng.randint(1, 9), rng.choice([1, 2, 3, 7, rng.randint(1, MAX_INT)])
        pad, dil = rng.randint(0, 4), rng.randint(1, 3)
        got = CONV.evaluate({"L_in": length, "p": pad, "d": dil, "k": ker, "s": stride})
        assert type(got) is int
        assert got == _exact_conv(length, pad, dil, ker, stride)
        checked += 1
    assert checked == 3000


def test_floor_where_float_division_would_be_wrong():
    # (2**53 + 1) / 1 as a float is 2**53: an exact formula must keep the + 1.
    length = 2**53 + 1
    assert CONV.evaluate({"L_in": length, "p": 0, "d": 1, "k": 1, "s": 1}) == length
    # floor((3*2**31 - 1) / 3) needs integer division: the float quotient rounds up to 2**31.
    assert CONV.evaluate({"L_in": 3 * MAX_INT - 1, "p": 0, "d": 1, "k": 1, "s": 3}) == (3 * MAX_INT - 2) // 3 + 1


def test_ceil_and_exact_division_are_exact(rng):
    for _ in range(2000):
        length, ker, stride = rng.randint(1, MAX_INT), rng.randint(1, 5), rng.randint(1, MAX_INT)
        if length < ker:
            continue
        got = CEIL.evaluate({"L_in": length, "k": ker, "s": stride})
        assert type(got) is int and got == math.ceil(Fraction(length - ker + 1, stride))
    for _ in range(2000):
        groups = rng.randint(1, 64)
        cin, cout = groups * rng.randint(1, MAX_INT // 64), groups * rng.randint(1, MAX_INT // 64)
        kernel = rng.randint(1, MAX_INT)
        got = PARAMS.evaluate({"C_in": cin, "C_out": cout, "g": groups, "K": kernel})
        assert type(got) is int and got == cout * (cin // groups) * kernel + cout


def test_compiled_code_uses_integer_division_only():
    for formula in (CONV, CEIL, PARAMS, *_all_formulas()):
        code = formula.evaluate.source if hasattr(formula.evaluate, "source") else inspect.getsource(formula.fn)
        assert "/" not in code.replace("//", ""), formula.key
        assert "float" not in code, formula.key


def test_bare_fraction_is_rejected_at_declaration():
    with pytest.raises(ValueError, match="bare fraction"):
        Formula("test_core_bad", L_out, L_in / 2 + sp.Rational(1, 2))


def test_fast_path_is_the_lambdified_expression_for_every_formula(rng):
    """The per-call fast path inlines the code lambdify generated; both agree with the general method."""
    formulas = _all_formulas() + [CONV, CEIL, PARAMS, MAXED]
    assert len(formulas) >= 8
    checked = 0
    for formula in formulas:
        fast = formula.evaluate
        assert fast is not Formula.evaluate.__get__(formula), formula.key  # a compiled fast path is installed
        generated = inspect.getsource(formula.fn).strip().splitlines()[-1].strip()
        assert generated in [line.strip() for line in fast.source.splitlines()], formula.key
        for _ in range(40):
            values = {a.name: _random_value(rng, a) for a in formula.args}
            if any(values[a.name] == 0 for a in formula.args if a.is_positive):
                continue
            got = fast(values)
            assert got == formula.fn(*(values[n] for n in formula.arg_names)), (formula.key, values)
            assert got == Formula.evaluate(formula, values), (formula.key, values)
            if all(a.is_integer for a in formula.args):
                exact = formula.expr.xreplace({a: sp.Integer(values[a.name]) for a in formula.args})
                assert got == int(exact), (formula.key, values)
                assert type(got) is int
            checked += 1
    assert checked >= 200


def test_formula_none_propagates():
    assert CONV.evaluate({"L_in": None, "p": 0, "d": 1, "k": 3, "s": 1}) is None
    assert PARAMS.evaluate({"C_in": 4, "C_out": None, "g": 1, "K": 9}) is None


def test_formula_symbolic_values():
    H = sp.Symbol("H", integer=True, positive=True)
    out = CONV.evaluate({"L_in": H, "p": 1, "d": 1, "k": 3, "s": 1})
    assert out == H  # floor((H + 2 - 2 - 1)/1) + 1 simplifies
    out = CONV.evaluate({"L_in": H, "p": 0, "d": 1, "k": 3, "s": 2})
    assert api.show_dim(out) == "floor((H - 3)/2) + 1"
    # A symbolic input that cancels out comes back as a plain int.
    zero_kernel = MAXED.evaluate({"L_in": 5, "s": 2, "k": 3})
    assert zero_kernel == 10 and type(zero_kernel) is int
    assert type(PARAMS.evaluate({"C_in": 2, "C_out": 3, "g": 1, "K": sp.Integer(4)})) is int


def test_formula_float_and_missing_values():
    assert CONV.evaluate({"L_in": 10.0, "p": 0, "d": 1, "k": 3, "s": 1}) == 8.0
    with pytest.raises(KeyError):
        CONV.evaluate({"L_in": 10, "p": 0, "d": 1, "k": 3})


def test_rendered_formula_is_computed_once():
    assert CONV.rendered is CONV.rendered
    assert set(CONV.rendered) == {"key", "doc", "text", "latex", "mathml"}
    assert CONV.text == "L_out = floor((L_in - d*(k - 1) + 2*p - 1)/s) + 1"


# ---- resolve() -------------------------------------------------------------------------------


def test_resolve_fills_defaults_and_widens_per_axis():
    spec = engine.get_layer("keras", "Conv2D")
    out = spec.resolve({"filters": 8, "kernel_size": 3})
    assert out == {
        "filters": 8,
        "kernel_size": (3, 3),
        "strides": (1, 1),
        "padding": "valid",
        "data_format": "channels_last",
        "dilation_rate": (1, 1),
        "groups": 1,
        "activation": None,
        "use_bias": True,
    }
    assert list(out) == list(spec.positional)  # declaration order
    assert spec.resolve({"filters": 8, "kernel_size": [2, 5], "padding": "SAME"})["padding"] == "same"


def test_resolve_keras_aliases():
    spec = engine.get_layer("keras", "Conv2D")
    out = spec.resolve({"nb_filter": 8, "nb_row": 3, "nb_col": 5, "border_mode": "same", "subsample": 2})
    assert (out["filters"], out["kernel_size"], out["padding"], out["strides"]) == (8, (3, 5), "same", (2, 2))
    with pytest.raises(ShapeError) as err:
        spec.resolve({"nb_filter": 8, "nb_row": 3})
    assert (err.value.code, err.value.field) == ("missing_param", "params.nb_col")
    assert "nb_col" in err.value.message
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": 8, "nb_filter": 4, "kernel_size": 3})
    assert err.value.code == "duplicate_param"
    assert err.value.message == "filters was given twice (as 'nb_filter')"
    assert err.value.field == "params.nb_filter"


def test_resolve_errors():
    spec = engine.get_layer("keras", "Conv2D")
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": 8, "kernal_size": 3})
    assert err.value.code == "unknown_param" and err.value.field == "params.kernal_size"
    assert "did you mean kernel_size" in err.value.message
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": 8})
    assert (err.value.code, err.value.message, err.value.field) == (
        "missing_param",
        "Conv2D needs kernel_size",
        "params.kernel_size",
    )
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": 0, "kernel_size": 3})
    assert (err.value.code, err.value.field) == ("invalid_param", "params.filters")
    assert err.value.message == f"filters must be between 1 and {MAX_INT}, received 0"
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": 8, "kernel_size": [3, 3, 3]})
    assert err.value.message == "kernel_size must have 2 value(s), received [3, 3, 3]"
    with pytest.raises(ShapeError) as err:
        spec.resolve({"filters": True, "kernel_size": 3})
    assert err.value.message == "filters must be an integer, received True"
    with pytest.raises(ShapeError) as err:
        spec.resolve([("filters", 8)])
    assert (err.value.code, err.value.field) == ("invalid_params", "params")
    with pytest.raises(ShapeError) as err:
        spec.resolve({3: 8})
    assert err.value.code == "unknown_param"
    with pytest.raises(ShapeError) as err:
        spec.resolve(None)
    assert err.value.code == "missing_param"
    # Keywords that never change a shape are accepted and ignored.
    assert spec.resolve({"filters": 8, "kernel_size": 3, "kernel_initializer": "zeros", "name": "c"})["filters"] == 8


def _random_param_value(rng, spec, prm):
    kind = prm.parse.kind
    pool = [
        None,
        True,
        False,
        0,
        1,
        2,
        3,
        -1,
        2**31,
        2**31 + 1,
        1.5,
        "same",
        "valid",
        "SAME",
        "x",
        [],
        [1],
        [2, 3],
        (1, 2, 3),
        [1, "a"],
        {},
    ]
    if "'" in kind:
        pool += [part.strip().strip("'") for part in kind.split("|") if "'" in part] * 3
    if "int" in kind:
        pool += [rng.randint(1, 9) for _ in range(6)] + [
            [rng.randint(1, 5) for _ in range(spec.rank)] for _ in range(4)
        ]
    return rng.choice(pool)


def test_compiled_resolve_matches_the_general_path(rng):
    """Each declaration's generated resolve() gives the same result or the same error as the general code."""
    specs = registry.all_layers()
    checked = 0
    for spec in specs:
        for _ in range(60):
            params = {}
            for prm in spec.params:
                if rng.random() < (0.9 if prm.required else 0.4):
                    params[prm.name] = _random_param_value(rng, spec, prm)
            if spec.param_aliases and rng.random() < 0.15:
                params[rng.choice(list(spec.param_aliases))] = rng.randint(1, 4)
            if rng.random() < 0.05:
                params["not_a_param"] = 1
            if spec.inert and rng.random() < 0.1:
                params[sorted(spec.inert)[0]] = "ignored"
            results = []
            for fn in (spec.resolve, lambda x, spec=spec: LayerSpec.resolve(spec, x), spec._resolve_general):
                try:
                    results.append(("ok", fn(dict(params))))
                except ShapeError as err:
                    results.append(("error", err.code, err.message, err.field))
            assert results[0] == results[1] == results[2], (spec.key, params, results)
            checked += 1
    assert checked >= 60 * len(specs) and len(specs) >= 10


def test_declaration_with_failing_default_still_fails_at_resolve():
    spec = LayerSpec(
        framework="pytorch",
        name="TestCoreBadDefault",
        params=(
            Param("size", integer(minimum=2), 1),
            Param("flag", boolean(), True),
            Param("mode", choice("a", "b"), "a"),
        ),
        rule=lambda ctx: Outcome({"output": ctx.x}),
    )
    with pytest.raises(ShapeError) as err:
        spec.resolve({})
    assert err.value.field == "params.size"
    assert spec.resolve({"size": 3}) == {"size": 3, "flag": True, "mode": "a"}


def test_mutable_defaults_are_not_shared():
    spec = LayerSpec(
        framework="pytorch",
        name="TestCoreMutable",
        params=(Param("sizes", lambda v, rank, fld: list(v), [1, 2]), Param("k", per_axis(), 2)),
        rule=lambda ctx: Outcome({"output": ctx.x}),
        rank=2,
    )
    first, second = spec.resolve({}), spec.resolve({})
    assert first == second == {"sizes": [1, 2], "k": (2, 2)}
    assert first["sizes"] is not second["sizes"]


# ---- parse_input_shape -----------------------------------------------------------------------


def _reference_parse(shape):
    """parse_input_shape as specified, written plainly (the engine's version has fast paths)."""
    out = []
    for v in shape:
        if v is None:
            out.append(None)
        elif isinstance(v, bool) or not isinstance(v, (int, str)):
            return "error"
        elif isinstance(v, int):
            if not 1 <= v <= MAX_INT:
                return "error"
            out.append(v)
        else:
            try:
                out.append(api.user_symbol(v, "x"))
            except ShapeError:
                return "error"
    return tuple(out) if 1 <= len(shape) <= api.MAX_RANK else "error"


def test_parse_input_shape_limits():
    assert api.parse_input_shape([1, MAX_INT]) == (1, MAX_INT)
    assert api.parse_input_shape((None, 3)) == (None, 3)
    assert api.parse_input_shape([None] * 8) == (None,) * 8
    cases = [
        ([], "invalid_input_shape", "input_shape"),
        ([1] * 9, "invalid_input_shape", "input_shape"),
        ("1,2", "invalid_input_shape", "input_shape"),
        ([1, 0], "invalid_dimension", "input_shape[1]"),
        ([1, MAX_INT + 1], "invalid_dimension", "input_shape[1]"),
        ([1, -3], "invalid_dimension", "input_shape[1]"),
        ([True, 3], "invalid_dimension", "input_shape[0]"),
        ([2, 3.0], "invalid_dimension", "input_shape[1]"),
        ([2, "1H"], "invalid_dimension", "input_shape[1]"),
        ([2, None, [3]], "invalid_dimension", "input_shape[2]"),
    ]
    for shape, code, fld in cases:
        with pytest.raises(ShapeError) as err:
            api.parse_input_shape(shape)
        assert (err.value.code, err.value.field) == (code, fld), shape
    with pytest.raises(ShapeError) as err:
        api.parse_input_shape([1, MAX_INT + 1])
    assert err.value.message == f"dimension 1 must be between 1 and {MAX_INT}, received {MAX_INT + 1}"
    with pytest.raises(ShapeError) as err:
        api.parse_input_shape("x" * 500)
    assert len(err.value.message) == 200


def test_parse_input_shape_matches_reference(rng):
    pool = [None, 0, 1, 7, MAX_INT, MAX_INT + 1, -1, True, False, 2.0, "H", "W_2", "2x", "", [1]]
    for _ in range(3000):
        shape = [rng.choice(pool) if rng.random() < 0.3 else rng.randint(1, 4096) for _ in range(rng.randint(0, 9))]
        if rng.random() < 0.5:
            shape = tuple(shape)
        expected = _reference_parse(shape)
        try:
            got = api.parse_input_shape(shape)
        except ShapeError:
            got = "error"
        assert got == expected, shape


def test_symbol_dims_are_positive_integers():
    (h,) = api.parse_input_shape(["H"])
    assert h.is_integer and h.is_positive


# ---- evaluate --------------------------------------------------------------------------------


def test_evaluate_answer_shape():
    answer = engine.evaluate("keras", "Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2}, [None, "H", 10, 3])
    assert list(answer) == [
        "framework", "layer", "params", "input_shape", "output_shape", "outputs",
        "param_count", "trainable_params", "weights", "formulas",
    ]  # fmt: skip
    assert answer["output_shape"] == [None, "floor((H - 3)/2) + 1", 4, 4]
    assert answer["params"]["kernel_size"] == [3, 3] and answer["params"]["activation"] is None
    assert (answer["param_count"], answer["trainable_params"]) == (112, 112)
    assert answer["weights"] == {"kernel": [3, 3, 3, 4], "bias": [4]}
    assert [f["where"] for f in answer["formulas"]] == ["axis H", "axis W", "parameters"]
    for entry in answer["formulas"]:
        assert list(entry) == ["key", "doc", "text", "latex", "mathml", "where", "values"]
    assert answer["formulas"][0]["values"] == {"L_in": "H", "k": 3, "s": 2, "d": 1}
    assert answer["formulas"][1]["values"] == {"L_in": 10, "k": 3, "s": 2, "d": 1}


def test_evaluate_answers_are_independent():
    params = {"in_channels": 3, "out_channels": 4, "kernel_size": 3}
    first = engine.evaluate("pytorch", "Conv2d", params, [2, 3, 9, 9])
    first["formulas"][0]["values"]["L_in"] = -1
    first["formulas"][0]["text"] = "changed"
    first["params"]["kernel_size"].append(99)
    first["output_shape"].append(99)
    second = engine.evaluate("pytorch", "Conv2d", params, [2, 3, 9, 9])
    assert second["formulas"][0]["values"]["L_in"] == 9
    assert second["formulas"][0]["text"] != "changed"
    assert second["params"]["kernel_size"] == [3, 3] and second["output_shape"] == [2, 4, 7, 7]
    assert params == {"in_channels": 3, "out_channels": 4, "kernel_size": 3}


def test_evaluate_shows_plain_params_only():
    """Tuples (and tuple subclasses) show as lists; values JSON cannot show are left out; order kept."""
    from collections import namedtuple

    pair = namedtuple("Pair", "a b")
    spec = LayerSpec(
        framework="pytorch",
        name="TestCoreShown",
        params=(
            Param("obj", lambda v, rank, fld: object(), 1),
            Param("pair", lambda v, rank, fld: pair(1, 2), 1),
            Param("k", per_axis(), 3),
            Param("name", choice("a", "b"), "a"),
        ),
        rule=lambda ctx: Outcome({"output": ctx.x}),
        rank=2,
    )
    registry.register(spec)
    try:
        answer = engine.evaluate("pytorch", "TestCoreShown", {}, [2, 3])
    finally:
        del registry._LAYERS[("pytorch", "testcoreshown")]
        del registry._CANONICAL[("pytorch", "TestCoreShown")]
    assert answer["params"] == {"pair": [1, 2], "k": [3, 3], "name": "a"}
    assert list(answer["params"]) == ["pair", "k", "name"]
    assert type(answer["params"]["pair"]) is list


def test_evaluate_none_propagates():
    answer = engine.evaluate(
        "pytorch", "Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, [None, 3, None, 8]
    )
    assert answer["output_shape"] == [None, 4, None, 6]
    assert answer["formulas"][0]["values"]["L_in"] is None
    with pytest.raises(ShapeError) as err:
        engine.evaluate("keras", "Dense", {"units": 3}, [2, None])
    assert (err.value.code, err.value.field) == ("unknown_dimension", "input_shape[1]")


def test_evaluate_substitute_keeps_numbers_visible():
    answer = engine.evaluate(
        "pytorch", "Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, [2, 3, 10, 8], substitute=True
    )
    assert answer["formulas"][0]["substituted"]["text"].startswith("L_out = floor(")
    assert "10" in answer["formulas"][0]["substituted"]["text"]


def test_layer_names_are_looked_up_like_the_registry(rng):
    names = [
        "Conv2D",
        "conv2d",
        " Conv2D ",
        "keras.layers.Conv2D",
        "layers.Conv2D",
        "Convolution2D",
        "Conv2d",
        "nn.Conv2d",
        "torch.nn.Conv2d",
        "Dense",
        "Nope",
        "",
        "x" * 101,
        3,
        None,
    ]
    frameworks = ["keras", "Keras", "pytorch", "torch", "TORCH", "jax", None, 1, ["keras"]]
    for _ in range(3):  # the second and third rounds read the kept keys
        for fw in frameworks:
            for name in names:
                try:
                    expected = ("ok", registry.lookup(fw, name))
                except ShapeError as err:
                    expected = ("error", err.code, err.message, err.field)
                try:
                    got = ("ok", api._lookup(fw, name))
                except ShapeError as err:
                    got = ("error", err.code, err.message, err.field)
                assert got == expected, (fw, name)


def test_lookup_reads_the_live_registry():
    spec = LayerSpec(
        framework="pytorch", name="TestCoreTemporary", params=(), rule=lambda ctx: Outcome({"output": ctx.x})
    )
    with pytest.raises(ShapeError):
        api._lookup("pytorch", "TestCoreTemporary")
    registry.register(spec)
    try:
        assert api._lookup("pytorch", "TestCoreTemporary") is spec
        assert engine.evaluate("pytorch", "TestCoreTemporary", {}, [2, 3])["output_shape"] == [2, 3]
    finally:
        del registry._LAYERS[("pytorch", "testcoretemporary")]
        del registry._CANONICAL[("pytorch", "TestCoreTemporary")]
    with pytest.raises(ShapeError) as err:
        api._lookup("pytorch", "TestCoreTemporary")
    assert err.value.code == "unknown_layer"


# ---- trace -----------------------------------------------------------------------------------


def test_trace_totals():
    layers = [
        {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"layer": "Conv2d", "params": {"in_channels": 8, "out_channels": 4, "kernel_size": 1, "bias": False}},
        {"layer": "Linear", "params": {"in_features": 16, "out_features": 2}},
    ]
    out = engine.trace("torch", [5, 3, 16, 16], layers)
    assert out["framework"] == "pytorch"
    assert [step["output_shape"] for step in out["layers"]] == [[5, 8, 16, 16], [5, 4, 16, 16], [5, 4, 16, 2]]
    assert [step["param_count"] for step in out["layers"]] == [224, 32, 34]
    assert out["total_params"] == out["trainable_params"] == 224 + 32 + 34
    assert out["output_shape"] == [5, 4, 16, 2]
    assert [step["index"] for step in out["layers"]] == [0, 1, 2]
    assert out["layers"][1]["input_shape"] == [5, 8, 16, 16]


def test_trace_symbolic_totals():
    out = engine.trace(
        "keras", [None, "F"], [{"layer": "Dense", "params": {"units": 3}}, {"layer": "Dense", "params": {"units": 2}}]
    )
    assert out["layers"][0]["param_count"] == "3*F + 3"
    assert out["total_params"] == out["trainable_params"] == "3*F + 11"
    assert out["output_shape"] == [None, 2]


def test_trace_errors_name_the_layer():
    good = {"layer": "Dense", "params": {"units": 3}}
    cases = [
        ([good, {"layer": "Dense", "params": {"unit": 2}}], 1, "unknown_param", "layers[1].params.unit"),
        ([{"layer": "Dense"}], 0, "missing_param", "layers[0].params.units"),
        ([good, good, {"layer": "Nope"}], 2, "unknown_layer", "layers[2].layer"),
        ([good, 3], 1, "invalid_layer", "layers[1]"),
        ([good, {"params": {}}], 1, "invalid_layer", "layers[1]"),
        ([{"layer": "Dense", "params": {"units": 2}, "extra": 1}], 0, "invalid_layer", "layers[0]"),
    ]
    for layers, index, code, fld in cases:
        with pytest.raises(ShapeError) as err:
            engine.trace("keras", [None, 4], layers)
        assert (err.value.layer_index, err.value.code, err.value.field) == (index, code, fld), layers
        assert err.value.message.startswith(f"layer {index}: ")
        assert err.value.as_dict()["layer_index"] == index
    with pytest.raises(ShapeError) as err:
        engine.trace("keras", [None, 4], [{"layer": "Dense", "params": {"units": 2}, "extra": 1}])
    assert err.value.message == "layer 0: unexpected key(s) ['extra']; a layer has 'layer' and 'params'"
    with pytest.raises(ShapeError) as err:
        engine.trace("keras", [None, 4], [good] * (api.MAX_TRACE_LAYERS + 1))
    assert err.value.code == "too_many_layers" and err.value.layer_index is None
    with pytest.raises(ShapeError) as err:
        engine.trace("keras", [None, 4], "Dense")
    assert err.value.code == "invalid_layers"
    with pytest.raises(ShapeError) as err:
        engine.trace("jax", [None, 4], [good])
    assert err.value.code == "unknown_framework"


def test_trace_matches_evaluate_step_by_step(rng):
    shape = [rng.randint(1, 8), 3, rng.randint(20, 60), rng.randint(20, 60)]
    layers, channels = [], 3
    for _ in range(20):
        width = rng.randint(1, 16)
        layers.append(
            {
                "layer": "Conv2d",
                "params": {
                    "in_channels": channels,
                    "out_channels": width,
                    "kernel_size": rng.randint(1, 3),
                    "padding": 1,
                },
            }
        )
        channels = width
    out = engine.trace("pytorch", shape, layers)
    current = shape
    total = 0
    for step, item in zip(out["layers"], layers, strict=True):
        answer = engine.evaluate("pytorch", item["layer"], item["params"], current)
        assert step["output_shape"] == answer["output_shape"] and step["param_count"] == answer["param_count"]
        current = answer["output_shape"]
        total += answer["param_count"]
    assert out["total_params"] == total


def test_random_seed_is_reported(rng):
    assert isinstance(rng, random.Random)
