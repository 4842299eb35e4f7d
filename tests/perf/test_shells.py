"""Pages rendered once but for their evaluator (kb.shells): byte for byte the page rendered whole.

Question pages and layer pages with random evaluator values in the query string (valid, out of range,
not numbers, empty) are asked twice: with shells and response cache on, then with both off; the status
and the body must be identical. The seed is printed; SHAPEKB_SEED replays a run."""

from __future__ import annotations

import os
import random

import pytest

import engine
from kb.extensions import db
from kb.models import Example, Question
from kb.shells import EVALUATOR_SLOT, QUERY_SLOT, PageShell, ShellCache, shells

RUN_SEED = int(os.environ.get("SHAPEKB_SEED") or random.SystemRandom().randrange(2**32))
VALUES_PER_QUESTION = 6
LAYER_PAGES = 40
VALUES_PER_LAYER = 3


def _random_value(rng: random.Random, field: dict) -> str:
    """A value for one evaluator field: mostly plausible, sometimes wrong on purpose."""
    roll = rng.random()
    if roll < 0.1:
        return ""
    if roll < 0.18:
        return rng.choice(["-3", "abc", "0", "99999999999", "1.5", "None", "(2, 2)"])
    if field["type"] == "shape":
        current = field["value"].strip("()[] ").split(",")
        dims = [str(rng.randint(1, 40)) for part in current if part.strip()]
        return "(" + ", ".join(["None", *dims[1:]]) + ")" if dims else "(None, 8)"
    if field.get("choices"):
        return str(rng.choice(field["choices"]))
    if field["type"] in ("int", "per_axis"):
        return str(rng.randint(1, 9))
    return field["value"] or ""


def _random_query(rng: random.Random, fields: list[dict]) -> dict:
    chosen = rng.sample(fields, k=rng.randint(1, min(4, len(fields))))
    return {field["name"]: _random_value(rng, field) for field in chosen}


def _both(app, client, path: str, query: dict):
    """The page with shells and the response cache, then rendered whole with both off."""
    app.config.update(SHAPEKB_RESPONSE_CACHE=True, SHAPEKB_SHELL_CACHE_ENTRIES=2048)
    shelled = client.get(path, query_string=query)
    app.config.update(SHAPEKB_RESPONSE_CACHE=False, SHAPEKB_SHELL_CACHE_ENTRIES=0)
    whole = client.get(path, query_string=query)
    app.config.update(SHAPEKB_RESPONSE_CACHE=True, SHAPEKB_SHELL_CACHE_ENTRIES=2048)
    return shelled, whole


def _assert_same(shelled, whole, path: str, query: dict) -> None:
    where = f"{path} {query} (SHAPEKB_SEED={RUN_SEED})"
    assert shelled.status_code == whole.status_code, where
    body = shelled.get_data(as_text=True)
    assert body == whole.get_data(as_text=True), where
    assert EVALUATOR_SLOT not in body and QUERY_SLOT not in body, where


def test_question_pages_with_values_equal_the_page_rendered_whole(app):
    print(f"SHAPEKB_SEED={RUN_SEED}")
    rng = random.Random(f"{RUN_SEED}:questions")
    with app.app_context():
        slugs = db.session.scalars(
            db.select(Question.slug).join(Example).where(Example.is_evaluator).order_by(Question.slug)
        ).all()
    assert len(slugs) >= 20
    client = app.test_client()
    statuses = set()
    for slug in slugs:
        fields = client.get(f"/questions/{slug}.json").get_json()["evaluator"]["fields"]
        for _ in range(VALUES_PER_QUESTION):
            query = _random_query(rng, fields)
            for path in (f"/questions/{slug}", f"/questions/{slug}.json"):
                shelled, whole = _both(app, client, path, query)
                _assert_same(shelled, whole, path, query)
                statuses.add(shelled.status_code)
    assert statuses == {200, 400}  # both answers and refusals were compared
    assert len(shells(app)) >= len(slugs)


def test_layer_pages_with_values_equal_the_page_rendered_whole(app):
    print(f"SHAPEKB_SEED={RUN_SEED}")
    rng = random.Random(f"{RUN_SEED}:layers")
    keys = sorted(spec.key for spec in engine.layers())
    client = app.test_client()
    for key in rng.sample(keys, LAYER_PAGES):
        framework, name = key.split("/")
        path = f"/layers/{framework}/{name}"
        fields = client.get(path + ".json").get_json()["evaluator"]["fields"]
        for _ in range(VALUES_PER_LAYER):
            query = _random_query(rng, fields)
            for page in (path, path + ".json"):
                shelled, whole = _both(app, client, page, query)
                _assert_same(shelled, whole, page, query)


@pytest.mark.parametrize("path", ["/questions/keras-conv1d-output-shape", "/layers/keras/Conv1D"])
def test_a_change_of_content_renders_the_shell_again(app, path):
    """The shell is keyed by the content version: a write shows on the next page with values."""
    client = app.test_client()
    before = client.get(path, query_string={"input_shape": "(None, 20, 3)"})
    assert before.status_code == 200
    with app.app_context():
        question = db.session.scalar(db.select(Question).where(Question.slug == "keras-conv1d-output-shape"))
        question.title = "A title written after the shell"
        db.session.commit()
        db.session.remove()
    after = client.get(path, query_string={"input_shape": "(None, 21, 3)"})
    assert "A title written after the shell" in after.get_data(as_text=True)


def test_the_shell_cache_is_bounded_in_entries_and_bytes():
    cache = ShellCache(max_entries=3, max_bytes=10_000)
    for n in range(5):
        cache.put(("code", "content", f"page-{n}"), PageShell({}, None, "/x.json", "x" * 1_000))
    assert len(cache) == 3 and cache.bytes == 6_000
    assert cache.get(("code", "content", "page-0")) is None and cache.get(("code", "content", "page-4"))
    cache.put(("code", "content", "big"), PageShell({}, None, "/x.json", "x" * 4_000))
    assert cache.bytes <= 10_000 and cache.get(("code", "content", "big"))
