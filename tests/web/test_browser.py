"""In a real browser (headless Chromium, JavaScript off): the formula renders, the evaluator works."""

from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SHAPEKB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:
        pytest.skip("no chromium executable (.ci/run installs Debian's chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def test_formula_renders_and_the_evaluator_works_without_javascript(page, live_server):
    page.goto(f"{live_server}/questions/keras-conv1d-output-shape")
    formula = page.locator("figure.formula math").first
    box = formula.bounding_box()
    assert box and box["height"] > 10 and box["width"] > 40  # laid out as MathML, not left as raw tags
    page.fill("#f-input_shape", "None, 20, 32")
    page.fill("#f-kernel_size", "5")
    with page.expect_navigation():
        page.get_by_role("button", name="Compute").click()
    assert f"input_shape={quote('None, 20, 32').replace('%20', '+')}" in page.url
    assert "kernel_size=5" in page.url
    assert page.locator(".result output").inner_text().strip() == "(None, 20, 64)"
    # Reload the permalink: same answer.
    page.goto(page.url)
    assert page.locator(".result output").inner_text().strip() == "(None, 20, 64)"


def test_an_error_is_announced_next_to_its_field(page, live_server):
    page.goto(f"{live_server}/questions/keras-conv1d-output-shape?input_shape=None,10,32&filters=abc")
    field = page.locator("#f-filters")
    assert field.get_attribute("aria-invalid") == "true"
    assert "filters must be an integer" in page.locator("#e-filters").inner_text()
    assert page.get_by_role("alert").is_visible()


@pytest.mark.parametrize("path", ["/", "/questions/keras-conv1d-output-shape"])
def test_small_screens_and_keyboard_focus(browser, live_server, path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    try:
        pg = context.new_page()
        pg.goto(live_server + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        if path != "/":  # keyboard focus is visible
            pg.locator("#f-input_shape").focus()
            pg.keyboard.press("Tab")
            outline = pg.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert pg.evaluate("document.activeElement.id") == "f-filters"
            assert outline != "none"
    finally:
        context.close()
