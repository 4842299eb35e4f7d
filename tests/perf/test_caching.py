"""Render once, serve many (kb.cache): ETags from the content's version, 304 only when nothing changed,
a changed entry shown at once after a sync, and a response cache bounded in bytes and entries."""

from __future__ import annotations

import importlib
import shutil
import time

import pytest
import sqlalchemy as sa

import kb.cache as kb_cache
from kb.cache import NOTIFY_CHANNEL, WATCH_APPLICATION_NAME, ResponseCache, content_watch, responses
from kb.config import CONTENT_DIR
from kb.extensions import db
from kb.models import Question
from kb.sync import sync_directory
from tests.test_sync import _remove as remove_entry

SLUG = "keras-conv1d-output-shape"
CACHED = [
    "/",
    "/index.json",
    f"/questions/{SLUG}",
    f"/questions/{SLUG}.json",
    "/layers/keras/Conv1D",
    "/search?q=conv1d",
    "/search.json?q=conv1d",
    f"/api/v1/questions/{SLUG}",
    "/api/v1/questions?q=conv1d",
]


@pytest.fixture
def site(app_factory, tmp_path):
    """An app synced from a private copy of kb/content/ that a test may edit."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    app = app_factory("migrated", SHAPEKB_CONTENT_DIR=str(content))
    with app.app_context():
        sync_directory()
        db.session.remove()
    return app, content


def _sync(app) -> None:
    with app.app_context():
        sync_directory()
        db.session.remove()


@pytest.mark.parametrize("path", CACHED)
def test_etag_then_304_while_nothing_changes(site, path):
    app, _ = site
    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(path)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    unchanged = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_changed_entry_shows_at_once_after_sync(site):
    app, content = site
    client = app.test_client()
    paths = [f"/questions/{SLUG}", f"/questions/{SLUG}.json", "/", "/search?q=conv1d", f"/api/v1/questions/{SLUG}"]
    before = {p: client.get(p) for p in paths}
    path = content / f"{SLUG}.md"
    text = path.read_text(encoding="utf-8")
    old_title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(old_title, 'title: "Quokka conv1d title, changed"', 1), encoding="utf-8")
    _sync(app)
    for p in paths:
        r = client.get(p, headers={"If-None-Match": before[p].headers["ETag"]})
        assert r.status_code == 200, p  # never 304 for what changed
        assert r.headers["ETag"] != before[p].headers["ETag"]
        assert "Quokka" in r.get_data(as_text=True), p


def test_a_deleted_entry_changes_every_list(site):
    app, content = site
    client = app.test_client()
    home = client.get("/index.json")
    # An entry removed with every `related` line naming it, so that the content stays valid.
    gone = sorted(content.glob("*.md"))[0]
    remove_entry(content, gone.stem)
    _sync(app)
    r = client.get("/index.json", headers={"If-None-Match": home.headers["ETag"]})
    assert r.status_code == 200 and r.get_json()["total"] == home.get_json()["total"] - 1
    assert client.get(f"/questions/{gone.stem}").status_code == 404
    # Last-Modified moved too, so a client that only sends If-Modified-Since is not told "not modified".
    stale = client.get("/index.json", headers={"If-Modified-Since": home.headers["Last-Modified"]})
    assert stale.status_code == 200, "a deletion must move Last-Modified"


def test_a_write_outside_sync_changes_the_version(site):
    """Triggers on the content tables (migration 0004) raise the version whoever writes."""
    app, _ = site
    client = app.test_client()
    before = client.get(f"/questions/{SLUG}.json")
    with app.app_context():
        db.session.execute(sa.update(Question).where(Question.slug == SLUG).values(title="Written from a shell"))
        db.session.commit()
        db.session.remove()
    after = client.get(f"/questions/{SLUG}.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["title"] == "Written from a shell"


def test_evaluator_answers_are_cached_per_address(site):
    app, _ = site
    client = app.test_client()
    a = client.get(f"/questions/{SLUG}?filters=7")
    b = client.get(f"/questions/{SLUG}?filters=9")
    assert a.status_code == b.status_code == 200
    assert a.headers["ETag"] != b.headers["ETag"]
    assert client.get(f"/questions/{SLUG}?filters=7").get_data() == a.get_data()


def test_errors_and_posts_are_not_cached(site):
    app, _ = site
    client = app.test_client()
    assert "ETag" not in client.get("/questions/no-such-entry").headers
    bad = client.get(f"/questions/{SLUG}?filters=-3")
    assert bad.status_code == 400 and "ETag" not in bad.headers
    with app.app_context():
        assert all(status == 200 for _, status, _ in responses(app).values())


def test_the_cache_can_be_switched_off(app_factory):
    app = app_factory("synced", SHAPEKB_RESPONSE_CACHE=False)
    r = app.test_client().get("/")
    assert r.status_code == 200 and "ETag" not in r.headers


def test_response_cache_is_bounded_in_bytes_and_entries():
    cache = ResponseCache(max_bytes=1000, max_entries=3)
    for n in range(10):
        cache.put(f"k{n}", b"x" * 100, 200, [])
    assert len(cache) == 3 and cache.get("k9") is not None and cache.get("k0") is None
    cache.put("big", b"x" * 5000, 200, [])  # larger than the whole cache: not kept
    assert cache.get("big") is None
    for n in range(3):
        cache.put(f"m{n}", b"y" * 400, 200, [])
    assert cache.bytes <= 1000 and len(cache) <= 3
    cache.get("m1")  # recently used: kept when the next one comes in
    cache.put("m3", b"z" * 400, 200, [])
    assert cache.get("m1") is not None and cache.get("m0") is None


@pytest.mark.parametrize("header", [{"If-None-Match": "*"}, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}])
def test_a_missing_page_is_a_404_whatever_the_conditions(site, header):
    """`*` and If-Modified-Since do not prove the page exists: 404 stays 404 (found by schemathesis)."""
    app, _ = site
    client = app.test_client()
    for path in ("/api/v1/layers/keras/NoSuchLayer", "/questions/no-such-entry", "/questions/no-such-entry.json"):
        assert client.get(path, headers=header).status_code == 404, path
    assert client.get(f"/questions/{SLUG}.json", headers=header).status_code == 304


def _statements_during(app, call) -> list[str]:
    """The SQL statements the app's engine runs while `call()` runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _other_process_writes(app, title: str) -> None:
    """A write through a connection of its own, as another worker or host would make it."""
    with app.app_context():
        url = db.engine.url
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with other.begin() as conn:
            conn.execute(sa.update(Question).where(Question.slug == SLUG).values(title=title))
    finally:
        other.dispose()


