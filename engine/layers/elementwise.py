"""Shape-keeping layers: dropout, noise and activations (0 parameters), and PReLU (learned slopes).

One rule serves them all; a few layers add a check through `options["check"]` (an axis in range, an
activation name Keras knows). Each layer is still its own registry entry, declared in the loop below.
"""

from __future__ import annotations

from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._activations import GLU_HALF, halve_last_axis, keras_activation_name, reject_threshold
from engine.layers._common import require_known, shape_text
from engine.layers.reshape import normalize_axis
from engine.registry import register
from engine.spec import (
    MAX_INT,
    LayerSpec,
    Outcome,
    Param,
    anything,
    boolean,
    choice,
    int_list,
    integer,
    is_known,
    number,
    optional,
    product,
)
from engine.symbols import P, i

PRELU_PARAMS = Formula(
    "prelu_param_count",
    P,
    i,
    "One learned negative slope per entry of alpha: i is the entry count (Keras: the product of the input's "
    "non-batch sizes with shared_axes set to 1; PyTorch: num_parameters, 1 or the channel count).",
)
ANY_INT = integer(minimum=-MAX_INT)
ANY_NUMBER = number(minimum=-float(MAX_INT))
RATE = number(0.0, 1.0)
ALL_RANKS = tuple(range(1, 9))


def keras_axes():
    parse = int_list(minimum=-MAX_INT)
    parse.kind = "int | list[int]"
    return parse


# ---- checks some layers add to the shared rule -------------------------------------------------------


def check_axes(name: str):
    """The axis (or axes) parameter `name` must lie in [-rank, rank - 1]; None passes (PyTorch's implicit dim)."""

    def check(ctx):
        value = ctx.p[name]
        axes = () if value is None else value if isinstance(value, tuple) else (value,)
        seen = set()
        for axis in axes:
            dim = normalize_axis(axis, ctx.rank, f"params.{name}", name)
            if dim in seen:
                raise ShapeError(
                    "duplicate_axis", f"dim {dim} appears multiple times in {name}={list(axes)}", f"params.{name}"
                )
            seen.add(dim)
        return ctx.x

    return check


def check_keras_activation(ctx):
    """'glu' halves the last axis (it must be even); 'threshold' needs arguments Activation cannot pass."""
    reject_threshold(ctx)
    if ctx.p["activation"] != "glu":
        return ctx.x
    return halve_last_axis(ctx, ctx.x, "input", f"input_shape[{ctx.rank - 1}]")


def check_feature_dropout_rank(ctx):
    """Dropout2d on a rank-1 input fails in training, unless p is 0 or 1 (PyTorch returns early then)."""
    if ctx.rank < 2 and 0 < ctx.p["p"] < 1:
        raise ShapeError(
            "rank_mismatch",
            f"feature dropout requires at least 2 dimensions in the input, received rank 1: {shape_text(ctx.x)}: "
            "a module as constructed is in training mode; after .eval() it returns the input",
            "input_shape",
        )
    return ctx.x


def check_hardtanh_range(ctx):
    """Hardtanh refuses an empty clip range at construction: max_val must exceed min_val."""
    low, high = ctx.p["min_val"], ctx.p["max_val"]
    if high <= low:
        raise ShapeError("invalid_param", f"max_val ({high}) must be greater than min_val ({low})", "params.max_val")
    return ctx.x


def check_celu_alpha(ctx):
    """CELU divides by alpha: alpha=0 fails when the module runs."""
    if ctx.p["alpha"] == 0:
        raise ShapeError("invalid_param", f"alpha cannot be 0 for CELU, received {ctx.p['alpha']}", "params.alpha")
    return ctx.x


def keep_shape_rule(ctx) -> Outcome:
    """Output = input shape, no weights (after the layer's own check, if any)."""
    check = ctx.spec.options.get("check")
    return Outcome({"output": check(ctx) if check else ctx.x})


# ---- PReLU --------------------------------------------------------------------------------------------


