"""POST /api/v1/parse-call: the arguments of one layer call, read by the server (engine.snippet), never run."""

from __future__ import annotations

import pytest

from kb.components import parse_row
from tests.api.helpers import assert_problem

URL = "/api/v1/parse-call"


@pytest.mark.parametrize(
    "framework, layer, args",
    [
        ("keras", "Dense", "64"),
        ("keras", "Conv2D", "32, (3, 3), strides=2, padding='same'"),
        ("keras", "Reshape", "(-1,)"),
        ("keras", "Bidirectional", "layer=LSTM(16, return_sequences=True), merge_mode='sum'"),
        ("keras", "TimeDistributed", "Bidirectional(LSTM(4))"),
        ("pytorch", "Conv2d", "3, 16, kernel_size=[3, 5], padding=1"),
        ("pytorch", "Linear", "in_features=4 * 8, out_features=2"),
        ("keras", "Flatten", ""),
    ],
)
def test_the_arguments_as_the_tracer_reads_them(api, framework, layer, args):
    r = api.post(URL, json={"framework": framework, "layer": layer, "args": args})
    assert r.status_code == 200, r.get_json()
    spec, params = parse_row(framework, layer, args)
    assert r.get_json() == {"framework": spec.framework, "layer": spec.name, "params": params}


def test_positional_names_and_nested_layers(api):
    body = api.post(URL, json={"framework": "keras", "layer": "bidirectional", "args": "GRU(8), merge_mode='sum'"})
    assert body.get_json() == {
        "framework": "keras",
        "layer": "Bidirectional",
        "params": {"layer": {"layer": "GRU", "params": {"units": 8}}, "merge_mode": "sum"},
    }


@pytest.mark.parametrize(
    "args, words",
    [
        ("units=n_classes", "n_classes"),
        ("__import__('os').system('true')", "not a literal"),
        ("64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64", "positional"),
        ("units=", "not valid Python"),
        ("(" * 300 + ")" * 300, ""),
    ],
)
def test_what_is_not_a_literal_is_a_422_naming_it(api, args, words):
    problem = assert_problem(
        api.post(URL, json={"framework": "keras", "layer": "Dense", "args": args}), 422, None, "args"
    )
    assert problem["code"] == "invalid_call" and words in problem["detail"]


def test_unknown_layer_and_framework(api):
    assert_problem(api.post(URL, json={"framework": "keras", "layer": "Conv9D", "args": ""}), 422, "unknown_layer")
    assert_problem(api.post(URL, json={"framework": "jax", "layer": "Dense", "args": ""}), 422, "unknown_framework")


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"framework": "keras", "layer": "Dense"}, "missing_field", "args"),
        ({"framework": "keras", "layer": "Dense", "args": 64}, "invalid_type", "args"),
        ({"framework": "keras", "layer": "Dense", "args": "64", "x": 1}, "unexpected_field", "x"),
        ({"framework": "keras", "layer": "Dense", "args": "1," * 1001}, "string_too_long", "body.args"),
        ({"framework": "keras", "layer": "D" * 300, "args": ""}, "string_too_long", "body.layer"),
    ],
)
def test_bad_bodies_are_400(api, body, code, field):
    assert_problem(api.post(URL, json=body), 400, code, field)


def test_a_long_call_within_its_own_limit(api):
    args = "units=64," + " " * 1500 + "use_bias=False"  # past the 256 characters of other strings, within 2,000
    r = api.post(URL, json={"framework": "keras", "layer": "Dense", "args": args})
    assert r.status_code == 200 and r.get_json()["params"] == {"units": 64, "use_bias": False}
