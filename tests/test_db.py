"""The schema comes only from the migrations: upgrade, downgrade, upgrade again; models and schema agree."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from kb.config import MIGRATIONS_DIR
from kb.extensions import db, include_name
from kb.models import Example, FormulaLink, LayerType, Question, question_layers
from tests.conftest import make_app, release

MODEL_TABLES = {"questions", "layer_types", "question_layers", "formula_links", "examples"}


def _tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def _schema_diff(app) -> list:
    """What autogenerate would change: nothing, when the migrations build exactly the models' schema."""
    opts = dict(app.extensions["migrate"].configure_args)
    opts.pop("process_revision_directives", None)
    with app.app_context(), db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def _head() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def _current(app) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.fixture
def blank_app(blank_db_url):
    app = make_app(blank_db_url)
    yield app
    release(app)


def test_upgrade_downgrade_upgrade(blank_app):
    app = blank_app
    assert _tables(app) == set()
    with app.app_context():
        flask_migrate.upgrade()
    assert MODEL_TABLES <= _tables(app)
    assert _current(app) == _head()
    assert _schema_diff(app) == []

    with app.app_context():
        flask_migrate.downgrade(revision="base")
    assert _tables(app) - {"alembic_version"} == set()
    assert _current(app) is None

    with app.app_context():
        flask_migrate.upgrade()
    assert MODEL_TABLES <= _tables(app)
    assert _current(app) == _head()
    assert _schema_diff(app) == []


def test_each_revision_downgrades_one_step(blank_app):
    """Walk down the chain one revision at a time, then up again: every downgrade() works on its own."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = [rev.revision for rev in script.walk_revisions()]  # head first
    with blank_app.app_context():
        flask_migrate.upgrade()
        for n, rev in enumerate(revisions):
            flask_migrate.downgrade(revision="-1")
            below = revisions[n + 1] if n + 1 < len(revisions) else None
            with db.engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == below, rev
        flask_migrate.upgrade()
    assert _schema_diff(blank_app) == []


def test_the_migrated_schema_matches_the_models(migrated_app):
    assert _schema_diff(migrated_app) == []
    assert MODEL_TABLES <= _tables(migrated_app)


def test_autogenerate_skips_full_text_objects():
    assert not include_name("questions_fts", "table", {})
    assert not include_name("questions_fts_data", "table", {})
    assert not include_name("questions_fts_idx", "index", {})
    assert include_name("questions", "table", {})
    assert include_name("question_layers", "table", {})


def test_deleting_a_question_cascades(app):
    with app.app_context():
        q = db.session.scalar(sa.select(Question).limit(1))
        qid = q.id
        assert q.examples and q.formula_links and q.layer_types
        # Delete with SQL, not the ORM: the database's own ON DELETE CASCADE must clean up.
        db.session.execute(sa.delete(Question).where(Question.id == qid))
        db.session.commit()
        for model in (Example, FormulaLink):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.question_id == qid)) == 0
        left = db.session.scalar(
            sa.select(sa.func.count()).select_from(question_layers).where(question_layers.c.question_id == qid)
        )
        assert left == 0


def test_unique_slug_and_layer_type(migrated_app):
    with migrated_app.app_context():
        db.session.add(LayerType(framework="keras", name="Conv1D"))
        db.session.commit()
        db.session.add(LayerType(framework="keras", name="Conv1D"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_example_kind_is_checked(app):
    with app.app_context():
        example = db.session.scalar(sa.select(Example).limit(1))
        example.kind = "guess"
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
