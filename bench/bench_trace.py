"""engine.trace of a 100-layer stack against the forward of the same nn.Sequential on the meta device.
Run through bench/run.py (or alone: python bench/bench_trace.py)."""

from __future__ import annotations

import inspect
import sys
import warnings

try:
    from bench._harness import Row, compare, rng_for, seed_from_env, table
except ImportError:  # run as a script: python bench/bench_trace.py
    from _harness import Row, compare, rng_for, seed_from_env, table

import engine  # noqa: E402  (after _harness put the repository on sys.path)


def vgg_stack() -> list[tuple[str, dict]]:
    """A VGG-style CNN of exactly 100 layers: 31 blocks of Conv2d 3x3 + BatchNorm2d + ReLU(inplace) in
    five stages of 64..512 channels, a MaxPool2d(2) after each of the first four, then
    AdaptiveAvgPool2d(1), Flatten and Linear(512, 1000). Each entry: (layer, constructor kwargs)."""
    layers, channels = [], 3
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 8), (512, 8), (512, 8))):
        for _ in range(blocks):
            layers.append(("Conv2d", {"in_channels": channels, "out_channels": width, "kernel_size": 3, "padding": 1}))
            layers.append(("BatchNorm2d", {"num_features": width}))
            layers.append(("ReLU", {"inplace": True}))
            channels = width
        if stage < 4:
            layers.append(("MaxPool2d", {"kernel_size": 2}))
    layers += [
        ("AdaptiveAvgPool2d", {"output_size": 1}),
        ("Flatten", {}),
        ("Linear", {"in_features": 512, "out_features": 1000}),
    ]
    assert len(layers) == 100
    return layers


def conv_stack() -> list[tuple[str, dict]]:
    """100 Conv2d layers and nothing else: the meta device's fastest layer, so the strictest case.
    Widths cycle through 16..64; 3x3 (padding 1) mostly, 1x1 every 5th, 5x5 (padding 2) every 7th,
    stride 2 at layers 20, 50 and 80."""
    layers, channels = [], 3
    for n in range(100):
        width = (16, 32, 64, 32)[n % 4]
        kernel, padding = (1, 0) if n % 5 == 4 else (5, 2) if n % 7 == 6 else (3, 1)
        params = {"in_channels": channels, "out_channels": width, "kernel_size": kernel, "padding": padding}
        if n in (20, 50, 80):
            params["stride"] = 2
        layers.append(("Conv2d", params))
        channels = width
    return layers


def _meta_module(torch, name: str, kwargs: dict):
    cls = getattr(torch.nn, name)
    if "device" in inspect.signature(cls).parameters:
        return cls(**kwargs, device="meta")
    return cls(**kwargs).to("meta")


def bench_stack(seed: int, label: str, stack: list, rounds: int, engine_calls: int, meta_calls: int) -> Row:
    import torch

    torch.set_num_threads(1)
    rng = rng_for(seed, f"trace:{label}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torch.nn.Sequential(*(_meta_module(torch, name, kwargs) for name, kwargs in stack)).eval()
    # The engine's request: a fresh {layer, params} dict per layer, as JSON would give it.
    layers = [{"layer": name, "params": dict(kwargs)} if kwargs else {"layer": name} for name, kwargs in stack]
    in_channels = stack[0][1]["in_channels"]

    def shapes(n):
        return [[rng.randint(1, 64), in_channels, rng.randint(32, 512), rng.randint(32, 512)] for _ in range(n)]

    engine_rounds = [[("pytorch", shape, layers) for shape in shapes(engine_calls)] for _ in range(rounds)]
    meta_rounds = [[(torch.empty(shape, device="meta"),) for shape in shapes(meta_calls)] for _ in range(rounds)]

    def meta_forward(x):
        return model(x).shape

    with torch.no_grad():
        for (x,) in meta_rounds[0]:  # same answers (untimed)
            answer = engine.trace("pytorch", list(x.shape), layers)
            assert tuple(answer["output_shape"]) == tuple(model(x).shape), (label, x.shape)
            assert answer["total_params"] == sum(p.numel() for p in model.parameters()), label
        t = compare({"engine.trace": (engine.trace, engine_rounds), "meta": (meta_forward, meta_rounds)}, rounds=rounds)
    t["meta"].name = "forward of the same nn.Sequential on the meta device (eval, no_grad)"
    return Row(f"engine.trace('pytorch', 100 layers: {label})", t["engine.trace"], t["meta"], target=50.0)


def run(seed: int, quick: bool = False) -> list[Row]:
    rounds = 5 if quick else 15
    return [
        bench_stack(
            seed,
            "VGG-style Conv2d/BatchNorm2d/ReLU/MaxPool2d/head",
            vgg_stack(),
            rounds,
            10 if quick else 30,
            1 if quick else 2,
        ),
        bench_stack(seed, "Conv2d only", conv_stack(), rounds, 10 if quick else 30, 3 if quick else 10),
    ]


if __name__ == "__main__":
    seed = seed_from_env()
    print(f"seed: SHAPEKB_BENCH_SEED={seed}")
    print(table(run(seed, quick="--quick" in sys.argv)))
