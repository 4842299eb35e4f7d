"""The database: questions (with their curated answer), layer types, formula links, worked examples,
and each question's families, error messages and related questions.

The schema is created only by the Alembic migrations in migrations/; these models describe it, and a
test checks that the migrated schema and the models agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


question_layers = sa.Table(
    "question_layers",
    db.metadata,
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("layer_type_id", sa.ForeignKey("layer_types.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Question(db.Model):
    """One curated entry of kb/content/: the question and its one curated answer (Markdown and sanitized HTML)."""

    __tablename__ = "questions"
    # The home page and an empty search list questions in this order, a page at a time.
    __table_args__ = (sa.Index("ix_questions_title_slug", "title", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.Text)
    summary: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[list[str]] = mapped_column(sa.JSON)
    question_md: Mapped[str] = mapped_column(sa.Text)
    question_html: Mapped[str] = mapped_column(sa.Text)
    # The answer is curated: exactly one per question (see README, "Data model").
    answer_md: Mapped[str] = mapped_column(sa.Text)
    answer_html: Mapped[str] = mapped_column(sa.Text)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    # The public threads the question comes from (a list of URLs).
    sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    # The error messages' text, one a line: a column of the full-text document (kb.search).
    errors_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    layer_types: Mapped[list[LayerType]] = relationship(
        secondary=question_layers,
        back_populates="questions",
        order_by=lambda: (LayerType.framework, LayerType.name),
    )
    formula_links: Mapped[list[FormulaLink]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: FormulaLink.position,
    )
    examples: Mapped[list[Example]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: Example.position,
    )

    families: Mapped[list[QuestionFamily]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=lambda: QuestionFamily.position
    )
    errors: Mapped[list[QuestionError]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=lambda: QuestionError.position
    )
    related_links: Mapped[list[RelatedQuestion]] = relationship(
        foreign_keys=lambda: RelatedQuestion.question_id,
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: RelatedQuestion.position,
    )

    def __repr__(self) -> str:
        return f"<Question {self.slug}>"


class LayerType(db.Model):
    """A layer of one framework that questions are about, e.g. (keras, Conv1D): the index groups by it."""

    __tablename__ = "layer_types"
    __table_args__ = (sa.UniqueConstraint("framework", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))

    questions: Mapped[list[Question]] = relationship(
        secondary=question_layers, back_populates="layer_types", order_by=lambda: Question.slug
    )

    @property
    def key(self) -> str:
        return f"{self.framework}/{self.name}"

    def __repr__(self) -> str:
        return f"<LayerType {self.key}>"


class FormulaLink(db.Model):
    """A question shows the general formulas of an engine layer, named by its engine key ("keras/Conv1D")."""

    __tablename__ = "formula_links"
    __table_args__ = (sa.UniqueConstraint("question_id", "engine_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    position: Mapped[int]
    engine_key: Mapped[str] = mapped_column(sa.String(150), index=True)  # a layer page finds its questions

    question: Mapped[Question] = relationship(back_populates="formula_links")

    @property
    def framework(self) -> str:
        return self.engine_key.split("/", 1)[0]

    @property
    def layer(self) -> str:
        return self.engine_key.split("/", 1)[1]


class Example(db.Model):
    """A worked example: the engine request (evaluate or trace) and the output the answer promises."""

    __tablename__ = "examples"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "position"),
        sa.CheckConstraint("kind IN ('evaluate', 'trace')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(10))
    framework: Mapped[str] = mapped_column(sa.String(20))
    request: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    expected: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    is_evaluator: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="examples")


class QuestionFamily(db.Model):
    """A family of shape errors a question answers (kb.content.FAMILIES); position 0 is its main one."""

    __tablename__ = "question_families"

    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    family: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)
    position: Mapped[int]


class QuestionError(db.Model):
    """An error message a question answers, as the framework prints it, with the versions that print it."""

    __tablename__ = "question_errors"
    __table_args__ = (sa.UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    position: Mapped[int]
    framework: Mapped[str] = mapped_column(sa.String(20))
    versions: Mapped[str | None] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.Text)


class RelatedQuestion(db.Model):
    """A question points to a related one (shown at the end of its page), in the curator's order."""

    __tablename__ = "related_questions"

    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    related_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]

    related: Mapped[Question] = relationship(foreign_keys=[related_id])


class ContentState(db.Model):
    """One row whose version the database raises on every write to a content table (triggers, migration 0004).

    kb.cache reads it to make ETags and to know when a cached page is stale, in every process at once."""

    __tablename__ = "content_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger)
    changed_at: Mapped[float] = mapped_column(sa.Float)  # seconds since the epoch (UTC) of the last change
