"""Cheap requests to the pages stay cheap and never 500 (issue 12): each is a 4xx naming the field, or
a normal answer, well under a second. Every URL here gave a 500, or took seconds, before."""

from __future__ import annotations

import time

import pytest

from engine.bounds import MAX_EXPRESSION_DEPTH, MAX_VALUE_DEPTH
from engine.layers.recurrent import MAX_NUM_LAYERS
from kb.config import MAX_CONTENT_LENGTH

GAN = "keras-gan-generator-shapes"


def _get(client, url: str, seconds: float = 3.0):
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    response = client.get(url)
    elapsed = time.process_time() - started
    assert elapsed < seconds, f"{url[:80]} took {elapsed:.2f} s"
    assert response.status_code < 500, url[:80]
    return response


def test_a_nul_in_the_search_query_is_400_naming_the_field(client):
    r = _get(client, "/search.json?q=conv%00")
    assert r.status_code == 400
    assert r.get_json()["error"]["field"] == "q" and "NUL" in r.get_json()["error"]["message"]
    assert _get(client, "/search?q=%00").status_code == 400
    r = _get(client, "/search.json?q=conv&layer=Conv1D%00")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "layer"


@pytest.mark.parametrize("page", ["%C2%B2", "%E2%91%A0", "9" * 5000, "9223372036854775808", "0", "-1", "%EF%BC%91"])
def test_a_page_number_that_is_not_ascii_digits_is_page_one(client, page):
    r = _get(client, f"/search.json?q=conv&page={page}")
    assert r.status_code == 200 and r.get_json()["page"] == 1


@pytest.mark.parametrize("remove", ["%E2%91%A0", "%C2%B2", "9" * 5000, "9223372036854775808"])
def test_remove_that_is_not_a_row_number_removes_nothing(client, remove):
    r = _get(client, f"/trace.json?input_shape=None,4&layer=Dense&params=units%3D3&remove={remove}")
    assert r.status_code == 200
    assert [row["layer"] for row in r.get_json()["rows"]] == ["Dense"]
    assert (
        _get(client, "/trace.json?input_shape=None,4&layer=Dense&params=units%3D3&remove=0").get_json()["rows"][0][
            "status"
        ]
        == "empty"
    )


@pytest.mark.parametrize("position", ["%C2%B2", "9223372036854775808", "9" * 5000, "-1"])
def test_an_example_position_that_cannot_be_one_is_a_note(client, position):
    r = _get(client, f"/trace.json?example={GAN}:{position}")
    assert r.status_code == 200
    data = r.get_json()
    assert data["example"] is None and any("there is no example" in n for n in data["notes"])
    assert _get(client, f"/trace.json?example={GAN}:1").get_json()["example"]


def test_a_form_larger_than_a_page_accepts_is_413(client):
    started = time.process_time()
    r = client.post("/trace", data={"snippet": "x" * (MAX_CONTENT_LENGTH + 1)})
    assert time.process_time() - started < 3
    assert r.status_code == 413
    assert f"{MAX_CONTENT_LENGTH:,} bytes" in r.get_data(as_text=True)
    r = client.post(
        "/trace.json", data={"layer": ["Dense"] * 600, "params": ["units=3"] * 600}, content_type="multipart/form-data"
    )
    assert r.status_code == 413 and r.get_json()["status"] == 413


DEEP = {
    "attributes": "a." * 400 + "b",
    "calls": "f" + "(1)" * 400,
    "arithmetic": "x" + "%2B1" * 900,
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_expressions_in_a_tracer_row_are_a_row_error(client, kind):
    r = _get(client, f"/trace.json?input_shape=None,4&layer=Dense&params=units%3D{DEEP[kind]}")
    assert r.status_code == 200  # a row that cannot be read is an answer, marked in the table
    row = r.get_json()["rows"][0]
    assert row["status"] == "error" and row["error"]["field"] == "params"
    assert str(MAX_EXPRESSION_DEPTH) in row["error"]["message"]


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_expressions_in_a_wrapper_field_are_400_naming_it(client, kind):
    r = _get(client, f"/layers/keras/Bidirectional.json?input_shape=None,3,4&layer=LSTM(units%3D{DEEP[kind]})")
    assert r.status_code == 400
    assert "layer" in r.get_data(as_text=True) and str(MAX_EXPRESSION_DEPTH) in r.get_data(as_text=True)


def test_a_snippet_with_values_nested_through_600_variables_is_400(client):
    code = "v0 = 1\n" + "".join(f"v{n + 1} = [v{n}]\n" for n in range(600)) + "x = layers.Dense(units=v600)(x)\n"
    started = time.process_time()
    r = client.post("/trace.json", data={"snippet": code, "input_shape": "None, 4"})
    assert time.process_time() - started < 3
    assert r.status_code == 400
    assert f"more than {MAX_VALUE_DEPTH} deep" in r.get_json()["snippet"]["error"]


def test_a_snippet_of_lists_shared_through_variables_is_400_quickly(client):
    code = "a0 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    code += "".join(f"a{n + 1} = [{', '.join([f'a{n}'] * 10)}]\n" for n in range(10))
    code += "x = layers.Dense(units=a10)(x)\n"
    started = time.process_time()
    r = client.post("/trace.json", data={"snippet": code, "input_shape": "None, 4"})
    assert time.process_time() - started < 3
    assert r.status_code == 400 and "items" in r.get_json()["snippet"]["error"]


@pytest.mark.parametrize("num_layers", [MAX_NUM_LAYERS + 1, 100_000, 2**31])
def test_a_huge_num_layers_on_the_layer_page_is_400_naming_the_field(client, num_layers):
    url = f"/layers/pytorch/LSTM.json?input_shape=2,3,4&input_size=4&hidden_size=4&num_layers={num_layers}"
    r = _get(client, url)
    assert r.status_code == 400 and len(r.data) < 100_000
    assert "num_layers" in r.get_data(as_text=True) and str(MAX_NUM_LAYERS) in r.get_data(as_text=True)


def test_an_upsampling_stack_past_2_to_the_31_is_a_trace_error(client):
    rows = "&".join(["layer=UpSampling2D&params=size%3D1000"] * 30)
    r = _get(client, f"/trace.json?input_shape=None,2,2,1&{rows}")
    data = r.get_json()
    assert data["error"]["code"] == "dimension_too_large" and data["error"]["layer_index"] == 3
    assert len(r.data) < 100_000
