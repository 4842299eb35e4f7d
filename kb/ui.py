"""The layer reference, the tracer and search: HTML pages, each with a .json twin built from the same dict.

    /layers                          every layer the engine knows, by framework and category
    /layers/<framework>/<name>       one layer: parameters, formulas with a legend, its evaluator,
                                     the equivalent layer of the other framework, the questions using it
    /trace                           a stack of layers: each layer's output shape and parameters
    /search                          full-text search over the questions, with facets

Each view calls one *_data() function for the dict and hands it to kb.web.respond(), which renders
the template or returns the dict as JSON. Nothing here runs user text: form values are read by
kb.formvalues (by hand), layer parameters of the tracer and pasted snippets by engine.snippet (ast,
literals only).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urlencode

import sqlalchemy as sa
import sympy as sp
from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from werkzeug.routing import BaseConverter

import engine
from engine.registry import framework_name
from engine.render import to_mathml
from engine.snippet import MAX_SNIPPET_CHARS, parse_snippet
from engine.spec import FRAMEWORKS, LayerSpec
from kb.extensions import db
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape, parse_value
from kb.models import Example, FormulaLink, LayerType, Question, question_layers
from kb.web import call_args_filter, py_literal, respond, small_number

layers_bp = Blueprint("layers", __name__)
trace_bp = Blueprint("trace", __name__)
search_bp = Blueprint("search", __name__)

OTHER_FRAMEWORK = {"keras": "pytorch", "pytorch": "keras"}
FRAMEWORK_LABELS = {"keras": "Keras", "pytorch": "PyTorch"}


def register(app: Flask) -> None:
    """The three blueprints of this module (endpoints layers.*, trace.*, search.*, as kb.web.NAV names them)."""
    for bp in (layers_bp, trace_bp, search_bp):
        app.register_blueprint(bp)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


@lru_cache(maxsize=1)
def _favicon_bytes(static_folder: str) -> bytes:
    with open(f"{static_folder}/favicon.svg", "rb") as f:
        return f.read()


def _favicon():
    """Browsers ask for /favicon.ico whatever the page says: the site's icon rather than a 404."""
    body = _favicon_bytes(current_app.static_folder)
    return current_app.response_class(
        body, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


class LayerNameConverter(BaseConverter):
    """A framework or layer name: letters, digits and _; no dot, so <name>.json is the JSON twin."""

    regex = r"[A-Za-z][A-Za-z0-9_]{0,99}"


@layers_bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["layername"] = LayerNameConverter


def _query(values: dict) -> str:
    return "?" + urlencode(values, doseq=True) if values else ""


def _api_url(endpoint: str, fallback: str) -> str:
    return url_for(endpoint) if endpoint in current_app.view_functions else fallback


def layer_url(framework: str, name: str) -> str:
    return url_for("layers.layer", framework=framework, name=name)


# ---- formulas with a legend ----------------------------------------------------------------------

# What each symbol of the engine's formulas stands for (engine/symbols.py declares them). A test
# checks that every symbol a formula uses is here. Per-category overrides where a letter means
# something else in that family of layers.
SYMBOLS = {
    "L_in": "input length along one axis",
    "L_out": "output length along that axis",
    "k": "kernel (or pool) size along the axis: kernel_size, pool_size",
    "s": "stride along the axis: strides, stride",
    "p": "padding added to each side of the axis: padding",
    "d": "dilation along the axis: dilation_rate, dilation",
    "op": "output_padding of a transposed convolution",
    "c_l": "entries cropped or padded at the start of the axis",
    "c_r": "entries cropped or padded at the end of the axis",
    "f": "scale factor along the axis: size, scale_factor",
    "C_in": "input channels (the channel axis of the input)",
    "C_out": "output channels: filters, out_channels",
    "g": "groups",
    "K": "product of the kernel sizes over the spatial axes",
    "u": "units: units, hidden_size, out_features",
    "i": "input features (the last axis of the input)",
    "D": "embedding width: output_dim, embedding_dim",
    "N": "vocabulary size: input_dim, num_embeddings",
    "E": "embedding dimension of attention: embed_dim",
    "P": "parameter count",
    "m": "depth multiplier",
    "q": "product of the sizes given explicitly (all but the -1)",
    "v": "per-channel vectors kept: gamma, beta, moving mean and variance",
    "G": "gates of a recurrent cell: 1 SimpleRNN/RNN, 3 GRU, 4 LSTM",
    "n": "stacked recurrent layers: num_layers",
    "h_out": "width of a PyTorch recurrent output: proj_size if set, else hidden_size",
    "P_f": "parameters of the forward layer",
    "P_b": "parameters of the backward layer",
    "u_f": "output width of the forward layer",
    "u_b": "output width of the backward layer",
    "h": "attention heads: num_heads",
    "d_k": "size of each head for query and key: key_dim",
    "d_v": "size of each head for value: value_dim",
    "C_q": "last axis of the query",
    "C_k": "last axis of the key",
    "C_v": "last axis of the value",
    "C_o": "output width: product of output_shape, else C_q",
    "E_k": "key width: kdim",
    "E_v": "value width: vdim",
    "b": "bias vectors of length E",
    "r": "LoRA rank: lora_rank",
}
SYMBOLS_BY_CATEGORY = {
    "recurrent": {"D": "directions: 2 if bidirectional, else 1"},
    "reshape": {"i": "elements merged or redistributed so far (product of axes)"},
    "activation": {"i": "entries of alpha (one slope each)"},
    "normalization": {"C_in": "size of the normalized axis"},
}


@lru_cache(maxsize=512)
def symbol_mathml(name: str) -> str:
    """One symbol as inline MathML (L_in -> L with subscript in), rendered by the engine's printer."""
    return to_mathml(sp.Symbol(name), display="inline")


_SYMBOL_ORDER = {name: n for n, name in enumerate(SYMBOLS)}


def _symbol_names(formulas) -> list[str]:
    """Every symbol of the formulas, in the legend's order (L_in, L_out, k, s, p, d, ..., as SYMBOLS lists them)."""
    names = {f.target.name for f in formulas} | {a.name for f in formulas for a in f.args}
    return sorted(names, key=lambda n: (_SYMBOL_ORDER.get(n, len(_SYMBOL_ORDER)), n))


def legend(spec: LayerSpec, formulas=None) -> list[dict]:
    """The symbols of a layer's formulas with what they mean."""
    overrides = SYMBOLS_BY_CATEGORY.get(spec.category, {})
    return [
        {"symbol": n, "mathml": symbol_mathml(n), "meaning": overrides.get(n) or SYMBOLS.get(n, "")}
        for n in _symbol_names(spec.formulas if formulas is None else formulas)
    ]


def formula_group(spec: LayerSpec) -> dict:
    """A layer's general formulas (text, LaTeX, MathML), split into output shape and parameters, with a legend."""
    formulas = [{**f.rendered, "kind": "params" if f.target.name == "P" else "shape"} for f in spec.formulas]
    return {
        "key": spec.key,
        "framework": spec.framework,
        "framework_label": FRAMEWORK_LABELS[spec.framework],
        "layer": spec.name,
        "url": layer_url(spec.framework, spec.name),
        "note": spec.note,
        "formulas": formulas,
        "legend": legend(spec),
        "error": None,
    }


def equivalent_spec(spec: LayerSpec) -> LayerSpec | None:
    """The matching layer of the other framework, if the engine declares it."""
    if not spec.equivalent:
        return None
    try:
        return engine.get_layer(OTHER_FRAMEWORK[spec.framework], spec.equivalent)
    except engine.ShapeError:
        return None


def pair_formula_groups(groups: list[dict]) -> list[dict]:
    """Keras and PyTorch side by side: each group gets `twin` (the equivalent layer's formulas) and `beside`.

    A twin the list holds itself is referenced ({"key", "listed": True}) and that group is marked
    `beside` (shown next to the first, not on its own); a twin the list lacks is added whole
    ("listed": False). Groups keep their order, so a page can lay them out row by row.
    """
    listed = {g["key"]: g for g in groups if not g.get("error")}
    for group in groups:
        group.setdefault("twin", None)
        group.setdefault("beside", None)
    for group in groups:
        if group.get("error") or group["beside"] or group["twin"]:
            continue
        spec = engine.get_layer(group["framework"], group["layer"])
        twin = equivalent_spec(spec)
        if twin is None:
            continue
        other = listed.get(twin.key)
        if other is not None and other is not group:
            if other["beside"] is None and other["twin"] is None:
                group["twin"] = {"key": twin.key, "listed": True}
                other["beside"] = group["key"]
        elif other is None:
            group["twin"] = {**formula_group(twin), "listed": False}
    return groups


def formula_pair(key: str) -> dict:
    """A content file's formula key ("keras/Conv1D") with the equivalent layer's formulas beside it."""
    framework, _, name = key.partition("/")
    try:
        spec = engine.get_layer(framework, name)
    except engine.ShapeError as err:
        return {"key": key, "main": None, "twin": None, "error": err.message}
    twin = equivalent_spec(spec)
    return {"key": key, "main": formula_group(spec), "twin": formula_group(twin) if twin else None, "error": None}


# ---- the evaluator (one component: answer pages and layer pages) -------------------------------

_CHOICE_PART = re.compile(r"'[^']*'|bool|None")


def _choices(type_text: str) -> list[dict] | None:
    """Suggestions (a datalist) when a parameter takes one of a few values ('valid' | 'same', bool, ... | None)."""
    parts = [p.strip() for p in type_text.split("|")]
    if not parts or not all(_CHOICE_PART.fullmatch(p) for p in parts):
        return None
    values: list = []
    for p in parts:
        if p == "bool":
            values += [True, False]
        elif p == "None":
            values.append(None)
        else:
            values.append(p[1:-1])
    out = []
    for v in values:
        text = v if isinstance(v, str) else format_value(v)  # a choice reads back bare (see choice_words)
        if not any(o["value"] == text for o in out):
            out.append({"value": text, "label": text})
    return out


def choice_words(type_text: str) -> frozenset[str]:
    """The strings a choice parameter takes ("'valid' | 'same'"): typed bare, they stay strings (GELU's 'none')."""
    return frozenset(re.findall(r"'([^']*)'", type_text or ""))


def _form_field(err_field: str | None, names: set[str]) -> str | None:
    """Which form field an engine error belongs to: params.filters -> filters, input_shape[2] -> input_shape."""
    if not err_field:
        return None
    if err_field.startswith("input_shape"):
        return "input_shape"
    if err_field.startswith("params."):
        name = re.split(r"[.\[]", err_field[len("params.") :], maxsplit=1)[0]
        return name if name in names else None
    return None


def _show_default(value) -> str:
    return format_value(value) if expressible(value) else python_text(value)


def is_layer_param(type_text: str) -> bool:
    """A parameter that takes another layer ({layer, params}), such as Bidirectional's layer."""
    return type_text.startswith("{layer")


def parse_layer_field(spec: LayerSpec, name: str, text: str):
    """A field holding a wrapped layer as a call, such as LSTM(16, return_sequences=True); read like a tracer row."""
    stripped = text.strip()
    if not stripped:
        return MISSING
    if stripped.lower() in ("none", "null"):
        return None
    try:
        _, params = parse_row(spec.framework, spec.name, f"{name}={stripped}")
    except RowError as err:
        raise FormValueError(err.message.removeprefix("parameters: ")) from None
    if set(params) != {name} or not (params[name] is None or isinstance(params[name], dict)):
        raise FormValueError(f"write one layer call, such as LSTM(16); received {stripped[:60]!r}")
    return params[name]


def expressible(value) -> bool:
    """A value the evaluator's text fields can hold: a scalar or a flat list of scalars."""
    if isinstance(value, (list, tuple)):
        return all(expressible(v) and not isinstance(v, (list, tuple)) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def build_evaluator(
    spec: LayerSpec,
    *,
    params: dict,
    input_shape: list,
    args,
    action: str,
    example: str | None = None,
) -> dict:
    """The evaluator form, pre-filled with `params` and `input_shape`, and the engine's answer.

    A field submitted in `args` (the query string) replaces the pre-filled value; an empty field
    means the parameter's default; a field absent from the query keeps the pre-filled value. So
    the URL of a submitted form is a permalink. The answer is computed either way (the pre-filled
    example's answer shows before anything is changed, with or without JavaScript).
    """
    described = spec.describe()
    prefill = {}
    for key, value in (params or {}).items():
        target = spec.param_aliases.get(key, key)
        if isinstance(target, str):
            prefill[target] = value
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
            "value": format_value(input_shape) if input_shape is not None else "",
            "choices": None,
            "choice_words": [],
            "error": None,
        }
    ]
    for p in described["params"]:
        value = prefill.get(p["name"], None if p["required"] else p["default"])
        nested = is_layer_param(p["type"])
        shown = (p["name"] in prefill or not p["required"]) and (expressible(value) or nested)
        fields.append(
            {
                "name": p["name"],
                "label": p["name"],
                "type": p["type"],
                "required": p["required"],
                "default": None if p["required"] else _show_default(p["default"]),
                "meaning": p["meaning"],
                # A value the text field cannot hold (a nested tuple default) stays empty: the default applies.
                # A wrapped layer is written as a call: LSTM(units=16).
                "value": (python_text(value) if nested else format_value(value)) if shown else "",
                "nested": nested,
                "choices": _choices(p["type"]),
                "choice_words": sorted(choice_words(p["type"])),
                "error": None,
            }
        )
    by_name = {f["name"]: f for f in fields}
    out = {
        "framework": spec.framework,
        "layer": spec.name,
        "example": example,
        "action": action + "#evaluator",
        "api": _api_url("api.evaluate", "/api/v1/evaluate"),
        "fields": fields,
        "submitted": submitted,
        "result": None,
        "errors": [],
        "query": query,
        "permalink": action + _query(query) + "#evaluator" if submitted else None,
        # app.js reads a wrapped layer's call with the positional names of every layer
        "catalog": layer_catalog() if any(f.get("nested") for f in fields) else None,
    }
    for f in fields:
        if f["name"] in query:
            f["value"] = query[f["name"]]
    values, shape = {}, MISSING
    for f in fields:
        try:
            if f["name"] == "input_shape":
                shape = parse_shape(f["value"])
            elif f["nested"]:
                value = parse_layer_field(spec, f["name"], f["value"])
                if value is not MISSING:
                    values[f["name"]] = value
            else:
                value = parse_value(f["value"], choices=frozenset(f["choice_words"]))
                if value is not MISSING:
                    values[f["name"]] = list(value) if isinstance(value, tuple) else value
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
            spec.framework, spec.name, values, None if shape is MISSING else shape, substitute=True
        )
    except engine.ShapeError as err:
        target = _form_field(err.field, set(by_name))
        if target is not None:
            by_name[target]["error"] = err.message
        out["errors"].append({**err.as_dict(), "form_field": target})
    return out


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


