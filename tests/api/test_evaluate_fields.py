"""POST /api/v1/evaluate with "fields": the evaluator's texts, read by the server as the page reads them.

app.js has no reader of values, shapes or calls: it sends the fields as they are. So what the live
evaluator shows must be what the page without JavaScript shows for the same fields; these tests hold
the API's reading to the page's (kb.components.read_fields behind both).
"""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

URL = "/api/v1/evaluate"

# Field texts of every kind the form takes (and some it refuses), for Dense's units and input_shape.
TEXTS = [
    "64",
    " 3 ",
    "(8,)",
    "[2]",
    "None",
    "null",
    "TRUE",
    "0.5",
    "1e3",
    "-2",
    "same",
    "'same'",
    "6 4",
    "(3, 3",
    "3, (4)",
    "'open",
    "a-b",
    "1, , 2",
    "",
    "   ",
    "x" * 201,
    ",".join(["1"] * 17),
]


def _page(client, path: str, query: dict) -> dict:
    return client.get(path, query_string=query).get_json()["evaluator"]


@pytest.mark.parametrize("text", TEXTS)
def test_a_field_reads_as_on_the_page(api, text):
    fields = {"input_shape": "None, 8", "units": text}
    r = api.post(URL, json={"framework": "keras", "layer": "Dense", "fields": fields})
    page = _page(api, "/layers/keras/Dense.json", fields)
    if page["result"] is not None:
        assert r.status_code == 200, r.get_json()
        answer = r.get_json()
        assert (answer["output_shape"], answer["param_count"]) == (
            page["result"]["output_shape"],
            page["result"]["param_count"],
        )
    else:
        problem = assert_problem(r, 422)
        shown = next(f["error"] for f in page["fields"] if f["name"] == "units" and f["error"])
        assert problem["field"] == "params.units"
        if problem["code"] == "invalid_value":  # the form could not read it: the page's own words
            assert problem["errors"] == [{"field": "params.units", "detail": shown}]
        else:  # read, then refused by the engine: the engine's words, as on the page
            assert problem["detail"] == shown


@pytest.mark.parametrize(
    "path, framework, layer, fields",
    [
        (
            "/questions/keras-conv1d-output-shape.json",
            "keras",
            "Conv1D",
            {"input_shape": "None, 20, 32", "filters": "64", "kernel_size": "5", "padding": "valid"},
        ),
        ("/layers/pytorch/Conv2d.json", "pytorch", "Conv2d", {"input_shape": "1, 3, H, 64", "stride": "2"}),
        (
            "/layers/keras/Bidirectional.json",
            "keras",
            "Bidirectional",
            {"input_shape": "None, 10, 32", "layer": "GRU(8, return_sequences=True)", "merge_mode": "sum"},
        ),
        (
            "/layers/keras/TimeDistributed.json",
            "keras",
            "TimeDistributed",
            {"input_shape": "None, 5, 7, 3", "layer": "Bidirectional(LSTM(4))"},
        ),
    ],
)
def test_a_whole_form_answers_as_the_page(client, path, framework, layer, fields):
    api = client  # the question pages need the synced content
    page = _page(api, path, fields)
    sent = {f["name"]: f["value"] for f in page["fields"]}  # every field, as app.js sends them
    r = api.post(URL, json={"framework": framework, "layer": layer, "fields": sent, "substitute": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == page["result"]


def test_every_unreadable_field_is_named_at_once(api):
    fields = {"input_shape": "None, (10", "filters": "6 4", "kernel_size": "3", "layer": ""}
    problem = assert_problem(api.post(URL, json={"framework": "keras", "layer": "Conv1D", "fields": fields}), 422)
    assert problem["code"] == "invalid_value" and problem["field"] == "input_shape"
    assert [e["field"] for e in problem["errors"]] == ["input_shape", "params.filters"]
    assert problem["errors"][1]["detail"].startswith("cannot read '6 4'")
    wrapped = {"input_shape": "None, 10, 32", "layer": "LSTM(n_units)"}
    problem = assert_problem(
        api.post(URL, json={"framework": "keras", "layer": "Bidirectional", "fields": wrapped}), 422
    )
    assert problem["errors"][0]["field"] == "params.layer" and "n_units" in problem["errors"][0]["detail"]


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"framework": "keras", "layer": "Dense", "fields": {"units": 64}}, "invalid_type", "fields.units"),
        ({"framework": "keras", "layer": "Dense", "fields": ["64"]}, "invalid_type", "fields"),
        ({"framework": "keras", "layer": "Dense", "fields": {}, "params": {}}, "unexpected_field", "params"),
        (
            {"framework": "keras", "layer": "Dense", "fields": {f"f{n}": "1" for n in range(65)}},
            "too_many_fields",
            "fields",
        ),
    ],
)
def test_bad_fields_bodies_are_400(api, body, code, field):
    assert_problem(api.post(URL, json=body), 400, code, field)
