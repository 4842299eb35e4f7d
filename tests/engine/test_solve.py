"""engine.solve against brute force: on small bounds every setting is run through engine.evaluate, and the
solver must return exactly the settings that give the target (count and list), nothing else."""

from __future__ import annotations

import importlib
import itertools

import pytest

import engine
from engine import ShapeError
from engine.solve import default_bounds, solve

# (framework, layer, rank, small bounds) for every family the solver covers.
SMALL = {
    "kernel": [1, 3],
    "stride": [1, 3],
    "dilation": [1, 2],
    "pad": [0, 2],
    "op": [0, 2],
}
FAMILIES = [
    ("pytorch", "Conv1d"),
    ("pytorch", "Conv2d"),
    ("pytorch", "Conv3d"),
    ("pytorch", "ConvTranspose1d"),
    ("pytorch", "ConvTranspose2d"),
    ("pytorch", "MaxPool1d"),
    ("pytorch", "MaxPool2d"),
    ("pytorch", "AvgPool1d"),
    ("pytorch", "AvgPool3d"),
    ("keras", "Conv1D"),
    ("keras", "Conv2D"),
    ("keras", "Conv1DTranspose"),
    ("keras", "Conv2DTranspose"),
    ("keras", "MaxPooling1D"),
    ("keras", "AveragePooling2D"),
    ("keras", "SeparableConv1D"),
    ("keras", "DepthwiseConv2D"),
]


def small_bounds(framework: str, layer: str, rank: int) -> dict:
    """Bounds small enough to brute-force in 2D and 3D."""
    out = {}
    for name, default in default_bounds(framework, layer).items():
        if name in ("kernel_size", "pool_size"):
            out[name] = SMALL["kernel"] if rank == 1 else [1, 2] if rank == 3 else [2, 3]
        elif name in ("stride", "strides"):
            out[name] = SMALL["stride"] if rank == 1 else [1, 2]
        elif name in ("dilation", "dilation_rate"):
            out[name] = SMALL["dilation"]
        elif name == "padding":
            ints = [v for v in default if type(v) is int]
            strings = [v for v in default if isinstance(v, str)]
            out[name] = ([0, 1, 2] if rank == 1 else [0, 1])[: len(ints)] + strings if ints else strings
        elif name == "output_padding":
            out[name] = ([None] if None in default else []) + ([0, 1, 2] if rank == 1 else [0, 1])
        else:
            out[name] = default
    return out


def _options(values: list, rank: int) -> list:
    """Every value of one parameter: shared values as they are, integers chosen per axis ([lo, hi]: a range)."""
    if len(values) == 2 and all(type(v) is int for v in values):
        values = list(range(values[0], values[1] + 1))
    ints = [v for v in values if type(v) is int]
    shared = [v for v in values if type(v) is not int]
    per_axis = []
    for combo in itertools.product(ints, repeat=rank):
        per_axis.append(combo[0] if len(set(combo)) == 1 else list(combo))
    return shared + per_axis


def brute_force(framework, layer, input_shape, target, fixed, bounds) -> list:
    spec = engine.get_layer(framework, layer)
    names = list(bounds)
    found = []
    for values in itertools.product(*(_options(bounds[n], spec.rank) for n in names)):
        params = dict(fixed)
        params.update(zip(names, values, strict=True))
        try:
            out = engine.evaluate(framework, layer, params, input_shape)["output_shape"]
        except ShapeError:
            continue
        spatial = _spatial(framework, out, spec.rank, fixed)
        if spatial == target:
            found.append(params)
    return found


def _spatial(framework: str, out: list, rank: int, fixed: dict) -> list:
    """The spatial sizes of an output: Keras channels last (its default) before the channels, else the last ones."""
    if framework == "keras" and fixed.get("data_format") != "channels_first":
        return out[1:-1]
    return out[len(out) - rank :]


