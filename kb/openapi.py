"""The OpenAPI 3.1 document of /api/v1, built in Python; its examples are real engine answers.

spec() is built once per process (the engine's layers are registered at import time) and served at
/api/v1/openapi.json; /api/v1/docs renders the same dict as plain HTML (kb/templates/api_docs.html).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from werkzeug.http import HTTP_STATUS_CODES

import engine
from engine import ShapeError
from engine.api import MAX_TRACE_LAYERS
from engine.explain import FAMILIES
from kb import api_schemas as schemas
from kb.components import FieldsError, evaluate_fields, read_call
from kb.content import FAMILIES as ENTRY_FAMILIES
from kb.search import PAGE_SIZE

VERSION = "1.0.0"
PREFIX = "/api/v1"


def pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, example=None, media: str = "application/json") -> dict:
    body = {"schema": schema}
    if example is not None:
        body["example"] = example
    return {media: body}


# ---- examples, computed by the engine -------------------------------------------------------------

EVALUATE_EXAMPLE = {
    "framework": "keras",
    "layer": "Conv1D",
    "params": {"filters": 64, "kernel_size": 3, "padding": "same"},
    "input_shape": [None, 10, 32],
}
EVALUATE_SYMBOLIC_EXAMPLE = {
    "framework": "pytorch",
    "layer": "Conv2d",
    "params": {"in_channels": 3, "out_channels": 16, "kernel_size": 3, "stride": 2},
    "input_shape": [None, 3, "H", "W"],
}
EVALUATE_REJECTED_EXAMPLE = {
    "framework": "pytorch",
    "layer": "Conv2d",
    "params": {"in_channels": 3, "out_channels": 8, "kernel_size": 5},
    "input_shape": [1, 3, 4, 4],
}
EVALUATE_FIELDS_EXAMPLE = {
    "framework": "keras",
    "layer": "Conv1D",
    "fields": {"input_shape": "None, 10, 32", "filters": "64", "kernel_size": "3", "padding": "same"},
}
EVALUATE_UNREADABLE_EXAMPLE = {
    "framework": "keras",
    "layer": "Conv1D",
    "fields": {"input_shape": "None, (10", "filters": "6 4", "kernel_size": "3"},
}
TRACE_EXAMPLE = {
    "framework": "pytorch",
    "input_shape": [None, 3, 32, 32],
    "layers": [
        {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"layer": "Conv2d", "params": {"in_channels": 16, "out_channels": 32, "kernel_size": 3, "stride": 2}},
    ],
}
CODE_EXAMPLE = {
    "code": "from keras import Input, Model, layers\n\n"
    "inputs = Input(shape=(32, 32, 3))\n"
    "x = layers.Conv2D(16, 3, padding='same', activation='relu')(inputs)\n"
    "y = layers.Conv2D(16, 3, padding='same')(x)\n"
    "x = layers.add([x, y])\n"
    "x = layers.GlobalAveragePooling2D()(x)\n"
    "outputs = layers.Dense(10, activation='softmax')(x)\n"
    "model = Model(inputs, outputs)\n",
}
CODE_NEEDS_VALUE_EXAMPLE = {
    "code": "from keras import Sequential, layers\n\n"
    "model = Sequential([\n"
    "    layers.Input(shape=(x_train.shape[1],)),\n"
    "    layers.Dense(64, activation='relu'),\n"
    "    layers.Dense(10),\n"
    "])\n",
}
PARSE_CALL_EXAMPLE = {"framework": "keras", "layer": "Conv2D", "args": "32, (3, 3), strides=2, padding='same'"}
PARSE_CALL_REJECTED_EXAMPLE = {"framework": "keras", "layer": "Dense", "args": "units=n_classes"}
TRACE_REJECTED_EXAMPLE = {
    "framework": "keras",
    "input_shape": [None, 28, 28, 1],
    "layers": [
        {"layer": "Conv2D", "params": {"filters": 8, "kernel_size": 3}},
        {"layer": "Conv2D", "params": {"filters": 8, "kernel_size": 40}},
    ],
}


def problem_body(
    status: int,
    code: str,
    detail: str,
    field: str | None = None,
    layer_index: int | None = None,
    line: int | None = None,
    expression: str | None = None,
) -> dict:
    """An RFC 9457 problem document; `code`, `field`, `layer_index`, `line` and `expression` are ours (the engine's)."""
    out = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "field": field,
    }
    if layer_index is not None:
        out["layer_index"] = layer_index
    if line is not None:
        out["line"] = line
    if expression is not None:
        out["expression"] = expression
    return out


def fields_problem_body(errors: list[dict]) -> dict:
    """The 422 of evaluator fields the server cannot read: the first as detail and field, all of them in errors."""
    out = problem_body(422, "invalid_value", errors[0]["message"], errors[0]["field"])
    out["errors"] = [{"field": e["field"], "detail": e["reason"]} for e in errors]
    return out


