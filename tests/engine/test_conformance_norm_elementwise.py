"""Normalization, dropout and activation layers against the real frameworks.

Keras: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization, Dropout,
SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization, Masking, Activation,
ReLU, LeakyReLU, ELU, Softmax, Identity, PReLU. PyTorch: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm,
GroupNorm, Dropout, Dropout1d/2d/3d, AlphaDropout, ReLU, LeakyReLU, Tanh, Sigmoid, GELU, ELU, SiLU, Softmax,
Identity, PReLU, Softplus, Hardswish, Hardsigmoid, Hardtanh, ReLU6, SELU, CELU, Mish, Softsign, Tanhshrink,
LogSoftmax, Softmin, Threshold.

Each configuration builds the real layer and runs zeros through it (a Keras input with a None is traced
through keras.Input). Shapes, parameter counts (Keras count_params() with the non-trainable moving
statistics; PyTorch parameters() without buffers), weight shapes and rejections must match the engine.
"""

from __future__ import annotations

import pytest

import engine
from engine import ShapeError
from engine.layers._activations import KERAS_ACTIVATIONS
from tests.engine.conformance import Tally, run_engine
from tests.engine.conftest import CONFIGS_PER_LAYER
from tests.engine.test_conformance_reshape import dims, maybe_none, run_keras, run_torch

pytestmark = pytest.mark.conformance

# The reshape family's error set, plus the AssertionError of Hardtanh's constructor.
TORCH_ERRORS = (ValueError, RuntimeError, TypeError, IndexError, ZeroDivisionError, AssertionError)


def misspell(rng, kwargs: dict, names: tuple, force: bool = False) -> dict:
    """Now and then add a misspelled keyword: both the framework and the engine must refuse it."""
    if force or rng.random() < 0.04:
        kwargs = {**kwargs, rng.choice(names) + "_": 1}
    return kwargs


# ---- Keras normalization ------------------------------------------------------------------------------


