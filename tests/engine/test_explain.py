"""engine.explain: families, numbers, formulas from the registry, checked fixes, bounded on hostile input."""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

import pytest

import engine
from engine import explain_patterns, registry
from engine.explain import FAMILIES, MAX_CODE_CHARS, MAX_MESSAGE_CHARS

ISSUE_EXAMPLES = [
    ("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)", "in_features_mismatch"),
    (
        'ValueError: Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input shape to '
        "have value 4096, but received input with shape (None, 9216)",
        "in_features_mismatch",
    ),
    ("Negative dimension size caused by subtracting 3 from 2", "kernel_too_large"),
    ("running_mean should contain 36 elements not 2048", "norm_features_mismatch"),
    ("shape '[-1, 400]' is invalid for input of size 12544", "reshape_size_mismatch"),
]


@pytest.mark.parametrize(("message", "family"), ISSUE_EXAMPLES)
def test_the_issue_examples_are_recognised(message, family):
    answer = engine.explain(message)
    assert answer["family"] == family
    assert answer["summary"] and answer["explanation"]
    assert answer["family"] in FAMILIES


def test_linear_mismatch_reads_its_numbers_and_proposes_both_directions():
    answer = engine.explain("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)")
    assert answer["framework"] == "pytorch"
    assert answer["numbers"] == {
        "input_shape": [64, 9216],
        "weight_shape": [4096, 10],
        "received": 9216,
        "expected": 4096,
        "out_features": 10,
    }
    change, feed = answer["fixes"][0], answer["fixes"][1]
    assert change["change"] == {"layer": "Linear", "params": {"in_features": 9216, "out_features": 10}}
    # The check is the engine's evaluate() of the changed layer on the message's shape.
    assert change["check"] == {
        "layer": "Linear",
        "params": {"in_features": 9216, "out_features": 10},
        "input_shape": [64, 9216],
        "runs": True,
        "output_shape": [64, 10],
        "param_count": 9216 * 10 + 10,
    }
    assert feed["change"]["input_shape"] == [64, 4096] and feed["check"]["runs"]
    assert not change["verified"] and not feed["verified"]  # verified means traced with the model's code
    assert "(3/2)²" in answer["explanation"]  # 9216/4096: an input 1.5 times the side it was written for


def test_formulas_are_the_registrys_own_with_the_numbers_put_in():
    answer = engine.explain("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)")
    [entry] = answer["formulas"]
    formula = next(f for f in registry.lookup("pytorch", "Linear").formulas if f.key == entry["key"])
    assert entry["text"] == formula.rendered["text"] and entry["mathml"] == formula.rendered["mathml"]
    assert entry["values"] == {"i": 4096, "u": 10}
    assert entry["substituted"] == formula.substituted({"i": 4096, "u": 10})
    assert entry["substituted"]["mathml"].startswith("<math")


def test_channels_last_input_is_diagnosed_and_the_permuted_shape_checked():
    answer = engine.explain(
        "RuntimeError: Given groups=1, weight of size [32, 3, 3, 3], expected input[128, 32, 32, 3] to have 3 "
        "channels, but got 32 channels instead"
    )
    assert answer["family"] == "channel_mismatch"
    permute = next(f for f in answer["fixes"] if f["change"].get("input_shape") == [128, 3, 32, 32])
    assert permute["check"]["runs"] and permute["check"]["output_shape"] == [128, 32, 30, 30]
    assert "channels-last" in answer["explanation"]


def test_missing_batch_axis_is_fixed_by_adding_it():
    answer = engine.explain(
        "RuntimeError: Expected 4-dimensional input for 4-dimensional weight [64, 3, 7, 7], but got 3-dimensional "
        "input of size [3, 224, 224] instead."
    )
    fix = answer["fixes"][0]
    assert fix["change"] == {"input_shape": [1, 3, 224, 224]}
    assert fix["check"]["runs"] and fix["check"]["output_shape"] == [1, 64, 218, 218]


