"""Shared assertions of the REST API tests."""

from __future__ import annotations

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "field"}


def assert_problem(response, status: int, code: str | None = None, field="<any>") -> dict:
    """The response is application/problem+json with this status (and code, and field, when given)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)[:500]
    body = response.get_json(force=True)
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    if field != "<any>":
        assert body["field"] == field, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    return body
