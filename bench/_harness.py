"""Timing helpers shared by the benchmarks: seeded inputs, interleaved perf_counter rounds, ratios.

Every candidate of one comparison runs in this process, in many short rounds taken in turn
(A, B, A, B, ...), so that a burst of load on the machine hits all of them alike. Each candidate's
figure is its best round (the least disturbed one, as timeit advises); the speed-up is the ratio of
the best rounds, and beside it the median over rounds of the ratio of the two rounds run back to back
(a figure that load hits less than either median alone).
Each round walks a list of inputs drawn up front from a seeded RNG, one different input per call, so
no answer can come from a cache; in one round, every candidate gets the same configurations.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")

DEFAULT_SEED = 20260611


def seed_from_env() -> int:
    """SHAPEKB_BENCH_SEED=<n> replays a run; otherwise a fixed default seed."""
    return int(os.environ.get("SHAPEKB_BENCH_SEED") or DEFAULT_SEED)


def rng_for(seed: int, name: str) -> random.Random:
    """One RNG per benchmark, so adding a benchmark does not change another's inputs."""
    return random.Random(f"{seed}:{name}")


@dataclass
class Timing:
    name: str
    best_ns: float  # per call, best round
    median_ns: float  # per call, median round
    calls: int  # calls timed in all
    rounds_ns: tuple = ()  # per call, every round in order


def _one_round(fn, args_list) -> float:
    start = time.perf_counter()
    for args in args_list:
        fn(*args)
    return time.perf_counter() - start


def compare(candidates: dict, rounds: int = 7) -> dict[str, Timing]:
    """candidates: name -> (fn, [args for round 0, args for round 1, ...]) where each entry is a list
    of argument tuples (one per call). Rounds run interleaved; gc is paused while a round runs, as
    timeit does. Returns name -> Timing."""
    seconds: dict[str, list[float]] = {name: [] for name in candidates}
    calls: dict[str, int] = dict.fromkeys(candidates, 0)
    names = list(candidates)
    for fn, per_round in candidates.values():  # warm up (first-call imports, lazy caches, rendering)
        for args in per_round[0][:3]:
            fn(*args)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn, per_round = candidates[name]
            args_list = per_round[r % len(per_round)]
            gc.collect()
            gc.disable()
            try:
                seconds[name].append(_one_round(fn, args_list) / len(args_list))
            finally:
                gc.enable()
            calls[name] += len(args_list)
    return {
        name: Timing(name, min(s) * 1e9, statistics.median(s) * 1e9, calls[name], tuple(x * 1e9 for x in s))
        for name, s in seconds.items()
    }


@dataclass
class Row:
    """One line of the results table: an engine figure against one baseline."""

    benchmark: str
    engine: Timing
    baseline: Timing | None = None
    target: float | None = None  # required baseline/engine ratio (1.0: no slower)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.baseline.best_ns / self.engine.best_ns

    @property
    def median_ratio(self) -> float | None:
        """Median over rounds of baseline round / engine round (the two ran back to back)."""
        if self.baseline is None:
            return None
        pairs = zip(self.baseline.rounds_ns, self.engine.rounds_ns, strict=True)
        return statistics.median(b / e for b, e in pairs)

    @property
    def met(self) -> str:
        if self.target is None or self.ratio is None:
            return "-"
        return "yes" if self.ratio >= self.target else "NO"


def fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:,.1f} µs"
    return f"{ns:,.0f} ns"


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | engine per call | baseline | baseline per call | speed-up (best rounds) | speed-up (median of paired rounds) | target | met |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for row in rows:
        base = row.baseline
        target = "-" if row.target is None else ("no slower" if row.target == 1 else f">= {row.target:g}x")
        lines.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                row.benchmark,
                fmt_ns(row.engine.best_ns),
                "-" if base is None else base.name,
                "-" if base is None else fmt_ns(base.best_ns),
                "-" if row.ratio is None else f"{row.ratio:,.1f}x",
                "-" if row.median_ratio is None else f"{row.median_ratio:,.1f}x",
                target,
                row.met,
            )
        )
    return "\n".join(lines)
