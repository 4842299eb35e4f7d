"""search that scales and a content version: a stored, indexed tsvector; content_state kept by triggers

PostgreSQL: questions gains questions_fts_vector, a generated STORED column holding the weighted
document kb.search.DOCUMENT_PG (computed once per write, never per search), with a GIN index
questions_fts_vector_gin; the expression index of revisions 0002/0003 goes. SQLite keeps its FTS5 table.

Both: content_state, one row whose version the database raises on every write to a content table
(triggers: statement-level on PostgreSQL, per row on SQLite), so every process can tell in one
primary-key lookup whether anything changed (kb.cache: ETags and the response cache). And an index
on questions (title, slug), the order of the home page and of an empty search, so a page of them is
read from the index, not sorted from every row; one on formula_links (engine_key), how a layer's page
finds the questions showing its formulas.

Hand-written (autogenerate skips every object named questions_fts*, and does not see triggers).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Every table a page is made from: a write to any of them is a change of the content.
CONTENT_TABLES = (
    "questions",
    "examples",
    "formula_links",
    "layer_types",
    "question_layers",
    "question_families",
    "question_errors",
    "related_questions",
)

# Must stay identical to kb.search.DOCUMENT_PG (a test compares them); the same as revision 0003's.
DOCUMENT_PG = (
    "(setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.title, ''), './', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.question_md, ''), './', '  ')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.answer_md, ''), './', '  ')), 'D') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.errors_text, ''), './', '  ')), 'A'))"
)
EPOCH_NOW = {
    "sqlite": "(julianday('now') - 2440587.5) * 86400.0",
    "postgresql": "extract(epoch from clock_timestamp())",
}

POSTGRES_UPGRADE = [
    "DROP INDEX IF EXISTS questions_fts_document",
    # A generated column may only name its own table's columns, unqualified.
    "ALTER TABLE questions ADD COLUMN questions_fts_vector tsvector "
    f"GENERATED ALWAYS AS {DOCUMENT_PG.replace('questions.', '')} STORED",
    "CREATE INDEX questions_fts_vector_gin ON questions USING gin (questions_fts_vector)",
    f"""CREATE FUNCTION content_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE content_state SET version = version + 1, changed_at = {EPOCH_NOW["postgresql"]} WHERE id = 1;
        RETURN NULL;
    END $$""",
    *(
        f"CREATE TRIGGER content_state_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION content_state_bump()"
        for table in CONTENT_TABLES
    ),
]
POSTGRES_DOWNGRADE = [
    *(f"DROP TRIGGER IF EXISTS content_state_{table} ON {table}" for table in CONTENT_TABLES),
    "DROP FUNCTION IF EXISTS content_state_bump()",
    "DROP INDEX IF EXISTS questions_fts_vector_gin",
    "ALTER TABLE questions DROP COLUMN IF EXISTS questions_fts_vector",
    f"CREATE INDEX questions_fts_document ON questions USING gin ({DOCUMENT_PG})",
]

SQLITE_UPGRADE = [
    f"""CREATE TRIGGER content_state_{table}_{event.lower()} AFTER {event} ON {table} BEGIN
        UPDATE content_state SET version = version + 1, changed_at = {EPOCH_NOW["sqlite"]} WHERE id = 1;
    END"""
    for table in CONTENT_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DOWNGRADE = [
    f"DROP TRIGGER IF EXISTS content_state_{table}_{event}"
    for table in CONTENT_TABLES
    for event in ("insert", "update", "delete")
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect not in EPOCH_NOW:
        raise RuntimeError(f"ShapeKB supports SQLite and PostgreSQL, not {dialect}")
    op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_content_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    op.execute(f"INSERT INTO content_state (id, version, changed_at) VALUES (1, 1, {EPOCH_NOW[dialect]})")
    op.create_index(op.f("ix_questions_title_slug"), "questions", ["title", "slug"], unique=False)
    op.create_index(op.f("ix_formula_links_engine_key"), "formula_links", ["engine_key"], unique=False)
    _run(POSTGRES_UPGRADE if dialect == "postgresql" else SQLITE_UPGRADE)


def downgrade():
    dialect = op.get_bind().dialect.name
    _run(POSTGRES_DOWNGRADE if dialect == "postgresql" else SQLITE_DOWNGRADE)
    op.drop_index(op.f("ix_formula_links_engine_key"), table_name="formula_links")
    op.drop_index(op.f("ix_questions_title_slug"), table_name="questions")
    op.drop_table("content_state")
