"""The layer reference: /layers and /layers/<framework>/<name>, each with a .json twin built from the same dict.

/layers                          every layer the engine knows, by framework and category
/layers/<framework>/<name>       one layer: parameters, formulas with a legend, its evaluator,
                                 the equivalent layer of the other framework, the questions using it
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, request, url_for
from werkzeug.routing import BaseConverter

import engine
from engine.registry import _PREFIXES
from engine.spec import FRAMEWORKS, LayerSpec
from kb.cache import cached_page
from kb.components import (
    FRAMEWORK_LABELS,
    api_url,
    build_evaluator,
    call_args,
    equivalent_spec,
    formula_group,
    layer_url,
    query_string,
)
from kb.extensions import db
from kb.formvalues import format_value
from kb.models import Example, FormulaLink, LayerType, Question, question_layers
from kb.shells import PageShell, page_shell, render_with_evaluator, with_evaluator
from kb.solve_page import solver_panel
from kb.web import respond

bp = Blueprint("layers", __name__)


class LayerNameConverter(BaseConverter):
    """A framework or layer name: letters, digits and _; no dot, so <name>.json is the JSON twin."""

    regex = r"[A-Za-z][A-Za-z0-9_]{0,99}"


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["layername"] = LayerNameConverter


# A pre-fill for layers no question has an example of: an input and the required parameters.
KERAS_SHAPES = {2: [None, 64], 3: [None, 10, 32], 4: [None, 32, 32, 3], 5: [None, 8, 32, 32, 3]}
TORCH_SHAPES = {2: [8, 64], 3: [8, 16, 50], 4: [8, 3, 32, 32], 5: [8, 3, 8, 32, 32]}
GUESSES = {
    "filters": 32,
    "out_channels": 32,
    "units": 32,
    "hidden_size": 32,
    "out_features": 32,
    "kernel_size": 3,
    "pool_size": 2,
    "output_size": 1,
    "rate": 0.5,
    "num_heads": 2,
    "key_dim": 16,
    "input_dim": 1000,
    "num_embeddings": 1000,
    "output_dim": 64,
    "embedding_dim": 64,
    "n": 3,
    "padding": 1,
    "value": 0,
    "num_groups": 4,
    "activation": "relu",
}
CHANNEL_PARAMS = frozenset({"in_channels", "num_features", "in_features", "num_channels"})
SAMPLES = {
    "keras/Dense": ([None, 64], {"units": 32}),
    "keras/Embedding": ([None, 10], {"input_dim": 1000, "output_dim": 64}),
    "keras/Permute": ([None, 10, 32], {"dims": [2, 1]}),
    "keras/Reshape": ([None, 10, 32], {"target_shape": [5, 64]}),
    "keras/Bidirectional": ([None, 10, 32], {"layer": {"layer": "LSTM", "params": {"units": 16}}}),
    "pytorch/Embedding": ([8, 10], {"num_embeddings": 1000, "embedding_dim": 64}),
    "pytorch/GRU": ([50, 8, 16], {"input_size": 16, "hidden_size": 32}),
    "pytorch/LSTM": ([50, 8, 16], {"input_size": 16, "hidden_size": 32}),
    "pytorch/RNN": ([50, 8, 16], {"input_size": 16, "hidden_size": 32}),
    "pytorch/Linear": ([8, 64], {"in_features": 64, "out_features": 32}),
    "pytorch/LayerNorm": ([8, 16, 50], {"normalized_shape": 50}),
    "pytorch/MultiheadAttention": ([10, 8, 64], {"embed_dim": 64, "num_heads": 4}),
    "pytorch/Unflatten": ([8, 64], {"dim": 1, "unflattened_size": [8, 8]}),
    "pytorch/Upsample": ([8, 3, 32, 32], {"scale_factor": 2}),
    "pytorch/PixelShuffle": ([8, 16, 32, 32], {"upscale_factor": 2}),
    "pytorch/PixelUnshuffle": ([8, 3, 32, 32], {"downscale_factor": 2}),
    "pytorch/ChannelShuffle": ([8, 16, 32, 32], {"groups": 4}),
    "pytorch/Fold": ([8, 27, 900], {"output_size": 32, "kernel_size": 3}),
    "pytorch/Threshold": ([8, 16, 50], {"threshold": 0.1, "value": 20}),
    "pytorch/ReflectionPad3d": ([8, 3, 8, 32, 32], {"padding": 1}),
    "pytorch/ReplicationPad3d": ([8, 3, 8, 32, 32], {"padding": 1}),
    "keras/GaussianNoise": ([None, 10, 32], {"stddev": 0.1}),
    "keras/TimeDistributed": ([None, 10, 16], {"layer": {"layer": "Dense", "params": {"units": 8}}}),
}


def _sample_shape(spec: LayerSpec) -> list:
    table = KERAS_SHAPES if spec.framework == "keras" else TORCH_SHAPES
    ranks = [r for r in (spec.input_ranks or (3,)) if r in table]
    if not ranks:
        return list(table[3])
    if len(ranks) > 2:  # any rank: a sequence-like input
        return list(table[3] if 3 in ranks else table[ranks[0]])
    return list(table[max(ranks)])


def sample_request(spec: LayerSpec) -> tuple[list, dict]:
    """An input shape and parameters that the layer accepts, for its reference page."""
    if spec.key in SAMPLES:
        shape, params = SAMPLES[spec.key]
        return list(shape), dict(params)
    shape = _sample_shape(spec)
    params = {}
    channels = shape[-1] if spec.framework == "keras" or len(shape) <= 2 else shape[1]
    for p in spec.params:
        if not p.required:
            continue
        if p.name in CHANNEL_PARAMS:
            params[p.name] = channels
        elif p.name in GUESSES:
            params[p.name] = GUESSES[p.name]
    return shape, params


LAYER_EXAMPLES = 50  # candidates read for a layer page's pre-fill (the first that fits is taken)


def _layer_examples(spec: LayerSpec) -> list[Example]:
    """Evaluate examples of the content about this layer (the evaluator example of its question first).

    The database picks the examples whose layer is one of the spellings of this one (at most
    LAYER_EXAMPLES); the engine then checks each, as before: a layer page does not read every
    example of the content."""
    names = {spec.name, *spec.aliases}
    spellings = {prefix + name for prefix in ("", *_PREFIXES) for name in names}
    layer = sa.func.lower(Example.request["layer"].as_string())
    rows = db.session.scalars(
        sa.select(Example)
        .where(
            Example.kind == "evaluate",
            Example.framework == spec.framework,
            layer.in_(sorted(name.lower() for name in spellings)),
        )
        .order_by(Example.is_evaluator.desc(), Example.question_id, Example.position)
        .limit(LAYER_EXAMPLES)
    ).all()
    out = []
    for row in rows:
        try:
            if engine.get_layer(row.framework, row.request.get("layer")).name == spec.name:
                out.append(row)
        except engine.ShapeError:
            continue
    return out


def layer_prefill(spec: LayerSpec) -> tuple[list, dict, str | None]:
    """The evaluator's pre-fill on a layer page: an example from the content, else a sample."""
    for row in _layer_examples(spec):
        req = row.request
        params = req.get("params") or {}
        if all(isinstance(spec.param_aliases.get(k, k), str) for k in params):
            return list(req["input_shape"]), dict(params), row.name
    shape, params = sample_request(spec)
    return shape, params, None