def keras_prelu_rule(ctx) -> Outcome:
    """alpha has the input's non-batch shape, with each shared axis set to 1 (Keras indexes it as axis - 1)."""
    alpha = list(ctx.x[1:])
    for axis in ctx.p["shared_axes"] or ():
        if not -len(alpha) <= axis - 1 < len(alpha):
            raise ShapeError(
                "axis_out_of_range",
                f"shared_axes holds {axis}, but a rank-{ctx.rank} input has axes 1..{ctx.rank - 1} after the batch",
                "params.shared_axes",
            )
        alpha[axis - 1] = 1
    alpha = tuple(
        require_known(size, "size of a non-shared axis", f"input_shape[{n + 1}]") for n, size in enumerate(alpha)
    )
    count = ctx.apply(PRELU_PARAMS, "parameters", i=product(alpha))
    return Outcome({"output": ctx.x}, {"alpha": alpha}, param_count=count)


def torch_prelu_rule(ctx) -> Outcome:
    """weight of num_parameters slopes: 1 (shared) or the channel count, dim 1 (1 for a rank-1 input)."""
    slopes = ctx.p["num_parameters"]
    channels = ctx.x[1] if ctx.rank >= 2 else 1
    if slopes != 1 and is_known(channels) and channels != slopes:
        raise ShapeError(
            "channel_mismatch",
            f"mismatch of parameter numbers and input channel size: found num_parameters = {slopes} and channel "
            f"size = {channels} (dim 1 of {shape_text(ctx.x)})",
            "input_shape[1]" if ctx.rank >= 2 else "params.num_parameters",
        )
    count = ctx.apply(PRELU_PARAMS, "parameters", i=slopes)
    return Outcome({"output": ctx.x}, {"weight": (slopes,)}, param_count=count)


# ---- declarations ---------------------------------------------------------------------------------------

INPLACE = Param("inplace", boolean(), False, "Overwrite the input tensor; no shape effect.")
SEED = Param("seed", anything(), None, "Random seed; no shape effect.")
KERAS_FORMAT = Param(
    "data_format",
    optional(choice("channels_last", "channels_first")),
    None,
    "Where the channel axis is; decides which axes share a dropout mask, not the shape.",
)
KEEP = "Shape kept, no parameters."
SPATIAL = "drops whole feature maps (one mask value per sample and channel, shared over the spatial axes)."


def _rate(what: str, default=None) -> Param:
    if default is None:
        return Param("rate", RATE, doc=f"Fraction of the {what} to drop, in [0, 1].")
    return Param("p", RATE, default, f"Probability of zeroing {what}, in [0, 1].")


