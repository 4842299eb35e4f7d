"""Render once, serve many: pages and JSON that change only when the content or the code does.

A page such as /questions/<slug> depends on three things only: the stored content, the code that
renders it (engine, templates, kb) and its own address. `content_version()` reads the first in one
small query; `code_version()` is fixed for the life of the process. From the three, `cached_page`
makes an ETag before the view runs: a client that already has it gets 304 without anything being
rendered, and otherwise the finished response is taken from a bounded in-process cache (least
recently used first out, bounded in bytes and in entries) or rendered once and kept. A sync that
changes anything changes the version, so a changed entry shows at once, in every worker.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from pathlib import Path

from flask import current_app, make_response, request

from kb.extensions import db
from kb.models import ContentState

PACKAGE_DIR = Path(__file__).resolve().parent
ENGINE_DIR = PACKAGE_DIR.parent / "engine"

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 4096
VERSION_SQL = f"SELECT version, changed_at FROM {ContentState.__tablename__} WHERE id = 1"
CACHE_CONTROL = "no-cache"  # keep a copy, but ask every time (a 304 costs one small query)


class ResponseCache:
    """A thread-safe LRU of finished responses (body, status, headers), bounded in bytes and entries."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._items: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, body: bytes, status: int, headers: list) -> None:
        size = len(body) + len(key)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= len(old[0]) + len(key)
            self._items[key] = (body, status, headers)
            self.bytes += size
            while self._items and (self.bytes > self.max_bytes or len(self._items) > self.max_entries):
                dropped_key, dropped = self._items.popitem(last=False)
                self.bytes -= len(dropped[0]) + len(dropped_key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def responses(app=None) -> ResponseCache:
    """The app's response cache (one per process: each gunicorn worker keeps its own)."""
    app = app or current_app._get_current_object()
    cache = app.extensions.get("shapekb_responses")
    if cache is None:
        cache = app.extensions["shapekb_responses"] = ResponseCache(
            app.config.get("SHAPEKB_RESPONSE_CACHE_BYTES", DEFAULT_MAX_BYTES),
            app.config.get("SHAPEKB_RESPONSE_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES),
        )
    return cache


def clear_all(app=None) -> None:
    """Empty every render cache of this process (the benchmarks measure first renders this way)."""
    from engine import compile as engine_compile

    responses(app).clear()
    engine_compile._substituted.cache_clear()


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


def content_version() -> tuple[str, datetime | None]:
    """(a token that changes with any write to the content tables, the time of the last one): one
    primary-key lookup of the row the database's triggers keep (migration 0004)."""
    # Plain SQL on the session's connection: this runs on every cached request, and building an ORM
    # statement would cost more than the lookup itself.
    row = db.session.connection().exec_driver_sql(VERSION_SQL).first()
    if row is None:  # pragma: no cover - the migration inserts the row
        return "-", None
    version, changed_at = row
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
