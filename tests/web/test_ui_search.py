"""Search results (/search): ranked, excerpts with the matched words marked, facets, kind answers to bad input."""

from __future__ import annotations

from kb import search_page
from kb.search import PAGE_SIZE
from tests.web.pagetools import SLUGS, slugs_about

LSTM_SLUG = "lstm-input-shape-timesteps-features"


def test_results_are_ranked_with_marked_excerpts(client):
    data = client.get("/search.json?q=lstm").get_json()
    assert data["total"] >= 1
    first = data["results"][0]
    assert first["slug"] in slugs_about("keras", "LSTM") + slugs_about("pytorch", "LSTM") and first["rank"] == 1
    assert LSTM_SLUG in [r["slug"] for r in data["results"]]
    assert any(p["mark"] and p["text"].lower() == "lstm" for p in first["snippet_parts"])
    assert any(p["mark"] for p in first["title_parts"])
    html = client.get("/search?q=lstm").get_data(as_text=True)
    assert "<mark>LSTM</mark>" in html
    assert f'href="/questions/{first["slug"]}"' in html
    assert 'role="search"' in html and '<label for="q">' in html


def test_layer_facet_and_framework_facet(client):
    data = client.get("/search.json?q=shape").get_json()
    lstm = next(f for f in data["facets"]["layers"] if f["key"] == "keras/LSTM")
    assert lstm["count"] >= 1 and lstm["url"] == "/search?q=shape&layer=LSTM&framework=keras"
    narrowed = client.get(lstm["url"].replace("/search", "/search.json")).get_json()
    assert sorted(r["slug"] for r in narrowed["results"]) == slugs_about("keras", "LSTM")
    assert LSTM_SLUG in slugs_about("keras", "LSTM")
    assert narrowed["filters"] == {"layer": "LSTM", "framework": "keras"}
    selected = next(f for f in narrowed["facets"]["layers"] if f["key"] == "keras/LSTM")
    assert selected["selected"] and selected["url"] == "/search?q=shape&framework=keras"
    # The layer facet still offers the other layers (it is counted without the layer filter).
    assert len(narrowed["facets"]["layers"]) > 1
    frameworks = {f["framework"]: f["count"] for f in data["facets"]["frameworks"]}
    assert frameworks["keras"] >= 1 and frameworks["pytorch"] >= 1
    # A facet alone, without words.
    both = set(slugs_about("keras", "LSTM")) | set(slugs_about("pytorch", "LSTM"))  # LSTM is both frameworks' name
    assert client.get("/search.json?layer=LSTM").get_json()["total"] == len(both)


def test_empty_query_lists_every_question_kindly(client):
    data = client.get("/search.json").get_json()
    assert data["total"] == len(SLUGS) >= 6 and len(data["results"]) == min(len(SLUGS), PAGE_SIZE)
    assert any("Type a few words" in n for n in data["notes"])
    assert client.get("/search").status_code == 200


def test_no_match_and_search_syntax_are_plain_words(client):
    for q in [
        '"',
        "*",
        "NEAR(",
        "a OR b",
        "lstm AND",
        "title:lstm",
        "-lstm",
        "'; DROP TABLE questions; --",
        "\u00e9\u00e8 \U0001f600",
    ]:
        r = client.get("/search.json", query_string={"q": q})
        assert r.status_code == 200, q
    data = client.get("/search.json?q=zzzzqqq").get_json()
    assert data["total"] == 0 and any("No question matches" in n for n in data["notes"])
    html = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "No question matches" in html


def test_unknown_layer_filter_is_explained_with_suggestions(client):
    r = client.get("/search?q=shape&layer=LSTMM")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "This search cannot run" in html and "Search without the filter" in html
    data = client.get("/search.json?q=shape&layer=LSTMM").get_json()
    assert data["error"]["field"] == "layer"
    assert {s["name"] for s in data["error"]["suggestions"]} == {"LSTM"}


def test_long_queries_bad_pages_and_frameworks(client):
    data = client.get("/search.json", query_string={"q": "lstm " * 500}).get_json()
    assert len(data["q"]) <= search_page.MAX_QUERY and data["notes"]
    assert client.get("/search.json?q=lstm&page=abc").get_json()["page"] == 1
    assert client.get("/search.json?q=lstm&page=99").get_json()["results"] == []
    data = client.get("/search.json?q=lstm&framework=jax").get_json()
    assert data["filters"]["framework"] is None and any("jax" in n for n in data["notes"])


def test_hostile_queries_are_text(client):
    evil = "<img src=x onerror=alert(1)>"
    html = client.get("/search", query_string={"q": evil, "layer": "</script><script>alert(1)</script>"}).get_data(
        as_text=True
    )
    assert evil not in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_highlighting_helpers():
    assert search_page.highlight_parts("a <mark>LSTM</mark> &amp; b") == [
        {"text": "a ", "mark": False},
        {"text": "LSTM", "mark": True},
        {"text": " & b", "mark": False},
    ]
    parts = search_page.highlight_text("LSTM input of input_dim", ["lstm", "input"])
    assert [p["text"] for p in parts if p["mark"]] == ["LSTM", "input", "input"]
    assert search_page.highlight_text("abc", []) == [{"text": "abc", "mark": False}]
