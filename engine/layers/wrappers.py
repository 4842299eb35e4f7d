"""Keras TimeDistributed: one layer applied, with the same weights, to every time step of the input.

Keras 3 does not fold batch and time together (tf.keras 2 reshaped to (N·T, ...)): TimeDistributed moves time to
the front, calls the wrapped layer's call() on each slice (N, *rest) (a Python loop when T is known,
vectorized_map otherwise) and stacks the results back to (N, T, *inner_output[1:]). The symbolic shape comes from
the inner layer's compute_output_shape on (N, *rest); the batch N (None stays None) is what the inner layer sees.
"""

from __future__ import annotations

import re

from engine.errors import ShapeError
from engine.layers._common import shape_text
from engine.layers._nested import NestedLayer, nested_layer, run_nested
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, ranks_text

# Layers whose build() needs more than one input shape: TimeDistributed builds with one (the time slice's).
_MULTI_INPUT_BUILD = {
    "MultiHeadAttention": "MultiHeadAttention.build() missing 1 required positional argument: 'value_shape'",
}
_INPUT_FIELD = re.compile(r"input_shape\[(\d+)\](.*)")


def _one_input_build(wrapper: str):
    def check(spec: LayerSpec, fld: str) -> None:
        if spec.name in _MULTI_INPUT_BUILD:
            raise ShapeError(
                "unsupported_layer",
                f"{wrapper} builds the wrapped layer from one input shape, but {spec.name} needs a query and a value "
                f"(Keras raises TypeError: {_MULTI_INPUT_BUILD[spec.name]})",
                fld,
            )

    return check


def outer_field(fld: str | None) -> str | None:
    """An inner layer's error field as the wrapper's: params.X -> params.layer.params.X; input_shape[k] of the
    time slice (N, *rest) -> input_shape[k + 1] of (N, T, *rest) for k >= 1 (the batch stays input_shape[0])."""
    if fld is None:
        return None
    if fld.startswith("params."):
        return f"params.layer.{fld}"
    match = _INPUT_FIELD.fullmatch(fld)
    if match:
        axis = int(match.group(1))
        return f"input_shape[{axis + 1 if axis else 0}]{match.group(2)}"
    return fld


def _multiple_outputs_field(nested: NestedLayer) -> str:
    """The parameter, relative to the wrapped layer, that makes it return several outputs."""
    prm = nested.params
    if prm.get("return_state"):
        return "params.return_state"
    if "merge_mode" in prm and prm["merge_mode"] is None:
        return "params.merge_mode"
    inner = prm.get("layer")
    return "params.layer." + _multiple_outputs_field(inner) if isinstance(inner, NestedLayer) else "params"


def keras_time_distributed_rule(ctx) -> Outcome:
    """(N, T, *rest) -> (N, T, *inner_output[1:]), the inner layer run on (N, *rest); its weights, shared by every step."""
    nested: NestedLayer = ctx.p["layer"]
    spec, x = nested.spec, ctx.x
    child = (x[0], *x[2:])
    ranks = spec.input_ranks
    if ranks and len(child) not in ranks:
        want, need = ranks_text(ranks), ranks_text(ranks, shift=1)
        raise ShapeError(
            "rank_mismatch",
            f"TimeDistributed gives {spec.name} each time step as {shape_text(child)}, of rank {len(child)}; "
            f"{spec.name} expects rank {want} (batch included), so the input needs rank {need}, "
            f"received rank {len(x)}: {shape_text(x)}",
            "input_shape",
        )
    outcome = run_nested(
        ctx,
        nested,
        child,
        f"TimeDistributed({spec.name}) on each time step {shape_text(child)}",
        f"{spec.name} on each time step",
        outer_field,
    )
    if len(outcome.outputs) > 1:
        names = ", ".join(outcome.outputs)
        raise ShapeError(
            "multiple_outputs",
            f"TimeDistributed stacks one tensor per time step, but {spec.name} returns {len(outcome.outputs)} here "
            f"({names}): Keras 3 fails on keras.Input ('Cannot convert ... to a shape'), and a real call stacks the "
            "list into one tensor (outputs, T, N, ...) or fails; drop return_state (Bidirectional: set a merge_mode)",
            "params.layer." + _multiple_outputs_field(nested),
        )
    inner = next(iter(outcome.outputs.values()))
    output = (inner[0], x[1], *inner[1:])
    return Outcome(
        {"output": output}, dict(outcome.weights), tuple(outcome.non_trainable), param_count=outcome.param_count
    )


register(
    LayerSpec(
        framework="keras",
        name="TimeDistributed",
        params=(
            Param(
                "layer",
                nested_layer(
                    "{'layer': 'Dense', 'params': {'units': 8}}",
                    "{layer: <a Keras layer name>, params: {...}}",
                    _one_input_build("TimeDistributed"),
                ),
                doc="The layer applied to every time step: {'layer': 'Dense', 'params': {'units': 8}}.",
            ),
        ),
        rule=keras_time_distributed_rule,
        formulas=(),
        input_ranks=tuple(range(3, 9)),
        category="wrapper",
        equivalent=None,
        note=(
            "Input (N, T, *rest), rank 3 or more; the wrapped layer sees each time step as (N, *rest) and the output "
            "is (N, T, *inner_output[1:]): TimeDistributed(Dense(8)) on (None, 10, 16) gives (None, 10, 8) with "
            "16·8 + 8 = 136 parameters, the inner layer's own (one copy, shared by every step; T never multiplies "
            "them). Keras 3 loops over T and never reshapes to (N·T, ...) as tf.keras 2 did, so the inner layer "
            "sees batch N (None stays None: a stateful inner RNN still needs a static N). The inner layer must accept "
            "rank len(input) - 1: Conv2D needs (N, T, H, W, C). Keras 3 calls the inner call() directly, skipping "
            "its input-rank check, so some layers (global pooling, UpSampling, Cropping, SpatialDropout) run on "
            "other ranks there and keras.Input shapes can disagree with a real call; the engine keeps each layer's "
            "own ranks. An inner layer with several outputs (return_state, Bidirectional with merge_mode=None) is "
            "rejected: Keras cannot stack them. MultiHeadAttention cannot be wrapped. PyTorch has no "
            "TimeDistributed: fold time into the batch (x.flatten(0, 1)), apply the module, unflatten."
        ),
    )
)
