"""Search relevance: 60+ queries written the way people type them (pasted error messages with their
numbers and traceback noise, questions, layer and parameter names in either framework's spelling),
each with the entry that must come first or among the first three; on SQLite and PostgreSQL.

The queries are in tests/web/relevance_queries.py. One test per database runs them all and lists
every miss, so a change in ranking shows its whole effect at once.
"""

from __future__ import annotations

from kb.content import load_entries
from kb.search import search
from tests.web.relevance_queries import QUERIES


def test_the_suite_is_large_and_names_real_entries():
    slugs = {e.slug for e in load_entries()}
    assert len(QUERIES) >= 60
    assert {slug for _, slug, _ in QUERIES} <= slugs
    assert all(rank in (1, 3) for _, _, rank in QUERIES)
    assert sum(rank == 1 for _, _, rank in QUERIES) >= 45, "most queries must find their entry first"


def test_every_query_finds_its_entry(app):
    misses = []
    with app.test_request_context():
        for q, slug, rank in QUERIES:
            found = [item["slug"] for item in search(q)["items"]]
            position = found.index(slug) + 1 if slug in found else None
            if position is None or position > rank:
                misses.append(f"{q[-90:]!r}: {slug} at {position}, wanted <= {rank}; got {found[:3]}")
    assert not misses, f"{len(misses)} of {len(QUERIES)} queries miss:\n" + "\n".join(misses)


def test_a_pasted_traceback_is_searched_by_its_message_through_the_api(client):
    from tests.web.relevance_queries import TRACEBACK_MAT1

    body = client.get("/api/v1/questions", query_string={"q": TRACEBACK_MAT1}).get_json()
    assert body["items"][0]["slug"] == "flatten-linear-in-features-9216"
    page = client.get("/search.json", query_string={"q": TRACEBACK_MAT1}).get_json()
    assert page["results"][0]["slug"] == "flatten-linear-in-features-9216"
    assert any(n.startswith("Read as an error message: searched for mat1, mat2") for n in page["notes"])
