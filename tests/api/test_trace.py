"""POST /api/v1/trace: a stack of layers; the first misfit is a 422 naming its index."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

URL = "/api/v1/trace"
STACK = {
    "framework": "pytorch",
    "input_shape": [None, 3, 32, 32],
    "layers": [
        {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"layer": "Conv2d", "params": {"in_channels": 16, "out_channels": 32, "kernel_size": 3, "stride": 2}},
        {"layer": "Linear", "params": {"in_features": 15, "out_features": 10}},
    ],
}


def test_trace_every_layer(api):
    r = api.post(URL, json=STACK)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [step["index"] for step in body["layers"]] == [0, 1, 2]
    assert [step["layer"] for step in body["layers"]] == ["Conv2d", "Conv2d", "Linear"]
    assert body["layers"][0]["output_shape"] == [None, 16, 32, 32]
    assert body["layers"][1]["output_shape"] == [None, 32, 15, 15]
    assert body["output_shape"] == [None, 32, 15, 10]
    counts = [3 * 16 * 9 + 16, 16 * 32 * 9 + 32, 15 * 10 + 10]
    assert [step["param_count"] for step in body["layers"]] == counts
    assert body["total_params"] == sum(counts)


def test_empty_stack_is_the_input(api):
    r = api.post(URL, json={"framework": "keras", "input_shape": [None, 5], "layers": []})
    assert r.status_code == 200
    assert r.get_json()["output_shape"] == [None, 5]
    assert r.get_json()["total_params"] == 0


def test_misfit_names_its_layer(api):
    body = {
        **STACK,
        "layers": [
            *STACK["layers"][:1],
            {"layer": "Conv2d", "params": {"in_channels": 8, "out_channels": 4, "kernel_size": 3}},
        ],
    }
    r = api.post(URL, json=body)
    assert r.status_code == 422
    problem = assert_problem(r, 422, r.get_json(force=True)["code"])
    assert problem["layer_index"] == 1
    assert problem["field"].startswith("layers[1]")
    assert problem["detail"].startswith("layer 1:")


def test_unknown_layer_in_stack(api):
    body = {
        **STACK,
        "layers": [
            {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 4, "kernel_size": 3}},
            {"layer": "Dense", "params": {"units": 3}},
        ],
    }
    problem = assert_problem(api.post(URL, json=body), 422, "unknown_layer", "layers[1].layer")
    assert problem["layer_index"] == 1
    assert "keras" in problem["detail"]  # Dense is a keras layer


@pytest.mark.parametrize(
    "layers, code, field, index",
    [
        ("Conv2d", "invalid_type", "layers", None),
        ([["Conv2d"]], "invalid_type", "layers[0]", 0),
        ([{"params": {}}], "missing_field", "layers[0].layer", 0),
        ([{"layer": "Conv2d", "params": {}, "name": "c1"}], "unexpected_field", "layers[0].name", 0),
        ([{"layer": 7}], "invalid_type", "layers[0].layer", 0),
        ([{"layer": "Linear", "params": [1, 2]}], "invalid_type", "layers[0].params", 0),
    ],
)
def test_wrong_types_are_400_with_index(api, layers, code, field, index):
    problem = assert_problem(api.post(URL, json={**STACK, "layers": layers}), 400, code, field)
    assert problem.get("layer_index") == index


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"input_shape": [1, 2], "layers": []}, "missing_field", "framework"),
        ({"framework": "keras", "layers": []}, "missing_field", "input_shape"),
        ({"framework": "keras", "input_shape": [1, 2]}, "missing_field", "layers"),
        ({"framework": "keras", "input_shape": [1, 2], "layers": [], "layer": "Dense"}, "unexpected_field", "layer"),
    ],
)
def test_missing_and_unexpected_fields(api, body, code, field):
    assert_problem(api.post(URL, json=body), 400, code, field)


def test_unknown_framework_is_422(api):
    assert_problem(api.post(URL, json={**STACK, "framework": "jax"}), 422, "unknown_framework", "framework")


def test_too_many_layers(api):
    layers = [{"layer": "Linear", "params": {"in_features": 4, "out_features": 4}}] * 1001
    assert_problem(
        api.post(URL, json={"framework": "pytorch", "input_shape": [1, 4], "layers": layers}),
        422,
        "too_many_layers",
        "layers",
    )
    r = api.post(URL, json={"framework": "pytorch", "input_shape": [1, 4], "layers": layers[:1000]})
    assert r.status_code == 200
    assert len(r.get_json()["layers"]) == 1000
