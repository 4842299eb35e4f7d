"""engine.explain on the explain corpus (tests/explain_corpus: 154 real messages from public threads).

Two figures. Without code: every message, one call each per round, against the regular-expression scan
that finds the message's pattern (engine.explain_patterns.find), the least any explanation does. With
code (the corpus entries whose thread shows the model): engine.explain against one engine.trace_code of
the same code, since the explainer looks for the input size that reproduces the message by tracing.
Run through bench/run.py, or alone: python bench/bench_explain.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

try:
    from bench._harness import ROOT, Row, compare, table
except ImportError:  # run as a script: python bench/bench_explain.py
    from _harness import ROOT, Row, compare, table

import yaml  # noqa: E402

import engine  # noqa: E402  (after _harness put the repository on sys.path)
from engine import explain_patterns  # noqa: E402

CORPUS = Path(ROOT) / "tests" / "explain_corpus" / "messages.yaml"


def _corpus() -> list[dict]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_messages(rounds: int) -> tuple[Row, dict]:
    entries = _corpus()
    messages = [(entry["message"],) for entry in entries]
    # First calls, before anything is warm (the engine keeps the layers' compiled formulas per process).
    each = []
    for (message,) in messages:
        start = time.perf_counter()
        engine.explain(message)
        each.append(time.perf_counter() - start)
    timings = compare(
        {
            "engine.explain": (lambda m: engine.explain(m), [messages] * rounds),
            "pattern scan only": (lambda m: explain_patterns.find(m), [messages] * rounds),
        },
        rounds=rounds,
    )
    spread = {"p50": _percentile(each, 0.5), "p95": _percentile(each, 0.95), "max": max(each)}
    row = Row(
        f"explain: {len(messages)} corpus messages, no code (per message)",
        timings["engine.explain"],
        timings["pattern scan only"],
    )
    return row, spread


def bench_with_code(rounds: int) -> Row | None:
    cases = [e for e in _corpus() if e.get("code")]
    if not cases:
        return None
    explain_args = [(e["message"], e["code"], e["framework"], e.get("input_shape")) for e in cases]
    trace_args = [(e["code"], e["framework"], e.get("input_shape")) for e in cases]

    def trace(code, framework, shape):
        try:
            engine.trace_code(code, framework=framework, input_shape=shape)
        except engine.ShapeError:
            pass

    timings = compare(
        {
            "engine.explain": (
                lambda m, c, f, s: engine.explain(m, code=c, framework=f, input_shape=s),
                [explain_args] * rounds,
            ),
            "one trace_code": (trace, [trace_args] * rounds),
        },
        rounds=rounds,
    )
    return Row(
        f"explain with code: {len(cases)} threads (per message)", timings["engine.explain"], timings["one trace_code"]
    )


def run(seed: int = 0, quick: bool = False) -> list[Row]:
    """The corpus is fixed, so the seed changes nothing; quick: fewer rounds."""
    rounds = 3 if quick else 7
    row, spread = bench_messages(rounds)
    print(
        "explain per message, first call: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {max:.2f} ms".format(
            **{k: v * 1e3 for k, v in spread.items()}
        )
    )
    rows = [row]
    with_code = bench_with_code(rounds)
    if with_code is not None:
        rows.append(with_code)
    return rows


if __name__ == "__main__":
    print(table(run()))
    sys.exit(0)