def engine_problem_body(err: ShapeError) -> dict:
    """The 422 problem document of an engine error (the API's answer, and the examples here)."""
    details = getattr(err, "details", None) or {}
    expression = details.get("expression") if err.code == "needs_value" else None
    return problem_body(422, err.code, err.message, err.field, err.layer_index, getattr(err, "line", None), expression)


def _fields_answer(body: dict) -> dict:
    return evaluate_fields(body["framework"], body["layer"], body["fields"], body.get("substitute", False))


def _fields_problem(body: dict) -> dict:
    try:
        _fields_answer(body)
    except FieldsError as err:
        return fields_problem_body(err.errors)
    raise AssertionError("the example was meant to be rejected")  # pragma: no cover


def _engine_problem(call) -> dict:
    try:
        call()
    except ShapeError as err:
        return engine_problem_body(err)
    raise AssertionError("the example was meant to be rejected")  # pragma: no cover


def _examples() -> dict:
    def run(body):
        return engine.evaluate(
            body["framework"],
            body["layer"],
            body["params"],
            body["input_shape"],
            substitute=body.get("substitute", False),
        )

    return {
        "evaluate": run(EVALUATE_EXAMPLE),
        "evaluate_symbolic": run(EVALUATE_SYMBOLIC_EXAMPLE),
        "evaluate_rejected": _engine_problem(lambda: run(EVALUATE_REJECTED_EXAMPLE)),
        "evaluate_fields": _fields_answer(EVALUATE_FIELDS_EXAMPLE),
        "evaluate_unreadable": _fields_problem(EVALUATE_UNREADABLE_EXAMPLE),
        "trace": engine.trace(**TRACE_EXAMPLE),
        "trace_rejected": _engine_problem(lambda: engine.trace(**TRACE_REJECTED_EXAMPLE)),
        "trace_code": engine.trace_code(**CODE_EXAMPLE),
        "trace_code_needs_value": _engine_problem(lambda: engine.trace_code(**CODE_NEEDS_VALUE_EXAMPLE)),
        "trace_code_answered": engine.trace_code(**CODE_NEEDS_VALUE_EXAMPLE, values={"x_train.shape[1]": 784}),
        "parse_call": read_call(**PARSE_CALL_EXAMPLE),
        "parse_call_rejected": _engine_problem(lambda: read_call(**PARSE_CALL_REJECTED_EXAMPLE)),
    }


# ---- schemas --------------------------------------------------------------------------------------

RENDERED = {
    "type": "object",
    "required": ["text", "latex", "mathml"],
    "properties": {
        "text": {"type": "string", "example": "L_out = floor((L_in - d*(k - 1) - 1)/s) + 1"},
        "latex": {"type": "string"},
        "mathml": {"type": "string", "description": "A complete presentation-MathML <math> element."},
    },
}