# ---- the layer reference --------------------------------------------------------------------------


LAYER_QUESTIONS = 30  # questions listed on a layer's page; the rest are a link away (the list does not grow)


def _question_links(spec: LayerSpec | None = None):
    """(layer key, question id) for every question about a layer or showing its formulas (a SELECT);
    with spec, only that layer's (the condition inside each branch, where the indexes serve it)."""
    lt = LayerType.__table__
    about = sa.select(
        (lt.c.framework + "/" + lt.c.name).label("key"), question_layers.c.question_id.label("question_id")
    ).join(lt, lt.c.id == question_layers.c.layer_type_id)
    showing = sa.select(FormulaLink.engine_key.label("key"), FormulaLink.question_id.label("question_id"))
    if spec is not None:
        about = about.where(lt.c.framework == spec.framework, lt.c.name == spec.name)
        showing = showing.where(FormulaLink.engine_key == spec.key)
    return sa.union(about, showing).subquery("links")


def _question_counts() -> dict[str, int]:
    """layer key -> how many questions are about it or show its formulas (one GROUP BY in the database)."""
    links = _question_links()
    return dict(db.session.execute(sa.select(links.c.key, sa.func.count()).group_by(links.c.key)).all())


def layers_index_data(args) -> dict:
    """Every layer, by framework then category; ?framework= and ?category= narrow the list."""
    framework = (args.get("framework") or "").strip().lower()
    category = (args.get("category") or "").strip().lower()
    if framework == "torch":
        framework = "pytorch"
    counts = _question_counts()
    all_specs = engine.layers()
    categories = sorted({s.category for s in all_specs})
    notes = []
    if framework and framework not in FRAMEWORKS:
        notes.append(f"There is no framework {framework!r}; showing keras and pytorch.")
        framework = ""
    if category and category not in categories:
        notes.append(f"There is no category {category!r}; showing every category.")
        category = ""
    frameworks = []
    total = 0
    for fw in FRAMEWORKS:
        if framework and fw != framework:
            continue
        groups = []
        for cat in categories:
            if category and cat != category:
                continue
            items = []
            for spec in all_specs:
                if spec.framework != fw or spec.category != cat:
                    continue
                twin = equivalent_spec(spec)
                items.append(
                    {
                        "name": spec.name,
                        "key": spec.key,
                        "aliases": list(spec.aliases),
                        "url": layer_url(spec.framework, spec.name),
                        "json_url": url_for("layers.layer_json", framework=spec.framework, name=spec.name),
                        "equivalent": {
                            "framework": twin.framework,
                            "name": twin.name,
                            "url": layer_url(twin.framework, twin.name),
                        }
                        if twin
                        else None,
                        "questions": counts.get(spec.key, 0),
                    }
                )
            if items:
                groups.append({"category": cat, "layers": items})
                total += len(items)
        frameworks.append({"framework": fw, "label": FRAMEWORK_LABELS[fw], "groups": groups})
    filters = {k: v for k, v in (("framework", framework), ("category", category)) if v}
    return {
        "title": "Layer reference",
        "filters": {"framework": framework or None, "category": category or None},
        "categories": categories,
        "frameworks": frameworks,
        "total": total,
        "notes": notes,
        "links": {"html": url_for("layers.index", **filters), "json": url_for("layers.index_json", **filters)},
    }


