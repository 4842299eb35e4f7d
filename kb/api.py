"""The REST API (blueprint 'api', /api/v1): the engine over HTTP, the layer reference and question search.

Every error under /api/ is application/problem+json (RFC 9457) with the engine's code and message:
422 for a configuration the framework would reject, 400 for a body that is not JSON or has wrong
types, 404, 405, 413, and 415 for a body not sent as application/json. GET answers carry an ETag and may be cached for five minutes; CORS is open
(every endpoint is read-only, the POSTs included).
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, default_exceptions

import engine
from engine import ShapeError
from engine.registry import framework_name
from kb import api_schemas as schemas
from kb import openapi, search
from kb.components import FieldsError, evaluate_fields, read_call
from kb.content import SLUG_RE

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

API_PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"
CACHE_CONTROL = "public, max-age=300"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, If-None-Match",
    "Access-Control-Max-Age": "86400",
}
OTHER_FRAMEWORK = {"keras": "pytorch", "pytorch": "keras"}


# ---- responses ----------------------------------------------------------------------------------


def json_response(data, status: int = 200, mimetype: str = "application/json") -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body + "\n", status=status, mimetype=mimetype)


def problem(status: int, code: str, detail: str, field: str | None = None, layer_index: int | None = None) -> Response:
    """An RFC 9457 problem document; `code`, `field` and `layer_index` are ours (the engine's)."""
    return json_response(openapi.problem_body(status, code, detail, field, layer_index), status, PROBLEM_JSON)


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def status_problem(status: int, valid_methods=None, description: str | None = None) -> Response:
    """The problem document for an HTTP error status (404, 405, 413, ...)."""
    code = _HTTP_CODES.get(status, "server_error" if status >= 500 else "http_error")
    if status == 404:
        detail = f"no API resource at {request.path[:200]}; see /api/v1/docs"
    elif status == 405:
        detail = f"{request.method} is not allowed here; allowed: {', '.join(sorted(valid_methods or []))}"
    elif status == 413:
        detail = f"the request body is larger than {schemas.MAX_BODY_BYTES} bytes"
    elif status >= 500:
        detail = "the server failed to answer; the error was logged"
    else:
        detail = description or ""
    response = problem(status, code, detail)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(sorted(valid_methods))
    return response


def http_problem(err: HTTPException) -> Response:
    return status_problem(err.code or 500, getattr(err, "valid_methods", None), err.description)


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


# ---- hooks and error handlers ---------------------------------------------------------------------


@bp.before_request
def _limit_body():
    """413 before anything reads a body larger than MAX_BODY_BYTES.

    A streamed (chunked) body has no Content-Length: reading stops one byte past the limit, which
    _read_json() answers with 413 as well.
    """
    request.max_content_length = schemas.MAX_BODY_BYTES + 1
    if request.content_length is not None and request.content_length > schemas.MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


@bp.errorhandler(ShapeError)
def _shape_error(err: ShapeError):
    """422; a model's code adds the line, and a needs_value question the expression to give a value for."""
    return json_response(openapi.engine_problem_body(err), 422, PROBLEM_JSON)


@bp.errorhandler(FieldsError)
def _fields_error(err: FieldsError):
    return json_response(openapi.fields_problem_body(err.errors), 422, PROBLEM_JSON)


@bp.errorhandler(schemas.RequestError)
def _request_error(err: schemas.RequestError):
    return problem(err.status, err.code, err.message, err.field, err.layer_index)


@bp.errorhandler(search.SearchError)
def _search_error(err: search.SearchError):
    return problem(err.status, err.code, err.message, err.field)


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    return http_problem(err)


@bp.errorhandler(Exception)
def _unexpected(err: Exception):
    if isinstance(err, HTTPException):  # pragma: no cover (handled above)
        return http_problem(err)
    current_app.logger.exception("unhandled error in %s %s", request.method, request.path)
    return problem(500, "server_error", "the server failed to answer; the error was logged")


def _cacheable(response: Response) -> Response:
    """ETag (a hash of the body) and Cache-Control on successful GETs; 304 on a matching If-None-Match."""
    if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.direct_passthrough:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.vary.add("Accept-Encoding")
        response.make_conditional(request)
    return response


@bp.after_request
def _finish(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT_HEADERS)
    return _cacheable(response)


def _app_after_request(response: Response) -> Response:
    """Safety net for /api paths that never reached the blueprint (routing 404/405, 413): problem JSON."""
    if not _is_api_request():
        return response
    if response.status_code >= 400 and response.mimetype != PROBLEM_JSON:
        allow = [m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()]
        response = status_problem(response.status_code, allow)
    response.headers.update(CORS_HEADERS)
    return response


def _wrap_app_handler(app, code: int) -> None:
    """An app-level handler for `code`: problem JSON under /api/, the app's own handler (if any) elsewhere."""
    previous = app.error_handler_spec[None][code].get(default_exceptions[code])

    def handler(err):
        if _is_api_request():
            return http_problem(err)
        return previous(err) if previous is not None else err

    app.register_error_handler(code, handler)


@bp.record_once
def _install_app_hooks(state) -> None:
    app = state.app
    for code in (404, 405, 413):
        _wrap_app_handler(app, code)
    app.after_request(_app_after_request)


# ---- request bodies -----------------------------------------------------------------------------


def _read_json():
    # Only a JSON media type: a form or text/plain body is a "simple" cross-origin request that any web
    # page could make its visitors' browsers send without a preflight (CORS is open for reading).
    if not request.is_json:
        received = request.mimetype or "none"
        raise schemas.RequestError(
            "unsupported_media_type",
            f"send the body as JSON with Content-Type: application/json; received {received[:100]!r}",
            "Content-Type",
            status=415,
        )
    raw = request.get_data(cache=False)  # at most MAX_BODY_BYTES + 1 bytes (see _limit_body)
    if len(raw) > schemas.MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    return schemas.parse_body(raw)


# ---- engine endpoints ------------------------------------------------------------------------------


@bp.post("/evaluate")
def evaluate():
    """One layer: output shape(s), parameter counts, weight shapes and the formulas applied."""
    req = schemas.evaluate_request(_read_json())
    if req.fields is not None:
        return json_response(evaluate_fields(req.framework, req.layer, req.fields, req.substitute))
    result = engine.evaluate(req.framework, req.layer, req.params, req.input_shape, substitute=req.substitute)
    return json_response(result)


@bp.post("/trace")
def trace():
    """A stack of layers: every layer's output shape and parameters; the first misfit names its index."""
    req = schemas.trace_request(_read_json())
    if isinstance(req, schemas.CodeTraceRequest):
        answer = engine.trace_code(
            req.code, req.framework, input_shape=req.input_shape, input_shapes=req.input_shapes, values=req.values
        )
        return json_response(answer)
    return json_response(engine.trace(req.framework, req.input_shape, req.layers))


@bp.post("/explain")
def explain():
    """A pasted shape error: its family, numbers, explanation, formulas, fixes, and the entries on it."""
    from kb.explain_page import explain_answer

    req = schemas.explain_request(_read_json())
    return json_response(explain_answer(req.message, req.code, req.framework, req.input_shape))


@bp.post("/parse-call")
def parse_call():
    """The arguments of one layer call, as the server reads them (engine.snippet: ast, literals only).

    The pages ask this instead of carrying a parser of their own: one grammar, in engine/.
    """
    req = schemas.parse_call_request(_read_json())
    return json_response(read_call(req.framework, req.layer, req.args))


# ---- layer reference ------------------------------------------------------------------------------


def _layer_url(framework: str, name: str) -> str:
    return url_for("api.layer", framework=framework, name=name)


def _layer_summary(spec) -> dict:
    return {
        "framework": spec.framework,
        "name": spec.name,
        "key": spec.key,
        "aliases": list(spec.aliases),
        "category": spec.category,
        "equivalent": spec.equivalent,
        "url": _layer_url(spec.framework, spec.name),
    }


def _framework_arg():
    raw = request.args.get("framework")
    return None if raw is None else framework_name(schemas.query_string(raw, "framework"))


@bp.get("/layers")
def layers():
    """Every layer the engine knows, optionally of one framework."""
    items = [_layer_summary(spec) for spec in engine.layers(_framework_arg())]
    return json_response({"layers": items, "total": len(items)})


def _equivalent(spec) -> dict | None:
    if not spec.equivalent:
        return None
    other = OTHER_FRAMEWORK[spec.framework]
    try:
        twin = engine.get_layer(other, spec.equivalent)
    except ShapeError:  # declared but not (yet) in the engine
        return {"framework": other, "name": spec.equivalent, "url": None}
    return {"framework": other, "name": twin.name, "url": _layer_url(other, twin.name)}


@bp.get("/layers/<framework>/<name>")
def layer(framework: str, name: str):
    """A layer's parameters, its formulas (text, LaTeX, MathML), its twin in the other framework, its questions."""
    try:
        spec = engine.get_layer(framework, name)
    except ShapeError as err:
        return problem(404, err.code, err.message, err.field)
    described = spec.describe()
    shape_formulas, count_formulas = [], []
    for formula in spec.formulas:
        (count_formulas if formula.target.name == "P" else shape_formulas).append(formula.rendered)
    body = {
        "framework": spec.framework,
        "name": spec.name,
        "key": spec.key,
        "aliases": described["aliases"],
        "category": described["category"],
        "note": described["note"],
        "input_ranks": described["input_ranks"],
        "params": described["params"],
        "param_aliases": described["param_aliases"],
        "formulas": {"output_shape": shape_formulas, "param_count": count_formulas},
        "equivalent": _equivalent(spec),
        "questions": search.questions_for_layer(spec.framework, spec.name),
        "url": _layer_url(spec.framework, spec.name),
    }
    return json_response(body)


# ---- questions ------------------------------------------------------------------------------------


@bp.get("/questions")
def questions():
    """Full-text search over titles, questions and answers, filtered by layer type and framework."""
    args = request.args
    result = search.search(
        q=schemas.query_string(args.get("q"), "q", schemas.MAX_QUERY),
        layer=schemas.query_string(args.get("layer"), "layer", 100) or None,
        framework=_framework_arg(),
        page=schemas.page_number(args.get("page")),
    )
    return json_response(result)


@bp.get("/questions/<slug>")
def question(slug: str):
    """The whole entry: question and answer (Markdown and sanitized HTML), layers, formulas, examples."""
    entry = search.get_question(slug) if SLUG_RE.fullmatch(slug) else None
    if entry is None:
        return problem(404, "unknown_question", f"no question with slug {slug[:100]!r}", "slug")
    return json_response(entry)


# ---- the API's own description ----------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_json():
    return json_response(openapi.spec())


@bp.get("/docs")
def docs():
    home = url_for("pages.index") if "pages.index" in current_app.view_functions else "/"
    html = render_template("api_docs.html", spec=openapi.spec(), pretty=openapi.pretty, home=home)
    return current_app.response_class(html, mimetype="text/html")
