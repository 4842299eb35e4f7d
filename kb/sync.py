"""Load kb/content/*.md into the database: upsert by slug, in one transaction, idempotent.

Every changed file is read and validated before anything is written, so a broken file raises
ContentError (naming the file) and leaves the database as it was. Files whose checksum equals the
stored one are not even parsed (the checksums are read in one query), so a second run changes
nothing and costs little more than reading the files. Many new entries are inserted with a few
multi-row INSERTs per table (_insert_new); updated ones, and a few new ones, go through the ORM.
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


# From this many new entries on, a sync inserts them with Core bulk statements (_insert_new) rather
# than one ORM object per row; fewer take the ORM path that updates take.
BULK_FROM = 20

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
        new = sorted((e for e in entries if e.slug not in stored), key=lambda e: e.slug)
        bulk = new if len(new) >= BULK_FROM else []
        for entry in sorted(entries, key=lambda e: e.slug):
            checksum = checksums[entry.slug]
            if bulk and entry.slug not in stored:
                report.created.append(entry.slug)
                continue
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
        if bulk:
            _insert_new(bulk, checksums, layer_types, rendered or {})
        for chunk in _chunks(report.deleted):
            # The database cascades to examples, formula links, layer tags and the rest (ON DELETE CASCADE).
            session.execute(
                sa.delete(Question).where(Question.slug.in_(chunk)), execution_options={"synchronize_session": False}
            )
        # Related questions point at ids, which new entries only have now.
        if written or bulk:
            ids = dict(session.execute(sa.select(Question.slug, Question.id)).all())
            _insert_rows(
                RelatedQuestion.__table__,
                [
                    {"question_id": ids[entry.slug], "related_id": ids[slug], "position": n}
                    for entry in bulk
                    for n, slug in enumerate(entry.related)
                ],
            )
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


def _question_values(entry: Entry, checksum: str, html=None) -> dict:
    """The columns of a question row that its entry sets (the ORM and the bulk path write the same)."""
    question_html, answer_html = html or (render_markdown(entry.question_md), render_markdown(entry.answer_md))
    return {
        "slug": entry.slug,
        "title": entry.title,
        "summary": entry.summary,
        "source": entry.source,
        "tags": list(entry.tags),
        "question_md": entry.question_md,
        "question_html": question_html,
        "answer_md": entry.answer_md,
        "answer_html": answer_html,
        "checksum": checksum,
        "sources": list(entry.sources),
        "errors_text": "\n".join(e.message for e in entry.errors),
    }


def _child_values(entry: Entry) -> dict[type, list[dict]]:
    """A question's rows in each child table, without their question_id (model -> rows, in position order)."""
    return {
        QuestionFamily: [{"position": n, "family": family} for n, family in enumerate(entry.families)],
        QuestionError: [
            {"position": n, "framework": e.framework, "versions": e.versions, "message": e.message}
            for n, e in enumerate(entry.errors)
        ],
        FormulaLink: [{"position": n, "engine_key": key} for n, key in enumerate(entry.formulas)],
        Example: [
            {
                "position": n,
                "name": ex.name,
                "kind": ex.kind,
                "framework": ex.framework,
                "request": ex.request(),
                "expected": dict(ex.expect),
                "is_evaluator": bool(ex.evaluator),
            }
            for n, ex in enumerate(entry.examples)
        ],
    }


def _layer_keys(entry: Entry) -> list[tuple[str, str]]:
    """The (framework, name) of the layers an entry is about, each once, in the entry's order."""
    return list(dict.fromkeys(entry.layers))


def _fill(question: Question, entry: Entry, checksum: str, layer_types: dict, html=None) -> None:
    """Set a stored or pending question from its entry through the ORM (updates, and a few new entries)."""
    for column, value in _question_values(entry, checksum, html).items():
        setattr(question, column, value)
    tags = []
    for key in _layer_keys(entry):
        layer_type = layer_types.get(key)
        if layer_type is None:
            layer_type = layer_types[key] = LayerType(framework=key[0], name=key[1])
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
    children = _child_values(entry)
    question.families = [QuestionFamily(**row) for row in children[QuestionFamily]]
    question.errors = [QuestionError(**row) for row in children[QuestionError]]
    question.formula_links = [FormulaLink(**row) for row in children[FormulaLink]]
    question.examples = [Example(**row) for row in children[Example]]


def _insert_new(entries: list[Entry], checksums: dict, layer_types: dict, rendered: dict) -> None:
    """Insert questions not yet stored, and their children, with a few Core statements per table.

    The same rows _fill writes through the ORM, without building an object per row (the ORM's unit
    of work was most of a big sync's time). Called after the session is flushed, so every layer type
    in layer_types has its id; the related links are inserted by the caller, once every id exists."""
    layer_ids = {key: layer_type.id for key, layer_type in layer_types.items()}
    missing = list(dict.fromkeys(key for entry in entries for key in _layer_keys(entry) if key not in layer_ids))
    if missing:
        table = LayerType.__table__
        rows = _insert_rows(table, [{"framework": f, "name": n} for f, n in missing], table.c.framework, table.c.name)
        layer_ids.update({(framework, name): id_ for id_, framework, name in rows})
    now = utcnow()
    table = Question.__table__
    question_rows = [
        {**_question_values(e, checksums[e.slug], rendered.get(e.slug)), "created_at": now, "updated_at": now}
        for e in entries
    ]
    ids = {slug: id_ for id_, slug in _insert_rows(table, question_rows, table.c.slug)}
    children: dict[type, list[dict]] = {model: [] for model in (QuestionFamily, QuestionError, FormulaLink, Example)}
    tags = []
    for entry in entries:
        question_id = ids[entry.slug]
        tags += [{"question_id": question_id, "layer_type_id": layer_ids[key]} for key in _layer_keys(entry)]
        for model, rows in _child_values(entry).items():
            children[model] += [{"question_id": question_id, **row} for row in rows]
    _insert_rows(question_layers, tags)
    for model, rows in children.items():
        _insert_rows(model.__table__, rows)


def _insert_rows(table: sa.Table, rows: list[dict], *returning: sa.Column) -> list[tuple]:
    """INSERT every row, returning each one's first primary-key column and `returning` columns.

    RETURNING is asked for even when nothing is read back: it is what makes SQLAlchemy send the rows
    as multi-row INSERTs ("insertmanyvalues", about a thousand rows a statement) rather than one
    statement per row, on SQLite and PostgreSQL alike."""
    if not rows:
        return []
    key = next(iter(table.primary_key.columns))
    result = db.session.execute(sa.insert(table).returning(key, *returning), rows)
    return [tuple(row) for row in result]


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
