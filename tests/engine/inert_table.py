"""Which shape-neutral keywords each layer's real constructor accepts, asked of the frameworks themselves.

The engine ignores keywords that never change a shape (initializers, `inplace`, `eps`, ...), but only
those the layer's own constructor takes: `nn.Tanh(inplace=True)` and `MaxPooling2D(kernel_initializer=...)`
are errors in the frameworks, so they are errors in the engine too. The table lives in
engine/inert_keywords.py as plain data; after adding layers, regenerate it:

    KERAS_BACKEND=torch python -m tests.engine.inert_table

tests/engine/test_inert_keywords.py derives it again and fails when the file and the frameworks disagree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import engine  # noqa: E402
from engine.spec import KERAS_INERT, KERAS_LEGACY_INERT, TORCH_INERT  # noqa: E402
from kb.layer_pages import sample_request  # noqa: E402

TABLE_FILE = Path(__file__).resolve().parents[2] / "engine" / "inert_keywords.py"

# A value each framework takes for the keyword (the question is whether the keyword is known).
PROBE_VALUES = {
    "keras": {
        "name": "probe",
        "dtype": "float32",
        "trainable": True,
        "input_shape": (4,),
        "input_dim": 4,
        "lora_rank": None,
        "lora_alpha": None,
        "seed": 1,
        "noise_shape": None,
        "unit_forget_bias": True,
        "recurrent_dropout": 0.0,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "implementation": 1,
        "kernel_quantization_config": None,
        "quantization_config": None,
        "momentum": 0.9,
        "epsilon": 0.001,
        "renorm": False,
        "renorm_clipping": None,
        "renorm_momentum": 0.9,
        "synchronized": False,
        "mask_zero": False,
        "sparse": False,
        "rms_scaling": False,
        "recurrent_activation": "sigmoid",
        "interpolation_order": 1,
    },
    "pytorch": {
        "device": "cpu",
        "dtype": None,
        "inplace": False,
        "padding_mode": "zeros",
        "eps": 1e-5,
        "momentum": 0.1,
        "max_norm": None,
        "norm_type": 2.0,
        "scale_grad_by_freq": False,
        "sparse": False,
        "_weight": None,
        "_freeze": False,
        "nonlinearity": "tanh",
        "negative_slope": 0.01,
        "approximate": "none",
        "min_val": -1.0,
        "max_val": 1.0,
        "alpha": 1.0,
        "beta": 1.0,
        "threshold": 20.0,
    },
}
for _suffix in ("initializer", "regularizer", "constraint"):
    for _prefix in (
        "kernel",
        "bias",
        "embeddings",
        "recurrent",
        "depthwise",
        "pointwise",
        "beta",
        "gamma",
        "moving_mean",
        "moving_variance",
        "activity",
    ):
        PROBE_VALUES["keras"].setdefault(f"{_prefix}_{_suffix}", None)


def vocabulary(framework: str) -> list[str]:
    """The shape-neutral keywords to ask about (Keras 1 spellings are accepted everywhere, not asked)."""
    names = (KERAS_INERT - KERAS_LEGACY_INERT) if framework == "keras" else TORCH_INERT
    return sorted(names)


def _build(framework: str, spec, params: dict):
    import keras
    import torch

    if framework == "pytorch":
        return getattr(torch.nn, spec.name)(**params)
    built = dict(params)
    for key in ("layer", "backward_layer"):  # wrappers take layer objects
        nested = built.get(key)
        if isinstance(nested, dict):
            built[key] = getattr(keras.layers, nested["layer"])(**nested.get("params", {}))
    return getattr(keras.layers, spec.name)(**built)


_REFUSALS = ("unexpected keyword argument", "Unrecognized keyword argument", "Invalid keyword argument")


def accepts(framework: str, spec, params: dict, keyword: str) -> bool:
    """Whether the real constructor takes `keyword` (a refusal names it; any other outcome means it is known)."""
    value = PROBE_VALUES[framework][keyword]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _build(framework, spec, {**params, keyword: value})
        except (TypeError, ValueError) as err:
            return not any(phrase in str(err) for phrase in _REFUSALS)
    return True


def buildable_params(spec) -> dict:
    """The reference page's sample parameters; with the engine's defaults added where the framework has none."""
    _, params = sample_request(spec)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _build(spec.framework, spec, params)
        return params
    except TypeError:
        resolved = spec.resolve(params)
        defaults = {k: v for k, v in resolved.items() if isinstance(v, (int, float, str, tuple)) and k not in params}
        params = {**defaults, **params}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _build(spec.framework, spec, params)  # fails loudly when even that does not build
        return params


def derive() -> dict[str, dict[str, tuple[str, ...]]]:
    """{framework: {layer: keywords its constructor takes and the engine ignores}} for every declared layer."""
    table: dict[str, dict[str, tuple[str, ...]]] = {"keras": {}, "pytorch": {}}
    for spec in engine.layers():
        params = buildable_params(spec)
        table[spec.framework][spec.name] = tuple(
            name
            for name in vocabulary(spec.framework)
            if name not in spec.by_name and accepts(spec.framework, spec, params, name)
        )
    return table


def render(table: dict) -> str:
    """The table as Python: each distinct keyword set written once (most layers share a few), then the layers."""
    sets: dict[tuple, str] = {}
    for framework in sorted(table):
        for keywords in sorted(set(table[framework].values()), key=lambda k: (len(k), k)):
            sets.setdefault(
                keywords,
                f"_{framework.upper()}_{len([k for k in sets if sets[k].startswith(f'_{framework.upper()}')])}",
            )
    lines = [
        '"""Shape-neutral keywords each layer\'s constructor takes, asked of torch 2.13 and Keras 3.15.',
        "",
        "Generated by `python -m tests.engine.inert_table`; do not edit by hand. The engine accepts and",
        "ignores exactly these (plus Keras 1 spellings, on Keras layers); any other unknown keyword is an error.",
        '"""',
        "",
    ]
    lines += [f"{name} = {keywords!r}" for keywords, name in sets.items()]
    lines += ["", "INERT_KEYWORDS = {"]
    for framework in sorted(table):
        lines.append(f"    {framework!r}: {{")
        lines += [f"        {layer!r}: {sets[table[framework][layer]]}," for layer in sorted(table[framework])]
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    TABLE_FILE.write_text(render(derive()))
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", str(TABLE_FILE)], check=True)
    print(f"wrote {TABLE_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
