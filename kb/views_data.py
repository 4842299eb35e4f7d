"""The dicts behind the pages. Each page's HTML and its .json twin are both made from one of these."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import selectinload

import engine
from kb.extensions import db
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape, parse_value
from kb.models import Example, LayerType, Question

EVALUATE_KEYS = ("output_shape", "outputs", "param_count", "trainable_params", "weights")
TRACE_KEYS = ("output_shape", "total_params", "layer_shapes", "layer_params")


# ---- the index ---------------------------------------------------------------------------------


def _question_summary(q: Question) -> dict:
    return {
        "slug": q.slug,
        "title": q.title,
        "summary": q.summary,
        "layers": [lt.key for lt in q.layer_types],
        "url": url_for("pages.question", slug=q.slug),
        "json_url": url_for("pages.question_json", slug=q.slug),
    }


def index_data(args) -> dict:
    """Every question, grouped by the layer types it is about; ?framework= and ?layer= narrow the list."""
    framework = (args.get("framework") or "").strip()
    layer = (args.get("layer") or "").strip()
    layer_types = db.session.scalars(
        sa.select(LayerType)
        .options(selectinload(LayerType.questions).selectinload(Question.layer_types))
        .order_by(LayerType.framework, LayerType.name)
    ).all()

    # ?layer= is a name (Conv1D) or a key (keras/Conv1D); an exact spelling wins over a case-insensitive
    # one, so Conv1D is the Keras layer and Conv1d the PyTorch one, while conv1d finds both.
    exact = any(layer in (lt.name, lt.key) for lt in layer_types)

    def selected(lt: LayerType) -> bool:
        if framework and lt.framework.lower() != framework.lower():
            return False
        if not layer:
            return True
        if exact:
            return layer in (lt.name, lt.key)
        return layer.lower() in (lt.name.lower(), lt.key.lower())

    groups = [
        {
            "key": lt.key,
            "framework": lt.framework,
            "name": lt.name,
            "url": url_for("pages.index", framework=lt.framework, layer=lt.name),
            "questions": [_question_summary(q) for q in lt.questions],
        }
        for lt in layer_types
        if selected(lt) and lt.questions
    ]
    shown = {q["slug"] for g in groups for q in g["questions"]}
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Question))
    return {
        "title": "ShapeKB: neural-network shape questions, answered with formulas that run",
        "filters": {"framework": framework or None, "layer": layer or None},
        "frameworks": sorted({lt.framework for lt in layer_types}),
        "layer_types": [
            {"key": lt.key, "framework": lt.framework, "name": lt.name, "count": len(lt.questions)}
            for lt in layer_types
        ],
        "groups": groups,
        "count": len(shown),
        "total": total,
        "links": {
            "html": url_for("pages.index", **_filters(framework, layer)),
            "json": url_for("pages.index_json", **_filters(framework, layer)),
        },
    }


def _filters(framework: str, layer: str) -> dict:
    return {k: v for k, v in (("framework", framework), ("layer", layer)) if v}


def _query(values: dict) -> str:
    return "?" + urlencode(values) if values else ""


# ---- a question page -------------------------------------------------------------------------


def question_data(slug: str, args) -> dict | None:
    """One question with its answer, layer tags, formulas, worked examples and evaluator; None if unknown."""
    q = db.session.scalar(
        sa.select(Question)
        .where(Question.slug == slug)
        .options(
            selectinload(Question.layer_types), selectinload(Question.formula_links), selectinload(Question.examples)
        )
    )
    if q is None:
        return None
    evaluator_row = next((e for e in q.examples if e.is_evaluator), None)
    evaluator = None
    if evaluator_row is not None:
        try:
            evaluator = _evaluator(q.slug, evaluator_row, args)
        except engine.ShapeError as err:  # the engine no longer knows the example's layer: no form
            current_app.logger.warning("%s: no evaluator: %s", q.slug, err.message)
    query = _query(evaluator["query"]) if evaluator else ""
    return {
        "slug": q.slug,
        "title": q.title,
        "summary": q.summary,
        "source": q.source,
        "tags": list(q.tags or []),
        "question_html": q.question_html,
        "answer_html": q.answer_html,
        "question_md": q.question_md,
        "answer_md": q.answer_md,
        "layers": [
            {
                "key": lt.key,
                "framework": lt.framework,
                "name": lt.name,
                "url": url_for("pages.index", framework=lt.framework, layer=lt.name),
            }
            for lt in q.layer_types
        ],
        "formulas": [_formula_group(link.engine_key) for link in q.formula_links],
        "examples": [_example(e) for e in q.examples],
        "evaluator": evaluator,
        "updated_at": _utc(q.updated_at).isoformat(),
        "links": {
            "html": url_for("pages.question", slug=q.slug),
            "json": url_for("pages.question_json", slug=q.slug) + query,
        },
    }


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _formula_group(key: str) -> dict:
    """The general formulas of one engine layer (MathML for the page; LaTeX and text too in JSON)."""
    framework, _, name = key.partition("/")
    try:
        described = engine.get_layer(framework, name).describe()
    except engine.ShapeError as err:
        return {"key": key, "framework": framework, "layer": name, "formulas": [], "note": "", "error": err.message}
    return {
        "key": key,
        "framework": described["framework"],
        "layer": described["name"],
        "note": described["note"],
        "formulas": [{k: f[k] for k in ("key", "doc", "text", "latex", "mathml")} for f in described["formulas"]],
        "error": None,
    }


def _pick(kind: str, result: dict) -> dict:
    """The engine's answer, in the vocabulary of a content file's `expect`."""
    if kind == "trace":
        return {
            "output_shape": result["output_shape"],
            "total_params": result["total_params"],
            "layer_shapes": [step["output_shape"] for step in result["layers"]],
            "layer_params": [step["param_count"] for step in result["layers"]],
        }
    return {k: result[k] for k in EVALUATE_KEYS}


def _example(row: Example) -> dict:
    """A worked example: the request, what the answer promises, what the engine computes now."""
    req = row.request
    computed, error = None, None
    try:
        if row.kind == "trace":
            result = engine.trace(req["framework"], req["input_shape"], req["layers"])
        else:
            result = engine.evaluate(req["framework"], req["layer"], req.get("params") or {}, req["input_shape"])
        computed = _pick(row.kind, result)
    except engine.ShapeError as err:
        error = err.as_dict()
    checks = [
        {
            "key": k,
            "expected": v,
            "computed": None if computed is None else computed.get(k),
            "ok": computed is not None and computed.get(k) == v,
        }
        for k, v in row.expected.items()
    ]
    return {
        "name": row.name,
        "kind": row.kind,
        "framework": row.framework,
        "request": req,
        "expected": row.expected,
        "computed": computed,
        "checks": checks,
        "matches": error is None and all(c["ok"] for c in checks),
        "error": error,
        "is_evaluator": row.is_evaluator,
    }


# ---- the evaluator form ------------------------------------------------------------------------


def _choices(kind: str) -> frozenset[str]:
    """The options of a choice parameter, from its declared type ("'valid' | 'same'")."""
    return frozenset(re.findall(r"'([^']*)'", kind or ""))


def _form_field(err_field: str | None, names: set[str]) -> str | None:
    """Which form field an engine error belongs to: params.filters -> filters, input_shape[2] -> input_shape."""
    if not err_field:
        return None
    if err_field.startswith("input_shape"):
        return "input_shape"
    if err_field.startswith("params."):
        name = err_field[len("params.") :]
        return name if name in names else None
    return None


def _evaluator(slug: str, row: Example, args) -> dict:
    """The form pre-filled with the evaluator example and, once submitted (GET), the engine's answer.

    A submitted field replaces the example's value; an empty field means the layer's default; a
    field absent from the URL keeps the example's value (so ?input_shape=None,20,32 is a permalink).
    """
    req = row.request
    spec = engine.get_layer(req["framework"], req["layer"])
    described = spec.describe()
    example_params = {}
    for key, value in (req.get("params") or {}).items():
        target = spec.param_aliases.get(key, key)
        if isinstance(target, str):
            example_params[target] = value
    names = [p["name"] for p in described["params"]]
    query = {k: args.get(k, "") for k in ("input_shape", *names) if k in args}
    submitted = bool(query)

    fields = [
        {
            "name": "input_shape",
            "label": "input_shape",
            "type": "shape",
            "required": True,
            "default": None,
            "meaning": "Dimensions, batch first: integers, None for unknown, or names such as H.",
            "value": format_value(req["input_shape"]),
            "error": None,
        }
    ]
    for p in described["params"]:
        prefill = example_params.get(p["name"], None if p["required"] else p["default"])
        fields.append(
            {
                "name": p["name"],
                "label": p["name"],
                "type": p["type"],
                "required": p["required"],
                "default": None if p["required"] else format_value(p["default"]),
                "meaning": p["meaning"],
                "value": "" if p["required"] and p["name"] not in example_params else format_value(prefill),
                "error": None,
            }
        )
    by_name = {f["name"]: f for f in fields}
    out = {
        "framework": spec.framework,
        "layer": spec.name,
        "example": row.name,
        "action": url_for("pages.question", slug=slug) + "#evaluator",
        "fields": fields,
        "submitted": submitted,
        "result": None,
        "errors": [],
        "query": query,
        "permalink": url_for("pages.question", slug=slug) + _query(query) + "#evaluator" if submitted else None,
    }
    if not submitted:
        return out

    for f in fields:
        if f["name"] in query:
            f["value"] = query[f["name"]]
    params, shape = {}, MISSING
    for f in fields:
        try:
            if f["name"] == "input_shape":
                shape = parse_shape(f["value"])
            else:
                value = parse_value(f["value"], choices=_choices(f["type"]))
                if value is not MISSING:
                    params[f["name"]] = list(value) if isinstance(value, tuple) else value
        except FormValueError as err:
            f["error"] = err.message
            where = f["name"] if f["name"] == "input_shape" else f"params.{f['name']}"
            out["errors"].append(
                {
                    "code": "invalid_value",
                    "message": f"{f['name']}: {err.message}",
                    "field": where,
                    "form_field": f["name"],
                }
            )
    if out["errors"]:
        return out
    try:
        out["result"] = engine.evaluate(
            spec.framework, spec.name, params, None if shape is MISSING else shape, substitute=True
        )
    except engine.ShapeError as err:
        target = _form_field(err.field, set(by_name))
        if target is not None:
            by_name[target]["error"] = err.message
        out["errors"].append({**err.as_dict(), "form_field": target})
    return out