def _questions_for(spec: LayerSpec) -> tuple[list[dict], int]:
    """The first LAYER_QUESTIONS questions about the layer or showing its formulas (by title), and how many there are."""
    links = _question_links(spec)
    ids = sa.select(links.c.question_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery()))
    if not total:
        return [], 0
    rows = db.session.execute(
        sa.select(Question.slug, Question.title, Question.summary)
        .where(Question.id.in_(ids))
        .order_by(Question.title, Question.slug)
        .limit(LAYER_QUESTIONS)
    )
    return [
        {"slug": slug, "title": title, "summary": summary, "url": url_for("pages.question", slug=slug)}
        for slug, title, summary in rows
    ], total


def _param_rows(spec: LayerSpec) -> list[dict]:
    aliases: dict[str, list[str]] = {}
    for old, new in spec.param_aliases.items():
        aliases.setdefault(new if isinstance(new, str) else new[0], []).append(old)
    return [
        {
            **p,
            "default_text": None if p["required"] else format_value(p["default"]),
            "aliases": aliases.get(p["name"], []),
        }
        for p in spec.describe()["params"]
    ]


def layer_data(spec: LayerSpec, args) -> dict:
    """One layer's reference page."""
    shell = layer_shell(spec)
    evaluator = layer_evaluator(shell, args)
    return with_evaluator(shell, evaluator, query_string(evaluator["query"]) if evaluator else "")


