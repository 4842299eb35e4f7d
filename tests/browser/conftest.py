"""Fixtures of the browser suite: one live server and one Chromium for the session, a fresh context per test.

Run it alone with `pytest -m browser tests/browser` (it needs Playwright and /usr/bin/chromium).
"""

from __future__ import annotations

import pytest

from tests.browser import support


@pytest.fixture(scope="session")
def live_server():
    with support.live_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    pytest.importorskip("playwright.sync_api")
    with support.chromium() as b:
        yield b


def _new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = support.Watch(page)
    return context, page, watch


@pytest.fixture
def watched(browser):
    """(page, watch) with JavaScript on; the test fails on any console error, page error or dialog it did not expect."""
    context, page, watch = _new_page(browser)
    yield page, watch
    context.close()
    assert watch.unexpected() == []


@pytest.fixture
def page(watched):
    return watched[0]


@pytest.fixture
def nojs_watched(browser):
    """(page, watch) with JavaScript off."""
    context, page, watch = _new_page(browser, java_script_enabled=False)
    yield page, watch
    context.close()
    assert watch.unexpected() == []


@pytest.fixture
def nojs_page(nojs_watched):
    return nojs_watched[0]


def pytest_terminal_summary(terminalreporter):
    values = sorted(support.LATENCIES)
    if values:
        median = values[len(values) // 2]
        terminalreporter.write_line(
            f"live evaluation, edit -> output shape shown: {len(values)} edits, median {median:.1f} ms, "
            f"min {values[0]:.1f} ms, max {values[-1]:.1f} ms"
        )
    for what, figures in support.SLOW_TIMINGS:
        terminalreporter.write_line(f"slow server: {what}: {', '.join(f'{v:.0f}' for v in figures)}")