# One entry per layer; the loop below registers each with the shared rule. Defaults: any rank 1-8,
# category 'activation', no check.
SHAPE_KEEPING = [
    dict(
        framework="keras",
        name="Dropout",
        params=(
            _rate("inputs"),
            Param("noise_shape", anything(), None, "Shape of the binary mask (1 shares it along an axis)."),
            SEED,
        ),
        param_aliases={"p": "rate"},
        category="dropout",
        equivalent="Dropout",
        note="Shape kept, no parameters; active only in training (at inference it returns the input).",
    ),
    *(
        dict(
            framework="keras",
            name=f"SpatialDropout{rank}D",
            params=(_rate("channels"), SEED) if rank == 1 else (_rate("channels"), KERAS_FORMAT, SEED),
            input_ranks=(rank + 2,),
            category="dropout",
            equivalent=f"Dropout{rank}d",
            note=f"Input {layout}, shape kept, no parameters; " + SPATIAL,
        )
        for rank, layout in (
            (1, "(N, T, C)"),
            (2, "(N, H, W, C) (or channels_first)"),
            (3, "(N, D, H, W, C) (or channels_first)"),
        )
    ),
    dict(
        framework="keras",
        name="Activation",
        params=(
            Param(
                "activation",
                keras_activation_name(none_as="linear"),
                doc="Name of a keras.activations function ('relu', 'softmax', ...); None means linear.",
            ),
        ),
        formulas=(GLU_HALF,),
        note="Applies the named function element-wise: shape kept, no parameters. Exception: 'glu' halves the "
        "last axis (Keras's symbolic shape misses this; the real call does it). In PyTorch each activation is "
        "its own module (nn.ReLU, nn.Tanh, ...).",
        options={"check": check_keras_activation},
    ),
    dict(
        framework="keras",
        name="ReLU",
        params=(
            Param("max_value", optional(number()), None, "Upper clip (None: no clip); must be >= 0."),
            Param("negative_slope", number(), 0.0, "Slope below the threshold; must be >= 0."),
            Param("threshold", number(), 0.0, "Values below it are damped; must be >= 0."),
        ),
        equivalent="ReLU",
    ),
    dict(
        framework="keras",
        name="LeakyReLU",
        params=(Param("negative_slope", number(), 0.3, "Slope for x < 0; must be >= 0 (Keras 2: alpha)."),),
        param_aliases={"alpha": "negative_slope"},
        equivalent="LeakyReLU",
        note=KEEP + " Keras's default slope is 0.3, PyTorch's 0.01.",
    ),
    dict(
        framework="keras",
        name="ELU",
        params=(Param("alpha", ANY_NUMBER, 1.0, "Scale of the negative part."),),
        equivalent="ELU",
    ),
    dict(
        framework="keras",
        name="Softmax",
        params=(Param("axis", keras_axes(), -1, "Axis or axes the probabilities sum over."),),
        equivalent="Softmax",
        note=KEEP + " The axis must exist in the input.",
        options={"check": check_axes("axis")},
    ),
    dict(
        framework="keras",
        name="GaussianNoise",
        params=(
            Param("stddev", number(0.0, 1.0), doc="Standard deviation of the added noise, in [0, 1]."),
            SEED,
        ),
        category="regularization",
        note=KEEP + " Adds zero-centred Gaussian noise in training only; Keras 3 refuses a stddev outside [0, 1]. "
        "PyTorch has no layer (x + sigma * torch.randn_like(x)).",
    ),
    dict(
        framework="keras",
        name="GaussianDropout",
        params=(_rate("inputs"), SEED),
        category="dropout",
        note=KEEP + " Multiplies by Gaussian noise of mean 1 and variance rate / (1 - rate), in training only. "
        "PyTorch has no layer.",
    ),
    dict(
        framework="keras",
        name="AlphaDropout",
        params=(
            _rate("inputs"),
            Param("noise_shape", anything(), None, "Shape of the dropout mask; no shape effect."),
            SEED,
        ),
        category="dropout",
        equivalent="AlphaDropout",
        note=KEEP + " Dropout for SELU networks: keeps mean and variance, in training only.",
    ),
    dict(
        framework="keras",
        name="ActivityRegularization",
        params=(
            Param("l1", optional(number()), 0.0, "L1 penalty factor on the activations; must be >= 0 and finite."),
            Param("l2", optional(number()), 0.0, "L2 penalty factor on the activations; must be >= 0 and finite."),
        ),
        category="regularization",
        note=KEEP + " Returns its input and adds l1·sum|x| + l2·sum x² to the loss. PyTorch has no layer.",
    ),
    dict(
        framework="keras",
        name="Masking",
        params=(Param("mask_value", ANY_NUMBER, 0.0, "Timesteps whose features all equal it are masked."),),
        category="masking",
        note=KEEP + " Masks each timestep whose last-axis values all equal mask_value (zeroing them) for the "
        "layers downstream. PyTorch has no layer (pack_padded_sequence or an explicit mask).",
    ),
    dict(framework="keras", name="Identity", equivalent="Identity", note="Returns its input: " + KEEP),
    dict(
        framework="pytorch",
        name="Dropout",
        params=(_rate("an element", 0.5), INPLACE),
        category="dropout",
        equivalent="Dropout",
        note="Any shape, kept; no parameters; active only in training mode.",
    ),
    dict(
        framework="pytorch",
        name="Dropout1d",
        params=(_rate("a channel", 0.5), INPLACE),
        input_ranks=(2, 3),
        category="dropout",
        equivalent="SpatialDropout1D",
        note="Input (N, C, L) or unbatched (C, L), shape kept; " + SPATIAL,
    ),
    dict(
        framework="pytorch",
        name="Dropout2d",
        params=(_rate("a channel", 0.5), INPLACE),
        category="dropout",
        equivalent="SpatialDropout2D",
        note="Meant for (N, C, H, W) or (C, H, W), shape kept; " + SPATIAL + " Other ranks >= 2 run with a "
        "deprecation warning (a 3-D input is read as (N, C, L)). The engine answers for the module as constructed, in "
        "training mode: rank 1 fails unless p is 0 or 1; after .eval() it returns the input.",
        options={"check": check_feature_dropout_rank},
    ),
    dict(
        framework="pytorch",
        name="Dropout3d",
        params=(_rate("a channel", 0.5), INPLACE),
        category="dropout",
        equivalent="SpatialDropout3D",
        note="Meant for (N, C, D, H, W) or (C, D, H, W), shape kept; " + SPATIAL + " Other ranks run with a "
        "deprecation warning.",
    ),
    dict(framework="pytorch", name="ReLU", params=(INPLACE,), equivalent="ReLU"),
    dict(
        framework="pytorch",
        name="LeakyReLU",
        params=(Param("negative_slope", ANY_NUMBER, 0.01, "Slope for x < 0."), INPLACE),
        equivalent="LeakyReLU",
        note=KEEP + " PyTorch's default slope is 0.01, Keras's 0.3.",
    ),
    dict(framework="pytorch", name="Tanh", equivalent="Activation", note=KEEP + " Keras: Activation('tanh')."),
    dict(framework="pytorch", name="Sigmoid", equivalent="Activation", note=KEEP + " Keras: Activation('sigmoid')."),
    dict(
        framework="pytorch",
        name="GELU",
        params=(
            Param(
                "approximate",
                choice("none", "tanh", case_insensitive=False),
                "none",
                "'none' (exact, with erf) or 'tanh' (approximation).",
            ),
        ),
        equivalent="Activation",
        note=KEEP + " Keras: Activation('gelu').",
    ),
    dict(
        framework="pytorch",
        name="ELU",
        params=(Param("alpha", ANY_NUMBER, 1.0, "Scale of the negative part."), INPLACE),
        equivalent="ELU",
    ),
    dict(
        framework="pytorch",
        name="SiLU",
        params=(INPLACE,),
        equivalent="Activation",
        note=KEEP + " Also called swish; Keras: Activation('silu').",
    ),
    dict(
        framework="pytorch",
        name="Softmax",
        params=(Param("dim", optional(ANY_INT), None, "Dim the probabilities sum over (always give it)."),),
        equivalent="Softmax",
        note=KEEP + " dim must exist in the input; dim=None picks one implicitly (deprecated, with a warning).",
        options={"check": check_axes("dim")},
    ),
    dict(
        framework="pytorch",
        name="AlphaDropout",
        params=(_rate("an element", 0.5), INPLACE),
        category="dropout",
        equivalent="AlphaDropout",
        note="Any shape, kept; no parameters; dropout for SELU networks (keeps mean and variance), in training only.",
    ),
    dict(
        framework="pytorch",
        name="Softplus",
        params=(
            Param("beta", ANY_NUMBER, 1.0, "Sharpness: log(1 + exp(beta·x)) / beta."),
            Param("threshold", ANY_NUMBER, 20.0, "Above beta·x > threshold the output is x (numerical stability)."),
        ),
        equivalent="Activation",
        note=KEEP + " Keras: Activation('softplus') (beta = 1).",
    ),
    dict(
        framework="pytorch",
        name="Hardswish",
        params=(INPLACE,),
        equivalent="Activation",
        note=KEEP + " Keras: Activation('hard_swish').",
    ),
    dict(
        framework="pytorch",
        name="Hardsigmoid",
        params=(INPLACE,),
        equivalent="Activation",
        note=KEEP + " Keras: Activation('hard_sigmoid') (relu6(x + 3) / 6 in Keras 3).",
    ),
    dict(
        framework="pytorch",
        name="Hardtanh",
        params=(
            Param("min_val", ANY_NUMBER, -1.0, "Lower clip value."),
            Param("max_val", ANY_NUMBER, 1.0, "Upper clip value; must be greater than min_val."),
            INPLACE,
        ),
        param_aliases={"min_value": "min_val", "max_value": "max_val"},
        equivalent="Activation",
        note=KEEP + " The constructor asserts max_val > min_val (AssertionError). min_value / max_value are "
        "deprecated spellings. Keras: Activation('hard_tanh') (clip to [-1, 1]).",
        options={"check": check_hardtanh_range},
    ),
    dict(
        framework="pytorch",
        name="ReLU6",
        params=(INPLACE,),
        equivalent="ReLU",
        note=KEEP + " min(max(0, x), 6). Keras: ReLU(max_value=6) or Activation('relu6').",
    ),
    dict(
        framework="pytorch",
        name="SELU",
        params=(INPLACE,),
        equivalent="Activation",
        note=KEEP + " Keras: Activation('selu').",
    ),
    dict(
        framework="pytorch",
        name="CELU",
        params=(Param("alpha", ANY_NUMBER, 1.0, "Scale of the negative part; must not be 0."), INPLACE),
        equivalent="Activation",
        note=KEEP + " alpha=0 is accepted by the constructor but fails when the module runs. Keras: "
        "Activation('celu') (alpha = 1).",
        options={"check": check_celu_alpha},
    ),
    dict(
        framework="pytorch",
        name="Mish",
        params=(INPLACE,),
        equivalent="Activation",
        note=KEEP + " x·tanh(softplus(x)). Keras: Activation('mish').",
    ),
    dict(framework="pytorch", name="Softsign", equivalent="Activation", note=KEEP + " Keras: Activation('softsign')."),
    dict(
        framework="pytorch",
        name="Tanhshrink",
        equivalent="Activation",
        note=KEEP + " x - tanh(x). Keras: Activation('tanh_shrink').",
    ),
    dict(
        framework="pytorch",
        name="LogSoftmax",
        params=(Param("dim", optional(ANY_INT), None, "Dim the probabilities sum over (always give it)."),),
        equivalent="Activation",
        note=KEEP + " dim must exist in the input; dim=None picks one implicitly (deprecated, with a warning). "
        "Keras: Activation('log_softmax') (last axis).",
        options={"check": check_axes("dim")},
    ),
    dict(
        framework="pytorch",
        name="Softmin",
        params=(Param("dim", optional(ANY_INT), None, "Dim the probabilities sum over (always give it)."),),
        note=KEEP + " softmax(-x) along dim, which must exist in the input; dim=None picks one implicitly "
        "(deprecated, with a warning). Keras has no layer.",
        options={"check": check_axes("dim")},
    ),
    dict(
        framework="pytorch",
        name="Threshold",
        params=(
            Param("threshold", ANY_NUMBER, doc="Values at or below it are replaced."),
            Param("value", ANY_NUMBER, doc="What replaces them."),
            INPLACE,
        ),
        note=KEEP + " y = x if x > threshold else value; both arguments are required. Keras has no layer "
        "(keras.ops.threshold; Activation('threshold') cannot pass the arguments).",
    ),
    dict(
        framework="pytorch",
        name="Identity",
        equivalent="Identity",
        note="Returns its input: " + KEEP + " Takes any arguments, positional or keyword, and ignores them.",
        options={"ignores_arguments": True},
    ),
]

