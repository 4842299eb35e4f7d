"""What every /api answer shares: problem+json errors (even before routing), CORS, ETags and caching."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.api.helpers import assert_problem

GETS = [
    "/api/v1/layers",
    "/api/v1/layers?framework=keras",
    "/api/v1/layers/keras/Dense",
    "/api/v1/questions?q=conv1d",
    "/api/v1/questions/dense-parameter-count",
    "/api/v1/openapi.json",
    "/api/v1/docs",
]


@pytest.mark.parametrize("path", GETS)
def test_get_answers_are_cacheable(api, path):
    r = api.get(path)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    again = api.get(path)
    assert again.headers["ETag"] == etag, "the same body gives the same ETag"
    cached = api.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.get_data() == b""
    assert cached.headers["ETag"] == etag
    assert api.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    head = api.head(path)
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_different_bodies_different_etags(api):
    assert (
        api.get("/api/v1/layers?framework=keras").headers["ETag"]
        != api.get("/api/v1/layers?framework=pytorch").headers["ETag"]
    )


@pytest.mark.parametrize("path", ["/api/v1/evaluate", "/api/v1/trace", "/api/v1/layers", "/api/v1/questions"])
def test_cors_preflight(api, path):
    r = api.options(
        path,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    assert int(r.headers["Access-Control-Max-Age"]) > 0


def test_cross_origin_post(api):
    r = api.post(
        "/api/v1/trace",
        json={"framework": "keras", "input_shape": [None, 4], "layers": [{"layer": "Dense", "params": {"units": 2}}]},
        headers={"Origin": "https://example.org"},
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/", "/api/v1", "/api/", "/api/v2/evaluate", "/api/v1/layers/keras/Dense/x"]
)
def test_unknown_paths_are_problem_json(api, path):
    assert_problem(api.get(path), 404, "not_found")
    assert_problem(api.post(path, json={}), 404, "not_found")


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/evaluate"),
        ("put", "/api/v1/evaluate"),
        ("delete", "/api/v1/trace"),
        ("post", "/api/v1/layers"),
        ("patch", "/api/v1/questions/dense-parameter-count"),
        ("post", "/api/v1/openapi.json"),
    ],
)
def test_wrong_methods_are_405(api, method, path):
    r = getattr(api, method)(path)
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["Allow"]


def test_too_large_is_413(api):
    body = (
        b'{"framework": "keras", "layer": "Dense", "input_shape": [1], "params": {"x": "' + b"a" * (300 * 1024) + b'"}}'
    )
    assert_problem(api.post("/api/v1/evaluate", data=body, content_type="application/json"), 413, "body_too_large")


def test_too_large_without_content_length_is_413(api_app):
    """A chunked body (no Content-Length) is cut at the limit too."""
    builder = EnvironBuilder(
        path="/api/v1/evaluate", method="POST", data=b"[" * (300 * 1024), content_type="application/json"
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True  # what gunicorn says once it has de-chunked the body
    # Called as plain WSGI: the test client would rebuild the environ and drop input_terminated.
    app_iter, status, headers = run_wsgi_app(api_app, environ, buffered=True)
    response = api_app.response_class(b"".join(app_iter), status=status, headers=headers)
    assert_problem(response, 413, "body_too_large")


def test_pages_outside_the_api_keep_their_own_errors(api):
    r = api.get("/no-such-page")
    assert r.status_code == 404
    assert r.mimetype != "application/problem+json"
    assert "Access-Control-Allow-Origin" not in r.headers


def test_an_unexpected_failure_is_a_problem_not_a_page(api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("engine bug")

    monkeypatch.setattr("engine.evaluate", boom)
    r = api.post(
        "/api/v1/evaluate", json={"framework": "keras", "layer": "Dense", "params": {"units": 1}, "input_shape": [1, 2]}
    )
    body = assert_problem(r, 500, "server_error")
    assert "engine bug" not in body["detail"]
