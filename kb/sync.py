"""Load kb/content/*.md into the database: upsert by slug, in one transaction, idempotent.

Every changed file is read and validated before anything is written, so a broken file raises
ContentError (naming the file) and leaves the database as it was. Files whose checksum equals the
stored one are not even parsed (the checksums are read in one query), so a second run changes
nothing and costs little more than reading the files.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from kb.content import ContentError, Entry, content_files, file_checksum, parse_entry, render_markdown
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
    """Sync the content directory (default: the app's SHAPEKB_CONTENT_DIR) into the database.

    Files whose checksum equals the stored one (compared in one query) are not parsed at all; every
    other file is read and validated before anything is written.
    """
    files = content_files(directory or current_app.config["SHAPEKB_CONTENT_DIR"])
    stored = dict(db.session.execute(sa.select(Question.slug, Question.checksum)).all())
    entries, unchanged = [], []
    seen: dict[str, Path] = {}
    to_parse = []
    for path in files:
        if path.stem in seen:  # a slug equals its file's name, so equal names are equal slugs
            raise ContentError(path, f"duplicate slug {path.stem!r} (also in {seen[path.stem]})")
        seen[path.stem] = path
        if not force and path.stem in stored and _unchanged_text(path, stored[path.stem]):
            unchanged.append(path.stem)
        else:
            to_parse.append(path)
    parsed = _parse_and_render(to_parse)  # raises before any write
    entries = [entry for entry, _ in parsed]
    _check_related(entries, seen, set(stored) - set(seen))
    rendered = {entry.slug: html for entry, html in parsed}
    return sync_content(entries, force=force, unchanged=unchanged, rendered=rendered)


# From this many files to parse on, a sync parses and renders them in worker processes (one per core).
PARALLEL_FROM = 200


def _parse_one(path: Path) -> tuple[Entry, tuple[str, str]]:
    """A content file parsed and validated, with its question and answer rendered to sanitized HTML."""
    entry = parse_entry(path)
    return entry, (render_markdown(entry.question_md), render_markdown(entry.answer_md))


def _parse_and_render(paths: list[Path]) -> list[tuple[Entry, tuple[str, str]]]:
    """_parse_one for every path, in file order; on several cores in parallel when there are many.

    The workers are forked (the engine is already imported) and only read files: they never touch
    the database. A ContentError in a worker is raised here as it would be in this process."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if len(paths) < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_parse_one(path) for path in paths]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(cores, 8), mp_context=context) as pool:
        return list(pool.map(_parse_one, paths, chunksize=32))


def _check_related(entries: list[Entry], files: dict[str, Path], gone: set[str]) -> None:
    """What load_entries checks, without parsing the unchanged files: every related slug has a file."""
    for entry in entries:
        unknown = [other for other in entry.related if other not in files]
        if unknown:
            raise ContentError(entry.path, f"related names entries that do not exist: {unknown}")
    if not gone:
        return
    # An unchanged entry may name one whose file is gone: the stored links say which.
    source, target = sa.orm.aliased(Question), sa.orm.aliased(Question)
    rows = db.session.execute(
        sa.select(source.slug, target.slug)
        .join(RelatedQuestion, RelatedQuestion.question_id == source.id)
        .join(target, RelatedQuestion.related_id == target.id)
        .where(target.slug.in_(sorted(gone)))
        .order_by(source.slug, RelatedQuestion.position)
    ).all()
    parsed = {entry.slug for entry in entries}  # checked above, from their files
    rows = [(name, other) for name, other in rows if name in files and name not in parsed]
    for slug, _ in rows:
        unknown = [other for name, other in rows if name == slug]
        raise ContentError(files[slug], f"related names entries that do not exist: {unknown}")


def _unchanged_text(path: Path, checksum: str) -> bool:
    """The file still has the stored checksum (unreadable files are left to parse_entry to report)."""
    try:
        return file_checksum(path.read_text(encoding="utf-8")) == checksum
    except (OSError, UnicodeDecodeError):
        return False


def sync_content(entries: list[Entry], *, force: bool = False, unchanged=(), rendered=None) -> SyncReport:
    """Make the database hold exactly these entries; one transaction, rolled back on any error.

    unchanged: slugs of entries known to be stored as they are (their files were not parsed); they
    are kept and reported unchanged. force=True rewrites unchanged entries too (after a change to
    Markdown rendering, say). rendered: slug -> (question HTML, answer HTML) already rendered.
    """
    slugs = [e.slug for e in entries] + list(unchanged)
    duplicates = sorted(slug for slug, n in Counter(slugs).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate slugs: {', '.join(duplicates)}")
    session = db.session
    report = SyncReport(unchanged=list(unchanged))
    try:
        stored = dict(session.execute(sa.select(Question.slug, Question.checksum)).all())
        checksums = {entry.slug: entry.checksum() for entry in entries}
        to_update = [s for s, c in checksums.items() if s in stored and (force or stored[s] != c)]
        existing = _load_questions(to_update)
        layer_types = {(lt.framework, lt.name): lt for lt in session.scalars(sa.select(LayerType))}
        written: list[tuple[Question, Entry]] = []
        for entry in sorted(entries, key=lambda e: e.slug):
            checksum = checksums[entry.slug]
            if entry.slug not in stored:
                # A new question's related links are known empty: setting them now, while it is
                # pending, spares one lazy load (and autoflush) per new question below.
                question = Question(slug=entry.slug, related_links=[])
                session.add(question)
                report.created.append(entry.slug)
            elif entry.slug not in existing:
                report.unchanged.append(entry.slug)
                continue
            else:
                question = existing[entry.slug]
                question.updated_at = utcnow()
                report.updated.append(entry.slug)
            _fill(question, entry, checksum, layer_types, (rendered or {}).get(entry.slug))
            written.append((question, entry))
        keep = set(slugs)
        report.deleted = sorted(slug for slug in stored if slug not in keep)
        session.flush()
        for chunk in _chunks(report.deleted):
            # The database cascades to examples, formula links, layer tags and the rest (ON DELETE CASCADE).
            session.execute(
                sa.delete(Question).where(Question.slug.in_(chunk)), execution_options={"synchronize_session": False}
            )
        # Related questions point at ids, which new entries only have now.
        if written:
            ids = dict(session.execute(sa.select(Question.slug, Question.id)).all())
            with session.no_autoflush:  # one flush at the end, not one per question
                for question, entry in written:
                    links = [RelatedQuestion(position=n, related_id=ids[slug]) for n, slug in enumerate(entry.related)]
                    if links or question.related_links:
                        question.related_links = links
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
    report.unchanged.sort()
    return report


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_questions(slugs: list[str]) -> dict[str, Question]:
    """The stored questions with these slugs, their children loaded (the ones a sync rewrites)."""
    out: dict[str, Question] = {}
    for chunk in _chunks(slugs):
        stmt = (
            sa.select(Question)
            .where(Question.slug.in_(chunk))
            .options(
                selectinload(Question.layer_types),
                selectinload(Question.formula_links),
                selectinload(Question.examples),
                selectinload(Question.families),
                selectinload(Question.errors),
                selectinload(Question.related_links),
            )
        )
        out.update((q.slug, q) for q in db.session.scalars(stmt))
    return out


def _fill(question: Question, entry: Entry, checksum: str, layer_types: dict, html=None) -> None:
    question_html, answer_html = html or (render_markdown(entry.question_md), render_markdown(entry.answer_md))
    question.title = entry.title
    question.summary = entry.summary
    question.source = entry.source
    question.tags = list(entry.tags)
    question.question_md = entry.question_md
    question.question_html = question_html
    question.answer_md = entry.answer_md
    question.answer_html = answer_html
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
