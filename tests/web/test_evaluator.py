"""The evaluator form: a GET that returns the engine's answer for the user's dimensions, or its error."""

from __future__ import annotations

import random
from urllib.parse import urlencode

import pytest

import engine
from kb.config import CONTENT_DIR
from kb.content import parse_entry
from kb.formvalues import format_value
from kb.web import shape_filter
from tests.web.pagetools import SLUGS, Page

CONV1D = "/questions/keras-conv1d-output-shape"


def _submit(client, path, **fields):
    return client.get(f"{path}?{urlencode(fields)}")


def _form_values(client, path) -> dict:
    page = Page(client.get(path).get_data(as_text=True))
    form_names = {f["name"] for f in client.get(path + ".json").get_json()["evaluator"]["fields"]}
    return {name: page.inputs[name]["value"] for name in form_names}


@pytest.mark.parametrize("slug", SLUGS)
def test_submitting_the_prefilled_form_gives_the_example(client, slug):
    """Whatever the page pre-fills reads back as the evaluator example: same shape, same count."""
    example = parse_entry(CONTENT_DIR / f"{slug}.md").evaluator_example
    expected = example.run()
    path = f"/questions/{slug}"
    values = _form_values(client, path)
    r = _submit(client, path, **values)
    assert r.status_code == 200, Page(r.get_data(as_text=True)).text[-800:]
    data = _submit(client, path + ".json", **values).get_json()
    result = data["evaluator"]["result"]
    assert result["output_shape"] == expected["output_shape"]
    assert result["param_count"] == expected["param_count"]
    assert result["weights"] == expected["weights"]
    page = Page(r.get_data(as_text=True))
    assert shape_filter(expected["output_shape"]) in page.text
    assert "Permalink to this result" in page.text


def test_a_changed_dimension_gives_the_right_shape(client):
    r = _submit(client, CONV1D, input_shape="None, 20, 32")
    assert r.status_code == 200
    page = Page(r.get_data(as_text=True))
    assert "Output shape (None, 20, 64)" in page.text
    assert "Parameters 6,208" in page.text
    assert page.inputs["input_shape"]["value"] == "None, 20, 32"
    assert page.inputs["filters"]["value"] == "64"  # the other fields keep the example's values


def test_changed_parameters(client):
    data = _submit(
        client,
        CONV1D + ".json",
        input_shape="(8, 100, 16)",
        filters="32",
        kernel_size="5",
        padding="valid",
        strides="2",
    ).get_json()
    result = data["evaluator"]["result"]
    assert result["output_shape"] == [8, 48, 32]  # floor((100 - 5) / 2) + 1 = 48
    assert result["param_count"] == 5 * 16 * 32 + 32
    assert result == engine.evaluate(
        "keras",
        "Conv1D",
        {"filters": 32, "kernel_size": 5, "padding": "valid", "strides": 2},
        [8, 100, 16],
        substitute=True,
    )
    substituted = [f["substituted"]["text"] for f in result["formulas"]]
    assert any("100" in text for text in substituted)


def test_symbolic_dimensions(client):
    data = _submit(client, CONV1D + ".json", input_shape="None, T, 32").get_json()
    assert data["evaluator"]["result"]["output_shape"] == [None, "T", 64]


def test_the_result_page_shows_the_substituted_formulas(client):
    r = _submit(client, CONV1D, input_shape="None, 20, 32", padding="valid")
    page = Page(r.get_data(as_text=True))
    result = _submit(client, CONV1D + ".json", input_shape="None, 20, 32", padding="valid").get_json()["evaluator"][
        "result"
    ]
    for formula in result["formulas"]:
        assert formula["substituted"]["mathml"] in page.html
    assert "Output shape (None, 18, 64)" in page.text


def test_the_permalink_reproduces_the_result(client):
    r = _submit(client, CONV1D, input_shape="None, 20, 32", kernel_size="5")
    data = _submit(client, CONV1D + ".json", input_shape="None, 20, 32", kernel_size="5").get_json()
    permalink = data["evaluator"]["permalink"]
    assert permalink.startswith(CONV1D + "?") and permalink.endswith("#evaluator")
    assert permalink.replace("&", "&amp;") in r.get_data(as_text=True)
    again = client.get(permalink.split("#")[0] + "").get_data(as_text=True)
    assert "Output shape (None, 20, 64)" in Page(again).text
    assert data["links"]["json"] == CONV1D + ".json?" + urlencode({"input_shape": "None, 20, 32", "kernel_size": "5"})


