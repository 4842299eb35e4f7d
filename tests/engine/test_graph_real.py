"""Real model definitions (tests/engine/graph_models, sources in SOURCES.md) traced by engine.trace_code and run
in the real frameworks: output shapes, total parameters, Keras layer names, and torchinfo's mult-adds."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import engine

MODELS = Path(__file__).parent / "graph_models"

TORCH_CASES = {
    "torch_mnist": (2, 1, 28, 28),
    "torch_resnet18": (2, 3, 32, 32),
    "torch_lstm": (3, 28, 28),
    "torch_dcgan": (2, 100, 1, 1),
    "torch_seqdict": (2, 1, 28, 28),
    "torch_modulelist": (4, 10),
    "torch_attention_mix": (2, 7),
    "torch_leaf_module": (4, 6, 5),
    "torch_plain_list": (3, 4),
}
INTEGER_INPUTS = {"torch_attention_mix"}
KERAS_CASES = ["keras_func1", "keras_multi", "keras_nested", "keras_resblock", "keras_seq1", "keras_seq2"]


def _run_torch_code(code: str, torch):
    """Our own corpus file, run to get the truth: the model object it makes (or its last Module class's)."""
    ns = {"__name__": "corpus"}
    exec(compile(code, "<corpus>", "exec"), ns)  # noqa: S102 - our own test data, not user input
    modules = [v for v in ns.values() if isinstance(v, torch.nn.Module)]
    if modules:
        return modules[-1]
    classes = [v for v in ns.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    return [c for c in classes if c.__module__ == "corpus"][-1]()


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_torch_model_traced_as_pytorch_and_torchinfo_count(name, torch):
    import torchinfo

    code = (MODELS / f"{name}.txt").read_text()
    shape = TORCH_CASES[name]
    model = _run_torch_code(code, torch).eval()
    dtype = torch.long if name in INTEGER_INPUTS else torch.float32
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's oneDNN notice about LSTM projections
        out = model(torch.zeros(shape, dtype=dtype))
        stats = torchinfo.summary(model, input_size=shape, verbose=0, dtypes=[dtype])
    answer = engine.trace_code(code, input_shape=list(shape))
    outs = out if isinstance(out, (tuple, list)) else [out]
    assert [o["shape"] for o in answer["outputs"]] == [list(o.shape) for o in outs]
    assert answer["output_shape"] == list(outs[0].shape)
    assert answer["total_params"] == sum(p.numel() for p in model.parameters())
    assert answer["trainable_params"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert answer["total_macs"] == stats.total_mult_adds
    assert answer["param_bytes"] == 4 * answer["total_params"]
    # Every module torchinfo saw run is a node of ours with the same name and output shape.
    ours = {layer["name"]: layer["output_shape"] for layer in answer["layers"]}
    for info in stats.summary_list:
        if info.is_leaf_layer and info.var_name and info.executed and info.depth > 0:
            path = _torchinfo_path(info)
            if path in ours:
                assert ours[path] == list(info.output_size), path


def _torchinfo_path(info) -> str:
    parts = []
    while info is not None and info.depth > 0:
        parts.append(info.var_name)
        info = info.parent_info
    return ".".join(reversed(parts))


def _run_keras_code(code: str, keras):
    keras.backend.clear_session()
    ns = {"__name__": "corpus"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 3 warns about Keras 2 spellings (input_shape=) the corpus keeps
        exec(compile(code, "<corpus>", "exec"), ns)  # noqa: S102 - our own test data, not user input
    if isinstance(ns.get("model"), keras.Model):
        return ns["model"]
    return [v for v in ns.values() if isinstance(v, keras.Model)][-1]


@pytest.mark.parametrize("name", KERAS_CASES)
def test_keras_model_traced_as_keras_builds_it(name, keras):
    code = (MODELS / f"{name}.txt").read_text()
    model = _run_keras_code(code, keras)
    answer = engine.trace_code(code)
    assert [o["shape"] for o in answer["outputs"]] == [list(o.shape) for o in model.outputs]
    assert answer["total_params"] == model.count_params()
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert answer["trainable_params"] == trainable
    # Layer names as Keras gives them, and each layer's output shape (a layer called once).
    names = {layer["name"]: layer for layer in answer["layers"]}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        assert layer.name in names, (layer.name, sorted(names))
        if len(layer._inbound_nodes) == 1:
            assert names[layer.name]["output_shape"] == list(layer.output.shape), layer.name
