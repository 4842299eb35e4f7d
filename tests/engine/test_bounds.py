"""Cheap requests stay cheap: what a request may make the engine build is bounded (engine.bounds).

Each test reproduces a request that cost seconds, gigabytes or a RecursionError before (issue 12)
and checks that it now ends as a ShapeError naming the field, or a normal answer, quickly.
"""

from __future__ import annotations

import ast
import json
import time

import pytest

from engine import ShapeError, bounds, evaluate, trace
from engine.layers.recurrent import MAX_NUM_LAYERS
from engine.snippet import MAX_SNIPPET_CHARS, parse_snippet
from engine.spec import MAX_INT


def _quick(fn, seconds: float = 2.0):
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    try:
        return fn()
    finally:
        elapsed = time.process_time() - started
        assert elapsed < seconds, f"took {elapsed:.2f} s"


# ---- the guards themselves ------------------------------------------------------------------------


def test_value_size_counts_shared_references_each_time_without_expanding_them():
    leaf = [1] * 10
    value = leaf
    for _ in range(10):  # 10**10 items as a tree, 11 lists in memory
        value = [value] * 10
    count, depth = _quick(lambda: bounds.value_size(value, depth=100))
    assert count > bounds.MAX_VALUE_NODES
    with pytest.raises(ShapeError) as err:
        bounds.check_value(value, "params.x")
    assert (err.value.code, err.value.field) == ("value_too_deep", "params.x")
    with pytest.raises(ShapeError) as err:
        bounds.check_value([[1] * 600, [2] * 600], "params.x")
    assert err.value.code == "value_too_large" and str(bounds.MAX_VALUE_NODES) in err.value.message
    assert bounds.check_value([[1, 2], {"a": (3, 4)}], "f") == [[1, 2], {"a": (3, 4)}]
    assert bounds.value_size([[1, 2], 3]) == (5, 2)


def test_value_depth_of_a_chain_thousands_deep_is_measured_without_recursion():
    value: list = [1]
    for _ in range(5000):
        value = [value]
    assert bounds.value_size(value, nodes=10**6, depth=10**6)[1] == 5001
    with pytest.raises(ShapeError) as err:
        bounds.check_value(value, "code")
    assert err.value.code == "value_too_deep"


def test_expression_depth_and_excerpt_never_recurse():
    tree = ast.parse("x = " + "a." * 900 + "b")
    assert bounds.expression_depth(tree) == bounds.MAX_EXPRESSION_DEPTH + 1  # stops counting there
    assert "nested more than" in bounds.source_excerpt(tree.body[0].value)
    with pytest.raises(ShapeError) as err:
        bounds.check_expression_depth(tree, "code")
    assert err.value.code == "expression_too_deep" and err.value.message.startswith("line 1:")
    assert bounds.source_excerpt(ast.parse("f(1, 2)").body[0].value) == "f(1, 2)"


# ---- pasted snippets, tracer rows and wrapper fields (all read by engine.snippet) -------------------

DEEP_EXPRESSIONS = {
    "attributes": "a." * 400 + "b",
    "calls": "f" + "(1)" * 400,
    "arithmetic": "x" + "+1" * 900,
    "subscripts": "a" + "[0]" * 400,
}


@pytest.mark.parametrize("kind", sorted(DEEP_EXPRESSIONS))
def test_expressions_nested_hundreds_deep_are_a_clear_error(kind):
    code = f"x = layers.Dense(units={DEEP_EXPRESSIONS[kind]})(x)\n"
    with pytest.raises(ShapeError) as err:
        _quick(lambda: parse_snippet(code, "keras"))
    assert (err.value.code, err.value.field) == ("expression_too_deep", "code")
    assert str(bounds.MAX_EXPRESSION_DEPTH) in err.value.message and "line 1" in err.value.message


def test_variables_nested_600_deep_are_refused_where_they_pass_the_bound():
    code = "v0 = 1\n" + "".join(f"v{n + 1} = [v{n}]\n" for n in range(600)) + "x = layers.Dense(units=v600)\n"
    with pytest.raises(ShapeError) as err:
        _quick(lambda: parse_snippet(code, "keras"))
    assert (err.value.code, err.value.field) == ("value_too_deep", "code")
    assert f"line {bounds.MAX_VALUE_DEPTH + 2}:" in err.value.message


def test_lists_built_through_variables_are_measured_not_expanded():
    # 338 characters that stand for 10**11 items: this took minutes and gigabytes.
    code = "a0 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    code += "".join(f"a{n + 1} = [{', '.join([f'a{n}'] * 10)}]\n" for n in range(10))
    code += "x = layers.Dense(units=a10)(x)\n"
    with pytest.raises(ShapeError) as err:
        _quick(lambda: parse_snippet(code, "keras"), 1.0)
    assert (err.value.code, err.value.field) == ("value_too_large", "code")
    assert str(bounds.MAX_VALUE_NODES) in err.value.message


