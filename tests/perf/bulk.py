"""Many questions in a test database quickly: plain INSERTs (the triggers keep the search index and the
content version), no Markdown and no engine, for tests of sizes and plans."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from kb.extensions import db
from kb.models import LayerType, Question, question_layers

LAYERS = [("keras", "Conv2D"), ("keras", "Dense"), ("keras", "LSTM"), ("pytorch", "Conv2d"), ("pytorch", "Linear")]
WORDS = "shape output input layer tensor kernel stride padding channels filters units batch".split()


def add_questions(count: int, seed: int = 0) -> None:
    """count more questions, each about one or two layer types, with a long-ish answer; one commit."""
    rng = random.Random(seed)
    session = db.session
    ids = {}
    for framework, name in LAYERS:
        found = session.scalar(sa.select(LayerType.id).where(LayerType.framework == framework, LayerType.name == name))
        if found is None:
            found = session.execute(
                sa.insert(LayerType).values(framework=framework, name=name).returning(LayerType.id)
            ).scalar_one()
        ids[(framework, name)] = found
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        rare = f"rareword{n % 97}"
        rows.append(
            {
                "slug": f"bulk-{seed}-{n:05d}",
                "title": f"Bulk question {n}: {' '.join(rng.choice(WORDS) for _ in range(6))}",
                "summary": "A generated question for size and plan tests. " * 3,
                "source": "community Q&A",
                "tags": ["bulk"],
                "question_md": f"Why this {words[:200]} {rare}?",
                "question_html": "<p>generated</p>",
                "answer_md": words * 4,
                "answer_html": "<p>generated</p>" * 20,
                "checksum": "0" * 64,
                "created_at": now,
                "updated_at": now,
                "sources": [],
                "errors_text": "",
            }
        )
    session.execute(sa.insert(Question), rows)
    slugs = dict(
        session.execute(sa.select(Question.slug, Question.id).where(Question.slug.like(f"bulk-{seed}-%"))).all()
    )
    links = []
    for qid in slugs.values():
        for pair in rng.sample(LAYERS, rng.choice([1, 2])):
            links.append({"question_id": qid, "layer_type_id": ids[pair]})
    session.execute(sa.insert(question_layers), links)
    session.commit()
