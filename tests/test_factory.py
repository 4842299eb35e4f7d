"""The application factory and its settings."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb import config, create_app
from kb.extensions import db

ENV_VARS = ("DATABASE_URL", "HOST", "PORT", "SECRET_KEY", "SHAPEKB_AUTO_SETUP", "SHAPEKB_CONTENT_DIR")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    app = create_app()
    expected = Path(app.instance_path) / "shapekb.sqlite3"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"
    assert Path(app.instance_path).name == "instance"
    assert Path(app.instance_path).parent == Path(__file__).resolve().parent.parent
    assert (app.config["HOST"], app.config["PORT"]) == ("127.0.0.1", 5000)
    assert app.config["SHAPEKB_AUTO_SETUP"] is True
    assert app.config["SHAPEKB_CONTENT_DIR"] == str(config.CONTENT_DIR)
    assert len(app.config["SECRET_KEY"]) >= 32
    assert not app.testing


def test_settings_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "postgres://kb:secret@db.example:5433/shapekb")
    clean_env.setenv("HOST", "0.0.0.0")
    clean_env.setenv("PORT", "8080")
    clean_env.setenv("SECRET_KEY", "s3cret")
    clean_env.setenv("SHAPEKB_AUTO_SETUP", "0")
    clean_env.setenv("SHAPEKB_CONTENT_DIR", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kb:secret@db.example:5433/shapekb"
    assert (app.config["HOST"], app.config["PORT"]) == ("0.0.0.0", 8080)
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["SHAPEKB_AUTO_SETUP"] is False
    assert app.config["SHAPEKB_CONTENT_DIR"] == str(tmp_path)


def test_test_config_overrides_the_environment(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "sqlite:////nowhere/else.sqlite3")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "PORT": 1234})
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["PORT"] == 1234
    with app.app_context():
        assert str(db.engine.url) == url  # the engine is built from the final URI
        db.engine.dispose()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "http", "PORT must be an integer"),
        ("PORT", "70000", "PORT must be between 1 and 65535"),
        ("SHAPEKB_AUTO_SETUP", "maybe", "SHAPEKB_AUTO_SETUP must be"),
    ],
)
def test_bad_settings_fail_loudly(clean_env, name, value, message):
    clean_env.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        create_app()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_auto_setup_flag(raw, expected):
    assert config.env_flag("X", not expected, {"X": raw}) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_database_url_spellings(url, expected):
    assert config.normalize_database_url(url) == expected


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_creating_the_app_does_not_touch_the_database(clean_env, tmp_path):
    sqlite_file = tmp_path / "never.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_file}"})
    assert not sqlite_file.exists()
    # No server listens there: creating the app still works, the first query is what fails.
    clean_env.setenv("DATABASE_URL", f"postgresql://kb@127.0.0.1:{_closed_port()}/kb")
    app = create_app()
    with app.app_context():
        with pytest.raises(sa.exc.OperationalError):
            with db.engine.connect():
                pass
        db.engine.dispose()


def test_blueprints_and_commands(app):
    endpoints = set(app.view_functions)
    assert {"pages.index", "pages.index_json", "pages.question", "pages.question_json"} <= endpoints
    assert {"kb", "db"} <= set(app.cli.commands)
    assert {"sync", "check"} <= set(app.cli.commands["kb"].commands)
    assert {"upgrade", "downgrade", "migrate", "current"} <= set(app.cli.commands["db"].commands)


def test_sqlite_enforces_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
