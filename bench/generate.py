"""Write N synthetic but valid content entries (kb/content format) for the web and sync benchmarks.

    python bench/generate.py 1000 /tmp/kb-1000            # 1,000 entries, seed printed
    python bench/generate.py 1000 /tmp/kb-1000 --seed 7   # the same 1,000 files again

Each entry passes `flask kb check`: its layers, formulas and examples go through the engine, and every
worked example's `expect` is what the engine computes for it. The text is drawn from a fixed
vocabulary (a few common words such as "shape" in almost every entry, layer names in the entries about
them, rarer words in few), so that searches behave as they do on real content: some words match almost
everything, others a handful of entries.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402

DEFAULT_SEED = 20261203

# (framework, layer, draw params, draw input shape): configurations the engine (and the framework) accept.
LAYERS = [
    (
        "keras",
        "Conv1D",
        lambda r: {
            "filters": r.choice([8, 16, 32, 64]),
            "kernel_size": r.randint(1, 5),
            "padding": r.choice(["valid", "same"]),
        },
        lambda r: [None, r.randint(8, 128), r.choice([1, 3, 16, 32])],
    ),
    (
        "keras",
        "Conv2D",
        lambda r: {"filters": r.choice([8, 16, 32, 64]), "kernel_size": r.randint(1, 5), "strides": r.randint(1, 2)},
        lambda r: [None, r.randint(16, 256), r.randint(16, 256), r.choice([1, 3])],
    ),
    ("keras", "Dense", lambda r: {"units": r.choice([1, 10, 64, 128, 512])}, lambda r: [None, r.randint(1, 1024)]),
    (
        "keras",
        "LSTM",
        lambda r: {"units": r.choice([4, 16, 32, 64]), "return_sequences": r.choice([True, False])},
        lambda r: [None, r.randint(2, 50), r.randint(1, 64)],
    ),
    (
        "keras",
        "Embedding",
        lambda r: {"input_dim": r.choice([1000, 5000, 20000]), "output_dim": r.choice([8, 32, 128])},
        lambda r: [None, r.randint(5, 200)],
    ),
    (
        "pytorch",
        "Conv2d",
        lambda r: {
            "in_channels": 3,
            "out_channels": r.choice([8, 16, 32, 64]),
            "kernel_size": r.randint(1, 5),
            "padding": r.randint(0, 2),
        },
        lambda r: [r.randint(1, 32), 3, r.randint(16, 256), r.randint(16, 256)],
    ),
    (
        "pytorch",
        "Linear",
        lambda r: {"in_features": 128, "out_features": r.choice([1, 10, 64, 256])},
        lambda r: [r.randint(1, 64), 128],
    ),
    (
        "pytorch",
        "LSTM",
        lambda r: {"input_size": 16, "hidden_size": r.choice([8, 32, 64]), "batch_first": True},
        lambda r: [r.randint(1, 16), r.randint(2, 40), 16],
    ),
    (
        "pytorch",
        "MaxPool2d",
        lambda r: {"kernel_size": r.choice([2, 3]), "stride": r.choice([1, 2])},
        lambda r: [1, r.choice([3, 16, 64]), r.randint(8, 128), r.randint(8, 128)],
    ),
]

COMMON = "shape output input layer tensor dimension size batch parameters weights".split()
MIDDLE = "kernel stride padding channels filters units sequence timesteps features embedding pooling hidden".split()
RARE = [
    f"{a}{b}" for a in ("zor", "quil", "brak", "fen", "mol", "tav", "rin", "vex") for b in ("ax", "ith", "um", "el")
]
FILLER = "the a of why does my give is and how to in what when with this that".split()


def _sentence(rng: random.Random, layer: str, words: int) -> str:
    out = []
    for _ in range(words):
        roll = rng.random()
        if roll < 0.45:
            out.append(rng.choice(FILLER))
        elif roll < 0.70:
            out.append(rng.choice(COMMON))
        elif roll < 0.88:
            out.append(rng.choice(MIDDLE))
        elif roll < 0.96:
            out.append(layer)
        else:
            out.append(rng.choice(RARE))
    return " ".join(out).capitalize() + "."


def _example(rng: random.Random, item, name: str, evaluator: bool) -> dict:
    framework, layer, draw_params, draw_shape = item
    for _ in range(50):
        params, shape = draw_params(rng), draw_shape(rng)
        try:
            result = engine.evaluate(framework, layer, params, shape)
        except engine.ShapeError:
            continue
        example = {
            "name": name,
            "framework": framework,
            "layer": layer,
            "params": params,
            "input_shape": shape,
            "expect": {"output_shape": result["output_shape"], "param_count": result["param_count"]},
        }
        if evaluator:
            example["evaluator"] = True
        return example
    raise RuntimeError(f"no valid configuration drawn for {framework}/{layer}")


def entry_text(rng: random.Random, n: int) -> tuple[str, str]:
    """(slug, file text) of the n-th synthetic entry."""
    chosen = rng.sample(LAYERS, rng.choice([1, 1, 2]))
    slug = f"bench-{n:06d}-{chosen[0][1].lower()}"
    main = chosen[0][1]
    examples = [
        _example(rng, item, f"example {k + 1}: {item[1]} on a random input", k == 0) for k, item in enumerate(chosen)
    ]
    meta = {
        "slug": slug,
        "title": f"Question {n}: {_sentence(rng, main, 8)[:-1]}?",
        "summary": _sentence(rng, main, 16),
        "source": "community Q&A",
        "tags": sorted({item[1].lower() for item in chosen} | {rng.choice(MIDDLE)}),
        "layers": [{"framework": item[0], "name": item[1]} for item in chosen],
        "formulas": [f"{item[0]}/{item[1]}" for item in chosen],
        "examples": examples,
    }
    question = "\n\n".join(_sentence(rng, main, rng.randint(20, 40)) for _ in range(2))
    answer = "\n\n".join(_sentence(rng, main, rng.randint(30, 60)) for _ in range(rng.randint(3, 6)))
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=200)
    code = f"```python\nlayer = {main}(...)\n```\n"
    return slug, f"---\n{front}---\n{question}\n\n{code}\n<!-- answer -->\n\n{answer}\n"


def generate(count: int, directory, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write `count` entries into `directory` (created if missing); returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        slug, text = entry_text(rng, n)
        path = directory / f"{slug}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    print(f"seed: {args.seed}")
    generate(args.count, args.directory, args.seed)
    print(f"{args.count} entries in {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
