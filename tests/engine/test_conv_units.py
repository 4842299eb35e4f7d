"""Convolution declarations without the frameworks: error codes, fields and messages; None and symbolic dims."""

from __future__ import annotations

import pytest

import engine
from engine import ShapeError, get_layer, layers

CONV_LAYERS = {
    "keras": [
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    ],
    "pytorch": ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"],
}  # fmt: skip


def shape_of(framework, layer, params, shape):
    return engine.evaluate(framework, layer, params, shape)["output_shape"]


def error_of(framework, layer, params, shape) -> ShapeError:
    with pytest.raises(ShapeError) as err:
        engine.evaluate(framework, layer, params, shape)
    return err.value


# ---- declarations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("framework,name", [(fw, n) for fw, names in CONV_LAYERS.items() for n in names])
def test_every_conv_layer_is_declared_with_category_note_and_formulas(framework, name):
    spec = get_layer(framework, name)
    info = spec.describe()
    assert info["category"] == "convolution"
    assert "Dumoulin" in info["note"]
    assert info["formulas"], "the formulas the layer can use are listed"
    assert all(f["text"].startswith(("L_out = ", "P = ")) for f in info["formulas"])


def test_equivalents_point_at_each_other():
    for rank in (1, 2, 3):
        assert get_layer("keras", f"Conv{rank}DTranspose").equivalent == f"ConvTranspose{rank}d"
        assert get_layer("pytorch", f"ConvTranspose{rank}d").equivalent == f"Conv{rank}DTranspose"
    assert get_layer("keras", "DepthwiseConv2D").equivalent == "Conv2d"
    assert get_layer("keras", "SeparableConv2D").equivalent is None


def test_formula_keys_are_unique_across_the_engine():
    seen = {}
    for spec in layers():
        for formula in spec.formulas:
            assert seen.setdefault(formula.key, formula) is formula, f"formula key {formula.key} declared twice"


@pytest.mark.parametrize(
    "alias,name",
    [
        ("Deconvolution2D", "Conv2DTranspose"),
        ("Deconv2D", "Conv2DTranspose"),
        ("Convolution2DTranspose", "Conv2DTranspose"),
        ("Convolution1DTranspose", "Conv1DTranspose"),
        ("Deconvolution3D", "Conv3DTranspose"),
        ("Deconv3D", "Conv3DTranspose"),
        ("Convolution3DTranspose", "Conv3DTranspose"),
        ("SeparableConvolution2D", "SeparableConv2D"),
        ("SeparableConvolution1D", "SeparableConv1D"),
        ("keras.layers.DepthwiseConv2D", "DepthwiseConv2D"),
    ],
)
def test_keras_aliases(alias, name):
    assert get_layer("keras", alias).name == name


def test_positional_order_follows_the_framework():
    assert get_layer("keras", "Conv2DTranspose").positional[:6] == (
        "filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
    )  # fmt: skip
    assert get_layer("keras", "Conv3DTranspose").positional[4:6] == ("data_format", "output_padding")
    assert get_layer("keras", "DepthwiseConv2D").positional[:4] == (
        "kernel_size",
        "strides",
        "padding",
        "depth_multiplier",
    )
    assert get_layer("keras", "SeparableConv2D").positional[:7] == (
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
    )  # fmt: skip
    assert get_layer("pytorch", "ConvTranspose2d").positional == (
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias",
        "dilation", "padding_mode",
    )  # fmt: skip


def test_keras_legacy_keywords_of_deconvolution2d():
    params = {"nb_filter": 3, "nb_row": 2, "nb_col": 3, "subsample": (2, 2), "border_mode": "same"}
    assert shape_of("keras", "Deconvolution2D", params, [None, 9, 2, 4]) == [None, 18, 4, 3]