def test_embedding_index_needs_a_larger_table():
    answer = engine.explain("InvalidArgumentError: indices[4,0] = 10000 is not in [0, 10000)")
    assert answer["family"] == "embedding_index" and answer["framework"] == "keras"
    assert answer["fixes"][0]["change"] == {"layer": "Embedding", "params": {"input_dim": 10001}}


def test_a_target_mismatch_says_it_is_not_a_layer():
    answer = engine.explain("ValueError: Expected input batch_size (60) to match target batch_size (10).")
    assert answer["family"] == "target_shape_mismatch"
    assert answer["layer_type"] is None
    assert "not a layer's shape" in answer["explanation"]


def test_an_unknown_message_is_answered_as_unknown():
    answer = engine.explain("KeyError: 'model_state_dict'")
    assert answer["family"] == "unknown" and not answer["recognised"] and answer["fixes"] == []
    assert answer["notes"]


def test_old_and_new_wordings_of_one_error_agree():
    old = engine.explain(
        "RuntimeError: size mismatch, m1: [64 x 9216], m2: [4096 x 10] at /pytorch/aten/src/TH/x.cpp:1"
    )
    new = engine.explain("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)")
    assert old["numbers"] == new["numbers"] and old["fixes"] == new["fixes"]
    keras2 = engine.explain("Negative dimension size caused by subtracting 3 from 2 for 'conv2d_1/convolution'")
    keras3 = engine.explain(
        "ValueError: Computed output size would be zero or negative. Received: `inputs.shape=[None 2 2 3]`, `kernel_size=[3 3]`"
    )
    assert keras2["family"] == keras3["family"] == "kernel_too_large"


def test_the_tracers_own_messages_are_explained():
    answer = engine.explain("layer 3: Linear expects in_features 4096, receives 802816", framework="pytorch")
    assert answer["family"] == "in_features_mismatch"
    assert answer["numbers"]["expected"] == 4096 and answer["numbers"]["received"] == 802816


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"message": ""}, "message", "invalid_message"),
        ({"message": 12}, "message", "invalid_message"),
        ({"message": "x" * (MAX_MESSAGE_CHARS + 1)}, "message", "message_too_long"),
        ({"message": "x", "code": "y" * (MAX_CODE_CHARS + 1)}, "code", "code_too_long"),
        ({"message": "x", "framework": "jax"}, "framework", "unknown_framework"),
        ({"message": "x", "input_shape": [0, 3]}, "input_shape[0]", "invalid_dimension"),
    ],
)
def test_bad_input_is_refused_naming_the_field(kwargs, field, code):
    with pytest.raises(engine.ShapeError) as info:
        engine.explain(**kwargs)
    assert info.value.field == field and info.value.code == code


