"""Dense / Linear: acts on the last axis only."""

from __future__ import annotations

from engine.compile import Formula
from engine.layers._activations import GLU_HALF, apply_output_activation, output_activation_param
from engine.layers._common import check_equal, require_known
from engine.registry import register
from engine.spec import LayerSpec, Outcome, Param, boolean, integer
from engine.symbols import P, i, u

DENSE_PARAMS = Formula(
    "dense_param_count", P, i * u + u, "A weight per (input feature, unit) pair plus one bias per unit."
)
DENSE_PARAMS_NO_BIAS = Formula("dense_param_count_no_bias", P, i * u, "Without bias.")


def keras_dense_rule(ctx) -> Outcome:
    """(N, ..., i) -> (N, ..., units)."""
    units, features = ctx.p["units"], ctx.x[-1]
    features = require_known(features, "last input dimension", f"input_shape[{len(ctx.x) - 1}]")
    bias = ctx.p["use_bias"]
    count = ctx.apply(DENSE_PARAMS if bias else DENSE_PARAMS_NO_BIAS, "parameters", i=features, u=units)
    weights = {"kernel": (features, units), **({"bias": (units,)} if bias else {})}
    output = apply_output_activation(ctx, (*ctx.x[:-1], units), "params.units")
    return Outcome({"output": output}, weights, param_count=count)


def torch_linear_rule(ctx) -> Outcome:
    """(*, in_features) -> (*, out_features)."""
    fin, fout, bias = ctx.p["in_features"], ctx.p["out_features"], ctx.p["bias"]
    check_equal(fin, ctx.x[-1], "in_features", f"input_shape[{len(ctx.x) - 1}]", "Linear")
    count = ctx.apply(DENSE_PARAMS if bias else DENSE_PARAMS_NO_BIAS, "parameters", i=fin, u=fout)
    weights = {"weight": (fout, fin), **({"bias": (fout,)} if bias else {})}
    return Outcome({"output": (*ctx.x[:-1], fout)}, weights, param_count=count)


register(
    LayerSpec(
        framework="keras",
        name="Dense",
        params=(
            Param("units", integer(), doc="Size of the output's last axis."),
            output_activation_param(),
            Param("use_bias", boolean(), True, "Add one bias per unit."),
        ),
        rule=keras_dense_rule,
        formulas=(DENSE_PARAMS, GLU_HALF),
        param_aliases={"output_dim": "units", "bias": "use_bias"},
        input_ranks=tuple(range(2, 9)),
        category="dense",
        equivalent="Linear",
        note="Acts on the last axis only: every other axis (batch, time, ...) is kept.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="Linear",
        params=(
            Param("in_features", integer(), doc="Size of the input's last axis."),
            Param("out_features", integer(), doc="Size of the output's last axis."),
            Param("bias", boolean(), True, "Add one learnable bias per output feature."),
        ),
        rule=torch_linear_rule,
        formulas=(DENSE_PARAMS,),
        input_ranks=tuple(range(1, 9)),
        category="dense",
        equivalent="Dense",
        note="(*, in_features) -> (*, out_features): any number of leading axes. A wrong last axis raises 'mat1 and mat2 shapes cannot be multiplied'.",
    )
)
