"""The dicts behind the pages. Each page's HTML and its .json twin are both made from one of these."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import selectinload

import engine
from kb.components import FRAMEWORK_LABELS, build_evaluator, formula_group, pair_formula_groups
from kb.extensions import db
from kb.models import Example, LayerType, Question
from kb.search import entry_metadata, load_question

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
    # The flat list the home page shows: each question once, with its layer tags.
    questions: dict[str, Question] = {}
    for lt in layer_types:
        for q in lt.questions:
            if q.slug in shown:
                questions.setdefault(q.slug, q)
    by_framework: dict[str, set[str]] = {}
    for lt in layer_types:
        by_framework.setdefault(lt.framework, set()).update(q.slug for q in lt.questions)
    filtered = bool(framework or layer)
    return {
        "title": "ShapeKB: neural-network shape questions, answered with formulas that run",
        "filters": {"framework": framework or None, "layer": layer or None},
        "frameworks": sorted({lt.framework for lt in layer_types}),
        "layer_types": [
            {
                "key": lt.key,
                "framework": lt.framework,
                "name": lt.name,
                "count": len(lt.questions),
                "selected": bool(layer) and selected(lt),
                "url": url_for("pages.index", **_filters(framework, ""))
                if layer and selected(lt)
                else url_for("pages.index", framework=lt.framework, layer=lt.name),
            }
            for lt in layer_types
        ],
        "framework_facets": [
            {
                "framework": fw,
                "label": FRAMEWORK_LABELS.get(fw, fw),
                "count": len(slugs),
                "selected": framework.lower() == fw,
                "url": url_for("pages.index", **_filters("", layer))
                if framework.lower() == fw
                else url_for("pages.index", framework=fw),
            }
            for fw, slugs in sorted(by_framework.items())
        ],
        "questions": [
            {
                **_question_summary(q),
                "tags": [
                    {
                        "key": lt.key,
                        "framework": lt.framework,
                        "name": lt.name,
                        "url": url_for("layers.layer", framework=lt.framework, name=lt.name),
                    }
                    for lt in q.layer_types
                ],
            }
            for q in sorted(questions.values(), key=lambda q: (q.title, q.slug))
        ],
        "filtered": filtered,
        "groups": groups,
        "count": len(shown),
        "total": total,
        "links": {
            "html": url_for("pages.index", **_filters(framework, layer)),
            "json": url_for("pages.index_json", **_filters(framework, layer)),
            "search": url_for("search.index"),
            "layers": url_for("layers.index"),
            "trace": url_for("trace.index"),
        },
    }


def _filters(framework: str, layer: str) -> dict:
    return {k: v for k, v in (("framework", framework), ("layer", layer)) if v}


def _query(values: dict) -> str:
    return "?" + urlencode(values) if values else ""


# ---- a question page -------------------------------------------------------------------------


def question_data(slug: str, args) -> dict | None:
    """One question with its answer, layer tags, formulas, worked examples and evaluator; None if unknown."""
    q = load_question(slug)
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
        "formulas": pair_formula_groups([_formula_group(link.engine_key) for link in q.formula_links]),
        "examples": [_example(q.slug, e) for e in q.examples],
        "evaluator": evaluator,
        **entry_metadata(q),
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
    """The general formulas of one engine layer with their legend (MathML for the page; LaTeX and text too)."""
    framework, _, name = key.partition("/")
    try:
        return formula_group(engine.get_layer(framework, name))
    except engine.ShapeError as err:
        return {
            "key": key,
            "framework": framework,
            "layer": name,
            "formulas": [],
            "legend": [],
            "note": "",
            "error": err.message,
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


def _example(slug: str, row: Example) -> dict:
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
        "tracer_url": url_for("trace.index", example=f"{slug}:{row.position}")
        if row.kind == "trace" and "trace.index" in current_app.view_functions
        else None,
    }


# ---- the evaluator form ------------------------------------------------------------------------


def _evaluator(slug: str, row: Example, args) -> dict:
    """The evaluator component (kb.components.build_evaluator, shared with the layer pages), pre-filled with
    the question's evaluator example; the query string holds what the user changed (a permalink)."""
    req = row.request
    return build_evaluator(
        engine.get_layer(req["framework"], req["layer"]),
        params=req.get("params") or {},
        input_shape=req["input_shape"],
        args=args,
        action=url_for("pages.question", slug=slug),
        example=row.name,
    )
