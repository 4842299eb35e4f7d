"""Shape-neutral keywords: the engine ignores exactly those the layer's real constructor takes.

`nn.Tanh(inplace=True)` and `MaxPooling2D(kernel_initializer='zeros')` are errors in the frameworks; the
engine used to ignore them because its list of ignorable keywords was framework-wide. The per-layer table
(engine/inert_keywords.py) is asked of the frameworks by tests.engine.inert_table, and checked here.
"""

from __future__ import annotations

import pytest

import engine
from engine import ShapeError
from engine.inert_keywords import INERT_KEYWORDS
from engine.spec import KERAS_LEGACY_INERT
from kb.layer_pages import sample_request
from tests.engine.inert_table import PROBE_VALUES, derive, vocabulary

pytestmark = pytest.mark.conformance


def test_the_table_is_what_the_frameworks_say(torch, keras):
    assert derive() == INERT_KEYWORDS, "regenerate it: python -m tests.engine.inert_table"


@pytest.mark.parametrize("framework", ["keras", "pytorch"])
def test_every_layer_ignores_exactly_its_constructors_keywords(framework):
    checked = 0
    for spec in engine.layers(framework):
        shape, params = sample_request(spec)
        taken = set(INERT_KEYWORDS[framework][spec.name])
        for keyword in vocabulary(framework):
            if keyword in spec.by_name:
                continue
            call = {**params, keyword: PROBE_VALUES[framework][keyword]}
            if keyword in taken:
                engine.evaluate(framework, spec.name, call, shape)  # accepted, shape unchanged
            else:
                with pytest.raises(ShapeError) as err:
                    engine.evaluate(framework, spec.name, call, shape)
                assert (err.value.code, err.value.field) == ("unknown_param", f"params.{keyword}")
            checked += 1
    assert checked > 500


def test_keras_1_and_2_keywords_stay_accepted_for_old_snippets():
    old = {"units": 3, "init": "uniform", "W_regularizer": None, "batch_input_shape": (None, 4), "input_dim": 4}
    assert engine.evaluate("keras", "Dense", old, [None, 4])["output_shape"] == [None, 3]
    assert {"init", "batch_input_shape", "weights"} <= KERAS_LEGACY_INERT


@pytest.mark.parametrize(
    "framework,layer,params,shape,keyword",
    [
        ("pytorch", "Tanh", {}, [2, 3], "inplace"),
        ("pytorch", "ZeroPad2d", {"padding": 1}, [1, 2, 3, 3], "device"),
        ("keras", "MaxPooling2D", {"pool_size": 2}, [None, 4, 4, 3], "kernel_initializer"),
        ("keras", "Flatten", {}, [None, 4, 3], "seed"),
    ],
)
def test_a_keyword_the_framework_refuses_is_refused_with_a_suggestion(framework, layer, params, shape, keyword):
    with pytest.raises(ShapeError) as err:
        engine.evaluate(framework, layer, {**params, keyword: PROBE_VALUES[framework][keyword]}, shape)
    assert err.value.code == "unknown_param" and keyword in err.value.message