SCHEMAS = {
    "Framework": schemas.FRAMEWORK_IN,
    "FrameworkName": {"type": "string", "enum": ["keras", "pytorch"]},
    "LayerName": schemas.LAYER_NAME,
    "Params": schemas.PARAMS,
    "DimIn": schemas.DIM_IN,
    "DimOut": schemas.DIM_OUT,
    "ShapeIn": schemas.SHAPE_IN,
    "ShapeOut": schemas.SHAPE_OUT,
    "Count": schemas.COUNT,
    "EvaluateRequest": schemas.EVALUATE_REQUEST,
    "TraceRequest": schemas.TRACE_REQUEST,
    "ExplainRequest": schemas.EXPLAIN_REQUEST,
    "ParseCallRequest": schemas.PARSE_CALL_REQUEST,
    "ParseCallResponse": {
        "type": "object",
        "required": ["framework", "layer", "params"],
        "properties": {
            "framework": _ref("FrameworkName"),
            "layer": {"type": "string", "description": "The canonical layer name."},
            "params": {
                "type": "object",
                "description": "Keyword arguments (positional ones named); a layer inside is {layer, params}.",
            },
        },
    },
    "Rendered": RENDERED,
    "Formula": {
        "description": "A general formula `target = expression`, in three renderings.",
        "allOf": [_ref("Rendered")],
        "type": "object",
        "required": ["key", "doc"],
        "properties": {"key": {"type": "string"}, "doc": {"type": "string"}},
    },
    "AppliedFormula": {
        "description": "A formula the answer used: where (which axis, or 'parameters') and with which values.",
        "allOf": [_ref("Formula")],
        "type": "object",
        "required": ["where", "values"],
        "properties": {
            "where": {"type": "string"},
            "values": {"type": "object", "additionalProperties": {"type": ["integer", "number", "string", "null"]}},
            "substituted": {"description": "Only with substitute: true.", "allOf": [_ref("Rendered")]},
        },
    },
    "EvaluateResponse": {
        "type": "object",
        "required": [
            "framework",
            "layer",
            "input_shape",
            "output_shape",
            "outputs",
            "param_count",
            "trainable_params",
            "weights",
            "formulas",
        ],
        "properties": {
            "framework": _ref("FrameworkName"),
            "layer": {"type": "string", "description": "The canonical layer name."},
            "params": {"type": "object", "description": "Every parameter after defaults and normalization."},
            "input_shape": _ref("ShapeOut"),
            "output_shape": _ref("ShapeOut"),
            "outputs": {"type": "object", "additionalProperties": _ref("ShapeOut")},
            "param_count": _ref("Count"),
            "trainable_params": _ref("Count"),
            "weights": {"type": "object", "additionalProperties": _ref("ShapeOut")},
            "formulas": {"type": "array", "items": _ref("AppliedFormula")},
        },
    },
    "TraceStep": {
        "type": "object",
        "required": ["index", "layer", "output_shape", "param_count"],
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "layer": {"type": "string", "description": "The layer type, or the operation (view, cat, add, ...)."},
            "name": {
                "type": "string",
                "description": "A model's code: the node's name (Keras-style or the attribute path).",
            },
            "inputs": {
                "type": "array",
                "items": {"type": "string"},
                "description": "A model's code: the names of the nodes (or model inputs) it is connected to.",
            },
            "params": {"type": "object"},
            "input_shape": {"oneOf": [_ref("ShapeOut"), {"type": "null"}]},
            "output_shape": {"oneOf": [_ref("ShapeOut"), {"type": "null"}]},
            "output_shapes": {"type": "array", "items": _ref("ShapeOut")},
            "param_count": _ref("Count"),
            "trainable_params": _ref("Count"),
            "macs": {
                "description": "A model's code: multiply-accumulates of one call, as torchinfo counts them.",
                "allOf": [_ref("Count")],
            },
            "line": {"type": ["integer", "null"], "description": "A model's code: the line of the call."},
        },
    },
    "NamedShape": {
        "type": "object",
        "required": ["name", "shape"],
        "properties": {"name": {"type": "string"}, "shape": {"oneOf": [_ref("ShapeOut"), {"type": "null"}]}},
    },
    "TraceResponse": {
        "type": "object",
        "required": ["layers", "output_shape", "total_params"],
        "properties": {
            "framework": _ref("FrameworkName"),
            "input_shape": {"oneOf": [_ref("ShapeOut"), {"type": "null"}]},
            "inputs": {"type": "array", "items": _ref("NamedShape"), "description": "A model's code: every input."},
            "layers": {"type": "array", "items": _ref("TraceStep")},
            "output_shape": {"oneOf": [_ref("ShapeOut"), {"type": "null"}]},
            "outputs": {
                "type": "array",
                "items": _ref("NamedShape"),
                "description": "A model's code: every output, in order (output_shape is the first).",
            },
            "total_params": _ref("Count"),
            "trainable_params": _ref("Count"),
            "non_trainable_params": _ref("Count"),
            "total_macs": _ref("Count"),
            "param_bytes": {"allOf": [_ref("Count")], "description": "The parameters as float32."},
            "activation_bytes": {
                "allOf": [_ref("Count")],
                "description": "Every node's outputs for one sample, as float32.",
            },
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What the reader left out that cannot change a shape.",
            },
        },
    },
    "LayerSummary": {
        "type": "object",
        "required": ["framework", "name", "key", "aliases", "category", "url"],
        "properties": {
            "framework": _ref("FrameworkName"),
            "name": {"type": "string"},
            "key": {"type": "string", "example": "keras/Conv1D"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "category": {"type": "string"},
            "equivalent": {"type": ["string", "null"], "description": "The matching layer of the other framework."},
            "url": {"type": "string"},
        },
    },
    "LayerList": {
        "type": "object",
        "required": ["layers", "total"],
        "properties": {
            "layers": {"type": "array", "items": _ref("LayerSummary")},
            "total": {"type": "integer", "minimum": 0},
        },
    },
    "Param": {
        "type": "object",
        "required": ["name", "type", "default", "meaning"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "example": "int | tuple[int, ...]"},
            "default": {"description": "null when required (see `required`) or when None is the default."},
            "required": {"type": "boolean"},
            "meaning": {"type": "string"},
        },
    },
    "LinkedQuestion": {
        "type": "object",
        "required": ["slug", "title", "url"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "api_url": {"type": "string"},
        },
    },
    "LayerDetail": {
        "type": "object",
        "required": ["framework", "name", "params", "formulas", "equivalent", "questions"],
        "properties": {
            "framework": _ref("FrameworkName"),
            "name": {"type": "string"},
            "key": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "category": {"type": "string"},
            "note": {"type": "string"},
            "input_ranks": {"type": "array", "items": {"type": "integer"}},
            "params": {"type": "array", "items": _ref("Param")},
            "param_aliases": {"type": "object", "additionalProperties": {"type": "string"}},
            "formulas": {
                "type": "object",
                "required": ["output_shape", "param_count"],
                "properties": {
                    "output_shape": {"type": "array", "items": _ref("Formula")},
                    "param_count": {"type": "array", "items": _ref("Formula")},
                },
            },
            "equivalent": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["framework", "name", "url"],
                        "properties": {
                            "framework": _ref("FrameworkName"),
                            "name": {"type": "string"},
                            "url": {"type": ["string", "null"]},
                        },
                    },
                ]
            },
            "questions": {"type": "array", "items": _ref("LinkedQuestion")},
            "url": {"type": "string"},
        },
    },
    "LayerRef": {
        "type": "object",
        "required": ["framework", "name"],
        "properties": {"framework": _ref("FrameworkName"), "name": {"type": "string"}},
    },
    "QuestionItem": {
        "type": "object",
        "required": ["slug", "title", "layers", "url", "snippet"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "layers": {"type": "array", "items": _ref("LayerRef")},
            "url": {"type": "string", "description": "The HTML page."},
            "api_url": {"type": "string"},
            "snippet": {
                "type": "string",
                "description": "HTML: escaped text with the matched words in <mark>; the summary when q is empty.",
            },
        },
    },
    "Facet": {
        "type": "object",
        "required": ["framework", "name", "key", "count"],
        "properties": {
            "framework": _ref("FrameworkName"),
            "name": {"type": "string"},
            "key": {"type": "string"},
            "count": {"type": "integer", "minimum": 1},
        },
    },
    "QuestionList": {
        "type": "object",
        "required": ["items", "total", "page", "facets"],
        "properties": {
            "items": {"type": "array", "maxItems": PAGE_SIZE, "items": _ref("QuestionItem")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "const": PAGE_SIZE},
            "facets": {
                "type": "object",
                "required": ["layers"],
                "properties": {"layers": {"type": "array", "items": _ref("Facet")}},
                "description": "Counts per layer type over every matching question (all pages).",
            },
        },
    },
    "Question": {
        "type": "object",
        "required": ["slug", "title", "summary", "question", "answer", "layers", "formulas", "examples", "url"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "source": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "question": {
                "type": "object",
                "required": ["markdown", "html"],
                "properties": {"markdown": {"type": "string"}, "html": {"type": "string"}},
            },
            "answer": {
                "type": "object",
                "required": ["markdown", "html"],
                "properties": {"markdown": {"type": "string"}, "html": {"type": "string"}},
            },
            "layers": {
                "type": "array",
                "items": {
                    "allOf": [_ref("LayerRef")],
                    "type": "object",
                    "properties": {"api_url": {"type": ["string", "null"]}},
                },
            },
            "formulas": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "framework", "layer"],
                    "properties": {
                        "key": {"type": "string"},
                        "framework": {"type": "string"},
                        "layer": {"type": "string"},
                        "api_url": {"type": ["string", "null"]},
                    },
                },
            },
            "examples": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "kind", "framework", "request", "expected", "evaluator"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string", "enum": ["evaluate", "trace"]},
                        "framework": {"type": "string"},
                        "request": {"type": "object", "description": "The body for `endpoint`."},
                        "expected": {"type": "object"},
                        "evaluator": {"type": "boolean"},
                        "endpoint": {"type": "string"},
                    },
                },
            },
            "sources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Public threads where the question is asked.",
            },
            "families": {
                "type": "array",
                "items": {"type": "string", "enum": list(ENTRY_FAMILIES)},
                "description": "The families of shape errors it answers, the main one first.",
            },
            "errors": {
                "type": "array",
                "description": "The error messages it answers, as the framework prints them.",
                "items": {
                    "type": "object",
                    "required": ["framework", "versions", "message"],
                    "properties": {
                        "framework": _ref("FrameworkName"),
                        "versions": {"type": ["string", "null"], "example": "0.4-1.7"},
                        "message": {"type": "string"},
                    },
                },
            },
            "related": {"type": "array", "items": _ref("LinkedQuestion")},
            "url": {"type": "string"},
            "created_at": {"type": ["string", "null"]},
            "updated_at": {"type": ["string", "null"]},
        },
    },
    "Problem": {
        "description": "RFC 9457 problem details; `code`, `field` and `layer_index` are the engine's.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code", "field"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "The engine's message, repeating what was received."},
            "code": {"type": "string", "pattern": "^[a-z0-9_]+$", "example": "kernel_too_large"},
            "field": {"type": ["string", "null"], "example": "params.kernel_size"},
            "layer_index": {"type": "integer", "minimum": 0, "description": "Only for /trace: the failing layer."},
            "line": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "Only for /trace of a model's code: the line the error is about.",
            },
            "expression": {
                "type": "string",
                "description": "Only for needs_value: the expression to give a value for (send it back in values).",
            },
            "errors": {
                "type": "array",
                "description": "Only for /evaluate with fields: every field the server cannot read, with the reason.",
                "items": {
                    "type": "object",
                    "required": ["field", "detail"],
                    "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    },
}


def _problem(description: str, example: dict) -> dict:
    return {"description": description, "content": _json(_ref("Problem"), example, "application/problem+json")}


RESPONSES = {
    "BadRequest": _problem(
        "The body is not JSON, too deeply nested, or has a wrong type (codes: invalid_json, too_deep, "
        "string_too_long, number_too_long, invalid_number, invalid_type, missing_field, unexpected_field, "
        "invalid_page, invalid_query).",
        problem_body(400, "invalid_type", "input_shape must be an array of dimensions, received string", "input_shape"),
    ),
    "NotFound": _problem(
        "No such resource.", problem_body(404, "not_found", "no API resource at /api/v1/nothing; see /api/v1/docs")
    ),
    "MethodNotAllowed": _problem(
        "The path exists, the method does not.",
        problem_body(405, "method_not_allowed", "GET is not allowed here; allowed: OPTIONS, POST"),
    ),
    "TooLarge": _problem(
        f"The body is larger than {schemas.MAX_BODY_BYTES} bytes.",
        problem_body(413, "body_too_large", f"the request body is larger than {schemas.MAX_BODY_BYTES} bytes"),
    ),
    "UnsupportedMediaType": _problem(
        "The body was not sent as JSON: Content-Type must be application/json (or another +json type).",
        problem_body(
            415,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json; received 'text/plain'",
            "Content-Type",
        ),
    ),
    "Unprocessable": _problem(
        "A configuration the framework would reject (or an unknown layer/framework), with the engine's code and message.",
        problem_body(
            422, "unknown_layer", "keras has no layer 'Conv2d'; did you mean Conv1D, Conv2D, Conv3D?", "layer"
        ),
    ),
    "NotModified": {"description": "The ETag sent in If-None-Match still matches: use the cached copy."},
}

HEADERS = {
    "ETag": {"description": "A hash of the body; send it back in If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, max-age=300", "schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {"description": "Always *", "schema": {"type": "string"}},
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier answer: 304 if the answer has not changed.",
    "schema": {"type": "string"},
}


def _get_ok(description: str, schema: dict, example=None, media: str = "application/json") -> dict:
    return {
        "description": description,
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS},
        "content": _json(schema, example, media),
    }


def _err(*names: str) -> dict:
    codes = {
        "BadRequest": "400",
        "NotFound": "404",
        "MethodNotAllowed": "405",
        "TooLarge": "413",
        "UnsupportedMediaType": "415",
        "Unprocessable": "422",
    }
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


def _paths(ex: dict) -> dict:
    post_errors = _err("BadRequest", "MethodNotAllowed", "TooLarge", "UnsupportedMediaType", "Unprocessable")
    framework_query = {
        "name": "framework",
        "in": "query",
        "required": False,
        "description": "Only this framework's layers.",
        "schema": _ref("Framework"),
    }
    return {
        f"{PREFIX}/evaluate": {
            "post": {
                "operationId": "evaluate",
                "tags": ["engine"],
                "summary": "Evaluate one layer",
                "description": "Output shape(s), parameter counts, weight shapes and every formula applied (text, "
                "LaTeX, MathML). null dimensions stay unknown; a string dimension is a symbol and the affected "
                "output dimensions come back as expressions. substitute: true adds each formula with your numbers "
                "put in.\n\nOr send the evaluator form's fields as text (fields): the server reads them as the "
                "page does without JavaScript, so a page needs no reader of its own; a field it cannot read is a "
                "422 invalid_value with every such field in errors.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("EvaluateRequest"),
                            "examples": {
                                "conv1d": {"summary": "Keras Conv1D, padding='same'", "value": EVALUATE_EXAMPLE},
                                "symbolic": {"summary": "PyTorch Conv2d on H x W", "value": EVALUATE_SYMBOLIC_EXAMPLE},
                                "rejected": {
                                    "summary": "A kernel larger than the input",
                                    "value": EVALUATE_REJECTED_EXAMPLE,
                                },
                                "fields": {
                                    "summary": "The evaluator's fields, as text",
                                    "value": EVALUATE_FIELDS_EXAMPLE,
                                },
                                "unreadable": {
                                    "summary": "Fields the server cannot read",
                                    "value": EVALUATE_UNREADABLE_EXAMPLE,
                                },
                            },
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The layer's answer.",
                        "headers": {
                            "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}
                        },
                        "content": {
                            "application/json": {
                                "schema": _ref("EvaluateResponse"),
                                "examples": {
                                    "conv1d": {"value": ex["evaluate"]},
                                    "symbolic": {"value": ex["evaluate_symbolic"]},
                                    "fields": {"value": ex["evaluate_fields"]},
                                },
                            }
                        },
                    },
                    **post_errors,
                    "422": {
                        "description": "A configuration the framework would reject, or fields the server cannot read.",
                        "content": {
                            "application/problem+json": {
                                "schema": _ref("Problem"),
                                "examples": {
                                    "rejected": {"value": ex["evaluate_rejected"]},
                                    "unreadable": {"value": ex["evaluate_unreadable"]},
                                },
                            }
                        },
                    },
                },
            }
        },
        f"{PREFIX}/trace": {
            "post": {
                "operationId": "trace",
                "tags": ["engine"],
                "summary": "Trace a stack of layers, or a model's code",
                "description": f"A stack of layers (framework, input_shape, layers): each layer's output shape and "
                f"parameter count, in order (at most {MAX_TRACE_LAYERS} layers); the first layer that does not fit "
                "is a 422 with its layer_index.\n\nA model's code (code, at most "
                f"{schemas.MAX_CODE_CHARS:,} characters): a Keras Sequential or functional model, or a PyTorch "
                "nn.Module with its forward, read with Python's parser (nothing runs) into a graph; each node's "
                "name, inputs (connected to), output shape(s), parameters, multiply-accumulates and line, every "
                "output, and the totals (trainable and non-trainable parameters, parameter and activation bytes "
                "as float32, MACs). Anything on the tensor's path the reader cannot follow is a 422 naming the "
                "line (unsupported_construct); a node that does not fit is a 422 with its layer_index and line; "
                "a value that comes from data (x_train.shape[1]) is a 422 needs_value with the expression: send "
                "the request again with values: {expression: value}. A model with no input shape in its code "
                "needs input_shape (needs_input_shape), or input_shapes for several inputs.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("TraceRequest"),
                            "examples": {
                                "cnn": {"summary": "Two PyTorch convolutions", "value": TRACE_EXAMPLE},
                                "model": {
                                    "summary": "A Keras functional model with a residual add",
                                    "value": CODE_EXAMPLE,
                                },
                                "rejected": {
                                    "summary": "A kernel that no longer fits",
                                    "value": TRACE_REJECTED_EXAMPLE,
                                },
                                "needs_value": {
                                    "summary": "A size that comes from the data",
                                    "value": CODE_NEEDS_VALUE_EXAMPLE,
                                },
                                "answered": {
                                    "summary": "The same, with its value",
                                    "value": {**CODE_NEEDS_VALUE_EXAMPLE, "values": {"x_train.shape[1]": 784}},
                                },
                            },
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Every layer's (node's) shape and the totals.",
                        "headers": {
                            "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}
                        },
                        "content": {
                            "application/json": {
                                "schema": _ref("TraceResponse"),
                                "examples": {
                                    "cnn": {"value": ex["trace"]},
                                    "model": {"value": ex["trace_code"]},
                                    "answered": {"value": ex["trace_code_answered"]},
                                },
                            }
                        },
                    },
                    **post_errors,
                    "422": {
                        "description": "The first layer that does not fit (layer_index; line for code), a construct "
                        "the reader cannot follow, or a value it needs (needs_value, with the expression).",
                        "content": {
                            "application/problem+json": {
                                "schema": _ref("Problem"),
                                "examples": {
                                    "rejected": {"value": ex["trace_rejected"]},
                                    "needs_value": {"value": ex["trace_code_needs_value"]},
                                },
                            }
                        },
                    },
                },
            }
        },
        f"{PREFIX}/parse-call": {
            "post": {
                "operationId": "parseCall",
                "tags": ["engine"],
                "summary": "Read the arguments of a layer call",
                "description": "The keyword arguments of one layer call written as Python text (positional "
                "arguments named, a layer inside written as {layer, params}), read with Python's parser, "
                "literals and simple integer arithmetic only: nothing runs. It is the reading the pages use for "
                "the tracer's rows and a wrapper's layer field (the grammar lives in one place, engine.snippet). "
                "An argument that is not a literal is a 422 (invalid_call) naming it.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("ParseCallRequest"),
                            "examples": {
                                "conv2d": {
                                    "summary": "Keras Conv2D, positional and keyword",
                                    "value": PARSE_CALL_EXAMPLE,
                                },
                                "rejected": {"summary": "A name, not a literal", "value": PARSE_CALL_REJECTED_EXAMPLE},
                            },
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The arguments, by name.",
                        "headers": {
                            "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}
                        },
                        "content": _json(_ref("ParseCallResponse"), ex["parse_call"]),
                    },
                    **post_errors,
                    "422": _problem("An unknown layer, or arguments that are not literals.", ex["parse_call_rejected"]),
                },
            }
        },
        f"{PREFIX}/layers": {
            "get": {
                "operationId": "listLayers",
                "tags": ["reference"],
                "summary": "Every layer the engine knows",
                "parameters": [framework_query, IF_NONE_MATCH],
                "responses": {
                    "200": _get_ok("The layers, sorted by framework and name.", _ref("LayerList")),
                    "304": {"$ref": "#/components/responses/NotModified"},
                    **_err("BadRequest", "Unprocessable"),
                },
            }
        },
        f"{PREFIX}/layers/{{framework}}/{{name}}": {
            "get": {
                "operationId": "getLayer",
                "tags": ["reference"],
                "summary": "One layer: parameters, formulas, equivalent, questions",
                "description": "Parameters (name, type, default, meaning), the output-shape and parameter-count "
                "formulas (text, LaTeX, MathML), the equivalent layer of the other framework and the questions "
                "about it. Any alias works as the name.",
                "parameters": [
                    {
                        "name": "framework",
                        "in": "path",
                        "required": True,
                        "schema": _ref("Framework"),
                        "example": "keras",
                    },
                    {"name": "name", "in": "path", "required": True, "schema": _ref("LayerName"), "example": "Conv1D"},
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "200": _get_ok("The layer.", _ref("LayerDetail")),
                    "304": {"$ref": "#/components/responses/NotModified"},
                    **_err("NotFound"),
                },
            }
        },
        f"{PREFIX}/questions": {
            "get": {
                "operationId": "searchQuestions",
                "tags": ["questions"],
                "summary": "Search the questions",
                "description": f"Full text over titles, questions, answers and the error messages each entry "
                f"answers, ranked, with highlighted excerpts; filtered by layer type (any alias, either framework) "
                f"and framework; {PAGE_SIZE} per page; facet counts per layer type. `q` may be a few words (every word "
                f"must match; Keras and PyTorch spellings such as Dense and Linear count as one) or a pasted error "
                f"message or traceback (its message is read; numbers, paths and traceback lines are ignored). A query "
                f"of four words or more that matches nothing with every word is answered with the questions matching "
                f"any of them, best first.",
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": schemas.MAX_QUERY},
                        "example": "same padding",
                    },
                    {
                        "name": "layer",
                        "in": "query",
                        "required": False,
                        "description": "A layer name or alias: Conv1D, Convolution1D, conv1d.",
                        "schema": {"type": "string", "maxLength": 100},
                        "example": "Conv1D",
                    },
                    {**framework_query, "description": "Only questions about this framework's layers."},
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_PAGE, "default": 1},
                    },
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "200": _get_ok("One page of matching questions.", _ref("QuestionList")),
                    "304": {"$ref": "#/components/responses/NotModified"},
                    **_err("BadRequest", "Unprocessable"),
                },
            }
        },
        f"{PREFIX}/questions/{{slug}}": {
            "get": {
                "operationId": "getQuestion",
                "tags": ["questions"],
                "summary": "One whole entry",
                "parameters": [
                    {
                        "name": "slug",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9-]{3,80}$"},
                        "example": "keras-conv1d-output-shape",
                    },
                    IF_NONE_MATCH,
                ],
                "responses": {
                    "200": _get_ok(
                        "The question, its curated answer, layers, formulas and examples.", _ref("Question")
                    ),
                    "304": {"$ref": "#/components/responses/NotModified"},
                    **_err("NotFound"),
                },
            }
        },
        f"{PREFIX}/openapi.json": {
            "get": {
                "operationId": "openapi",
                "tags": ["meta"],
                "summary": "This document (OpenAPI 3.1)",
                "parameters": [IF_NONE_MATCH],
                "responses": {
                    "200": _get_ok("The OpenAPI document.", {"type": "object"}),
                    "304": {"$ref": "#/components/responses/NotModified"},
                },
            }
        },
        f"{PREFIX}/docs": {
            "get": {
                "operationId": "docs",
                "tags": ["meta"],
                "summary": "This document as an HTML page",
                "parameters": [IF_NONE_MATCH],
                "responses": {
                    "200": _get_ok("Plain HTML, no scripts.", {"type": "string"}, media="text/html"),
                    "304": {"$ref": "#/components/responses/NotModified"},
                },
            }
        },
    }