def test_an_empty_field_means_the_default(client):
    data = _submit(client, CONV1D + ".json", input_shape="None, 10, 32", padding="").get_json()
    assert data["evaluator"]["result"]["output_shape"] == [None, 8, 64]  # padding='valid', the default


def test_unrelated_query_parameters_are_ignored(client):
    r = client.get(CONV1D + "?utm_source=x&slug=other&_external=1")
    assert r.status_code == 200
    data = client.get(CONV1D + ".json?utm_source=x&slug=other").get_json()
    assert data["evaluator"]["submitted"] is False


# ---- errors: the message next to its field, 400, never a 500 -----------------------------------

BAD = [
    ({"filters": "abc"}, "filters", "filters must be an integer, received 'abc'"),
    ({"filters": "0"}, "filters", "filters must be between 1"),
    ({"filters": "1 + 1"}, "filters", "cannot read"),
    ({"kernel_size": "(3, 3)"}, "kernel_size", "kernel_size must have 1 value(s)"),
    ({"padding": "bogus"}, "padding", "padding must be one of"),
    ({"input_shape": "None, 10"}, "input_shape", "rank"),
    (
        {"input_shape": "None, 2, 32", "padding": "valid", "kernel_size": "5"},
        "input_shape",
        "kernel 5 is larger than the input 2",
    ),
    ({"input_shape": "__import__('os').getcwd()"}, "input_shape", "brackets"),
    ({"input_shape": "os.getcwd"}, "input_shape", "cannot read"),
    ({"input_shape": "None, 10, 0"}, "input_shape", "between 1 and"),
    ({"input_shape": "None, 10, 1e999"}, "input_shape", "finite"),
    ({"input_shape": "None, 10, " + "9" * 30}, "input_shape", "cannot read"),
    ({"input_shape": ""}, "input_shape", "input_shape is required"),
    ({"input_shape": "(None, 10, 32"}, "input_shape", "unbalanced"),
    ({"input_shape": "x" * 500}, "input_shape", "at most 200 characters"),
    ({"use_bias": "maybe"}, "use_bias", "use_bias must be true or false"),
    ({"strides": "2", "dilation_rate": "2"}, "strides", "not supported with dilation_rate"),
]


@pytest.mark.parametrize(("fields", "where", "message"), BAD, ids=[f"{w}:{m[:25]}" for _, w, m in BAD])
def test_bad_input_shows_the_error_next_to_its_field(client, fields, where, message):
    r = _submit(client, CONV1D, **fields)
    assert r.status_code == 400
    page = Page(r.get_data(as_text=True))
    shown = page.field_error(where)
    assert shown is not None and message in shown, (shown, page.text[-600:])
    assert page.inputs[where].get("aria-invalid") == "true"
    assert message in page.text  # in the summary at the top of the form too
    assert page.output_shape() == "—"
    data = _submit(client, CONV1D + ".json", **fields).get_json()
    errors = data["evaluator"]["errors"]
    assert errors and errors[0]["form_field"] == where and message in errors[0]["message"]
    assert data["evaluator"]["result"] is None
    # What the user typed stays in the field.
    for name, value in fields.items():
        if len(value) <= 200:
            assert page.inputs[name]["value"] == value


def test_garbage_never_gives_a_500(client):
    rng = random.Random(20261129)
    alphabet = "0123456789 ,()[]'\"-+.eENnoulTrFasHW_;:{}*/\\%&#<>é\u0000"
    names = [
        "input_shape",
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "groups",
        "activation",
        "use_bias",
    ]
    for _ in range(150):
        fields = {
            rng.choice(names): "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
            for _ in range(rng.randint(1, 4))
        }
        r = _submit(client, CONV1D, **fields)
        assert r.status_code in (200, 400), fields
        j = _submit(client, CONV1D + ".json", **fields)
        assert j.status_code == r.status_code, fields
        ev = j.get_json()["evaluator"]
        assert (ev["result"] is None) == bool(ev["errors"]), fields


@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_reports_an_engine_error_in_a_field(client, slug):
    """A rank no layer takes: the error sits next to input_shape on every seed page."""
    r = _submit(client, f"/questions/{slug}", input_shape="1, 2, 3, 4, 5, 6, 7, 8, 9")
    page = Page(r.get_data(as_text=True))
    assert r.status_code == 400
    assert "must have 1 to 8 dimensions" in page.field_error("input_shape")


def test_prefill_formats(client):
    values = _form_values(client, CONV1D)
    assert values["input_shape"] == "None, 10, 32"
    assert values["filters"] == "64" and values["kernel_size"] == "3" and values["padding"] == "same"
    assert values["use_bias"] == "true" and values["activation"] == "None"
    assert values["strides"] == format_value(1)