def _layer_examples(spec: LayerSpec) -> list[Example]:
    """Evaluate examples of the content about this layer (the evaluator example of its question first)."""
    rows = db.session.scalars(
        sa.select(Example)
        .where(Example.kind == "evaluate", Example.framework == spec.framework)
        .order_by(Example.is_evaluator.desc(), Example.question_id, Example.position)
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


def _question_keys() -> dict[str, set[int]]:
    """layer key -> ids of the questions about it or showing its formulas."""
    out: dict[str, set[int]] = {}
    lt = LayerType.__table__
    for qid, fw, name in db.session.execute(
        sa.select(question_layers.c.question_id, lt.c.framework, lt.c.name).join(
            lt, lt.c.id == question_layers.c.layer_type_id
        )
    ):
        out.setdefault(f"{fw}/{name}", set()).add(qid)
    for qid, key in db.session.execute(sa.select(FormulaLink.question_id, FormulaLink.engine_key)):
        out.setdefault(key, set()).add(qid)
    return out


def layers_index_data(args) -> dict:
    """Every layer, by framework then category; ?framework= and ?category= narrow the list."""
    framework = (args.get("framework") or "").strip().lower()
    category = (args.get("category") or "").strip().lower()
    if framework == "torch":
        framework = "pytorch"
    counts = {k: len(v) for k, v in _question_keys().items()}
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


def _questions_for(spec: LayerSpec) -> list[dict]:
    ids = _question_keys().get(spec.key, set())
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Question.slug, Question.title, Question.summary).where(Question.id.in_(ids)).order_by(Question.title)
    )
    return [
        {"slug": slug, "title": title, "summary": summary, "url": url_for("pages.question", slug=slug)}
        for slug, title, summary in rows
    ]


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
    shape, params, example = layer_prefill(spec)
    page_url = layer_url(spec.framework, spec.name)
    evaluator = build_evaluator(spec, params=params, input_shape=shape, args=args, action=page_url, example=example)
    twin = equivalent_spec(spec)
    described = spec.describe()
    trace_query = {
        "framework": spec.framework,
        "input_shape": format_value(shape),
        "layer": spec.name,
        "params": _call_args(params),
    }
    query = evaluator["query"] if evaluator else {}
    return {
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
        "questions": _questions_for(spec),
        "evaluator": evaluator,
        "trace_url": url_for("trace.index") + _query(trace_query),
        "links": {
            "html": page_url,
            "json": url_for("layers.layer_json", framework=spec.framework, name=spec.name) + _query(query),
            "api": _api_url("api.layers", "/api/v1/layers") + f"/{spec.framework}/{spec.name}",
        },
    }


