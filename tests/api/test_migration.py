"""The hand-written search-index migrations (0002, rebuilt by 0003 with the error messages): they create
questions_fts and its triggers, index rows already there, and go down and up again cleanly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from kb import search
from kb.extensions import db
from tests.conftest import make_app, release

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
MIGRATION = VERSIONS / "0002_search_index.py"
LATEST_DOCUMENT = VERSIONS / "0004_search_and_content_state.py"  # the newest revision that builds the search document


def _migration_module(path=MIGRATION):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_postgres_document_matches_the_query():
    """The GIN index is used only if the query repeats the indexed expression exactly."""
    assert _migration_module(LATEST_DOCUMENT).DOCUMENT_PG == search.DOCUMENT_PG


def test_it_follows_the_latest_foundation_revision():
    module = _migration_module()
    assert module.revision == "0002" and module.down_revision == "0001"


@pytest.fixture()
def fresh_app(blank_db_url):
    app = make_app(blank_db_url)
    with app.app_context():
        yield app
        db.session.remove()
    release(app)


def _objects() -> set[tuple[str, str]]:
    """The search objects in the database: SQLite tables and triggers, or PostgreSQL indexes."""
    if db.engine.dialect.name == "sqlite":
        sql = "SELECT type, name FROM sqlite_master WHERE name LIKE 'questions_fts%'"
    else:
        sql = "SELECT 'index', indexname FROM pg_indexes WHERE indexname LIKE 'questions_fts%'"
    return {(t, n) for t, n in db.session.execute(sa.text(sql)).all()}


EXPECTED = {
    "sqlite": {
        ("table", "questions_fts"),
        ("trigger", "questions_fts_after_insert"),
        ("trigger", "questions_fts_after_delete"),
        ("trigger", "questions_fts_after_update"),
    },
    "postgresql": {("index", "questions_fts_document")},
}
# From revision 0004 on, PostgreSQL stores the document in a column with its own GIN index.
EXPECTED_HEAD = {**EXPECTED, "postgresql": {("index", "questions_fts_vector_gin")}}


def test_upgrade_downgrade_upgrade(fresh_app):
    upgrade(revision="0001")
    # Plain SQL: the model has columns that revision 0001 does not.
    db.session.execute(
        sa.text(
            "INSERT INTO questions (slug, title, summary, source, tags, question_md, question_html, answer_md,"
            " answer_html, checksum, created_at, updated_at) VALUES ('before-the-index', 'Ocelot title', 's',"
            " 'community Q&A', '[]', 'q', '', 'a', '', '0', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    db.session.commit()
    upgrade(revision="0002")
    assert _objects() >= EXPECTED[db.engine.dialect.name]
    upgrade()
    with fresh_app.test_request_context():
        found = search.search(q="ocelot")
    assert [i["slug"] for i in found["items"]] == ["before-the-index"], "rows present before the upgrade are indexed"
    db.session.remove()
    downgrade(revision="0001")
    assert _objects() == set()
    upgrade()
    assert _objects() >= EXPECTED_HEAD[db.engine.dialect.name]
    with fresh_app.test_request_context():
        assert search.search(q="ocelot")["total"] == 1


def test_postgres_query_can_use_the_index(fresh_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    upgrade()
    db.session.execute(sa.text("SET enable_seqscan = off"))
    plan = db.session.execute(
        sa.text(
            f"EXPLAIN SELECT id FROM questions WHERE {search.VECTOR_PG} @@ plainto_tsquery('english'::regconfig, 'conv')"
        )
    ).scalars()
    assert "questions_fts_vector_gin" in "\n".join(plan)
