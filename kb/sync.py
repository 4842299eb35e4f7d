"""Load kb/content/*.md into the database: upsert by slug, in one transaction, idempotent.

Every file is read and validated before anything is written, so a broken file raises ContentError
(naming the file) and leaves the database as it was. Entries whose file did not change (same
checksum) are not touched, so a second run changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from kb.content import Entry, load_entries, render_markdown
from kb.extensions import db
from kb.models import (
    Example,
    FormulaLink,
    LayerType,
    Question,
    QuestionError,
    QuestionFamily,
    RelatedQuestion,
    question_layers,
    utcnow,
)

log = logging.getLogger(__name__)

# Any constant; PostgreSQL advisory lock so that processes starting together set up the database one at a time.
SETUP_LOCK_ID = 0x5AE7B


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted}

    def __str__(self) -> str:
        counts = ", ".join(f"{len(v)} {k}" for k, v in self.as_dict().items())
        lines = [f"content: {counts}"]
        for kind in ("created", "updated", "deleted"):
            lines += [f"  {kind}: {slug}" for slug in getattr(self, kind)]
        return "\n".join(lines)


def sync_directory(directory: str | Path | None = None, *, force: bool = False) -> SyncReport:
    """Read every entry of the content directory (default: the app's SHAPEKB_CONTENT_DIR), then sync them."""
    entries = load_entries(directory or current_app.config["SHAPEKB_CONTENT_DIR"])  # raises before any write
    return sync_content(entries, force=force)


def sync_content(entries: list[Entry], *, force: bool = False) -> SyncReport:
    """Make the database hold exactly these entries; one transaction, rolled back on any error.

    force=True rewrites unchanged entries too (after a change to Markdown rendering, say).
    """
    slugs = [e.slug for e in entries]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise ValueError(f"duplicate slugs: {', '.join(duplicates)}")
    session = db.session
    report = SyncReport()
    try:
        existing = {
            q.slug: q
            for q in session.scalars(
                sa.select(Question).options(
                    selectinload(Question.layer_types),
                    selectinload(Question.formula_links),
                    selectinload(Question.examples),
                    selectinload(Question.families),
                    selectinload(Question.errors),
                    selectinload(Question.related_links),
                )
            )
        }
        layer_types = {(lt.framework, lt.name): lt for lt in session.scalars(sa.select(LayerType))}
        written: list[tuple[Question, Entry]] = []
        for entry in sorted(entries, key=lambda e: e.slug):
            question = existing.pop(entry.slug, None)
            checksum = entry.checksum()
            if question is None:
                question = Question(slug=entry.slug)
                session.add(question)
                report.created.append(entry.slug)
            elif question.checksum == checksum and not force:
                report.unchanged.append(entry.slug)
                continue
            else:
                question.updated_at = utcnow()
                report.updated.append(entry.slug)
            _fill(question, entry, checksum, layer_types)
            written.append((question, entry))
        for slug, question in sorted(existing.items()):
            session.delete(question)
            report.deleted.append(slug)
        session.flush()
        # Related questions point at ids, which new entries only have now.
        if written:
            ids = dict(session.execute(sa.select(Question.slug, Question.id)).all())
            for question, entry in written:
                question.related_links = [
                    RelatedQuestion(position=n, related_id=ids[slug]) for n, slug in enumerate(entry.related)
                ]
            session.flush()
        # Layer types that no question is about any more.
        session.execute(
            sa.delete(LayerType).where(~sa.exists().where(question_layers.c.layer_type_id == LayerType.id)),
            execution_options={"synchronize_session": False},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def _fill(question: Question, entry: Entry, checksum: str, layer_types: dict) -> None:
    question.title = entry.title
    question.summary = entry.summary
    question.source = entry.source
    question.tags = list(entry.tags)
    question.question_md = entry.question_md
    question.question_html = render_markdown(entry.question_md)
    question.answer_md = entry.answer_md
    question.answer_html = render_markdown(entry.answer_md)
    question.checksum = checksum
    question.sources = list(entry.sources)
    question.errors_text = "\n".join(e.message for e in entry.errors)
    tags = []
    for framework, name in entry.layers:
        layer_type = layer_types.get((framework, name))
        if layer_type is None:
            layer_type = layer_types[(framework, name)] = LayerType(framework=framework, name=name)
        if layer_type not in tags:
            tags.append(layer_type)
    question.layer_types = tags
    # Children are replaced wholesale; flush the deletes first so the (question, position) keys are free.
    if question.id is not None and (
        question.formula_links or question.examples or question.families or question.errors or question.related_links
    ):
        question.formula_links = []
        question.examples = []
        question.families = []
        question.errors = []
        question.related_links = []
        db.session.flush()
    question.families = [QuestionFamily(position=n, family=family) for n, family in enumerate(entry.families)]
    question.errors = [
        QuestionError(position=n, framework=e.framework, versions=e.versions, message=e.message)
        for n, e in enumerate(entry.errors)
    ]
    question.formula_links = [FormulaLink(position=n, engine_key=key) for n, key in enumerate(entry.formulas)]
    question.examples = [
        Example(
            position=n,
            name=ex.name,
            kind=ex.kind,
            framework=ex.framework,
            request=ex.request(),
            expected=dict(ex.expect),
            is_evaluator=bool(ex.evaluator),
        )
        for n, ex in enumerate(entry.examples)
    ]


def setup_database(app: Flask, *, sync: bool = True) -> SyncReport | None:
    """Bring the schema to the newest migration, then load the content (what `python app.py` does first).

    On PostgreSQL an advisory lock makes processes that start together take turns; several hosts
    should still run `flask db upgrade` and `flask kb sync` once as a release step (see README).
    """
    from flask_migrate import upgrade

    with app.app_context():
        lock = None
        if db.engine.dialect.name == "postgresql":
            lock = db.engine.connect()
            lock.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": SETUP_LOCK_ID})
        try:
            upgrade()
            report = sync_directory() if sync else None
        finally:
            if lock is not None:
                lock.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": SETUP_LOCK_ID})
                lock.close()
            db.session.remove()
    if report is not None:
        log.info("%s", report)
    return report
