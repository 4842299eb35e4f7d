"""Every example of every entry in kb/content/ is reproduced by the engine, key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from kb.content import CONTENT_DIR, ContentError, Entry, Example, load_entries, parse_entry, render_markdown


def _files() -> list[Path]:
    return sorted(
        p for p in CONTENT_DIR.rglob("*.md") if not any(s.startswith(".") for s in p.relative_to(CONTENT_DIR).parts)
    )


def _parsed() -> list[tuple[str, Entry | ContentError]]:
    """(slug, entry) per file; a file that does not parse is kept as its error so its tests fail."""
    out = []
    for path in _files():
        try:
            out.append((path.stem, parse_entry(path)))
        except ContentError as err:
            out.append((path.stem, err))
    return out


PARSED = _parsed()


def _entry(item) -> Entry:
    if isinstance(item, ContentError):
        pytest.fail(f"entry does not parse: {item}")
    return item


def _example_params():
    params = []
    for slug, item in PARSED:
        if isinstance(item, ContentError):
            params.append(pytest.param(item, None, id=f"{slug}/<does not parse>"))
            continue
        for example in item.examples:
            params.append(pytest.param(item, example, id=f"{slug}/{example.name}"))
    return params


def observed(example: Example, result: dict) -> dict:
    """The engine's answer, under the names `expect` uses."""
    if example.kind == "trace":
        return {
            "output_shape": result["output_shape"],
            "total_params": result["total_params"],
            "layer_shapes": [step["output_shape"] for step in result["layers"]],
            "layer_params": [step["param_count"] for step in result["layers"]],
        }
    return {key: result[key] for key in ("output_shape", "param_count", "trainable_params", "weights", "outputs")}


def test_content_directory_has_the_six_seed_entries():
    assert len(PARSED) >= 6, [slug for slug, _ in PARSED]


def test_load_entries_accepts_the_whole_directory():
    entries = load_entries()
    assert [e.slug for e in entries] == sorted(e.slug for e in entries)
    assert len({e.slug for e in entries}) == len(entries)


@pytest.mark.parametrize(("entry", "example"), _example_params())
def test_example_is_reproduced_by_the_engine(entry, example):
    entry = _entry(entry)
    try:
        result = example.run()
    except engine.ShapeError as err:
        pytest.fail(f"{entry.path}: example {example.name!r}: the engine rejects it: {err.code}: {err.message}")
    got = observed(example, result)
    wrong = {key: {"expected": want, "engine": got[key]} for key, want in example.expect.items() if got[key] != want}
    assert not wrong, f"{entry.path}: example {example.name!r} differs from the engine: {wrong}"


def _layer_names(steps: list) -> list[str]:
    """Every layer a list of {layer, params} steps uses, wrapped layers (TimeDistributed(Conv2D)) included."""
    names = []
    for step in steps:
        names.append(step["layer"])
        params = step.get("params") or {}
        names += _layer_names([params[key] for key in ("layer", "backward_layer") if isinstance(params.get(key), dict)])
    return names


@pytest.mark.parametrize("item", [pytest.param(item, id=slug) for slug, item in PARSED])
def test_entry_has_an_evaluator_and_an_example_per_layer(item):
    entry = _entry(item)
    evaluators = [e for e in entry.examples if e.evaluator]
    assert len(evaluators) == 1
    assert evaluators[0].kind == "evaluate"
    covered = set()
    for example in entry.examples:
        steps = [{"layer": example.layer, "params": example.params}] if example.kind == "evaluate" else example.layers
        for name in _layer_names(steps):
            spec = engine.get_layer(example.framework, name)
            covered.add((spec.framework, spec.name))
    missing = [f"{fw}/{name}" for fw, name in entry.layers if (fw, name) not in covered]
    assert not missing, f"{entry.path}: no example uses {missing}"
    # the formulas shown are for layers the entry is about
    assert set(entry.formulas) <= {f"{fw}/{name}" for fw, name in entry.layers}


@pytest.mark.parametrize("item", [pytest.param(item, id=slug) for slug, item in PARSED])
def test_entry_renders_and_keeps_the_askers_code(item):
    entry = _entry(item)
    assert entry.source == "community Q&A"
    assert "```" in entry.question_md + entry.answer_md, "an entry shows code (the asker's snippet where there was one)"
    for part in (entry.question_md, entry.answer_md):
        html = render_markdown(part)
        assert html.strip()
        assert "<script" not in html
    assert "<h3>" in render_markdown(entry.answer_md)  # the page puts the answer under its own h2
