"""What the browser tests and tests/browser/screenshots.py share: a live server on a synced SQLite
database, Debian's Chromium through Playwright, and a watch on console errors and dialogs."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("SHAPEKB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


DELAY_HEADER = "X-ShapeKB-Test-Delay-Ms"  # set by a test's page.route: this request is answered that much later
MAX_TEST_DELAY_MS = 5000


class SlowServer:
    """WSGI middleware of the test server only: a request carrying DELAY_HEADER waits that long in its own
    thread before it is answered, as on a loaded server. Requests are served concurrently (threaded), so
    answers can arrive out of order."""

    def __init__(self, app):
        self.app = app
        self.delays: list[float] = []

    def __call__(self, environ, start_response):
        raw = environ.get("HTTP_" + DELAY_HEADER.upper().replace("-", "_"), "")
        if raw.isascii() and raw.isdigit():
            time.sleep(min(int(raw), MAX_TEST_DELAY_MS) / 1000)
        return self.app(environ, start_response)


def slow_route(page, pattern: str, delays_ms: list[int]) -> list[str]:
    """Delay the answers to requests matching `pattern`: the n-th request by delays_ms[n] (the last value
    repeats). Returns the list of the URLs (method and URL) routed, in the order they were sent."""
    sent: list[str] = []

    def handle(route):
        request = route.request
        delay = delays_ms[min(len(sent), len(delays_ms) - 1)]
        sent.append(f"{request.method} {request.url}")
        route.continue_(headers={**request.headers, DELAY_HEADER.lower(): str(delay)})

    page.route(pattern, handle)
    return sent


@contextlib.contextmanager
def live_server() -> Iterator[str]:
    """The app on 127.0.0.1 (a free port), on a temporary SQLite database synced with kb/content/."""
    from kb.sync import setup_database
    from tests.conftest import make_app, release

    with tempfile.TemporaryDirectory(prefix="shapekb-browser-") as tmp:
        app = make_app(f"sqlite:///{Path(tmp) / 'shapekb.sqlite3'}")
        setup_database(app)
        server = make_server("127.0.0.1", 0, SlowServer(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="shapekb-live-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            release(app)


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Debian's), through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """Console errors, uncaught page errors and dialogs (alert(1) would be one) of a page."""

    def __init__(self, page):
        self.console: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_statuses: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        page.on("dialog", self._dialog)

    def _console(self, message) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def allow_status(self, *statuses: int) -> None:
        """HTTP statuses a test provokes on purpose (Chromium logs every 4xx answer to fetch as a console error)."""
        self.allowed_statuses.update(statuses)

    def unexpected(self) -> list[str]:
        allowed = tuple(f"the server responded with a status of {s} " for s in self.allowed_statuses)
        console = [
            m for m in self.console if not (allowed and "Failed to load resource" in m and any(a in m for a in allowed))
        ]
        return console + [f"pageerror: {e}" for e in self.page_errors] + [f"dialog: {d}" for d in self.dialogs]


# performance.now() from the edit (an input event) to the moment the output shape shows the new answer.
MEASURE_JS = """([selector, value]) => new Promise((resolve) => {
  const input = document.querySelector(selector);
  const section = input.closest('[data-evaluator]');
  const out = section.querySelector('[data-output-shape]');
  const before = out.textContent;
  const t0 = performance.now();
  const timer = setTimeout(() => { observer.disconnect(); resolve({ms: null, text: out.textContent.trim()}); }, 5000);
  const observer = new MutationObserver(() => {
    if (out.textContent !== before) {
      const ms = performance.now() - t0;
      observer.disconnect();
      clearTimeout(timer);
      resolve({ms, text: out.textContent.trim()});
    }
  });
  observer.observe(out, {childList: true, subtree: true, characterData: true});
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
})"""

SLOW_TIMINGS: list[tuple[str, list[float]]] = []  # (what, figures) measured against the slow server
LATENCIES: list[float] = []  # every measurement of the session, for the summary


def measure_edit(page, selector: str, value: str) -> dict:
    """Set a field of the evaluator and time the live answer; records the latency."""
    result = page.evaluate(MEASURE_JS, [selector, value])
    if result["ms"] is not None:
        LATENCIES.append(result["ms"])
    return result
