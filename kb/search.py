"""Question search: the only module with full-text SQL.

The user's text is first read by kb.search_query.normalize(): a pasted traceback keeps its message,
numbers and punctuation go, and each word becomes a group of equivalent spellings (Dense, Linear).
Every group must match; a long query (a pasted message, a sentence) that matches nothing that way is
searched again for any group, best first.

SQLite: an FTS5 table `questions_fts` over questions(title, question_md, answer_md, errors_text), kept
in step by triggers (migrations 0002, 0003); ranked with bm25(), excerpts from snippet(). The words
are never MATCH syntax: each is quoted as an FTS5 string ("" doubled).

PostgreSQL: a GIN index on a weighted tsvector expression (the same expression as DOCUMENT_PG below:
error messages A, title B, question C, answer D); each spelling goes through plainto_tsquery() (any
text, no operators; English stop words are dropped), combined with && and ||; ts_rank() ranks a
few words (title first), ts_rank_cd() a pasted message (messages first, words close together count
more); ts_headline() cuts the excerpt.

Excerpts come back HTML-escaped, with the matched words in <mark>...</mark> and nothing else as markup.
"""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

import engine
from engine import ShapeError
from engine.spec import FRAMEWORKS
from kb.extensions import db
from kb.models import FormulaLink, LayerType, Question, QuestionFamily, RelatedQuestion, question_layers
from kb.search_query import SearchQuery, normalize

PAGE_SIZE = 20
SNIPPET_TOKENS = 24

# Private-use characters stand in for <mark> and </mark> until the excerpt has been escaped.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"

FTS_TABLE = "questions_fts"
# Column weights: title, question, answer, error messages. A pasted message is looked for among the
# error messages first; a few words, in the title first.
BM25_WEIGHTS = (10.0, 4.0, 1.0, 6.0)
BM25_WEIGHTS_PASTED = (3.0, 2.0, 1.0, 12.0)
# The same for PostgreSQL's weight classes, in ts_rank's order {D, C, B, A}: answer, question, title, messages.
RANK_WEIGHTS_PG = "'{0.1, 0.2, 1.0, 0.6}'::float4[]"
RANK_WEIGHTS_PASTED_PG = "'{0.05, 0.1, 0.3, 1.0}'::float4[]"