_DEFAULTS = dict(params=(), input_ranks=ALL_RANKS, category="activation", equivalent=None, note=KEEP)

for _entry in SHAPE_KEEPING:
    register(LayerSpec(rule=keep_shape_rule, **(_DEFAULTS | _entry)))

register(
    LayerSpec(
        framework="keras",
        name="PReLU",
        params=(
            Param("alpha_initializer", anything(), "Zeros", "Initial slopes; no shape effect."),
            Param("alpha_regularizer", anything(), None, "Penalty on the slopes; no shape effect."),
            Param("alpha_constraint", anything(), None, "Constraint on the slopes; no shape effect."),
            Param(
                "shared_axes",
                optional(int_list(minimum=-MAX_INT)),
                None,
                "Axes (1-based, batch = 0) along which one slope is shared, e.g. [1, 2] for one slope per channel "
                "of an (N, H, W, C) input.",
            ),
        ),
        rule=keras_prelu_rule,
        formulas=(PRELU_PARAMS,),
        input_ranks=ALL_RANKS,
        category="activation",
        equivalent="PReLU",
        note="Shape kept. By default one learned slope per input value: alpha has the whole non-batch shape "
        "(H·W·C parameters for an image), so those sizes must be known; shared_axes set axes of alpha to 1. "
        "Keras sets alpha[axis - 1], so 0 or a negative axis wraps around Python-style. "
        "PyTorch's PReLU has 1 slope (or one per channel) instead.",
    )
)
register(
    LayerSpec(
        framework="pytorch",
        name="PReLU",
        params=(
            Param("num_parameters", integer(), 1, "1 (one shared slope) or the channel count (dim 1 of the input)."),
            Param("init", ANY_NUMBER, 0.25, "Initial slope; no shape effect."),
        ),
        rule=torch_prelu_rule,
        formulas=(PRELU_PARAMS,),
        input_ranks=ALL_RANKS,
        category="activation",
        equivalent="PReLU",
        note="Shape kept. num_parameters learned slopes: 1, shared by every channel, or one per channel, "
        "which must equal dim 1 of the input. Keras PReLU learns one slope per input value by default.",
    )
)
