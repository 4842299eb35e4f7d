"""Pinned pooling / resampling / padding traps (literal numbers, checked against the engine and the real
frameworks), and framework-free unit tests: error codes, messages and fields; None and symbolic dims."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import sympy as sp

import engine
from engine import ShapeError
from engine.layers import conv, pool, resample

# ---- pinned traps ---------------------------------------------------------------------------------


def torch_shape(torch, module, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            return tuple(module(torch.zeros(shape)).shape)


def keras_shape(keras, layer, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(layer(np.zeros(shape, dtype="float32")).shape)


@pytest.mark.conformance
def test_trap_maxpool_ceil_mode_last_window_starts_inside(torch):
    # L=4, k=2, s=2, p=1, ceil_mode: ceil((4+2-2)/2)+1 = 3 windows would be 3... and the 4th (starting at
    # padded index 6 >= L+p = 5) is dropped: 3, not 4.
    params = {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}
    assert engine.evaluate("pytorch", "MaxPool1d", params, [1, 1, 4])["output_shape"] == [1, 1, 3]
    assert torch_shape(torch, torch.nn.MaxPool1d(2, 2, 1, ceil_mode=True), (1, 1, 4)) == (1, 1, 3)
    # L=5, k=2, s=2: ceil_mode keeps the half window at the end (3); floor mode drops it (2).
    ceil = engine.evaluate("pytorch", "MaxPool1d", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, [1, 1, 5])
    floor = engine.evaluate("pytorch", "MaxPool1d", {"kernel_size": 2, "stride": 2}, [1, 1, 5])
    assert ceil["output_shape"] == [1, 1, 3]
    assert floor["output_shape"] == [1, 1, 2]
    assert torch_shape(torch, torch.nn.MaxPool1d(2, 2, ceil_mode=True), (1, 1, 5)) == (1, 1, 3)
    assert torch_shape(torch, torch.nn.MaxPool1d(2, 2), (1, 1, 5)) == (1, 1, 2)
    assert ceil["formulas"][0]["key"] == "pool_ceil_length_torch"


@pytest.mark.conformance
def test_trap_maxpool2d_padding_limit_ignores_dilation(torch):
    # Effective kernel d(k-1)+1 = 7, yet PyTorch checks 2p <= k = 3: padding 2 is rejected.
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", "MaxPool2d", {"kernel_size": 3, "dilation": 3, "padding": 2}, [1, 1, 20, 20])
    assert err.value.code == "padding_too_large"
    assert err.value.field == "params.padding"
    assert "padding=2" in err.value.message and "kernel_size=3" in err.value.message
    with pytest.raises(RuntimeError, match="half of kernel size"):
        torch_shape(torch, torch.nn.MaxPool2d(3, dilation=3, padding=2), (1, 1, 20, 20))
    # padding 1 (2p = 2 <= 3) is fine: floor((20 + 2 - 7)/3) + 1 = 6.
    ok = engine.evaluate("pytorch", "MaxPool2d", {"kernel_size": 3, "dilation": 3, "padding": 1}, [1, 1, 20, 20])
    assert ok["output_shape"] == [1, 1, 6, 6]
    assert torch_shape(torch, torch.nn.MaxPool2d(3, dilation=3, padding=1), (1, 1, 20, 20)) == (1, 1, 6, 6)


@pytest.mark.conformance
@pytest.mark.parametrize(("size", "expected"), [(32, 16), (33, 17)])
def test_trap_keras_same_pool_and_strided_conv_agree(keras, size, expected):
    pooled = engine.evaluate("keras", "MaxPooling2D", {"pool_size": 2, "padding": "same"}, [None, size, size, 3])
    conved = engine.evaluate(
        "keras", "Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}, [None, size, size, 3]
    )
    assert pooled["output_shape"] == [None, expected, expected, 3]
    assert conved["output_shape"] == [None, expected, expected, 8]
    # Both use the one formula ceil(L/s).
    assert {f["key"] for f in pooled["formulas"]} == {"conv_same_length"}
    assert "conv_same_length" in {f["key"] for f in conved["formulas"]}
    real_pool = keras_shape(keras, keras.layers.MaxPooling2D(2, padding="same"), (1, size, size, 3))
    real_conv = keras_shape(keras, keras.layers.Conv2D(8, 3, strides=2, padding="same"), (1, size, size, 3))
    assert real_pool == (1, expected, expected, 3)
    assert real_conv == (1, expected, expected, 8)


@pytest.mark.conformance
def test_trap_upsample_9_times_1_5_is_13(torch):
    for mode, shape in (("nearest", [1, 1, 9]), ("linear", [1, 1, 9]), ("bilinear", [1, 1, 9, 9])):
        r = engine.evaluate("pytorch", "Upsample", {"scale_factor": 1.5, "mode": mode}, shape)
        assert r["output_shape"] == [*shape[:2], *([13] * (len(shape) - 2))]
        real = torch_shape(torch, torch.nn.Upsample(scale_factor=1.5, mode=mode), tuple(shape))
        assert real == (*shape[:2], *([13] * (len(shape) - 2)))


@pytest.mark.conformance
def test_trap_keras_same_pool_larger_than_input(keras):
    # 'same' gives ceil(L/s) even when the pool (5) is larger than the input (3).
    r = engine.evaluate("keras", "MaxPooling2D", {"pool_size": 5, "strides": 2, "padding": "same"}, [1, 3, 4, 2])
    assert r["output_shape"] == [1, 2, 2, 2]
    real = keras_shape(keras, keras.layers.MaxPooling2D(5, strides=2, padding="same"), (1, 3, 4, 2))
    assert real == (1, 2, 2, 2)


@pytest.mark.conformance
def test_trap_avgpool3d_checks_unpadded_input(torch):
    # AvgPool2d(3, padding=1) takes a length-2 axis; AvgPool3d(3, padding=1) does not.
    assert engine.evaluate("pytorch", "AvgPool2d", {"kernel_size": 3, "padding": 1}, [1, 1, 2, 5])["output_shape"] == [
        1,
        1,
        1,
        2,
    ]
    assert torch_shape(torch, torch.nn.AvgPool2d(3, padding=1), (1, 1, 2, 5)) == (1, 1, 1, 2)
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", "AvgPool3d", {"kernel_size": 3, "padding": 1}, [1, 1, 2, 5, 5])
    assert err.value.code == "input_smaller_than_kernel"
    assert err.value.field == "input_shape[2]"
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        torch_shape(torch, torch.nn.AvgPool3d(3, padding=1), (1, 1, 2, 5, 5))
    # MaxPool3d has no such check.
    assert torch_shape(torch, torch.nn.MaxPool3d(3, padding=1), (1, 1, 2, 5, 5)) == (1, 1, 1, 2, 2)
    assert engine.evaluate("pytorch", "MaxPool3d", {"kernel_size": 3, "padding": 1}, [1, 1, 2, 5, 5])[
        "output_shape"
    ] == [1, 1, 1, 2, 2]


@pytest.mark.conformance
@pytest.mark.parametrize(
    "pool, shape, fails",
    [
        ((2, 4, 4), (1, 8, 8, 2, 1), True),  # issue 12: every axis pads evenly (0, 0, 2), W = 2 < 4
        ((2, 4, 4), (1, 8, 8, 3, 1), False),  # W pads 1: Keras pads the tensor itself, then pools
        ((3, 3, 3), (1, 2, 5, 5, 1), False),  # stride 3: T pads 1, uneven
        ((2, 2, 2), (1, 1, 4, 4, 1), False),  # T = 1 < 2 but pads 1 (uneven): Keras pads first
        ((4, 4, 4), (1, 2, 4, 4, 1), True),  # T pads 2 (even), H and W pad 0
    ],
)
def test_trap_keras_average_pooling3d_same_on_an_axis_smaller_than_the_pool(keras, pool, shape, fails):
    # On the torch backend, 'same' padding that is even on every axis goes to avg_pool3d as its padding,
    # and avg_pool3d refuses an input (before padding) smaller than the kernel; the symbolic trace does not.
    layer = keras.layers.AveragePooling3D(pool_size=pool, padding="same")
    params = {"pool_size": pool, "padding": "same"}
    if fails:
        with pytest.raises(RuntimeError, match="smaller than kernel size"):
            keras_shape(keras, layer, shape)
        with pytest.raises(ShapeError) as err:
            engine.evaluate("keras", "AveragePooling3D", params, [None, *shape[1:]])
        assert err.value.code == "input_smaller_than_pool"
        assert "smaller than pool_size" in err.value.message
    else:
        real = keras_shape(keras, layer, shape)
        assert engine.evaluate("keras", "AveragePooling3D", params, list(shape))["output_shape"] == list(real)
    # MaxPooling3D has no such check.
    real = keras_shape(keras, keras.layers.MaxPooling3D(pool_size=pool, padding="same"), shape)
    assert engine.evaluate("keras", "MaxPooling3D", params, list(shape))["output_shape"] == list(real)


@pytest.mark.conformance
def test_trap_adaptive_avg_pool_all_ones_takes_any_rank(torch):
    r = engine.evaluate("pytorch", "AdaptiveAvgPool2d", {"output_size": 1}, [2, 3, 4, 5, 6])
    assert r["output_shape"] == [2, 3, 4, 1, 1]
    assert torch_shape(torch, torch.nn.AdaptiveAvgPool2d(1), (2, 3, 4, 5, 6)) == (2, 3, 4, 1, 1)
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", "AdaptiveAvgPool2d", {"output_size": 2}, [2, 3, 4, 5, 6])
    assert err.value.code == "rank_mismatch"
    with pytest.raises(RuntimeError):
        torch_shape(torch, torch.nn.AdaptiveAvgPool2d(2), (2, 3, 4, 5, 6))


@pytest.mark.conformance
def test_trap_torch_negative_padding_crops(torch):
    r = engine.evaluate("pytorch", "ZeroPad2d", {"padding": [1, 2, -3, 0]}, [1, 1, 3, 4])
    assert r["output_shape"] == [1, 1, 0, 7]
    assert torch_shape(torch, torch.nn.ZeroPad2d((1, 2, -3, 0)), (1, 1, 3, 4)) == (1, 1, 0, 7)
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", "ZeroPad2d", {"padding": [0, 0, -4, 0]}, [1, 1, 3, 4])
    assert (err.value.code, err.value.field) == ("negative_output", "input_shape[2]")


# ---- formulas: shared with conv, one of their own ----------------------------------------------------


def test_pool_reuses_the_conv_formulas():
    assert pool.CONV_EXPLICIT is conv.CONV_EXPLICIT
    assert pool.CONV_VALID is conv.CONV_VALID
    assert pool.CONV_SAME_KERAS is conv.CONV_SAME_KERAS
    keras_pool = engine.get_layer("keras", "AveragePooling3D")
    assert keras_pool.formulas == (conv.CONV_VALID, conv.CONV_SAME_KERAS)
    assert engine.get_layer("pytorch", "MaxPool2d").formulas == (conv.CONV_EXPLICIT, pool.POOL_CEIL_TORCH)


def test_formula_keys_unique_across_engine():
    seen = {}
    for spec in engine.layers():
        for formula in spec.formulas:
            assert seen.setdefault(formula.key, formula) is formula, f"formula key {formula.key} declared twice"


def torch_ceil_rule(length, kernel, stride, pad, dilation):
    """aten pooling_output_shape, transcribed."""
    out = (length + 2 * pad - dilation * (kernel - 1) - 1 + stride - 1) // stride + 1
    if (out - 1) * stride >= length + pad:
        out -= 1
    return out


def test_ceil_formula_matches_torch_rule_on_a_grid():
    checked = 0
    for length, kernel, stride, dilation in itertools.product(range(1, 14), range(1, 7), range(1, 5), range(1, 4)):
        for pad in range(0, kernel // 2 + 1):  # PyTorch's own limit 2p <= k
            want = torch_ceil_rule(length, kernel, stride, pad, dilation)
            got = pool.POOL_CEIL_TORCH.evaluate({"L_in": length, "k": kernel, "s": stride, "p": pad, "d": dilation})
            assert got == want, (length, kernel, stride, pad, dilation)
            checked += 1
    assert checked > 2000


def test_upsample_formula_is_the_double_product():
    # floor(L * f) in double precision, as PyTorch computes it.
    for length, factor in ((9, 1.5), (3, 1 / 3), (10, 0.7), (100, 0.29), (7, 2.5), (2**31, 1.0)):
        r = engine.evaluate("pytorch", "Upsample", {"scale_factor": factor}, [1, 1, length])
        assert r["output_shape"][2] == math.floor(float(length) * factor)
        assert r["formulas"][0]["key"] == resample.UPSAMPLE_SCALE_TORCH.key


# ---- error codes, messages, fields --------------------------------------------------------------------


def error_of(framework, layer, params, shape) -> ShapeError:
    with pytest.raises(ShapeError) as err:
        engine.evaluate(framework, layer, params, shape)
    return err.value


def test_keras_valid_pool_too_small():
    e = error_of("keras", "MaxPooling2D", {"pool_size": (3, 2)}, [None, 2, 8, 3])
    assert e.code == "output_too_small"
    assert e.field == "input_shape[1]"
    assert "pool_size 3" in e.message and "input 2" in e.message and "axis H" in e.message
    e = error_of("keras", "AveragePooling2D", {"pool_size": 3, "data_format": "channels_first"}, [None, 3, 8, 2])
    assert e.field == "input_shape[3]"


def test_keras_padding_is_case_sensitive():
    e = error_of("keras", "MaxPooling1D", {"padding": "SAME"}, [None, 8, 3])
    assert (e.code, e.field) == ("invalid_param", "params.padding")
    assert "'SAME'" in e.message


def test_torch_pool_output_too_small():
    e = error_of("pytorch", "MaxPool2d", {"kernel_size": 3}, [1, 1, 2, 5])
    assert (e.code, e.field) == ("output_too_small", "input_shape[2]")
    assert "input 2" in e.message and "kernel 3" in e.message
    e = error_of("pytorch", "MaxPool1d", {"kernel_size": 5, "dilation": 2, "ceil_mode": True, "stride": 3}, [1, 1])
    assert "(dilated)" in e.message and e.field == "input_shape[1]"


def test_torch_pool_parameter_errors():
    e = error_of("pytorch", "AvgPool2d", {"kernel_size": 3, "divisor_override": 0}, [1, 1, 6, 6])
    assert (e.code, e.field) == ("invalid_param", "params.divisor_override")
    assert "not zero" in e.message
    e = error_of("pytorch", "AvgPool1d", {"kernel_size": 3, "divisor_override": 2}, [1, 1, 6])
    assert e.code == "unknown_param"  # AvgPool1d has no divisor_override
    e = error_of("pytorch", "MaxPool2d", {"kernel_size": 3, "padding": -1}, [1, 1, 6, 6])
    assert (e.code, e.field) == ("invalid_param", "params.padding")
    e = error_of("pytorch", "MaxPool1d", {"kernel_size": (3, 2)}, [1, 1, 6])
    assert (e.code, e.field) == ("invalid_param", "params.kernel_size")
    e = error_of("pytorch", "MaxPool2d", {"kernel_sise": 3}, [1, 1, 6, 6])
    assert e.code == "unknown_param" and "kernel_size" in e.message
    e = error_of("pytorch", "MaxPool2d", {"kernel_size": 2}, [6, 6])
    assert (e.code, e.field) == ("rank_mismatch", "input_shape")


def test_adaptive_output_size_errors():
    e = error_of("pytorch", "AdaptiveAvgPool1d", {"output_size": None}, [1, 3, 8])
    assert (e.code, e.field) == ("invalid_param", "params.output_size")
    e = error_of("pytorch", "AdaptiveMaxPool1d", {"output_size": [None]}, [1, 3, 8])
    assert "None is not accepted" in e.message
    e = error_of("pytorch", "AdaptiveAvgPool2d", {"output_size": [2, 3, 4]}, [1, 3, 8, 8])
    assert (e.code, e.field) == ("invalid_param", "params.output_size")
    e = error_of("pytorch", "AdaptiveAvgPool2d", {"output_size": -1}, [1, 3, 8, 8])
    assert "greater than or equal to 0" in e.message
    e = error_of("pytorch", "AdaptiveAvgPool2d", {"output_size": [1, 1]}, [8, 8])
    assert (e.code, e.field) == ("rank_mismatch", "input_shape")


def test_upsample_errors():
    e = error_of("pytorch", "Upsample", {}, [1, 1, 8])
    assert (e.code, e.field) == ("missing_param", "params.size")
    e = error_of("pytorch", "Upsample", {"size": 4, "scale_factor": 2}, [1, 1, 8])
    assert (e.code, e.field) == ("conflicting_params", "params.size")
    e = error_of("pytorch", "Upsample", {"scale_factor": 2, "mode": "bilinear"}, [1, 1, 8])
    assert (e.code, e.field) == ("rank_mismatch", "input_shape")
    assert "4D" in e.message and "3D" in e.message
    e = error_of("pytorch", "Upsample", {"scale_factor": 2, "align_corners": False}, [1, 1, 8])
    assert (e.code, e.field) == ("invalid_param", "params.align_corners")
    e = error_of("pytorch", "Upsample", {"scale_factor": 2, "mode": "lanczos"}, [1, 1, 8, 8])
    assert "antialias" in e.message
    e = error_of("pytorch", "Upsample", {"scale_factor": 0.1}, [1, 1, 5])
    assert (e.code, e.field) == ("output_too_small", "input_shape[2]")
    e = error_of("pytorch", "Upsample", {"size": [3, 4]}, [1, 1, 5])
    assert (e.code, e.field) == ("rank_mismatch", "params.size")
    e = error_of("pytorch", "Upsample", {"size": 4, "recompute_scale_factor": True}, [1, 1, 5])
    assert e.field == "params.recompute_scale_factor"
    # 'area' is an adaptive average pool: an empty axis is allowed; a bare 0 factor means "not given".
    assert engine.evaluate("pytorch", "Upsample", {"scale_factor": 0.1, "mode": "area"}, [1, 1, 5])["output_shape"] == [
        1,
        1,
        0,
    ]
    assert engine.evaluate("pytorch", "Upsample", {"scale_factor": 0, "size": 3}, [1, 1, 5])["output_shape"] == [
        1,
        1,
        3,
    ]


def test_keras_cropping_and_padding_errors():
    e = error_of("keras", "Cropping2D", {"cropping": ((1, 1), (2, 0))}, [None, 2, 5, 3])
    assert (e.code, e.field) == ("crop_too_large", "input_shape[1]")
    assert "removes 2 of 2" in e.message
    e = error_of("keras", "Cropping3D", {"cropping": 2, "data_format": "channels_first"}, [None, 3, 9, 9, 4])
    assert e.field == "input_shape[4]"
    e = error_of("keras", "Cropping2D", {"cropping": -1}, [None, 5, 5, 3])
    assert (e.code, e.field) == ("invalid_param", "params.cropping")
    e = error_of("keras", "ZeroPadding2D", {"padding": ((1, 2), (3,))}, [None, 5, 5, 3])
    assert e.code == "invalid_param" and "2nd entry of padding" in e.message
    e = error_of("keras", "ZeroPadding1D", {"padding": -1}, [None, 5, 3])
    assert (e.code, e.field) == ("invalid_param", "params.padding")
    # A bare negative int is accepted by ZeroPadding2D (it crops) until the result is negative.
    assert engine.evaluate("keras", "ZeroPadding2D", {"padding": -1}, [None, 2, 5, 3])["output_shape"] == [
        None,
        0,
        3,
        3,
    ]
    e = error_of("keras", "ZeroPadding2D", {"padding": -2}, [None, 3, 5, 3])
    assert (e.code, e.field) == ("negative_output", "input_shape[1]")
    e = error_of("keras", "UpSampling1D", {"size": (2,)}, [None, 5, 3])
    assert (e.code, e.field) == ("invalid_param", "params.size")


def test_torch_padding_errors():
    e = error_of("pytorch", "ZeroPad2d", {"padding": [1, 2, 3]}, [1, 1, 4, 4])
    assert (e.code, e.field) == ("invalid_param", "params.padding")
    assert "divisible by 2" in e.message
    e = error_of("pytorch", "ConstantPad2d", {"padding": 1, "value": 0}, [4])
    assert (e.code, e.field) == ("rank_mismatch", "input_shape")
    assert "padding length 4" in e.message
    e = error_of("pytorch", "ConstantPad1d", {"padding": 1}, [1, 4])
    assert (e.code, e.field) == ("missing_param", "params.value")
    e = error_of("pytorch", "ZeroPad1d", {"padding": [-5, 4]}, [1, 1, 3])
    assert (e.code, e.field) == ("negative_output", "input_shape[2]")
    # A 2-tuple on ZeroPad2d pads the last axis only; ZeroPad1d pads any rank's last axis.
    assert engine.evaluate("pytorch", "ZeroPad2d", {"padding": [1, 2]}, [1, 1, 3, 3])["output_shape"] == [1, 1, 3, 6]
    assert engine.evaluate("pytorch", "ZeroPad1d", {"padding": 1}, [2, 2, 2, 3])["output_shape"] == [2, 2, 2, 5]


# ---- aliases, outputs, descriptions ----------------------------------------------------------------------


def test_keras1_aliases():
    r = engine.evaluate("keras", "MaxPooling1D", {"pool_length": 3, "stride": 1, "border_mode": "valid"}, [None, 7, 2])
    assert r["output_shape"] == [None, 5, 2]
    r = engine.evaluate("keras", "MaxPool2D", {"pool_size": 2, "dim_ordering": "th"}, [None, 3, 8, 6])
    assert r["output_shape"] == [None, 3, 4, 3]
    assert engine.evaluate("keras", "AvgPool2D", {}, [None, 8, 6, 3])["layer"] == "AveragePooling2D"
    assert engine.evaluate("keras", "GlobalAvgPool2D", {"dim_ordering": "tf"}, [None, 8, 6, 3])["output_shape"] == [
        None,
        3,
    ]
    assert engine.evaluate("keras", "UpSampling1D", {"length": 3}, [None, 4, 2])["output_shape"] == [None, 12, 2]
    e = error_of("keras", "MaxPooling2D", {"pool_size": 2, "data_format": "th"}, [None, 3, 8, 6])
    assert e.field == "params.data_format"  # 'th' is a Keras 1 dim_ordering value only


def test_max_pool_return_indices_gives_two_outputs():
    r = engine.evaluate("pytorch", "MaxPool2d", {"kernel_size": 2, "return_indices": True}, [3, 8, 6])
    assert r["outputs"] == {"output": [3, 4, 3], "indices": [3, 4, 3]}
    r = engine.evaluate("pytorch", "AdaptiveMaxPool2d", {"output_size": [None, 2], "return_indices": True}, [3, 8, 6])
    assert r["outputs"] == {"output": [3, 8, 2], "indices": [3, 8, 2]}
    assert list(engine.evaluate("pytorch", "MaxPool2d", {"kernel_size": 2}, [3, 8, 6])["outputs"]) == ["output"]


def test_no_weights_and_descriptions():
    names = {
        "keras": [
            f"{kind}{rank}D"
            for rank in (1, 2, 3)
            for kind in (
                "MaxPooling",
                "AveragePooling",
                "GlobalMaxPooling",
                "GlobalAveragePooling",
                "UpSampling",
                "ZeroPadding",
                "Cropping",
            )
        ],
        "pytorch": [
            f"{kind}{rank}d"
            for rank in (1, 2, 3)
            for kind in ("MaxPool", "AvgPool", "AdaptiveMaxPool", "AdaptiveAvgPool", "ZeroPad", "ConstantPad")
        ]
        + ["Upsample"],
    }
    for framework, layers in names.items():
        for name in layers:
            spec = engine.get_layer(framework, name)
            info = spec.describe()
            assert info["category"] in ("pooling", "resampling", "padding")
            assert info["note"]
            assert [p["name"] for p in info["params"]] == list(spec.positional)
            if info["equivalent"] is not None:
                other = "pytorch" if framework == "keras" else "keras"
                assert engine.get_layer(other, info["equivalent"]).name == info["equivalent"]
    r = engine.evaluate("keras", "ZeroPadding3D", {}, [None, 2, 3, 4, 5])
    assert (r["param_count"], r["trainable_params"], r["weights"]) == (0, 0, {})
    assert r["output_shape"] == [None, 4, 5, 6, 5]


# ---- None and symbolic dims ----------------------------------------------------------------------------


def test_none_dims_stay_none():
    assert engine.evaluate("keras", "MaxPooling2D", {}, [None, None, 8, 3])["output_shape"] == [None, None, 4, 3]
    assert engine.evaluate("keras", "MaxPooling1D", {"pool_size": 9}, [None, None, 3])["output_shape"] == [
        None,
        None,
        3,
    ]
    assert engine.evaluate("keras", "GlobalMaxPooling2D", {}, [None, "H", "W", None])["output_shape"] == [None, None]
    assert engine.evaluate("keras", "Cropping1D", {"cropping": 5}, [None, None, 3])["output_shape"] == [None, None, 3]
    assert engine.evaluate("keras", "UpSampling2D", {"size": (2, 3)}, [None, None, 4, 1])["output_shape"] == [
        None,
        None,
        12,
        1,
    ]
    assert engine.evaluate("pytorch", "Upsample", {"scale_factor": 1.5}, [1, 3, None])["output_shape"] == [1, 3, None]
    assert engine.evaluate("pytorch", "Upsample", {"size": 4}, [1, 3, None])["output_shape"] == [1, 3, 4]
    assert engine.evaluate("pytorch", "ZeroPad1d", {"padding": [-9, -9]}, [1, 3, None])["output_shape"] == [1, 3, None]
    assert engine.evaluate("pytorch", "AdaptiveAvgPool2d", {"output_size": [None, 2]}, [1, 3, None, 5])[
        "output_shape"
    ] == [1, 3, None, 2]


def test_symbolic_dims():
    ev = engine.evaluate
    assert ev("keras", "MaxPooling2D", {}, [None, "H", "W", 3])["output_shape"] == [None, "floor(H/2)", "floor(W/2)", 3]
    assert ev("keras", "AveragePooling1D", {"pool_size": 3, "strides": 2}, [None, "T", 3])["output_shape"] == [
        None,
        "floor((T - 3)/2) + 1",
        3,
    ]
    assert ev("keras", "MaxPooling2D", {"padding": "same", "strides": 2}, [None, "H", 9, 3])["output_shape"] == [
        None,
        "ceil(H/2)",
        5,
        3,
    ]
    assert ev("pytorch", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [1, 3, "H", 8])[
        "output_shape"
    ] == [
        1,
        3,
        "floor((H - 1)/2) + 1",
        4,
    ]
    ceil = ev("pytorch", "MaxPool1d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 3, "L"])
    expr = sp.sympify(
        ceil["output_shape"][2], locals={"L": sp.Symbol("L", integer=True, positive=True), "ceil": sp.ceiling}
    )
    (symbol,) = expr.free_symbols
    for length in range(1, 30):
        assert expr.subs(symbol, length) == torch_ceil_rule(length, 2, 2, 1, 1)
    assert ev("keras", "UpSampling2D", {"size": (2, 3)}, [None, "H", "W", 3])["output_shape"] == [None, "2*H", "3*W", 3]
    assert ev("keras", "ZeroPadding2D", {"padding": ((1, 2), 0)}, [None, "H", "W", 3])["output_shape"] == [
        None,
        "H + 3",
        "W",
        3,
    ]
    assert ev("keras", "Cropping1D", {}, [None, "T", 3])["output_shape"] == [None, "T - 2", 3]
    assert ev("pytorch", "ZeroPad2d", {"padding": [-1, -1, 2, 0]}, [1, 3, "H", "W"])["output_shape"] == [
        1,
        3,
        "H + 2",
        "W - 2",
    ]
    assert ev("pytorch", "AdaptiveMaxPool2d", {"output_size": [None, 1]}, ["N", "C", "H", "W"])["output_shape"] == [
        "N",
        "C",
        "H",
        1,
    ]


def test_symbolic_upsample_uses_an_exact_fraction():
    r = engine.evaluate("pytorch", "Upsample", {"scale_factor": 1.5}, [1, 3, "L"], substitute=True)
    assert r["output_shape"] == [1, 3, "floor((3*L)/2)"]
    r = engine.evaluate("pytorch", "Upsample", {"scale_factor": 0.7}, [1, 3, "L"], substitute=True)
    assert r["output_shape"] == [1, 3, "floor((7*L)/10)"]
    assert "." not in r["output_shape"][2] and "." not in r["formulas"][0]["substituted"]["text"]
    # At L = 10 the fraction gives 7, as PyTorch's double product 10 * 0.7 = 7.0 does.
    assert engine.evaluate("pytorch", "Upsample", {"scale_factor": 0.7}, [1, 3, 10])["output_shape"] == [1, 3, 7]
    assert math.floor(10 * 0.7) == 7


def test_trace_through_pool_upsample_pad():
    t = engine.trace(
        "pytorch",
        [1, 3, 32, "W"],
        [
            {"layer": "MaxPool2d", "params": {"kernel_size": 2}},
            {"layer": "nn.Upsample", "params": {"scale_factor": 1.5}},
            {"layer": "ZeroPad2d", "params": {"padding": [1, 0, 2, 0]}},
            {"layer": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        ],
    )
    assert [s["output_shape"] for s in t["layers"]] == [
        [1, 3, 16, "floor(W/2)"],
        [1, 3, 24, "floor((3*floor(W/2))/2)"],
        [1, 3, 26, "floor((3*floor(W/2))/2) + 1"],
        [1, 3, 1, 1],
    ]
    assert t["total_params"] == 0
    with pytest.raises(ShapeError) as err:
        engine.trace(
            "keras", [None, 5, 5, 3], [{"layer": "MaxPooling2D"}, {"layer": "MaxPooling2D", "params": {"pool_size": 3}}]
        )
    assert err.value.layer_index == 1 and err.value.field == "layers[1].input_shape[1]"
