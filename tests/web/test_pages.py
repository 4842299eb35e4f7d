"""The pages and their .json twins: every seed question renders with its formulas and evaluator."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

import engine
from kb.components import python_text
from kb.config import CONTENT_DIR
from kb.content import parse_entry
from kb.formvalues import format_value
from kb.web import shape_filter, show_filter
from tests.web.pagetools import SLUGS, Page


def test_the_seed_is_there():
    assert len(SLUGS) >= 6


@pytest.fixture(params=SLUGS)
def slug(request) -> str:
    return request.param


def _entry(slug):
    return parse_entry(CONTENT_DIR / f"{slug}.md")


def test_question_page_renders_with_formula_and_evaluator(client, slug):
    entry = _entry(slug)
    r = client.get(f"/questions/{slug}")
    assert r.status_code == 200
    assert r.content_type == "text/html; charset=utf-8"
    page = Page(r.get_data(as_text=True))
    assert page.h1.strip() == entry.title
    assert all(src and src.startswith("/static/") for src in page.scripts)  # no inline script, nothing remote
    # The general formulas of every linked engine layer, as inline MathML.
    assert page.math_count >= len(entry.formulas)
    for key in entry.formulas:
        for formula in engine.get_layer(*key.split("/")).describe()["formulas"]:
            assert formula["mathml"] in page.html, (key, formula["key"])
    # The evaluator: a GET form pre-filled with the evaluator example.
    example = entry.evaluator_example
    form = next(f for f in page.forms if f.get("class") == "evaluator-form")
    assert form["method"] == "get"
    assert form["action"] == f"/questions/{slug}#evaluator"
    assert page.inputs["input_shape"]["value"] == format_value(example.input_shape)
    spec = engine.get_layer(example.framework, example.layer)
    for name, value in example.params.items():
        name = spec.param_aliases.get(name, name)
        shown = python_text(value) if isinstance(value, dict) else format_value(value)  # a wrapped layer: a call
        assert page.inputs[name]["value"] == shown, name
    for param in spec.params:
        assert param.name in page.inputs
        label = page.ids.get(f"f-{param.name}")
        assert label and label["tag"] == "input"
        assert f'<label for="f-{param.name}">' in page.html
    assert page.ids["evaluator"]["tag"] == "section"
    # Every worked example, with the engine's result beside the promised one.
    for ex in entry.examples:
        assert str(escape(ex.name)) in page.html


def test_json_twin_carries_what_the_page_shows(client, slug):
    entry = _entry(slug)
    page = Page(client.get(f"/questions/{slug}").get_data(as_text=True))
    r = client.get(f"/questions/{slug}.json")
    assert r.status_code == 200 and r.content_type == "application/json"
    data = r.get_json()
    assert data["slug"] == slug
    assert data["title"] == entry.title == page.h1.strip()
    assert data["summary"] == entry.summary
    assert data["answer_html"] in page.html and data["question_html"] in page.html
    assert data["answer_md"].strip() == entry.answer_md.strip()
    assert [(x["framework"], x["name"]) for x in data["layers"]] == sorted(entry.layers)
    # Formulas: the same MathML as on the page, with LaTeX and text besides.
    assert [g["key"] for g in data["formulas"]] == list(entry.formulas)
    mathml = [f["mathml"] for g in data["formulas"] for f in g["formulas"]]
    assert mathml and all(m in page.html for m in mathml)
    assert all(f["latex"] and f["text"] for g in data["formulas"] for f in g["formulas"])
    assert page.math_count >= len(mathml)  # and the symbols of the legends, the formulas with the example's numbers
    # Examples: expected and computed, as the page shows them.
    assert [e["name"] for e in data["examples"]] == [e.name for e in entry.examples]
    for shown, ex in zip(data["examples"], entry.examples, strict=True):
        assert shown["expected"] == ex.expect
        assert shown["request"] == ex.request()
        assert shown["computed"] is not None, shown["error"]
        for check in shown["checks"]:
            assert str(escape(show_filter(check["expected"], check["key"]))) in page.html
            assert str(escape(show_filter(check["computed"], check["key"]))) in page.html
    # The evaluator: the same fields and values as the form.
    ev = data["evaluator"]
    assert ev["submitted"] is False and ev["errors"] == [] and ev["permalink"] is None
    run = entry.evaluator_example.run()
    assert ev["result"]["output_shape"] == run["output_shape"] and ev["result"]["param_count"] == run["param_count"]
    assert page.output_shape() == shape_filter(run["output_shape"])
    assert [f["name"] for f in ev["fields"]] == [n for n in page.inputs if n in {f["name"] for f in ev["fields"]}]
    for field in ev["fields"]:
        assert page.inputs[field["name"]]["value"] == field["value"]
    assert data["links"] == {"html": f"/questions/{slug}", "json": f"/questions/{slug}.json"}
    assert data["updated_at"].endswith("+00:00")


def test_the_page_links_its_json_twin(client):
    page = client.get("/questions/keras-conv1d-output-shape").get_data(as_text=True)
    assert '<link rel="alternate" type="application/json" href="/questions/keras-conv1d-output-shape.json">' in page


# ---- the index --------------------------------------------------------------------------------


def test_index_lists_every_question_grouped_by_layer_type(client):
    r = client.get("/")
    assert r.status_code == 200
    page = Page(r.get_data(as_text=True))
    for slug in SLUGS:
        assert f"/questions/{slug}" in page.links
    data = client.get("/index.json").get_json()
    assert data["count"] == data["total"] == len(SLUGS)
    keys = [g["key"] for g in data["groups"]]
    assert keys == sorted(keys)
    assert "keras/Conv1D" in keys
    for group in data["groups"]:
        assert group["name"] in page.text
        for q in group["questions"]:
            assert group["key"] in q["layers"]
            assert str(escape(q["title"])) in page.html
    # The page shows the same groups: each layer type's section links to its questions.
    sections = page.html.split('<section class="layer-group">')[1:]
    assert len(sections) == len(data["groups"])
    for group, section in zip(data["groups"], sections, strict=True):
        section = section.split("</section>")[0]
        assert f">{group['name']}</a>" in section and group["framework"] in section
        assert [q["url"] for q in group["questions"]] == [u for u in Page(section).links if u.startswith("/questions/")]
    # Each question appears under every layer type it is about.
    for slug in SLUGS:
        entry = _entry(slug)
        for framework, name in entry.layers:
            group = next(g for g in data["groups"] if g["key"] == f"{framework}/{name}")
            assert slug in [q["slug"] for q in group["questions"]]


def test_index_json_spellings_agree(client):
    assert client.get("/.json").get_json() == client.get("/index.json").get_json()


@pytest.mark.parametrize(
    "query", ["layer=Conv1D", "layer=keras/Conv1D", "framework=keras&layer=Conv1D", "framework=keras&layer=conv1d"]
)
def test_index_filter_by_layer(client, query):
    data = client.get(f"/index.json?{query}").get_json()
    assert [g["key"] for g in data["groups"]] == ["keras/Conv1D"]
    assert "keras-conv1d-output-shape" in [q["slug"] for q in data["groups"][0]["questions"]]
    page = Page(client.get(f"/?{query}").get_data(as_text=True))
    shown = {link.split("/")[-1] for link in page.links if link.startswith("/questions/")}
    assert shown == {q["slug"] for q in data["groups"][0]["questions"]}


def test_index_layer_filter_spelling(client):
    assert [g["key"] for g in client.get("/index.json?layer=Conv1d").get_json()["groups"]] == ["pytorch/Conv1d"]
    assert [g["key"] for g in client.get("/index.json?layer=conv1d").get_json()["groups"]] == [
        "keras/Conv1D",
        "pytorch/Conv1d",
    ]
    page = client.get("/?layer=keras/Conv1D").get_data(as_text=True)
    assert 'aria-current="true" data-facet="keras/Conv1D"' in page  # the selected layer facet


def test_index_filter_by_framework(client):
    data = client.get("/index.json?framework=pytorch").get_json()
    assert data["groups"] and {g["framework"] for g in data["groups"]} == {"pytorch"}
    assert data["filters"] == {"framework": "pytorch", "layer": None}
    page = client.get("/?framework=pytorch").get_data(as_text=True)
    assert 'aria-current="true">PyTorch <span class="count">' in page  # the selected framework facet


def test_index_filter_with_no_match(client):
    r = client.get("/?layer=NoSuchLayer")
    assert r.status_code == 200
    assert "No question is about that yet" in r.get_data(as_text=True)
    data = client.get("/index.json?layer=NoSuchLayer").get_json()
    assert data["groups"] == [] and data["count"] == 0


def test_index_on_an_empty_database(migrated_app):
    r = migrated_app.test_client().get("/")
    assert r.status_code == 200
    assert "No question is about that yet" in r.get_data(as_text=True)


# ---- errors ---------------------------------------------------------------------------------


def test_unknown_slug_is_a_404_page_in_the_site_style(client):
    r = client.get("/questions/no-such-question")
    assert r.status_code == 404
    page = Page(r.get_data(as_text=True))
    assert page.h1 == "Not Found"
    assert "There is no question 'no-such-question'." in page.text
    assert '<link rel="stylesheet" href="/static/style.css">' in page.html
    assert '<main id="main"' in page.html


def test_unknown_slug_json_is_a_404_json(client):
    r = client.get("/questions/no-such-question.json")
    assert r.status_code == 404 and r.content_type == "application/json"
    assert r.get_json() == {"error": "There is no question 'no-such-question'.", "status": 404, "title": "Not Found"}


@pytest.mark.parametrize("path", ["/nowhere", "/questions/Not_A_Slug", "/questions/", "/questions/a/b"])
def test_unknown_paths_are_404_pages(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "There is no page at this address." in r.get_data(as_text=True)
    assert "<nav" in r.get_data(as_text=True)


def test_unknown_json_path_is_json(client):
    r = client.get("/nowhere.json")
    assert r.status_code == 404 and r.get_json()["error"]


def test_wrong_method_is_405_in_the_site_style(client):
    r = client.post("/questions/keras-conv1d-output-shape")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    assert "<nav" in r.get_data(as_text=True)


@pytest.fixture
def failing_app(app_factory):
    app = app_factory("migrated", TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @app.get("/boom.json")
    def boom():
        raise RuntimeError("a bug")

    return app


def test_500_is_a_page_in_the_site_style(failing_app, caplog):
    r = failing_app.test_client().get("/boom")
    assert r.status_code == 500
    text = r.get_data(as_text=True)
    assert "Internal Server Error" in text and "<nav" in text
    assert "a bug" not in text  # no internals leak to the visitor
    assert any("a bug" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)
    r = failing_app.test_client().get("/boom.json")
    assert r.status_code == 500 and r.get_json()["status"] == 500


def test_security_headers(client):
    r = client.get("/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_static_css_is_local(client):
    r = client.get("/static/style.css")
    assert r.status_code == 200 and b":focus-visible" in r.data
    r.close()
    for page in ("/", "/questions/keras-conv1d-output-shape"):
        text = client.get(page).get_data(as_text=True)
        # Stylesheets, scripts, images: nothing is loaded from another origin (no CDN).
        loaded = re.findall(r'<(?:link|script|img|iframe)\b[^>]*?(?:href|src)="([^"]*)"', text)
        assert loaded and all(url.startswith("/") for url in loaded), loaded


def test_answers_are_sanitized_end_to_end(app_factory, tmp_path):
    """Markdown goes through render_markdown at sync: raw HTML in a content file never reaches the page."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "keras-conv1d-output-shape.md"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\n\n<script>alert("x")</script>\n\n<img src=x onerror="alert(1)">\n\n[click](javascript:alert(1))\n',
        encoding="utf-8",
    )
    app = app_factory("migrated", SHAPEKB_CONTENT_DIR=str(content))
    from kb.sync import sync_directory

    with app.app_context():
        sync_directory()
    page = Page(app.test_client().get("/questions/keras-conv1d-output-shape").get_data(as_text=True))
    assert page.scripts == ["/static/app.js"]  # ours; none from the file
    assert 'alert("x")' not in page.html and "onerror" not in page.html and "javascript:" not in page.html


def test_shape_filter():
    assert shape_filter([None, 10, 64]) == "(None, 10, 64)"
    assert shape_filter([64]) == "(64,)"