def _hostile_inputs(rng: random.Random) -> list[str]:
    """20,000-character pastes built to make a backtracking pattern work hard."""
    n = MAX_MESSAGE_CHARS
    prefixes = [
        "mat1 and mat2 shapes cannot be multiplied (",
        "Given groups=1, weight of size [",
        "Negative dimension size caused by subtracting 3 from 1 for '",
        "shape '[",
        'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input shape to have value 1 but received input with shape (',
        "A `Concatenate` layer requires inputs with matching shapes except for the concat axis. Got inputs shapes: [",
        "Computed output size would be zero or negative",
        "Sizes of tensors must match except in dimension 1. Got ",
        "Expected 4-dimensional input for 4-dimensional weight [",
        "total size of new array must be unchanged, input_shape = [",
    ]
    out = [(p * (n // len(p) + 1))[:n] for p in prefixes]
    out += [(p + "1, " * n)[:n] for p in prefixes]
    out.append("(" * n)
    out.append("[" * n)
    out.append(("1 x " * n)[:n])
    out.append("".join(rng.choice(string.printable) for _ in range(n)))
    out.append("".join(rng.choice("[](), x0123456789-?'\"`") for _ in range(n)))
    return out


def test_patterns_are_bounded_on_hostile_input(rng):
    worst = 0.0
    for text in _hostile_inputs(rng):
        assert len(text) == MAX_MESSAGE_CHARS
        started = time.perf_counter()
        answer = engine.explain(text)
        worst = max(worst, time.perf_counter() - started)
        assert answer["family"] in FAMILIES
    print(f"hostile pastes: worst {worst * 1000:.0f} ms per explain")
    assert worst < 1.0


def test_every_pattern_names_a_known_family():
    for pattern in explain_patterns.PATTERNS:
        assert pattern.family is None or pattern.family in FAMILIES
        assert pattern.framework in (None, "keras", "pytorch")


RESNET = (Path(__file__).parent / "graph_models" / "torch_resnet18.txt").read_text(encoding="utf-8")


def test_with_a_resnet_the_class_that_owns_the_layer_is_edited_and_the_change_verified():
    """conv1 exists in the block class and in the model: the model's own one is changed, and each edit
    is a constructor call (never the forward's `self.linear(out)`)."""
    answer = engine.explain(
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2048 and 512x10)", RESNET, "pytorch"
    )
    assert answer["layer"]["name"] == "linear" and answer["layer"]["type"] == "Linear"
    fix = answer["fixes"][0]
    assert fix["verified"] and fix["change"]["params"] == {"in_features": 2048}
    [edit] = fix["change"]["edits"]
    assert edit["before"].startswith("nn.Linear(") and edit["after"].startswith("nn.Linear(2048")
    changed = RESNET.replace(edit["before"], edit["after"])
    fed = fix["trace"]["input_shape"]
    assert engine.trace_code(changed, "pytorch", fed)["output_shape"] == fix["trace"]["output_shape"]
    with pytest.raises(engine.ShapeError):
        engine.trace_code(RESNET, "pytorch", fed)  # the unchanged model fails at that size


def test_code_that_cannot_be_read_is_a_note_not_an_error():
    answer = engine.explain("RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2 and 3x4)", "def (:")
    assert answer["family"] == "in_features_mismatch" and answer["layer"] is None
    assert answer["notes"]


def test_a_large_model_is_explained_within_bounds():
    body = "\n".join(f"            nn.Linear({64 if i else 32}, 64)," for i in range(400))
    code = (
        "import torch.nn as nn\nclass Big(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        f"        self.body = nn.Sequential(\n{body}\n        )\n    def forward(self, x):\n        return self.body(x)\n"
    )
    assert len(code) <= MAX_CODE_CHARS
    started = time.perf_counter()
    answer = engine.explain("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x48 and 32x64)", code)
    elapsed = time.perf_counter() - started
    print(f"400-layer model explained in {elapsed:.2f} s ({answer['trace']['tried']} input shapes traced)")
    assert answer["layer"]["name"] == "body.0" and answer["fixes"][0]["verified"]
    assert elapsed < 10


HOSTILE_CODE = [
    "(" * MAX_CODE_CHARS,
    "x = " + "1+" * 9990 + "1",
    "nn.Sequential(" * 300 + "nn.Linear(32, 64)" + ")" * 300,
    "\x00" * 100,
    "def f(:\n",
    "import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.l = nn.Linear(32, 64)\n    def forward(self, x):\n" + "        x = self.l(x)\n" * 600,
]


@pytest.mark.parametrize("code", HOSTILE_CODE, ids=range(len(HOSTILE_CODE)))
def test_hostile_code_is_answered_quickly_and_never_raises_anything_else(code):
    started = time.perf_counter()
    answer = engine.explain(
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x48 and 32x64)", code[:MAX_CODE_CHARS]
    )
    assert answer["family"] == "in_features_mismatch"
    assert time.perf_counter() - started < 5