def test_keras_batchnorm_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.choice((1, 2, 3, 3, 4, 4, 5))
        shape = maybe_none(rng, [rng.randint(1, 3), *dims(rng, rank - 1)], 0.15)
        kwargs = {}
        if rng.random() < 0.6:
            kwargs["axis"] = rng.randint(-rank - 1, rank)
        for flag in ("center", "scale"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        if rng.random() < 0.15:
            kwargs["renorm"] = True
        if rng.random() < 0.2:
            kwargs["momentum"] = rng.choice((0.9, 0.5))
        if rng.random() < 0.2:
            kwargs["epsilon"] = 1e-5
        kwargs = misspell(rng, kwargs, ("axis", "center"))
        tally.check(
            "keras", "BatchNormalization", kwargs, kwargs, shape, run_keras(keras, "BatchNormalization", kwargs, shape)
        )
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_keras_layernorm_matches_keras(rng, keras):
    # Judged by the real call on the torch backend, also where Keras hands contiguous axes to torch's
    # layer_norm, which needs them to be the trailing dims (axis=1 on (2, 4, 5) fails there).
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 4)
        base = [rng.randint(1, 3), *dims(rng, rank - 1)]
        roll = rng.random()
        if roll < 0.35:
            axis = rng.randint(-rank - 1, rank) if rng.random() < 0.2 else rng.choice((-1, rank - 1))
        elif roll < 0.4:
            axis = []  # only rms_scaling takes it
        else:
            axis = [rng.randint(-rank, rank - 1) for _ in range(rng.randint(1, min(3, rank)))]
            if rng.random() < 0.1:
                axis[0] = rng.choice((rank, -rank - 1))
        kwargs = {"axis": axis}
        for flag in ("center", "scale"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        if rng.random() < (0.5 if axis == [] else 0.1):
            kwargs["rms_scaling"] = True
        listed = axis if isinstance(axis, list) else [axis]
        unique = len({a % rank for a in listed}) == len(listed)
        # Keras traces a repeated axis symbolically without complaint; only the real call fails.
        shape = maybe_none(rng, base, 0.15) if unique else tuple(base)
        real = run_keras(keras, "LayerNormalization", kwargs, shape)
        if real[0] == "ok" and None in shape:
            # The trace never runs call(): a real call with each unknown size set to 7 (never drawn, so it
            # matches no other size) shows the failures that do not depend on it.
            called = run_keras(keras, "LayerNormalization", kwargs, tuple(v or 7 for v in shape))
            if called[0] == "error":
                real = called
        tally.check("keras", "LayerNormalization", kwargs, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_keras_groupnorm_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.choice((1, 2, 2, 3, 3, 4, 5))
        shape = [rng.randint(1, 3), *dims(rng, rank - 1, 1, 4)]
        kwargs = {}
        if rng.random() < 0.35:
            kwargs["axis"] = rng.randint(-rank - 1, rank)
        axis = kwargs.get("axis", -1)
        groups = rng.choice((1, 2, 2, 3, 4, -1, 32))
        if rng.random() < 0.04:
            groups = rng.choice((0, -2, 2.0))
        if groups != 32 or rng.random() < 0.5:
            kwargs["groups"] = groups
        size = groups if isinstance(groups, int) and groups > 0 else rng.randint(1, 4)
        channels = size * rng.randint(1, 2)
        if rng.random() < 0.12:
            channels = max(1, channels + rng.choice((-1, 1)))
        if -rank <= axis < rank:
            shape[axis] = channels
        for flag in ("center", "scale"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        if rng.random() < 0.2:
            kwargs["epsilon"] = 1e-5
        kwargs = misspell(rng, kwargs, ("groups", "axis"))
        # Keras's symbolic trace never runs call(), where axis=-rank fails: give that case a real call.
        shape = tuple(shape) if axis == -rank else maybe_none(rng, shape, 0.15)
        real = run_keras(keras, "GroupNormalization", kwargs, shape)
        tally.check("keras", "GroupNormalization", kwargs, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=5)


def test_keras_unitnorm_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 4)
        roll = rng.random()
        if roll < 0.4:
            axis = rng.randint(-rank - 1, rank) if rng.random() < 0.3 else rng.randint(-rank, rank - 1)
        elif roll < 0.9:
            axis = [rng.randint(-rank, rank - 1) for _ in range(rng.randint(1, min(2, rank)))]
            if rng.random() < 0.1:
                axis.append(rng.choice((rank, -rank - 1)))
            if rng.random() < 0.3:
                axis = tuple(axis)
        else:
            axis = rng.choice(([], None, 1.0))
        kwargs = {} if axis == -1 and rng.random() < 0.5 else {"axis": axis}
        kwargs = misspell(rng, kwargs, ("axis",))
        listed = axis if isinstance(axis, (list, tuple)) else [axis] if isinstance(axis, int) else []
        unique = len({a % rank for a in listed}) == len(listed)
        base = [rng.randint(1, 3), *dims(rng, rank - 1, 1, 4)]
        # The symbolic trace checks only the range of each axis; the real call also refuses a repeated one.
        shape = maybe_none(rng, base, 0.15) if unique else tuple(base)
        real = run_keras(keras, "UnitNormalization", kwargs, shape)
        tally.check("keras", "UnitNormalization", kwargs, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=5)


# ---- PyTorch normalization ----------------------------------------------------------------------------


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_torch_batchnorm_matches_pytorch(rng, torch, rank):
    tally = Tally.strict()
    layer = f"BatchNorm{rank}d"
    for _ in range(CONFIGS_PER_LAYER):
        channels = rng.randint(1, 5)
        kwargs = {"num_features": channels}
        for flag in ("affine", "track_running_stats", "bias"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        if rng.random() < 0.2:
            kwargs["momentum"] = rng.choice((None, 0.3))
        if rng.random() < 0.2:
            kwargs["eps"] = 1e-3
        kwargs = misspell(rng, kwargs, ("affine", "num_features"))
        c = channels if rng.random() > 0.1 else channels + rng.choice((-1, 1)) or 2
        spatial = rank if rank > 1 else rng.choice((0, 1))
        shape = [rng.randint(1, 3), c, *dims(rng, spatial, 1, 3)]
        if rng.random() < 0.08:
            shape = shape[1:] if rng.random() < 0.5 else [*shape, 2]  # wrong rank (no unbatched form)
        # The module as constructed (training mode): one value per channel fails there.
        real = run_torch(torch, layer, kwargs, tuple(shape))
        tally.check("pytorch", layer, kwargs, kwargs, tuple(shape), real)
    tally.assert_floor(CONFIGS_PER_LAYER)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_torch_instancenorm_matches_pytorch(rng, torch, rank):
    tally = Tally.strict()
    layer = f"InstanceNorm{rank}d"
    for _ in range(CONFIGS_PER_LAYER):
        channels = rng.randint(1, 5)
        kwargs = {"num_features": channels}
        for flag in ("affine", "track_running_stats", "bias"):
            if rng.random() < 0.35:
                kwargs[flag] = rng.random() < 0.5
        if rng.random() < 0.2:
            kwargs["momentum"] = rng.choice((None, 0.3))
        if rng.random() < 0.2:
            kwargs["eps"] = rng.choice((1e-3, 0.0))
        c = channels if rng.random() > 0.25 else channels + rng.choice((-1, 1)) or 2
        if rng.random() < 0.04:
            kwargs["num_features"] = rng.choice((0, -2))
        kwargs = misspell(rng, kwargs, ("affine", "num_features"))
        shape = [rng.randint(1, 3), c, *dims(rng, rank, 1, 4)]
        if rng.random() < 0.3:
            shape = shape[1:]  # unbatched: the channels are dim 0
        if rng.random() < 0.1:
            shape = shape[1:] if rng.random() < 0.5 else [*shape, 2]  # maybe a wrong rank
        # The module as constructed (training mode): one spatial element fails there.
        real = run_torch(torch, layer, kwargs, tuple(shape))
        tally.check("pytorch", layer, kwargs, kwargs, tuple(shape), real)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=5)


def test_torch_layernorm_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        shape = dims(rng, rng.randint(1, 4), 1, 4)
        count = rng.randint(1, len(shape))
        normalized = list(shape[-count:])
        roll = rng.random()
        if roll < 0.1:
            normalized[rng.randrange(count)] += 1
        elif roll < 0.15:
            normalized = [2, *shape]  # longer than the input
        kwargs = {"normalized_shape": normalized[0] if len(normalized) == 1 and rng.random() < 0.5 else normalized}
        for flag in ("elementwise_affine", "bias"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        kwargs = misspell(rng, kwargs, ("bias",))
        tally.check(
            "pytorch", "LayerNorm", kwargs, kwargs, tuple(shape), run_torch(torch, "LayerNorm", kwargs, tuple(shape))
        )
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_torch_groupnorm_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        groups = rng.randint(1, 4)
        channels = groups * rng.randint(1, 3) + (rng.randint(1, groups - 1) if groups > 1 and rng.random() < 0.1 else 0)
        kwargs = {"num_groups": groups, "num_channels": channels}
        for flag in ("affine", "bias"):
            if rng.random() < 0.3:
                kwargs[flag] = rng.random() < 0.5
        c = channels if rng.random() > 0.1 else channels + rng.choice((-1, 1, groups))
        shape = (rng.randint(1, 3), max(c, 1), *dims(rng, rng.randint(0, 3), 1, 3))
        if rng.random() < 0.03:
            shape = (channels,)
        tally.check("pytorch", "GroupNorm", kwargs, kwargs, shape, run_torch(torch, "GroupNorm", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- shape-keeping layers: one table of parameter draws -------------------------------------------------

RATES = (0.0, 0.25, 0.5, 1.0, 1.0, -0.1, 1.5)
ACTIVATION_NAMES = [*sorted(KERAS_ACTIVATIONS), "ReLU", "swish2", None]


def draw_rate(rng, name: str) -> dict:
    return {name: rng.choice(RATES)}


def draw_axis(rng, rank: int, name: str, allow_list: bool) -> dict:
    if allow_list and rng.random() < 0.2:
        return {name: [rng.randint(-rank - 1, rank) for _ in range(rng.randint(1, 2))]}
    return {name: rng.randint(-rank - 1, rank) if rng.random() < 0.3 else rng.randint(-rank, rank - 1)}


def draw_foreign(rng, kwargs: dict) -> dict:
    """Now and then a keyword of another module ('dim'): both PyTorch and the engine must refuse it."""
    return {**kwargs, "dim": 1} if rng.random() < 0.15 else kwargs


def draw_inplace(rng) -> dict:
    return draw_foreign(rng, {"inplace": rng.random() < 0.5} if rng.random() < 0.5 else {})


def draw_clip(rng) -> dict:
    """Hardtanh's clip range, now and then empty or reversed, in the current or deprecated spelling."""
    kwargs = {}
    for name, old in (("min_val", "min_value"), ("max_val", "max_value")):
        if rng.random() < 0.6:
            kwargs[old if rng.random() < 0.15 else name] = rng.choice((-1.0, -2, 0, 0.5, 1, 3))
    return kwargs


# layer -> (draw params, rank range (low, high) or ranks to pick from, may use None dims, minimum rejected configs)
KERAS_CASES = {
    "Dropout": (lambda rng, r: draw_rate(rng, "rate"), (1, 5), True, 5),
    "SpatialDropout1D": (lambda rng, r: draw_rate(rng, "rate"), (3, 3, 3, 3, 2, 4), True, 5),
    "SpatialDropout2D": (
        lambda rng, r: {**draw_rate(rng, "rate"), **({"data_format": "channels_first"} if rng.random() < 0.3 else {})},
        (4, 4, 4, 4, 3, 5),
        True,
        5,
    ),
    "SpatialDropout3D": (lambda rng, r: draw_rate(rng, "rate"), (5, 5, 5, 5, 4, 6), True, 5),
    "Activation": (lambda rng, r: {"activation": rng.choice(ACTIVATION_NAMES)}, (1, 4), False, 3),
    "ReLU": (
        lambda rng, r: {
            k: v
            for k, v in (
                ("max_value", rng.choice((None, 6.0, 0.0, -1.0))),
                ("negative_slope", rng.choice((0.0, 0.1, -0.2))),
                ("threshold", rng.choice((0.0, 0.5, -1.0))),
            )
            if rng.random() < 0.5
        },
        (1, 4),
        True,
        3,
    ),
    "LeakyReLU": (
        lambda rng, r: {rng.choice(("negative_slope", "alpha")): rng.choice((0.3, 0.01, 0.0, -0.1))},
        (1, 4),
        True,
        3,
    ),
    "ELU": (lambda rng, r: {"alpha": rng.choice((1.0, 0.5, -1.0))}, (1, 4), True, 0),
    "Softmax": (lambda rng, r: draw_axis(rng, r, "axis", allow_list=True), (1, 4), False, 5),
    "GaussianNoise": (
        lambda rng, r: {"stddev": rng.choice((0.0, 0.1, 0.5, 1.0, 1.5, -0.1))} if rng.random() < 0.95 else {},
        (1, 5),
        True,
        5,
    ),
    "GaussianDropout": (lambda rng, r: draw_rate(rng, "rate"), (1, 5), True, 5),
    "AlphaDropout": (
        lambda rng, r: {**draw_rate(rng, "rate"), **({"noise_shape": (1, 1)} if rng.random() < 0.2 else {})},
        (1, 5),
        True,
        5,
    ),
    "ActivityRegularization": (
        lambda rng, r: {
            k: rng.choice((0.0, 0.01, 2, None, -0.1, float("inf"))) for k in ("l1", "l2") if rng.random() < 0.5
        },
        (1, 4),
        True,
        5,
    ),
    # None and strings fail only when a real tensor is compared (the test gives them known dims).
    "Masking": (
        lambda rng, r: {"mask_value": rng.choice((0.0, 1.0, -1, 0.5, None, "a"))} if rng.random() < 0.8 else {},
        (1, 4),
        True,
        3,
    ),
    "Identity": (lambda rng, r: {}, (1, 4), True, 0),
}

TORCH_CASES = {
    "Dropout": (lambda rng, r: draw_rate(rng, "p"), (1, 5), 5),
    "Dropout1d": (lambda rng, r: draw_rate(rng, "p"), (2, 3, 2, 3, 1, 4), 5),
    "Dropout2d": (lambda rng, r: draw_rate(rng, "p"), (1, 5), 5),
    "Dropout3d": (lambda rng, r: draw_rate(rng, "p"), (1, 6), 5),
    "ReLU": (lambda rng, r: {"inplace": rng.random() < 0.5}, (1, 4), 1),
    "LeakyReLU": (lambda rng, r: {"negative_slope": rng.choice((0.01, 0.2, -0.5))}, (1, 4), 1),
    "Tanh": (lambda rng, r: {}, (1, 4), 1),
    "Sigmoid": (lambda rng, r: {}, (1, 4), 1),
    "GELU": (lambda rng, r: {"approximate": rng.choice(("none", "tanh", "tanh", "erf"))}, (1, 4), 5),
    "ELU": (lambda rng, r: {"alpha": rng.choice((1.0, 0.5, -1.0))}, (1, 4), 1),
    "SiLU": (lambda rng, r: {}, (1, 4), 1),
    "Softmax": (lambda rng, r: draw_axis(rng, r, "dim", allow_list=False) if rng.random() < 0.9 else {}, (1, 4), 5),
    "AlphaDropout": (lambda rng, r: draw_rate(rng, "p"), (1, 5), 5),
    "Softplus": (
        lambda rng, r: (
            {
                k: v
                for k, v in (("beta", rng.choice((1.0, 2, 0.5, 0, -1.0))), ("threshold", rng.choice((20.0, 5, -1.0))))
                if rng.random() < 0.5
            }
            | draw_foreign(rng, {})
        ),
        (1, 4),
        3,
    ),
    "Hardswish": (lambda rng, r: draw_inplace(rng), (1, 4), 3),
    "Hardsigmoid": (lambda rng, r: draw_inplace(rng), (1, 4), 3),
    "Hardtanh": (lambda rng, r: draw_clip(rng), (1, 4), 5),
    "ReLU6": (lambda rng, r: draw_inplace(rng), (1, 4), 3),
    "SELU": (lambda rng, r: draw_inplace(rng), (1, 4), 3),
    "CELU": (lambda rng, r: {"alpha": rng.choice((1.0, 0.5, -1.0, 2, 0, 0.0))}, (1, 4), 5),
    "Mish": (lambda rng, r: draw_inplace(rng), (1, 4), 3),
    "Softsign": (lambda rng, r: draw_foreign(rng, {}), (1, 4), 3),
    "Tanhshrink": (lambda rng, r: draw_foreign(rng, {}), (1, 4), 3),
    "LogSoftmax": (lambda rng, r: draw_axis(rng, r, "dim", allow_list=False) if rng.random() < 0.9 else {}, (1, 4), 3),
    "Softmin": (lambda rng, r: draw_axis(rng, r, "dim", allow_list=False) if rng.random() < 0.9 else {}, (1, 4), 3),
    "Threshold": (
        lambda rng, r: {
            **{k: rng.choice((0.0, 0.5, -1, 20)) for k in ("threshold", "value") if rng.random() < 0.93},
            **draw_inplace(rng),
        },
        (1, 4),
        5,
    ),
    # nn.Identity takes any keyword (and positional) argument and ignores it: drawn, as torch must accept them.
    "Identity": (lambda rng, r: {f"unused_argument{n}": rng.random() for n in range(rng.randint(0, 3))}, (1, 4), 0),
}


@pytest.mark.parametrize("layer", sorted(KERAS_CASES))
def test_keras_shape_keeping_layers_match_keras(rng, keras, layer):
    draw, ranks, nones, min_rejected = KERAS_CASES[layer]
    tally = Tally.strict()
    for n in range(CONFIGS_PER_LAYER):
        rank = rng.choice(ranks) if len(ranks) > 2 else rng.randint(*ranks)
        shape = [rng.randint(1, 3), *dims(rng, rank - 1, 1, 4)]
        kwargs = draw(rng, rank)
        if layer == "Activation" and kwargs["activation"] == "glu" and rng.random() < 0.7:
            shape[-1] = 2 * rng.randint(1, 3)
        real_call_only = layer == "Masking" and kwargs.get("mask_value", 0.0) in (None, "a")
        shape = maybe_none(rng, shape, 0.15) if nones and not real_call_only else tuple(shape)
        if layer != "Identity":
            kwargs = misspell(rng, kwargs, tuple(kwargs) or ("name",), force=n % 15 == 7)
        tally.check("keras", layer, kwargs, kwargs, shape, run_keras(keras, layer, kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=min_rejected)


@pytest.mark.parametrize("layer", sorted(TORCH_CASES))
def test_torch_shape_keeping_layers_match_pytorch(rng, torch, layer):
    draw, ranks, min_rejected = TORCH_CASES[layer]
    tally = Tally.strict()
    for n in range(CONFIGS_PER_LAYER):
        rank = rng.choice(ranks) if len(ranks) > 2 else rng.randint(*ranks)
        shape = tuple(dims(rng, rank, 1, 4))
        kwargs = draw(rng, rank)
        kwargs = misspell(rng, kwargs, tuple(kwargs) or ("inplace",), force=n % 15 == 7)
        real = run_torch(torch, layer, kwargs, shape, errors=TORCH_ERRORS)
        tally.check("pytorch", layer, kwargs, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=min_rejected)


def test_keras_prelu_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 5)
        base = [rng.randint(1, 3), *dims(rng, rank - 1, 1, 4)]
        kwargs = {}
        roll = rng.random()
        if roll < 0.3:
            kwargs["shared_axes"] = rng.randint(0, rank)
        elif roll < 0.7:
            kwargs["shared_axes"] = [rng.randint(-1, rank) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:
            kwargs["alpha_initializer"] = "ones"
        shape = maybe_none(rng, base, 0.25)
        tally.check("keras", "PReLU", kwargs, kwargs, shape, run_keras(keras, "PReLU", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


def test_torch_prelu_matches_pytorch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        shape = tuple(dims(rng, rng.randint(1, 4), 1, 5))
        channels = shape[1] if len(shape) >= 2 else 1
        kwargs = {}
        roll = rng.random()
        if roll < 0.5:
            kwargs["num_parameters"] = channels
        elif roll < 0.65:
            kwargs["num_parameters"] = channels + rng.randint(1, 2)
        elif roll < 0.8:
            kwargs["num_parameters"] = 1
        if rng.random() < 0.2:
            kwargs["init"] = 0.1
        tally.check("pytorch", "PReLU", kwargs, kwargs, shape, run_torch(torch, "PReLU", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER)


# ---- pinned traps (literal numbers) -------------------------------------------------------------------


def test_pin_keras_batchnorm_counts_4c_of_which_2c_trainable(keras):
    r = engine.evaluate("keras", "BatchNormalization", {}, [None, 32, 32, 64])
    assert r["output_shape"] == [None, 32, 32, 64]
    assert r["param_count"] == 256 and r["trainable_params"] == 128
    assert r["weights"] == {"gamma": [64], "beta": [64], "moving_mean": [64], "moving_variance": [64]}
    assert run_keras(keras, "BatchNormalization", {}, (None, 32, 32, 64))[2:4] == (256, 128)
    r = engine.evaluate("keras", "BatchNormalization", {"center": False, "scale": False}, [None, 10])
    assert (r["param_count"], r["trainable_params"]) == (20, 0)


def test_pin_torch_batchnorm2d_counts_2c(torch):
    r = engine.evaluate("torch", "BatchNorm2d", {"num_features": 64}, [8, 64, 32, 32])
    assert r["output_shape"] == [8, 64, 32, 32]
    assert r["param_count"] == 128 and r["trainable_params"] == 128
    assert r["weights"] == {"weight": [64], "bias": [64]}
    assert run_torch(torch, "BatchNorm2d", {"num_features": 64}, (8, 64, 4, 4))[2] == 128
    assert (
        engine.evaluate("torch", "BatchNorm2d", {"num_features": 64, "affine": False}, [8, 64, 4, 4])["param_count"]
        == 0
    )


def test_pin_layer_norm_counts():
    assert engine.evaluate("keras", "LayerNormalization", {}, [None, 10, 512])["param_count"] == 1024
    assert engine.evaluate("torch", "LayerNorm", {"normalized_shape": 512}, [4, 10, 512])["param_count"] == 1024
    assert engine.evaluate("torch", "LayerNorm", {"normalized_shape": [10, 512]}, [4, 10, 512])["param_count"] == 10240
    assert (
        engine.evaluate("torch", "GroupNorm", {"num_groups": 8, "num_channels": 64}, [4, 64, 5])["param_count"] == 128
    )


def test_pin_prelu_counts():
    assert engine.evaluate("keras", "PReLU", {}, [None, 32, 32, 3])["param_count"] == 3072
    assert engine.evaluate("keras", "PReLU", {"shared_axes": [1, 2]}, [None, 32, 32, 3])["param_count"] == 3
    assert engine.evaluate("torch", "PReLU", {}, [8, 3, 32, 32])["param_count"] == 1
    assert engine.evaluate("torch", "PReLU", {"num_parameters": 3}, [8, 3, 32, 32])["param_count"] == 3


# ---- unit tests (no framework) ----------------------------------------------------------------------------


def test_none_and_symbolic_dims():
    r = engine.evaluate("keras", "BatchNormalization", {}, [None, "H", "W", "C"])
    assert r["output_shape"] == [None, "H", "W", "C"]
    assert (r["param_count"], r["trainable_params"]) == ("4*C", "2*C")
    r = engine.evaluate("keras", "LayerNormalization", {"axis": [-2, -1]}, [None, "T", "F"])
    assert r["param_count"] == "2*F*T" and r["weights"] == {"gamma": ["T", "F"], "beta": ["T", "F"]}
    assert engine.evaluate("torch", "BatchNorm1d", {"num_features": 4}, [None, 4, None])["output_shape"] == [
        None,
        4,
        None,
    ]
    assert (
        engine.evaluate("torch", "GroupNorm", {"num_groups": 2, "num_channels": 4}, ["N", "C", "L"])["param_count"] == 8
    )
    assert engine.evaluate("keras", "PReLU", {"shared_axes": 1}, [None, None, "F"])["param_count"] == "F"
    assert engine.evaluate("keras", "Activation", {"activation": "glu"}, [None, None, "F"])["output_shape"] == [
        None,
        None,
        "F/2",
    ]
    for framework, layer in (("keras", "Dropout"), ("keras", "Softmax"), ("torch", "Tanh"), ("torch", "Dropout")):
        params = {"rate": 0.5} if (framework, layer) == ("keras", "Dropout") else {}
        r = engine.evaluate(framework, layer, params, [None, "T", 7])
        assert r["output_shape"] == [None, "T", 7] and r["param_count"] == 0


@pytest.mark.parametrize(
    "framework, layer, params, shape, code, field, words",
    [
        ("keras", "BatchNormalization", {"axis": 3}, [None, 4, 5], "axis_out_of_range", "params.axis", "[-3, 2]"),
        ("keras", "BatchNormalization", {}, [None, 4, None], "unknown_dimension", "input_shape[2]", "None"),
        ("keras", "BatchNormalization", {"axis": [1, 2]}, [None, 4, 5], "invalid_param", "params.axis", "integer"),
        ("keras", "LayerNormalization", {"axis": [-1, 2]}, [None, 4, 5], "duplicate_axis", "params.axis", "twice"),
        ("keras", "LayerNormalization", {"axis": [-2, 0, 2]}, [2, 3, 4], "weight_broadcast", "params.axis", "sorted"),
        ("keras", "LayerNormalization", {"axis": [-1, 0]}, [2, 3], "layer_norm_axes", "params.axis", "trailing"),
        ("keras", "LayerNormalization", {"axis": 1}, [None, 4, 5], "layer_norm_axes", "params.axis", "(5)"),
        ("keras", "LayerNormalization", {"axis": []}, [None, 4, 5], "invalid_param", "params.axis", "at least one"),
        ("keras", "LayerNormalization", {"axis": 1}, [None, None, 5], "unknown_dimension", "input_shape[1]", "None"),
        ("pytorch", "BatchNorm2d", {"num_features": 3}, [2, 4, 5, 5], "channel_mismatch", "input_shape[1]", "3"),
        ("pytorch", "BatchNorm2d", {"num_features": 3}, [3, 5, 5], "rank_mismatch", "input_shape", "rank 4"),
        ("pytorch", "BatchNorm1d", {"num_features": 3}, [3], "rank_mismatch", "input_shape", "rank 2 or 3"),
        ("pytorch", "BatchNorm1d", {"num_features": 3, "eps": 0}, [2, 3], "invalid_param", "params.eps", "0"),
        (
            "pytorch",
            "BatchNorm1d",
            {"num_features": 3, "track_running_stats": False},
            [1, 3],
            "single_value_per_channel",
            "input_shape[0]",
            "more than 1 value per channel",
        ),
        ("pytorch", "LayerNorm", {"normalized_shape": 4}, [2, 5], "channel_mismatch", "input_shape[1]", "[*, 4]"),
        ("pytorch", "LayerNorm", {"normalized_shape": [2, 5]}, [5], "rank_mismatch", "input_shape", "[*, 2, 5]"),
        ("pytorch", "LayerNorm", {"normalized_shape": []}, [5], "invalid_param", "params.normalized_shape", "[]"),
        (
            "pytorch",
            "GroupNorm",
            {"num_groups": 3, "num_channels": 4},
            [2, 4],
            "groups_mismatch",
            "params.num_groups",
            "(3)",
        ),
        (
            "pytorch",
            "GroupNorm",
            {"num_groups": 2, "num_channels": 4},
            [2, 6],
            "channel_mismatch",
            "input_shape[1]",
            "6",
        ),
        (
            "pytorch",
            "GroupNorm",
            {"num_groups": 2, "num_channels": 4},
            [4],
            "rank_mismatch",
            "input_shape",
            "at least 2",
        ),
        ("keras", "Dropout", {"rate": 1.5}, [None, 4], "invalid_param", "params.rate", "1.5"),
        ("keras", "Dropout", {}, [None, 4], "missing_param", "params.rate", "rate"),
        ("keras", "SpatialDropout2D", {"rate": 0.1}, [None, 4, 4], "rank_mismatch", "input_shape", "rank 4"),
        ("keras", "Activation", {"activation": "Relu"}, [None, 4], "unknown_activation", "params.activation", "relu"),
        ("keras", "Activation", {"activation": "glu"}, [None, 5], "odd_length", "input_shape[1]", "5"),
        (
            "keras",
            "Activation",
            {"activation": "threshold"},
            [None, 4],
            "invalid_param",
            "params.activation",
            "threshold",
        ),
        ("keras", "ReLU", {"max_value": -1}, [None, 4], "invalid_param", "params.max_value", "-1"),
        ("keras", "LeakyReLU", {"alpha": -0.1}, [None, 4], "invalid_param", "params.alpha", "-0.1"),
        ("keras", "Softmax", {"axis": 2}, [None, 4], "axis_out_of_range", "params.axis", "[-2, 1]"),
        ("keras", "PReLU", {"shared_axes": [3]}, [None, 4, 5], "axis_out_of_range", "params.shared_axes", "3"),
        ("keras", "PReLU", {}, [None, None, 5], "unknown_dimension", "input_shape[1]", "None"),
        ("pytorch", "Dropout", {"p": -0.1}, [4], "invalid_param", "params.p", "-0.1"),
        ("pytorch", "Dropout2d", {}, [4], "rank_mismatch", "input_shape", "at least 2"),
        (
            "pytorch",
            "GroupNorm",
            {"num_groups": 2, "num_channels": 2},
            [1, 2],
            "single_value_per_group",
            "input_shape",
            "1",
        ),
        ("keras", "Softmax", {"axis": [1, -1]}, [None, 4], "duplicate_axis", "params.axis", "multiple"),
        ("pytorch", "Dropout1d", {}, [2, 3, 4, 5], "rank_mismatch", "input_shape", "rank 2 or 3"),
        ("pytorch", "GELU", {"approximate": "erf"}, [4], "invalid_param", "params.approximate", "erf"),
        ("pytorch", "Softmax", {"dim": -3}, [2, 4], "axis_out_of_range", "params.dim", "-3"),
        ("pytorch", "PReLU", {"num_parameters": 3}, [2, 4], "channel_mismatch", "input_shape[1]", "4"),
        ("pytorch", "PReLU", {"num_parameters": 3}, [4], "channel_mismatch", "params.num_parameters", "1"),
        ("pytorch", "ReLU", {"inplcae": True}, [4], "unknown_param", "params.inplcae", "inplace"),
        ("keras", "Identity", {"units": 3}, [None, 4], "unknown_param", "params.units", "takes no parameters that"),
    ],
)
def test_errors_name_code_field_and_values(framework, layer, params, shape, code, field, words):
    with pytest.raises(ShapeError) as err:
        engine.evaluate(framework, layer, params, shape)
    assert (err.value.code, err.value.field) == (code, field), repr(err.value)
    assert words in err.value.message, repr(err.value)


def test_formulas_are_reported_with_values():
    r = engine.evaluate("keras", "BatchNormalization", {}, [None, 8, 16], substitute=True)
    assert [(f["key"], f["values"]) for f in r["formulas"]] == [("keras_batchnorm_param_count", {"C_in": 16, "v": 4})]
    assert r["formulas"][0]["substituted"]["text"]
    r = engine.evaluate("torch", "LayerNorm", {"normalized_shape": 8, "bias": False}, [2, 8])
    assert [f["key"] for f in r["formulas"]] == ["norm_one_vector_param_count"] and r["param_count"] == 8
    r = engine.evaluate("keras", "Activation", {"activation": "glu"}, [None, 3, 8])
    assert r["output_shape"] == [None, 3, 4] and r["formulas"][0]["key"] == "glu_halved_length"


def test_engine_and_keras_agree_on_glu_only_in_real_calls(keras):
    """Keras's symbolic shape keeps the last axis for Activation('glu'); the real call halves it."""
    assert run_keras(keras, "Activation", {"activation": "glu"}, (2, 3, 4))[1] == (2, 3, 2)
    assert run_engine("keras", "Activation", {"activation": "glu"}, (2, 3, 4))[1] == (2, 3, 2)


def test_keras_layernorm_mixed_sign_axes_reorder_the_weights(keras):
    """Keras sorts axis values as given: [1, -3, -1] builds beta over (input[-3], input[-1], input[1])."""
    kwargs = {"axis": [1, -3, -1], "scale": False}
    real = run_keras(keras, "LayerNormalization", kwargs, (2, 1, 4))
    assert real == ("ok", (2, 4, 4), 8, 8, {"beta": (2, 4, 1)})
    assert run_engine("keras", "LayerNormalization", kwargs, (2, 1, 4)) == real
    assert run_keras(keras, "LayerNormalization", {"axis": [-1, 0]}, (2, 3))[0] == "error"
