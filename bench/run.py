"""Run every benchmark in one process and print a markdown table (ns/call, ratios, targets).

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # fewer rounds and calls, for a smoke check
    SHAPEKB_BENCH_SEED=123 python bench/run.py   # other inputs (the seed is printed)

Benchmarks, not tests: nothing here fails on a missed target; the table says which are met.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_evaluate, bench_explain, bench_solve, bench_trace, bench_trace_code  # noqa: E402
from bench._harness import seed_from_env, table  # noqa: E402


def _load() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux
        return "load average unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument(
        "--seed", type=int, default=None, help="input seed (default: SHAPEKB_BENCH_SEED or a fixed one)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else seed_from_env()

    import keras
    import sympy
    import torch

    print(f"seed: SHAPEKB_BENCH_SEED={seed}")
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, keras {keras.__version__} "
        f"(backend {keras.backend.backend()}), sympy {sympy.__version__}, {os.cpu_count()} CPUs"
    )
    print(f"start: {_load()}")
    start = time.perf_counter()
    rows = (
        bench_evaluate.run(seed, quick=args.quick)
        + bench_trace.run(seed, quick=args.quick)
        + bench_solve.run(seed, quick=args.quick)
        + bench_trace_code.run(seed, quick=args.quick)
        + bench_explain.run(seed, quick=args.quick)
    )
    print(f"end: {_load()}; {time.perf_counter() - start:.0f} s")
    print()
    print(table(rows))
    targets = [row for row in rows if row.target is not None]
    met = sum(row.met == "yes" for row in targets)
    print()
    print(f"targets met: {met} of {len(targets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
