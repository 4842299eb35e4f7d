"""Databases and apps for the web benchmarks: a fresh SQLite file or PostgreSQL database, migrated and
synced with N generated entries (bench/generate.py)."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb import create_app  # noqa: E402
from kb.extensions import db  # noqa: E402

# The PostgreSQL server of the tests (a role that may create databases); unset: SQLite only.
POSTGRES_URL = os.environ.get("SHAPEKB_BENCH_POSTGRES_URL") or os.environ.get("SHAPEKB_TEST_POSTGRES_URL", "")
WORK_DIR = Path(os.environ.get("SHAPEKB_BENCH_DIR") or tempfile.gettempdir()) / "shapekb-bench"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def content_dir(count: int, seed: int, with_real: bool = False) -> Path:
    """A directory of `count` generated entries (made once per count and seed, then reused); with_real:
    the real entries of kb/content too (the web benchmark opens their pages)."""
    from bench.generate import generate
    from kb.config import CONTENT_DIR

    directory = WORK_DIR / f"content-{count}-{seed}{'-real' if with_real else ''}"
    done = directory / ".complete"
    if not done.exists():
        generate(count, directory, seed)
        done.write_text("ok")
    if with_real:  # copied on every run: the real entries change with the code, the generated ones do not
        for path in CONTENT_DIR.glob("*.md"):
            text = path.read_text(encoding="utf-8")
            target = directory / path.name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
    return directory


@contextmanager
def database(backend: str):
    """The URL of a new, empty database of that backend, dropped afterwards."""
    if backend == "sqlite":
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        path = WORK_DIR / f"bench-{secrets.token_hex(4)}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    base = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"shapekb_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, content: Path | str, **config):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SHAPEKB_AUTO_SETUP": False,
            "SHAPEKB_CONTENT_DIR": str(content),
            "SECRET_KEY": "bench",
            **config,
        }
    )


def dispose(app) -> None:
    from kb.cache import stop_content_watch

    stop_content_watch(app)
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
