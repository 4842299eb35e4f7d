"""The explainer: /explain (and /explain.json), a pasted shape error explained; the answer POST /api/v1/explain gives.

engine.explain does the work (patterns, formulas, fixes, tracing the code); this module adds the
knowledge-base entries on the error's family and presents the answer. The form accepts GET (a
permalink, or the tracer's "explain this error" link) and POST (long pastes). Nothing pasted runs.
"""

from __future__ import annotations

import re

from flask import Blueprint, request, url_for
from markupsafe import Markup, escape

import engine
from engine.explain import MAX_CODE_CHARS, MAX_MESSAGE_CHARS
from kb import search
from kb.components import FRAMEWORK_LABELS, query_string
from kb.content import render_markdown
from kb.formvalues import MISSING, FormValueError, format_value, parse_shape
from kb.web import respond

bp = Blueprint("explain", __name__)
_TICKS = re.compile(r"`([^`\n]{1,300})`")


@bp.app_template_filter("ticks")
def ticks_filter(text: str | None) -> Markup:
    """Plain text with `code` spans shown as <code>: escaped first, so nothing pasted becomes markup."""
    return Markup(_TICKS.sub(r"<code>\1</code>", str(escape(text or ""))))


FAMILY_LABELS = {
    "in_features_mismatch": "Input features of a dense layer",
    "channel_mismatch": "Input channels of a convolution",
    "rank_mismatch": "Number of axes (rank)",
    "kernel_too_large": "Kernel or pool larger than its input",
    "reshape_size_mismatch": "Reshape that cannot keep the size",
    "rnn_input_mismatch": "Input of a recurrent layer",
    "embedding_index": "Index outside an embedding table",
    "norm_features_mismatch": "Features of a normalization layer",
    "merge_shape_mismatch": "Shapes of merged tensors",
    "attention_heads": "Embedding size and attention heads",
    "transposed_output_size": "Output size of a transposed convolution",
    "same_padding_stride": "padding='same' with a stride",
    "target_shape_mismatch": "Loss: output and target shapes (not a layer)",
    "unknown": "Not recognised",
}
# One word per family, for finding entries by their text until entries carry their families.
_FAMILY_WORDS = {
    "in_features_mismatch": "flatten",
    "channel_mismatch": "channels",
    "rank_mismatch": "batch",
    "kernel_too_large": "padding",
    "reshape_size_mismatch": "reshape",
    "rnn_input_mismatch": "LSTM",
    "embedding_index": "embedding",
    "norm_features_mismatch": "normalization",
    "merge_shape_mismatch": "concatenate",
    "attention_heads": "heads",
    "transposed_output_size": "transpose",
    "same_padding_stride": "stride",
    "target_shape_mismatch": "loss",
}
MAX_QUESTIONS = 8


def family_questions(family: str, layer_type: dict | None) -> list[dict]:
    """The knowledge-base entries on this family, most relevant first (then those about the layer)."""
    found: list[dict] = []
    by_family = getattr(search, "questions_for_family", None)  # entries' `families` (content's migration 0003)
    if by_family is not None and family != "unknown":
        found += by_family(family)
    elif family in _FAMILY_WORDS:
        found += search.search(q=_FAMILY_WORDS[family])["items"]
    if layer_type and layer_type.get("name"):
        try:
            spec = engine.get_layer(layer_type["framework"], layer_type["name"])
        except engine.ShapeError:
            spec = None
        if spec is not None:
            found += search.questions_for_layer(spec.framework, spec.name)
    seen, out = set(), []
    for item in found:
        if item["slug"] not in seen:
            seen.add(item["slug"])
            out.append({k: item[k] for k in ("slug", "title", "url", "api_url") if k in item})
    return out[:MAX_QUESTIONS]


def _layer_link(layer_type: dict | None) -> str | None:
    if not layer_type or not layer_type.get("name"):
        return None
    try:
        spec = engine.get_layer(layer_type["framework"], layer_type["name"])
    except engine.ShapeError:
        return None
    return url_for("layers.layer", framework=spec.framework, name=spec.name)


def explain_answer(message: str, code=None, framework=None, input_shape=None) -> dict:
    """engine.explain's answer plus the entries on its family (the API's answer)."""
    answer = engine.explain(message, code, framework, input_shape)
    answer["questions"] = family_questions(answer["family"], answer.get("layer_type"))
    return answer


def explain_data(source) -> tuple[dict, int]:
    """The page's dict (the same for HTML and JSON) and its status: 400 when a field cannot be read."""
    message = source.get("message", "") or ""
    code = source.get("code", "") or ""
    framework = (source.get("framework") or "").strip()
    shape_text = source.get("input_shape", "") or ""
    errors: dict[str, str] = {}
    if len(message) > MAX_MESSAGE_CHARS:
        errors["message"] = f"The message has {len(message):,} characters; at most {MAX_MESSAGE_CHARS:,}."
    if len(code) > MAX_CODE_CHARS:
        errors["code"] = f"The code has {len(code):,} characters; at most {MAX_CODE_CHARS:,}."
    if framework and framework.lower() not in ("keras", "pytorch", "torch"):
        errors["framework"] = f"framework must be keras or pytorch, received {framework[:40]!r}."
    shape = None
    if shape_text.strip():
        try:
            shape = parse_shape(shape_text)
        except FormValueError as err:
            errors["input_shape"] = err.message
        else:
            shape = None if shape is MISSING else shape
    answer = None
    submitted = bool(message.strip() or code.strip())
    if submitted and not message.strip() and not errors:
        errors["message"] = "Paste the error message your framework printed (the code alone is not enough)."
    if submitted and not errors:
        try:
            answer = explain_answer(message, code or None, framework or None, shape)
        except engine.ShapeError as err:
            errors[err.field if err.field in ("message", "code", "framework", "input_shape") else "message"] = (
                err.message
            )
    if answer is not None:
        answer["explanation_html"] = render_markdown(answer["explanation"])
        answer["family_label"] = FAMILY_LABELS.get(answer["family"], answer["family"])
        answer["layer_url"] = _layer_link(answer.get("layer_type"))
    query = {"message": message, "framework": framework, "input_shape": shape_text}
    if code:
        query["code"] = code
    short = len(message) + len(code) <= 1500  # a longer paste has no GET permalink
    data = {
        "title": "Your error, explained",
        "form": {
            "message": message,
            "code": code,
            "framework": framework,
            "input_shape": shape_text if shape is None else format_value(shape),
        },
        "frameworks": [{"value": fw, "label": label} for fw, label in FRAMEWORK_LABELS.items()],
        "limits": {"message": MAX_MESSAGE_CHARS, "code": MAX_CODE_CHARS},
        "errors": errors,
        "answer": answer,
        "api": url_for("api.explain"),
        "links": {
            "html": url_for("explain.index") + (query_string(query) if submitted and short else ""),
            "json": url_for("explain.index_json") + (query_string(query) if submitted and short else ""),
        },
    }
    return data, 400 if errors else 200


def explain_page(as_json: bool = False):
    source = request.form if request.method == "POST" else request.args
    data, status = explain_data(source)
    return respond(data, "explain.html", as_json, status)


bp.add_url_rule("/explain", "index", explain_page, methods=["GET", "POST"])
bp.add_url_rule("/explain.json", "index_json", explain_page, methods=["GET", "POST"], defaults={"as_json": True})