# The PostgreSQL document; the migration's GIN index uses exactly this expression.
DOCUMENT_PG = (
    "(setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.title, ''), './', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.question_md, ''), './', '  ')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.answer_md, ''), './', '  ')), 'D') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(questions.errors_text, ''), './', '  ')), 'A'))"
)
# PostgreSQL's parser reads nn.Conv1d as one "host" token and torch/nn as a "file": the document above
# turns . and / into spaces (so conv1d matches), and the excerpt into two control characters that
# snippet_html() turns back.
DOT_PG, SLASH_PG = "\x1e", "\x1f"
HEADLINE_TEXT_PG = "translate(questions.question_md || ' ' || questions.answer_md, './', chr(30) || chr(31))"
HEADLINE_OPTIONS_PG = (
    f'StartSel="{MARK_OPEN}", StopSel="{MARK_CLOSE}", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)


class SearchError(Exception):
    """A search the API cannot run (an unknown layer filter): answered with `status` and a stable code."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


# ---- query text ----------------------------------------------------------------------------------


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_query(query: SearchQuery, every: bool = True) -> str:
    """An FTS5 MATCH expression: every group (or any, every=False), each spelling quoted, never raw syntax.

    A pasted message's neighbouring words (query.pairs) are added as phrases that never change which
    questions match (ORed with the first group, which every match has), but that bm25 scores: the
    entry quoting the very message ranks above entries that only use its words.
    """
    groups = [
        _fts5_string(g[0]) if len(g) == 1 else "(" + " OR ".join(_fts5_string(w) for w in g) + ")" for g in query.groups
    ]
    pairs = [_fts5_string(f"{a} {b}") for a, b in query.pairs]
    if every:
        expression = " AND ".join(groups)
        if pairs:
            expression += " AND (" + " OR ".join([*pairs, groups[0]]) + ")"
        return expression
    return " OR ".join(groups + pairs)


def _joined(parts: list, operator: str):
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op(operator)(part)
    return combined


def pg_tsquery(query: SearchQuery, every: bool = True):
    """The PostgreSQL tsquery: every group (or any, every=False), a group being any of its spellings;
    a pasted message's neighbouring words as phrases that rank but never filter (as in fts5_query)."""
    config = sa.literal_column("'english'::regconfig")
    groups = [_joined([sa.func.plainto_tsquery(config, w) for w in group], "||") for group in query.groups]
    pairs = [sa.func.phraseto_tsquery(config, f"{a} {b}") for a, b in query.pairs]
    if every:
        combined = _joined(groups, "&&")
        return combined.op("&&")(_joined([*pairs, groups[0]], "||")) if pairs else combined
    return _joined(groups + pairs, "||")


_MARKDOWN_NOISE = re.compile(r"`{1,3}|\*\*|__|^#{1,6}\s+|^\s*[-*>]\s+|\[|\]\([^)]*\)", re.M)
_SPACES = re.compile(r"\s+")


def snippet_html(text: str | None) -> str:
    """An excerpt as safe HTML: Markdown punctuation dropped, everything escaped, then the marks restored."""
    text = (text or "").replace(DOT_PG, ".").replace(SLASH_PG, "/")
    text = _SPACES.sub(" ", _MARKDOWN_NOISE.sub("", text)).strip()
    escaped = html.escape(text, quote=False)
    if escaped.count(MARK_OPEN) != escaped.count(MARK_CLOSE):  # a stray private-use character in the text
        return escaped.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


# ---- filters ------------------------------------------------------------------------------------


def resolve_layer(name: str, framework: str | None) -> list[tuple[str, str]]:
    """Every (framework, canonical name) a layer filter means: Conv1D, Convolution1D, conv1d, nn.Conv1d."""
    found = []
    for fw in [framework] if framework else list(FRAMEWORKS):
        try:
            spec = engine.get_layer(fw, name)
        except ShapeError as err:
            if framework:
                raise SearchError(err.code, err.message, "layer") from None
            continue
        found.append((spec.framework, spec.name))
    if not found:
        raise SearchError("unknown_layer", f"neither keras nor pytorch has a layer {name!r}", "layer")
    return found


def _question_ids_with_layers(pairs: list[tuple[str, str]] | None = None, framework: str | None = None):
    lt = LayerType.__table__
    stmt = sa.select(question_layers.c.question_id).join(lt, lt.c.id == question_layers.c.layer_type_id)
    if framework:
        stmt = stmt.where(lt.c.framework == framework)
    if pairs:
        stmt = stmt.where(sa.or_(*(sa.and_(lt.c.framework == fw, lt.c.name == name) for fw, name in pairs)))
    return stmt


# ---- search -------------------------------------------------------------------------------------


def _url(slug: str) -> str:
    try:
        return url_for("pages.question", slug=slug)
    except BuildError:  # the HTML pages are not registered (an API-only app): their path all the same
        return f"/questions/{slug}"


def search(q: str = "", layer: str | None = None, framework: str | None = None, page: int = 1) -> dict:
    """One page (PAGE_SIZE) of questions matching q (every word; a long query any word), ranked, with excerpts
    and facets."""
    questions = Question.__table__
    filters = []
    if framework:
        filters.append(questions.c.id.in_(_question_ids_with_layers(framework=framework)))
    if layer:
        filters.append(questions.c.id.in_(_question_ids_with_layers(resolve_layer(layer, framework))))
    dialect = db.engine.dialect.name
    query = normalize(q)
    every = True
    if query and query.any_fallback and dialect in ("sqlite", "postgresql"):
        every = _any_match(dialect, query, filters)

    if not query:
        matched = sa.select(questions.c.id).where(*filters)
        rows_stmt = (
            sa.select(questions.c.id, questions.c.slug, questions.c.title, questions.c.summary.label("snippet"))
            .where(*filters)
            .order_by(questions.c.title, questions.c.slug)
        )
    elif dialect == "sqlite":
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
        match = sa.literal_column(FTS_TABLE).op("MATCH")(fts5_query(query, every))
        matched = sa.select(fts.c.rowid.label("id")).select_from(fts).where(match)
        if filters:
            matched = sa.select(questions.c.id).where(questions.c.id.in_(matched), *filters)
        rank = sa.func.bm25(sa.literal_column(FTS_TABLE), *(BM25_WEIGHTS_PASTED if query.pasted else BM25_WEIGHTS))
        snip = sa.func.snippet(sa.literal_column(FTS_TABLE), -1, MARK_OPEN, MARK_CLOSE, "…", SNIPPET_TOKENS)
        rows_stmt = (
            sa.select(questions.c.id, questions.c.slug, questions.c.title, snip.label("snippet"))
            .select_from(fts.join(questions, questions.c.id == fts.c.rowid))
            .where(match, *filters)
            .order_by(rank, questions.c.slug)
        )
    elif dialect == "postgresql":
        tsquery = pg_tsquery(query, every)
        document = sa.literal_column(DOCUMENT_PG)
        match = document.op("@@")(tsquery)
        matched = sa.select(questions.c.id).where(match, *filters)
        rank = (
            sa.func.ts_rank_cd(sa.literal_column(RANK_WEIGHTS_PASTED_PG), document, tsquery)
            if query.pasted
            else sa.func.ts_rank(sa.literal_column(RANK_WEIGHTS_PG), document, tsquery)
        )
        headline = sa.func.ts_headline(
            sa.literal_column("'english'::regconfig"), sa.literal_column(HEADLINE_TEXT_PG), tsquery, HEADLINE_OPTIONS_PG
        )
        rows_stmt = (
            sa.select(questions.c.id, questions.c.slug, questions.c.title, headline.label("snippet"))
            .where(match, *filters)
            .order_by(rank.desc(), questions.c.slug)
        )
    else:  # pragma: no cover
        raise RuntimeError(f"full-text search is not set up for {dialect}")

    session = db.session
    matched_ids = matched.subquery()
    total = session.execute(sa.select(sa.func.count()).select_from(matched_ids)).scalar_one()
    rows = session.execute(rows_stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    layers_by_id = _layers_of([r.id for r in rows])
    items = [
        {
            "slug": r.slug,
            "title": r.title,
            "layers": layers_by_id.get(r.id, []),
            "url": _url(r.slug),
            "api_url": url_for("api.question", slug=r.slug),
            "snippet": snippet_html(r.snippet),
        }
        for r in rows
    ]
    return {
        "items": items,
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "facets": {"layers": _facets(sa.select(matched_ids.c.id))},
    }


def _any_match(dialect: str, query: SearchQuery, filters: list) -> bool:
    """Whether some question matches every group of the query (and the filters)."""
    questions = Question.__table__
    if dialect == "sqlite":
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
        match = sa.literal_column(FTS_TABLE).op("MATCH")(fts5_query(query))
        stmt = sa.select(fts.c.rowid).select_from(fts.join(questions, questions.c.id == fts.c.rowid))
    else:
        match = sa.literal_column(DOCUMENT_PG).op("@@")(pg_tsquery(query))
        stmt = sa.select(questions.c.id)
    return db.session.execute(stmt.where(match, *filters).limit(1)).first() is not None


def _layers_of(ids: list[int]) -> dict[int, list[dict]]:
    if not ids:
        return {}
    lt = LayerType.__table__
    stmt = (
        sa.select(question_layers.c.question_id, lt.c.framework, lt.c.name)
        .join(lt, lt.c.id == question_layers.c.layer_type_id)
        .where(question_layers.c.question_id.in_(ids))
        .order_by(lt.c.framework, lt.c.name)
    )
    out: dict[int, list[dict]] = {}
    for qid, fw, name in db.session.execute(stmt):
        out.setdefault(qid, []).append({"framework": fw, "name": name})
    return out


def _facets(matched_ids) -> list[dict]:
    """How many of the matched questions are about each layer type, most first."""
    lt = LayerType.__table__
    count = sa.func.count(question_layers.c.question_id)
    stmt = (
        sa.select(lt.c.framework, lt.c.name, count.label("count"))
        .join(question_layers, question_layers.c.layer_type_id == lt.c.id)
        .where(question_layers.c.question_id.in_(matched_ids))
        .group_by(lt.c.framework, lt.c.name)
        .order_by(count.desc(), lt.c.framework, lt.c.name)
    )
    return [
        {"framework": fw, "name": name, "key": f"{fw}/{name}", "count": n} for fw, name, n in db.session.execute(stmt)
    ]


# ---- single entries -----------------------------------------------------------------------------


def questions_for_layer(framework: str, name: str) -> list[dict]:
    """Questions about a layer, or showing its formulas, by title."""
    key = f"{framework}/{name}"
    about = _question_ids_with_layers([(framework, name)])
    showing = sa.select(FormulaLink.question_id).where(FormulaLink.engine_key == key)
    stmt = (
        sa.select(Question.slug, Question.title)
        .where(sa.or_(Question.id.in_(about), Question.id.in_(showing)))
        .order_by(Question.title, Question.slug)
    )
    return [
        {"slug": slug, "title": title, "url": _url(slug), "api_url": url_for("api.question", slug=slug)}
        for slug, title in db.session.execute(stmt)
    ]


def questions_for_family(family: str) -> list[dict]:
    """Questions answering a family of shape errors: those naming it as their main family first, then by title."""
    stmt = (
        sa.select(Question.slug, Question.title)
        .join(QuestionFamily, QuestionFamily.question_id == Question.id)
        .where(QuestionFamily.family == family)
        .order_by(QuestionFamily.position, Question.title, Question.slug)
    )
    return [
        {"slug": slug, "title": title, "url": _url(slug), "api_url": url_for("api.question", slug=slug)}
        for slug, title in db.session.execute(stmt)
    ]


def entry_metadata(question: Question) -> dict:
    """What a question page and its API twin show besides the answer: sources, families, errors, related."""
    return {
        "sources": list(question.sources or []),
        "families": [f.family for f in question.families],
        "errors": [{"framework": e.framework, "versions": e.versions, "message": e.message} for e in question.errors],
        "related": [
            {
                "slug": link.related.slug,
                "title": link.related.title,
                "summary": link.related.summary,
                "url": _url(link.related.slug),
                "api_url": url_for("api.question", slug=link.related.slug),
            }
            for link in question.related_links
        ],
    }


def _api_layer_url(framework: str, name: str) -> str | None:
    try:
        spec = engine.get_layer(framework, name)
    except ShapeError:
        return None
    return url_for("api.layer", framework=spec.framework, name=spec.name)


def load_question(slug: str) -> Question | None:
    """The question with its layer types, formula links and examples loaded, or None."""
    return db.session.scalars(
        sa.select(Question)
        .where(Question.slug == slug)
        .options(
            selectinload(Question.layer_types),
            selectinload(Question.formula_links),
            selectinload(Question.examples),
            selectinload(Question.families),
            selectinload(Question.errors),
            selectinload(Question.related_links).joinedload(RelatedQuestion.related),
        )
    ).one_or_none()


def get_question(slug: str) -> dict | None:
    """The whole entry as JSON data, or None."""
    question = load_question(slug)
    if question is None:
        return None
    return {
        "slug": question.slug,
        "title": question.title,
        "summary": question.summary,
        "source": question.source,
        "tags": list(question.tags or []),
        "question": {"markdown": question.question_md, "html": question.question_html},
        "answer": {"markdown": question.answer_md, "html": question.answer_html},
        "layers": [
            {"framework": lt.framework, "name": lt.name, "api_url": _api_layer_url(lt.framework, lt.name)}
            for lt in question.layer_types
        ],
        "formulas": [
            {
                "key": link.engine_key,
                "framework": link.framework,
                "layer": link.layer,
                "api_url": _api_layer_url(link.framework, link.layer),
            }
            for link in question.formula_links
        ],
        "examples": [
            {
                "name": ex.name,
                "kind": ex.kind,
                "framework": ex.framework,
                "request": ex.request,
                "expected": ex.expected,
                "evaluator": ex.is_evaluator,
                "endpoint": url_for("api.evaluate" if ex.kind == "evaluate" else "api.trace"),
            }
            for ex in question.examples
        ],
        **entry_metadata(question),
        "url": _url(question.slug),
        "created_at": question.created_at.isoformat() if question.created_at else None,
        "updated_at": question.updated_at.isoformat() if question.updated_at else None,
    }
