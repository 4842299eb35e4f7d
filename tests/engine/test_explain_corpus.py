"""The explainer on real messages from public threads (tests/explain_corpus): family, numbers, fixes, rates.

Every entry's message is explained as pasted; the family and the numbers the message states must come
out. Entries with model code are also traced: the failing layer must be found and a fix verified by
re-tracing. For those, the real frameworks are run on OUR corpus code (test data, not user input) to
confirm that the message is what the framework prints for that input, and that the verified fix runs.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import engine

CORPUS_FILE = Path(__file__).resolve().parent.parent / "explain_corpus" / "messages.yaml"
CORPUS = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
WITH_CODE = [item for item in CORPUS if item.get("code")]
TARGET_RATE = 0.85


@pytest.fixture(scope="module")
def answers():
    return {item["id"]: engine.explain(item["message"]) for item in CORPUS}


def test_the_corpus_is_large_real_and_spread():
    assert len(CORPUS) >= 60
    assert len({item["id"] for item in CORPUS}) == len(CORPUS)
    for item in CORPUS:
        assert item["source"].startswith("https://"), item["id"]
        assert item["family"] in engine.explain.__globals__["FAMILIES"], item["id"]
        assert item["message"].strip() and item.get("cause") and item.get("fix"), item["id"]
    families = Counter(item["family"] for item in CORPUS)
    frameworks = Counter(item["framework"] for item in CORPUS)
    assert len(families) >= 12 and min(frameworks["keras"], frameworks["pytorch"]) >= 25
    print(f"corpus: {len(CORPUS)} messages; families {dict(families)}; frameworks {dict(frameworks)}")


def _numbers_right(item, answer) -> bool:
    return all(answer["numbers"].get(key) == value for key, value in (item.get("numbers") or {}).items())


def test_rates_on_the_corpus(answers):
    family = [item for item in CORPUS if answers[item["id"]]["family"] == item["family"]]
    numbers = [item for item in family if _numbers_right(item, answers[item["id"]])]
    framework = [
        item
        for item in CORPUS
        if answers[item["id"]]["framework"] in (None, item["framework"])  # None: the message does not say
    ]
    complete = [
        item
        for item in numbers
        if answers[item["id"]]["explanation"]
        and (answers[item["id"]]["formulas"] or item["family"] == "target_shape_mismatch")
        and answers[item["id"]]["fixes"]
    ]
    held = [item for item in CORPUS if item.get("holdout")]
    held_right = [item for item in held if item in numbers]
    n = len(CORPUS)
    misses = [(item["id"], answers[item["id"]]["family"], item["family"]) for item in CORPUS if item not in family]
    print(
        f"\nexplain corpus: {n} messages; family right {len(family)}/{n} = {len(family) / n:.1%}; "
        f"family and numbers right {len(numbers)}/{n} = {len(numbers) / n:.1%}; "
        f"with explanation, formula and fix {len(complete)}/{n} = {len(complete) / n:.1%}; "
        f"framework not contradicted {len(framework)}/{n}; held-out subset {len(held_right)}/{len(held)}; "
        f"misses: {misses}"
    )
    assert len(framework) == n
    assert len(family) / n >= TARGET_RATE
    assert len(numbers) / n >= TARGET_RATE
    assert len(complete) / n >= TARGET_RATE


@pytest.mark.parametrize("item", CORPUS, ids=[item["id"] for item in CORPUS])
def test_every_message_gets_an_answer(item, answers):
    answer = answers[item["id"]]
    assert answer["summary"]
    for fix in answer["fixes"]:
        assert fix["description"] and isinstance(fix["change"], dict) and fix["verified"] is False
        if "check" in fix:
            assert fix["check"]["runs"]  # a fix the engine shows failing is never proposed


def _edited(code: str, fix: dict) -> str | None:
    """The corpus code with a fix's edits applied (each `before` found once), or None."""
    for edit in fix["change"].get("edits", []):
        if "after" not in edit or code.count(edit["before"]) != 1:
            return None
        code = code.replace(edit["before"], edit["after"])
    return code


