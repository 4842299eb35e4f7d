"""Work backwards: /solve (and /solve.json), and the "work backwards" panel of layer and answer pages.

The form's fields are read as the tracer reads a row (kb.components.parse_row: engine.snippet, `ast`
literals only) and the shapes by kb.formvalues; engine.solve does the rest. Nothing here runs user text.
"""

from __future__ import annotations

import json
from functools import lru_cache

from flask import Blueprint, current_app, request, url_for

import engine
from engine.model_reader import MAX_CODE_CHARS
from engine.solve import MAX_LIMIT, default_bounds
from engine.spec import FRAMEWORKS, LayerSpec
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
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape
from kb.web import respond

bp = Blueprint("solve", __name__)

PANEL_LIMIT = 5
PAGE_LIMIT = 50
# The page with nothing asked: the seed's GAN question (16x16 to 32x32 with a kernel of 4).
FIRST_QUESTION = {
    "framework": "keras",
    "layer": "Conv2DTranspose",
    "input_shape": "None, 16, 16, 256",
    "output_size": "32, 32",
    "params": "filters=256, kernel_size=4",
    "bounds": "",
}


def solvable(spec: LayerSpec) -> bool:
    """True for the convolution, transposed convolution and pooling layers engine.solve works backwards through."""
    try:
        default_bounds(spec.framework, spec.name)
    except engine.ShapeError:
        return False
    return True


def _spatial(spec: LayerSpec, shape: list, params: dict) -> list:
    rank = spec.rank
    channels_last = spec.framework == "keras" and params.get("data_format", "channels_last") != "channels_first"
    return list(shape[len(shape) - rank - 1 : -1]) if channels_last else list(shape[len(shape) - rank :])


def _fields(source) -> dict:
    if not any(source.get(k) for k in ("layer", "input_shape", "output_size", "params", "bounds")):
        return dict(FIRST_QUESTION)
    return {k: (source.get(k) or "") for k in FIRST_QUESTION} | {"framework": source.get("framework") or "keras"}


def solve_data(args) -> dict:
    """The /solve page: the form's fields, the solver's answer or the error next to its field."""
    fields = _fields(args)
    framework, framework_error = framework_arg(fields["framework"])
    error = None
    result = None
    spec = None
    limit_text = (args.get("limit") or "").strip()
    limit = PAGE_LIMIT
    try:
        if framework_error:
            raise RowError(framework_error, "framework")
        if limit_text:
            if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
                raise RowError(f"limit: an integer from 1 to {MAX_LIMIT}", "limit")
            limit = int(limit_text)
        spec, params = parse_row(framework, fields["layer"], fields["params"])
        try:
            _, bounds = parse_row(framework, spec.name, fields["bounds"])
        except RowError as err:  # read as keyword arguments too, but it is the bounds field
            raise RowError(err.message.replace("parameters:", "bounds:", 1), "bounds") from None
        shape = _shape(fields["input_shape"], "input_shape")
        output = _shape(fields["output_size"], "output_size")
        result = engine.solve(framework, spec.name, shape, output, params=params, bounds=bounds, limit=limit)
    except RowError as err:
        error = {"message": err.message, "field": err.field}
    except engine.ShapeError as err:
        error = {"message": err.message, "field": _form_field(err.field)}
    query = {k: v for k, v in fields.items() if v} | ({"limit": limit_text} if limit_text else {})
    return {
        "title": "Work backwards to a size",
        "framework": framework,
        "frameworks": [{"value": fw, "label": FRAMEWORK_LABELS[fw]} for fw in FRAMEWORKS],
        "fields": fields,
        "limit": limit,
        "layer": None if spec is None else {"name": spec.name, "url": layer_url(spec.framework, spec.name)},
        "default_bounds": None if spec is None or not solvable(spec) else default_bounds(spec.framework, spec.name),
        "result": result,
        "rows": _rows(result) if result else [],
        "nearest": _nearest_rows(result) if result else [],
        "error": error,
        "api": api_url("api.solve", "/api/v1/solve"),
        "links": {
            "html": url_for("solve.index") + query_string(query),
            "json": url_for("solve.index_json") + query_string(query),
        },
    }


def _shape(text: str, field: str) -> list:
    try:
        value = parse_shape(text)
    except FormValueError as err:
        raise RowError(f"{field}: {err.message}", field) from None
    if value is MISSING:
        raise RowError(f"{field} is required", field)
    return value


def _form_field(field: str | None) -> str | None:
    """The form field an engine error belongs to (bounds.padding -> bounds, output_size[1] -> output_size)."""
    if not field:
        return None
    return field.split(".")[0].split("[")[0]


def _rows(result: dict) -> list[dict]:
    """The solutions as table rows: the call as Python, the output shape, the parameter count."""
    return [
        {
            "call": f"{result['layer']}({call_args(s['params'])})",
            "output_shape": s["output_shape"],
            "param_count": s["param_count"],
        }
        for s in result["solutions"]
    ]