def layers_index(as_json: bool = False):
    return respond(layers_index_data(request.args), "layers.html", as_json)


def layer(framework: str, name: str, as_json: bool = False):
    try:
        spec = engine.get_layer(framework, name)
    except engine.ShapeError as err:
        abort(404, description=err.message)
    if (spec.framework, spec.name) != (framework, name):  # an alias or another spelling: the canonical page
        endpoint = "layers.layer_json" if as_json else "layers.layer"
        target = url_for(endpoint, framework=spec.framework, name=spec.name)
        return redirect(target + _query(request.args.to_dict(flat=False)), 301)
    data = layer_data(spec, request.args)
    evaluator = data["evaluator"]
    status = 400 if evaluator and evaluator["submitted"] and evaluator["errors"] else 200
    return respond(data, "layer.html", as_json, status)


layers_bp.add_url_rule("/layers", "index", layers_index)
layers_bp.add_url_rule("/layers.json", "index_json", layers_index, defaults={"as_json": True})
layers_bp.add_url_rule("/layers/<layername:framework>/<layername:name>", "layer", layer)
layers_bp.add_url_rule(
    "/layers/<layername:framework>/<layername:name>.json", "layer_json", layer, defaults={"as_json": True}
)


# ---- the tracer -----------------------------------------------------------------------------------