def test_every_formula_an_answer_uses_is_declared_on_the_layer():
    cases = [
        (
            "keras",
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "padding": "same", "use_bias": False},
            [None, 4, 4, 1],
        ),
        ("keras", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "output_padding": 0}, [None, 4, 4, 1]),
        ("keras", "Conv1DTranspose", {"filters": 2, "kernel_size": 3}, [None, 4, 1]),
        (
            "pytorch",
            "ConvTranspose1d",
            {"in_channels": 1, "out_channels": 2, "kernel_size": 3, "bias": False},
            [1, 1, 4],
        ),
        ("keras", "DepthwiseConv2D", {"kernel_size": 3, "use_bias": False}, [None, 4, 4, 1]),
        (
            "keras",
            "SeparableConv1D",
            {"filters": 2, "kernel_size": 3, "padding": "same", "use_bias": False},
            [None, 4, 1],
        ),
        ("keras", "Conv1D", {"filters": 2, "kernel_size": 3, "use_bias": False}, [None, 4, 1]),
        (
            "pytorch",
            "Conv1d",
            {"in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": "same", "bias": False},
            [1, 1, 4],
        ),
        # activation='glu' halves the output's last axis through its own formula
        ("keras", "Dense", {"units": 4, "activation": "glu"}, [None, 3]),
        ("keras", "Conv1D", {"filters": 4, "kernel_size": 3, "activation": "glu"}, [None, 5, 1]),
        ("keras", "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "activation": "glu"}, [None, 4, 4, 1]),
        ("keras", "DepthwiseConv2D", {"kernel_size": 1, "depth_multiplier": 2, "activation": "glu"}, [None, 4, 4, 1]),
        ("keras", "SeparableConv1D", {"filters": 2, "kernel_size": 3, "activation": "glu"}, [None, 4, 1]),
        ("keras", "SimpleRNN", {"units": 4, "activation": "glu"}, [None, 1, 3]),
        (
            "keras",
            "Bidirectional",
            {"layer": {"layer": "SimpleRNN", "params": {"units": 4, "activation": "glu"}}},
            [None, 1, 3],
        ),
    ]
    for framework, name, params, shape in cases:
        declared = {f.key for f in get_layer(framework, name).formulas}
        # A wrapper's answer also shows the formulas of the layers it wraps, declared on those layers.
        for key in ("layer", "backward_layer"):
            if isinstance(params.get(key), dict):
                declared |= {f.key for f in get_layer(framework, params[key]["layer"]).formulas}
        used = {f["key"] for f in engine.evaluate(framework, name, params, shape)["formulas"]}
        assert used <= declared, (name, used - declared)


# ---- error codes, fields and messages ------------------------------------------------------------------------


def test_torch_kernel_larger_than_padded_input():
    err = error_of("pytorch", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 5}, [1, 3, 3, 9])
    assert (err.code, err.field) == ("kernel_too_large", "input_shape[2]")
    assert "kernel 5 is larger than the padded input 3" in err.message
    err = error_of("pytorch", "Conv1d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "dilation": 3}, [3, 6])
    assert (err.code, err.field) == ("kernel_too_large", "input_shape[1]")
    assert "kernel 7 (dilated) is larger than the padded input 6" in err.message


def test_torch_groups_must_divide_both_channel_counts():
    err = error_of(
        "pytorch", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "groups": 2}, [1, 3, 9, 9]
    )
    assert (err.code, err.field, err.message) == (
        "groups_mismatch",
        "params.in_channels",
        "in_channels 3 is not divisible by groups 2",
    )
    err = error_of(
        "pytorch", "ConvTranspose2d", {"in_channels": 4, "out_channels": 3, "kernel_size": 3, "groups": 2}, [1, 4, 9, 9]
    )
    assert (err.code, err.field) == ("groups_mismatch", "params.out_channels")


def test_channel_mismatch_names_the_channel_axis_batched_and_unbatched():
    params = {"in_channels": 3, "out_channels": 8, "kernel_size": 3}
    err = error_of("pytorch", "Conv2d", params, [1, 4, 9, 9])
    assert (err.code, err.field, err.message) == (
        "channel_mismatch",
        "input_shape[1]",
        "Conv2d expects in_channels 3, receives 4",
    )
    err = error_of("pytorch", "ConvTranspose2d", params, [4, 9, 9])
    assert (err.code, err.field, err.message) == (
        "channel_mismatch",
        "input_shape[0]",
        "ConvTranspose2d expects in_channels 3, receives 4",
    )


