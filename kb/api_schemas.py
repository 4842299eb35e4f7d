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
MAX_INPUTS = 16  # input_shapes of one pasted model
MAX_CODE_CHARS = 20_000  # a pasted model (POST /trace "code"): bounded by this and the body, not MAX_STRING
MAX_ARGS_CHARS = 2_000  # the arguments of one layer call (POST /parse-call "args")
MAX_FIELDS = 64  # text fields of one evaluate request (a layer has at most a few dozen parameters)
MAX_VALUES = 100  # answers to needs_value questions in one trace request
MAX_EXPLAIN_TEXT = 20_000  # a pasted error message (POST /explain "message"); its "code" is MAX_CODE_CHARS
# Top-level strings allowed past MAX_STRING, and their own limits.
LONG_STRINGS = {"body.code": MAX_CODE_CHARS, "body.args": MAX_ARGS_CHARS, "body.message": MAX_EXPLAIN_TEXT}


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
        limit = LONG_STRINGS.get(where, MAX_STRING)
        if len(value) > limit:
            raise RequestError("string_too_long", f"{where} is {len(value)} characters long; at most {limit}", where)
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
    input_shape: list | None
    substitute: bool
    fields: dict | None = None  # the evaluator's text fields, read by the server (kb.components.read_fields)


@dataclass(frozen=True)
class TraceRequest:
    framework: str
    input_shape: list
    layers: list


@dataclass(frozen=True)
class CodeTraceRequest:
    """A pasted model: its code and what the reader may need besides (the input shape(s), data values)."""

    code: str
    framework: str | None
    input_shape: list | None
    input_shapes: list | None
    values: dict


@dataclass(frozen=True)
class ParseCallRequest:
    framework: str
    layer: str
    args: str


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
    return _shape_value(body["input_shape"], "input_shape")


def _shape_value(value, name: str) -> list:
    if not isinstance(value, list):
        raise _wrong(name, "an array of dimensions", value)
    for n, dim in enumerate(value):
        if not (dim is None or isinstance(dim, str) or (isinstance(dim, int) and not isinstance(dim, bool))):
            raise _wrong(f"{name}[{n}]", "an integer, null (unknown) or a symbol name", dim)
    return value


def evaluate_request(body) -> EvaluateRequest:
    """Check the types of a POST /evaluate body: params and input_shape as data, or the form's fields as text."""
    if isinstance(body, dict) and "fields" in body:
        _object(body, {"framework", "layer", "fields", "substitute"}, ("framework", "layer", "fields"))
    else:
        _object(
            body, {"framework", "layer", "params", "input_shape", "substitute"}, ("framework", "layer", "input_shape")
        )
    substitute = body.get("substitute", False)
    if not isinstance(substitute, bool):
        raise _wrong("substitute", "true or false", substitute)
    if "fields" in body:
        fields = body["fields"]
        if not isinstance(fields, dict):
            raise _wrong("fields", "an object of field name: text", fields)
        if len(fields) > MAX_FIELDS:
            raise RequestError("too_many_fields", f"at most {MAX_FIELDS} fields, received {len(fields)}", "fields")
        for name, text in fields.items():
            if not isinstance(text, str):
                raise _wrong(f"fields.{name}", "a string (the field's text)", text)
        return EvaluateRequest(
            framework=_string(body, "framework", "framework"),
            layer=_string(body, "layer", "layer"),
            params={},
            input_shape=None,
            substitute=substitute,
            fields=fields,
        )
    return EvaluateRequest(
        framework=_string(body, "framework", "framework"),
        layer=_string(body, "layer", "layer"),
        params=_params(body, "params"),
        input_shape=_shape(body),
        substitute=substitute,
    )


def trace_request(body) -> TraceRequest | CodeTraceRequest:
    """Check the types of a POST /trace body (the engine rejects more than MAX_TRACE_LAYERS layers).

    A body with "code" is a pasted model; any other is a stack of layers, as it always was.
    """
    if isinstance(body, dict) and "code" in body:
        return code_trace_request(body)
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


@dataclass(frozen=True)
class ExplainRequest:
    message: str
    code: str | None
    framework: str | None
    input_shape: list | None


