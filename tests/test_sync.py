"""kb.sync: upsert by slug in one transaction; idempotent; a broken file changes nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb.sync
from kb.config import CONTENT_DIR
from kb.content import ContentError, load_entries
from kb.extensions import db
from kb.models import Example, FormulaLink, LayerType, Question, question_layers
from kb.sync import setup_database, sync_content, sync_directory

TABLES = (Question.__table__, LayerType.__table__, question_layers, FormulaLink.__table__, Example.__table__)


def dump(app) -> dict:
    """Every row of every table of the models, in a stable order: equal dumps, equal databases."""
    out = {}
    with app.app_context():
        for table in TABLES:
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings().all()
            out[table.name] = [dict(r) for r in rows]
        db.session.remove()
    return out


@pytest.fixture
def content(tmp_path) -> Path:
    """A private copy of kb/content/ that a test may edit or break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit(path: Path) -> None:
    """A valid change: one more paragraph at the end of the answer."""
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\nEDITED paragraph.\n", encoding="utf-8")


def _slugs() -> list[str]:
    return [e.slug for e in load_entries(CONTENT_DIR)]


def _remove(content: Path, slug: str) -> None:
    """Delete an entry's file and every other entry's `related` line naming it: a valid directory without it."""
    (content / f"{slug}.md").unlink()
    line = re.compile(rf"^[ \t]*- {re.escape(slug)}[ \t]*\n", re.M)
    for path in content.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        if line.search(text):
            path.write_text(line.sub("", text), encoding="utf-8")


def test_the_content_directory_holds_the_seed():
    assert len(_slugs()) >= 6


def test_first_sync_creates_every_entry(migrated_app):
    with migrated_app.app_context():
        report = sync_directory()
        assert report.created == _slugs()
        assert report.updated == report.unchanged == report.deleted == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == len(_slugs())
        q = db.session.scalar(sa.select(Question).where(Question.slug == "keras-conv1d-output-shape"))
        assert ("keras", "Conv1D") in {(lt.framework, lt.name) for lt in q.layer_types}
        assert [link.engine_key for link in q.formula_links][0] == "keras/Conv1D"
        assert sum(e.is_evaluator for e in q.examples) == 1
        assert "<p>" in q.answer_html and q.answer_md in q.answer_md
        assert len(q.checksum) == 64


def test_a_second_sync_changes_nothing(migrated_app):
    with migrated_app.app_context():
        sync_directory()
    before = dump(migrated_app)
    with migrated_app.app_context():
        report = sync_directory()
    assert report.unchanged == _slugs()
    assert not report.changed and report.created == report.updated == report.deleted == []
    after = dump(migrated_app)
    assert after == before
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}


def test_an_edited_file_updates_only_its_entry(migrated_app, content):
    with migrated_app.app_context():
        sync_directory(content)
    before = dump(migrated_app)
    edit(content / "keras-conv1d-output-shape.md")
    with migrated_app.app_context():
        report = sync_directory(content)
    assert report.updated == ["keras-conv1d-output-shape"]
    assert report.created == report.deleted == []
    after = dump(migrated_app)
    changed = [
        (b["slug"], a["answer_md"]) for b, a in zip(before["questions"], after["questions"], strict=True) if a != b
    ]
    assert len(changed) == 1 and changed[0][0] == "keras-conv1d-output-shape"
    assert changed[0][1].endswith("EDITED paragraph.\n")
    edited = next(q for q in after["questions"] if q["slug"] == "keras-conv1d-output-shape")
    old = next(q for q in before["questions"] if q["slug"] == "keras-conv1d-output-shape")
    assert edited["created_at"] == old["created_at"] and edited["updated_at"] > old["updated_at"]
    assert len(after["examples"]) == len(before["examples"])
    # ... and a third run is a no-op again.
    with migrated_app.app_context():
        assert not sync_directory(content).changed


def test_a_removed_file_deletes_its_entry(migrated_app, content):
    with migrated_app.app_context():
        sync_directory(content)
        gone = "keras-embedding-output-shape"
        _remove(content, gone)
        report = sync_directory(content)
        assert report.deleted == [gone]
        assert db.session.scalar(sa.select(Question).where(Question.slug == gone)) is None
        # Its children went with it, and no layer type is left without a question.
        ids = set(db.session.scalars(sa.select(Question.id)))
        assert set(db.session.scalars(sa.select(Example.question_id))) <= ids
        orphans = db.session.scalars(
            sa.select(LayerType).where(~sa.exists().where(question_layers.c.layer_type_id == LayerType.id))
        ).all()
        assert orphans == []


