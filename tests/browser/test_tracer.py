"""The tracer in Chromium: the GAN example, live editing through /api/v1/trace, snippets, no-JS."""

from __future__ import annotations

import json
import time

import pytest

from kb import components
from kb.formvalues import MISSING, FormValueError, parse_value

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
        page.get_by_role("button", name="Trace").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 3072)"
    with page.expect_navigation():
        page.get_by_role("button", name="Remove layer 12").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 3)"
    page.fill("#snippet", "layers.Dense(4, input_shape=(3,))\nlayers.Dense(2)")
    with page.expect_navigation():
        page.get_by_role("button", name="Fill the table").click()
    assert page.locator(FINAL).inner_text().strip() == "(None, 2)"


CALL_ARGS = [
    ("keras", "Dense", "64"),
    ("keras", "Dense", "units=64, activation='relu', use_bias=False"),
    ("keras", "Conv2D", '32, (3, 3), strides=2, padding="same"'),
    ("keras", "Reshape", "target_shape=(16, 16, 128)"),
    ("keras", "Reshape", "(-1,)"),
    ("keras", "Dropout", "0.5"),
    ("keras", "Dropout", "rate=1e-1"),
    ("keras", "Bidirectional", "LSTM(16, return_sequences=True)"),
    ("keras", "TimeDistributed", "Dense(8)"),
    ("keras", "TimeDistributed", "Conv2D(16, 3, activation='relu')"),
    ("keras", "TimeDistributed", "Bidirectional(LSTM(4))"),
    ("pytorch", "Conv2d", "3, 16, kernel_size=[3, 5], padding=1"),
    ("pytorch", "LSTM", "input_size=8, hidden_size=4, batch_first=True, num_layers=2"),
    ("pytorch", "Linear", "in_features=4, out_features=2, bias=None"),
]


def test_the_browser_and_the_server_read_parameters_alike(page, live_server):
    _ready(page, f"{live_server}/trace")
    for framework, layer, text in CALL_ARGS:
        _, expected = components.parse_row(framework, layer, text)
        got = page.evaluate(
            "([text, layer, fw]) => JSON.parse(ShapeKB.toJSON(ShapeKB.parseCallArgs(text, layer, "
            "JSON.parse(document.getElementById('layer-catalog').textContent), fw)))",
            [text, layer, framework],
        )
        assert got == json.loads(json.dumps(expected)), (layer, text)


FORM_VALUES = [
    "64",
    " 3, 3 ",
    "(3, 3)",
    "[2]",
    "3,",
    "()",
    "None",
    "null",
    "TRUE",
    "false",
    "same",
    "'same'",
    '"valid"',
    "0.5",
    ".5",
    "1e3",
    "-2",
    "None, 10, 32",
    "H, W",
    "'nearest-exact'",
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


def test_the_browser_and_the_server_read_form_values_alike(page, live_server):
    page.goto(f"{live_server}/layers/keras/Dense")
    page.wait_for_function("() => window.ShapeKB !== undefined")
    for text in FORM_VALUES:
        try:
            value = parse_value(text)
            if value is MISSING:
                expected = {"missing": True}
            else:
                expected = {"value": json.loads(json.dumps(list(value) if isinstance(value, tuple) else value))}
        except FormValueError as err:
            expected = {"error": err.message}
        got = page.evaluate(
            """(text) => {
                try {
                    const v = ShapeKB.parseValue(text);
                    if (v === ShapeKB.MISSING) return {missing: true};
                    return {value: JSON.parse(ShapeKB.toJSON(v))};
                } catch (err) { return {error: err.message}; }
            }""",
            text,
        )
        assert got == expected, text
    # A choice word that is also a keyword stays a string when the field is a choice (GELU's approximate).
    assert page.evaluate("ShapeKB.parseValue(' none ', ['none', 'tanh'])") == "none"
    assert page.evaluate("ShapeKB.parseValue('none', []) === null")


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
