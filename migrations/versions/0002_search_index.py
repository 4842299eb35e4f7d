"""search index: questions_fts (SQLite FTS5 + triggers) or a weighted tsvector GIN index (PostgreSQL)

Hand-written (autogenerate skips every object named questions_fts*, see kb.extensions.include_name).
kb/search.py is the only code that queries these objects.

SQLite: an external-content FTS5 table over questions(title, question_md, answer_md). Triggers keep it
in step with every INSERT, UPDATE and DELETE on questions (kb.sync, tests, a shell), so nothing has to
remember to rebuild it; the upgrade indexes the rows already there.

PostgreSQL: a GIN index on the weighted document expression kb.search.DOCUMENT_PG (title A, question
B, answer C; . and / read as spaces, so nn.Conv1d is the words nn and conv1d); the search query
repeats the same expression, so the planner uses the index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:10:00

"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = "title, question_md, answer_md"
NEW_VALUES = "new.title, new.question_md, new.answer_md"
OLD_VALUES = "old.title, old.question_md, old.answer_md"

SQLITE_UPGRADE = [
    f"""CREATE VIRTUAL TABLE questions_fts USING fts5(
        {COLUMNS},
        content='questions', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER questions_fts_after_insert AFTER INSERT ON questions BEGIN
        INSERT INTO questions_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END""",
    f"""CREATE TRIGGER questions_fts_after_delete AFTER DELETE ON questions BEGIN
        INSERT INTO questions_fts(questions_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
    END""",
    f"""CREATE TRIGGER questions_fts_after_update AFTER UPDATE OF {COLUMNS} ON questions BEGIN
        INSERT INTO questions_fts(questions_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD_VALUES});
        INSERT INTO questions_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW_VALUES});
    END""",
    "INSERT INTO questions_fts(questions_fts) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS questions_fts_after_update",
    "DROP TRIGGER IF EXISTS questions_fts_after_delete",
    "DROP TRIGGER IF EXISTS questions_fts_after_insert",
    "DROP TABLE IF EXISTS questions_fts",
]

# Must stay identical to kb.search.DOCUMENT_PG (a test compares them).
DOCUMENT_PG = (
    "(setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.title, ''), './', '  ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.question_md, ''), './', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.answer_md, ''), './', '  ')), 'C'))"
)
POSTGRES_UPGRADE = [f"CREATE INDEX questions_fts_document ON questions USING gin ({DOCUMENT_PG})"]
POSTGRES_DOWNGRADE = ["DROP INDEX IF EXISTS questions_fts_document"]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UPGRADE)
    elif dialect == "postgresql":
        _run(POSTGRES_UPGRADE)
    else:
        raise RuntimeError(f"ShapeKB's search index supports SQLite and PostgreSQL, not {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWNGRADE)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWNGRADE)