def explain_request(body) -> ExplainRequest:
    """Check the types of a POST /explain body (the lengths were checked while parsing it)."""
    _object(body, {"message", "code", "framework", "input_shape"}, ("message",))
    message = _string(body, "message", "message")
    if not message.strip():
        raise RequestError("invalid_message", "message is empty: paste the error your framework printed", "message")
    code = body.get("code")
    if code is not None and not isinstance(code, str):
        raise _wrong("code", "a string", code)
    framework = body.get("framework")
    if framework is not None and not isinstance(framework, str):
        raise _wrong("framework", "a string", framework)
    shape = _shape(body) if body.get("input_shape") is not None else None
    return ExplainRequest(message=message, code=code, framework=framework, input_shape=shape)


def _value(value, field: str):
    """An answer to a needs_value question: a number, a boolean, a string, or an array of integers."""
    if isinstance(value, (bool, int, float, str)):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not -MAX_INT <= value <= MAX_INT:
            raise RequestError("invalid_value", f"{field} is out of range (at most {MAX_INT} either way)", field)
        return value
    if isinstance(value, list) and len(value) <= MAX_RANK:
        for n, item in enumerate(value):
            if not (item is None or (isinstance(item, int) and not isinstance(item, bool))):
                raise _wrong(f"{field}[{n}]", "an integer or null", item)
            if item is not None and not -MAX_INT <= item <= MAX_INT:
                raise RequestError(
                    "invalid_value", f"{field}[{n}] is out of range (at most {MAX_INT} either way)", field
                )
        return value
    raise _wrong(field, f"a number, a boolean, a string or an array of at most {MAX_RANK} integers", value)


def code_trace_request(body: dict) -> CodeTraceRequest:
    """Check the types of a POST /trace body that holds a model's code."""
    _object(body, {"code", "framework", "input_shape", "input_shapes", "values"}, ("code",))
    code = _string(body, "code", "code")
    if not code.strip():
        raise RequestError("invalid_value", "code is empty; paste a model's code", "code")
    framework = None if body.get("framework") is None else _string(body, "framework", "framework")
    if "input_shape" in body and "input_shapes" in body:
        raise RequestError(
            "conflicting_fields",
            "send input_shape (one input) or input_shapes (one per input), not both",
            "input_shapes",
        )
    input_shape = _shape(body) if "input_shape" in body else None
    input_shapes = None
    if "input_shapes" in body:
        shapes = body["input_shapes"]
        if not isinstance(shapes, list) or not 1 <= len(shapes) <= MAX_INPUTS:
            raise _wrong("input_shapes", f"an array of 1 to {MAX_INPUTS} shapes", shapes)
        input_shapes = [_shape_value(s, f"input_shapes[{n}]") for n, s in enumerate(shapes)]
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise _wrong("values", "an object of expression: value", values)
    if len(values) > MAX_VALUES:
        raise RequestError("too_many_values", f"at most {MAX_VALUES} values, received {len(values)}", "values")
    values = {key: _value(v, f"values.{key}") for key, v in values.items()}
    return CodeTraceRequest(code, framework, input_shape, input_shapes, values)


def parse_call_request(body) -> ParseCallRequest:
    """Check the types of a POST /parse-call body."""
    _object(body, {"framework", "layer", "args"}, ("framework", "layer", "args"))
    return ParseCallRequest(
        framework=_string(body, "framework", "framework"),
        layer=_string(body, "layer", "layer"),
        args=_string(body, "args", "args"),
    )


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

