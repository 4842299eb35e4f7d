"""POST /api/v1/explain: a pasted error explained; bad input is a 4xx naming the field; every real message a 200."""

from __future__ import annotations

import pytest

from kb.api_schemas import MAX_BODY_BYTES, MAX_EXPLAIN_TEXT
from tests.api.helpers import assert_problem
from tests.engine.test_explain_corpus import CORPUS, WITH_CODE

URL = "/api/v1/explain"
MAT = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"


def test_a_message_is_explained(api):
    r = api.post(URL, json={"message": MAT})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["family"] == "in_features_mismatch" and body["framework"] == "pytorch"
    assert body["numbers"]["expected"] == 4096 and body["numbers"]["received"] == 9216
    assert body["fixes"][0]["change"]["params"] == {"in_features": 9216, "out_features": 10}
    assert body["formulas"][0]["mathml"].startswith("<math")
    assert isinstance(body["questions"], list)
    for question in body["questions"]:
        assert api.get(question["api_url"]).status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_with_code_the_failing_layer_and_a_verified_fix(api):
    item = next(i for i in WITH_CODE if i["id"] == "androidkt-mat1-mat2")
    r = api.post(URL, json={"message": item["message"], "code": item["code"], "input_shape": item["input_shape"]})
    body = r.get_json()
    assert r.status_code == 200
    assert body["layer"]["name"] == "out" and body["layer"]["type"] == "Linear"
    assert body["fixes"][0]["verified"] is True
    assert body["fixes"][0]["change"]["params"] == {"in_features": 1568}


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 400, "missing_field", "message"),
        ({"message": 3}, 400, "invalid_type", "message"),
        ({"message": "  "}, 400, "invalid_message", "message"),
        ({"message": "x" * (MAX_EXPLAIN_TEXT + 1)}, 400, "string_too_long", "body.message"),
        ({"message": "x", "code": "y" * (MAX_EXPLAIN_TEXT + 1)}, 400, "string_too_long", "body.code"),
        ({"message": "x", "code": 5}, 400, "invalid_type", "code"),
        ({"message": "x", "framework": 5}, 400, "invalid_type", "framework"),
        ({"message": "x", "framework": "jax"}, 422, "unknown_framework", "framework"),
        ({"message": "x", "input_shape": "1, 2"}, 400, "invalid_type", "input_shape"),
        ({"message": "x", "input_shape": [0]}, 422, "invalid_dimension", "input_shape[0]"),
        ({"message": "x", "extra": 1}, 400, "unexpected_field", "extra"),
        ({"message": "x", "framework": "k" * 300}, 400, "string_too_long", None),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(api, body, status, code, field):
    problem = assert_problem(api.post(URL, json=body), status, code)
    if field is not None:
        assert problem["field"] == field


def test_the_body_is_bounded(api):
    r = api.post(URL, data=b'{"message": "' + b"x" * MAX_BODY_BYTES + b'"}', content_type="application/json")
    assert_problem(r, 413)


def test_every_real_message_is_a_200(api):
    for item in CORPUS:
        r = api.post(URL, json={"message": item["message"]})
        assert r.status_code == 200, (item["id"], r.get_json())
        assert r.get_json()["family"] in (item["family"], "rank_mismatch")


def test_the_documented_example_is_the_real_answer(api):
    op = api.get("/api/v1/openapi.json").get_json()["paths"][URL]["post"]
    request = op["requestBody"]["content"]["application/json"]["examples"]["linear"]["value"]
    documented = op["responses"]["200"]["content"]["application/json"]["example"]
    answer = api.post(URL, json=request).get_json()
    answer["questions"] = []  # the entries depend on the knowledge base loaded
    assert answer == documented
