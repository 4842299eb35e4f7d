"""New entries are inserted with Core bulk statements (kb.sync._insert_new): the database then holds
exactly what the ORM path writes, row for row in every content table and in the full-text index."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb.sync
from bench.generate import generate
from kb.config import CONTENT_DIR
from kb.extensions import db
from kb.models import ContentState
from kb.sync import sync_directory

CONTENT_TABLES = (
    "questions",
    "layer_types",
    "question_layers",
    "formula_links",
    "examples",
    "question_families",
    "question_errors",
    "related_questions",
)
QUESTION_REFERENCES = ("question_id", "related_id")
TIMESTAMPS = ("created_at", "updated_at")


def _dump(app) -> dict[str, list]:
    """Every row of every content table (columns as the database has them, the tsvector too), with
    surrogate ids replaced by what they stand for: a question by its slug, a layer type by its key."""
    out = {}
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine, only=CONTENT_TABLES)
        slugs = dict(db.session.execute(sa.text("SELECT id, slug FROM questions")).all())
        layers = {
            row[0]: tuple(row[1:]) for row in db.session.execute(sa.text("SELECT id, framework, name FROM layer_types"))
        }
        for name in CONTENT_TABLES:
            rows = []
            for row in db.session.execute(sa.select(metadata.tables[name])).mappings():
                row = dict(row)
                assert all(row[column] is not None for column in TIMESTAMPS if column in row), row
                for column in TIMESTAMPS:
                    row.pop(column, None)
                if "slug" in row or name == "layer_types" or "position" in row and "id" in row:
                    row.pop("id")  # a question's slug, a layer's key, a child's (question, position) say which row
                for column in QUESTION_REFERENCES:
                    if column in row:
                        row[column] = slugs[row[column]]
                if "layer_type_id" in row:
                    row["layer_type_id"] = layers[row["layer_type_id"]]
                rows.append(row)
            out[name] = sorted(rows, key=repr)
        if db.engine.dialect.name == "sqlite":
            out["questions_fts"] = _fts_index(slugs)
        db.session.remove()
    return out


def _fts_index(slugs: dict) -> list[tuple]:
    """The SQLite FTS5 index itself, term by term (fts5vocab), its documents named by slug."""
    db.session.execute(
        sa.text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, questions_fts, instance)")
    )
    rows = db.session.execute(sa.text('SELECT term, doc, "col", "offset" FROM temp.fts_terms')).all()
    return sorted((term, slugs[doc], column, offset) for term, doc, column, offset in rows)


def _content_version(app) -> int:
    with app.app_context():
        version = db.session.get(ContentState, 1).version
        db.session.remove()
    return version


def _sync(app, directory: Path, bulk_from: int, monkeypatch) -> kb.sync.SyncReport:
    monkeypatch.setattr(kb.sync, "BULK_FROM", bulk_from)
    with app.app_context():
        report = sync_directory(directory)
        db.session.remove()
    return report


def _copy_as_new(content: Path, slug: str, new_slug: str) -> None:
    """A real entry (with its related links, families and error messages) saved again under a new slug."""
    text = (content / f"{slug}.md").read_text(encoding="utf-8")
    text = re.sub(rf"^slug: {re.escape(slug)}$", f"slug: {new_slug}", text, count=1, flags=re.M)
    (content / f"{new_slug}.md").write_text(text, encoding="utf-8")


def test_bulk_inserts_write_what_the_orm_writes(app_factory, tmp_path, monkeypatch):
    seed = random.randrange(2**32)
    print(f"generated entries' seed: {seed}")
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    generate(300, content, seed=seed)
    orm, bulk = app_factory("migrated"), app_factory("migrated")
    before = _content_version(bulk)

    created = _sync(orm, content, 10**9, monkeypatch)
    assert _sync(bulk, content, 1, monkeypatch).as_dict() == created.as_dict()
    assert len(created.created) == 347
    assert _content_version(bulk) > before
    first = _dump(bulk)
    assert _dump(orm) == first
    assert first["related_questions"] and first["question_errors"] and first["question_families"]
    assert first.get("questions_fts") or "questions_fts_vector" in first["questions"][0]  # the index is compared

    # A mixed sync: new entries (30 generated, 4 copies of real ones whose related links point at
    # stored entries), a few updates (the ORM path in both) and deletions.
    generate(330, content, seed=seed)  # the same 300 files again, and 30 more
    generated = sorted(content.glob("bench-*.md"))
    for path in generated[:5]:
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    for path in generated[100:103]:
        path.unlink()
    for slug in sorted(p.stem for p in CONTENT_DIR.glob("*.md"))[:4]:
        _copy_as_new(content, slug, f"copy-of-{slug}"[:80])
    before = _content_version(bulk)
    changed = _sync(orm, content, 10**9, monkeypatch)
    assert _sync(bulk, content, 1, monkeypatch).as_dict() == changed.as_dict()
    assert (len(changed.created), len(changed.updated), len(changed.deleted)) == (34, 5, 3)
    assert _content_version(bulk) > before
    assert _dump(orm) == _dump(bulk)


def test_a_failing_bulk_insert_rolls_everything_back(app, tmp_path, monkeypatch):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    generate(30, content, seed=random.randrange(2**32))
    before = _dump(app)
    real_insert = kb.sync._insert_rows

    def failing_insert(table, rows, *returning):
        if table.name == "examples":  # the questions and their layer tags are in by now
            raise RuntimeError("disk full")
        return real_insert(table, rows, *returning)

    monkeypatch.setattr(kb.sync, "_insert_rows", failing_insert)
    with app.app_context(), pytest.raises(RuntimeError, match="disk full"):
        sync_directory(content)
    assert _dump(app) == before
