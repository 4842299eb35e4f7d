"""Request validation for the REST API: bounded JSON parsing and the shape of each request body.

Everything here runs before the engine sees a request. It only checks JSON types and sizes; whether
a configuration makes sense (ranks, kernel sizes, unknown layers, 1..2**31 ranges) is the engine's
call, answered as 422 with the engine's own code. No user string is ever evaluated: values are
passed on as plain Python data.

The JSON Schemas below are the same rules written down for the OpenAPI document (kb/openapi.py).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import accumulate

from engine.api import MAX_RANK, MAX_TRACE_LAYERS
from engine.spec import MAX_INT
from engine.symbols import SYMBOL_NAME

MAX_BODY_BYTES = 256 * 1024  # 413 above this
MAX_DEPTH = 32  # nesting of arrays/objects in a request body
MAX_STRING = 256  # characters in any string of a body (keys included) or a query parameter
MAX_NUMBER_CHARS = 40  # digits of a JSON number literal
MAX_QUERY = 2000  # characters of a search query (a pasted traceback fits; kb.search_query reads it)
MAX_PAGE = 10_000


class RequestError(Exception):
    """A request the API cannot read: answered with `status` (400 unless said) and a stable code."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 400, layer_index=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.layer_index = layer_index


# ---- bounded JSON parsing ---------------------------------------------------------------------

_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_NUMBER_CHARS + 1))
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _split_strings(raw: bytes) -> tuple[bytes, list[bytes]]:
    """(the text outside JSON strings, the raw contents of the strings), with C-level bytes operations.

    Escaped backslashes go first, then escaped quotes: what is left of '"' delimits the strings.
    """
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    parts = text.split(b'"')
    return b"".join(parts[::2]), parts[1::2]


