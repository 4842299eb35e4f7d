"""Multiply-accumulates per layer call, counted as torchinfo 1.8 counts "mult-adds".

torchinfo sums, over each called leaf module's parameters: for a parameter named weight or bias, its size
times the output's batch (and, for a Conv* module, times the output's spatial size: out[0] * prod(out[2:]));
for any other weight/bias parameter (weight_ih_l0, in_proj_weight), its size times out[0] * out[1]. The batch
is included. A module with children (MultiheadAttention holds out_proj) is not a leaf: torchinfo adds no
mult-adds for it. Parameter-free layers (pooling, activations, reshapes) count 0.

Keras layers use the same definitions with the batch taken as 1 (MACs per sample; Keras' batch is None):
kernel/bias (gamma/beta) count like weight/bias, a convolution's kernels times its output's spatial size, a
recurrent layer's kernels times the time steps it reads, and moving statistics (buffers in PyTorch) count 0.
"""

from __future__ import annotations

from engine.spec import product

_PLAIN = frozenset({"weight", "bias"})
_KERAS_PLAIN = frozenset({"kernel", "bias", "gamma", "beta", "embeddings", "alpha"})
_KERAS_CONV = frozenset({"kernel", "bias", "depthwise_kernel", "pointwise_kernel"})
_NOT_LEAF = frozenset({("pytorch", "MultiheadAttention"), ("keras", "MultiHeadAttention")})
_KERAS_RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "Bidirectional"})


def _int(v):
    return v if type(v) is int else None


def layer_macs(spec, outcome, input_shape: tuple, output_shape: tuple) -> int | None:
    """Mult-adds of one call of a layer (torchinfo's count); None when a needed size is unknown."""
    if (spec.framework, spec.name) in _NOT_LEAF or not outcome.weights:
        return 0
    frozen = set(outcome.non_trainable)
    if spec.framework == "pytorch":
        return _torch_macs(spec, outcome.weights, output_shape)
    return _keras_macs(spec, {k: v for k, v in outcome.weights.items() if k not in frozen}, input_shape, output_shape)


def _torch_macs(spec, weights: dict, out: tuple):
    total = 0
    conv = "Conv" in spec.name
    for name, shape in weights.items():
        size = product(shape)
        if name in _PLAIN:
            factor = product(out[:1] + out[2:]) if conv else out[0]
        elif "weight" in name or "bias" in name:
            factor = product(out[:2])
        else:
            continue
        if _int(size) is None or _int(factor) is None:
            return None
        total += size * factor
    return total


def _keras_macs(spec, weights: dict, inp: tuple, out: tuple):
    size = sum(product(s) for s in weights.values())
    if _int(size) is None:
        return None
    if spec.category == "convolution":
        factor = product(out[1:-1]) if len(out) > 2 else 1  # channels last: the spatial axes
    elif spec.name in _KERAS_RECURRENT and len(inp) == 3:
        factor = inp[1]  # the time steps
    else:
        factor = 1
    factor = _int(factor)
    return None if factor is None else size * factor
