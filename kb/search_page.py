"""Search: /search (and /search.json), full-text search over the questions, with facets."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from flask import Blueprint, request, url_for

from engine.spec import FRAMEWORKS
from kb.api_schemas import MAX_QUERY  # the same bound as the API: a pasted traceback fits
from kb.components import FRAMEWORK_LABELS, framework_arg, layer_url
from kb.extensions import db
from kb.models import LayerType
from kb.search_query import normalize
from kb.web import respond, small_number

bp = Blueprint("search", __name__)

MAX_PAGE = 10_000
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def highlight_parts(snippet_html: str) -> list[dict]:
    """An excerpt from kb.search (escaped HTML with <mark> only) as text parts: [{text, mark}]."""
    parts = []
    pos = 0
    for m in _MARK.finditer(snippet_html or ""):
        if m.start() > pos:
            parts.append({"text": html.unescape(snippet_html[pos : m.start()]), "mark": False})
        parts.append({"text": html.unescape(m.group(1)), "mark": True})
        pos = m.end()
    if pos < len(snippet_html or ""):
        parts.append({"text": html.unescape(snippet_html[pos:]), "mark": False})
    return parts


def highlight_text(text: str, words: list[str]) -> list[dict]:
    """Plain text with the query's words marked (whole words, any case)."""
    clean = [t for w in words for t in re.split(r"[\W_]+", w) if t]
    if not clean:
        return [{"text": text, "mark": False}]
    alternatives = "|".join(re.escape(w) for w in sorted(clean, key=len, reverse=True))
    pattern = re.compile(r"(?<![^\W_])(?:" + alternatives + r")(?![^\W_])", re.I)
    parts, pos = [], 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            parts.append({"text": text[pos : m.start()], "mark": False})
        parts.append({"text": m.group(0), "mark": True})
        pos = m.end()
    if pos < len(text):
        parts.append({"text": text[pos:], "mark": False})
    return parts


def _search_url(endpoint: str = "search.index", **values) -> str:
    return url_for(endpoint, **{k: v for k, v in values.items() if v})


def search_data(args) -> dict:
    """Search results (ranked, excerpts with the matched words marked), layer and framework facets."""
    from kb import search as search_module

    q_raw = args.get("q") or ""
    notes, error = [], None
    q = " ".join(q_raw.split())
    if len(q) > MAX_QUERY:
        q = q[:MAX_QUERY].rsplit(" ", 1)[0] if " " in q[:MAX_QUERY] else q[:MAX_QUERY]
        notes.append(f"The query was shortened to its first {MAX_QUERY} characters.")
    query = normalize(q)
    words = query.words
    if query.pasted and words:
        notes.append("Read as an error message: searched for " + ", ".join(words) + ".")
    if query.truncated:
        notes.append(f"Only the first {len(words)} words were searched.")
    layer = (args.get("layer") or "").strip()[:100]
    framework, fw_error = framework_arg(args.get("framework"), default="")
    if fw_error:
        notes.append(f"{fw_error}; searching every framework.")
    page = small_number(args.get("page"), MAX_PAGE) or 1

    result = None
    try:
        if "\x00" in q_raw or "\x00" in layer:  # the database cannot hold NUL: refused, as the API does
            field = "q" if "\x00" in q_raw else "layer"
            raise search_module.SearchError("invalid_query", f"{field} holds a NUL character", field)
        result = search_module.search(q=q, layer=layer or None, framework=framework or None, page=page)
    except search_module.SearchError as err:
        error = {"code": err.code, "message": err.message, "field": err.field}
        suggestions = _layer_suggestions(layer)
        if suggestions:
            error["suggestions"] = [
                {
                    "name": s["name"],
                    "framework": s["framework"],
                    "url": _search_url(q=q, layer=s["name"], framework=s["framework"]),
                }
                for s in suggestions
            ]
    items = []
    if result:
        for rank, item in enumerate(result["items"], start=(page - 1) * result["page_size"] + 1):
            items.append(
                {
                    "rank": rank,
                    "slug": item["slug"],
                    "title": item["title"],
                    "title_parts": highlight_text(item["title"], words),
                    "url": item["url"],
                    "snippet_html": item["snippet"],
                    "snippet_parts": highlight_parts(item["snippet"]),
                    "layers": [
                        {
                            **lt,
                            "url": layer_url(lt["framework"], lt["name"]),
                            "search_url": _search_url(q=q, layer=lt["name"], framework=lt["framework"]),
                        }
                        for lt in item["layers"]
                    ],
                }
            )
    layer_facets = []
    facet_source = result
    if result and layer:  # the layer facet counts every layer type, as if no layer were chosen
        facet_source = search_module.search(q=q, layer=None, framework=framework or None, page=1)
    if facet_source:
        for f in facet_source["facets"]["layers"]:
            selected = (
                bool(layer) and layer.lower() == f["name"].lower() and (not framework or framework == f["framework"])
            )
            layer_facets.append(
                {
                    **f,
                    "selected": selected,
                    "url": _search_url(q=q, framework=framework)
                    if selected
                    else _search_url(q=q, layer=f["name"], framework=f["framework"]),
                }
            )
    framework_facets = []
    for fw in FRAMEWORKS:
        try:
            count = search_module.search(q=q, layer=layer or None, framework=fw, page=1)["total"] if not error else 0
        except search_module.SearchError:
            count = 0
        selected = framework == fw
        framework_facets.append(
            {
                "framework": fw,
                "label": FRAMEWORK_LABELS[fw],
                "count": count,
                "selected": selected,
                "url": _search_url(q=q, layer=layer) if selected else _search_url(q=q, layer=layer, framework=fw),
            }
        )
    total = result["total"] if result else 0
    if result and not words and not layer and not framework:
        notes.append("Type a few words to search the questions and answers; meanwhile, here is every question.")
    elif result and total == 0:
        notes.append(
            "No question matches all of these words"
            + (" with this filter" if layer or framework else "")
            + ". Try fewer or other words, or remove a filter."
        )
    filters = {"q": q, "layer": layer, "framework": framework}
    pages = max(1, -(-total // result["page_size"])) if result else 1
    return {
        "title": f"Search: {q}" if q else "Search",
        "q": q,
        "words": words,
        "filters": {"layer": layer or None, "framework": framework or None},
        "page": page,
        "pages": pages,
        "total": total,
        "results": items,
        "facets": {"layers": layer_facets, "frameworks": framework_facets},
        "notes": notes,
        "error": error,
        "prev_url": _search_url(**filters, page=page - 1 if page > 2 else None) if page > 1 else None,
        "next_url": _search_url(**filters, page=page + 1) if page < pages else None,
        "clear_url": _search_url(q=q),
        "links": {"html": _search_url(**filters), "json": _search_url("search.index_json", **filters)},
    }


def _layer_suggestions(layer: str) -> list[dict]:
    """Layer types of the questions whose names are close to what was asked for."""
    import difflib

    known = db.session.execute(sa.select(LayerType.framework, LayerType.name)).all()
    names = {name.lower(): (fw, name) for fw, name in known}
    close = difflib.get_close_matches(layer.lower(), list(names), n=3, cutoff=0.5)
    return [{"framework": names[c][0], "name": names[c][1]} for c in close]


def search_page(as_json: bool = False):
    data = search_data(request.args)
    return respond(data, "search.html", as_json, 400 if data["error"] else 200)


bp.add_url_rule("/search", "index", search_page)
bp.add_url_rule("/search.json", "index_json", search_page, defaults={"as_json": True})