def stack_data(source) -> dict:
    """The stack form: model code (read by the graph reader, never run), an input shape with symbols, an
    optional output size; the answer is engine.solve_input_sizes'."""
    code = (source.get("code") or "")[: MAX_CODE_CHARS + 1]
    fields = {
        "framework": source.get("framework") or "pytorch",
        "code": code,
        "input_shape": source.get("input_shape") or "",
        "output_size": source.get("output_size") or "",
    }
    result = error = None
    if code.strip():
        try:
            framework, framework_error = framework_arg(fields["framework"], "pytorch")
            if framework_error:
                raise RowError(framework_error, "framework")
            if len(code) > MAX_CODE_CHARS:
                raise RowError(f"code: at most {MAX_CODE_CHARS:,} characters", "code")
            shape = _shape(fields["input_shape"], "input_shape")
            output = None
            if fields["output_size"].strip():
                output = _shape(fields["output_size"], "output_size")
            result = engine.solve_input_sizes(framework, code=code, input_shape=shape, output_size=output)
        except RowError as err:
            error = {"message": err.message, "field": err.field}
        except engine.ShapeError as err:
            error = {"message": err.message, "field": _form_field(err.field)}
    return {"fields": fields, "result": result, "error": error}


def _nearest_rows(result: dict) -> list[dict]:
    """The nearest reachable sizes as the page shows them: the size, the call, the crop or pad after it."""
    return [
        {
            "output_size": n["output_size"],
            "call": f"{result['layer']}({call_args(n['example']['params'])})",
            "fix": n["fix"],
        }
        for n in result["nearest"]
    ]


def solve_page(as_json: bool = False):
    source = request.form if request.method == "POST" else request.args
    if (source.get("code") or "").strip():
        data = solve_data({})
        data["stack"] = stack_data(source)
        bad = data["stack"]["error"] is not None
    else:
        data = solve_data(source)
        data["stack"] = stack_data({})
        bad = data["error"] is not None
    return respond(data, "solve.html", as_json, 400 if bad else 200)


bp.add_url_rule("/solve", "index", solve_page, methods=["GET", "POST"])
bp.add_url_rule("/solve.json", "index_json", solve_page, methods=["GET", "POST"], defaults={"as_json": True})


# ---- the panel on layer and answer pages ----------------------------------------------------------


def solver_panel(spec: LayerSpec, input_shape: list, params: dict, hold_kernel: bool = False) -> dict | None:
    """The "work backwards" panel: a form to /solve pre-filled from the page's example, and the solver's answer
    for that example's own output size (with the kernel held when the page is about one)."""
    if "solve.index" not in current_app.view_functions or not solvable(spec):
        return None
    searched = set(default_bounds(spec.framework, spec.name))
    kernel = "pool_size" if "pool_size" in spec.by_name else "kernel_size"
    held = {k: v for k, v in params.items() if k not in searched or (hold_kernel and k == kernel)}
    fields = {
        "framework": spec.framework,
        "layer": spec.name,
        "input_shape": format_value(input_shape),
        "params": call_args(held),
        "bounds": "",
        "output_size": "",
    }
    output_size, answer = _panel_answer(
        json.dumps([spec.framework, spec.name, input_shape, params, held], sort_keys=True, default=repr)
    )
    fields["output_size"] = output_size
    return {
        "fields": fields,
        "held": sorted(held),
        "searched": [name for name in default_bounds(spec.framework, spec.name) if name not in held],
        "result": answer,
        "rows": _rows(answer) if answer else [],
        "nearest": _nearest_rows(answer) if answer else [],
        "url": url_for("solve.index") + query_string({k: v for k, v in fields.items() if v}),
    }


@lru_cache(maxsize=1024)
def _panel_answer(key: str) -> tuple[str, dict | None]:
    """(the example's output size, the solver's answer for it): the same for every page that shows the same
    example, and dependent on the engine alone, so solved once per process (pages of the same layer share it)."""
    framework, name, input_shape, params, held = json.loads(key)
    spec = engine.get_layer(framework, name)
    try:
        out = engine.evaluate(framework, name, params, input_shape)["output_shape"]
        target = _spatial(spec, out, params)
        if all(type(v) is int for v in target) and all(type(v) is int for v in _spatial(spec, input_shape, params)):
            output_size = format_value(tuple(target)) if len(target) > 1 else str(target[0])
            return output_size, engine.solve(framework, name, input_shape, target, params=held, limit=PANEL_LIMIT)
    except engine.ShapeError:
        pass
    return "", None


def panel_for_question(requests: list[dict], tags: list[tuple[str, str]], sample) -> dict | None:
    """The panel of an answer page: from the first worked example (evaluator first) whose layer the solver
    inverts, with its kernel held; else from the first such layer the question is tagged with, on that
    layer's sample input (`sample(spec)` -> (input shape, params)); None when the question has no such layer."""
    for req in requests:
        try:
            spec = engine.get_layer(req["framework"], req["layer"])
        except (engine.ShapeError, KeyError, TypeError):
            continue
        if solvable(spec):
            return solver_panel(spec, req["input_shape"], req.get("params") or {}, hold_kernel=True)
    for framework, name in tags:
        try:
            spec = engine.get_layer(framework, name)
        except engine.ShapeError:
            continue
        if solvable(spec):
            shape, params = sample(spec)
            return solver_panel(spec, shape, params)
    return None
