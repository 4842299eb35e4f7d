"""A slow search is cut off by the statement timeout and answered 503 (never a killed worker); a sync
with nothing changed parses nothing; PyYAML's C loader reads every file as the Python one does."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import kb.search
import kb.sync
from bench.generate import generate
from kb.config import CONTENT_DIR
from kb.content import ContentError, _split, content_files, load_front_matter
from kb.extensions import db
from kb.sync import sync_directory


def _slow_statement() -> sa.TextClause:
    """A statement that runs for seconds on either database (bounded, so a broken timeout cannot hang)."""
    if db.engine.dialect.name == "postgresql":
        return sa.text("SELECT pg_sleep(5)")
    return sa.text(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000000) SELECT count(*) FROM c"
    )


def test_the_deadline_cuts_a_slow_statement(app):
    with app.app_context():
        start = time.monotonic()
        with pytest.raises(kb.search.SearchTimeout) as caught:
            with kb.search.statement_deadline(100):
                db.session.execute(_slow_statement())
        assert time.monotonic() - start < 3
        assert caught.value.status == 503 and caught.value.code == "search_timeout"
        # The session is usable again, without the deadline.
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
        if db.engine.dialect.name == "postgresql":
            assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() in ("0", "0ms")
        db.session.remove()


@pytest.fixture
def slow_search(app_factory, monkeypatch):
    """An app whose search runs a statement far slower than its 100 ms timeout."""
    app = app_factory("synced", SHAPEKB_SEARCH_TIMEOUT_MS=100)
    real = kb.search._ranked_page

    def slow(*args, **kwargs):
        db.session.execute(_slow_statement())
        return real(*args, **kwargs)

    monkeypatch.setattr(kb.search, "_ranked_page", slow)
    return app


def test_a_slow_search_page_is_a_503(slow_search):
    client = slow_search.test_client()
    page = client.get("/search?q=conv1d")
    assert page.status_code == 503 and "longer than" in page.get_data(as_text=True)
    twin = client.get("/search.json?q=conv1d")
    assert twin.status_code == 503 and twin.get_json()["status"] == 503
    api = client.get("/api/v1/questions?q=conv1d")
    assert api.status_code == 503 and api.get_json()["code"] == "search_timeout"
    assert client.get("/").status_code == 200  # the worker lives on


# ---- sync ---------------------------------------------------------------------------------------


@pytest.fixture
def content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_unchanged_files_are_not_parsed(migrated_app, content, monkeypatch):
    parsed = []
    real = kb.sync.parse_entry
    monkeypatch.setattr(kb.sync, "parse_entry", lambda path: parsed.append(path.stem) or real(path))
    with migrated_app.app_context():
        first = sync_directory(content)
        assert len(parsed) == len(first.created) == len(content_files(content))
        parsed.clear()
        second = sync_directory(content)
        assert parsed == [] and not second.changed and second.unchanged == sorted(first.created)
        edited = content / "keras-conv1d-output-shape.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        third = sync_directory(content)
        assert parsed == ["keras-conv1d-output-shape"] and third.updated == ["keras-conv1d-output-shape"]
        parsed.clear()
        assert not sync_directory(content, force=False).changed and parsed == []
        assert sync_directory(content, force=True).updated == sorted(first.created)
        db.session.remove()


def test_a_skipped_entry_naming_a_deleted_one_stops_the_sync(migrated_app, content):
    """load_entries refuses a related slug without a file; so does a sync that did not parse the naming file."""
    naming = content / "keras-embedding-output-shape.md"
    head = naming.read_text(encoding="utf-8").split("\n---", 1)[0]
    gone = "keras3-embedding-input-length"
    assert f"\n- {gone}\n" in head  # the seed entry names it as related
    with migrated_app.app_context():
        sync_directory(content)
        (content / f"{gone}.md").unlink()
        with pytest.raises(ContentError, match="related names entries that do not exist") as caught:
            sync_directory(content)
        assert gone in Path(caught.value.path).read_text(encoding="utf-8")
        db.session.remove()


def test_duplicate_slugs_are_found_without_parsing(migrated_app, content):
    (content / "sub").mkdir()
    shutil.copy(content / "keras-conv1d-output-shape.md", content / "sub" / "keras-conv1d-output-shape.md")
    with migrated_app.app_context():
        with pytest.raises(ContentError, match="duplicate slug"):
            sync_directory(content)
        db.session.remove()


def test_the_c_loader_reads_what_the_python_loader_reads(tmp_path):
    generate(40, tmp_path, seed=7)
    for path in content_files(CONTENT_DIR) + content_files(tmp_path):
        head, _ = _split(path, path.read_text(encoding="utf-8"))
        assert load_front_matter(head) == yaml.load(head, Loader=yaml.SafeLoader), path  # noqa: S506


def _rows(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                kb.sync.Question.slug,
                kb.sync.Question.title,
                kb.sync.Question.question_html,
                kb.sync.Question.answer_html,
                kb.sync.Question.checksum,
            ).order_by(kb.sync.Question.slug)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def _sqlite_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the worker processes never touch the database: one backend is enough")


def test_many_files_are_parsed_in_worker_processes_with_the_same_result(app_factory, tmp_path, monkeypatch):
    count = kb.sync.PARALLEL_FROM + 20
    parallel, serial = app_factory("migrated"), app_factory("migrated")
    _sqlite_only(parallel)
    generate(count, tmp_path / "many", seed=3)
    with parallel.app_context():
        report = sync_directory(tmp_path / "many")
        db.session.remove()
    monkeypatch.setattr(kb.sync, "PARALLEL_FROM", 10**9)
    with serial.app_context():
        sync_directory(tmp_path / "many")
        db.session.remove()
    assert len(report.created) == count
    assert _rows(parallel) == _rows(serial)


def test_a_broken_file_in_a_worker_stops_the_sync_naming_it(migrated_app, tmp_path):
    _sqlite_only(migrated_app)
    paths = generate(kb.sync.PARALLEL_FROM + 5, tmp_path / "many", seed=4)
    broken = paths[len(paths) // 2]
    broken.write_text(broken.read_text(encoding="utf-8").replace("source: community Q&A", "source: nowhere"))
    with migrated_app.app_context():
        with pytest.raises(ContentError) as caught:
            sync_directory(tmp_path / "many")
        assert caught.value.path == str(broken) and "source must be one of" in caught.value.message
        assert db.session.execute(sa.select(sa.func.count()).select_from(kb.sync.Question)).scalar() == 0
        db.session.remove()
