"""The tracer: /trace (and /trace.json): a pasted model as a graph summary with its diagram, or a stack
of layers with each layer's output shape and parameters.

A pasted model is read by engine.trace_code; the table's rows by kb.components.parse_row and a pasted
snippet by engine.snippet (ast, literals only). Nothing here runs user text. The diagram is
kb.graph_svg's, drawn on the server.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, request, url_for

import engine
from engine.snippet import MAX_SNIPPET_CHARS, parse_snippet
from engine.spec import FRAMEWORKS
from kb.cache import cached_page
from kb.components import (
    FRAMEWORK_LABELS,
    RowError,
    api_url,
    call_args,
    framework_arg,
    layer_url,
    parse_row,
    query_string,
)
from kb.extensions import db
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape, parse_value
from kb.graph_svg import diagram
from kb.models import Example, Question
from kb.web import respond, small_number

bp = Blueprint("trace", __name__)

MAX_ROWS = 200
MAX_EXAMPLE_POSITION = 10_000  # ?example=<slug>:<position>; positions are small, and must fit the database


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
        number = small_number(position, MAX_EXAMPLE_POSITION)
        if number is None:
            return None, f"there is no example {ref[:100]!r}"
        stmt = stmt.where(Example.position == number)
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
    remove = small_number(source.get("remove"), MAX_ROWS)
    if remove is not None and remove < len(pairs):
        pairs.pop(remove)
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
        "title": "Trace a model or a stack of layers",
        "framework": framework,
        "frameworks": [{"value": fw, "label": FRAMEWORK_LABELS[fw]} for fw in FRAMEWORKS],
        "input_shape": input_text,
        "rows": rows,
        "result": result,
        "error": error,
        "failing_row": failing,
        "notes": notes,
        "snippet": snippet,
        "model": model_data(source),
        "example": example_name,
        "examples": _trace_examples(),
        "layer_names": {fw: _layer_names(fw) for fw in FRAMEWORKS},
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


# ---- a pasted model: the graph summary ---------------------------------------------------------

MAX_CODE_CHARS = 20_000
MAX_VALUES = 100
MAX_LINK_CHARS = 6000  # a permalink's query string (a URL of at most about 8 KB passes most servers)
# What the page cannot read at all (400); any other error of a model is an answer (where it stops, why).
UNREADABLE = {"invalid_code", "code_too_long", "invalid_value", "unknown_framework"}


def _code_line(code: str, line) -> str | None:
    """The text of one line of the pasted code (what the error is about), for the page to show."""
    if not isinstance(line, int) or line < 1:
        return None
    lines = code.splitlines()
    return lines[line - 1][:300] if line <= len(lines) else None


def _shapes_text(text: str) -> tuple[list | None, list | None]:
    """The input shape field: one shape (None, 784), or one per input separated by ';' -> (shape, shapes)."""
    parts = [p for p in text.split(";") if p.strip()]
    shapes = []
    for n, part in enumerate(parts[:16]):
        try:
            shape = parse_shape(part)
        except FormValueError as err:
            where = f"input {n + 1}: " if len(parts) > 1 else ""
            raise FormValueError(where + err.message) from None
        shapes.append(list(shape))
    if len(parts) > 16:
        raise FormValueError(f"at most 16 input shapes, received {len(parts)}")
    if not shapes:
        return None, None
    return (shapes[0], None) if len(shapes) == 1 else (None, shapes)


def bytes_text(value) -> str:
    """4800 -> "4.80 kB (4,800 bytes)"; an unknown size (a symbolic or None dimension) -> "unknown"."""
    if not isinstance(value, int):
        return "unknown" if value is None else str(value)
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if value >= size:
            return f"{value / size:.2f} {unit} ({value:,} bytes)"
    return f"{value:,} bytes"


def _node_link(framework: str):
    """A trace node -> its layer's reference page (operations such as view or cat have none)."""

    def link(step: dict) -> str | None:
        if step.get("kind") not in (None, "layer"):
            return None
        try:
            spec = engine.get_layer(framework, step["layer"])
        except engine.ShapeError:
            return None
        return layer_url(spec.framework, spec.name)

    return link


def _summary_rows(result: dict, link) -> list[dict]:
    """The graph summary, one row per input and node: name, type, connected to, output shape, params, MACs."""
    rows = [
        {
            "name": item["name"],
            "layer": "Input",
            "kind": "input",
            "url": None,
            "inputs": [],
            "output_shapes": [item["shape"]],
            "param_count": 0,
            "trainable_params": 0,
            "macs": 0,
            "line": None,
            "shared_with": None,
        }
        for item in result.get("inputs") or []
    ]
    for step in result["layers"]:
        rows.append(
            {
                "name": step["name"],
                "layer": step["layer"],
                "kind": step.get("kind", "layer"),
                "url": link(step),
                "inputs": step.get("inputs") or [],
                "output_shapes": step.get("output_shapes") or [step["output_shape"]],
                "param_count": step["param_count"],
                "trainable_params": step.get("trainable_params"),
                "macs": step.get("macs"),
                "line": step.get("line"),
                "shared_with": step.get("shared_with"),
            }
        )
    return rows


