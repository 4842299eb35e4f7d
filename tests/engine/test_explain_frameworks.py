"""The code path against the real frameworks: real models (tests/engine/graph_models) fed a wrong input in
PyTorch 2.13, the framework's own message explained with the model's code, the failing layer found, and
every verified fix run in PyTorch again. The model files are our own test data (their sources are in
graph_models/SOURCES.md); running them here is how the truth is obtained, never user input."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import engine

MODELS = Path(__file__).parent / "graph_models"

# (model file, a wrong input, the family its error belongs to)
CASES = [
    ("torch_mnist", (2, 1, 32, 32), "in_features_mismatch"),
    ("torch_mnist", (2, 3, 28, 28), "channel_mismatch"),
    ("torch_mnist", (2, 28, 28), "channel_mismatch"),  # read as one unbatched image of 2 channels
    ("torch_resnet18", (2, 3, 64, 64), "in_features_mismatch"),
    ("torch_resnet18", (2, 1, 32, 32), "channel_mismatch"),
    ("torch_dcgan", (2, 64, 1, 1), "channel_mismatch"),
    ("torch_seqdict", (2, 3, 28, 28), "channel_mismatch"),
    ("torch_lstm", (3, 28, 20), "rnn_input_mismatch"),
]


def _model(code: str, torch):
    ns = {"__name__": "corpus"}
    exec(compile(code, "<corpus>", "exec"), ns)  # noqa: S102 - our own test data, not user input
    modules = [v for v in ns.values() if isinstance(v, torch.nn.Module)]
    if modules:
        return modules[-1]
    classes = [v for v in ns.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    return [c for c in classes if c.__module__ == "corpus"][-1]()


def _run(code: str, shape, torch) -> str | None:
    """PyTorch's error for zeros of `shape`, or None when the model runs."""
    model = _model(code, torch).eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model(torch.zeros(shape))
    except (RuntimeError, ValueError) as err:
        return str(err)
    return None


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize(("name", "shape", "family"), CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s, _ in CASES])
def test_the_frameworks_message_is_explained_and_the_fixes_run(name, shape, family, torch):
    code = (MODELS / f"{name}.txt").read_text(encoding="utf-8")
    message = _run(code, shape, torch)
    assert message is not None, "the wrong input must fail in PyTorch"
    answer = engine.explain(message, code, "pytorch", list(shape))
    assert answer["family"] == family, message
    assert answer["layer"] is not None, (message, answer["notes"])
    verified = [fix for fix in answer["fixes"] if fix["verified"]]
    assert verified, (message, answer["notes"], [f["description"] for f in answer["fixes"]])
    for fix in verified:
        change = fix["change"]
        fixed = code
        for edit in change.get("edits", []):
            if "after" not in edit:  # an inserted flatten: checked by the trace the answer made
                fixed = None
                break
            assert fixed.count(edit["before"]) >= 1
            fixed = fixed.replace(edit["before"], edit["after"], 1)
        if fixed is None:
            continue
        fed = tuple(change.get("input_shape") or shape)
        assert _run(fixed, fed, torch) is None, (fix["description"], fed)
    # Without the input shape, the size that reproduces the message is found by evidence.
    blind = engine.explain(message, code, "pytorch")
    assert blind["family"] == family
    if blind["layer"] is not None:
        assert blind["layer"]["name"] == answer["layer"]["name"]


KERAS_CASES = [
    ("keras_seq1", (2, 32, 32, 1), "in_features_mismatch", "dense"),
    ("keras_seq1", (2, 28, 28, 3), "channel_mismatch", "conv2d"),
]


def _keras_error(code: str, shape, keras) -> str | None:
    import numpy as np

    keras.backend.clear_session()
    ns = {"__name__": "corpus"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 3 warns about input_shape= on a layer: the corpus keeps it
        exec(compile(code, "<corpus>", "exec"), ns)  # noqa: S102 - our own test data, not user input
        try:
            ns["model"](np.zeros(shape, dtype="float32"))
        except ValueError as err:
            return str(err)
    return None


@pytest.mark.parametrize(
    ("name", "shape", "family", "layer"),
    KERAS_CASES,
    ids=[f"{n}-{'x'.join(map(str, s))}" for n, s, _, _ in KERAS_CASES],
)
def test_keras_3s_message_is_explained_and_declaring_the_input_runs(name, shape, family, layer):
    keras = pytest.importorskip("keras")
    code = (MODELS / f"{name}.txt").read_text(encoding="utf-8")
    message = _keras_error(code, shape, keras)
    assert message is not None, "the wrong input must fail in Keras"
    answer = engine.explain(message, code, "keras", [None, *shape[1:]])
    assert answer["family"] == family and answer["layer"]["name"] == layer, message
    declare = next(fix for fix in answer["fixes"] if "declare_input_shape" in fix["change"])
    assert declare["verified"]
    per_sample = tuple(declare["change"]["declare_input_shape"][1:])
    rebuilt = re.sub(r"input_shape=\([^)]*\)", f"input_shape={per_sample}", code, count=1)
    assert _keras_error(rebuilt, shape, keras) is None  # Keras runs the model built for the data
    fed = next(fix for fix in answer["fixes"] if fix["verified"] and "input_shape" in fix["change"])
    assert _keras_error(code, (2, *fed["change"]["input_shape"][1:]), keras) is None