EXPLAIN_EXAMPLE = {"message": "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"}
EXPLAIN_FIX = {
    "type": "object",
    "required": ["description", "change", "verified"],
    "properties": {
        "description": {"type": "string"},
        "change": {
            "type": "object",
            "description": "Machine-readable: {layer, params} (a layer's arguments), {input_shape} (the size to "
            "feed), an inserted layer, and with code the `edits` made to it.",
        },
        "verified": {
            "type": "boolean",
            "description": "True only when the model code was given, changed this way, traced, and runs through.",
        },
        "check": {
            "type": "object",
            "description": "Without code: the changed layer evaluated alone on the message's shape (runs, "
            "output_shape, param_count).",
        },
        "trace": {"type": "object", "description": "With code: the input shape traced and its output (or error)."},
    },
}
EXPLAIN_ANSWER = {
    "type": "object",
    "required": [
        "framework",
        "family",
        "numbers",
        "summary",
        "explanation",
        "layer",
        "fixes",
        "formulas",
        "questions",
    ],
    "properties": {
        "framework": {"type": ["string", "null"], "enum": ["keras", "pytorch", None]},
        "family": {"type": "string", "enum": list(FAMILIES)},
        "recognised": {"type": "boolean"},
        "matched": {"type": ["string", "null"], "description": "Which known wording the message matched."},
        "numbers": {"type": "object", "description": "What the message says, by name (expected, received, ...)."},
        "summary": {"type": "string"},
        "explanation": {
            "type": "string",
            "description": "Markdown: the layer, the formula with the numbers, why, usual causes.",
        },
        "layer_type": {"type": ["object", "null"]},
        "layer": {
            "type": ["object", "null"],
            "description": "With code: the node that fails (index, name, type, line, input_shape, message).",
        },
        "fixes": {"type": "array", "items": EXPLAIN_FIX},
        "formulas": {
            "type": "array",
            "items": {"type": "object"},
            "description": "From the engine: text, LaTeX, MathML.",
        },
        "notes": {"type": "array", "items": {"type": "string"}},
        "trace": {"type": "object", "description": "With code: the input shapes tried, the one fed, the graph."},
        "questions": {
            "type": "array",
            "items": {"type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": "string"}}},
            "description": "Knowledge-base entries on this family, most relevant first.",
        },
    },
}


