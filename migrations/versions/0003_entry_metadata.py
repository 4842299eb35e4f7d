"""entry metadata: sources, families, error messages and related questions; error messages searchable

questions gains `sources` (JSON list of thread URLs) and `errors_text` (the error messages, one a line,
a column of the full-text document); three tables hold the rest: question_families (looked up by
family), question_errors (framework, versions, message) and related_questions (question -> question,
in the curator's order).

The full-text objects are rebuilt with errors_text in them (hand-written, like revision 0002):
SQLite's questions_fts gains a fourth column; PostgreSQL's GIN index covers the document
kb.search.DOCUMENT_PG, now with four weight classes (error messages A, title B, question C, answer D),
so that the search can weigh the messages and the title differently for a pasted message and for a
few words.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 18:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _sqlite_fts(columns: str) -> list[str]:
    """The external-content FTS5 table over these columns of questions, its triggers, and a rebuild."""
    new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    return [
        f"""CREATE VIRTUAL TABLE questions_fts USING fts5(
            {columns},
            content='questions', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        f"""CREATE TRIGGER questions_fts_after_insert AFTER INSERT ON questions BEGIN
            INSERT INTO questions_fts(rowid, {columns}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER questions_fts_after_delete AFTER DELETE ON questions BEGIN
            INSERT INTO questions_fts(questions_fts, rowid, {columns}) VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER questions_fts_after_update AFTER UPDATE OF {columns} ON questions BEGIN
            INSERT INTO questions_fts(questions_fts, rowid, {columns}) VALUES ('delete', old.id, {old});
            INSERT INTO questions_fts(rowid, {columns}) VALUES (new.id, {new});
        END""",
        "INSERT INTO questions_fts(questions_fts) VALUES ('rebuild')",
    ]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS questions_fts_after_update",
    "DROP TRIGGER IF EXISTS questions_fts_after_delete",
    "DROP TRIGGER IF EXISTS questions_fts_after_insert",
    "DROP TABLE IF EXISTS questions_fts",
]
SQLITE_COLUMNS_0002 = "title, question_md, answer_md"
SQLITE_COLUMNS = "title, question_md, answer_md, errors_text"


DOCUMENT_PG_0002 = (
    "(setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.title, ''), './', '  ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.question_md, ''), './', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.answer_md, ''), './', '  ')), 'C'))"
)
# Must stay identical to kb.search.DOCUMENT_PG (a test compares them).
DOCUMENT_PG = (
    "(setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.title, ''), './', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.question_md, ''), './', '  ')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.answer_md, ''), './', '  ')), 'D') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.errors_text, ''), './', '  ')), 'A'))"
)


def _run(statements):
    for statement in statements:
        op.execute(statement)


def _rebuild_search(columns: str, document: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DROP + _sqlite_fts(columns))
    elif dialect == "postgresql":
        _run(
            [
                "DROP INDEX IF EXISTS questions_fts_document",
                f"CREATE INDEX questions_fts_document ON questions USING gin ({document})",
            ]
        )
    else:
        raise RuntimeError(f"ShapeKB's search index supports SQLite and PostgreSQL, not {dialect}")


def upgrade():
    op.add_column("questions", sa.Column("sources", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.add_column("questions", sa.Column("errors_text", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "question_families",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_question_families_question_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("question_id", "family", name=op.f("pk_question_families")),
    )
    op.create_index(op.f("ix_question_families_family"), "question_families", ["family"], unique=False)
    op.create_table(
        "question_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("framework", sa.String(length=20), nullable=False),
        sa.Column("versions", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_question_errors_question_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_errors")),
        sa.UniqueConstraint("question_id", "position", name=op.f("uq_question_errors_question_id_position")),
    )
    op.create_table(
        "related_questions",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_related_questions_question_id_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["related_id"], ["questions.id"], name=op.f("fk_related_questions_related_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("question_id", "related_id", name=op.f("pk_related_questions")),
    )
    op.create_index(op.f("ix_related_questions_related_id"), "related_questions", ["related_id"], unique=False)
    _rebuild_search(SQLITE_COLUMNS, DOCUMENT_PG)


def downgrade():
    _rebuild_search(SQLITE_COLUMNS_0002, DOCUMENT_PG_0002)
    op.drop_index(op.f("ix_related_questions_related_id"), table_name="related_questions")
    op.drop_table("related_questions")
    op.drop_table("question_errors")
    op.drop_index(op.f("ix_question_families_family"), table_name="question_families")
    op.drop_table("question_families")
    op.drop_column("questions", "errors_text")
    op.drop_column("questions", "sources")
