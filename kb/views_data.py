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
from kb.layer_pages import sample_request
from kb.models import Example, LayerType, Question, question_layers
from kb.search import entry_metadata, load_question
from kb.shells import PageShell, page_shell, with_evaluator
from kb.solve_page import panel_for_question

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


INDEX_PAGE_SIZE = 50  # questions per page of the home page: its size does not grow with the content
MAX_PAGE = 100_000


def page_number(raw) -> int:
    """?page=: a positive integer, anything else the first page."""
    raw = (raw or "1").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_PAGE else 1


def index_data(args) -> dict:
    """One page of the questions (INDEX_PAGE_SIZE, by title), grouped by the layer types they are about;
    ?framework= and ?layer= narrow the list, ?page= turns the page. The facet counts are over every
    question, computed by the database (GROUP BY), so nothing here grows with the content."""
    framework = (args.get("framework") or "").strip()
    layer = (args.get("layer") or "").strip()
    page = page_number(args.get("page"))
    lt_table, ql = LayerType.__table__, question_layers
    layer_types = db.session.execute(
        sa.select(lt_table.c.id, lt_table.c.framework, lt_table.c.name, sa.func.count(ql.c.question_id).label("count"))
        .join(ql, ql.c.layer_type_id == lt_table.c.id)
        .group_by(lt_table.c.id, lt_table.c.framework, lt_table.c.name)
        .order_by(lt_table.c.framework, lt_table.c.name)
    ).all()
    by_framework = dict(
        db.session.execute(
            sa.select(lt_table.c.framework, sa.func.count(sa.distinct(ql.c.question_id)))
            .join(ql, ql.c.layer_type_id == lt_table.c.id)
            .group_by(lt_table.c.framework)
        ).all()
    )

    # ?layer= is a name (Conv1D) or a key (keras/Conv1D); an exact spelling wins over a case-insensitive
    # one, so Conv1D is the Keras layer and Conv1d the PyTorch one, while conv1d finds both.
    def key(lt) -> str:
        return f"{lt.framework}/{lt.name}"

    exact = any(layer in (lt.name, key(lt)) for lt in layer_types)

    def selected(lt) -> bool:
        if framework and lt.framework.lower() != framework.lower():
            return False
        if not layer:
            return True
        if exact:
            return layer in (lt.name, key(lt))
        return layer.lower() in (lt.name.lower(), key(lt).lower())

    chosen = [lt for lt in layer_types if selected(lt)]
    filtered = bool(framework or layer)
    where = []
    if filtered:
        where.append(
            Question.id.in_(sa.select(ql.c.question_id).where(ql.c.layer_type_id.in_([lt.id for lt in chosen])))
        )
    total, count = db.session.execute(
        sa.select(
            sa.select(sa.func.count()).select_from(Question).scalar_subquery(),
            sa.select(sa.func.count()).select_from(Question).where(*where).scalar_subquery(),
        )
    ).one()
    pages = max(1, -(-count // INDEX_PAGE_SIZE))
    shown = db.session.scalars(
        sa.select(Question)
        .where(*where)
        .options(selectinload(Question.layer_types))
        .order_by(Question.title, Question.slug)
        .limit(INDEX_PAGE_SIZE)
        .offset((page - 1) * INDEX_PAGE_SIZE)
    ).all()
    # The groups hold this page's questions, each under every chosen layer type it is about (by slug).
    chosen_keys = {key(lt) for lt in chosen}
    on_page: dict[str, list[Question]] = {}
    for q in sorted(shown, key=lambda q: q.slug):
        for lt in q.layer_types:
            if lt.key in chosen_keys:
                on_page.setdefault(lt.key, []).append(q)
    groups = [
        {
            "key": key(lt),
            "framework": lt.framework,
            "name": lt.name,
            "url": url_for("pages.index", framework=lt.framework, layer=lt.name),
            "questions": [_question_summary(q) for q in on_page[key(lt)]],
        }
        for lt in chosen
        if key(lt) in on_page
    ]
    here = _filters(framework, layer)
    return {
        "title": "ShapeKB: neural-network shape questions, answered with formulas that run",
        "filters": {"framework": framework or None, "layer": layer or None},
        "frameworks": sorted(by_framework),
        "layer_types": [
            {
                "key": key(lt),
                "framework": lt.framework,
                "name": lt.name,
                "count": lt.count,
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
                "count": n,
                "selected": framework.lower() == fw,
                "url": url_for("pages.index", **_filters("", layer))
                if framework.lower() == fw
                else url_for("pages.index", framework=fw),
            }
            for fw, n in sorted(by_framework.items())
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
            for q in shown
        ],
        "filtered": filtered,
        "groups": groups,
        "count": count,
        "total": total,
        "page": page,
        "pages": pages,
        "page_size": INDEX_PAGE_SIZE,
        "prev_url": url_for("pages.index", **here, page=page - 1 if page > 2 else None) if page > 1 else None,
        "next_url": url_for("pages.index", **here, page=page + 1) if page < pages else None,
        "links": {
            "html": url_for("pages.index", **here, page=page if page > 1 else None),
            "json": url_for("pages.index_json", **here, page=page if page > 1 else None),
            "search": url_for("search.index"),
            "layers": url_for("layers.index"),
            "trace": url_for("trace.index"),
        },
    }


def _filters(framework: str, layer: str) -> dict:
    return {k: v for k, v in (("framework", framework), ("layer", layer)) if v}


def query_of(values: dict) -> str:
    return "?" + urlencode(values) if values else ""


# ---- a question page -------------------------------------------------------------------------


def question_data(slug: str, args) -> dict | None:
    """One question with its answer, layer tags, formulas, worked examples and evaluator; None if unknown."""
    shell = question_shell(slug)
    if shell is None:
        return None
    evaluator = question_evaluator(shell, args)
    return with_evaluator(shell, evaluator, query_of(evaluator["query"]) if evaluator else "")


def question_shell(slug: str) -> PageShell | None:
    """Everything on a question's page but its evaluator (kb.shells: built once per content version)."""
    return page_shell(f"question:{slug}", lambda: _question_shell(slug))


def question_evaluator(shell: PageShell, args) -> dict | None:
    """The question's evaluator for the request's values (None when the question has none)."""
    if shell.evaluator_source is None:
        return None
    slug, req, name = shell.evaluator_source
    try:
        return _evaluator(slug, req, name, args)
    except engine.ShapeError as err:  # the engine no longer knows the example's layer: no form
        current_app.logger.warning("%s: no evaluator: %s", slug, err.message)
        return None


def _question_shell(slug: str) -> PageShell | None:
    q = load_question(slug)
    if q is None:
        return None
    evaluator_row = next((e for e in q.examples if e.is_evaluator), None)
    source = (q.slug, dict(evaluator_row.request), evaluator_row.name) if evaluator_row is not None else None
    data = {
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
        "evaluator": None,
        **entry_metadata(q),
        "solver": panel_for_question(
            [e.request for e in sorted(q.examples, key=lambda e: not e.is_evaluator) if e.kind == "evaluate"],
            [(lt.framework, lt.name) for lt in q.layer_types],
            sample_request,
        ),
        "updated_at": _utc(q.updated_at).isoformat(),
        "links": {
            "html": url_for("pages.question", slug=q.slug),
            "json": url_for("pages.question_json", slug=q.slug),
        },
    }
    return PageShell(data, source, data["links"]["json"])


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


def _evaluator(slug: str, req: dict, example: str, args) -> dict:
    """The evaluator component (kb.components.build_evaluator, shared with the layer pages), pre-filled with
    the question's evaluator example; the query string holds what the user changed (a permalink)."""
    return build_evaluator(
        engine.get_layer(req["framework"], req["layer"]),
        params=req.get("params") or {},
        input_shape=req["input_shape"],
        args=args,
        action=url_for("pages.question", slug=slug),
        example=example,
    )