def _explain_paths() -> dict:
    """POST /explain; its example is the engine's own answer (entries depend on the knowledge base loaded)."""
    example = {**engine.explain(EXPLAIN_EXAMPLE["message"]), "questions": []}
    return {
        f"{PREFIX}/explain": {
            "post": {
                "operationId": "explain",
                "tags": ["engine"],
                "summary": "Explain a pasted shape error",
                "description": "The error's family and numbers, an explanation with the layer's formula, fixes "
                "(checked on the layer, or with `code` verified by tracing the changed model), the failing layer "
                f"when code is given, and the entries on it. message and code: at most {schemas.MAX_EXPLAIN_TEXT:,} "
                "characters each. Nothing sent is run.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _ref("ExplainRequest"),
                            "examples": {"linear": {"summary": "A Linear layer's mismatch", "value": EXPLAIN_EXAMPLE}},
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The explanation (an unknown message is answered too, family 'unknown').",
                        "headers": {
                            "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"}
                        },
                        "content": _json(EXPLAIN_ANSWER, example),
                    },
                    **_err("BadRequest", "MethodNotAllowed", "TooLarge", "Unprocessable"),
                },
            }
        }
    }


@lru_cache(maxsize=1)
def _build() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ShapeKB API",
            "version": VERSION,
            "summary": "Neural-network shape formulas, exact and tested.",
            "description": "Evaluate a Keras or PyTorch layer (output shape, parameter count, weights and the "
            "formulas applied, in text, LaTeX and MathML), trace a stack of layers, browse the layer reference "
            "and search the questions. Every error is application/problem+json with a stable `code`: 400 for a "
            "body that is not JSON or has wrong types, 422 for a configuration the framework would reject, "
            f"404, 405, 413 above {schemas.MAX_BODY_BYTES // 1024} KiB, and 415 for a POST body not sent as "
            "application/json. GET answers carry an ETag and "
            "Cache-Control: public, max-age=300. CORS is open: every endpoint is read-only.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/", "description": "This server"}],
        "tags": [
            {"name": "engine", "description": "The shape engine"},
            {"name": "reference", "description": "Every layer and its formulas"},
            {"name": "questions", "description": "The knowledge base"},
            {"name": "meta", "description": "This API's description"},
        ],
        "paths": {**_paths(_examples()), **_explain_paths()},
        "components": {"schemas": SCHEMAS, "responses": RESPONSES, "headers": HEADERS},
    }


def spec() -> dict:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_build())
