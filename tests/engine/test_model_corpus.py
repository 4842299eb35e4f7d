"""Real model code from public repositories (tests/corpus), read by engine.trace_code and compared
with what PyTorch 2.13 / Keras 3.15 say (tests/corpus/truth.json).

Every item must be traced exactly (every output shape, total / trainable / non-trainable parameters,
and torchinfo's mult-adds for PyTorch) or refused with a ShapeError whose message names a line. An
answer that differs from the framework fails hard, whatever the pass rate. An item whose code fails
in the framework itself must be refused; that refusal counts as right.
"""

from __future__ import annotations

import json
import re

import pytest

import engine
from tests.corpus import record

# The share of the corpus that must be answered right (issue 8, "Done when": at least 90%).
PASS_FLOOR = 0.90
# Conformance re-records this many items per framework and checks truth.json still says the same.
RERECORD_PER_FRAMEWORK = 3
# Every item fits one API request (issue 8: code of at most 20,000 characters).
MAX_CODE_CHARS = 20_000

MANIFEST = record.load_manifest()
TRUTH = json.loads(record.TRUTH.read_text())
LINE_NAMED = re.compile(r"\bline \d+")
SOURCE_AT_COMMIT = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+$")

needs_reader = pytest.mark.skipif(not hasattr(engine, "trace_code"), reason="engine.trace_code is not built yet")


def trace_options(entry: dict) -> dict:
    """The request for one item besides its code: framework, input shape(s) and values."""
    options: dict = {"framework": entry["framework"]}
    shapes = entry.get("input_shapes")
    if shapes:
        if len(shapes) == 1:
            options["input_shape"] = shapes[0]
        else:
            options["input_shapes"] = shapes
    if entry.get("values"):
        options["values"] = entry["values"]
    return options


def trace_item(entry: dict) -> dict:
    """Ask the engine about one item the way the API would."""
    return engine.trace_code(record.item_code(entry), **trace_options(entry))


def _shape(value) -> list | None:
    return None if value is None else [None if d is None else d for d in value]


def differences(answer: dict, truth: dict, framework: str) -> list[str]:
    """What the engine's answer says differently from the framework (empty when it is exact)."""
    found = []
    got = [(out.get("name"), _shape(out.get("shape"))) for out in answer.get("outputs") or []]
    want = truth["outputs"]
    names = truth.get("output_names")
    if (
        names
        and len(got) == len(want)
        and sorted(n or "" for n, _ in got) == sorted(names)
        and len(set(names)) == len(names)
    ):
        by_name = dict(got)
        got_shapes = [by_name[name] for name in names]  # a dict of outputs: Keras orders them by key
    else:
        got_shapes = [shape for _, shape in got]
    if got_shapes != want:
        found.append(f"outputs {got_shapes} != framework {want}")
    for key in ("total_params", "trainable_params", "non_trainable_params"):
        if answer.get(key) != truth[key]:
            found.append(f"{key} {answer.get(key)} != framework {truth[key]}")
    if framework == "pytorch" and answer.get("total_macs") != truth["macs"]:
        found.append(f"total_macs {answer.get('total_macs')} != torchinfo {truth['macs']}")
    return found


def layer_notes(answer: dict, truth: dict) -> list[str]:
    """Per-layer shapes that differ where the engine's layer name is one the framework uses (reported, not failed)."""
    notes = []
    for layer in answer.get("layers") or []:
        name = layer.get("name")
        if name in truth.get("layers", {}) and _shape(layer.get("output_shape")) != truth["layers"][name]:
            notes.append(f"{name}: {layer.get('output_shape')} != {truth['layers'][name]}")
    return notes


def verdict(entry: dict) -> dict:
    """One item's outcome: pass, refused (with a line), or a hard failure (wrong, unclear, crash)."""
    truth = TRUTH[entry["id"]]
    try:
        answer = trace_item(entry)
    except engine.ShapeError as err:
        message = f"{err.code}: {err.message}"
        if not LINE_NAMED.search(str(err.message)):
            return {"outcome": "unclear", "detail": f"refusal names no line: {message}"}
        if truth["status"] == "framework_error":
            return {"outcome": "pass", "detail": f"refused as the framework does ({truth['error'][:80]}): {message}"}
        return {"outcome": "refused", "detail": message}
    except Exception as err:  # noqa: BLE001 - a crash is reported per item, never hidden
        return {"outcome": "crash", "detail": f"{type(err).__name__}: {err}"[:300]}
    if truth["status"] == "framework_error":
        shapes = [out.get("shape") for out in answer.get("outputs") or []]
        return {"outcome": "wrong", "detail": f"answered {shapes} where the framework raises {truth['error']}"}
    found = differences(answer, truth, entry["framework"])
    notes = layer_notes(answer, truth)
    if found:
        return {"outcome": "wrong", "detail": "; ".join(found), "layers": notes}
    return {"outcome": "pass", "detail": "", "layers": notes}


@pytest.fixture(scope="module")
def verdicts() -> dict:
    """Every item traced once; the table is printed so a run shows the whole picture."""
    results = {entry["id"]: verdict(entry) for entry in MANIFEST}
    for key, result in results.items():
        print(f"{result['outcome']:8} {key:40} {result['detail'][:200]}")
    return results