def _deeper_than(outside: bytes, limit: int) -> bool:
    brackets = outside.translate(None, _NOT_BRACKET)
    running = accumulate(map(_STEP.__getitem__, brackets))  # lazy: stops at the first level past the limit
    return next(filter(limit.__lt__, running), None) is not None


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """True if a JSON text nests arrays/objects more than `limit` deep, found without parsing it.

    Brackets inside strings do not count. Every step is a C-level bytes operation (replace, split,
    join, translate, then a lazy running sum), so a 256 KiB body of brackets or quotes is measured
    in milliseconds, long before json.loads could recurse into it.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    return _deeper_than(_split_strings(raw)[0], limit)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise RequestError(
            "number_too_long", f"a number in the body has {len(text)} characters; at most {MAX_NUMBER_CHARS}"
        )
    value = float(text)
    if not math.isfinite(value):
        raise RequestError("invalid_number", f"{text[:40]} is not a finite number")
    return value


def _reject_constant(text: str):
    raise RequestError("invalid_number", f"{text} is not JSON: numbers must be finite")


def _check_strings(value, where: str) -> None:
    """Every string (object keys too) at most MAX_STRING characters; depth is already bounded."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise RequestError(
                "string_too_long", f"{where} is {len(value)} characters long; at most {MAX_STRING}", where
            )
        _check_unicode(value, where)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _check_strings(item, f"{where}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_STRING:
                raise RequestError(
                    "string_too_long", f"a key of {where} is {len(key)} characters long; at most {MAX_STRING}", where
                )
            _check_unicode(key, where)
            _check_strings(item, f"{where}.{key}")


def _check_unicode(text: str, where: str) -> None:
    """JSON's \\ud800 escapes can spell lone surrogates, which are not text: refuse them."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise RequestError(
                "invalid_json", f"a string in {where} holds a lone surrogate (\\uD800-\\uDFFF)", where
            ) from None


def parse_body(raw: bytes):
    """The request body as JSON data, or RequestError (400) if it is not small, shallow, valid JSON.

    Depth, number length and string length are first judged on the raw bytes (C-level operations);
    the walk over the parsed data (string lengths, lone surrogates) runs only when the bytes say a
    string might break a rule.
    """
    if not raw or not raw.strip():
        raise RequestError("invalid_json", "the request body is empty; send a JSON object")
    outside, strings = _split_strings(raw)
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper_than(outside, MAX_DEPTH):
        raise RequestError("too_deep", f"the JSON body is nested more than {MAX_DEPTH} levels deep")
    if _LONG_NUMBER.search(outside):
        raise RequestError("number_too_long", f"a number in the body has more than {MAX_NUMBER_CHARS} digits")
    try:
        data = json.loads(raw, parse_float=_parse_float, parse_constant=_reject_constant)
    except RequestError:
        raise
    except json.JSONDecodeError as err:
        raise RequestError(
            "invalid_json", f"the body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except (ValueError, RecursionError) as err:  # bad UTF-8, or anything json.loads refuses
        raise RequestError("invalid_json", f"the body is not valid JSON: {str(err)[:120]}") from None
    # A string never has more characters than its bytes in the body; lone surrogates need an escape.
    if max(map(len, strings), default=0) > MAX_STRING or _SURROGATE_ESCAPE.search(raw):
        _check_strings(data, "body")
    return data


# ---- request bodies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluateRequest:
    framework: str
    layer: str
    params: dict
    input_shape: list
    substitute: bool


@dataclass(frozen=True)
class TraceRequest:
    framework: str
    input_shape: list
    layers: list


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _wrong(field: str, want: str, value, layer_index=None) -> RequestError:
    return RequestError(
        "invalid_type", f"{field} must be {want}, received {_type_name(value)}", field, layer_index=layer_index
    )


def _object(body, allowed: set[str], required: tuple[str, ...], where: str = "body", layer_index=None) -> dict:
    if not isinstance(body, dict):
        raise _wrong(where, "a JSON object", body, layer_index)
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestError(
            "unexpected_field",
            f"unexpected field(s) {', '.join(map(repr, unknown))}; expected {', '.join(sorted(allowed))}",
            f"{where}.{unknown[0]}" if where != "body" else unknown[0],
            layer_index=layer_index,
        )
    for name in required:
        if name not in body:
            field = name if where == "body" else f"{where}.{name}"
            raise RequestError("missing_field", f"{field} is required", field, layer_index=layer_index)
    return body


def _string(body: dict, name: str, field: str, layer_index=None) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise _wrong(field, "a string", value, layer_index)
    return value


def _params(body: dict, field: str, layer_index=None) -> dict:
    value = body.get("params")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(field, "an object of keyword arguments", value, layer_index)
    return value


def _shape(body: dict) -> list:
    value = body["input_shape"]
    if not isinstance(value, list):
        raise _wrong("input_shape", "an array of dimensions", value)
    for n, dim in enumerate(value):
        if not (dim is None or isinstance(dim, str) or (isinstance(dim, int) and not isinstance(dim, bool))):
            raise _wrong(f"input_shape[{n}]", "an integer, null (unknown) or a symbol name", dim)
    return value


def evaluate_request(body) -> EvaluateRequest:
    """Check the types of a POST /evaluate body."""
    _object(body, {"framework", "layer", "params", "input_shape", "substitute"}, ("framework", "layer", "input_shape"))
    substitute = body.get("substitute", False)
    if not isinstance(substitute, bool):
        raise _wrong("substitute", "true or false", substitute)
    return EvaluateRequest(
        framework=_string(body, "framework", "framework"),
        layer=_string(body, "layer", "layer"),
        params=_params(body, "params"),
        input_shape=_shape(body),
        substitute=substitute,
    )


def trace_request(body) -> TraceRequest:
    """Check the types of a POST /trace body (the engine rejects more than MAX_TRACE_LAYERS layers)."""
    _object(body, {"framework", "input_shape", "layers"}, ("framework", "input_shape", "layers"))
    framework = _string(body, "framework", "framework")
    shape = _shape(body)
    layers = body["layers"]
    if not isinstance(layers, list):
        raise _wrong("layers", "an array of {layer, params}", layers)
    checked = []
    if len(layers) <= MAX_TRACE_LAYERS:  # longer lists go straight to the engine's too_many_layers
        for n, item in enumerate(layers):
            where = f"layers[{n}]"
            _object(item, {"layer", "params"}, ("layer",), where, layer_index=n)
            checked.append(
                {"layer": _string(item, "layer", f"{where}.layer", n), "params": _params(item, f"{where}.params", n)}
            )
    else:
        checked = layers
    return TraceRequest(framework=framework, input_shape=shape, layers=checked)


# ---- query strings ------------------------------------------------------------------------------


def page_number(raw: str | None) -> int:
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise RequestError(
            "invalid_page", f"page must be an integer from 1 to {MAX_PAGE}, received {raw[:20]!r}", "page"
        )
    return int(raw)


def query_string(raw: str | None, name: str, limit: int = MAX_STRING) -> str:
    value = (raw or "").strip()
    if len(value) > limit:
        raise RequestError("string_too_long", f"{name} is {len(value)} characters long; at most {limit}", name)
    if "\x00" in value:
        raise RequestError("invalid_query", f"{name} holds a NUL character", name)
    return value


# ---- JSON Schemas (used by kb/openapi.py) -----------------------------------------------------

FRAMEWORK_NAMES = ["keras", "pytorch", "torch"]

DIM_IN = {
    "description": "A dimension: a positive integer, null for an unknown size (kept as null), or a symbol "
    "name such as H (affected output dimensions come back as expressions).",
    "type": ["integer", "null", "string"],
    "minimum": 1,
    "maximum": MAX_INT,
    "pattern": f"^{SYMBOL_NAME.pattern}$",
}
DIM_OUT = {
    "description": "An integer, null (unknown) or an expression over the symbols you sent, e.g. floor((H - 1)/2) + 1.",
    "type": ["integer", "null", "string"],
}
SHAPE_IN = {"type": "array", "items": {"$ref": "#/components/schemas/DimIn"}, "minItems": 1, "maxItems": MAX_RANK}
SHAPE_OUT = {"type": "array", "items": {"$ref": "#/components/schemas/DimOut"}}
COUNT = {
    "description": "A parameter count: an integer, null if it depends on an unknown dimension, or an expression.",
    "type": ["integer", "null", "string"],
}
FRAMEWORK_IN = {
    "type": "string",
    "enum": FRAMEWORK_NAMES,
    "description": "'keras' or 'pytorch' ('torch' is accepted too).",
}
LAYER_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 100,
    "description": "A layer name or alias as the framework spells it: Conv2D, Convolution2D, nn.Conv2d, conv2d.",
}
PARAMS = {
    "type": ["object", "null"],
    "description": "Constructor keyword arguments, spelled as the framework spells them (Keras 1/2 names accepted).",
    "additionalProperties": True,
}

EVALUATE_REQUEST = {
    "type": "object",
    "required": ["framework", "layer", "input_shape"],
    "additionalProperties": False,
    "properties": {
        "framework": {"$ref": "#/components/schemas/Framework"},
        "layer": {"$ref": "#/components/schemas/LayerName"},
        "params": {"$ref": "#/components/schemas/Params"},
        "input_shape": {"$ref": "#/components/schemas/ShapeIn"},
        "substitute": {
            "type": "boolean",
            "default": False,
            "description": "Also return every formula with your numbers put in.",
        },
    },
}
TRACE_REQUEST = {
    "type": "object",
    "required": ["framework", "input_shape", "layers"],
    "additionalProperties": False,
    "properties": {
        "framework": {"$ref": "#/components/schemas/Framework"},
        "input_shape": {"$ref": "#/components/schemas/ShapeIn"},
        "layers": {
            "type": "array",
            "maxItems": MAX_TRACE_LAYERS,
            "items": {
                "type": "object",
                "required": ["layer"],
                "additionalProperties": False,
                "properties": {
                    "layer": {"$ref": "#/components/schemas/LayerName"},
                    "params": {"$ref": "#/components/schemas/Params"},
                },
            },
        },
    },
}