EVALUATE_PARAMS_REQUEST = {
    "title": "Parameters and an input shape, as data",
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
EXPLAIN_REQUEST = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {
        "message": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_EXPLAIN_TEXT,
            "description": "The error as the framework printed it, with or without its traceback.",
        },
        "code": {
            "type": ["string", "null"],
            "maxLength": MAX_EXPLAIN_TEXT,
            "description": "The model's code (Keras or PyTorch), read with Python's parser; nothing runs.",
        },
        "framework": {**FRAMEWORK_IN, "type": ["string", "null"], "enum": [*FRAMEWORK_NAMES, None]},
        "input_shape": {
            "type": ["array", "null"],
            "items": {"$ref": "#/components/schemas/DimIn"},
            "minItems": 1,
            "maxItems": MAX_RANK,
            "description": "The shape fed to the model (batch included), when code is given.",
        },
    },
}
EVALUATE_FIELDS_REQUEST = {
    "title": "The evaluator's text fields",
    "type": "object",
    "required": ["framework", "layer", "fields"],
    "additionalProperties": False,
    "properties": {
        "framework": {"$ref": "#/components/schemas/Framework"},
        "layer": {"$ref": "#/components/schemas/LayerName"},
        "fields": {
            "type": "object",
            "maxProperties": MAX_FIELDS,
            "additionalProperties": {"type": "string", "maxLength": MAX_STRING},
            "description": "Field name: its text, as the evaluator form holds it (input_shape such as None, 10, 32; "
            "a value such as 64, same, (3, 3), None, true; a wrapped layer as a call such as LSTM(16)). The server "
            "reads them as the page does without JavaScript (an empty field takes the default); a field it cannot "
            "read is a 422 invalid_value naming it, with every such field in errors.",
            "example": {"input_shape": "None, 10, 32", "filters": "64", "kernel_size": "3", "padding": "same"},
        },
        "substitute": {"type": "boolean", "default": False},
    },
}
EVALUATE_REQUEST = {
    "description": "A layer's parameters and input shape as JSON data, or the evaluator form's fields as text.",
    "oneOf": [EVALUATE_PARAMS_REQUEST, EVALUATE_FIELDS_REQUEST],
}
TRACE_STACK_REQUEST = {
    "title": "A stack of layers",
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
VALUE = {
    "description": "The value of an expression the reader cannot know (it comes from data), as the answer to a "
    "needs_value error: a number, a boolean, a string, or a shape as an array of integers.",
    "oneOf": [
        {"type": "number", "minimum": -MAX_INT, "maximum": MAX_INT},
        {"type": "boolean"},
        {"type": "string", "maxLength": MAX_STRING},
        {
            "type": "array",
            "maxItems": MAX_RANK,
            "items": {"type": ["integer", "null"], "minimum": -MAX_INT, "maximum": MAX_INT},
        },
    ],
}
TRACE_CODE_REQUEST = {
    "title": "A model's code",
    "type": "object",
    "required": ["code"],
    "additionalProperties": False,
    "not": {"required": ["input_shape", "input_shapes"]},
    "properties": {
        "code": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_CODE_CHARS,
            "description": "Keras or PyTorch model code as written (Sequential, the functional API, an nn.Module "
            "with its forward). Read with Python's parser; nothing runs. Counts against the body limit, not "
            f"the {MAX_STRING}-character limit of other strings.",
        },
        "framework": {
            "description": "'keras' or 'pytorch'; detected from the code when left out.",
            "anyOf": [{"$ref": "#/components/schemas/Framework"}, {"type": "null"}],
        },
        "input_shape": {
            "description": "The input's shape, batch first, when the code does not give it.",
            "$ref": "#/components/schemas/ShapeIn",
        },
        "input_shapes": {
            "description": "One shape per model input, in the order the code declares them.",
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_INPUTS,
            "items": {"$ref": "#/components/schemas/ShapeIn"},
        },
        "values": {
            "description": "Answers to needs_value errors: the expression as the error gave it, and its value.",
            "type": "object",
            "maxProperties": MAX_VALUES,
            "additionalProperties": VALUE,
            "example": {"x_train.shape[1]": 784},
        },
    },
}
TRACE_REQUEST = {
    "description": "Either a stack of layers (framework, input_shape, layers) or a model's code (code, and "
    "framework, input_shape or input_shapes, values when needed).",
    "oneOf": [TRACE_STACK_REQUEST, TRACE_CODE_REQUEST],
}
PARSE_CALL_REQUEST = {
    "type": "object",
    "required": ["framework", "layer", "args"],
    "additionalProperties": False,
    "properties": {
        "framework": {"$ref": "#/components/schemas/Framework"},
        "layer": {"$ref": "#/components/schemas/LayerName"},
        "args": {
            "type": "string",
            "maxLength": MAX_ARGS_CHARS,
            "description": "The call's arguments as Python text, such as 32, (3, 3), padding='same' or "
            "layer=LSTM(16, return_sequences=True). Literals and simple integer arithmetic only.",
        },
    },
}
