"""ShapeKB: a Q&A knowledge service whose answers run. create_app() is the application factory."""

from __future__ import annotations

import os
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from kb import config


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys (and ON DELETE CASCADE) only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings (environment, then test_config), extensions, blueprints, CLI.

    Creating the app never connects to the database: `python app.py` (or gunicorn's master through
    gunicorn.conf.py) runs kb.sync.setup_database() for that.
    """
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_env(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False

    from kb import cli, models, web  # noqa: F401  (models: the tables register on db.metadata)
    from kb.extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db)

    web.init_app(app)  # error pages first: blueprints may wrap the app's handlers
    register_blueprints(app)
    cli.init_app(app)
    return app


def register_blueprints(app: Flask) -> None:
    """One blueprint per concern."""
    from kb import pages

    app.register_blueprint(pages.bp)
    from kb import api

    app.register_blueprint(api.bp)
    from kb import explain_page, layer_pages, search_page, trace_page

    for module in (layer_pages, trace_page, search_page, explain_page):
        app.register_blueprint(module.bp)
