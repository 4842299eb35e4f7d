"""The tracer: /trace (and /trace.json), a stack of layers with each layer's output shape and parameters.

The table's rows are read by kb.components.parse_row (engine.snippet: ast, literals only); a pasted
snippet by engine.snippet too. Nothing here runs user text.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, request, url_for

import engine
from engine.snippet import MAX_SNIPPET_CHARS, parse_snippet
from engine.spec import FRAMEWORKS
from kb.components import (
    FRAMEWORK_LABELS,
    RowError,
    api_url,
    call_args,
    framework_arg,
    layer_catalog,
    layer_url,
    parse_row,
    query_string,
)
from kb.extensions import db
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape
from kb.models import Example, Question
from kb.web import respond

bp = Blueprint("trace", __name__)

MAX_ROWS = 200


def _layer_names(framework: str) -> list[str]:
    return [s.name for s in engine.layers(framework)]


def _trace_examples() -> list[dict]:
    rows = db.session.execute(
        sa.select(Question.slug, Question.title, Example.name, Example.position)
        .join(Example, Example.question_id == Question.id)
        .where(Example.kind == "trace")
        .order_by(Question.slug, Example.position)
    )
    return [
        {
            "slug": slug,
            "position": position,
            "name": name,
            "question": title,
            "url": url_for("trace.index", example=f"{slug}:{position}"),
        }
        for slug, title, name, position in rows
    ]


def _example_request(ref: str) -> tuple[dict | None, str | None]:
    """?example=<slug>[:<position>] -> the trace request of that content example."""
    slug, _, position = ref.partition(":")
    stmt = (
        sa.select(Example)
        .join(Question, Example.question_id == Question.id)
        .where(Question.slug == slug, Example.kind == "trace")
    )
    if position:
        if not position.isdigit():
            return None, f"there is no example {ref[:100]!r}"
        stmt = stmt.where(Example.position == int(position))
    row = db.session.scalars(stmt.order_by(Example.position).limit(1)).first()
    if row is None:
        return None, f"there is no traced example {ref[:100]!r}"
    return row.request, row.name


def trace_data(args, form=None) -> dict:
    """The tracer: the table of layers from the query string (or a pasted snippet), and the trace of it."""
    source = form if form is not None else args
    framework, framework_error = framework_arg(source.get("framework"))
    notes: list[str] = []
    snippet = {"text": "", "error": None, "notes": [], "framework": None}
    input_text = source.get("input_shape", "")
    layer_texts = source.getlist("layer")[:MAX_ROWS]
    params_texts = source.getlist("params")[:MAX_ROWS]
    example_name = None

    if form is not None and (form.get("snippet") or "").strip():
        snippet["text"] = form.get("snippet", "")[: MAX_SNIPPET_CHARS + 1]
        chosen = (form.get("snippet_framework") or "").strip() or None
        try:
            parsed = parse_snippet(snippet["text"], chosen)
        except engine.ShapeError as err:
            snippet["error"] = err.message
        else:
            framework = parsed["framework"]
            snippet["framework"] = framework
            snippet["notes"] = parsed["notes"]
            layer_texts = [item["layer"] for item in parsed["layers"]][:MAX_ROWS]
            params_texts = [call_args(item["params"]) for item in parsed["layers"]][:MAX_ROWS]
            if parsed["input_shape"] is not None:
                input_text = format_value(parsed["input_shape"])
            elif not input_text.strip():
                notes.append("The snippet gives no input shape: type one (batch first) to trace it.")
    elif source.get("example"):
        req, name = _example_request(source.get("example", ""))
        if req is None:
            notes.append(name)
        else:
            example_name = name
            framework = req["framework"]
            input_text = format_value(req["input_shape"])
            layer_texts = [item["layer"] for item in req["layers"]]
            params_texts = [call_args(item.get("params") or {}) for item in req["layers"]]

    # The table: rows in order, blank rows dropped, one empty row added on request.
    pairs = []
    for n, layer_text in enumerate(layer_texts):
        params_text = params_texts[n] if n < len(params_texts) else ""
        if layer_text.strip() or params_text.strip():
            pairs.append((layer_text, params_text))
    remove = source.get("remove", "")
    if remove.isdigit() and int(remove) < len(pairs):
        pairs.pop(int(remove))
    if source.get("add") or not pairs:
        pairs.append(("", ""))

    rows = [
        {
            "index": n,
            "layer": lt,
            "params": pt,
            "status": "pending",
            "output_shape": None,
            "param_count": None,
            "error": None,
        }
        for n, (lt, pt) in enumerate(pairs)
    ]
    request_layers: list[dict] = []
    first_bad = None
    for row in rows:
        if not row["layer"].strip() and not row["params"].strip():
            row["status"] = "empty"
            continue
        if first_bad is not None:  # after a row that cannot be read, nothing is traced
            row["status"] = "skipped"
            continue
        try:
            spec, params = parse_row(framework, row["layer"], row["params"])
        except RowError as err:
            row.update(status="error", error={"message": err.message, "field": err.field})
            if first_bad is None:
                first_bad = row["index"]
            continue
        row["layer_name"] = spec.name
        row["layer_url"] = layer_url(spec.framework, spec.name)
        request_layers.append({"layer": spec.name, "params": params})

    error = None
    shape = MISSING
    try:
        shape = parse_shape(input_text)
    except FormValueError as err:
        error = {
            "code": "invalid_value",
            "message": f"input_shape: {err.message}",
            "field": "input_shape",
            "layer_index": None,
        }
    if framework_error:
        error = {"code": "unknown_framework", "message": framework_error, "field": "framework", "layer_index": None}
    if shape is MISSING and error is None and any(r["status"] != "empty" for r in rows):
        notes.append("Type an input shape (batch first, such as None, 32) to trace the table.")
    result = None
    if error is None and shape is not MISSING and (request_layers or first_bad is not None):
        try:
            result = engine.trace(framework, shape, request_layers) if request_layers else None
        except engine.ShapeError as err:
            error = err.as_dict()
            if err.layer_index is not None:
                row = rows[_row_of(rows, err.layer_index)]
                reason = re.sub(r"^layer \d+: ", "", err.message)
                row.update(status="error", error={"message": reason, "field": err.field})
                error.update(row=row["index"], reason=reason)
                if err.layer_index:  # the layers before the misfit still have their shapes
                    _fill(rows, engine.trace(framework, shape, request_layers[: err.layer_index]))
        else:
            _fill(rows, result)
            if first_bad is not None:  # a row that cannot be read: the layers before it are traced
                bad = rows[first_bad]["error"]
                error = {
                    "code": "invalid_layer",
                    "message": f"layer {first_bad}: {bad['message']}",
                    "field": f"layers[{first_bad}].{bad['field']}",
                    "layer_index": first_bad,
                    "row": first_bad,
                    "reason": bad["message"],
                }
                result = None
    failing = next((r["index"] for r in rows if r["status"] == "error"), None)
    for row in rows:
        if failing is not None and row["index"] > failing and row["status"] == "pending":
            row["status"] = "skipped"

    query = {"framework": framework, "input_shape": input_text}
    kept = [(r["layer"], r["params"]) for r in rows if r["status"] != "empty"]
    query["layer"] = [lt for lt, _ in kept]
    query["params"] = [pt for _, pt in kept]
    return {
        "title": "Trace a stack of layers",
        "framework": framework,
        "frameworks": [{"value": fw, "label": FRAMEWORK_LABELS[fw]} for fw in FRAMEWORKS],
        "input_shape": input_text,
        "rows": rows,
        "result": result,
        "error": error,
        "failing_row": failing,
        "notes": notes,
        "snippet": snippet,
        "example": example_name,
        "examples": _trace_examples(),
        "layer_names": {fw: _layer_names(fw) for fw in FRAMEWORKS},
        "catalog": layer_catalog(),
        "max_rows": MAX_ROWS,
        "api": api_url("api.trace", "/api/v1/trace"),
        "links": {
            "html": url_for("trace.index") + query_string(query),
            "json": url_for("trace.index_json") + query_string(query),
        },
    }


def _row_of(rows: list[dict], layer_index: int) -> int:
    """The table row of the n-th traced layer (empty rows are not traced)."""
    n = -1
    for row in rows:
        if row["status"] == "pending":
            n += 1
            if n == layer_index:
                return row["index"]
    return rows[-1]["index"]


def _fill(rows: list[dict], result: dict | None) -> None:
    if not result:
        return
    steps = iter(result["layers"])
    for row in rows:
        if row["status"] != "pending":
            continue
        step = next(steps, None)
        if step is None:
            return
        row.update(status="ok", output_shape=step["output_shape"], param_count=step["param_count"])


def trace_page(as_json: bool = False):
    form = request.form if request.method == "POST" else None
    data = trace_data(request.args, form)
    # A row that cannot be read or does not fit is an answer (shown in the table); a form the page
    # cannot read at all (the snippet, the input shape, the framework) is a bad request.
    status = 200
    if data["snippet"]["error"] or (data["error"] and data["error"]["code"] in ("invalid_value", "unknown_framework")):
        status = 400
    return respond(data, "trace.html", as_json, status)


bp.add_url_rule("/trace", "index", trace_page, methods=["GET", "POST"])
bp.add_url_rule("/trace.json", "index_json", trace_page, methods=["GET", "POST"], defaults={"as_json": True})
