"""What every page shares: one respond() for HTML and JSON twins, error pages, nav, filters, headers, favicon."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

# The site's navigation: an entry appears once its endpoint exists (blueprints that land later
# add theirs here, e.g. ("search.index", "Search")).
NAV = [
    ("pages.index", "Home"),
    ("layers.index", "Layers"),
    ("trace.index", "Trace"),
    ("search.index", "Search"),
    ("explain.index", "Explain an error"),
]

SECURITY_HEADERS = {
    # No inline scripts or styles, nothing from another origin; pages need no JavaScript.
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def wants_json() -> bool:
    """The .json twin of a page, or anything under the JSON API."""
    return request.path.endswith(".json") or request.path.startswith("/api/")


def respond(data: dict, template: str, as_json: bool, status: int = 200):
    """The one way a page answers: the same dict, rendered as HTML or returned as JSON."""
    if as_json:
        return jsonify(data), status
    return render_template(template, page=data), status


def error_response(status: int, title: str, message: str):
    data = {"error": message, "status": status, "title": title}
    return respond(data, "error.html", wants_json(), status)


def _handle_http(err: HTTPException):
    if isinstance(err, InternalServerError):
        original = getattr(err, "original_exception", None)
        if original is not None:
            current_app.logger.error("unhandled error on %s", request.path, exc_info=original)
        return error_response(500, "Internal Server Error", "Something went wrong on our side; the error was logged.")
    message = err.description or err.name
    if err.code == 404 and message == type(err).description:
        message = "There is no page at this address."
    if err.code == 413:
        limit, parts = request.max_content_length, current_app.config.get("MAX_FORM_PARTS")
        if limit and parts:
            message = f"The request is larger than a page accepts: at most {limit:,} bytes and {parts} form fields."
    response = error_response(err.code or 500, err.name, message)
    if err.code == 405 and getattr(err, "valid_methods", None):
        body, status = response
        return body, status, {"Allow": ", ".join(err.valid_methods)}
    return response


def small_number(text: str | None, maximum: int) -> int | None:
    """A query parameter that must be a count or position: ASCII digits up to `maximum`, else None.

    str.isdigit() also accepts '²' or '①', which int() refuses, and int() of 5,000 digits raises; the
    length is bounded before converting."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def nav_links() -> list[dict]:
    endpoint = request.endpoint or ""
    out = []
    for target, label in NAV:
        if target in current_app.view_functions:
            base = endpoint.split("_json")[0]
            # A layer's page is under Layers: the blueprint decides, except for Home (pages.*).
            current = base == target or (target != "pages.index" and base.split(".")[0] == target.split(".")[0])
            out.append({"endpoint": target, "label": label, "current": current})
    return out


def shape_filter(shape) -> str:
    """[None, 10, 64] -> (None, 10, 64), the way Keras prints shapes."""
    if not isinstance(shape, (list, tuple)):
        return str(shape)
    inner = ", ".join("None" if v is None else str(v) for v in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def number_filter(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "None" if value is None else str(value)


def py_literal(value, layer_calls: bool = False) -> str:
    """A JSON value the way Python code spells it: 'same', None, True, (3, 3).

    With `layer_calls`, a dict holding "layer" is a nested layer: {"layer": "LSTM", "params": {...}} -> LSTM(...).
    """
    if layer_calls and isinstance(value, dict) and "layer" in value:
        return f"{value['layer']}({call_args_filter(value.get('params') or {}, layer_calls)})"
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py_literal(v, layer_calls) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{py_literal(k, layer_calls)}: {py_literal(v, layer_calls)}" for k, v in value.items())
            + "}"
        )
    return repr(value)


def call_args_filter(params: dict | None, layer_calls: bool = False) -> str:
    """{'filters': 64, 'padding': 'same'} -> filters=64, padding='same'."""
    return ", ".join(f"{k}={py_literal(v, layer_calls)}" for k, v in (params or {}).items())


def show_filter(value, key: str = "") -> str:
    """A value of an example's `expect` (or the engine's answer) as text."""
    if isinstance(value, dict):
        return "; ".join(f"{name} {shape_filter(v)}" for name, v in value.items())
    if key == "layer_shapes" and isinstance(value, list):
        return " → ".join(shape_filter(v) for v in value)
    if key == "layer_params" and isinstance(value, list):
        return ", ".join(number_filter(v) for v in value)
    if isinstance(value, list):
        return shape_filter(value)
    return number_filter(value)


def trusted_markup(html: str | None) -> Markup:
    """HTML we produced ourselves: SymPy's MathML, or Markdown sanitized with nh3 at sync time."""
    return Markup(html or "")


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


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    for code in default_exceptions:  # by code too, so that a blueprint wrapping a code's handler finds this one
        app.register_error_handler(code, _handle_http)
    app.add_template_filter(shape_filter, "shape")
    app.add_template_filter(number_filter, "num")
    app.add_template_filter(trusted_markup, "trusted")
    app.add_template_filter(call_args_filter, "call_args")
    app.add_template_filter(show_filter, "show")
    app.context_processor(lambda: {"nav_links": nav_links})
    app.add_url_rule("/favicon.ico", "favicon", _favicon)

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
