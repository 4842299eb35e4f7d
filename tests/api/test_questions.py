"""GET /api/v1/questions (full-text search, filters, facets, pages) and /api/v1/questions/<slug>."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from kb.extensions import db
from kb.models import Question
from kb.search import PAGE_SIZE, fts5_query, snippet_html
from kb.search_query import normalize
from tests.api.conftest import FILLER, SEED
from tests.api.helpers import assert_problem

TOTAL = len(SEED) + len(FILLER)


def search(api, **params):
    r = api.get("/api/v1/questions?" + urlencode(params))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def slugs(body):
    return [item["slug"] for item in body["items"]]


def test_ranked_full_text(api):
    body = search(api, q="conv1d padding")
    assert slugs(body)[0] == "keras-conv1d-same-padding"
    assert set(slugs(body)) == {"keras-conv1d-same-padding", "pytorch-conv1d-output-length"}
    assert body["total"] == 2 and body["page"] == 1
    item = body["items"][0]
    assert {"slug", "title", "layers", "url", "snippet"} <= set(item)
    assert item["layers"] == [{"framework": "keras", "name": "Conv1D"}]
    assert item["url"] == "/questions/keras-conv1d-same-padding"
    assert "<mark>" in item["snippet"]


def test_every_word_must_match_and_answers_are_searched(api):
    assert search(api, q="conv1d zebra")["total"] == 0
    assert slugs(search(api, q="permute")) == ["conv2d-channels-first"]  # only in an answer
    assert slugs(search(api, q="6208 bias")) == ["dense-parameter-count"]


def test_stemming(api):
    assert "keras-conv1d-same-padding" in slugs(search(api, q="paddings"))


def test_snippets_are_escaped_apart_from_the_marks(api):
    body = search(api, q="why 6208")
    assert slugs(body) == ["dense-parameter-count"]
    for item in body["items"]:
        text = item["snippet"]
        assert "<b>" not in text and "<script" not in text
        stripped = text.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped
    answer = search(api, q="biases weights")["items"][0]["snippet"]
    assert "&gt;" in answer and "&lt;" in answer and "&amp;" in answer
    assert "<mark>" in answer and "<script" not in answer and "<i>" not in answer


@pytest.mark.parametrize(
    "q",
    [
        '"',
        'conv1d"',
        '"conv1d',
        "title:conv1d",
        "NEAR(conv1d padding)",
        "conv*",
        "^conv1d",
        "* OR 1",
        "conv1d AND padding",
        "conv1d OR zebra",
        "NOT conv1d",
        "(",
        ")",
        "- conv1d",
        "+conv1d",
        "{title question_md}: conv1d",
        "'; DROP TABLE questions; --",
        "\\",
        "%",
        "_",
        "conv1d\u200b",
        "Conv1D(64, 3, padding='same')",
        " ".join(["w"] * 60),
    ],
)
def test_query_syntax_is_never_interpreted(api, q):
    body = search(api, q=q)
    assert body["total"] >= 0
    assert search(api)["total"] == TOTAL  # nothing was dropped


def test_fts5_query_quotes_every_term():
    assert fts5_query(normalize('conv1d "same" NEAR(x)')) == '"conv1d" AND "same" AND "near" AND "x"'
    assert (
        fts5_query(normalize('Dense "units"'))
        == '("dense" OR "linear") AND ("units" OR "out_features" OR "hidden_size")'
    )
    assert fts5_query(normalize("Dense units in_features batch_first"), every=False).count(" OR ") == 6
    assert fts5_query(normalize("   ")) == ""


def test_operators_are_words_not_syntax(api):
    assert search(api, q="conv1d OR zebra")["total"] == 0  # OR is a word that must appear too
    assert slugs(search(api, q="Conv1D(64, 3, padding='same')")) == ["keras-conv1d-same-padding"]


def test_snippet_html_helper():
    assert snippet_html("a <b> & \ue000c\ue001") == "a &lt;b&gt; &amp; <mark>c</mark>"
    assert snippet_html("**bold** `code`") == "bold code"
    assert snippet_html("stray \ue000 mark") == "stray  mark"
    assert snippet_html(None) == ""


def test_no_query_lists_by_title_with_the_summary(api):
    body = search(api)
    assert body["total"] == TOTAL
    assert len(body["items"]) == PAGE_SIZE
    titles = [i["title"] for i in body["items"]]
    assert titles == sorted(titles)
    assert all(i["snippet"].startswith("Summary of") for i in body["items"])


def test_pages(api):
    first, second, third = (search(api, page=n) for n in (1, 2, 3))
    assert len(first["items"]) == PAGE_SIZE and len(second["items"]) == TOTAL - PAGE_SIZE and third["items"] == []
    assert second["page"] == 2 and third["total"] == TOTAL
    assert not set(slugs(first)) & set(slugs(second))
    ranked = [search(api, q="filler", page=n) for n in (1, 2)]
    assert [len(b["items"]) for b in ranked] == [PAGE_SIZE, len(FILLER) - PAGE_SIZE]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"layer": "Conv1D"}, {"keras-conv1d-same-padding", "pytorch-conv1d-output-length"}),
        ({"layer": "conv1d"}, {"keras-conv1d-same-padding", "pytorch-conv1d-output-length"}),
        ({"layer": "nn.Conv1d"}, {"keras-conv1d-same-padding", "pytorch-conv1d-output-length"}),
        ({"layer": "Convolution1D"}, {"keras-conv1d-same-padding"}),
        ({"layer": "Conv1D", "framework": "keras"}, {"keras-conv1d-same-padding"}),
        ({"layer": "conv1d", "framework": "torch"}, {"pytorch-conv1d-output-length"}),
        ({"layer": "Dense"}, {"dense-parameter-count"}),
        ({"layer": "Linear", "q": "6208"}, {"dense-parameter-count"}),
        ({"layer": "Linear", "q": "padding"}, set()),
        ({"framework": "pytorch"}, {"pytorch-conv1d-output-length", "dense-parameter-count", "conv2d-channels-first"}),
        ({"framework": "pytorch", "q": "channels"}, {"conv2d-channels-first"}),
    ],
)
def test_filters(api, params, expected):
    body = search(api, **params)
    assert set(slugs(body)) == expected
    assert body["total"] == len(expected)


def test_facets_count_layer_types_over_all_pages(api):
    facets = {f["key"]: f["count"] for f in search(api)["facets"]["layers"]}
    assert facets["keras/Conv3D"] == len(FILLER)
    assert facets["keras/Conv1D"] == 1 and facets["pytorch/Linear"] == 1
    ordered = [f["count"] for f in search(api)["facets"]["layers"]]
    assert ordered == sorted(ordered, reverse=True)
    facets = {f["key"]: f["count"] for f in search(api, q="conv1d")["facets"]["layers"]}
    assert facets == {"keras/Conv1D": 1, "pytorch/Conv1d": 1}
    assert search(api, q="zebra")["facets"]["layers"] == []


@pytest.mark.parametrize(
    "params, status, code, field",
    [
        ({"page": "0"}, 400, "invalid_page", "page"),
        ({"page": "-1"}, 400, "invalid_page", "page"),
        ({"page": "two"}, 400, "invalid_page", "page"),
        ({"page": "1.5"}, 400, "invalid_page", "page"),
        ({"page": "99999999999999999999"}, 400, "invalid_page", "page"),
        ({"q": "x" * 2001}, 400, "string_too_long", "q"),
        ({"q": "a\x00b"}, 400, "invalid_query", "q"),
        ({"layer": "Conv9D"}, 422, "unknown_layer", "layer"),
        ({"layer": "Convolution1D", "framework": "pytorch"}, 422, "unknown_layer", "layer"),
        ({"framework": "caffe"}, 422, "unknown_framework", "framework"),
    ],
)
def test_bad_queries(api, params, status, code, field):
    assert_problem(api.get("/api/v1/questions?" + urlencode(params)), status, code, field)


def test_one_question(api):
    r = api.get("/api/v1/questions/dense-parameter-count")
    assert r.status_code == 200
    body = r.get_json()
    assert body["slug"] == "dense-parameter-count"
    assert body["title"].startswith("Where do the 6208")
    assert body["source"] == "community Q&A"
    assert body["question"]["markdown"].startswith("Dense(64)")
    assert body["answer"]["html"].startswith("<p>")
    assert body["layers"] == [
        {"framework": "keras", "name": "Dense", "api_url": "/api/v1/layers/keras/Dense"},
        {"framework": "pytorch", "name": "Linear", "api_url": "/api/v1/layers/pytorch/Linear"},
    ]
    assert body["formulas"] == [
        {"key": "keras/Dense", "framework": "keras", "layer": "Dense", "api_url": "/api/v1/layers/keras/Dense"}
    ]
    example = body["examples"][0]
    assert example["kind"] == "evaluate" and example["endpoint"] == "/api/v1/evaluate" and example["evaluator"] is True
    # The stored example runs as is.
    run = api.post(example["endpoint"], json=example["request"]).get_json()
    assert run["output_shape"] == example["expected"]["output_shape"]
    assert body["url"] == "/questions/dense-parameter-count"


def test_unknown_question_is_404(api):
    assert_problem(api.get("/api/v1/questions/no-such-question"), 404, "unknown_question", "slug")
    for slug in ("%3Cscript%3E", "%00", "a%00b-c", "UPPER-case", "x" * 81, "%FF%FE"):
        assert_problem(api.get(f"/api/v1/questions/{slug}"), 404, "unknown_question")


def test_the_index_follows_every_write(api_app, api):
    """Triggers keep questions_fts in step with inserts, updates and deletes (no rebuild needed)."""
    q = Question(
        slug="temporary-entry",
        title="Quokka question",
        summary="s",
        source="community Q&A",
        tags=[],
        question_md="about a wombat",
        question_html="",
        answer_md="answer",
        answer_html="",
        checksum="0",
    )
    db.session.add(q)
    db.session.commit()
    try:
        assert slugs(search(api, q="quokka")) == ["temporary-entry"]
        q.title = "Platypus question"
        db.session.commit()
        assert search(api, q="quokka")["total"] == 0
        assert slugs(search(api, q="platypus wombat")) == ["temporary-entry"]
    finally:
        db.session.delete(q)
        db.session.commit()
    assert search(api, q="platypus")["total"] == 0
    assert search(api)["total"] == TOTAL
