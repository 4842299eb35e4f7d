"""Extensions, created unbound here and bound to the app in create_app (flaskr style)."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kb.config import MIGRATIONS_DIR

# Named constraints, so migrations can drop and alter them the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FTS_PREFIX = "questions_fts"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def include_name(name, type_, parent_names) -> bool:
    """Autogenerate and schema comparison skip the full-text search objects (hand-written migrations)."""
    return not (name or "").startswith(FTS_PREFIX)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=str(MIGRATIONS_DIR), include_name=include_name)
