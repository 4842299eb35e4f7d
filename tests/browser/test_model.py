"""The tracer's "paste your model" mode in Chromium, with and without JavaScript: the graph summary, the
diagram (server-rendered SVG, links to the layer pages), the misfit with its line, a value to give."""

from __future__ import annotations

import os

import pytest

from tests.web.test_ui_model import MNIST, NEEDS_VALUE, RESIDUAL

pytestmark = pytest.mark.browser


def _trace_model(page, code: str, input_shape: str = "") -> None:
    page.fill("#code", code)
    page.fill("#model-input", input_shape)
    with page.expect_navigation():
        page.get_by_role("button", name="Trace the model").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_paste_a_model_and_read_its_graph(request, live_server, javascript):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    page.goto(f"{live_server}/trace")
    _trace_model(page, RESIDUAL)
    summary = page.locator("[data-model-summary]").inner_text()
    assert "toy_resnet" in summary and "(None, 10)" in summary
    rows = page.locator("[data-summary-table] tbody tr")
    assert rows.count() == 9  # the input and eight nodes (activations are part of the Conv2D)
    assert rows.nth(0).inner_text().startswith("img")
    diagram = page.locator("[data-diagram] svg.graph-diagram")
    assert diagram.is_visible()
    box = diagram.bounding_box()
    assert box["width"] > 200 and box["height"] > 400
    assert page.locator("[data-diagram] svg g.node").count() == rows.count()
    if os.environ.get("SHAPEKB_SCREENSHOTS"):
        page.locator("[data-model-result]").screenshot(path=os.environ["SHAPEKB_SCREENSHOTS"] + "/model-residual.png")
    # A node of the diagram is a link to its layer's page.
    with page.expect_navigation():
        page.locator("[data-diagram] svg a[href='/layers/keras/Dense']").first.click()
    assert page.url.endswith("/layers/keras/Dense")


def test_the_misfit_and_its_line(page, live_server):
    page.goto(f"{live_server}/trace")
    _trace_model(page, MNIST.replace("nn.Linear(9216, 128)", "nn.Linear(9000, 128)"), "1, 1, 28, 28")
    alert = page.locator("[data-model-error]")
    assert alert.get_attribute("role") == "alert"
    assert page.locator("[data-failing-node]").inner_text() == "fc1"
    assert "9216" in page.locator("[data-reason]").inner_text()
    assert page.locator("[data-code-line]").inner_text().split() == ["20", "x", "=", "F.relu(self.fc1(x))"]
    assert page.locator("[data-model-result]").count() == 0
    # The code stays in the field, to be fixed and traced again.
    assert "nn.Linear(9000, 128)" in page.locator("#code").input_value()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_value_from_the_data_is_asked_then_traced(request, live_server, javascript):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    page.goto(f"{live_server}/trace")
    _trace_model(page, NEEDS_VALUE)
    field = page.get_by_label("x_train.shape[1]")
    assert field.is_visible() and field.input_value() == ""
    assert "x_train.shape[1]" in page.locator("[data-model-error]").inner_text()
    field.fill("784")
    with page.expect_navigation():
        page.get_by_role("button", name="Trace the model").click()
    assert "(None, 10)" in page.locator("[data-model-summary]").inner_text()
    assert page.locator("[data-model-totals] [data-total-params]").inner_text() == "50,890"
    assert page.get_by_label("x_train.shape[1]").input_value() == "784"
