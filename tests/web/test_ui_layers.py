"""The layer reference (/layers, /layers/<framework>/<name>) and the components it shares with answer pages."""

from __future__ import annotations

import os
import re

import pytest

import engine
from kb import components, layer_pages
from kb.formvalues import parse_value
from tests.web.pagetools import Page

ALL_LAYERS = [(s.framework, s.name) for s in engine.layers()]


def test_index_lists_every_layer_with_its_twin_and_json(client):
    r = client.get("/layers")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    data = client.get("/layers.json").get_json()
    assert data["total"] == len(ALL_LAYERS)
    names = {
        (fw["framework"], layer["name"]) for fw in data["frameworks"] for g in fw["groups"] for layer in g["layers"]
    }
    assert names == set(ALL_LAYERS)
    for framework, name in ALL_LAYERS:
        assert f'href="/layers/{framework}/{name}"' in html
    conv = next(
        layer
        for fw in data["frameworks"]
        for g in fw["groups"]
        for layer in g["layers"]
        if layer["key"] == "keras/Conv1D"
    )
    assert conv["equivalent"] == {"framework": "pytorch", "name": "Conv1d", "url": "/layers/pytorch/Conv1d"}
    assert conv["questions"] >= 1  # the seed has a Conv1D question


def test_index_filters_and_unknown_filters(client):
    data = client.get("/layers.json?framework=torch&category=recurrent").get_json()
    assert data["filters"] == {"framework": "pytorch", "category": "recurrent"}
    assert [fw["framework"] for fw in data["frameworks"]] == ["pytorch"]
    assert {layer["name"] for g in data["frameworks"][0]["groups"] for layer in g["layers"]} == {"GRU", "LSTM", "RNN"}
    data = client.get("/layers.json?framework=jax&category=<b>").get_json()
    assert data["total"] == len(ALL_LAYERS)
    assert len(data["notes"]) == 2
    html = client.get("/layers?category=<b>x</b>").get_data(as_text=True)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def _check_layer_page(client, framework, name):
    r = client.get(f"/layers/{framework}/{name}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    data = client.get(f"/layers/{framework}/{name}.json").get_json()
    spec = engine.get_layer(framework, name)
    assert data["key"] == spec.key
    assert [p["name"] for p in data["params"]] == [p.name for p in spec.params]
    assert len(data["formulas"]["formulas"]) == len(spec.formulas)
    html = r.get_data(as_text=True)
    for f in spec.formulas:
        assert f.rendered["mathml"] in html
    ev = data["evaluator"]
    assert ev["errors"] == [], ev["errors"]
    assert ev["result"]["output_shape"]
    page = Page(html)
    for field in ev["fields"]:
        assert f'<label for="f-{field["name"]}">' in html
        assert page.inputs[field["name"]]["value"] == field["value"]


def test_every_layer_page_renders_with_a_working_evaluator(client):
    """One app for all of them (a page each would spend most of its time building apps)."""
    failures = {}
    for framework, name in ALL_LAYERS:
        try:
            _check_layer_page(client, framework, name)
        except AssertionError as err:
            failures[f"{framework}/{name}"] = str(err)[:300]
    assert not failures, failures


def test_legend_names_every_symbol_of_every_formula():
    for spec in engine.layers():
        for item in components.legend(spec):
            assert item["meaning"], (spec.key, item["symbol"])
            assert item["mathml"].startswith("<math")


def test_layer_page_shows_parameters_formulas_twin_and_questions(client):
    data = client.get("/layers/keras/Conv1D.json").get_json()
    assert data["equivalent"]["name"] == "Conv1d" and data["equivalent"]["url"] == "/layers/pytorch/Conv1d"
    assert data["equivalent"]["formulas"]["formulas"]
    assert "keras-conv1d-output-shape" in [q["slug"] for q in data["questions"]]
    padding = next(p for p in data["params"] if p["name"] == "padding")
    assert padding["default_text"] == "valid" and "border_mode" in padding["aliases"]
    symbols = [s["symbol"] for s in data["formulas"]["legend"]]
    assert {"L_in", "L_out", "k", "s", "d"} <= set(symbols)
    # The evaluator is pre-filled from the seed's Conv1D example.
    ev = data["evaluator"]
    assert ev["example"] == "Conv1D(64, 3, padding='same') on input_shape (10, 32)"
    assert ev["result"]["output_shape"] == [None, 10, 64]
    assert ev["result"]["param_count"] == 6208
    padding_field = next(f for f in ev["fields"] if f["name"] == "padding")
    assert [c["value"] for c in padding_field["choices"]] == ["valid", "same", "causal"]
    html = client.get("/layers/keras/Conv1D").get_data(as_text=True)
    assert 'href="/questions/keras-conv1d-output-shape"' in html
    assert 'list="c-padding"' in html and '<option value="causal">' in html


def test_layer_page_evaluator_is_a_permalink(client):
    r = client.get("/layers/keras/Conv1D?input_shape=None,20,32&filters=8&kernel_size=5")
    assert r.status_code == 200
    ev = client.get("/layers/keras/Conv1D.json?input_shape=None,20,32&filters=8&kernel_size=5").get_json()["evaluator"]
    assert ev["submitted"] and ev["result"]["output_shape"] == [None, 20, 8]
    page = Page(r.get_data(as_text=True))
    assert page.inputs["input_shape"]["value"] == "None,20,32"
    assert "(None, 20, 8)" in page.html
    assert "?input_shape=None%2C20%2C32&amp;filters=8&amp;kernel_size=5#evaluator" in page.html


def test_layer_page_invalid_value_shows_the_engine_message_at_its_field(client):
    r = client.get("/layers/keras/Conv1D?filters=0")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert re.search(r'id="e-filters"[^>]*>filters must be between 1 and \d+, received 0<', html)
    assert 'aria-invalid="true"' in html
    data = client.get("/layers/keras/Conv1D.json?filters=0").get_json()
    assert data["evaluator"]["errors"][0]["field"] == "params.filters"
    assert data["evaluator"]["errors"][0]["form_field"] == "filters"


def test_hostile_values_are_escaped(client):
    evil = "<img src=x onerror=alert(1)>"
    r = client.get(
        "/layers/keras/Dense", query_string={"units": evil, "input_shape": "</script><script>alert(1)</script>"}
    )
    html = r.get_data(as_text=True)
    assert evil not in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_aliases_redirect_and_unknown_layers_are_404(client):
    r = client.get("/layers/keras/Convolution1D?filters=3")
    assert r.status_code == 301 and r.headers["Location"].endswith("/layers/keras/Conv1D?filters=3")
    r = client.get("/layers/torch/conv2d.json")
    assert r.status_code == 301 and r.headers["Location"].endswith("/layers/pytorch/Conv2d.json")
    r = client.get("/layers/keras/Conv2DD")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "keras has no layer" in html and "Conv2D" in html and 'class="site-header"' in html
    r = client.get("/layers/keras/Nope.json")
    assert r.status_code == 404 and "keras has no layer" in r.get_json()["error"]
    assert client.get("/layers/jax/Dense").status_code == 404


def test_sample_prefills_cover_layers_without_examples():
    for spec in engine.layers():
        shape, params = layer_pages.sample_request(spec)
        if not all(components.expressible(v) for v in params.values()):
            continue
        engine.evaluate(spec.framework, spec.name, params, shape)  # raises if the sample does not fit


def test_choices_read_the_parameter_type():
    assert components._choices("'valid' | 'same'") == [
        {"value": "valid", "label": "valid"},
        {"value": "same", "label": "same"},
    ]
    assert [c["value"] for c in components._choices("bool | None")] == ["true", "false", "None"]
    assert [c["value"] for c in components._choices("'auto' | bool")] == ["auto", "true", "false"]
    assert components._choices("'nearest' | 'nearest-exact'")[1]["value"] == "nearest-exact"
    assert components._choices("int | tuple[int, ...]") is None
    assert components._choices("str | None") is None


def test_format_of_prefill_round_trips():
    shape, params = layer_pages.sample_request(engine.get_layer("pytorch", "Unflatten"))
    assert components.format_value(params["unflattened_size"]) == "8, 8"
    # A choice word that is also a keyword (GELU's approximate='none') is offered bare and read back as a string.
    assert [c["value"] for c in components._choices("'none' | 'tanh'")] == ["none", "tanh"]
    assert parse_value("none", choices=components.choice_words("'none' | 'tanh'")) == "none"


def test_a_wrapper_page_takes_the_wrapped_layer_as_a_call(client):
    page = client.get("/layers/keras/Bidirectional.json").get_json()
    field = next(f for f in page["evaluator"]["fields"] if f["name"] == "layer")
    # Pre-filled from the content's Bidirectional example (the merge_mode question): a call, read back.
    assert field["nested"] and field["value"] == "LSTM(units=10, return_sequences=True)"
    assert page["evaluator"]["result"]["output_shape"] == [None, 5, 20]
    query = {"input_shape": "None, 10, 32", "layer": "GRU(8, return_sequences=True)", "merge_mode": "sum"}
    ev = client.get("/layers/keras/Bidirectional.json", query_string=query).get_json()["evaluator"]
    assert ev["errors"] == [] and ev["result"]["output_shape"] == [None, 10, 8]
    html = client.get("/layers/keras/Bidirectional", query_string=query).get_data(as_text=True)
    # app.js sends the field's text to the server, which reads the call (no parser, no catalog on the page).
    assert "data-nested" in html and "layer-catalog" not in html
    nested = {"input_shape": "None, 5, 7, 3", "layer": "Bidirectional(LSTM(4))"}
    ev = client.get("/layers/keras/TimeDistributed.json", query_string=nested).get_json()["evaluator"]
    assert ev["result"]["output_shape"] == [None, 5, 8]


@pytest.mark.parametrize(
    "text,message",
    [
        ("GRU(8), units=3", "one layer call"),
        ("LSTM(", "not valid Python"),
        ("__import__('os').system('touch /tmp/shapekb-pwned')", "__import__"),
        ("LSTM(units=__import__('os'))", "literal"),
        ("Conv2D(8, 3)", "recurrent"),
    ],
)
def test_a_wrapped_layer_field_that_is_not_one_literal_call_is_an_error_at_the_field(client, text, message):
    r = client.get("/layers/keras/Bidirectional", query_string={"layer": text})
    assert r.status_code == 400
    ev = client.get("/layers/keras/Bidirectional.json", query_string={"layer": text}).get_json()["evaluator"]
    assert ev["result"] is None and ev["errors"][0]["form_field"] == "layer"
    assert message in ev["errors"][0]["message"], ev["errors"][0]["message"]
    assert not os.path.exists("/tmp/shapekb-pwned")