def layer_shell(spec: LayerSpec) -> PageShell:
    """Everything on a layer's page but its evaluator (kb.shells: built once per content version)."""
    return page_shell(f"layer:{spec.key}", lambda: _layer_shell(spec))


def layer_evaluator(shell: PageShell, args) -> dict:
    """The layer's evaluator for the request's values."""
    spec, shape, params, example, page_url = shell.evaluator_source
    return build_evaluator(spec, params=params, input_shape=shape, args=args, action=page_url, example=example)


def _layer_shell(spec: LayerSpec) -> PageShell:
    shape, params, example = layer_prefill(spec)
    page_url = layer_url(spec.framework, spec.name)
    twin = equivalent_spec(spec)
    described = spec.describe()
    questions, questions_total = _questions_for(spec)
    trace_query = {
        "framework": spec.framework,
        "input_shape": format_value(shape),
        "layer": spec.name,
        "params": call_args(params),
    }
    data = {
        "title": f"{spec.name} ({FRAMEWORK_LABELS[spec.framework]})",
        "framework": spec.framework,
        "framework_label": FRAMEWORK_LABELS[spec.framework],
        "name": spec.name,
        "key": spec.key,
        "aliases": described["aliases"],
        "category": spec.category,
        "note": spec.note,
        "input_ranks": described["input_ranks"],
        "params": _param_rows(spec),
        "formulas": formula_group(spec),
        "equivalent": {
            "framework": twin.framework,
            "framework_label": FRAMEWORK_LABELS[twin.framework],
            "name": twin.name,
            "url": layer_url(twin.framework, twin.name),
            "formulas": formula_group(twin),
        }
        if twin
        else None,
        "questions": questions,
        "questions_total": questions_total,
        "questions_url": url_for("pages.index", framework=spec.framework, layer=spec.name),
        "evaluator": None,
        "trace_url": url_for("trace.index") + query_string(trace_query),
        "solver": solver_panel(spec, shape, params),
        "links": {
            "html": page_url,
            "json": url_for("layers.layer_json", framework=spec.framework, name=spec.name),
            "api": api_url("api.layers", "/api/v1/layers") + f"/{spec.framework}/{spec.name}",
        },
    }
    return PageShell(data, (spec, shape, params, example, page_url), data["links"]["json"])


@cached_page
def layers_index(as_json: bool = False):
    return respond(layers_index_data(request.args), "layers.html", as_json)


@cached_page
def layer(framework: str, name: str, as_json: bool = False):
    try:
        spec = engine.get_layer(framework, name)
    except engine.ShapeError as err:
        abort(404, description=err.message)
    if (spec.framework, spec.name) != (framework, name):  # an alias or another spelling: the canonical page
        endpoint = "layers.layer_json" if as_json else "layers.layer"
        target = url_for(endpoint, framework=spec.framework, name=spec.name)
        return redirect(target + query_string(request.args.to_dict(flat=False)), 301)
    shell = layer_shell(spec)
    evaluator = layer_evaluator(shell, request.args)
    status = 400 if evaluator and evaluator["submitted"] and evaluator["errors"] else 200
    query = query_string(evaluator["query"]) if evaluator else ""
    if as_json:
        return respond(with_evaluator(shell, evaluator, query), "layer.html", True, status)
    html = render_with_evaluator(
        f"layer:{spec.key}", shell, "layer.html", evaluator, query, macro_args=("Evaluate " + spec.name,)
    )
    return html, status


bp.add_url_rule("/layers", "index", layers_index)
bp.add_url_rule("/layers.json", "index_json", layers_index, defaults={"as_json": True})
bp.add_url_rule("/layers/<layername:framework>/<layername:name>", "layer", layer)
bp.add_url_rule("/layers/<layername:framework>/<layername:name>.json", "layer_json", layer, defaults={"as_json": True})