def _key(params: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


def _draw_problem(rng, framework, layer):
    spec = engine.get_layer(framework, layer)
    rank = spec.rank
    bounds = small_bounds(framework, layer, rank)
    channels = rng.choice([1, 2])
    sizes = [rng.randint(1, 9 if rank < 3 else 6) for _ in range(rank)]
    fixed = {}
    if framework == "keras":
        shape = [None, *sizes, channels]
        if rng.random() < 0.2:  # channels first: the spatial axes move
            shape = [None, channels, *sizes]
            fixed["data_format"] = "channels_first"
    else:
        shape = [1, channels, *sizes] if rng.random() < 0.8 else [channels, *sizes]  # batched or not
    if "in_channels" in spec.by_name:
        fixed.update({"in_channels": channels, "out_channels": 2})
    elif "filters" in spec.by_name:
        fixed["filters"] = 2
    # Now and then one searched parameter is held fixed instead (a pooling stride may be held as None).
    if rng.random() < 0.35:
        name = rng.choice(sorted(bounds))
        values = _options(bounds.pop(name), rank)
        fixed[name] = rng.choice(values + ([None] if name in ("stride", "strides") and "pool" in layer.lower() else []))
    # A reachable target half the time (taken from a random setting), any size otherwise.
    target = [rng.randint(1, 12) for _ in range(rank)]
    for _ in range(50):
        params = dict(fixed)
        for name, values in bounds.items():
            params[name] = rng.choice(_options(values, rank))
        try:
            out = engine.evaluate(framework, layer, params, shape)["output_shape"]
        except ShapeError:
            continue
        spatial = _spatial(framework, out, rank, fixed)
        if rng.random() < 0.8 and min(spatial) >= 1:  # Keras can give an empty axis; targets are >= 1
            target = spatial
        break
    return shape, target, fixed, bounds


@pytest.mark.parametrize("framework,layer", FAMILIES)
def test_solver_finds_exactly_what_brute_force_finds(rng, framework, layer):
    """Random small problems: same total, same settings, and every listed one confirmed by evaluate."""
    rank = engine.get_layer(framework, layer).rank
    problems = 60 if rank == 1 else 16 if rank == 2 else 5
    reached = 0
    for _ in range(problems):
        shape, target, fixed, bounds = _draw_problem(rng, framework, layer)
        truth = brute_force(framework, layer, shape, target, fixed, bounds)
        answer = solve(framework, layer, shape, target, params=fixed, bounds=bounds, limit=1000)
        where = f"{layer} on {shape} -> {target}, bounds {bounds}"
        assert answer["exhaustive"], where
        assert answer["total"] == len(truth), where
        if len(truth) <= 1000:
            assert {_key(s["params"]) for s in answer["solutions"]} == {_key(p) for p in truth}, where
            # a shorter list is the start of the whole ranked list: the top-n machinery ranks exactly
            k = rng.randint(1, 12)
            short = solve(framework, layer, shape, target, params=fixed, bounds=bounds, limit=k)
            assert short["solutions"] == answer["solutions"][:k], where
        else:
            assert {_key(s["params"]) for s in answer["solutions"]} <= {_key(p) for p in truth}, where
        reached += bool(truth)
        if truth:
            assert answer["nearest"] == [], where
    assert reached >= 1


def test_ranking_puts_the_resizing_stride_and_small_kernels_first():
    answer = solve("pytorch", "Conv2d", [1, 1, 28, 28], [7, 7], limit=5)
    first = answer["solutions"][0]["params"]
    assert first["stride"] == 4 and first["kernel_size"] == 1 and first["dilation"] == 1
    costs = [s["params"]["kernel_size"] for s in answer["solutions"]]
    assert costs[0] == 1


def test_gan_generator_stride_two_doubles_16_to_32():
    """The seed's 'why 16x16': with the kernel of 4 held fixed, every way to 32 from 16 uses stride 2."""
    answer = solve("keras", "Conv2DTranspose", [None, 16, 16, 256], [32, 32], params={"filters": 256, "kernel_size": 4})
    assert answer["total"] > 0
    assert {s["params"]["strides"] for s in answer["solutions"]} == {2}
    assert any(s["params"]["padding"] == "same" and s["params"]["output_padding"] is None for s in answer["solutions"])
    assert answer["solutions"][0]["param_count"] == 1048832


def test_keras_46x62_to_368x489_is_unreachable_with_nearest_sizes():
    """The issue's example: kernel 8 and stride 8 fixed; 368x489 cannot be reached, 367x489 and 368x496 can."""
    answer = solve("keras", "Conv2DTranspose", [None, 46, 62, 8], [368, 489], params={"kernel_size": 8, "strides": 8})
    assert answer["total"] == 0 and answer["solutions"] == []
    sizes = [n["output_size"] for n in answer["nearest"]]
    assert sizes[:2] == [[367, 489], [368, 496]]
    first, second = answer["nearest"][:2]
    assert first["fix"]["pad"] == [1, 0] and second["fix"]["crop"] == [0, 7]
    for entry in answer["nearest"]:
        out = engine.evaluate("keras", "Conv2DTranspose", entry["example"]["params"], [None, 46, 62, 8])
        assert out["output_shape"][1:3] == entry["output_size"]


def test_per_axis_targets_get_per_axis_values():
    answer = solve("pytorch", "Conv2d", [1, 3, 32, 64], [16, 64], limit=3)
    params = answer["solutions"][0]["params"]
    assert isinstance(params["stride"], list) and params["stride"] == [2, 1]


def test_pytorch_same_padding_never_comes_with_a_stride():
    answer = solve("pytorch", "Conv1d", [1, 4, 20], [20], limit=1000)
    assert any(s["params"]["padding"] == "same" for s in answer["solutions"])
    assert all(s["params"]["stride"] == 1 for s in answer["solutions"] if s["params"]["padding"] == "same")


def test_output_padding_rules_differ_between_frameworks():
    """PyTorch: output_padding < max(stride, dilation); Keras: output_padding < strides (and no dilation with strides)."""
    torch_answer = solve(
        "pytorch",
        "ConvTranspose1d",
        [1, 1, 5],
        [8],
        bounds={
            "kernel_size": [3, 3],
            "stride": [1, 1],
            "dilation": [2, 2],
            "padding": [0, 3],
            "output_padding": [0, 3],
        },
    )
    assert {s["params"]["output_padding"] for s in torch_answer["solutions"]} == {1}
    keras_answer = solve(
        "keras",
        "Conv1DTranspose",
        [None, 5, 1],
        [8],
        bounds={"kernel_size": [3, 3], "strides": [1, 1], "dilation_rate": [2, 2], "output_padding": [0, 3]},
    )
    assert keras_answer["total"] == 0


def test_wide_bounds_answer_fast_and_exhaustive():
    """1..64 on every parameter of a 2D convolution: well under a second of this thread's CPU time (the
    benchmark measures wall time; CPU time keeps a loaded machine from failing the test)."""
    import time

    wide = {"kernel_size": [1, 64], "stride": [1, 64], "padding": [0, 64], "dilation": [1, 64]}
    start = time.thread_time()
    answer = solve("pytorch", "Conv2d", [1, 3, 224, 224], [112, 112], bounds=wide)
    assert time.thread_time() - start < 0.5
    assert answer["exhaustive"] and answer["total"] > 1000 and len(answer["solutions"]) == 100


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"output_size": [7]}, "output_size"),
        ({"output_size": [7, 0]}, "output_size[1]"),
        ({"bounds": {"stride": [0, 4]}}, "bounds.stride"),
        ({"bounds": {"groups": [1, 2]}}, "bounds.groups"),
        ({"bounds": {"padding": ["full"]}}, "bounds.padding"),
        ({"bounds": {"kernel_size": [1, 10**6]}}, "bounds.kernel_size"),
        ({"bounds": {"kernel_size": [1, 4096], "dilation": [1, 64]}}, "bounds.dilation"),
        ({"params": {"kernel_size": 3}, "bounds": {"kernel_size": [1, 3]}}, "bounds.kernel_size"),
        ({"input_shape": [1, 3, "H", 28]}, "input_shape[2]"),
        ({"layer": "Linear"}, "layer"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_requests_name_the_field(kwargs, field):
    request = {"framework": "pytorch", "layer": "Conv2d", "input_shape": [1, 3, 28, 28], "output_size": [7, 7]}
    request.update(kwargs)
    with pytest.raises(ShapeError) as info:
        solve(**request)
    assert info.value.field == field


def test_a_search_cut_short_says_so(monkeypatch):
    """When the work budget runs out, exhaustive is false and the total counts only what was covered."""
    solve_module = importlib.import_module("engine.solve")  # engine.solve is the function

    full = solve("pytorch", "MaxPool1d", [1, 1, 40], [10], bounds={"kernel_size": [1, 40], "stride": [1, 40]})
    assert full["exhaustive"]
    monkeypatch.setattr(solve_module, "WORK_BUDGET", 5)  # strides tried per axis
    cut = solve("pytorch", "MaxPool1d", [1, 1, 40], [10], bounds={"kernel_size": [1, 40], "stride": [1, 40]})
    assert not cut["exhaustive"] and 0 < cut["total"] < full["total"]
    monkeypatch.setattr(solve_module, "WORK_BUDGET", 10**9)
    monkeypatch.setattr(solve_module, "SOLVE_SECONDS", 0.0)  # the time bound: checked every 32 kernel/dilation pairs
    timed = solve("pytorch", "MaxPool1d", [1, 1, 40], [10], bounds={"kernel_size": [1, 40], "stride": [1, 40]})
    assert not timed["exhaustive"] and 0 < timed["total"] < full["total"]


def test_3d_targets_differ_per_axis():
    """Depth kept, height halved, width quartered: the simplest setting says so axis by axis."""
    answer = solve("pytorch", "Conv3d", [2, 4, 8, 32, 64], [8, 16, 16], params={"out_channels": 6}, limit=5)
    first = answer["solutions"][0]
    assert first["output_shape"] == [2, 6, 8, 16, 16]
    assert first["params"]["stride"] == [1, 2, 4]
    keras = solve("keras", "MaxPooling3D", [None, 8, 32, 64, 3], [8, 16, 16], limit=5)
    assert keras["solutions"][0]["params"]["strides"] == [1, 2, 4]
    assert keras["solutions"][0]["output_shape"] == [None, 8, 16, 16, 3]


def test_1d_causal_padding_is_a_keras_conv1d_mode():
    answer = solve("keras", "Conv1D", [None, 100, 8], [50], params={"filters": 4}, limit=1000)
    modes = {s["params"]["padding"] for s in answer["solutions"]}
    assert modes == {"valid", "same", "causal"}
    with pytest.raises(ShapeError) as info:  # Conv2D takes no 'causal'
        solve("keras", "Conv2D", [None, 100, 100, 8], [50, 50], bounds={"padding": ["causal"]})
    assert info.value.field == "bounds.padding"
