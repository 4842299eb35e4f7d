"""The hand-written search-index migration: it creates questions_fts and its triggers, indexes rows
already there, and goes down and up again cleanly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from kb import create_app, search
from kb.extensions import db
from kb.models import Question

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
def fresh_app(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "SHAPEKB_AUTO_SETUP": False}
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _objects():
    rows = db.session.execute(sa.text("SELECT type, name FROM sqlite_master WHERE name LIKE 'questions_fts%'")).all()
    return {(t, n) for t, n in rows}


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
    objects = _objects()
    assert ("table", "questions_fts") in objects
    assert {n for t, n in objects if t == "trigger"} == {
        "questions_fts_after_insert",
        "questions_fts_after_delete",
        "questions_fts_after_update",
    }
    with fresh_app.test_request_context():
        found = search.search(q="ocelot")
    assert [i["slug"] for i in found["items"]] == ["before-the-index"], "rows present before the upgrade are indexed"
    db.session.remove()
    downgrade(revision="0001")
    assert _objects() == set()
    upgrade()
    assert ("table", "questions_fts") in _objects()
    with fresh_app.test_request_context():
        assert search.search(q="ocelot")["total"] == 1