def test_corpus_is_complete():
    """At least 70 items, 30 per framework, each with its file, its source (at a commit), its README line and its truth."""
    counts = {"pytorch": 0, "keras": 0}
    readme = (record.CORPUS_DIR / "README.md").read_text()
    for entry in MANIFEST:
        counts[entry["framework"]] += 1
        assert 0 < len(record.item_code(entry)) <= MAX_CODE_CHARS, (
            f"{entry['id']}: the API reads at most 20,000 characters"
        )
        assert SOURCE_AT_COMMIT.match(entry["source"]), f"{entry['id']}: source must name a repository, commit and path"
        assert f"`{entry['id']}`" in readme, f"{entry['id']} is not listed in tests/corpus/README.md"
        assert entry["id"] in TRUTH, f"{entry['id']} has no truth: run python -m tests.corpus.record {entry['id']}"
    assert len(MANIFEST) >= 70 and min(counts.values()) >= 30, counts
    assert len({entry["id"] for entry in MANIFEST}) == len(MANIFEST)


@needs_reader
@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["id"] for entry in MANIFEST])
def test_item_is_exact_or_refused_with_a_line(verdicts, entry):
    result = verdicts[entry["id"]]
    assert result["outcome"] in ("pass", "refused"), f"{entry['id']} {result['outcome']}: {result['detail']}"


@needs_reader
def test_pass_rate(verdicts):
    """The share answered right, against the issue's floor."""
    passed = sum(result["outcome"] == "pass" for result in verdicts.values())
    rate = passed / len(verdicts)
    by_outcome: dict = {}
    for result in verdicts.values():
        by_outcome[result["outcome"]] = by_outcome.get(result["outcome"], 0) + 1
    print(f"corpus: {passed}/{len(verdicts)} right ({rate:.1%}); outcomes {by_outcome}")
    for framework in ("pytorch", "keras"):
        ids = [entry["id"] for entry in MANIFEST if entry["framework"] == framework]
        right = sum(verdicts[key]["outcome"] == "pass" for key in ids)
        print(f"  {framework}: {right}/{len(ids)} right ({right / len(ids):.1%})")
    assert rate >= PASS_FLOOR, f"{passed}/{len(verdicts)} right ({rate:.1%}) is under {PASS_FLOOR:.0%}; {by_outcome}"


@pytest.mark.conformance
def test_truth_is_current(rng):
    """Re-run the recorder for a random sample of items: truth.json must say exactly the same."""
    sample = []
    for framework in ("pytorch", "keras"):
        ids = [entry["id"] for entry in MANIFEST if entry["framework"] == framework]
        sample += rng.sample(ids, RERECORD_PER_FRAMEWORK)
    print(f"re-recorded: {sample}")
    fresh = record.record_all(sample)
    for key in sample:
        assert fresh[key] == TRUTH[key], f"truth.json is stale for {key}: run python -m tests.corpus.record {key}"


@needs_reader
def test_the_verdict_catches_what_is_wrong(monkeypatch):
    """The harness itself: an answer off by anything, a refusal without a line, an answer where the
    framework errors, are all caught (so a passing corpus run means what it says)."""
    pytorch = next(e for e in MANIFEST if e["id"] == "cifar_lenet")
    keras = next(e for e in MANIFEST if e["id"] == "guide_functional_multi_io")
    broken = next(e for e in MANIFEST if TRUTH[e["id"]]["status"] == "framework_error")
    real_trace = engine.trace_code
    for entry in (pytorch, keras):
        monkeypatch.setattr(engine, "trace_code", real_trace)
        exact = real_trace(record.item_code(entry), **trace_options(entry))
        assert verdict(entry)["outcome"] == "pass", entry["id"]
        changes = [
            ("total_params", exact["total_params"] + 1),
            ("trainable_params", exact["trainable_params"] - 1),
            ("outputs", [{**out, "shape": [*out["shape"][:-1], out["shape"][-1] + 1]} for out in exact["outputs"]]),
            ("outputs", exact["outputs"][:1] if len(exact["outputs"]) > 1 else exact["outputs"] * 2),
        ]
        if entry["framework"] == "pytorch":
            changes.append(("total_macs", exact["total_macs"] * 2))
        for key, value in changes:
            monkeypatch.setattr(engine, "trace_code", lambda code, _a=exact, _k=key, _v=value, **kw: {**_a, _k: _v})
            assert verdict(entry)["outcome"] == "wrong", (entry["id"], key)
    for message, outcome in (("cannot follow this", "unclear"), ("line 3: cannot follow this", "refused")):

        def refuse(code, _message=message, **kw):
            raise engine.ShapeError("unsupported_construct", _message, line=3)

        monkeypatch.setattr(engine, "trace_code", refuse)
        assert verdict(pytorch)["outcome"] == outcome
    monkeypatch.setattr(engine, "trace_code", lambda code, **kw: {"outputs": [{"name": "x", "shape": [1]}]})
    assert verdict(broken)["outcome"] == "wrong"
