"""engine.trace_code of real model code (ResNet-18 for CIFAR, the PyTorch MNIST example) against torchinfo's
summary of the same model, already built (what a user runs for the same table). Run through bench/run.py
(or alone: python bench/bench_trace_code.py)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

try:
    from bench._harness import ROOT, Row, compare, rng_for, seed_from_env, table
except ImportError:  # run as a script: python bench/bench_trace_code.py
    from _harness import ROOT, Row, compare, rng_for, seed_from_env, table

import engine  # noqa: E402  (after _harness put the repository on sys.path)

MODELS = Path(ROOT) / "tests" / "engine" / "graph_models"
CASES = (("torch_resnet18", 3, 32), ("torch_mnist", 1, 28))


def _build(code: str, torch):
    """Our own test data, run to build the baseline's model (never user input)."""
    ns: dict = {"__name__": "bench"}
    exec(compile(code, "<bench>", "exec"), ns)  # noqa: S102 - our own corpus file
    modules = [v for v in ns.values() if isinstance(v, torch.nn.Module)]
    if modules:
        return modules[-1]
    return [v for v in ns.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)][-1]()


def bench_model(seed: int, name: str, channels: int, size: int, rounds: int, engine_calls: int, info_calls: int) -> Row:
    import torch
    import torchinfo

    torch.set_num_threads(1)
    rng = rng_for(seed, f"trace_code:{name}")
    code = (MODELS / f"{name}.txt").read_text()
    model = _build(code, torch).eval()

    def shapes(n):
        return [[rng.randint(1, 8), channels, size, size] for _ in range(n)]

    engine_rounds = [[(code, shape) for shape in shapes(engine_calls)] for _ in range(rounds)]
    info_rounds = [[(shape,) for shape in shapes(info_calls)] for _ in range(rounds)]

    def ours(source, shape):
        return engine.trace_code(source, input_shape=shape)

    def theirs(shape):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torchinfo.summary(model, input_size=tuple(shape), verbose=0)

    for (shape,) in info_rounds[0][:1]:  # same answers (untimed)
        answer, stats = ours(code, shape), theirs(shape)
        assert answer["total_macs"] == stats.total_mult_adds, name
        assert answer["total_params"] == sum(p.numel() for p in model.parameters()), name
    t = compare({"trace_code": (ours, engine_rounds), "torchinfo": (theirs, info_rounds)}, rounds=rounds)
    t["torchinfo"].name = "torchinfo.summary of the built model (CPU forward)"
    return Row(f"engine.trace_code({name} source)", t["trace_code"], t["torchinfo"], target=None)


def run(seed: int, quick: bool = False) -> list[Row]:
    rounds = 3 if quick else 7
    return [bench_model(seed, name, c, s, rounds, 3 if quick else 10, 1 if quick else 2) for name, c, s in CASES]


if __name__ == "__main__":
    seed = seed_from_env()
    print(f"seed: SHAPEKB_BENCH_SEED={seed}")
    print(table(run(seed, quick="--quick" in sys.argv)))
