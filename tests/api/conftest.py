"""Fixtures of the REST API tests: one migrated database per backend and session, seeded through the models.

The backends are those of tests/conftest.py (`databases`): SQLite, and PostgreSQL when
SHAPEKB_TEST_POSTGRES_URL is set. The rows go in through the ORM (not kb.sync), so on SQLite the
migration's triggers are what keeps questions_fts in step; the seed uses only layers the engine has
had from the start.
"""

from __future__ import annotations

import pytest

from kb.extensions import db
from kb.models import Example, FormulaLink, LayerType, Question
from tests.conftest import make_app, release

# (slug, title, question, answer, [(framework, layer)], [formula keys])
SEED = [
    (
        "keras-conv1d-same-padding",
        "Why does Conv1D(64, 3, padding='same') on (10, 32) give (None, 10, 64)?",
        "My model has `Conv1D(64, 3, padding='same')` on an input of shape (10, 32). Why is the length kept?",
        "With **same** padding Keras pads so that the output length is ceil(L/s): the kernel size does not matter. "
        "The channels become the number of filters, 64.",
        [("keras", "Conv1D")],
        ["keras/Conv1D"],
    ),
    (
        "pytorch-conv1d-output-length",
        "How long is the output of nn.Conv1d with stride 2?",
        "I apply nn.Conv1d(16, 33, 3, stride=2) to a sequence of 50 steps. How many steps come out?",
        "floor((L + 2p - d(k - 1) - 1)/s) + 1 = floor((50 - 2 - 1)/2) + 1 = 24 steps. Padding adds p on each side.",
        [("pytorch", "Conv1d")],
        ["pytorch/Conv1d"],
    ),
    (
        "dense-parameter-count",
        "Where do the 6208 parameters of a Dense layer come from?",
        "Dense(64) after 96 features reports 6208 parameters <b>why</b>?",
        "A weight per (input, unit) pair plus one bias per unit: 96 * 64 + 64 = 6208, so weights > biases & "
        "biases < weights. <script>alert(1)</script> <i>tag</i>",
        [("keras", "Dense"), ("pytorch", "Linear")],
        ["keras/Dense"],
    ),
    (
        "conv2d-channels-first",
        "Conv2d expects channels first: why does my (32, 32, 3) image fail?",
        "PyTorch says the expected input had 3 channels but got 32 channels.",
        "nn.Conv2d reads (N, C, H, W); Keras Conv2D reads (N, H, W, C) by default. Permute the image.",
        [("keras", "Conv2D"), ("pytorch", "Conv2d")],
        ["keras/Conv2D", "pytorch/Conv2d"],
    ),
]
# Enough near-identical entries to need a second page of results.
FILLER = [
    (
        f"filler-strided-question-{n:02d}",
        f"Strided filler question number {n:02d}",
        "A filler question about a strided layer.",
        "A filler answer: the stride divides the length.",
        [("keras", "Conv3D")],
        [],
    )
    for n in range(23)
]


def _add(entry) -> None:
    slug, title, question, answer, layers, formulas = entry
    types = []
    for framework, name in layers:
        lt = db.session.scalar(db.select(LayerType).filter_by(framework=framework, name=name))
        types.append(lt or LayerType(framework=framework, name=name))
    q = Question(
        slug=slug,
        title=title,
        summary=f"Summary of {title}",
        source="community Q&A",
        tags=["test"],
        question_md=question,
        question_html=f"<p>{question}</p>",
        answer_md=answer,
        answer_html=f"<p>{answer}</p>",
        checksum="0" * 64,
    )
    q.layer_types = types
    q.formula_links = [FormulaLink(position=n, engine_key=key) for n, key in enumerate(formulas)]
    q.examples = [
        Example(
            position=0,
            name="an example",
            kind="evaluate",
            framework=layers[0][0],
            request={"framework": "keras", "layer": "Dense", "params": {"units": 4}, "input_shape": [None, 3]},
            expected={"output_shape": [None, 4], "param_count": 16},
            is_evaluator=True,
        )
    ]
    db.session.add(q)


@pytest.fixture(scope="session")
def api_app(databases):
    """A migrated, seeded app for the whole session, on each backend of tests/conftest.py's `databases`."""
    app = make_app(databases.new("migrated"))
    with app.app_context():
        for entry in SEED + FILLER:
            _add(entry)
        db.session.commit()
        db.session.remove()
    yield app
    release(app)


@pytest.fixture()
def api(api_app):
    """A test client of the seeded app."""
    with api_app.app_context():
        yield api_app.test_client()
        db.session.remove()
