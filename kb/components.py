"""Shared by the page families: formulas with a legend, the evaluator, reading a layer call, URL helpers.

kb.layer_pages, kb.trace_page, kb.search_page and kb.views_data (the answer pages) build on these.
Nothing here runs user text: form values are read by kb.formvalues (by hand), layer parameters by
engine.snippet (ast, literals only).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlencode

import sympy as sp
from flask import current_app, url_for

import engine
from engine.registry import framework_name
from engine.render import to_mathml
from engine.snippet import parse_snippet
from engine.spec import LayerSpec
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape, parse_value
from kb.web import call_args_filter, py_literal

OTHER_FRAMEWORK = {"keras": "pytorch", "pytorch": "keras"}
FRAMEWORK_LABELS = {"keras": "Keras", "pytorch": "PyTorch"}


def query_string(values: dict) -> str:
    """A query string ("?a=1&b=2"), or "" when there is nothing to add."""
    return "?" + urlencode(values, doseq=True) if values else ""


def api_url(endpoint: str, fallback: str) -> str:
    """The URL of an API endpoint, or its documented path when the API blueprint is not registered."""
    return url_for(endpoint) if endpoint in current_app.view_functions else fallback


def layer_url(framework: str, name: str) -> str:
    """The reference page of one layer."""
    return url_for("layers.layer", framework=framework, name=name)


def framework_arg(raw: str | None, default: str = "keras") -> tuple[str, str | None]:
    """A framework field (keras, pytorch, torch, ...) -> (framework, None), or (default, the error message)."""
    text = (raw or "").strip()
    if not text:
        return default, None
    try:
        return framework_name(text), None
    except engine.ShapeError as err:
        return default, err.message


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


def read_fields(spec: LayerSpec, texts: dict[str, str]) -> tuple[dict, object, list[dict]]:
    """The evaluator's text fields -> (parameter values, input shape or MISSING, errors), as the server reads them.

    The one reader of the fields, for the page without JavaScript and for app.js (which sends the texts to
    POST /api/v1/evaluate as "fields"): kb.formvalues for values and shapes, engine.snippet for a wrapped
    layer's call. Each error: code, message (naming the field), reason, field (as the engine names it), form_field.
    """
    kinds = {p["name"]: p["type"] for p in spec.describe()["params"]}
    values: dict = {}
    shape = MISSING
    errors: list[dict] = []
    for name, text in texts.items():
        try:
            if name == "input_shape":
                shape = parse_shape(text)
                continue
            kind = kinds.get(name, "")
            if is_layer_param(kind):
                value = parse_layer_field(spec, name, text)
            else:
                value = parse_value(text, choices=choice_words(kind))
            if value is not MISSING:
                values[name] = list(value) if isinstance(value, tuple) else value
        except FormValueError as err:
            errors.append(
                {
                    "code": "invalid_value",
                    "message": f"{name}: {err.message}",
                    "reason": err.message,
                    "field": name if name == "input_shape" else f"params.{name}",
                    "form_field": name,
                }
            )
    return values, shape, errors


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
        "api": api_url("api.evaluate", "/api/v1/evaluate"),
        "fields": fields,
        "submitted": submitted,
        "result": None,
        "errors": [],
        "query": query,
        "permalink": action + query_string(query) + "#evaluator" if submitted else None,
        "nested": any(f.get("nested") for f in fields),
    }
    for f in fields:
        if f["name"] in query:
            f["value"] = query[f["name"]]
    values, shape, errors = read_fields(spec, {f["name"]: f["value"] for f in fields})
    for error in errors:
        by_name[error["form_field"]]["error"] = error.pop("reason")
        out["errors"].append(error)
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


# ---- reading a layer call (the tracer's rows, the evaluator's wrapped layers) ----------------------

MAX_PARAMS_TEXT = 2000
_LAYER_NAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]{0,60}\.){0,4}[A-Za-z_][A-Za-z0-9_]{0,99}")


def python_text(value) -> str:
    """A parameter value the way Python code spells it: 'same', None, True, (3, 3), LSTM(units=4)."""
    return py_literal(value, layer_calls=True)


def call_args(params: dict) -> str:
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


class FieldsError(Exception):
    """Fields the server cannot read (POST /api/v1/evaluate with "fields"): every error, as read_fields gives them."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message"])
        self.errors = errors


def evaluate_fields(framework: str, layer: str, texts: dict[str, str], substitute: bool = False) -> dict:
    """engine.evaluate of the evaluator's text fields, read as the page reads them; FieldsError if one cannot be read."""
    spec = engine.get_layer(framework, layer)
    values, shape, errors = read_fields(spec, texts)
    if errors:
        raise FieldsError(errors)
    return engine.evaluate(
        spec.framework, spec.name, values, None if shape is MISSING else shape, substitute=substitute
    )


def read_call(framework: str, layer: str, args: str) -> dict:
    """POST /api/v1/parse-call: {framework, layer, params} of one call's arguments, or ShapeError (invalid_call)."""
    spec = engine.get_layer(framework, layer)
    try:
        _, params = parse_row(spec.framework, spec.name, args)
    except RowError as err:
        raise engine.ShapeError("invalid_call", err.message.removeprefix("parameters: "), "args") from None
    return {"framework": spec.framework, "layer": spec.name, "params": params}
