"""Render once, serve many: pages and JSON that change only when the content or the code does.

A page such as /questions/<slug> depends on three things only: the stored content, the code that
renders it (engine, templates, kb) and its own address. `content_version()` reads the first in one
small query; `code_version()` is fixed for the life of the process. From the three, `cached_page`
makes an ETag before the view runs: a client that already has it gets 304 without anything being
rendered, and otherwise the finished response is taken from a bounded in-process cache (least
recently used first out, bounded in bytes and in entries) or rendered once and kept. A sync that
changes anything changes the version, so a changed entry shows at once, in every worker.

On PostgreSQL the version is not read per request: each process keeps a copy that a listener thread
(ContentWatch) refreshes when the triggers' NOTIFY arrives (migration 0005), so a served page makes no
round trip to the database server. Until the listener is connected, and whenever it is not, the
version is read per request as on SQLite, where that read is an in-process lookup.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context, make_response, request
from sqlalchemy.orm import Session

from kb.extensions import db
from kb.models import ContentState

PACKAGE_DIR = Path(__file__).resolve().parent
ENGINE_DIR = PACKAGE_DIR.parent / "engine"

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 4096
VERSION_SQL = f"SELECT version, changed_at FROM {ContentState.__tablename__} WHERE id = 1"
CACHE_CONTROL = "no-cache"  # keep a copy, but ask every time (a 304 costs one small query)
NOTIFY_CHANNEL = "shapekb_content"  # the triggers of migration 0005 notify it on every content write
WATCH_APPLICATION_NAME = "shapekb-content-watch"
WATCH_POLL_SECONDS = 1.0  # how often the listener wakes to see whether it is asked to stop
WATCH_REREAD_SECONDS = 30.0  # the listener reads the version this often even without a notification
WATCH_RETRY_SECONDS = 2.0  # after a lost connection, reads go to the database until it is back
WATCH_RETRY_MAX_SECONDS = 60.0

log = logging.getLogger(__name__)


class BoundedLRU:
    """A thread-safe least-recently-used map, bounded in entries and in bytes (each value's size given)."""

    def __init__(self, max_bytes: int, max_entries: int):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._items: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key, value, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self._items and (self.bytes > self.max_bytes or len(self._items) > self.max_entries):
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def values(self) -> list:
        with self._lock:
            return [value for value, _ in self._items.values()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


class ResponseCache(BoundedLRU):
    """Finished responses (body, status, headers) by ETag."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES):
        super().__init__(max_bytes, max_entries)

    def put(self, key: str, body: bytes, status: int, headers: list) -> None:
        super().put(key, (body, status, headers), len(body) + len(key))


def per_process(app, name: str, make):
    """The app's object `name` (a cache), made by `make(config)` on first use; each worker keeps its own."""
    app = app or current_app._get_current_object()
    value = app.extensions.get(name)
    if value is None:
        value = app.extensions[name] = make(app.config)
    return value


def responses(app=None) -> ResponseCache:
    """The app's response cache."""
    return per_process(
        app,
        "shapekb_responses",
        lambda config: ResponseCache(
            config.get("SHAPEKB_RESPONSE_CACHE_BYTES", DEFAULT_MAX_BYTES),
            config.get("SHAPEKB_RESPONSE_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES),
        ),
    )


def clear_all(app=None) -> None:
    """Empty every render cache of this process (the benchmarks measure first renders this way)."""
    from engine import compile as engine_compile

    app = app or current_app._get_current_object()
    responses(app).clear()
    shells = app.extensions.get("shapekb_shells")  # kb.shells: pages rendered but for their evaluator
    if shells is not None:
        shells.clear()
    engine_compile._substituted.cache_clear()
    from kb.solve_page import _panel_answer  # solver panels: engine-only, so they outlive content changes

    _panel_answer.cache_clear()


@lru_cache(maxsize=1)
def code_version() -> tuple[str, datetime]:
    """(a digest, the newest modification time) of the code that renders pages: kb/ and engine/.

    Every worker computes the same value from the same files, so an ETag is valid across workers and
    a deployment of new code changes it."""
    digest = hashlib.sha256()
    newest = 0
    for root in (PACKAGE_DIR, ENGINE_DIR):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".js") and "content" not in path.relative_to(root).parts:
                stat = path.stat()
                digest.update(f"{path.relative_to(root.parent)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
                newest = max(newest, stat.st_mtime_ns)
    return digest.hexdigest()[:16], datetime.fromtimestamp(newest / 1e9, UTC)


class ContentWatch:
    """This process's copy of content_state, kept current by PostgreSQL's LISTEN/NOTIFY.

    A daemon thread holds one connection of its own that LISTENs on NOTIFY_CHANNEL; each notification
    (sent by the triggers at commit) makes it read the row again. `current()` is None while the thread
    is not connected and has not read the row since, so the caller reads the database itself. The
    copy only moves forward: versions only grow, so a late read never replaces a newer one."""

    def __init__(self, engine: sa.Engine):
        self._engine = engine
        self._value: tuple[int, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.pid = os.getpid()
        self.notifications = 0
        self.deaf = False  # set when changes come without notifications: the copy is never trusted again
        self._listened = 0  # the version the listener itself last read
        self._thread = threading.Thread(target=self._run, name="shapekb-content-watch", daemon=True)
        self._thread.start()

    def current(self) -> tuple[int, float] | None:
        return None if self.deaf else self._value

    def offer(self, value: tuple[int, float] | None) -> None:
        """Keep `value` if it is newer than the copy (a read made by a request or by the listener)."""
        if value is None:
            return
        with self._lock:
            if self._value is None or value[0] > self._value[0]:
                self._value = value

    def forget(self) -> None:
        """This process wrote: read the row again before trusting the copy (the NOTIFY may lag)."""
        self._value = None

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(wait)

    def _connect(self):
        dialect = self._engine.dialect
        cargs, cparams = dialect.create_connect_args(self._engine.url)
        # Named, so that an operator (or a test) can tell it in pg_stat_activity.
        return dialect.loaded_dbapi.connect(
            *cargs, **{**cparams, "autocommit": True, "application_name": WATCH_APPLICATION_NAME}
        )

    def _run(self) -> None:
        retry = WATCH_RETRY_SECONDS
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._read(conn)  # after LISTEN: no change can fall between the two
                    retry = WATCH_RETRY_SECONDS
                    quiet = 0.0
                    while not self._stop.is_set():
                        received = sum(1 for _ in conn.notifies(timeout=WATCH_POLL_SECONDS, stop_after=1))
                        quiet = 0.0 if received else quiet + WATCH_POLL_SECONDS
                        if received or quiet >= WATCH_REREAD_SECONDS:  # the re-read also proves the link alive
                            self.notifications += received
                            known = self._listened
                            self._read(conn)
                            if not received and self._listened > known and not self._late_notification(conn):
                                # The content changed and no notification came: something between us and
                                # the server drops them (a pooler in transaction mode, say). Requests read
                                # the row from now on; a stale copy would serve stale pages.
                                log.warning("content watch: a change came without its NOTIFY; reading per request")
                                self.deaf = True
                                self._value = None
                                return
                            quiet = 0.0
            except Exception as error:  # the server went away: requests read the row until reconnected
                self._value = None
                log.warning("content watch: %s; retrying in %.0f s", error, retry)
                self._stop.wait(retry)
                retry = min(retry * 2, WATCH_RETRY_MAX_SECONDS)
        self._value = None

    def _read(self, conn) -> None:
        row = conn.execute(VERSION_SQL).fetchone()
        if row is not None:
            self._listened = int(row[0])
            self.offer((self._listened, float(row[1])))

    def _late_notification(self, conn) -> bool:
        """A change committed just before the re-read may have its notification still on the way."""
        received = sum(1 for _ in conn.notifies(timeout=2 * WATCH_POLL_SECONDS, stop_after=1))
        self.notifications += received
        return received > 0


def content_watch(app=None) -> ContentWatch | None:
    """The app's listener on PostgreSQL (started in this process on first use; None on SQLite or when
    SHAPEKB_CONTENT_WATCH is off)."""
    app = app or current_app._get_current_object()
    if not app.config.get("SHAPEKB_CONTENT_WATCH", True) or db.engine.dialect.name != "postgresql":
        return None
    watch = app.extensions.get("shapekb_content_watch")
    if watch is None or watch.pid != os.getpid():  # a forked worker starts its own thread
        with _WATCH_START:
            watch = app.extensions.get("shapekb_content_watch")
            if watch is None or watch.pid != os.getpid():
                watch = app.extensions["shapekb_content_watch"] = ContentWatch(db.engine)
    return watch


@sa.event.listens_for(Session, "after_commit")
def _forget_after_commit(_session) -> None:
    """A commit in this process may have changed the content: its next request reads the row itself."""
    if has_app_context():
        watch = current_app.extensions.get("shapekb_content_watch")
        if watch is not None:
            watch.forget()


def stop_content_watch(app) -> None:
    """Stop the app's listener and close its connection (tests and benchmarks, before dropping a database)."""
    watch = app.extensions.pop("shapekb_content_watch", None)
    if watch is not None and watch.pid == os.getpid():
        watch.stop()


_WATCH_START = threading.Lock()


def content_version() -> tuple[str, datetime | None]:
    """(a token that changes with any write to the content tables, the time of the last one): the
    listener's copy on PostgreSQL, else one primary-key lookup of the row the triggers keep."""
    watch = content_watch()
    value = watch.current() if watch is not None else None
    if value is None:
        # Plain SQL on the session's connection: this runs on every cached request, and building an ORM
        # statement would cost more than the lookup itself.
        row = db.session.connection().exec_driver_sql(VERSION_SQL).first()
        if row is None:  # pragma: no cover - the migration inserts the row
            return "-", None
        value = (int(row[0]), float(row[1]))
        if watch is not None:
            watch.offer(value)
    version, changed_at = value
    return str(version), datetime.fromtimestamp(changed_at, UTC)


def cached_page(view):
    """Serve a GET view from its ETag (304), from the response cache, or by running it once.

    Only for views whose answer depends on nothing but the content, the code and the request's path
    and query string (no cookies, no form body, no time)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        config = current_app.config
        if (
            request.method not in ("GET", "HEAD")
            or not config.get("SHAPEKB_RESPONSE_CACHE", True)
            or not config.get("SHAPEKB_RESPONSE_CACHE_BYTES", DEFAULT_MAX_BYTES)
        ):
            return view(*args, **kwargs)
        code, code_time = code_version()
        content, content_time = content_version()
        path = request.full_path if request.query_string else request.path
        etag = hashlib.sha256(f"{code}|{content}|{path}".encode()).hexdigest()[:32]
        modified = max(code_time, content_time) if content_time else code_time
        tags = request.if_none_match
        if tags.is_strong(etag) or tags.is_weak(etag):  # this very ETag was only ever sent with a 200
            return _not_modified(etag, modified)
        # `If-None-Match: *` and If-Modified-Since say nothing of whether the page exists: they give 304 only
        # once the answer is known to be a 200 (a missing page stays a 404, RFC 9110 section 13.2.1).
        unchanged = tags.star_tag or (not tags and _unmodified_since(modified))
        cache = responses()
        hit = cache.get(etag)
        if hit is not None:
            body, status, headers = hit
            response = current_app.response_class(body, status=status, headers=headers)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
                return response
            body = response.get_data()
            cache.put(etag, body, 200, [("Content-Type", response.headers["Content-Type"])])
        if unchanged:
            return _not_modified(etag, modified)
        return _validators(response, etag, modified)

    return wrapper


def _http_time(modified: datetime) -> datetime:
    """Last-Modified has whole seconds: the next one after the change (so that an If-Modified-Since
    equal to it proves the copy is newer than the change), unless that is still to come."""
    up = modified.replace(microsecond=0) + (timedelta(seconds=1) if modified.microsecond else timedelta(0))
    return up if up <= datetime.now(UTC) else modified.replace(microsecond=0)


def _unmodified_since(modified: datetime) -> bool:
    """If-Modified-Since (whole seconds) is at or after the change: 304 (only asked without If-None-Match)."""
    since = request.if_modified_since
    return since is not None and since >= modified


def _validators(response, etag: str, modified: datetime):
    response.set_etag(etag)
    response.last_modified = _http_time(modified)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _not_modified(etag: str, modified: datetime):
    return _validators(current_app.response_class(status=304), etag, modified)
