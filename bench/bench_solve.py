"""engine.solve against brute force run the same way (same problems, same bounds, same process).
Run through bench/run.py (or alone: python bench/bench_solve.py).

Two baselines, both giving the count of settings that reach the target:
* wide bounds (kernel, stride, padding, dilation 1..64; PyTorch Conv1d, one axis): the per-axis formula
  written as plain integer Python in four nested loops, the cheapest brute force there is (16.8 million
  settings; the forward engine would take minutes);
* small bounds (1..8, padding 0..8): every setting through engine.evaluate, the brute force that checks
  each answer with the forward engine (36,864 settings).
The solver's answer (total) must equal each baseline's count before anything is timed.
"""

from __future__ import annotations

import sys

try:
    from bench._harness import Row, compare, rng_for, seed_from_env, table
except ImportError:  # run as a script: python bench/bench_solve.py
    from _harness import Row, compare, rng_for, seed_from_env, table

import engine  # noqa: E402  (after _harness put the repository on sys.path)
from engine import ShapeError  # noqa: E402


def brute_force_formula(length: int, target: int, hi: int, pad_hi: int) -> int:
    """Count (k, s, p, d) in 1..hi (p in 0..pad_hi) with floor((L + 2p - d(k-1) - 1)/s) + 1 == T and a kernel that fits."""
    count = 0
    for k in range(1, hi + 1):
        for d in range(1, hi + 1):
            x = d * (k - 1)
            for p in range(0, pad_hi + 1):
                e = length + 2 * p - x - 1
                if e < 0:
                    continue
                for s in range(1, hi + 1):
                    if e // s + 1 == target:
                        count += 1
    return count


def brute_force_engine(length: int, target: int, hi: int) -> int:
    """Count the settings (padding 0..hi or 'same') whose forward answer from engine.evaluate has length target."""
    count = 0
    shape = [1, 1, length]
    for k in range(1, hi + 1):
        for d in range(1, hi + 1):
            for s in range(1, hi + 1):
                for p in [*range(0, hi + 1), "same"]:
                    params = {
                        "in_channels": 1,
                        "out_channels": 1,
                        "kernel_size": k,
                        "stride": s,
                        "padding": p,
                        "dilation": d,
                    }
                    try:
                        out = engine.evaluate("pytorch", "Conv1d", params, shape)["output_shape"]
                    except ShapeError:
                        continue
                    if out[-1] == target:
                        count += 1
    return count


def _problems(seed: int, label: str, n: int) -> list[tuple[int, int]]:
    rng = rng_for(seed, f"solve:{label}")
    out = []
    for _ in range(n):
        length = rng.randint(16, 256)
        out.append((length, max(1, length // rng.choice([1, 2, 4, 8]) + rng.choice([-1, 0, 0, 1]))))
    return out


def bench_wide(seed: int, rounds: int, hi: int) -> Row:
    problems = _problems(seed, "wide", rounds)
    wide = {"kernel_size": [1, hi], "stride": [1, hi], "padding": [0, hi], "dilation": [1, hi]}

    def solve(length, target):
        return engine.solve("pytorch", "Conv1d", [1, 1, length], [target], params={"in_channels": 1}, bounds=wide)

    length, target = problems[0]
    assert solve(length, target)["total"] == brute_force_formula(length, target, hi, hi)  # untimed
    per_round = [[problem] for problem in problems]
    t = compare(
        {
            "solve": (solve, per_round),
            "brute": (lambda length, target: brute_force_formula(length, target, hi, hi), per_round),
        },
        rounds=rounds,
    )
    t["brute"].name = f"4 nested loops over the integer formula ({hi**3 * (hi + 1):,} settings)"
    return Row(
        f"engine.solve('pytorch', 'Conv1d'): kernel, stride, padding, dilation 1..{hi}, every solution counted, 100 ranked",
        t["solve"],
        t["brute"],
        target=1.0,
    )


def bench_small(seed: int, rounds: int, hi: int) -> Row:
    problems = _problems(seed, "small", rounds)
    small = {"kernel_size": [1, hi], "stride": [1, hi], "padding": [*range(0, hi + 1), "same"], "dilation": [1, hi]}

    def solve(length, target):
        return engine.solve("pytorch", "Conv1d", [1, 1, length], [target], params={"in_channels": 1}, bounds=small)

    length, target = problems[0]
    assert solve(length, target)["total"] == brute_force_engine(length, target, hi)  # untimed
    per_round = [[problem] for problem in problems]
    t = compare(
        {
            "solve": (solve, per_round),
            "brute": (lambda length, target: brute_force_engine(length, target, hi), per_round),
        },
        rounds=rounds,
    )
    t["brute"].name = f"engine.evaluate on every setting ({hi**3 * (hi + 2):,} settings)"
    return Row(
        f"engine.solve('pytorch', 'Conv1d'): 1..{hi}, each listed solution confirmed by the forward engine",
        t["solve"],
        t["brute"],
        target=100.0,
    )


def bench_2d_wide(seed: int, rounds: int, hi: int) -> Row:
    """For information: a 2D problem with different targets per axis at 1..hi (no baseline: the product
    of two axes' settings is 2.8e14 at 1..64)."""
    rng = rng_for(seed, "solve:2d")
    wide = {"kernel_size": [1, hi], "stride": [1, hi], "padding": [0, hi], "dilation": [1, hi]}
    per_round = []
    for _ in range(rounds):
        h, w = rng.randint(64, 256), rng.randint(64, 256)
        per_round.append([(h, w, h // 2, w // 4)])

    def solve(h, w, th, tw):
        return engine.solve("pytorch", "Conv2d", [1, 3, h, w], [th, tw], params={"in_channels": 3}, bounds=wide)

    t = compare({"solve": (solve, per_round)}, rounds=rounds)
    return Row(
        f"engine.solve('pytorch', 'Conv2d'), H and W to different targets, 1..{hi} each, for information", t["solve"]
    )


def run(seed: int, quick: bool = False) -> list[Row]:
    rounds = 3 if quick else 7  # the same bounds either way: the ratios depend on them
    return [bench_wide(seed, rounds, 64), bench_small(seed, rounds, 8), bench_2d_wide(seed, rounds, 64)]


if __name__ == "__main__":
    seed = seed_from_env()
    print(f"seed: SHAPEKB_BENCH_SEED={seed}")
    print(table(run(seed, quick="--quick" in sys.argv)))
