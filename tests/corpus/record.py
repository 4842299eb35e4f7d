"""Run every corpus model in its real framework and write the truth: `python -m tests.corpus.record`.

The corpus files are our own test data (public model code kept with its source), so running them
here is allowed; the engine itself never runs pasted code. PyTorch items run on CPU zeros in eval
mode (torchinfo counts the mult-adds); Keras items run on Keras 3 with KERAS_BACKEND=torch. Code
written for `tensorflow.keras` or for Keras 2 module paths is mapped to Keras 3 by rewriting its
imports (see `keras_truth_code`); an item's `truth_rewrite` maps Keras 1 spellings the same way, and
tutorial code's `import tensorflow as tf` gets a stand-in whose `tf.keras` is Keras 3.
An item whose code fails in the framework at its stated input is recorded as a framework error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import types
import warnings
from pathlib import Path

import yaml

os.environ.setdefault("KERAS_BACKEND", "torch")

CORPUS_DIR = Path(__file__).resolve().parent
MANIFEST = CORPUS_DIR / "manifest.yaml"
TRUTH = CORPUS_DIR / "truth.json"
ERROR_CHARS = 300  # a framework error is kept to its first line, this long at most

# Keras 2 module paths and tf.keras spellings that Keras 3 names differently (truth runs only).
KERAS_IMPORT_REWRITES = (
    (re.compile(r"^(\s*)import tensorflow as tf\s*$", re.M), r"\1tf = _tensorflow_stand_in"),
    (re.compile(r"^(\s*)from tensorflow import keras\b", re.M), r"\1import keras"),
    (re.compile(r"\btensorflow\.keras\b"), "keras"),
    (re.compile(r"^(\s*)from keras\.layers\.[\w.]+ import", re.M), r"\1from keras.layers import"),
    (re.compile(r"^(\s*)from keras\.engine[\w.]* import", re.M), r"\1from keras.models import"),
)


def load_manifest() -> list[dict]:
    """The corpus entries, in manifest order."""
    return yaml.safe_load(MANIFEST.read_text())


def item_code(entry: dict) -> str:
    """The model code exactly as kept (what a user would paste)."""
    return (CORPUS_DIR / entry["file"]).read_text()


def keras_truth_code(entry: dict) -> str:
    """The item's code with imports (and any `truth_rewrite` spellings) mapped to Keras 3."""
    code = item_code(entry)
    for pattern, replacement in KERAS_IMPORT_REWRITES:
        code = pattern.sub(replacement, code)
    for pattern, replacement in entry.get("truth_rewrite") or ():
        code = re.sub(pattern, replacement, code)
    return code


def _tensorflow_stand_in():
    """`tf` for tutorial code that uses only tf.keras, initializers, tf.nn.relu and tf.Tensor hints (no TensorFlow here)."""
    import keras

    return types.SimpleNamespace(
        keras=keras,
        initializers=keras.initializers,
        random_normal_initializer=keras.initializers.RandomNormal,
        nn=types.SimpleNamespace(relu=keras.activations.relu),
        Tensor=object,  # only ever a type hint
    )


def _namespace(entry: dict, code: str) -> dict:
    """Run the item's prelude (stand-ins for data it reads) and its code as a module; returns its names."""
    module = types.ModuleType(f"corpus_{entry['id']}")
    names = module.__dict__
    if entry["framework"] == "keras":
        names["_tensorflow_stand_in"] = _tensorflow_stand_in()
    sys.modules[module.__name__] = module  # dataclasses and pickling look the module up by name
    try:
        exec(entry.get("prelude") or "", names)  # noqa: S102 - our own corpus, never user input
        exec(compile(code, entry["file"], "exec"), names)  # noqa: S102
    finally:
        del sys.modules[module.__name__]
    return names


def _shapes(value) -> list:
    """Every tensor's shape in a (nested) output, in order."""
    if hasattr(value, "shape") and not isinstance(value, (list, tuple, dict)):
        return [list(value.shape)]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [shape for part in value for shape in _shapes(part)]
    return []


