"""The hand-written search-index migration: it creates questions_fts and its triggers, indexes rows
already there, and goes down and up again cleanly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from kb import search
from kb.extensions import db
from kb.models import Question
from tests.conftest import make_app, release

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0002_search_index.py"


def _migration_module():
    spec = importlib.util.spec_from_file_location("search_index_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_postgres_document_matches_the_query():
    """The GIN index is used only if the query repeats the indexed expression exactly."""
    assert _migration_module().DOCUMENT_PG == search.DOCUMENT_PG


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


def test_upgrade_downgrade_upgrade(fresh_app):
    upgrade(revision="0001")
    db.session.add(
        Question(
            slug="before-the-index",
            title="Ocelot title",
            summary="s",
            source="community Q&A",
            tags=[],
            question_md="q",
            question_html="",
            answer_md="a",
            answer_html="",
            checksum="0",
        )
    )
    db.session.commit()
    upgrade(revision="0002")
    assert _objects() >= EXPECTED[db.engine.dialect.name]
    with fresh_app.test_request_context():
        found = search.search(q="ocelot")
    assert [i["slug"] for i in found["items"]] == ["before-the-index"], "rows present before the upgrade are indexed"
    db.session.remove()
    downgrade(revision="0001")
    assert _objects() == set()
    upgrade()
    assert _objects() >= EXPECTED[db.engine.dialect.name]
    with fresh_app.test_request_context():
        assert search.search(q="ocelot")["total"] == 1


def test_postgres_query_can_use_the_index(fresh_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    upgrade()
    db.session.execute(sa.text("SET enable_seqscan = off"))
    plan = db.session.execute(
        sa.text(
            f"EXPLAIN SELECT id FROM questions WHERE {search.DOCUMENT_PG} @@ plainto_tsquery('english'::regconfig, 'conv')"
        )
    ).scalars()
    assert "questions_fts_document" in "\n".join(plan)