def test_the_notify_channel_is_the_migrations():
    migration = importlib.import_module("migrations.versions.0005_content_notify")
    assert migration.CHANNEL == NOTIFY_CHANNEL


def _postgres_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has no notifications, its version is read per request")


def test_postgres_serves_cached_pages_without_a_query_and_sees_other_writers(site):
    """On PostgreSQL the version comes from LISTEN/NOTIFY: a served page runs no SQL at all, and a write
    made through another connection reaches this process by its notification."""
    app, _ = site
    _postgres_only(app)
    client = app.test_client()
    path = f"/questions/{SLUG}.json"
    first = client.get(path)
    with app.app_context():
        watch = content_watch()
    assert watch is not None and _wait_for(lambda: watch.current() is not None)
    assert client.get(path).get_data() == first.get_data()
    assert _statements_during(app, lambda: client.get(path)) == []

    notified = watch.notifications
    _other_process_writes(app, "Written by another worker")
    assert _wait_for(lambda: watch.notifications > notified)
    after = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["title"] == "Written by another worker"


def test_postgres_falls_back_to_the_row_when_the_listener_is_cut(site):
    """Kill the listener's connection on the server: requests read the row themselves (so a change still
    shows at once), and the listener connects again."""
    app, _ = site
    _postgres_only(app)
    client = app.test_client()
    path = f"/questions/{SLUG}.json"
    client.get(path)
    with app.app_context():
        watch = content_watch()
    assert _wait_for(lambda: watch.current() is not None)
    with app.app_context():
        killed = db.session.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": WATCH_APPLICATION_NAME},
        ).all()
        db.session.remove()
    assert killed == [(True,)]
    assert _wait_for(lambda: watch.current() is None)
    _other_process_writes(app, "Written while nobody listened")
    assert client.get(path).get_json()["title"] == "Written while nobody listened"
    assert _statements_during(app, lambda: client.get(path)) or watch.current() is not None
    assert _wait_for(lambda: watch.current() is not None, seconds=15)  # reconnected
    _other_process_writes(app, "Written after the listener came back")
    assert _wait_for(lambda: client.get(path).get_json()["title"] == "Written after the listener came back")


def test_postgres_stops_trusting_its_copy_when_notifications_do_not_come(site, monkeypatch):
    """A version raised without a NOTIFY (as behind a pooler that drops them) is caught by the listener's
    periodic re-read: from then on every request reads the row."""
    app, _ = site
    _postgres_only(app)
    monkeypatch.setattr(kb_cache, "WATCH_REREAD_SECONDS", 1.0)
    client = app.test_client()
    path = f"/questions/{SLUG}.json"
    client.get(path)
    with app.app_context():
        watch = content_watch()
        url = db.engine.url
    assert _wait_for(lambda: watch.current() is not None)
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with other.begin() as conn:  # content_state itself has no trigger: no notification
            conn.execute(sa.text("UPDATE content_state SET version = version + 1 WHERE id = 1"))
    finally:
        other.dispose()
    assert _wait_for(lambda: watch.deaf, seconds=10)
    assert watch.current() is None
    assert _statements_during(app, lambda: client.get(path))  # read per request again