MAX_ROWS = 200
MAX_EXAMPLE_POSITION = 10_000  # ?example=<slug>:<position>; positions are small, and must fit the database
MAX_PARAMS_TEXT = 2000
_LAYER_NAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]{0,60}\.){0,4}[A-Za-z_][A-Za-z0-9_]{0,99}")


def python_text(value) -> str:
    """A parameter value the way Python code spells it: 'same', None, True, (3, 3), LSTM(units=4)."""
    return py_literal(value, layer_calls=True)


def _call_args(params: dict) -> str:
    """{'filters': 64, 'padding': 'same'} -> "filters=64, padding='same'" (what the parameters field holds)."""
    return call_args_filter(params, layer_calls=True)


class RowError(Exception):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def parse_row(framework: str, layer_text: str, params_text: str) -> tuple[LayerSpec, dict]:
    """One row of the tracer's table: the layer's declaration and its parameters (read by engine.snippet)."""
    name = layer_text.strip()
    if not name:
        raise RowError("choose a layer type", "layer")
    if not _LAYER_NAME.fullmatch(name):
        raise RowError(f"{name[:60]!r} is not a layer name", "layer")
    try:
        spec = engine.get_layer(framework, name)
    except engine.ShapeError as err:
        raise RowError(err.message, "layer") from None
    text = params_text.strip()
    if not text:
        return spec, {}
    if len(text) > MAX_PARAMS_TEXT:
        raise RowError(f"parameters: at most {MAX_PARAMS_TEXT} characters", "params")
    try:  # the call is read with ast (literals only), never run
        parsed = parse_snippet(f"{spec.name}(\n{text}\n)", spec.framework)
    except engine.ShapeError as err:
        raise RowError(f"parameters: {err.message.replace('snippet', 'text')}", "params") from None
    if len(parsed["layers"]) != 1 or parsed["layers"][0]["line"] != 1:
        raise RowError("parameters: write keyword arguments such as units=64, padding='same'", "params")
    if parsed["notes"]:
        raise RowError("parameters: " + "; ".join(n.split(": ", 1)[-1] for n in parsed["notes"]), "params")
    return spec, parsed["layers"][0]["params"]