def model_data(source) -> dict | None:
    """The "paste your model" mode: the code read into a graph (engine.trace_code) and its summary, or None."""
    code = source.get("code")
    if code is None:
        return None
    code = code[: MAX_CODE_CHARS + 1]
    chosen = (source.get("model_framework") or "").strip()
    shape_text = source.get("model_input", "")
    expressions = source.getlist("value_expr")[:MAX_VALUES]
    texts = source.getlist("value")[:MAX_VALUES]
    model = {
        "code": code,
        "framework": chosen,
        "input_shape": shape_text,
        "values": [],
        "question": None,
        "result": None,
        "rows": [],
        "diagram": None,
        "sizes": None,
        "error": None,
        "links": None,
    }

    def fail(code_name: str, message: str, field: str, **extra) -> dict:
        model["error"] = {"code": code_name, "message": message, "field": field, "line": None, **extra}
        return model

    values = {}
    for n, expression in enumerate(expressions):
        text = texts[n] if n < len(texts) else ""
        entry = {"expression": expression[:200], "value": text[:200], "error": None}
        model["values"].append(entry)
        try:
            value = parse_value(text)
        except FormValueError as err:
            entry["error"] = err.message
            continue
        if value is not MISSING:
            values[entry["expression"]] = list(value) if isinstance(value, tuple) else value
    query = {"code": code, "model_framework": chosen, "model_input": shape_text}
    query |= {"value_expr": [v["expression"] for v in model["values"]], "value": [v["value"] for v in model["values"]]}
    link_query = query_string(query)
    if len(link_query) <= MAX_LINK_CHARS:  # a short model gets a permalink (GET); a long one is posted
        model["links"] = {
            "html": url_for("trace.index") + link_query + "#model",
            "json": url_for("trace.index_json") + link_query,
        }
    if not code.strip():
        return fail("invalid_code", "Paste a model's code to trace it.", "code")
    if len(code) > MAX_CODE_CHARS:
        return fail("code_too_long", f"code: at most {MAX_CODE_CHARS:,} characters", "code")
    bad = next((v for v in model["values"] if v["error"]), None)
    if bad is not None:
        return fail("invalid_value", f"{bad['expression']}: {bad['error']}", "values")
    framework = None
    if chosen:
        framework, framework_error = framework_arg(chosen)
        if framework_error:
            return fail("unknown_framework", framework_error, "model_framework")
    try:
        input_shape, input_shapes = _shapes_text(shape_text)
    except FormValueError as err:
        return fail("invalid_value", f"input shape: {err.message}", "input_shape")
    try:
        result = engine.trace_code(code, framework, input_shape=input_shape, input_shapes=input_shapes, values=values)
    except engine.ShapeError as err:
        details = getattr(err, "details", None) or {}
        line = getattr(err, "line", None)
        fail(
            err.code,
            err.message,
            err.field,
            line=line,
            layer_index=err.layer_index,
            code_line=_code_line(code, line),
            node={k: details.get(k) for k in ("name", "layer", "input_shape")} if details.get("name") else None,
        )
        partial = getattr(err, "partial", None)
        if partial and partial.get("layers"):  # the nodes traced before the misfit keep their shapes
            model["rows"] = _summary_rows(partial, _node_link(partial["framework"]))
        if err.code == "needs_value" and details.get("expression"):
            expression = str(details["expression"])
            model["question"] = {"expression": expression, "line": line, "code_line": _code_line(code, line)}
            if not any(v["expression"] == expression for v in model["values"]):
                model["values"].append({"expression": expression, "value": "", "error": None})
        return model
    link = _node_link(result["framework"])
    model["result"] = result
    model["rows"] = _summary_rows(result, link)
    model["diagram"] = diagram(result, link)
    model["sizes"] = {
        "params": bytes_text(result.get("param_bytes")),
        "activations": bytes_text(result.get("activation_bytes")),
    }
    return model


@cached_page
def trace_page(as_json: bool = False):
    form = request.form if request.method == "POST" else None
    data = trace_data(request.args, form)
    # A row that cannot be read or does not fit is an answer (shown in the table); a form the page
    # cannot read at all (the snippet, the input shape, the framework) is a bad request.
    status = 200
    if data["snippet"]["error"] or (data["error"] and data["error"]["code"] in ("invalid_value", "unknown_framework")):
        status = 400
    model = data["model"]
    if model and model["error"] and model["error"]["code"] in UNREADABLE:
        status = 400
    return respond(data, "trace.html", as_json, status)


bp.add_url_rule("/trace", "index", trace_page, methods=["GET", "POST"])
bp.add_url_rule("/trace.json", "index_json", trace_page, methods=["GET", "POST"], defaults={"as_json": True})
