"""The explainer in Chromium: paste, submit (with and without JavaScript), MathML laid out, the failing layer marked."""

from __future__ import annotations

import pytest

from tests.engine.test_explain_corpus import WITH_CODE

pytestmark = pytest.mark.browser

MAT = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"


@pytest.mark.parametrize("js", [True, False])
def test_paste_a_message_and_read_the_answer(js, page, nojs_page, live_server):
    tab = page if js else nojs_page
    tab.goto(f"{live_server}/explain")
    tab.get_by_label("Error message").fill(MAT)
    tab.get_by_role("button", name="Explain").click()
    tab.wait_for_selector("[data-summary]")
    assert "9216" in tab.locator("[data-summary]").inner_text()
    sizes = tab.locator(".formula-list math").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert sizes and all(w > 20 and h > 0 for w, h in sizes), sizes
    assert tab.locator('.fixes li[data-verified="false"]').count() >= 2


def test_with_code_the_failing_layer_is_highlighted(page, live_server):
    item = next(i for i in WITH_CODE if i["id"] == "androidkt-mat1-mat2")
    page.goto(f"{live_server}/explain")
    page.get_by_label("Error message").fill(item["message"])
    page.get_by_label("Model code").fill(item["code"])
    page.get_by_label("Input shape fed to the model").fill("2, 1, 28, 28")
    page.get_by_role("button", name="Explain").click()
    page.wait_for_selector("[data-failing-layer]")
    assert "out (Linear)" in page.locator("[data-failing-layer]").inner_text()
    assert page.locator('.fixes li[data-verified="true"]').count() >= 1


def test_a_failed_live_trace_links_to_the_explainer(watched, live_server):
    page, watch = watched
    watch.allow_status(422)
    page.goto(f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.wait_for_selector("[data-tracer][data-live]")
    page.fill("#p-2", "target_shape=(16, 16, 127)")
    link = page.locator("[data-trace-status] [data-explain-link] a")
    link.wait_for()
    link.click()
    page.wait_for_selector("[data-summary]")
    assert page.locator(".explain-answer").get_attribute("data-family") == "reshape_size_mismatch"
    assert "32768" in page.locator("[data-summary]").inner_text()
