"""HTML pages, each with a .json twin: the view builds one dict, then renders it or returns it as JSON."""

from __future__ import annotations

from flask import Blueprint, abort, request
from werkzeug.routing import BaseConverter

from kb.cache import cached_page
from kb.shells import render_with_evaluator, with_evaluator
from kb.views_data import index_data, query_of, question_evaluator, question_shell
from kb.web import respond

bp = Blueprint("pages", __name__)


class SlugConverter(BaseConverter):
    """Content slugs: [a-z0-9-]; no dot, so /questions/<slug>.json is never read as a slug."""

    regex = r"[a-z0-9][a-z0-9-]{0,79}"


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["slug"] = SlugConverter


@cached_page
def index(as_json: bool = False):
    return respond(index_data(request.args), "index.html", as_json)


@cached_page
def question(slug: str, as_json: bool = False):
    shell = question_shell(slug)
    if shell is None:
        abort(404, description=f"There is no question {slug!r}.")
    evaluator = question_evaluator(shell, request.args)
    status = 400 if evaluator and evaluator["errors"] else 200
    query = query_of(evaluator["query"]) if evaluator else ""
    if as_json:
        return respond(with_evaluator(shell, evaluator, query), "question.html", True, status)
    return render_with_evaluator(f"question:{slug}", shell, "question.html", evaluator, query), status


bp.add_url_rule("/", "index", index)
bp.add_url_rule("/index.json", "index_json", index, defaults={"as_json": True})
bp.add_url_rule("/.json", "index_dot_json", index, defaults={"as_json": True})
bp.add_url_rule("/questions/<slug:slug>", "question", question)
bp.add_url_rule("/questions/<slug:slug>.json", "question_json", question, defaults={"as_json": True})