def record_pytorch(entry: dict) -> dict:
    """Output shapes, parameters, torchinfo mult-adds and per-module shapes of a PyTorch item."""
    import torch
    import torchinfo

    names = _namespace(entry, item_code(entry))
    model = eval(entry["build"], names)  # noqa: S307 - our own manifest, never user input
    model.eval()
    dtypes = entry.get("input_dtypes") or ["float32"] * len(entry["input_shapes"])
    inputs = [
        torch.zeros(shape, dtype=getattr(torch, dtype))
        for shape, dtype in zip(entry["input_shapes"], dtypes, strict=True)
    ]
    layers: dict = {}

    def hook(name):
        def keep(_module, _args, output):
            shapes = _shapes(output)
            if shapes:
                layers[name] = shapes[0]

        return keep

    handles = [module.register_forward_hook(hook(name)) for name, module in model.named_modules() if name]
    try:
        with torch.no_grad():
            outputs = _shapes(model(*inputs))
    finally:
        for handle in handles:
            handle.remove()
    stats = torchinfo.summary(model, input_data=inputs, verbose=0, device="cpu", mode="eval")
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {
        "outputs": outputs,
        "total_params": total,
        "trainable_params": trainable,
        "non_trainable_params": total - trainable,
        "macs": int(stats.total_mult_adds),
        "layers": layers,
    }


def record_keras(entry: dict) -> dict:
    """Output shapes, parameters and per-layer shapes (Keras names) of a Keras item."""
    import keras
    import numpy as np

    keras.utils.clear_session()  # layer names restart (dense, dense_1, ...) for every item
    names = _namespace(entry, keras_truth_code(entry))
    model = eval(entry["build"], names)  # noqa: S307 - our own manifest, never user input
    given = entry.get("input_shapes")
    if isinstance(model, keras.Sequential) and not model.built:
        model.build(tuple(given[0]))
    if isinstance(model, keras.Sequential) or hasattr(model, "outputs"):  # Sequential or functional
        outputs = [list(t.shape) for t in model.outputs]
    else:  # a subclassed Model: call it once on zeros; the batch axis is reported as None
        data = [np.zeros([1 if d is None else d for d in shape], dtype="float32") for shape in given]
        result = model(data[0] if len(data) == 1 else data)
        outputs = [[None, *shape[1:]] for shape in _shapes(result)]
    layers = {}
    for layer in getattr(model, "layers", []):
        try:
            shapes = _shapes(layer.output)
        except (AttributeError, ValueError):
            continue
        if shapes:
            layers[layer.name] = [list(s) for s in shapes] if len(shapes) > 1 else list(shapes[0])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {
        "outputs": outputs,
        "output_names": [_producer(t) for t in getattr(model, "outputs", None) or []] or None,
        "total_params": int(model.count_params()),
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "layers": layers,
    }


def _producer(tensor) -> str | None:
    """The name of the Keras layer that produced a symbolic tensor (the output's name in summary())."""
    history = getattr(tensor, "_keras_history", None)
    return getattr(getattr(history, "operation", None), "name", None)


def record_item(entry: dict) -> dict:
    """The truth of one item: its measurements, or the framework's error at the stated input."""
    run = record_pytorch if entry["framework"] == "pytorch" else record_keras
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 2 spellings warn under Keras 3; the truth is unchanged
        try:
            truth = run(entry)
        except Exception as err:  # noqa: BLE001 - any failure of the framework itself is the truth
            first_line = (str(err).strip().splitlines() or [""])[0]
            return {"status": "framework_error", "error": f"{type(err).__name__}: {first_line}"[:ERROR_CHARS]}
    return {"status": "ok", **truth}


def record_all(only: list[str] | None = None) -> dict:
    """Truth for every manifest item (or the named ones), keyed by item id."""
    import torch

    torch.set_num_threads(1)
    truth = {}
    for entry in load_manifest():
        if only and entry["id"] not in only:
            continue
        truth[entry["id"]] = {"framework": entry["framework"], **record_item(entry)}
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="record only these items (the rest of truth.json is kept)")
    args = parser.parse_args(argv)
    truth = json.loads(TRUTH.read_text()) if args.ids and TRUTH.exists() else {}
    fresh = record_all(args.ids or None)
    truth.update(fresh)
    order = [e["id"] for e in load_manifest()]
    truth = {key: truth[key] for key in order if key in truth}
    TRUTH.write_text(json.dumps(truth, indent=1) + "\n")
    for key, value in fresh.items():
        shown = value.get("outputs") if value["status"] == "ok" else value["error"]
        print(f"{key:40} {value['status']:16} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