def test_a_new_file_is_created(migrated_app, content):
    with migrated_app.app_context():
        sync_directory(content)
        src = content / "keras-conv1d-output-shape.md"
        text = src.read_text(encoding="utf-8").replace("slug: keras-conv1d-output-shape", "slug: keras-conv1d-copy", 1)
        (content / "keras-conv1d-copy.md").write_text(text, encoding="utf-8")
        report = sync_directory(content)
        assert report.created == ["keras-conv1d-copy"] and report.updated == []


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        (lambda t: t.replace("---", "--", 1), "front matter"),
        (lambda t: t.replace("\nsummary:", "\nsummary: [unclosed", 1), "YAML"),
        (lambda t: t.replace("<!-- answer -->", "", 1), "answer"),
        (lambda t: t.replace("layers:", "layers:\n  - {framework: keras, name: NoSuchLayer}", 1), "NoSuchLayer"),
    ],
    ids=["no-front-matter", "bad-yaml", "no-answer-marker", "unknown-layer"],
)
def test_a_broken_file_aborts_and_leaves_the_database_as_it_was(migrated_app, content, breakage, problem):
    with migrated_app.app_context():
        sync_directory(content)
    before = dump(migrated_app)
    # Edit one file validly (it would be updated) and break another: nothing may be written.
    edit(content / "keras-conv1d-output-shape.md")
    (content / "keras-embedding-output-shape.md").unlink()
    broken = content / "strided-conv-vs-max-pooling.md"
    broken.write_text(breakage(broken.read_text(encoding="utf-8")), encoding="utf-8")
    with migrated_app.app_context(), pytest.raises(ContentError) as caught:
        sync_directory(content)
    assert caught.value.path == str(broken)
    assert str(broken) in str(caught.value)
    assert problem.lower() in str(caught.value).lower()
    assert dump(migrated_app) == before


def test_a_database_error_mid_sync_rolls_everything_back(migrated_app, content, monkeypatch):
    with migrated_app.app_context():
        sync_directory(content)
    before = dump(migrated_app)
    for path in sorted(content.glob("*.md")):
        edit(path)
    original = kb.sync._fill
    calls = []

    def failing_fill(question, entry, *args):
        calls.append(entry.slug)
        if len(calls) == 3:
            db.session.flush()  # the first two updates have reached the database...
            raise RuntimeError("disk full")  # ... and then something fails
        return original(question, entry, *args)

    monkeypatch.setattr(kb.sync, "_fill", failing_fill)
    with migrated_app.app_context(), pytest.raises(RuntimeError, match="disk full"):
        sync_directory(content)
    assert len(calls) == 3
    assert dump(migrated_app) == before


def test_duplicate_slugs_are_refused_before_any_write(migrated_app):
    entries = load_entries(CONTENT_DIR)
    with migrated_app.app_context(), pytest.raises(ValueError, match="duplicate"):
        sync_content([*entries, entries[0]])
    assert dump(migrated_app)["questions"] == []


def test_force_rewrites_unchanged_entries(app):
    before = dump(app)
    with app.app_context():
        report = sync_directory(force=True)
    assert report.updated == _slugs() and report.unchanged == []
    after = dump(app)
    assert [q["title"] for q in after["questions"]] == [q["title"] for q in before["questions"]]


def test_setup_database_upgrades_then_syncs(fresh_database):
    from tests.conftest import make_app, release

    app = make_app(fresh_database("blank"))
    try:
        report = setup_database(app)
        assert report.created == _slugs()
        assert not setup_database(app).changed  # a restart changes nothing
    finally:
        release(app)


# ---- flask kb sync / kb check ---------------------------------------------------------------


def test_cli_sync_prints_the_report(migrated_app, content):
    runner = migrated_app.test_cli_runner()
    result = runner.invoke(args=["kb", "sync", "--dir", str(content)])
    assert result.exit_code == 0, result.output
    assert f"content: {len(_slugs())} created, 0 updated, 0 unchanged, 0 deleted" in result.output
    assert "created: keras-conv1d-output-shape" in result.output
    again = runner.invoke(args=["kb", "sync", "--dir", str(content)])
    assert again.exit_code == 0
    assert f"0 created, 0 updated, {len(_slugs())} unchanged, 0 deleted" in again.output


def test_cli_sync_uses_the_configured_directory(app_factory, content):
    app = app_factory("migrated", SHAPEKB_CONTENT_DIR=str(content))
    _remove(content, "keras-embedding-output-shape")
    result = app.test_cli_runner().invoke(args=["kb", "sync"])
    assert result.exit_code == 0, result.output
    assert f"{len(_slugs()) - 1} created" in result.output


def test_cli_sync_names_the_broken_file_and_exits_1(migrated_app, content):
    broken = content / "keras-conv1d-output-shape.md"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("slug: keras-conv1d-output-shape", "slug: Not A Slug", 1),
        encoding="utf-8",
    )
    result = migrated_app.test_cli_runner().invoke(args=["kb", "sync", "--dir", str(content)])
    assert result.exit_code == 1
    assert str(broken) in result.output and "slug" in result.output
    assert "nothing was written" in result.output
    assert dump(migrated_app)["questions"] == []


def test_cli_sync_before_the_schema_exists(app_factory):
    app = app_factory("blank")
    result = app.test_cli_runner().invoke(args=["kb", "sync"])
    assert result.exit_code == 1
    assert "flask --app app db upgrade" in result.output


def test_cli_check(runner, content):
    ok = runner.invoke(args=["kb", "check", "--dir", str(content)])
    assert ok.exit_code == 0 and f"{len(_slugs())} entries are valid" in ok.output
    (content / "keras-conv1d-output-shape.md").write_text("no front matter", encoding="utf-8")
    bad = runner.invoke(args=["kb", "check", "--dir", str(content)])
    assert bad.exit_code == 1 and "keras-conv1d-output-shape.md" in bad.output
