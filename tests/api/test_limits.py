"""Every limit is answered quickly and as a 4xx: body size, nesting, layers, numbers, strings."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from kb.api_schemas import MAX_BODY_BYTES, MAX_DEPTH, MAX_STRING, too_deep
from tests.api.helpers import assert_problem

FAST = 0.5  # seconds of CPU; each answer below takes milliseconds


def timed_post(api, path: str, data: bytes):
    """The response and the CPU seconds this thread spent on it (the test client runs the app in this thread),
    so that a loaded machine does not make a fast answer look slow."""
    start = time.thread_time()
    response = api.post(path, data=data, content_type="application/json")
    return response, time.thread_time() - start


def dense(**extra) -> dict:
    return {"framework": "keras", "layer": "Dense", "params": {"units": 4}, "input_shape": [None, 3], **extra}


@pytest.mark.parametrize("path", ["/api/v1/evaluate", "/api/v1/trace"])
def test_100000_deep_array_is_a_fast_400(api, path):
    payload = b"[" * 100_000 + b"]" * 100_000
    response, seconds = timed_post(api, path, payload)
    assert_problem(response, 400, "too_deep")
    assert seconds < FAST


def test_deep_nesting_inside_the_body_is_a_fast_400(api):
    inner = "[" * 60_000 + "1" + "]" * 60_000
    payload = json.dumps(dense()).replace('"units": 4', '"units": ' + inner).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", payload)
    assert_problem(response, 400, "too_deep")
    assert seconds < FAST
    objects = b'{"a":' * 40_000 + b"1" + b"}" * 40_000
    response, seconds = timed_post(api, "/api/v1/evaluate", objects)
    assert_problem(response, 400, "too_deep")
    assert seconds < FAST


def test_nesting_within_the_limit_is_read(api):
    value = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    payload = json.dumps(dense()).replace('"units": 4', '"units": ' + value).encode()
    assert_problem(api.post("/api/v1/evaluate", data=payload, content_type="application/json"), 422, "invalid_param")


def test_brackets_inside_strings_do_not_count():
    assert not too_deep(json.dumps({"a": "[" * 1000, "b": '\\"[[[[', "c": "\\" + "{" * 40}).encode())
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert too_deep(b'[["\\\\"' + b"[" * 40 + b"]" * 40 + b"]]")  # an escaped backslash ends the string
    assert not too_deep(b'[["\\"' + b"[" * 40 + b'"]]')  # an escaped quote does not
    assert not too_deep(b"[1]" * 10_000)  # many brackets, little depth


def test_quote_floods_are_fast(api):
    payloads = [
        b'"' * 200_000 + b"[" * 40,
        b'["\\"' * 40_000 + b"[" * 40,
        json.dumps({"a": ["x"] * 30_000}).encode() + b"[" * 40,
    ]
    for payload in payloads:
        assert len(payload) < MAX_BODY_BYTES
        response, seconds = timed_post(api, "/api/v1/evaluate", payload)
        assert_problem(response, 400)
        assert seconds < FAST


def test_body_over_256_kib_is_a_fast_413(api):
    payload = json.dumps(dense(params={"units": 4, "name": "x" * MAX_BODY_BYTES})).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", payload)
    assert_problem(response, 413, "body_too_large")
    assert seconds < FAST


def _padded(size: int) -> bytes:
    body = json.dumps(dense()).encode()
    return body + b" " * (size - len(body))


@pytest.mark.parametrize("chunked", [False, True])
def test_the_limit_is_exact(api_app, chunked):
    for size, status in ((MAX_BODY_BYTES, 200), (MAX_BODY_BYTES + 1, 413)):
        environ = EnvironBuilder(
            path="/api/v1/evaluate", method="POST", data=_padded(size), content_type="application/json"
        ).get_environ()
        if chunked:
            del environ["CONTENT_LENGTH"]
            environ["HTTP_TRANSFER_ENCODING"] = "chunked"
            environ["wsgi.input_terminated"] = True
        app_iter, status_line, _ = run_wsgi_app(api_app, environ, buffered=True)
        b"".join(app_iter)
        assert int(status_line.split()[0]) == status, (size, chunked)


def test_too_many_layers_is_a_fast_422(api):
    layers = [{"layer": "Dense", "params": {"units": 4}}] * 5000
    payload = json.dumps({"framework": "keras", "input_shape": [None, 4], "layers": layers}).encode()
    assert len(payload) < MAX_BODY_BYTES
    response, seconds = timed_post(api, "/api/v1/trace", payload)
    assert_problem(response, 422, "too_many_layers", "layers")
    assert seconds < FAST


def test_a_full_1000_layer_trace_is_answered(api):
    layers = [{"layer": "Dense", "params": {"units": 4}}] * 1000
    payload = json.dumps({"framework": "keras", "input_shape": [None, 4], "layers": layers}).encode()
    response, seconds = timed_post(api, "/api/v1/trace", payload)
    assert response.status_code == 200
    assert response.get_json()["total_params"] == 1000 * 20
    assert seconds < 5


@pytest.mark.parametrize("digits", [41, 5000, 100_000])
def test_long_numbers_are_a_fast_400(api, digits):
    payload = json.dumps(dense()).replace('"units": 4', '"units": ' + "9" * digits).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", payload)
    assert_problem(response, 400, "number_too_long")
    assert seconds < FAST
    payload = json.dumps(dense()).replace('"units": 4', '"units": 1.' + "5" * digits).encode()
    assert_problem(api.post("/api/v1/evaluate", data=payload, content_type="application/json"), 400, "number_too_long")


@pytest.mark.parametrize(
    "units, status",
    [(1, 200), (2**31, 200), (2**31 + 1, 422), (0, 422), (-1, 422), (10**30, 422)],
)
def test_parameters_are_1_to_2_31(api, units, status):
    response = api.post("/api/v1/evaluate", json=dense(params={"units": units}))
    assert response.status_code == status
    if status == 422:
        assert response.get_json()["code"] == "invalid_param"


@pytest.mark.parametrize("dim, status", [(1, 200), (2**31, 200), (2**31 + 1, 422), (0, 422), (-5, 422)])
def test_dimensions_are_1_to_2_31(api, dim, status):
    response = api.post("/api/v1/evaluate", json=dense(input_shape=[None, dim]))
    assert response.status_code == status, response.get_json()


def test_strings_are_bounded(api):
    assert_problem(
        api.post("/api/v1/evaluate", json=dense(layer="D" * (MAX_STRING + 1))), 400, "string_too_long", "body.layer"
    )
    assert_problem(
        api.post("/api/v1/evaluate", json=dense(params={"k" * (MAX_STRING + 1): 1})),
        400,
        "string_too_long",
        "body.params",
    )
    big = json.dumps(dense(params={"units": 4, "name": "n" * 200_000})).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", big)
    assert_problem(response, 400, "string_too_long", "body.params.name")
    assert seconds < FAST
    assert api.post("/api/v1/evaluate", json=dense(layer="D" * 101)).status_code == 422  # unknown layer


def test_wide_arrays_and_many_keys_are_fast(api):
    wide = json.dumps(dense(input_shape=[7] * 40_000)).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", wide)
    assert_problem(response, 422, "invalid_input_shape", "input_shape")
    assert seconds < FAST
    keys = json.dumps(dense(params={f"p{n}": n for n in range(15_000)})).encode()
    response, seconds = timed_post(api, "/api/v1/evaluate", keys)
    assert_problem(response, 422, "unknown_param")
    assert seconds < FAST


def test_symbolic_dims_are_answered(api):
    """SymPy does real work here (0.1-1 s): not a limit check, so the bound is loose."""
    body = {
        "framework": "keras",
        "layer": "Conv3D",
        "params": {
            "filters": 8,
            "kernel_size": [3, 5, 7],
            "strides": [2, 3, 4],
            "padding": "valid",
            "dilation_rate": 1,
        },
        "input_shape": [None, "D", "H", "W", 3],
    }
    start = time.perf_counter()
    response = api.post("/api/v1/evaluate", json={**body, "substitute": True})
    assert response.status_code == 200, response.get_json()
    assert time.perf_counter() - start < 10
    assert all(isinstance(d, str) for d in response.get_json()["output_shape"][1:4])


@pytest.mark.parametrize(
    "args",
    ["units=" + "a." * 400 + "b", "units=f" + "(1)" * 400, "units=x" + "+1" * 900, "units=[[[[[[[[[[1]]]]]]]]]]"],
)
def test_parse_call_bounds_what_it_reads(api, args):
    """Expressions nested hundreds deep gave a RecursionError (500); they are a 422 naming the args."""
    r = api.post("/api/v1/parse-call", json={"framework": "keras", "layer": "Dense", "args": args})
    body = assert_problem(r, 422)
    assert "deep" in body["detail"] and body["field"] in ("args", "code")
