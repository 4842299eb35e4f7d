"""Fixtures of the web and database tests: a fresh database per test, on SQLite and (when
SHAPEKB_TEST_POSTGRES_URL is set) on PostgreSQL.

    app / client / runner   migrations applied and kb/content/ synced (the state `python app.py` serves)
    migrated_app            migrations applied, no content
    blank_db_url            an empty database (no tables at all)

Each fixture that takes a database is parametrized over the backends: its tests run once on SQLite
and once on PostgreSQL. Every state is built once per session (a template) and copied per test: a
file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL. On PostgreSQL the session works in
databases named shapekb_test_<random>_*, created with the role of SHAPEKB_TEST_POSTGRES_URL (which
needs CREATEDB) and dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from kb import create_app
from kb.config import CONTENT_DIR
from kb.extensions import db

POSTGRES_URL = os.environ.get("SHAPEKB_TEST_POSTGRES_URL", "").strip()
STATES = ("blank", "migrated", "synced")


def make_app(url: str, **config):
    """An app on the given database, without the automatic setup of `python app.py`."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SHAPEKB_AUTO_SETUP": False,
        "SHAPEKB_CONTENT_DIR": str(CONTENT_DIR),
        "SECRET_KEY": "test",
    }
    return create_app({**settings, **config})


def release(app) -> None:
    """Close every pooled connection of an app (no stray connection outlives its test)."""
    from kb.cache import stop_content_watch

    stop_content_watch(app)
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def _build(url: str, state: str) -> None:
    """Bring a blank database to `state` the way the product does it (migrations, then sync)."""
    if state == "blank":
        return
    from kb.sync import setup_database

    app = make_app(url)
    try:
        setup_database(app, sync=state == "synced")
    finally:
        release(app)


class SqliteDatabases:
    """Database files in a temporary directory; a new database is a copy of the state's template."""

    name = "sqlite"

    def __init__(self, directory: Path):
        self.directory = directory
        self.templates: dict[str, Path] = {}
        self.count = 0

    def _path(self, label: str) -> Path:
        self.count += 1
        return self.directory / f"{label}-{self.count}.sqlite3"

    def new(self, state: str) -> str:
        if state not in self.templates:
            path = self._path(f"template-{state}")
            _build(f"sqlite:///{path}", state)
            self.templates[state] = path
        path = self._path(state)
        if self.templates[state].exists():
            shutil.copyfile(self.templates[state], path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        Path(make_url(url).database).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Databases shapekb_test_<session>_<n> on the server of SHAPEKB_TEST_POSTGRES_URL, dropped at the end."""

    name = "postgres"

    def __init__(self, url: str):
        self.base = make_url(url)
        if self.base.drivername in ("postgres", "postgresql"):
            self.base = self.base.set(drivername="postgresql+psycopg")
        self.admin = sa.create_engine(self.base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.prefix = f"shapekb_test_{secrets.token_hex(4)}"
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    def _create(self, label: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{label}_{len(self.created)}"
        with self.admin.connect() as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return name

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def new(self, state: str) -> str:
        if state not in self.templates:
            name = self._create(f"tpl_{state}")
            _build(self.url(name), state)
            self.templates[state] = name
        return self.url(self._create(state, self.templates[state]))

    def _drop(self, conn, name: str) -> None:
        # A plain DROP first: PostgreSQL itself stops an autovacuum worker busy in that database, whereas
        # WITH (FORCE) would have to terminate it, which a role that is not superuser may not do. FORCE
        # is only for our own sessions that linger (a pool not yet disposed).
        try:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        except sa.exc.DBAPIError:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            self._drop(conn, name)
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                self._drop(conn, name)
        self.created.clear()
        self.admin.dispose()


BACKENDS = [pytest.param("sqlite")]
if POSTGRES_URL:
    BACKENDS.append(pytest.param("postgres", marks=pytest.mark.postgres))


def pytest_report_header(config):
    if POSTGRES_URL:
        return f"databases: sqlite, postgres ({make_url(POSTGRES_URL).render_as_string(hide_password=True)})"
    return "databases: sqlite only (set SHAPEKB_TEST_POSTGRES_URL to run the database tests on PostgreSQL too)"


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request, tmp_path_factory):
    """The backend under test: its databases live for the session."""
    if request.param == "sqlite":
        dbs = SqliteDatabases(tmp_path_factory.mktemp("databases"))
    else:
        dbs = PostgresDatabases(POSTGRES_URL)
    yield dbs
    dbs.close()


@pytest.fixture
def fresh_database(databases):
    """new(state) -> the URL of a new database in that state, dropped after the test."""
    urls: list[str] = []

    def new(state: str = "blank") -> str:
        assert state in STATES, state
        url = databases.new(state)
        urls.append(url)
        return url

    yield new
    for url in urls:
        databases.drop(url)


@pytest.fixture
def blank_db_url(fresh_database) -> str:
    return fresh_database("blank")


@pytest.fixture
def app_factory(fresh_database):
    """app_factory(state="synced", **config) -> an app on a new database; released after the test."""
    apps = []

    def factory(state: str = "synced", **config):
        app = make_app(fresh_database(state), **config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        release(app)


@pytest.fixture
def app(app_factory):
    """Migrations applied and the content of kb/content/ synced."""
    return app_factory("synced")


@pytest.fixture
def migrated_app(app_factory):
    """Migrations applied, no content yet."""
    return app_factory("migrated")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