@pytest.mark.parametrize("item", WITH_CODE, ids=[item["id"] for item in WITH_CODE])
def test_with_code_the_failing_layer_is_found_and_a_fix_verified(item):
    answer = engine.explain(item["message"], item["code"], item["framework"], item.get("input_shape"))
    assert answer["family"] == item["family"]
    if item.get("keras3") == "runs":  # Keras 3 (and the tracer, following it) runs what Keras 2 refused
        assert answer["layer"] is None and any("older version" in note for note in answer["notes"])
        return
    assert answer["layer"] is not None and answer["layer"]["name"]
    verified = [fix for fix in answer["fixes"] if fix["verified"]]
    assert verified, answer["notes"]
    for fix in verified:  # re-trace independently of the explainer
        shape = fix["change"].get("input_shape")
        code = _edited(item["code"], fix) if "edits" in fix["change"] else item["code"]
        if code is None:
            continue
        result = engine.trace_code(code, item["framework"], shape if shape is not None else item.get("input_shape"))
        assert result["output_shape"] == fix["trace"]["output_shape"]


@pytest.mark.parametrize("item", WITH_CODE, ids=[item["id"] for item in WITH_CODE])
def test_with_code_but_no_input_shape_the_fed_size_is_found(item):
    """The input size whose trace fails with the message's numbers is the answer to 'what did I feed it?'."""
    answer = engine.explain(item["message"], item["code"], item["framework"])
    if item.get("keras3") == "runs":
        return
    assert answer["layer"] is not None
    fed = answer["trace"]["input_shape"]
    if item.get("input_shape") is not None and fed is not None:
        assert fed[1:] == item["input_shape"][1:]


# ---- the real frameworks on our corpus code: the message is the framework's own, the fix runs ----------


def _torch_model(code: str):
    import torch
    from torch import nn

    namespace = {"torch": torch, "nn": nn}
    exec(compile(code, "<corpus>", "exec"), namespace)  # noqa: S102 - our own corpus file, never user input
    classes = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, nn.Module) and v is not nn.Module]
    return classes[-1]()


def _keras_build(code: str):
    import keras
    from keras import layers, models
    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from keras.models import Sequential

    namespace = {
        "keras": keras,
        "layers": layers,
        "models": models,
        "Sequential": Sequential,
        "Conv2D": Conv2D,
        "MaxPooling2D": MaxPooling2D,
        "Dense": Dense,
        "Flatten": Flatten,
    }
    exec(compile(code, "<corpus>", "exec"), namespace)  # noqa: S102 - our own corpus file, never user input
    return namespace["model"]


def _run(item, code, shape):
    """Run the corpus model on zeros of `shape` in its framework; the error text, or None when it runs."""
    if item["framework"] == "pytorch":
        import torch

        model = _torch_model(code)
        try:
            with torch.no_grad():
                model(torch.zeros(*shape))
        except (RuntimeError, ValueError) as err:
            return str(err)
        return None
    import warnings

    import numpy as np

    try:
        with warnings.catch_warnings():  # Keras 3 warns about input_shape= on a layer: the corpus keeps it as written
            warnings.simplefilter("ignore", UserWarning)
            model = _keras_build(code)
        if shape is not None:
            model(np.zeros([1 if d is None else d for d in shape], dtype="float32"))
    except ValueError as err:
        return str(err)
    return None


@pytest.mark.parametrize("item", WITH_CODE, ids=[item["id"] for item in WITH_CODE])
def test_the_frameworks_agree_with_the_corpus_and_the_fixes(item):
    shape = item.get("input_shape")
    error = _run(item, item["code"], shape)
    if item.get("keras3") == "runs":  # the thread's Keras 2 error; Keras 3 accepts this input
        assert error is None
        return
    assert error is not None, "the framework must fail on the corpus input"
    own = engine.explain(error, framework=item["framework"])
    assert own["family"] == item["family"], (error, own["family"])
    quoted = engine.explain(item["message"])
    for key in ("expected", "received"):
        if key in quoted["numbers"] and key in own["numbers"]:
            assert own["numbers"][key] == quoted["numbers"][key]
    answer = engine.explain(item["message"], item["code"], item["framework"], shape)
    for fix in answer["fixes"]:
        if not fix["verified"]:
            continue
        code = _edited(item["code"], fix) if "edits" in fix["change"] else item["code"]
        if code is None:
            continue
        fed = fix["change"].get("input_shape", shape)
        assert _run(item, code, fed) is None, fix["description"]


def test_no_message_in_the_corpus_is_truncated_by_the_patterns():
    for item in CORPUS:
        assert len(item["message"]) <= engine.explain.__globals__["MAX_MESSAGE_CHARS"]
        assert not re.search(r"\bTODO\b", item["message"])