def test_torch_same_with_stride():
    err = error_of(
        "pytorch",
        "Conv2d",
        {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": "same"},
        [1, 3, 9, 9],
    )
    assert (err.code, err.field) == ("same_with_stride", "params.padding")
    assert "not supported for strided convolutions" in err.message


def test_torch_reflect_and_circular_padding_limits():
    params = {"in_channels": 1, "out_channels": 1, "kernel_size": 1, "padding": (1, 2), "padding_mode": "reflect"}
    err = error_of("pytorch", "Conv2d", params, [1, 1, 5, 2])
    assert (err.code, err.field) == ("padding_too_large", "input_shape[3]")
    assert "padding 2 on axis W is not less than the input 2" in err.message
    assert shape_of("pytorch", "Conv2d", params, [1, 1, 5, 3]) == [1, 1, 7, 7]
    assert shape_of("pytorch", "Conv2d", {**params, "padding_mode": "circular"}, [1, 1, 5, 2]) == [1, 1, 7, 6]
    assert shape_of("pytorch", "Conv2d", {**params, "padding_mode": "replicate"}, [1, 1, 1, 1]) == [1, 1, 3, 5]
    # Unknown and symbolic lengths are not checked.
    assert shape_of("pytorch", "Conv2d", params, [1, 1, None, "W"]) == [1, 1, None, "W + 4"]


def test_torch_transposed_output_padding_and_output_size():
    base = {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2}
    err = error_of("pytorch", "ConvTranspose2d", {**base, "output_padding": (0, 2)}, [3, 9, 9])
    assert (err.code, err.field) == ("output_padding_too_large", "params.output_padding")
    assert "smaller than either stride or dilation" in err.message and "output_padding=[0, 2]" in err.message
    # (2-1)·1 - 2·3 + (2-1) + 0 + 1 = -3 on W.
    err = error_of("pytorch", "ConvTranspose2d", {**base, "kernel_size": 2, "stride": 1, "padding": (0, 3)}, [3, 9, 2])
    assert (err.code, err.field) == ("output_too_small", "input_shape[2]")
    assert err.message.startswith("computed output size -3 on axis W is below 1")


def test_torch_transposed_padding_is_integers_and_padding_mode_zeros():
    base = {"in_channels": 3, "out_channels": 8, "kernel_size": 3}
    err = error_of("pytorch", "ConvTranspose2d", {**base, "padding": "same"}, [3, 9, 9])
    assert (err.code, err.field) == ("invalid_param", "params.padding")
    assert "received 'same'" in err.message
    err = error_of("pytorch", "ConvTranspose2d", {**base, "padding_mode": "reflect"}, [3, 9, 9])
    assert (err.code, err.field) == ("unsupported_padding_mode", "params.padding_mode")
    assert 'only "zeros" padding mode is supported for ConvTranspose2d' in err.message


def test_keras_transposed_output_padding_below_strides_and_no_stride_with_dilation():
    err = error_of(
        "keras",
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 2, "strides": (2, 3), "output_padding": (2, 0)},
        [None, 9, 2, 1],
    )
    assert (err.code, err.field) == ("output_padding_too_large", "params.output_padding")
    assert "at dimension 0 output_padding is 2 but strides is 2" in err.message
    err = error_of("keras", "Conv1DTranspose", {"filters": 3, "kernel_size": 2, "output_padding": 1}, [None, 9, 1])
    assert err.code == "output_padding_too_large"  # strides=1 forces output_padding=0
    err = error_of(
        "keras",
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 2, "strides": 2, "dilation_rate": (1, 2)},
        [None, 9, 2, 1],
    )
    assert (err.code, err.field) == ("stride_with_dilation", "params.strides")
    assert "received strides=[2, 2] and dilation_rate=[1, 2]" in err.message


def test_keras_valid_output_too_small_and_groups():
    err = error_of("keras", "Conv2D", {"filters": 4, "kernel_size": (3, 5)}, [None, 9, 4, 3])
    assert (err.code, err.field) == ("output_too_small", "input_shape[2]")
    assert "kernel 5 is larger than the input 4 on axis W" in err.message
    err = error_of(
        "keras",
        "Conv2D",
        {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": "channels_first"},
        [None, 3, 9, 9],
    )
    assert (err.code, err.field) == ("groups_mismatch", "input_shape[1]")
    err = error_of("keras", "SeparableConv1D", {"filters": 4, "kernel_size": 4, "dilation_rate": 2}, [None, 6, 3])
    assert (err.code, err.field) == ("output_too_small", "input_shape[1]")
    assert "kernel 7 (dilated)" in err.message


def test_keras_causal_padding_only_for_conv1d():
    assert shape_of(
        "keras", "Conv1D", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "causal"}, [None, 9, 1]
    ) == [None, 5, 2]
    for name, params, shape in (
        ("Conv2D", {"filters": 2, "kernel_size": 3}, [None, 9, 9, 1]),
        ("DepthwiseConv1D", {"kernel_size": 3}, [None, 9, 1]),
        ("SeparableConv1D", {"filters": 2, "kernel_size": 3}, [None, 9, 1]),
        ("Conv1DTranspose", {"filters": 2, "kernel_size": 3}, [None, 9, 1]),
    ):
        err = error_of("keras", name, {**params, "padding": "causal"}, shape)
        assert (err.code, err.field) == ("invalid_param", "params.padding")
        assert "received 'causal'" in err.message


def test_keras_channels_must_be_known():
    err = error_of("keras", "Conv2DTranspose", {"filters": 3, "kernel_size": 2}, [None, 9, 2, None])
    assert (err.code, err.field) == ("unknown_dimension", "input_shape[3]")
    err = error_of("keras", "DepthwiseConv2D", {"kernel_size": 2, "data_format": "channels_first"}, [None, None, 9, 2])
    assert (err.code, err.field) == ("unknown_dimension", "input_shape[1]")


