"""The tracer in Chromium: the GAN example, live editing through /api/v1/trace, snippets, no-JS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import engine
from kb import components

pytestmark = pytest.mark.browser

FINAL = "tfoot [data-final-shape]"
TOTAL = "tfoot [data-total]"


def _ready(page, url):
    page.goto(url)
    page.wait_for_selector("[data-tracer][data-live]")


def _settle(page, selector, text):
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel).textContent.trim() === want", arg=[selector, text]
    )


def test_trace_the_gan_generator(page, live_server):
    _ready(page, f"{live_server}/trace")
    page.get_by_role("link", name="The generator, layer by layer").click()
    page.wait_for_selector("[data-tracer][data-live]")
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 3)"
    assert page.locator(TOTAL).inner_text().strip() == "6,264,579"
    outputs = page.locator("tr[data-row] [data-out]").all_inner_texts()
    assert outputs[0] == "(None, 32768)" and outputs[5] == "(None, 32, 32, 256)" and outputs[-1] == "(None, 32, 32, 3)"
    # Live: a different last layer, answered through the API.
    page.fill("#p-11", "filters=1, kernel_size=7, padding='same'")
    _settle(page, FINAL, "(None, 32, 32, 1)")
    assert "framework=keras" in page.url and "filters%3D1" in page.url


def test_the_first_layer_that_does_not_fit_is_marked(watched, live_server):
    page, watch = watched
    watch.allow_status(422)
    _ready(page, f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.fill("#p-2", "target_shape=(16, 16, 127)")
    page.wait_for_selector("tr.row-error")
    rows = page.locator("tr[data-row]")
    assert rows.nth(2).get_attribute("class") == "row-error"
    assert rows.nth(2).get_attribute("aria-invalid") == "true"
    assert rows.nth(1).get_attribute("class") == "row-ok"  # the layers before keep their shapes
    assert page.locator("tr[data-row] [data-out]").nth(1).inner_text() == "(None, 32768)"
    assert all(rows.nth(n).get_attribute("class") == "row-skipped" for n in range(3, 12))
    assert page.locator("tr[data-row] [data-out]").nth(3).inner_text() == "not reached"
    message = page.locator("#r-2").inner_text()
    assert message.startswith("Does not fit: ") and "32768" in message
    assert page.locator("#p-2").get_attribute("aria-invalid") == "true"
    status = page.locator("[data-trace-status]").inner_text()
    assert status.startswith("Layer 2 does not fit:")
    assert page.locator(FINAL).inner_text().strip() == "—"
    page.fill("#p-2", "target_shape=(16, 16, 128)")
    _settle(page, FINAL, "(None, 32, 32, 3)")
    assert page.locator("tr.row-error").count() == 0


def test_add_and_remove_layers_with_the_keyboard(page, live_server):
    _ready(page, f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.get_by_role("button", name="Add a layer").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "l-12"
    assert page.locator("label[for='l-12']").inner_text() == "Layer 12 type"
    page.keyboard.type("Flatten")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the parameters: Flatten takes none
    _settle(page, FINAL, "(None, 3072)")
    page.get_by_role("button", name="Remove layer 12").click()
    _settle(page, FINAL, "(None, 32, 32, 3)")
    assert page.locator("tr[data-row]").count() == 12


def test_a_pasted_snippet_fills_the_table(page, live_server):
    _ready(page, f"{live_server}/trace")
    page.fill(
        "#snippet",
        "import torch.nn as nn\nnet = nn.Sequential(\n    nn.Conv2d(3, 16, 3),\n    nn.ReLU(),\n    nn.Flatten(),\n)\n",
    )
    page.fill("#snippet-input", "1, 3, 8, 8")
    page.get_by_role("button", name="Fill the table").click()
    _settle(page, FINAL, "(1, 576)")
    assert page.locator("#t-framework").input_value() == "pytorch"
    assert page.locator("tr[data-row] input[name=layer]").evaluate_all("els => els.map(e => e.value)") == [
        "Conv2d",
        "ReLU",
        "Flatten",
    ]
    assert page.locator("#p-0").input_value() == "in_channels=3, out_channels=16, kernel_size=3"
    # Editing the filled table is live again.
    page.fill("#p-0", "in_channels=3, out_channels=4, kernel_size=3")
    _settle(page, FINAL, "(1, 144)")


def test_the_tracer_without_javascript(nojs_page, live_server):
    page = nojs_page
    page.goto(f"{live_server}/trace")
    with page.expect_navigation():
        page.get_by_role("link", name="The generator, layer by layer").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 3)"
    with page.expect_navigation():
        page.get_by_role("button", name="Add a layer").click()
    page.fill("#l-12", "Flatten")
    with page.expect_navigation():
        page.get_by_role("button", name="Trace", exact=True).click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 3072)"
    with page.expect_navigation():
        page.get_by_role("button", name="Remove layer 12").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 3)"
    page.fill("#snippet", "layers.Dense(4, input_shape=(3,))\nlayers.Dense(2)")
    with page.expect_navigation():
        page.get_by_role("button", name="Fill the table").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 2)"


# A row's parameters, as Python call arguments, with an input shape to trace them on.
CALL_ARGS = [
    ("keras", "Dense", "64", "None, 8"),
    ("keras", "Dense", "units=64, activation='relu', use_bias=False", "None, 8"),
    ("keras", "Conv2D", '32, (3, 3), strides=2, padding="same"', "None, 16, 16, 3"),
    ("keras", "Reshape", "target_shape=(16, 16, 128)", "None, 32768"),
    ("keras", "Reshape", "(-1,)", "None, 4, 4"),
    ("keras", "Dropout", "rate=1e-1", "None, 8"),
    ("keras", "Bidirectional", "LSTM(16, return_sequences=True)", "None, 10, 8"),
    ("keras", "TimeDistributed", "Conv2D(16, 3, activation='relu')", "None, 5, 8, 8, 3"),
    ("keras", "TimeDistributed", "Bidirectional(LSTM(4))", "None, 5, 7, 3"),
    ("pytorch", "Conv2d", "3, 16, kernel_size=[3, 5], padding=1", "1, 3, 8, 8"),
    ("pytorch", "LSTM", "input_size=8, hidden_size=4, batch_first=True, num_layers=2", "2, 5, 8"),
    ("pytorch", "Linear", "in_features=4, out_features=2 * 3", "3, 4"),
]


def _shape_text(shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def test_the_page_has_no_parser_of_its_own():
    # One grammar in one place: the tracer's rows, the wrapper fields and every evaluator field are read
    # by the server (engine.snippet, kb/formvalues.py); app.js sends the texts.
    source = (Path(__file__).resolve().parents[2] / "kb" / "static" / "app.js").read_text()
    for name in ("parseCallArgs", "CallArgs", "tokenize", "lookupLayer", "Unsupported", "layer-catalog"):
        assert name not in source, name  # the call parser
    for name in ("parseValue", "parseShape", "parseScalar", "splitItems", "FormValueError", "PyFloat", "QUOTED"):
        assert name not in source, name  # the port of kb/formvalues.py
    assert "fields: fields" in source  # the evaluator sends its fields as text


def test_the_server_reads_each_row_as_it_reads_python(page, live_server):
    # The behaviour stays: positional arguments, tuples, nested layers, arithmetic, read by the server.
    _ready(page, f"{live_server}/trace")
    for framework, layer, text, shape_text in CALL_ARGS:
        _, params = components.parse_row(framework, layer, text)
        shape = [None if d == "None" else int(d) for d in shape_text.split(", ")]
        expected = engine.trace(framework, shape, [{"layer": layer, "params": params}])
        page.select_option("#t-framework", framework)
        page.fill("#t-input", shape_text)
        page.fill("#l-0", layer)
        page.fill("#p-0", text)
        _settle(page, FINAL, _shape_text(expected["output_shape"]))
        _settle(page, TOTAL, f"{expected['total_params']:,}")


def test_a_snippet_right_after_a_table_edit_still_answers(watched, live_server):
    # The table edit's debounced trace used to fire after the click and swallow the snippet's answer.
    page, watch = watched
    watch.allow_status(400)
    _ready(page, f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.fill("#snippet", "layers.Dense(")  # not Python: the snippet gets an error message

    def slow_snippet_answer(route):
        if route.request.method == "POST":
            time.sleep(0.3)  # longer than the table's debounce, as on a loaded machine
        route.continue_()

    page.route("**/trace.json**", slow_snippet_answer)
    # The edit and the click in one task, so the edit's debounce is still pending at the click.
    page.evaluate(
        """() => {
            const field = document.querySelector("#p-11");
            field.value = "filters=2, kernel_size=7, padding='same'";
            field.dispatchEvent(new Event("input", { bubbles: true }));
            document.querySelector("[data-snippet-form]").requestSubmit();
        }"""
    )
    page.locator("#snippet-error").wait_for(state="visible", timeout=5000)
    assert "not valid Python" in page.locator("#snippet-error").inner_text()
