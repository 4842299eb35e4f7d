"""engine.solve against the real frameworks: every solution of random problems is built in PyTorch / Keras
(torch backend) and run on zeros; its output shape and parameter count must be the solver's.

Problems are drawn from real settings (so most are reachable) in 1D, 2D and 3D, with per-axis targets.
"""

from __future__ import annotations

import pytest

import engine
from engine import ShapeError
from engine.solve import default_bounds
from tests.engine import conformance

pytestmark = pytest.mark.conformance

TORCH_LAYERS = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
]
KERAS_LAYERS = [
    "Conv1D",
    "Conv2D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "MaxPooling1D",
    "AveragePooling2D",
    "DepthwiseConv1D",
    "SeparableConv2D",
]
SOLUTIONS_PER_PROBLEM = 4


def _random_setting(rng, bounds: dict, rank: int) -> dict:
    params = {}
    for name, values in bounds.items():
        if len(values) == 2 and all(type(v) is int for v in values):
            values = list(range(values[0], values[1] + 1))
        ints = [v for v in values if type(v) is int]
        shared = [v for v in values if type(v) is not int]
        if ints and (not shared or rng.random() < 0.7):
            picks = [rng.choice(ints[:4]) for _ in range(rank)]
            params[name] = picks[0] if rng.random() < 0.6 else picks
        else:
            params[name] = rng.choice(shared)
    return params


def _problem(rng, framework: str, layer: str):
    """(input shape, target, fixed params): the target of a random setting the engine accepts, or any size."""
    spec = engine.get_layer(framework, layer)
    rank = spec.rank
    channels = rng.choice([1, 3, 4])
    sizes = [rng.randint(3, 20 if rank < 3 else 9) for _ in range(rank)]
    shape = [None, *sizes, channels] if framework == "keras" else [rng.choice([1, 2]), channels, *sizes]
    fixed = {}
    if "in_channels" in spec.by_name:
        fixed = {"in_channels": channels, "out_channels": rng.choice([2, 4])}
    elif "filters" in spec.by_name:
        fixed = {"filters": rng.choice([2, 4])}
    bounds = default_bounds(framework, layer)
    for _ in range(30):
        params = {**fixed, **_random_setting(rng, bounds, rank)}
        try:
            out = engine.evaluate(framework, layer, params, shape)["output_shape"]
        except ShapeError:
            continue
        target = out[1:-1] if framework == "keras" else out[len(out) - rank :]
        if min(target) >= 1:
            return shape, target, fixed
    return shape, [rng.randint(1, 24) for _ in range(rank)], fixed


def _check(run, framework, layer, shape, answer, tally_lines):
    checked = 0
    for solution in answer["solutions"][:SOLUTIONS_PER_PROBLEM]:
        params = solution["params"]
        real = run(layer, params, tuple(shape))
        where = f"{layer}({params}) on {shape}"
        assert real[0] == "ok", f"{where}: the framework rejects a solution: {real[1]}"
        assert list(real[1]) == solution["output_shape"], (
            f"{where}: framework {real[1]}, solver {solution['output_shape']}"
        )
        assert real[2] == solution["param_count"], (
            f"{where}: framework counts {real[2]}, solver {solution['param_count']}"
        )
        checked += 1
    tally_lines.append(checked)
    return checked


def test_pytorch_solutions_run_in_pytorch(rng, torch):
    def run(layer, params, shape):
        return conformance.run_torch(torch, layer, params, shape)

    counts: list = []
    for n in range(200):
        layer = TORCH_LAYERS[n % len(TORCH_LAYERS)]
        shape, target, fixed = _problem(rng, "pytorch", layer)
        answer = engine.solve("pytorch", layer, shape, target, params=fixed, limit=SOLUTIONS_PER_PROBLEM * 3)
        # a spread of the list, not only the simplest: the first, and some further down
        picks = answer["solutions"][:2] + answer["solutions"][2::3]
        _check(run, "pytorch", layer, shape, {**answer, "solutions": picks}, counts)
    print(f"pytorch: {len(counts)} problems, {sum(counts)} solutions run")
    assert sum(counts) >= 300


def test_keras_solutions_run_in_keras(rng, keras):
    def run(layer, params, shape):
        return conformance.run_keras(keras, layer, params, shape, symbolic=False)

    counts: list = []
    for n in range(90):
        layer = KERAS_LAYERS[n % len(KERAS_LAYERS)]
        shape, target, fixed = _problem(rng, "keras", layer)
        answer = engine.solve("keras", layer, shape, target, params=fixed, limit=8)
        picks = answer["solutions"][:1] + answer["solutions"][1::4]
        _check(run, "keras", layer, shape, {**answer, "solutions": picks}, counts)
    print(f"keras: {len(counts)} problems, {sum(counts)} solutions run")
    assert sum(counts) >= 100


def test_unreachable_targets_are_unreachable_in_the_framework(torch):
    """No setting in the bounds reaches it: spot-check the nearest sizes' examples in PyTorch."""
    answer = engine.solve(
        "pytorch",
        "ConvTranspose2d",
        [1, 2, 5, 7],
        [12, 31],
        params={"in_channels": 2, "out_channels": 2, "kernel_size": 2, "stride": 2},
        bounds={"padding": [0, 0], "output_padding": [0, 1], "dilation": [1, 1]},
    )
    assert answer["total"] == 0
    for entry in answer["nearest"]:
        real = conformance.run_torch(torch, "ConvTranspose2d", entry["example"]["params"], (1, 2, 5, 7))
        assert list(real[1][2:]) == entry["output_size"]
