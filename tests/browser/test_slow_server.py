"""The live evaluator and the tracer against a deliberately slow server (issue 12, section 3).

page.route marks each request with a delay and the test server (tests/browser/support.SlowServer)
waits that long in the request's own thread, so answers come late and out of order, as on a loaded
machine. Whatever the order, what is on screen must be the answer to what is in the fields.
"""

from __future__ import annotations

import random

import pytest

import engine
from tests.browser import support

pytestmark = pytest.mark.browser

OUTPUT = "[data-result] [data-output-shape]"
FINAL = "tfoot [data-final-shape]"

# Set a field (an input event, then a change event as when the field is left) and time, in the page,
# how long until `target` shows `want`. Resolves {ms, text}; ms is null after 8 s.
EDIT_AND_WAIT_JS = """([field, value, target, want, change]) => new Promise((resolve) => {
  const input = document.querySelector(field);
  const out = document.querySelector(target);
  const t0 = performance.now();
  const check = () => {
    if (out.textContent.trim() === want) {
      observer.disconnect();
      clearTimeout(timer);
      resolve({ms: performance.now() - t0, text: out.textContent.trim()});
    }
  };
  const timer = setTimeout(() => { observer.disconnect(); resolve({ms: null, text: out.textContent.trim()}); }, 8000);
  const observer = new MutationObserver(check);
  observer.observe(out, {childList: true, subtree: true, characterData: true});
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  if (change) input.dispatchEvent(new Event('change', {bubbles: true}));
})"""

# Several values typed into a field in one task each, a few ms apart (quicker than any answer).
QUICK_EDITS_JS = """([field, values, gap]) => new Promise((resolve) => {
  const input = document.querySelector(field);
  let n = 0;
  const step = () => {
    input.value = values[n];
    input.dispatchEvent(new Event('input', {bubbles: true}));
    if (n % 2) input.dispatchEvent(new Event('change', {bubbles: true}));
    n += 1;
    if (n < values.length) setTimeout(step, gap); else resolve(n);
  };
  step();
})"""


def _shape_text(shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _wait_idle(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}:not([aria-busy])", timeout=15_000)


def test_leaving_a_field_keeps_the_answer_in_flight(page, live_server):
    # The bug: the change event re-ran the same question, bumped the sequence and dropped the answer
    # still on its way, so the old result stayed beside the new value. Every answer takes 400 ms here.
    page.goto(f"{live_server}/questions/keras-conv1d-output-shape")
    page.wait_for_selector("[data-evaluator][data-live]")
    sent = support.slow_route(page, "**/api/v1/evaluate", [400])
    timings = []
    for length in (21, 33, 57):
        result = page.evaluate(
            EDIT_AND_WAIT_JS, ["#f-input_shape", f"None, {length}, 32", OUTPUT, f"(None, {length}, 64)", True]
        )
        assert result["ms"] is not None, result
        timings.append(result["ms"])
    assert all(400 <= ms < 3000 for ms in timings), timings
    _wait_idle(page, "[data-evaluator]")
    # One question per edit (the change event asked nothing new), and its formulas after it.
    assert sum("evaluate" in url for url in sent) == 2 * 3
    support.SLOW_TIMINGS.append(("evaluator, edit then leave the field, 400 ms server", timings))


def test_quick_edits_with_answers_out_of_order_show_the_last_fields(page, live_server):
    seed = random.randrange(2**32)
    print(f"\nslow-server seed {seed}")
    rng = random.Random(seed)
    page.goto(f"{live_server}/questions/keras-conv1d-output-shape")
    page.wait_for_selector("[data-evaluator][data-live]")
    # The first answers are the slowest: without the sequence check the last to arrive (a stale one) would win.
    delays = [900, 700, 500, 300, 100, 60] + [rng.randrange(20, 400) for _ in range(20)]
    sent = support.slow_route(page, "**/api/v1/evaluate", delays)
    for _ in range(3):
        lengths = [rng.randrange(5, 500) for _ in range(6)]
        page.evaluate(QUICK_EDITS_JS, ["#f-input_shape", [f"None, {n}, 32" for n in lengths], 50])
        want = _shape_text(
            engine.evaluate(
                "keras", "Conv1D", {"filters": 64, "kernel_size": 3, "padding": "same"}, [None, lengths[-1], 32]
            )["output_shape"]
        )
        page.wait_for_function(
            "([sel, want]) => document.querySelector(sel).textContent.trim() === want", arg=[OUTPUT, want]
        )
        _wait_idle(page, "[data-evaluator]")
        page.wait_for_timeout(1000)  # every late answer has arrived by now
        assert page.locator(OUTPUT).inner_text().strip() == want, seed
        assert page.locator("#f-input_shape").input_value() == f"None, {lengths[-1]}, 32"
        assert f"input_shape=None%2C+{lengths[-1]}%2C+32" in page.url
        # The formulas with the numbers put in are those of the last fields too.
        assert f"L_out = ceil({lengths[-1]}/1)" in page.locator("[data-substituted]").inner_text()
    assert len(sent) >= 6, sent
    support.SLOW_TIMINGS.append(
        ("evaluator, 3 x 6 quick edits 50 ms apart, answers out of order: requests", [len(sent)])
    )


def test_a_wrapped_layer_field_read_by_the_slow_server(page, live_server):
    # The wrapper's field is read by the server (POST /api/v1/parse-call), then evaluated: both slow.
    page.goto(f"{live_server}/layers/keras/Bidirectional")
    page.wait_for_selector("[data-evaluator][data-live]")
    page.fill("#f-input_shape", "None, 10, 32")
    _wait_idle(page, "[data-evaluator]")
    support.slow_route(page, "**/api/v1/parse-call", [600, 50])
    support.slow_route(page, "**/api/v1/evaluate", [100])
    page.evaluate(QUICK_EDITS_JS, ["#f-layer", ["GRU(8, return_sequences=True)", "GRU(6, return_sequences=True)"], 50])
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel).textContent.trim() === want", arg=[OUTPUT, "(None, 10, 12)"]
    )
    page.wait_for_timeout(900)
    assert page.locator(OUTPUT).inner_text().strip() == "(None, 10, 12)"


