"""The OpenAPI document validates, describes every route, and its examples are what the API answers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from openapi_spec_validator import validate

from kb import openapi

OPERATIONS = {
    ("post", "/api/v1/evaluate"),
    ("post", "/api/v1/trace"),
    ("post", "/api/v1/explain"),
    ("post", "/api/v1/parse-call"),
    ("get", "/api/v1/layers"),
    ("get", "/api/v1/layers/{framework}/{name}"),
    ("get", "/api/v1/questions"),
    ("get", "/api/v1/questions/{slug}"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/docs"),
}


def served(api) -> dict:
    r = api.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def test_the_served_document_is_valid_openapi_3_1(api):
    spec = served(api)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_operation_is_described(api):
    spec = served(api)
    found = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert found == OPERATIONS
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op["operationId"] and op["summary"], (method, path)
            assert "200" in op["responses"]
            if method == "post":
                assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                for code in ("400", "413", "422"):
                    assert code in op["responses"], (path, code)


def test_every_api_route_is_in_the_document(api_app, api):
    spec = served(api)
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", p) for p in spec["paths"]}
    routes = {rule.rule for rule in api_app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert routes == documented


def test_request_examples_give_the_documented_answers(api):
    spec = served(api)
    for path in ("/api/v1/evaluate", "/api/v1/trace", "/api/v1/parse-call"):
        op = spec["paths"][path]["post"]
        responses = op["responses"]
        for name, example in op["requestBody"]["content"]["application/json"]["examples"].items():
            r = api.post(path, json=example["value"])
            problems = responses["422"]["content"]["application/problem+json"]
            if name in problems.get("examples", {}) or (name == "rejected" and "example" in problems):
                assert r.status_code == 422
                documented = problems["examples"][name]["value"] if "examples" in problems else problems["example"]
                assert r.get_json() == documented
            else:
                assert r.status_code == 200
                content = responses["200"]["content"]["application/json"]
                documented = content["examples"][name]["value"] if "examples" in content else content["example"]
                assert r.get_json() == documented


def test_spec_is_a_fresh_copy():
    first = openapi.spec()
    first["paths"].clear()
    assert openapi.spec()["paths"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_docs_page_renders_the_spec_locally(api):
    r = api.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    spec = served(api)
    for path, item in spec["paths"].items():
        for op in item.values():
            assert f'id="op-{op["operationId"]}"' in html
        assert path in html
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    parser = _Collector()
    parser.feed(html)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "style")], "plain HTML: no scripts, no inline styles"
    for _, attrs in tags:
        for attr in ("src", "href"):
            value = attrs.get(attr) or ""
            assert not value.startswith(("http:", "https:", "//")), f"no CDN: {value}"
    assert "&lt;math" in html or "mathml" in html  # examples are shown escaped, as text
