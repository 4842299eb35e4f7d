"""POST /api/v1/evaluate: the engine over HTTP, its 400s and 422s."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import assert_problem

URL = "/api/v1/evaluate"
CONV1D = {
    "framework": "keras",
    "layer": "Conv1D",
    "params": {"filters": 64, "kernel_size": 3, "padding": "same"},
    "input_shape": [None, 10, 32],
}


def test_keras_conv1d_same(api):
    r = api.post(URL, json=CONV1D)
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert body["framework"] == "keras"
    assert body["layer"] == "Conv1D"
    assert body["input_shape"] == [None, 10, 32]
    assert body["output_shape"] == [None, 10, 64]
    assert body["outputs"] == {"output": [None, 10, 64]}
    assert body["param_count"] == 6208
    assert body["trainable_params"] == 6208
    assert body["weights"] == {"kernel": [3, 32, 64], "bias": [64]}
    assert body["formulas"], "the formulas applied are listed"
    for formula in body["formulas"]:
        assert {"text", "latex", "mathml", "key", "where", "values"} <= set(formula)
        assert formula["mathml"].startswith("<math")
        assert "substituted" not in formula


def test_substitute_adds_numbers(api):
    r = api.post(URL, json={**CONV1D, "substitute": True})
    assert r.status_code == 200
    formulas = r.get_json()["formulas"]
    assert all({"text", "latex", "mathml"} <= set(f["substituted"]) for f in formulas)
    assert any("10" in f["substituted"]["text"] for f in formulas)


def test_torch_alias_and_module_prefix(api):
    body = {
        "framework": "torch",
        "layer": "nn.Conv2d",
        "params": {"in_channels": 3, "out_channels": 16, "kernel_size": 3, "stride": 2},
        "input_shape": [1, 3, 32, 32],
    }
    r = api.post(URL, json=body)
    assert r.status_code == 200
    out = r.get_json()
    assert out["framework"] == "pytorch"
    assert out["layer"] == "Conv2d"
    assert out["output_shape"] == [1, 16, 15, 15]
    assert out["param_count"] == 3 * 16 * 9 + 16


def test_unknown_and_symbolic_dims(api):
    body = {
        "framework": "pytorch",
        "layer": "Conv2d",
        "params": {"in_channels": 3, "out_channels": 8, "kernel_size": 3},
        "input_shape": [None, 3, "H", 32],
    }
    out = api.post(URL, json=body).get_json()
    assert out["output_shape"][0] is None
    assert out["output_shape"][1] == 8
    assert isinstance(out["output_shape"][2], str) and "H" in out["output_shape"][2]
    assert out["output_shape"][3] == 30


def test_keras_1_keyword_aliases(api):
    body = {
        "framework": "keras",
        "layer": "Convolution1D",
        "params": {"nb_filter": 8, "filter_length": 3},
        "input_shape": [None, 10, 4],
    }
    r = api.post(URL, json=body)
    assert r.status_code == 200
    assert r.get_json()["output_shape"] == [None, 8, 8]


def test_params_may_be_omitted_or_null(api):
    # Dense needs units: the engine says so (422), whether params is missing or null.
    for body in (
        {"framework": "keras", "layer": "Dense", "input_shape": [None, 3]},
        {"framework": "keras", "layer": "Dense", "params": None, "input_shape": [None, 3]},
    ):
        assert_problem(api.post(URL, json=body), 422, "missing_param", "params.units")


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"framework": "caffe"}, "unknown_framework", "framework"),
        ({"layer": "Conv9D"}, "unknown_layer", "layer"),
        ({"params": {"filters": 64, "kernel_size": 3, "padding": "full"}}, "invalid_param", "params.padding"),
        ({"params": {"filters": 0, "kernel_size": 3}}, "invalid_param", "params.filters"),
        ({"params": {"filters": 2**31 + 1, "kernel_size": 3}}, "invalid_param", "params.filters"),
        ({"params": {"filters": 64, "kernel_size": 3, "colour": "red"}}, "unknown_param", "params.colour"),
        ({"params": {"filters": 64, "kernel_size": 30}}, "output_too_small", "input_shape[1]"),
        ({"input_shape": [None, 10]}, "rank_mismatch", "input_shape"),
        ({"input_shape": []}, "invalid_input_shape", "input_shape"),
        ({"input_shape": [None, 0, 32]}, "invalid_dimension", "input_shape[1]"),
        ({"input_shape": [None, 2**31 + 1, 32]}, "invalid_dimension", "input_shape[1]"),
        ({"input_shape": [None, "1H", 32]}, "invalid_dimension", "input_shape[1]"),
    ],
)
def test_configurations_the_framework_rejects_are_422(api, change, code, field):
    body = assert_problem(api.post(URL, json={**CONV1D, **change}), 422, code, field)
    assert "layer_index" not in body


def test_422_repeats_what_was_received(api):
    body = assert_problem(
        api.post(URL, json={**CONV1D, "params": {"filters": 64, "kernel_size": 30}}), 422, "output_too_small"
    )
    assert "30" in body["detail"] and "10" in body["detail"]


@pytest.mark.parametrize(
    "payload, code, field",
    [
        (b"", "invalid_json", None),
        (b"   ", "invalid_json", None),
        (b"{", "invalid_json", None),
        (b"{'framework': 'keras'}", "invalid_json", None),
        (b"\xff\xfe\x00garbage", "invalid_json", None),
        (b"[]", "invalid_type", "body"),
        (b'"keras"', "invalid_type", "body"),
        (b'{"framework": "keras", "layer": "Dense", "input_shape": [NaN]}', "invalid_number", None),
        (b'{"framework": "keras", "layer": "Dense", "input_shape": [Infinity]}', "invalid_number", None),
        (b'{"framework": "keras", "layer": "Dense", "input_shape": [1e999]}', "invalid_number", None),
        (b'{"framework": "keras", "layer": "Dense\\ud800", "input_shape": [1]}', "invalid_json", "body.layer"),
    ],
)
def test_malformed_bodies_are_400(api, payload, code, field):
    r = api.post(URL, data=payload, content_type="application/json")
    assert_problem(r, 400, code, field)


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"layer": "Conv1D", "input_shape": [1, 2, 3]}, "missing_field", "framework"),
        ({"framework": "keras", "input_shape": [1, 2, 3]}, "missing_field", "layer"),
        ({"framework": "keras", "layer": "Conv1D"}, "missing_field", "input_shape"),
        ({**CONV1D, "extra": 1}, "unexpected_field", "extra"),
        ({**CONV1D, "framework": 1}, "invalid_type", "framework"),
        ({**CONV1D, "framework": None}, "invalid_type", "framework"),
        ({**CONV1D, "layer": ["Conv1D"]}, "invalid_type", "layer"),
        ({**CONV1D, "params": [64, 3]}, "invalid_type", "params"),
        ({**CONV1D, "params": "filters=64"}, "invalid_type", "params"),
        ({**CONV1D, "input_shape": "(None, 10, 32)"}, "invalid_type", "input_shape"),
        ({**CONV1D, "input_shape": {"0": 10}}, "invalid_type", "input_shape"),
        ({**CONV1D, "input_shape": [None, 10.5, 32]}, "invalid_type", "input_shape[1]"),
        ({**CONV1D, "input_shape": [None, True, 32]}, "invalid_type", "input_shape[1]"),
        ({**CONV1D, "input_shape": [None, [10], 32]}, "invalid_type", "input_shape[1]"),
        ({**CONV1D, "substitute": "yes"}, "invalid_type", "substitute"),
    ],
)
def test_wrong_types_are_400(api, body, code, field):
    assert_problem(api.post(URL, json=body), 400, code, field)


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None],
)
@pytest.mark.parametrize("url", [URL, "/api/v1/trace"])
def test_a_body_not_sent_as_json_is_415(api, url, content_type):
    """A form or text/plain POST needs no CORS preflight: any page could make browsers send it. Refused."""
    r = api.post(url, data=json.dumps(CONV1D), content_type=content_type)
    assert_problem(r, 415, "unsupported_media_type", "Content-Type")
    assert "application/json" in r.get_json()["detail"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_the_openapi_document_lists_415_for_the_json_posts(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/evaluate", "/api/v1/trace"):
        post = spec["paths"][path]["post"]
        assert list(post["requestBody"]["content"]) == ["application/json"]
        assert post["responses"]["415"] == {"$ref": "#/components/responses/UnsupportedMediaType"}
    assert "415" in spec["info"]["description"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/problem+json"]
)
def test_json_media_types_are_read(api, content_type):
    assert api.post(URL, data=json.dumps(CONV1D), content_type=content_type).status_code == 200


def test_get_is_405(api):
    r = api.get(URL)
    assert_problem(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_post_answers_are_not_cached_but_cors_open(api):
    r = api.post(URL, json=CONV1D)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" not in r.headers