def test_the_tracer_against_a_slow_server(page, live_server):
    page.goto(f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.wait_for_selector("[data-tracer][data-live]")
    sent = support.slow_route(page, "**/trace.json?**", [900, 500, 100, 50])
    # Quick successive edits of the last layer: the first answers arrive last.
    values = [f"filters={n}, kernel_size=7, padding='same'" for n in (1, 2, 3, 4)]
    page.evaluate(QUICK_EDITS_JS, ["#p-11", values, 80])  # past the tracer's 60 ms debounce: four requests
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel).textContent.trim() === want", arg=[FINAL, "(None, 32, 32, 4)"]
    )
    page.wait_for_timeout(1200)
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 4)"
    assert page.locator("tr[data-row] [data-out]").nth(11).inner_text() == "(None, 32, 32, 4)"
    assert "filters%3D4" in page.url
    # Leaving the field asks nothing new, and the answer in flight shows.
    assert len(sent) >= 3, sent
    support.SLOW_TIMINGS.append(("tracer, 4 quick edits 80 ms apart, answers 900/500/100/50 ms: requests", [len(sent)]))
    page.unroute("**/trace.json?**")
    sent = support.slow_route(page, "**/trace.json?**", [400])
    timings = []
    for n in (5, 6, 7):
        result = page.evaluate(
            EDIT_AND_WAIT_JS,
            ["#p-11", f"filters={n}, kernel_size=7, padding='same'", FINAL, f"(None, 32, 32, {n})", True],
        )
        assert result["ms"] is not None, result
        timings.append(result["ms"])
    assert len(sent) == 3  # one request per edit: the change event did not ask again
    support.SLOW_TIMINGS.append(("tracer, edit then leave the field, 400 ms server", timings))


def test_a_misfit_then_a_fix_in_quick_succession(watched, live_server):
    # A slow 422-like answer (a row that does not fit) must not overwrite the quick answer to the fix.
    page, watch = watched
    page.goto(f"{live_server}/trace?example=keras-gan-generator-shapes")
    page.wait_for_selector("[data-tracer][data-live]")
    support.slow_route(page, "**/trace.json?**", [800, 50])
    page.evaluate(QUICK_EDITS_JS, ["#p-2", ["target_shape=(16, 16, 127)", "target_shape=(16, 16, 128)"], 80])
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel).textContent.trim() === want", arg=[FINAL, "(None, 32, 32, 3)"]
    )
    page.wait_for_timeout(1100)
    assert page.locator("tr.row-error").count() == 0
    assert page.locator(FINAL).inner_text().strip() == "(None, 32, 32, 3)"
