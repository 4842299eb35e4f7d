"""Traps of InstanceNorm1d/2d/3d, GroupNormalization, UnitNormalization and the shape-keeping layers added
with them, pinned with literal numbers (each against a real PyTorch / Keras call where it matters), then
unit tests without a framework: error codes, messages and fields, None and symbolic dims.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
import engine.snippet
from engine import ShapeError
from tests.engine.conformance import run_engine
from tests.engine.test_conformance_reshape import run_keras, run_torch

TORCH_ERRORS = (ValueError, RuntimeError, TypeError, IndexError, ZeroDivisionError, AssertionError)


def engine_error(framework: str, layer: str, params: dict, shape: list) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        engine.evaluate(framework, layer, params, shape)
    return info.value


# ---- PyTorch InstanceNorm -------------------------------------------------------------------------------


def test_instancenorm1d_reads_a_2d_input_as_unbatched_channels_first(torch):
    """BatchNorm1d takes (N, C); InstanceNorm1d reads the same 2-D tensor as (C, L)."""
    params = {"num_features": 3, "affine": True}
    error = engine_error("torch", "InstanceNorm1d", params, [8, 3])
    assert (error.code, error.field) == ("channel_mismatch", "input_shape[0]")
    assert "3" in error.message and "8" in error.message
    assert run_torch(torch, "InstanceNorm1d", params, (8, 3))[0] == "error"
    assert run_torch(torch, "InstanceNorm1d", params, (3, 8)) == ("ok", (3, 8), 6, 6, {"weight": (3,), "bias": (3,)})
    assert run_engine("pytorch", "InstanceNorm1d", params, (3, 8)) == run_torch(torch, "InstanceNorm1d", params, (3, 8))
    assert engine.evaluate("torch", "BatchNorm1d", {"num_features": 3}, [8, 3])["output_shape"] == [8, 3]


def test_instancenorm_without_affine_only_warns_about_num_features(torch):
    """The defaults (affine=False, track_running_stats=False) build nothing of size num_features."""
    answer = engine.evaluate("torch", "InstanceNorm2d", {"num_features": 64}, [2, 3, 8, 8])
    assert answer["output_shape"] == [2, 3, 8, 8] and answer["param_count"] == 0 and answer["weights"] == {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = torch.nn.InstanceNorm2d(64)(torch.zeros(2, 3, 8, 8))
    assert tuple(out.shape) == (2, 3, 8, 8)
    assert any("does not match num_features" in str(w.message) for w in caught)
    # Running statistics have num_features entries: then the channel count is checked.
    params = {"num_features": 64, "track_running_stats": True}
    error = engine_error("torch", "InstanceNorm2d", params, [2, 3, 8, 8])
    assert (error.code, error.field) == ("channel_mismatch", "input_shape[1]") and "64" in error.message
    assert run_torch(torch, "InstanceNorm2d", params, (2, 3, 8, 8))[0] == "error"


def test_instancenorm_affine_counts_2c_and_running_stats_are_buffers(torch):
    params = {"num_features": 64, "affine": True, "track_running_stats": True}
    answer = engine.evaluate("torch", "InstanceNorm2d", params, [8, 64, 32, 32])
    assert (answer["param_count"], answer["trainable_params"]) == (128, 128)
    assert answer["weights"] == {"weight": [64], "bias": [64]}
    module = torch.nn.InstanceNorm2d(**params)
    assert sum(p.numel() for p in module.parameters()) == 128
    assert sum(b.numel() for b in module.buffers()) == 64 + 64 + 1  # running_mean, running_var, num_batches_tracked
    no_bias = engine.evaluate(
        "torch", "InstanceNorm3d", {"num_features": 5, "affine": True, "bias": False}, [5, 2, 3, 4]
    )
    assert no_bias["param_count"] == 5 and no_bias["weights"] == {"weight": [5]}


# PyTorch layers whose training and eval modes differ in what they accept: the engine answers for the module
# as constructed (training mode), and its message says what .eval() changes. (layer, params, shape, runs in eval)
MODE_DEPENDENT = [
    ("BatchNorm1d", {"num_features": 3}, (1, 3), True),  # issue 12: one value per channel
    ("BatchNorm1d", {"num_features": 3}, (1, 3, 1), True),
    ("BatchNorm2d", {"num_features": 3}, (1, 3, 1, 1), True),
    ("BatchNorm3d", {"num_features": 2, "affine": False}, (1, 2, 1, 1, 1), True),
    ("BatchNorm1d", {"num_features": 3, "track_running_stats": False}, (1, 3), False),
    ("InstanceNorm1d", {"num_features": 3, "track_running_stats": True}, (2, 3, 1), True),
    ("InstanceNorm2d", {"num_features": 3, "track_running_stats": True, "affine": True}, (3, 1, 1), True),
    ("InstanceNorm2d", {"num_features": 3}, (2, 3, 1, 1), False),
    ("Dropout2d", {"p": 0.5}, (3,), True),  # issue 12: feature dropout on a rank-1 input
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "dropout": 1.5}, (5, 2, 8), True),
]


def _run(torch, layer, params, shape, eval_mode):
    extra = dict(eval_mode=eval_mode)
    if layer == "MultiheadAttention":
        module = torch.nn.MultiheadAttention(**params)
        module.train(not eval_mode)
        x = torch.zeros(shape)
        try:
            with torch.no_grad():
                return ("ok", tuple(module(x, x, x)[0].shape))
        except (RuntimeError, ValueError) as err:
            return ("error", str(err))
    return run_torch(torch, layer, params, shape, **extra)


@pytest.mark.parametrize("layer, params, shape, runs_in_eval", MODE_DEPENDENT)
def test_torch_layers_are_answered_in_training_mode_with_a_note_on_eval(torch, layer, params, shape, runs_in_eval):
    assert _run(torch, layer, params, shape, eval_mode=False)[0] == "error"  # as constructed
    assert (_run(torch, layer, params, shape, eval_mode=True)[0] == "ok") is runs_in_eval
    error = engine_error("torch", layer, params, list(shape))
    assert "training mode" in error.message and ".eval()" in error.message
    assert ("after .eval() it r" in error.message) is runs_in_eval  # "it runs" / "it returns the input"


def test_the_same_layers_run_when_training_has_what_it_needs(torch):
    for layer, params, shape in [
        ("BatchNorm1d", {"num_features": 3}, (2, 3)),
        ("BatchNorm2d", {"num_features": 3}, (1, 3, 2, 1)),
        ("InstanceNorm1d", {"num_features": 3}, (1, 3, 2)),  # per sample: a batch of one is fine
        ("Dropout2d", {"p": 0.5}, (2, 3)),
        ("Dropout2d", {"p": 1.0}, (3,)),  # p of 0 or 1 returns early, before the rank check
    ]:
        real = run_torch(torch, layer, params, shape)
        assert real[0] == "ok" and run_engine("pytorch", layer, params, shape) == real


def test_instancenorm_num_features_may_be_anything_without_weights(torch):
    assert engine.evaluate("torch", "InstanceNorm1d", {"num_features": -2}, [2, 3, 4])["param_count"] == 0
    assert run_torch(torch, "InstanceNorm1d", {"num_features": -2}, (2, 3, 4))[0] == "ok"
    error = engine_error("torch", "InstanceNorm1d", {"num_features": -2, "affine": True}, [2, 3, 4])
    assert (error.code, error.field) == ("invalid_param", "params.num_features") and "-2" in error.message
    assert run_torch(torch, "InstanceNorm1d", {"num_features": -2, "affine": True}, (2, 3, 4))[0] == "error"


# ---- Keras GroupNormalization / UnitNormalization --------------------------------------------------------


def test_keras_groupnorm_default_32_groups_need_at_least_32_channels(keras):
    error = engine_error("keras", "GroupNormalization", {}, [None, 10, 16])
    assert (error.code, error.field) == ("groups_mismatch", "input_shape[2]")
    assert "32" in error.message and "16" in error.message
    assert run_keras(keras, "GroupNormalization", {}, (2, 10, 16))[0] == "error"
    answer = engine.evaluate("keras", "GroupNormalization", {}, [None, 10, 64])
    assert answer["param_count"] == 128 and answer["weights"] == {"gamma": [64], "beta": [64]}
    assert run_keras(keras, "GroupNormalization", {}, (2, 10, 64))[2:] == (128, 128, {"gamma": (64,), "beta": (64,)})
    error = engine_error("keras", "GroupNormalization", {"groups": 4}, [None, 10])
    assert (error.code, "10" in error.message, "4" in error.message) == ("groups_mismatch", True, True)


def test_keras_groupnorm_counts_per_channel_like_pytorch_groupnorm(keras, torch):
    keras_count = engine.evaluate("keras", "GroupNormalization", {"groups": 8}, [None, 32, 32, 64])["param_count"]
    torch_count = engine.evaluate("torch", "GroupNorm", {"num_groups": 8, "num_channels": 64}, [2, 64, 32, 32])
    assert keras_count == torch_count["param_count"] == 128
    assert run_keras(keras, "GroupNormalization", {"groups": 8}, (2, 4, 4, 64))[2] == 128
    assert engine.get_layer("keras", "GroupNormalization").equivalent == "GroupNorm"
    assert engine.get_layer("torch", "GroupNorm").equivalent == "GroupNormalization"


def test_keras_groupnorm_minus_one_is_instance_normalization(keras):
    answer = engine.evaluate("keras", "GroupNormalization", {"groups": -1}, [None, 10, 7])
    assert answer["output_shape"] == [None, 10, 7] and answer["param_count"] == 14
    assert run_keras(keras, "GroupNormalization", {"groups": -1}, (2, 10, 7))[2] == 14


def test_keras_groupnorm_axis_minus_rank_fails_only_in_a_real_call(keras):
    """call() derives the reduction axes from axis - 1 (axis -1 special-cased): -rank points past them."""
    params = {"groups": 2, "axis": -2}
    error = engine_error("keras", "GroupNormalization", params, [2, 4])
    assert (error.code, error.field) == ("invalid_axis", "params.axis") and "-2" in error.message
    assert run_keras(keras, "GroupNormalization", params, (2, 4))[0] == "error"
    assert run_keras(keras, "GroupNormalization", params, (2, 4), symbolic=True)[0] == "ok"  # the trace misses it
    # The same axis as 0 works (groups over the batch), and so does the default on any rank above 1.
    assert engine.evaluate("keras", "GroupNormalization", {"groups": 2, "axis": 0}, [2, 4])["param_count"] == 4
    assert run_keras(keras, "GroupNormalization", {"groups": 2, "axis": 0}, (2, 4))[2] == 4
    # On a rank-1 input the default axis=-1 is -rank.
    assert engine_error("keras", "GroupNormalization", {"groups": 2}, [4]).code == "invalid_axis"
    assert run_keras(keras, "GroupNormalization", {"groups": 2}, (4,))[0] == "error"


def test_keras_unitnorm_repeated_axis_fails_only_in_a_real_call(keras):
    params = {"axis": [1, -2]}
    error = engine_error("keras", "UnitNormalization", params, [None, 3, 4])
    assert (error.code, error.field) == ("duplicate_axis", "params.axis") and "twice" in error.message
    assert run_keras(keras, "UnitNormalization", params, (2, 3, 4))[0] == "error"
    assert run_keras(keras, "UnitNormalization", params, (2, None, 4))[0] == "ok"  # the trace only checks ranges
    answer = engine.evaluate("keras", "UnitNormalization", {"axis": []}, [None, 3, 4])
    assert answer["output_shape"] == [None, 3, 4] and answer["param_count"] == 0
    assert run_keras(keras, "UnitNormalization", {"axis": []}, (2, 3, 4))[:3] == ("ok", (2, 3, 4), 0)


# ---- shape-keeping layers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, shape",
    [
        ({"axis": 1}, (2, 4, 5)),  # issue 12
        ({"axis": [2]}, (2, 3, 2, 1)),  # issue 12
        ({"axis": [1], "center": False, "scale": False}, (2, 3, 4)),  # no weights: still torch's layer_norm
        ({"axis": [0, 1]}, (2, 3, 4)),
    ],
)
def test_keras_layernorm_contiguous_axes_must_be_the_trailing_dims_on_torch(keras, params, shape):
    """Keras hands contiguous axes to torch's layer_norm, which normalizes the input's trailing dims."""
    real = run_keras(keras, "LayerNormalization", params, shape)
    assert real[0] == "error" and "normalized_shape" in real[1]
    error = engine_error("keras", "LayerNormalization", params, list(shape))
    assert (error.code, error.field) == ("layer_norm_axes", "params.axis")
    assert "trailing" in error.message


@pytest.mark.parametrize(
    "params, shape",
    [
        ({"axis": [1, 2]}, (2, 3, 4)),  # the trailing dims
        ({"axis": 1}, (2, 4, 4)),  # same size as the last: torch's layer_norm accepts it
        ({"axis": [0, 2]}, (2, 3, 4)),  # not contiguous: computed by hand, any axes
        ({"axis": [1], "rms_scaling": True}, (2, 3, 4)),  # rms_scaling is computed by hand too
        ({"axis": [], "rms_scaling": True}, (2, 3, 2)),  # issue 12: no axis, one scale parameter
        ({"axis": [], "rms_scaling": True}, (5,)),
    ],
)
def test_keras_layernorm_axes_the_torch_backend_accepts(keras, params, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling is deprecated
        real = run_keras(keras, "LayerNormalization", params, shape)
    assert real[0] == "ok"
    assert run_engine("keras", "LayerNormalization", params, shape) == real


def test_keras_layernorm_empty_axis_without_rms_scaling_is_refused(keras):
    assert run_keras(keras, "LayerNormalization", {"axis": []}, (2, 3, 2))[0] == "error"
    error = engine_error("keras", "LayerNormalization", {"axis": []}, [None, 3, 2])
    assert (error.code, error.field) == ("invalid_param", "params.axis") and "rms_scaling" in error.message
    assert engine.evaluate("keras", "LayerNormalization", {"axis": [], "rms_scaling": True}, [None, 3, 2])[
        "weights"
    ] == {"gamma": []}


def test_torch_identity_takes_and_ignores_any_argument(torch):
    # Issue 12: nn.Identity(54, unused_argument1=0.1, unused_argument2=False) builds and returns its input.
    module = torch.nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    assert tuple(module(torch.zeros(2, 3)).shape) == (2, 3)
    params = {"unused_argument1": 0.1, "unused_argument2": False}
    assert run_engine("pytorch", "Identity", params, (2, 3)) == run_torch(torch, "Identity", params, (2, 3))
    parsed = engine.snippet.parse_snippet("m = nn.Identity(54, unused_argument1=0.1)", "pytorch")
    assert parsed["notes"] == [] and parsed["layers"][0]["params"] == {"unused_argument1": 0.1}
    # Keras's Identity does not: and the message no longer trails off.
    error = engine_error("keras", "Identity", {"unused_argument1": 0.1}, [None, 3])
    assert error.code == "unknown_param" and error.message.endswith("it takes no parameters that change a shape")


def test_keras_gaussian_noise_stddev_must_lie_in_0_1(keras):
    error = engine_error("keras", "GaussianNoise", {"stddev": 1.5}, [None, 8])
    assert (error.code, error.field) == ("invalid_param", "params.stddev") and "1.5" in error.message
    assert run_keras(keras, "GaussianNoise", {"stddev": 1.5}, (2, 8))[0] == "error"
    assert run_keras(keras, "GaussianNoise", {"stddev": 1.0}, (2, 8))[:3] == ("ok", (2, 8), 0)
    assert engine.evaluate("keras", "GaussianNoise", {"stddev": 1.0}, [None, 8])["output_shape"] == [None, 8]


def test_torch_hardtanh_asserts_max_above_min(torch):
    error = engine_error("torch", "Hardtanh", {"min_val": 1, "max_val": 1}, [2, 3])
    assert (error.code, error.field) == ("invalid_param", "params.max_val") and "(1)" in error.message
    real = run_torch(torch, "Hardtanh", {"min_val": 1, "max_val": 1}, (2, 3), errors=TORCH_ERRORS)
    assert real[0] == "error" and "AssertionError" in real[1]
    assert engine.evaluate("torch", "Hardtanh", {"min_value": -3, "max_value": 2}, [2, 3])["output_shape"] == [2, 3]
    assert engine_error("torch", "Hardtanh", {"min_val": 2}, [2, 3]).field == "params.max_val"  # default max 1.0


def test_torch_celu_alpha_zero_fails_when_run(torch):
    assert torch.nn.CELU(alpha=0) is not None  # the constructor accepts it
    assert run_torch(torch, "CELU", {"alpha": 0}, (2, 3), errors=TORCH_ERRORS)[0] == "error"
    error = engine_error("torch", "CELU", {"alpha": 0}, [2, 3])
    assert (error.code, error.field) == ("invalid_param", "params.alpha")


def test_alpha_dropout_links_both_frameworks(keras, torch):
    assert engine.get_layer("keras", "AlphaDropout").equivalent == "AlphaDropout"
    assert engine.get_layer("torch", "AlphaDropout").equivalent == "AlphaDropout"
    assert run_keras(keras, "AlphaDropout", {"rate": 1}, (2, 3))[:3] == ("ok", (2, 3), 0)
    assert run_torch(torch, "AlphaDropout", {"p": 1.5}, (2, 3))[0] == "error"
    assert engine_error("torch", "AlphaDropout", {"p": 1.5}, [2, 3]).field == "params.p"


# ---- unit tests (no framework) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "framework, layer, params, shape, code, field, words",
    [
        ("pytorch", "InstanceNorm1d", {"num_features": 3}, [3], "rank_mismatch", "input_shape", "2 or 3"),
        ("pytorch", "InstanceNorm2d", {"num_features": 3}, [2, 3, 4, 4, 4], "rank_mismatch", "input_shape", "3 or 4"),
        ("pytorch", "InstanceNorm3d", {"num_features": 3}, [3, 4, 4], "rank_mismatch", "input_shape", "4 or 5"),
        (
            "pytorch",
            "InstanceNorm3d",
            {"num_features": 3, "affine": True},
            [4, 2, 2, 2],
            "channel_mismatch",
            "input_shape[0]",
            "4",
        ),
        ("pytorch", "InstanceNorm1d", {}, [2, 3, 4], "missing_param", "params.num_features", "num_features"),
        ("pytorch", "InstanceNorm1d", {"num_features": 3.0}, [2, 3, 4], "invalid_param", "params.num_features", "3.0"),
        (
            "pytorch",
            "InstanceNorm1d",
            {"num_features": 3},
            [3, 1],
            "single_spatial_element",
            "input_shape[1]",
            "(3, 1)",
        ),
        ("keras", "GroupNormalization", {"groups": 0}, [None, 4], "invalid_param", "params.groups", "0"),
        ("keras", "GroupNormalization", {"groups": -2}, [None, 4], "invalid_param", "params.groups", "-1"),
        (
            "keras",
            "GroupNormalization",
            {"groups": 2, "axis": 3},
            [None, 4, 4],
            "axis_out_of_range",
            "params.axis",
            "3",
        ),
        ("keras", "GroupNormalization", {"groups": 2, "axis": [1]}, [None, 4], "invalid_param", "params.axis", "axis"),
        ("keras", "GroupNormalization", {"groups": 2}, [None, 4, None], "unknown_dimension", "input_shape[2]", "None"),
        ("keras", "GroupNormalization", {"groups": 3}, [None, 4, 8], "groups_mismatch", "input_shape[2]", "(8)"),
        ("keras", "UnitNormalization", {"axis": 2}, [None, 4], "axis_out_of_range", "params.axis", "[-2, 1]"),
        ("keras", "UnitNormalization", {"axis": None}, [None, 4], "invalid_param", "params.axis", "None"),
        ("keras", "GaussianNoise", {}, [None, 4], "missing_param", "params.stddev", "stddev"),
        ("keras", "GaussianDropout", {"rate": -0.1}, [None, 4], "invalid_param", "params.rate", "-0.1"),
        ("keras", "AlphaDropout", {"rate": 1.5}, [None, 4], "invalid_param", "params.rate", "1.5"),
        ("keras", "ActivityRegularization", {"l1": -1}, [None, 4], "invalid_param", "params.l1", "-1"),
        ("keras", "Masking", {"mask_value": "a"}, [None, 4], "invalid_param", "params.mask_value", "'a'"),
        ("pytorch", "Hardtanh", {"min_val": 3, "max_val": 2}, [4], "invalid_param", "params.max_val", "(2)"),
        ("pytorch", "Softmin", {"dim": 2}, [2, 4], "axis_out_of_range", "params.dim", "2"),
        ("pytorch", "LogSoftmax", {"dim": -3}, [2, 4], "axis_out_of_range", "params.dim", "-3"),
        ("pytorch", "Threshold", {"threshold": 0.1}, [4], "missing_param", "params.value", "value"),
        ("pytorch", "Softsign", {"dim": 1}, [4], "unknown_param", "params.dim", "Softsign"),
        ("pytorch", "Softplus", {"beta": "a"}, [4], "invalid_param", "params.beta", "'a'"),
        ("pytorch", "AlphaDropout", {"p": -0.5}, [4], "invalid_param", "params.p", "-0.5"),
    ],
)
def test_errors_name_code_field_and_values(framework, layer, params, shape, code, field, words):
    error = engine_error(framework, layer, params, shape)
    assert (error.code, error.field) == (code, field), repr(error)
    assert words in error.message, repr(error)


def test_none_and_symbolic_dims():
    # InstanceNorm: a None channel cannot be checked; symbolic sizes pass; the weights use num_features.
    r = engine.evaluate("torch", "InstanceNorm2d", {"num_features": 8, "affine": True}, [None, None, "H", "W"])
    assert r["output_shape"] == [None, None, "H", "W"] and r["param_count"] == 16
    r = engine.evaluate("torch", "InstanceNorm1d", {"num_features": 8}, ["C", "L"])
    assert r["output_shape"] == ["C", "L"] and r["param_count"] == 0
    # An unknown spatial size may be 1, or not: the engine does not refuse it.
    assert engine.evaluate("torch", "InstanceNorm1d", {"num_features": 8}, [2, 8, None])["output_shape"] == [2, 8, None]
    # GroupNormalization: a symbolic channel count gives a symbolic parameter count; None cannot build weights.
    r = engine.evaluate("keras", "GroupNormalization", {"groups": 4}, [None, "T", "C"])
    assert r["param_count"] == "2*C" and r["weights"] == {"gamma": ["C"], "beta": ["C"]}
    r = engine.evaluate("keras", "GroupNormalization", {"groups": -1, "center": False}, [None, None, "C"])
    assert r["param_count"] == "C" and r["output_shape"] == [None, None, "C"]
    assert engine.evaluate("keras", "GroupNormalization", {"groups": 2, "axis": 1}, [None, 4, None])["param_count"] == 8
    # UnitNormalization and the new shape-keeping layers keep None and symbols alike.
    for framework, layer, params in (
        ("keras", "UnitNormalization", {"axis": [1, 2]}),
        ("keras", "GaussianNoise", {"stddev": 0.1}),
        ("keras", "GaussianDropout", {"rate": 0.1}),
        ("keras", "AlphaDropout", {"rate": 0.1}),
        ("keras", "ActivityRegularization", {"l1": 0.01}),
        ("keras", "Masking", {}),
        ("torch", "Softplus", {}),
        ("torch", "Hardtanh", {}),
        ("torch", "ReLU6", {}),
        ("torch", "Softmin", {"dim": -1}),
        ("torch", "Threshold", {"threshold": 0.1, "value": 0}),
        ("torch", "AlphaDropout", {}),
    ):
        r = engine.evaluate(framework, layer, params, [None, "T", 7])
        assert r["output_shape"] == [None, "T", 7] and r["param_count"] == 0, (layer, r)


def test_formulas_are_reported_with_values():
    r = engine.evaluate("keras", "GroupNormalization", {"groups": 4, "scale": False}, [None, 12])
    assert [(f["key"], f["values"]) for f in r["formulas"]] == [("norm_one_vector_param_count", {"C_in": 12})]
    r = engine.evaluate("torch", "InstanceNorm2d", {"num_features": 6, "affine": True}, [6, 4, 4])
    assert [(f["key"], f["values"]) for f in r["formulas"]] == [("norm_affine_param_count", {"C_in": 6})]
    assert engine.evaluate("torch", "InstanceNorm2d", {"num_features": 6}, [6, 4, 4])["formulas"] == []


def test_real_zero_tensor_keeps_its_values_shape_through_masking(keras):
    """Masking zeroes masked timesteps but keeps the shape, rank 1 included."""
    assert run_keras(keras, "Masking", {"mask_value": -1}, (2,))[:3] == ("ok", (2,), 0)
    out = keras.layers.Masking()(np.zeros((2, 3, 4), dtype="float32"))
    assert tuple(out.shape) == (2, 3, 4)
