"""Convolution traps, pinned with literal numbers against the engine and the real frameworks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import ShapeError

pytestmark = pytest.mark.conformance


def keras_shape(keras, layer: str, kwargs: dict, shape: tuple) -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(getattr(keras.layers, layer)(**kwargs)(np.zeros(shape, dtype="float32")).shape)


def torch_shape(torch, layer: str, kwargs: dict, shape: tuple, device: str = "cpu") -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = getattr(torch.nn, layer)(**kwargs).to(device)
        with torch.no_grad():
            return tuple(module(torch.zeros(shape, device=device)).shape)


def out(framework: str, layer: str, params: dict, shape) -> list:
    return engine.evaluate(framework, layer, params, list(shape))["output_shape"]


# ---- transposed convolutions ---------------------------------------------------------------------------


def test_keras_conv2d_transpose_same_explicit_zero_output_padding_even_kernel_gives_12_not_14(keras):
    explicit = {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 0}
    assert keras_shape(keras, "Conv2DTranspose", explicit, (1, 7, 7, 2)) == (1, 12, 12, 3)
    assert out("keras", "Conv2DTranspose", explicit, [None, 7, 7, 2]) == [None, 12, 12, 3]
    # Without output_padding, 'same' gives L·s = 14.
    implicit = {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}
    assert keras_shape(keras, "Conv2DTranspose", implicit, (1, 7, 7, 2)) == (1, 14, 14, 3)
    assert out("keras", "Conv2DTranspose", implicit, [None, 7, 7, 2]) == [None, 14, 14, 3]
    # k=4, s=1: 6, not 7.
    one = {"filters": 3, "kernel_size": 4, "strides": 1, "padding": "same", "output_padding": 0}
    assert keras_shape(keras, "Conv1DTranspose", one, (1, 7, 2)) == (1, 6, 3)
    assert out("keras", "Conv1DTranspose", one, [None, 7, 2]) == [None, 6, 3]


def test_keras_same_explicit_output_padding_records_p_as_half_the_kernel():
    r = engine.evaluate(
        "keras",
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 0},
        [None, 7, 7, 2],
    )
    axis = r["formulas"][0]
    assert axis["key"] == "conv_transpose_output_length"
    assert axis["values"] == {"L_in": 7, "s": 2, "p": 2, "d": 1, "k": 4, "op": 0}


def test_keras_valid_transpose_kernel_below_stride_gives_24_and_torch_23(keras, torch):
    assert keras_shape(keras, "Conv1DTranspose", {"filters": 1, "kernel_size": 2, "strides": 3}, (1, 8, 1)) == (
        1,
        24,
        1,
    )
    assert out("keras", "Conv1DTranspose", {"filters": 1, "kernel_size": 2, "strides": 3}, [None, 8, 1]) == [
        None,
        24,
        1,
    ]
    kwargs = {"in_channels": 1, "out_channels": 1, "kernel_size": 2, "stride": 3}
    assert torch_shape(torch, "ConvTranspose1d", kwargs, (1, 1, 8)) == (1, 1, 23)
    assert out("pytorch", "ConvTranspose1d", kwargs, [1, 1, 8]) == [1, 1, 23]
    # With an explicit output_padding=0 Keras agrees with torch: (L-1)s + k = 23.
    assert keras_shape(
        keras, "Conv1DTranspose", {"filters": 1, "kernel_size": 2, "strides": 3, "output_padding": 0}, (1, 8, 1)
    ) == (1, 23, 1)
    assert out(
        "keras", "Conv1DTranspose", {"filters": 1, "kernel_size": 2, "strides": 3, "output_padding": 0}, [None, 8, 1]
    ) == [None, 23, 1]


def test_torch_output_padding_below_max_of_stride_and_dilation(torch):
    # s=1, d=2, op=1: accepted although op is not below the stride. (5-1)·1 + 2·(3-1) + 1 + 1 = 10.
    ok = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 1, "dilation": 2, "output_padding": 1}
    assert torch_shape(torch, "ConvTranspose1d", ok, (1, 2, 5)) == (1, 3, 10)
    assert out("pytorch", "ConvTranspose1d", ok, [1, 2, 5]) == [1, 3, 10]
    for bad in ({**ok, "output_padding": 2}, {**ok, "stride": 2, "dilation": 1, "output_padding": 2}):
        with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
            torch_shape(torch, "ConvTranspose1d", bad, (1, 2, 5))
        with pytest.raises(ShapeError) as err:
            out("pytorch", "ConvTranspose1d", bad, [1, 2, 5])
        assert err.value.code == "output_padding_too_large" and err.value.field == "params.output_padding"


def test_torch_output_padding_is_checked_only_by_the_cpu_kernel_not_the_meta_device(torch):
    bad = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "output_padding": 2}
    assert torch_shape(torch, "ConvTranspose1d", bad, (1, 2, 5), device="meta") == (1, 3, 13)
    with pytest.raises(RuntimeError):
        torch_shape(torch, "ConvTranspose1d", bad, (1, 2, 5))
    with pytest.raises(ShapeError):
        out("pytorch", "ConvTranspose1d", bad, [1, 2, 5])


def test_torch_transposed_output_below_one_is_rejected_on_every_cpu_path(torch):
    # (1-1)·1 - 2·1 + (2-1) + 0 + 1 = 0: batch 1 raises, batch 2 (oneDNN) returns an empty axis.
    kwargs = {"in_channels": 2, "out_channels": 3, "kernel_size": 2, "padding": 1}
    with pytest.raises(RuntimeError, match="Output size is too small"):
        torch_shape(torch, "ConvTranspose1d", kwargs, (1, 2, 1))
    assert torch_shape(torch, "ConvTranspose1d", kwargs, (2, 2, 1)) == (2, 3, 0)
    for batch in ([1, 2, 1], [2, 2, 1], [2, 1]):
        with pytest.raises(ShapeError) as err:
            out("pytorch", "ConvTranspose1d", kwargs, batch)
        assert err.value.code == "output_too_small"


def test_keras_transposed_same_even_kernel_on_length_1_gives_an_empty_axis_without_error(keras):
    kwargs = {"filters": 3, "kernel_size": 2, "strides": 1, "padding": "same", "output_padding": 0}
    assert keras_shape(keras, "Conv1DTranspose", kwargs, (1, 1, 2)) == (1, 0, 3)
    assert out("keras", "Conv1DTranspose", kwargs, [None, 1, 2]) == [None, 0, 3]


# ---- H != W, unequal per-axis parameters ------------------------------------------------------------------


def test_conv2d_h_ne_w_with_unequal_per_axis_kernel_stride_padding(keras, torch):
    # torch: H floor((11 + 2 - 3)/2) + 1 = 6, W floor((20 + 4 - 5)/1) + 1 = 20.
    kwargs = {"in_channels": 3, "out_channels": 8, "kernel_size": (3, 5), "stride": (2, 1), "padding": (1, 2)}
    assert torch_shape(torch, "Conv2d", kwargs, (1, 3, 11, 20)) == (1, 8, 6, 20)
    assert out("pytorch", "Conv2d", kwargs, [1, 3, 11, 20]) == [1, 8, 6, 20]
    # Keras 'valid': H floor((11 - 3)/2) + 1 = 5, W 20 - 5 + 1 = 16; 'same': ceil(11/2) = 6, ceil(20/1) = 20.
    kk = {"filters": 8, "kernel_size": (3, 5), "strides": (2, 1)}
    assert keras_shape(keras, "Conv2D", kk, (1, 11, 20, 3)) == (1, 5, 16, 8)
    assert out("keras", "Conv2D", kk, [None, 11, 20, 3]) == [None, 5, 16, 8]
    assert keras_shape(keras, "Conv2D", {**kk, "padding": "same"}, (1, 11, 20, 3)) == (1, 6, 20, 8)
    assert out("keras", "Conv2D", {**kk, "padding": "same"}, [None, 11, 20, 3]) == [None, 6, 20, 8]


def test_conv2d_transpose_h_ne_w_with_unequal_per_axis_parameters(keras, torch):
    # torch: H (5-1)·2 - 2 + 2 + 1 + 1 = 10, W (6-1)·3 - 0 + 3 + 2 + 1 = 21.
    kwargs = {
        "in_channels": 3,
        "out_channels": 8,
        "kernel_size": (3, 4),
        "stride": (2, 3),
        "padding": (1, 0),
        "output_padding": (1, 2),
    }
    assert torch_shape(torch, "ConvTranspose2d", kwargs, (1, 3, 5, 6)) == (1, 8, 10, 21)
    assert out("pytorch", "ConvTranspose2d", kwargs, [1, 3, 5, 6]) == [1, 8, 10, 21]
    # Keras 'same' with output_padding (1, 0): H (5-1)·2 + 3 - 2·1 + 1 = 10, W (6-1)·3 + 4 - 2·2 + 0 = 15.
    kk = {"filters": 8, "kernel_size": (3, 4), "strides": (2, 3), "padding": "same", "output_padding": (1, 0)}
    assert keras_shape(keras, "Conv2DTranspose", kk, (1, 5, 6, 3)) == (1, 10, 15, 8)
    assert out("keras", "Conv2DTranspose", kk, [None, 5, 6, 3]) == [None, 10, 15, 8]


# ---- 'same' padding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [1, 2, 3, 5, 7, 10])
def test_keras_same_is_ceil_of_length_over_stride_for_any_kernel(keras, kernel):
    # ceil(5/3) = 2 and ceil(9/2) = 5, even when the kernel is longer than the input.
    assert keras_shape(
        keras, "Conv1D", {"filters": 2, "kernel_size": kernel, "strides": 3, "padding": "same"}, (1, 5, 1)
    ) == (1, 2, 2)
    assert out(
        "keras", "Conv1D", {"filters": 2, "kernel_size": kernel, "strides": 3, "padding": "same"}, [None, 5, 1]
    ) == [None, 2, 2]
    kk = {"filters": 2, "kernel_size": kernel, "strides": 2, "padding": "same"}
    assert keras_shape(keras, "Conv2D", kk, (1, 9, 9, 1)) == (1, 5, 5, 2)
    assert out("keras", "Conv2D", kk, [None, 9, 9, 1]) == [None, 5, 5, 2]


def test_torch_same_with_even_kernel_keeps_the_length(torch):
    for extra, shape, expected in (
        ({"kernel_size": 4}, (1, 2, 7), (1, 3, 7)),
        ({"kernel_size": 4, "dilation": 3}, (1, 2, 7), (1, 3, 7)),
    ):
        kwargs = {"in_channels": 2, "out_channels": 3, "padding": "same", **extra}
        assert torch_shape(torch, "Conv1d", kwargs, shape) == expected
        assert out("pytorch", "Conv1d", kwargs, shape) == list(expected)
    kwargs = {"in_channels": 2, "out_channels": 3, "kernel_size": (2, 4), "padding": "same"}
    assert torch_shape(torch, "Conv2d", kwargs, (1, 2, 7, 5)) == (1, 3, 7, 5)
    assert out("pytorch", "Conv2d", kwargs, [1, 2, 7, 5]) == [1, 3, 7, 5]


def test_torch_same_with_stride_is_rejected_in_the_constructor(torch):
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        torch.nn.Conv1d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ShapeError) as err:
        out(
            "pytorch",
            "Conv1d",
            {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": "same"},
            [1, 2, 7],
        )
    assert err.value.code == "same_with_stride"


# ---- padding_mode ------------------------------------------------------------------------------------------


def test_torch_reflect_padding_must_be_below_the_input_and_circular_at_most_the_input(torch):
    reflect = {"in_channels": 1, "out_channels": 1, "kernel_size": 1, "padding": 2, "padding_mode": "reflect"}
    assert torch_shape(torch, "Conv1d", reflect, (1, 1, 3)) == (1, 1, 7)
    assert out("pytorch", "Conv1d", reflect, [1, 1, 3]) == [1, 1, 7]
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        torch_shape(torch, "Conv1d", reflect, (1, 1, 2))
    with pytest.raises(ShapeError) as err:
        out("pytorch", "Conv1d", reflect, [1, 1, 2])
    assert err.value.code == "padding_too_large" and err.value.field == "input_shape[2]"
    circular = {**reflect, "padding_mode": "circular"}
    assert torch_shape(torch, "Conv1d", circular, (1, 1, 2)) == (1, 1, 6)
    assert out("pytorch", "Conv1d", circular, [1, 1, 2]) == [1, 1, 6]
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        torch_shape(torch, "Conv1d", circular, (1, 1, 1))
    with pytest.raises(ShapeError):
        out("pytorch", "Conv1d", circular, [1, 1, 1])
    # 'same' with an even kernel pads (k-1)//2 left and the rest right: 2 on the right for k=4.
    same = {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "padding": "same", "padding_mode": "reflect"}
    assert torch_shape(torch, "Conv1d", same, (1, 1, 3)) == (1, 1, 3)
    with pytest.raises(RuntimeError):
        torch_shape(torch, "Conv1d", same, (1, 1, 2))
    with pytest.raises(ShapeError):
        out("pytorch", "Conv1d", same, [1, 1, 2])


# ---- depthwise and separable -------------------------------------------------------------------------------


def test_keras_depthwise_and_separable_parameter_counts_and_stride_with_dilation(keras):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)
        depthwise(np.zeros((1, 9, 9, 3), dtype="float32"))
        separable = keras.layers.SeparableConv2D(4, 3, depth_multiplier=2)
        separable(np.zeros((1, 9, 9, 3), dtype="float32"))
    # 3·3·3·2 + 3·2 = 60; 3·3·3·2 + 3·2·4 + 4 = 82.
    assert depthwise.count_params() == 60
    assert (
        engine.evaluate("keras", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, [None, 9, 9, 3])[
            "param_count"
        ]
        == 60
    )
    assert separable.count_params() == 82
    assert (
        engine.evaluate(
            "keras", "SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, [None, 9, 9, 3]
        )["param_count"]
        == 82
    )
    # Unlike Conv2D, DepthwiseConv2D accepts strides > 1 with dilation_rate > 1: floor((9 - 5)/2) + 1 = 3.
    assert keras_shape(
        keras, "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, (1, 9, 9, 3)
    ) == (1, 3, 3, 3)
    assert out("keras", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, [None, 9, 9, 3]) == [
        None,
        3,
        3,
        3,
    ]
    with pytest.raises(ValueError, match="dilation_rate"):
        keras.layers.Conv2D(3, 3, strides=2, dilation_rate=2)
    with pytest.raises(ShapeError):
        out("keras", "Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, [None, 9, 9, 3])