def _layer_names(framework: str) -> list[str]:
    return [s.name for s in engine.layers(framework)]


@lru_cache(maxsize=1)
def layer_catalog() -> dict:
    """framework -> lower-case name or alias -> {name, positional}: lets app.js read positional arguments."""
    out: dict = {fw: {} for fw in FRAMEWORKS}
    for spec in engine.layers():
        legacy = spec.options.get("legacy_positional", {})
        for n in (spec.name, *spec.aliases):
            out[spec.framework][n.lower()] = {"name": spec.name, "positional": list(legacy.get(n) or spec.positional)}
    return out


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


def _framework_arg(raw: str | None, default: str = "keras") -> tuple[str, str | None]:
    text = (raw or "").strip()
    if not text:
        return default, None
    try:
        return framework_name(text), None
    except engine.ShapeError as err:
        return default, err.message


def trace_data(args, form=None) -> dict:
    """The tracer: the table of layers from the query string (or a pasted snippet), and the trace of it."""
    source = form if form is not None else args
    framework, framework_error = _framework_arg(source.get("framework"))
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
            params_texts = [_call_args(item["params"]) for item in parsed["layers"]][:MAX_ROWS]
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
            params_texts = [_call_args(item.get("params") or {}) for item in req["layers"]]

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
        "api": _api_url("api.trace", "/api/v1/trace"),
        "links": {
            "html": url_for("trace.index") + _query(query),
            "json": url_for("trace.index_json") + _query(query),
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


trace_bp.add_url_rule("/trace", "index", trace_page, methods=["GET", "POST"])
trace_bp.add_url_rule("/trace.json", "index_json", trace_page, methods=["GET", "POST"], defaults={"as_json": True})


# ---- search ---------------------------------------------------------------------------------------

MAX_QUERY = 200
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
    words = search_module.terms(q)
    if len(q.split()) > len(words):
        notes.append(f"Only the first {len(words)} words were searched.")
    layer = (args.get("layer") or "").strip()[:100]
    framework, fw_error = _framework_arg(args.get("framework"), default="")
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


search_bp.add_url_rule("/search", "index", search_page)
search_bp.add_url_rule("/search.json", "index_json", search_page, defaults={"as_json": True})
