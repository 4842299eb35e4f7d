"""Screenshots of the main pages into docs/screenshots/ (1200 px wide), with the browser tests' tooling.

    python -m tests.browser.screenshots            from the repository root

The app runs on a temporary SQLite database synced with kb/content/, as in the browser tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.browser import support

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTH = 1200
MAX_BYTES = 300_000


def _answer(page, base):
    page.goto(f"{base}/questions/keras-conv1d-output-shape")
    page.wait_for_selector("[data-evaluator][data-live]")
    page.fill("#f-input_shape", "None, 20, 32")
    page.fill("#f-kernel_size", "5")
    page.fill("#f-padding", "valid")
    page.wait_for_selector("[data-evaluator]:not([aria-busy])")
    page.locator("#evaluator").scroll_into_view_if_needed()
    return page.locator("#evaluator")


def _formulas(page, base):
    page.goto(f"{base}/questions/keras-conv1d-output-shape")
    return page.locator("#formulas-h").locator("xpath=..")


def _trace(page, base):
    page.goto(f"{base}/trace?example=keras-gan-generator-shapes")
    page.wait_for_selector("[data-tracer][data-live]")
    page.fill("#p-2", "target_shape=(16, 16, 127)")
    page.wait_for_selector("tr.row-error")
    return page.locator("#tracer")


def _model(page, base):
    from tests.web.test_ui_model import RESIDUAL

    page.goto(f"{base}/trace")
    page.fill("#code", RESIDUAL)
    with page.expect_navigation():
        page.get_by_role("button", name="Trace the model").click()
    return page.locator("[data-model-result]")


def _layer(page, base):
    page.goto(f"{base}/layers/keras/Conv2DTranspose")
    return page.locator("section[aria-labelledby=formulas-h]")


def _search(page, base):
    page.goto(f"{base}/search?q=shape&layer=LSTM&framework=keras")
    return None


def _home(page, base):
    page.goto(f"{base}/")
    return None


SHOTS = [
    ("home", _home, 1000),
    ("answer-evaluator", _answer, 1300),
    ("answer-formulas", _formulas, 1300),
    ("tracer", _trace, 1250),
    ("tracer-model", _model, 1500),
    ("layer-reference", _layer, 1200),
    ("search", _search, 800),
]


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set(argv) or {name for name, _, _ in SHOTS}
    with support.live_server() as base, support.chromium() as browser:
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, color_scheme="light")
        page = context.new_page()
        watch = support.Watch(page)
        for name, prepare, height in SHOTS:
            if name not in wanted:
                continue
            target = prepare(page, base)
            path = OUT / f"{name}.png"
            if target is not None:
                page.evaluate("window.scrollTo(0, 0)")  # bounding boxes in page coordinates
                box = target.bounding_box()
                top = max(0, box["y"] - 16)
                page.screenshot(
                    path=path,
                    full_page=True,
                    clip={"x": 0, "y": top, "width": WIDTH, "height": min(height, box["height"] + 32)},
                )
            else:
                page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
            size = path.stat().st_size
            print(f"{path.relative_to(OUT.parents[1])}: {size // 1024} KB")
            if size > MAX_BYTES:
                print(f"  larger than {MAX_BYTES // 1000} KB", file=sys.stderr)
                return 1
        context.close()
        watch.allow_status(422)
        if watch.unexpected():
            print("console errors:", watch.unexpected(), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