def test_large_data_a_layer_never_uses_does_not_stop_the_snippet():
    code = "table = [" + ", ".join(["[1, 2, 3]"] * 400) + "]\nx = layers.Dense(units=4)(x)\n"
    parsed = parse_snippet(code, "keras")
    assert parsed["layers"][0]["params"] == {"units": 4}


def test_many_references_to_one_list_cost_one_step_each():
    code = "a = [" + ", ".join(["1"] * 900) + "]\n" + "".join(f"x{n} = [a]\n" for n in range(1500))
    code += "y = layers.Dense(units=3)(x)\n"
    assert len(code) <= MAX_SNIPPET_CHARS
    parsed = _quick(lambda: parse_snippet(code, "keras"), 1.0)
    assert parsed["layers"][0]["params"] == {"units": 3}


def test_unknown_names_in_a_long_snippet_are_not_matched_against_every_layer_name():
    # Each unknown call used to run difflib over every layer name, twice: 2 s for 20 KB.
    lines = [f"y{n} = tf.keras.backend.unknown_function_{n}(x{n})" for n in range(400)]
    code = "\n".join(lines)[: MAX_SNIPPET_CHARS - 40] + "\nz = layers.Dense(units=3)(x)\n"
    parsed = _quick(lambda: parse_snippet(code, "keras"), 1.0)
    assert [layer["layer"] for layer in parsed["layers"]] == ["Dense"]


# ---- answers: weights listed, dimensions ---------------------------------------------------------


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_num_layers_is_bounded_because_it_multiplies_the_answer(layer):
    params = {"input_size": 4, "hidden_size": 4, "num_layers": MAX_NUM_LAYERS + 1}
    for num_layers in (MAX_NUM_LAYERS + 1, 100_000, 2**31):
        params["num_layers"] = num_layers
        with pytest.raises(ShapeError) as err:
            _quick(lambda: evaluate("pytorch", layer, params, [2, 3, 4]), 1.0)
        assert (err.value.code, err.value.field) == ("invalid_param", "params.num_layers")
        assert str(MAX_NUM_LAYERS) in err.value.message
    # At the bound, the answer is whole (every weight listed) and small.
    extra = {"proj_size": 2} if layer == "LSTM" else {}
    params = {"input_size": 4, "hidden_size": 4, "num_layers": MAX_NUM_LAYERS, "bidirectional": True, **extra}
    result = _quick(lambda: evaluate("pytorch", layer, params, [2, 3, 4]))
    per_direction = 5 if extra else 4
    assert len(result["weights"]) == MAX_NUM_LAYERS * 2 * per_direction <= bounds.MAX_WEIGHT_ENTRIES
    assert len(json.dumps(result)) < 1_000_000


def test_a_trace_bounds_the_weights_it_builds():
    deep = {"layer": "LSTM", "params": {"input_size": 4, "hidden_size": 4, "num_layers": MAX_NUM_LAYERS}}
    with pytest.raises(ShapeError) as err:
        _quick(lambda: trace("pytorch", [3, 2, 4], [deep] * 1000))
    assert err.value.code == "answer_too_large" and err.value.layer_index is not None
    assert str(bounds.MAX_WEIGHT_ENTRIES_BUILT) in err.value.message
    assert trace("pytorch", [3, 2, 4], [deep] * 2)["output_shape"] == [3, 2, 4]


@pytest.mark.parametrize(
    "framework, shape, layer",
    [
        ("keras", [None, 2, 2, 1], {"layer": "UpSampling2D", "params": {"size": 1000}}),
        ("pytorch", [1, 1, 2, 2], {"layer": "Upsample", "params": {"scale_factor": 1000}}),
        ("keras", [None, 2, 1], {"layer": "UpSampling1D", "params": {"size": 2**31}}),
    ],
)
def test_output_dimensions_past_2_to_the_31_are_an_error_as_inputs_are(framework, shape, layer):
    with pytest.raises(ShapeError) as err:
        _quick(lambda: trace(framework, shape, [layer] * 30))
    assert err.value.code == "dimension_too_large"
    assert err.value.field.startswith(f"layers[{err.value.layer_index}].output_shape[")
    assert str(MAX_INT) in err.value.message
    json.dumps(err.value.as_dict())  # the message holds no number of thousands of digits


def test_flatten_past_2_to_the_31_is_an_error_and_at_it_an_answer():
    assert evaluate("keras", "Flatten", {}, [None, 2**16, 2**15])["output_shape"] == [None, MAX_INT]
    with pytest.raises(ShapeError) as err:
        evaluate("keras", "Flatten", {}, [None, 2**16, 2**15 + 1])
    assert (err.value.code, err.value.field) == ("dimension_too_large", "output_shape[1]")
