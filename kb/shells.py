"""Pages whose only part that depends on the request is their evaluator: render the rest once.

A question page or a layer page with values in its query string (a permalink of the evaluator) is a
new address each time, so the response cache (kb.cache.cached_page) never serves it twice. Yet all of
it but the evaluator section and the query string of its JSON link depends only on the content and
the code. `PageShell` keeps that part, rendered once per content version with two private-use
characters standing in for the two, and a request renders only its evaluator into it. The page is
byte for byte the page rendered whole (a test compares them on random values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, get_template_attribute, render_template
from markupsafe import escape

from kb.cache import BoundedLRU, code_version, content_version, per_process

# Private-use characters: never in content (kb.content refuses them in text), never escaped by Jinja.
EVALUATOR_SLOT = "\ue010"
QUERY_SLOT = "\ue011"
MAX_SHELLS = 2048
MAX_SHELL_BYTES = 32 * 1024 * 1024
UNRENDERED_SHELL_BYTES = 64 * 1024


@dataclass(frozen=True)
class PageShell:
    """A page's data without its evaluator, and its HTML with the two slots (None until asked for)."""

    data: dict
    evaluator_source: object  # what the view needs to build the evaluator for the request's values
    json_url: str  # the JSON twin's address, before the query string
    html: str | None = None


class ShellCache(BoundedLRU):
    """PageShell by (code version, content version, page key), bounded in entries and (estimated) bytes."""

    def __init__(self, max_entries: int = MAX_SHELLS, max_bytes: int = MAX_SHELL_BYTES):
        super().__init__(max_bytes, max_entries)

    def put(self, key: tuple, shell: PageShell) -> None:
        super().put(key, shell, _estimated_bytes(shell))


def _estimated_bytes(shell: PageShell) -> int:
    """The HTML's size twice over (the dict it was rendered from holds about as much), or a page's worth."""
    return 2 * len(shell.html) if shell.html is not None else UNRENDERED_SHELL_BYTES


def shells(app=None) -> ShellCache:
    """The app's shell cache."""
    return per_process(
        app,
        "shapekb_shells",
        lambda config: ShellCache(
            config.get("SHAPEKB_SHELL_CACHE_ENTRIES", MAX_SHELLS),
            config.get("SHAPEKB_SHELL_CACHE_BYTES", MAX_SHELL_BYTES),
        ),
    )


def enabled() -> bool:
    config = current_app.config
    return bool(config.get("SHAPEKB_RESPONSE_CACHE", True) and config.get("SHAPEKB_SHELL_CACHE_ENTRIES", MAX_SHELLS))


def page_shell(key: str, build: Callable[[], PageShell | None]) -> PageShell | None:
    """The shell of page `key` for the current content and code, built once by `build()`."""
    if not enabled():
        return build()
    cache_key = (code_version()[0], content_version()[0], key)
    cache = shells()
    shell = cache.get(cache_key)
    if shell is None:
        shell = build()
        if shell is None:
            return None
        cache.put(cache_key, shell)
    return shell


def with_evaluator(shell: PageShell, evaluator: dict | None, query: str) -> dict:
    """The page's dict for this request: the shell's data with the request's evaluator and JSON link."""
    return {
        **shell.data,
        "evaluator": evaluator,
        "links": {**shell.data["links"], "json": shell.json_url + query},
    }


def render_with_evaluator(
    key: str, shell: PageShell, template: str, evaluator: dict | None, query: str, macro_args: tuple = ()
) -> str:
    """The page's HTML: the shell rendered once (kept in the cache under `key`), the evaluator per request."""
    if not enabled():
        return render_template(template, page=with_evaluator(shell, evaluator, query))
    html = shell.html
    if html is None:
        page = {**with_evaluator(shell, evaluator, QUERY_SLOT), "evaluator_slot": EVALUATOR_SLOT}
        html = render_template(template, page=page)
        shell = PageShell(shell.data, shell.evaluator_source, shell.json_url, html)
        shells().put((code_version()[0], content_version()[0], key), shell)
    section = get_template_attribute("_components.html", "evaluator")(evaluator, *macro_args) if evaluator else ""
    return html.replace(QUERY_SLOT, str(escape(query))).replace(EVALUATOR_SLOT, str(section))
