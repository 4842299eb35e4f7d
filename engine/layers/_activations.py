"""Keras activation names, and the two that are not shape-neutral: 'glu' halves the last axis and
'threshold' cannot run without arguments.

Shared by every Keras layer with an `activation` keyword (Activation, Dense, the convolutions, the
recurrent layers). Keras checks the name when the layer is built; the shape effects only show when a
real tensor goes through (Keras's symbolic shapes miss the halving), so the engine follows the real call.
"""

from __future__ import annotations

import difflib

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._common import shape_text
from engine.spec import Param, is_known
from engine.symbols import L_in, L_out

GLU_HALF = Formula(
    "glu_halved_length",
    L_out,
    L_in / 2,
    "GLU splits the last axis in two halves (value and gate) and multiplies them: the axis is halved; it must be even.",
)

# keras.activations in Keras 3.15 (names are case-sensitive).
KERAS_ACTIVATIONS = frozenset(
    """celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear
    log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus
    sparse_sigmoid sparsemax squareplus swish tanh tanh_shrink threshold""".split()
)


def keras_activation_name(none_as: str | None = None):
    """A name from keras.activations; None stands for `none_as` (Activation says 'linear', Dense keeps None)."""

    def parse(val, rank, fld):
        if val is None:
            return none_as
        if isinstance(val, str) and val in KERAS_ACTIVATIONS:
            return val
        close = difflib.get_close_matches(str(val).lower(), sorted(KERAS_ACTIVATIONS), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ShapeError(
            "unknown_activation", f"could not interpret activation function identifier: {val!r}{hint}"[:200], fld
        )

    parse.kind = "str | None"
    return parse


def output_activation_param() -> Param:
    """The `activation` keyword of Dense and the convolutions (None: linear)."""
    return Param(
        "activation",
        keras_activation_name(),
        None,
        "Applied element-wise to the output: shape kept, except 'glu', which halves the last axis.",
    )


def reject_threshold(ctx, param: str = "activation"):
    """keras.activations.threshold needs threshold and default_value, which a layer's call never passes."""
    if ctx.p[param] == "threshold":
        raise ShapeError(
            "invalid_param",
            f"{param} 'threshold' needs threshold and default_value arguments, which {ctx.spec.name} cannot pass: "
            "use keras.ops.threshold in a Lambda layer",
            f"params.{param}",
        )


def halve_last_axis(ctx, shape: tuple, what: str, fld: str) -> tuple:
    """GLU on the last axis of `shape` (the layer's `what`): it must be even, and it is halved."""
    last = shape[-1]
    if is_known(last) and last % 2:
        raise ShapeError(
            "odd_length",
            f"glu halves the last axis, which must be even: received {last} in the {what} {shape_text(shape)}",
            fld,
        )
    return (*shape[:-1], ctx.apply(GLU_HALF, f"axis {len(shape) - 1}", L_in=last))


def apply_output_activation(ctx, shape: tuple, fld: str = "params.activation") -> tuple:
    """The shape after the layer's `activation` runs on its output: on the last axis, whatever the data_format."""
    reject_threshold(ctx)
    return halve_last_axis(ctx, shape, "output", fld) if ctx.p["activation"] == "glu" else shape
