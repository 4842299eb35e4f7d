"""Pages in Chromium: MathML is laid out, search by facet, no console errors, hostile text stays text,
phones, the error pages."""

from __future__ import annotations

import pytest

from tests.web.pagetools import SLUGS, slugs_about

pytestmark = pytest.mark.browser

EVIL = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]


@pytest.mark.parametrize("path", ["/questions/keras-conv1d-output-shape", "/layers/keras/Conv2DTranspose"])
def test_mathml_is_laid_out(page, live_server, path):
    page.goto(live_server + path)
    sizes = page.locator("figure.formula math").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert sizes and all(w > 20 and h > 0 for w, h in sizes), sizes
    # Floor brackets stretch around a fraction: the formula is taller than a line of text.
    assert max(h for _, h in sizes) > 30
    legend = page.locator(".legend dt math").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert legend and all(h > 0 for h in legend)


def test_search_by_the_lstm_facet(page, live_server):
    page.goto(f"{live_server}/search")
    page.get_by_label("Words to find").fill("shape")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=shape")
    total = page.locator(".results-list > li").count()
    facet = page.locator('[data-facet="keras/LSTM"]')
    about_lstm = len(slugs_about("keras", "LSTM"))
    assert facet.locator(".count").inner_text() == str(about_lstm)
    facet.click()
    page.wait_for_url("**layer=LSTM**")
    results = page.locator(".results-list > li")
    assert results.count() == about_lstm < total
    assert any("LSTM" in title for title in results.locator("h3").all_inner_texts())
    assert results.first.locator("mark").count() >= 1
    assert page.locator('[data-facet="keras/LSTM"]').get_attribute("aria-current") == "true"
    # Following the selected facet again removes the filter.
    page.locator('[data-facet="keras/LSTM"]').click()
    page.wait_for_url("**/search?q=shape&framework=keras")


def test_no_console_errors_on_any_page(watched, live_server):
    page, watch = watched
    paths = [
        "/",
        "/layers",
        "/layers/keras/LSTM",
        "/layers/pytorch/MultiheadAttention",
        "/layers/keras/Bidirectional",
        "/trace",
        "/trace?example=keras-gan-generator-shapes",
        "/solve",
        "/solve?framework=keras&layer=Conv2DTranspose&input_shape=None,46,62,8&output_size=368,489&params=kernel_size%3D8,strides%3D8",
        "/layers/pytorch/ConvTranspose2d",
        "/search",
        "/search?q=stride+padding",
        "/search?q=zzzz",
        "/api/v1/docs",
    ]
    paths += [f"/questions/{slug}" for slug in SLUGS]
    for path in paths:
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        assert page.locator("h1").count() == 1, path
    # And some use: an evaluator edit, a trace edit.
    page.goto(f"{live_server}/layers/keras/LSTM")
    page.wait_for_selector("[data-evaluator][data-live]")
    page.fill("#f-units", "7")
    page.wait_for_selector("[data-evaluator]:not([aria-busy])")
    assert watch.unexpected() == []


def test_hostile_text_is_shown_as_text(watched, live_server):
    page, watch = watched
    watch.allow_status(400, 422)
    page.goto(f"{live_server}/layers/keras/Dense")
    page.wait_for_selector("[data-evaluator][data-live]")
    for evil in EVIL:
        # The message of the previous value may still be showing: wait for this value's message.
        for field in ("activation", "input_shape"):
            page.fill(f"#f-{field}", evil)
            page.wait_for_function(
                "([sel, text]) => document.querySelector(sel).textContent.includes(text)",
                arg=[f"#e-{field}", evil[:20]],
            )
            assert page.locator(f"#e-{field}").is_visible()
    page.goto(f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.wait_for_selector("[data-tracer][data-live]")
    for evil in EVIL:
        page.fill("#l-1", evil)
        page.wait_for_function("(text) => document.querySelector('#r-1').textContent.includes(text)", arg=evil)
        page.fill("#l-1", "LeakyReLU")
        page.fill("#p-1", evil)
        page.wait_for_selector("#r-1:not(:empty)")
        page.fill("#p-1", "")
        page.fill("#snippet", evil)
        page.get_by_role("button", name="Fill the table").click()
        page.locator("#snippet-error").wait_for(state="visible")
    for evil in EVIL:
        page.goto(f"{live_server}/search")
        page.get_by_label("Words to find").fill(evil)
        page.get_by_label("Words to find").press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.get_by_label("Words to find").input_value() == evil
        assert "No question matches" in page.locator("main").inner_text()
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src]):not([type=\"application/json\"])').length") == 0
    assert watch.dialogs == []


PHONE_PAGES = [
    "/",
    "/questions/keras-gan-generator-shapes",
    "/layers/keras/Conv1D",
    "/trace?example=keras-gan-generator-shapes",
    "/search?q=lstm",
    "/layers",
    "/solve",
    "/solve?framework=keras&layer=Conv2DTranspose&input_shape=None,46,62,8&output_size=368,489&params=kernel_size%3D8,strides%3D8",
    "/layers/pytorch/ConvTranspose2d",
]


def test_readable_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        for path in PHONE_PAGES:
            page.goto(live_server + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    finally:
        context.close()


def test_error_pages_in_the_site_style(watched, live_server):
    page, watch = watched
    watch.allow_status(404)
    response = page.goto(f"{live_server}/layers/keras/NoSuchLayer")
    assert response.status == 404
    assert "keras has no layer" in page.locator("main").inner_text()
    assert page.locator("header.site-header nav a").count() >= 4
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
    response = page.goto(f"{live_server}/nothing/here")
    assert response.status == 404 and page.locator("h1").inner_text() == "Not Found"
