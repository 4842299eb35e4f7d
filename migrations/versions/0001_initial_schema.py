"""initial schema: questions (with the curated answer), layer types, formula links, worked examples

Revision ID: 0001
Revises:
Create Date: 2026-11-29 12:38:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "layer_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layer_types")),
        sa.UniqueConstraint("framework", "name", name=op.f("uq_layer_types_framework_name")),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("question_md", sa.Text(), nullable=False),
        sa.Column("question_html", sa.Text(), nullable=False),
        sa.Column("answer_md", sa.Text(), nullable=False),
        sa.Column("answer_html", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint("slug", name=op.f("uq_questions_slug")),
    )
    op.create_table(
        "examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("framework", sa.String(length=20), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("expected", sa.JSON(), nullable=False),
        sa.Column("is_evaluator", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('evaluate', 'trace')", name=op.f("ck_examples_kind")),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_examples_question_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_examples")),
        sa.UniqueConstraint("question_id", "position", name=op.f("uq_examples_question_id_position")),
    )
    op.create_table(
        "formula_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("engine_key", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_formula_links_question_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formula_links")),
        sa.UniqueConstraint("question_id", "engine_key", name=op.f("uq_formula_links_question_id_engine_key")),
    )
    op.create_table(
        "question_layers",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("layer_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_type_id"], ["layer_types.id"], name=op.f("fk_question_layers_layer_type_id_layer_types"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_question_layers_question_id_questions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("question_id", "layer_type_id", name=op.f("pk_question_layers")),
    )
    op.create_index(op.f("ix_question_layers_layer_type_id"), "question_layers", ["layer_type_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_question_layers_layer_type_id"), table_name="question_layers")
    op.drop_table("question_layers")
    op.drop_table("formula_links")
    op.drop_table("examples")
    op.drop_table("questions")
    op.drop_table("layer_types")