def test_rank_and_unknown_parameters():
    err = error_of("keras", "Conv2DTranspose", {"filters": 3, "kernel_size": 2}, [None, 9, 2])
    assert (err.code, err.field) == ("rank_mismatch", "input_shape")
    err = error_of("pytorch", "ConvTranspose1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 2}, [1, 1, 1, 4])
    assert err.code == "rank_mismatch" and "rank 2 or 3" in err.message
    err = error_of("keras", "Conv2DTranspose", {"filters": 3, "kernel_size": 2, "groups": 2}, [None, 9, 2, 1])
    assert (err.code, err.field) == ("unknown_param", "params.groups")
    err = error_of("keras", "Conv2DTranspose", {"filters": 3, "kernel_size": 2, "output_paddin": 1}, [None, 9, 2, 1])
    assert "did you mean output_padding" in err.message
    err = error_of("keras", "DepthwiseConv2D", {"kernel_size": 2, "depth_multiplier": 0}, [None, 9, 2, 1])
    assert (err.code, err.field) == ("invalid_param", "params.depth_multiplier")


# ---- None and symbolic dimensions -------------------------------------------------------------------------------


def test_symbolic_torch_conv_stride_2_kernel_3():
    r = engine.evaluate(
        "pytorch", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2}, [1, 3, "H", "W"]
    )
    assert r["output_shape"] == [1, 8, "floor((H - 3)/2) + 1", "floor((W - 3)/2) + 1"]
    assert r["param_count"] == 224


def test_symbolic_and_none_dims_in_transposed_convolutions():
    params = {"in_channels": 4, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    assert shape_of("pytorch", "ConvTranspose2d", params, [None, 4, "H", None]) == [None, 3, "2*H", None]
    # A padding so large that small H would fail is not rejected while H is unknown.
    assert shape_of("pytorch", "ConvTranspose1d", {**params, "padding": 9}, [4, "L"]) == [3, "2*L - 16"]
    assert shape_of(
        "keras", "Conv2DTranspose", {"filters": 3, "kernel_size": 2, "strides": 2}, [None, "H", None, 4]
    ) == [None, "2*H", None, 3]
    assert shape_of("keras", "Conv1DTranspose", {"filters": 3, "kernel_size": 2, "strides": 3}, [None, "T", 4]) == [
        None,
        "3*T",
        3,
    ]
    assert shape_of("keras", "Conv1DTranspose", {"filters": 3, "kernel_size": 5, "strides": 3}, [None, "T", 4]) == [
        None,
        "3*T + 2",
        3,
    ]
    same = {"filters": 3, "kernel_size": (2, 3), "strides": 2, "padding": "same", "output_padding": 1}
    assert shape_of("keras", "Conv2DTranspose", same, [None, "H", "W", 4]) == [None, "2*H - 1", "2*W", 3]


def test_symbolic_and_none_dims_in_keras_convolutions():
    assert shape_of(
        "keras", "Conv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, [None, "H", None, 4]
    ) == [None, "ceil(H/2)", None, 3]
    assert shape_of("keras", "Conv1D", {"filters": 3, "kernel_size": 9}, [None, None, 4]) == [None, None, 3]
    r = engine.evaluate("keras", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, [None, "H", 9, "C"])
    assert r["output_shape"] == [None, "H - 2", 7, "2*C"]
    assert r["param_count"] == "20*C"
    assert r["weights"] == {"kernel": [3, 3, "C", 2], "bias": ["2*C"]}
    r = engine.evaluate("keras", "SeparableConv2D", {"filters": 4, "kernel_size": 3}, [None, 9, "W", "C"])
    assert r["output_shape"] == [None, 7, "W - 2", 4]
    assert r["param_count"] == "13*C + 4"


def test_weights_and_counts_of_transposed_layers():
    r = engine.evaluate(
        "pytorch",
        "ConvTranspose2d",
        {"in_channels": 4, "out_channels": 6, "kernel_size": (2, 3), "groups": 2},
        [1, 4, 5, 5],
    )
    assert r["weights"] == {"weight": [4, 3, 2, 3], "bias": [6]}
    assert r["param_count"] == r["trainable_params"] == 4 * 3 * 6 + 6
    r = engine.evaluate(
        "keras", "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "use_bias": False}, [None, 9, 9, 3]
    )
    assert r["weights"] == {"kernel": [3, 3, 4, 3]}
    assert r["param_count"] == 108
    assert r["output_shape"] == [None, 11, 11, 4]
