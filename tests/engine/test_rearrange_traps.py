"""Pinned traps of the rearranging layers (PixelShuffle, PixelUnshuffle, ChannelShuffle, Unfold, Fold) with
literal numbers, checked against the engine and real PyTorch; then framework-free unit tests: error codes,
messages and fields, None and symbolic dims, the formulas used."""

from __future__ import annotations

import warnings

import pytest

import engine
from engine import ShapeError
from engine.layers import conv, rearrange, reshape


def torch_shape(torch, module, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            return tuple(module(torch.zeros(shape)).shape)


def shape_of(layer, params, shape):
    return engine.evaluate("pytorch", layer, params, shape)["output_shape"]


def error_of(layer, params, shape) -> ShapeError:
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", layer, params, shape)
    return err.value


# ---- pinned traps ---------------------------------------------------------------------------------------


@pytest.mark.conformance
def test_trap_pixel_shuffle_8_channels_by_2(torch):
    # 8 = 2·2² channels become 2; H 3 -> 6, W 5 -> 10.
    assert shape_of("PixelShuffle", {"upscale_factor": 2}, [1, 8, 3, 5]) == [1, 2, 6, 10]
    assert torch_shape(torch, torch.nn.PixelShuffle(2), (1, 8, 3, 5)) == (1, 2, 6, 10)
    # No batch at all (rank 3) and two leading dims both work.
    assert shape_of("PixelShuffle", {"upscale_factor": 2}, [8, 3, 5]) == [2, 6, 10]
    assert torch_shape(torch, torch.nn.PixelShuffle(2), (8, 3, 5)) == (2, 6, 10)
    assert shape_of("PixelShuffle", {"upscale_factor": 2}, [2, 1, 8, 3, 5]) == [2, 1, 2, 6, 10]
    assert torch_shape(torch, torch.nn.PixelShuffle(2), (2, 1, 8, 3, 5)) == (2, 1, 2, 6, 10)


@pytest.mark.conformance
def test_trap_pixel_shuffle_needs_r_squared_not_r(torch):
    # The channels must divide by r² = 9, not by r = 3: 18 = 2·9 passes, 12 = 4·3 does not.
    assert shape_of("PixelShuffle", {"upscale_factor": 3}, [1, 18, 2, 2]) == [1, 2, 6, 6]
    err = error_of("PixelShuffle", {"upscale_factor": 3}, [1, 12, 2, 2])
    assert (err.code, err.field) == ("not_divisible", "input_shape[1]")
    assert "input.size(-3)=12 is not divisible by 9" in err.message
    with pytest.raises(RuntimeError, match="not divisible by 9"):
        torch_shape(torch, torch.nn.PixelShuffle(3), (1, 12, 2, 2))


@pytest.mark.conformance
def test_trap_pixel_unshuffle_checks_height_before_width(torch):
    assert shape_of("PixelUnshuffle", {"downscale_factor": 2}, [1, 2, 6, 4]) == [1, 8, 3, 2]
    assert torch_shape(torch, torch.nn.PixelUnshuffle(2), (1, 2, 6, 4)) == (1, 8, 3, 2)
    err = error_of("PixelUnshuffle", {"downscale_factor": 2}, [1, 2, 5, 5])
    assert (err.code, err.field) == ("not_divisible", "input_shape[2]")
    assert "height" in err.message and "input.size(-2)=5" in err.message
    with pytest.raises(RuntimeError, match="height"):
        torch_shape(torch, torch.nn.PixelUnshuffle(2), (1, 2, 5, 5))
    err = error_of("PixelUnshuffle", {"downscale_factor": 3}, [2, 6, 4])
    assert (err.code, err.field) == ("not_divisible", "input_shape[2]")
    assert "width" in err.message and "input.size(-1)=4 is not divisible by 3" in err.message


@pytest.mark.conformance
def test_trap_channel_shuffle_reads_dim_1_even_at_rank_3(torch):
    # Not (C, H, W) unbatched: a rank-3 input is (N, C, L), so (6, 4, 5) has 4 channels.
    err = error_of("ChannelShuffle", {"groups": 3}, [6, 4, 5])
    assert (err.code, err.field) == ("groups_mismatch", "input_shape[1]")
    assert "Got 4 channels and 3 groups" in err.message
    with pytest.raises(RuntimeError, match="Got 4 channels and 3 groups"):
        torch_shape(torch, torch.nn.ChannelShuffle(3), (6, 4, 5))
    assert shape_of("ChannelShuffle", {"groups": 3}, [1, 6, 4, 5]) == [1, 6, 4, 5]
    assert shape_of("ChannelShuffle", {"groups": 2}, [1, 6, 4]) == [1, 6, 4]
    assert torch_shape(torch, torch.nn.ChannelShuffle(2), (1, 6, 4)) == (1, 6, 4)
    assert error_of("ChannelShuffle", {"groups": 2}, [1, 6]).code == "rank_mismatch"
    with pytest.raises(RuntimeError, match="> 2 dims"):
        torch_shape(torch, torch.nn.ChannelShuffle(2), (1, 6))


@pytest.mark.conformance
def test_trap_unfold_unequal_kernel_and_stride(torch):
    # H: floor((5 - 2)/1) + 1 = 4 blocks; W: floor((7 - 3)/2) + 1 = 3 blocks; L = 12. Channels 3·2·3 = 18.
    params = {"kernel_size": (2, 3), "stride": (1, 2)}
    r = engine.evaluate("pytorch", "Unfold", params, [2, 3, 5, 7])
    assert r["output_shape"] == [2, 18, 12]
    assert torch_shape(torch, torch.nn.Unfold(**params), (2, 3, 5, 7)) == (2, 18, 12)
    assert [f["key"] for f in r["formulas"]] == [
        "conv_output_length",
        "conv_output_length",
        "unfold_channels",
        "flatten_running_product",
    ]
    assert [f["values"] for f in r["formulas"][:2]] == [
        {"L_in": 5, "p": 0, "k": 2, "s": 1, "d": 1},
        {"L_in": 7, "p": 0, "k": 3, "s": 2, "d": 1},
    ]
    # Unbatched (C, H, W) -> (C·K, L).
    assert shape_of("Unfold", params, [3, 5, 7]) == [18, 12]
    assert torch_shape(torch, torch.nn.Unfold(**params), (3, 5, 7)) == (18, 12)


@pytest.mark.conformance
def test_trap_unfold_dilated_kernel_too_large(torch):
    # Dilation 3 stretches a 3-tap kernel over 7 rows: H = 5 gives -1 blocks; W = 7 gives exactly 1.
    err = error_of("Unfold", {"kernel_size": 3, "dilation": 3}, [1, 3, 5, 7])
    assert (err.code, err.field) == ("output_too_small", "input_shape[2]")
    assert "calculated shape of the array of sliding blocks as (-1, 1)" in err.message
    with pytest.raises(RuntimeError, match=r"as \(-1, 1\)"):
        torch_shape(torch, torch.nn.Unfold(3, dilation=3), (1, 3, 5, 7))
    # Unequal dilation (2, 3): extents 5 and 7 fit exactly, one block.
    assert shape_of("Unfold", {"kernel_size": 3, "dilation": (2, 3)}, [1, 3, 5, 7]) == [1, 27, 1]
    assert torch_shape(torch, torch.nn.Unfold(3, dilation=(2, 3)), (1, 3, 5, 7)) == (1, 27, 1)
    # Padding rescues it: 5 + 2 = 7 rows.
    assert shape_of("Unfold", {"kernel_size": 6, "padding": 1}, [1, 3, 5, 7]) == [1, 108, 8]


@pytest.mark.conformance
def test_trap_fold_inverts_unfold(torch):
    # output (4, 5), kernel (2, 3): blocks 3 · 3 = 9; 12 = 2·6 columns -> 2 channels.
    params = {"output_size": (4, 5), "kernel_size": (2, 3)}
    assert shape_of("Fold", params, [2, 12, 9]) == [2, 2, 4, 5]
    assert torch_shape(torch, torch.nn.Fold(**params), (2, 12, 9)) == (2, 2, 4, 5)
    assert shape_of("Fold", params, [12, 9]) == [2, 4, 5]
    assert torch_shape(torch, torch.nn.Fold(**params), (12, 9)) == (2, 4, 5)
    err = error_of("Fold", params, [2, 12, 8])
    assert (err.code, err.field) == ("size_mismatch", "input_shape[2]")
    assert "3 * 3 = 9, but got input.size(2)=8" in err.message
    with pytest.raises(RuntimeError, match=r"3 \* 3 = 9"):
        torch_shape(torch, torch.nn.Fold(**params), (2, 12, 8))
    err = error_of("Fold", params, [2, 13, 9])
    assert (err.code, err.field) == ("not_divisible", "input_shape[1]")
    assert "input.size(1)=13 and kernel_size=(2, 3)" in err.message


@pytest.mark.conformance
def test_trap_fold_negative_block_counts_multiply_to_a_positive(torch):
    # output 1, kernel 3: -1 blocks per axis, and (-1)·(-1) = 1 matches L = 1; torch still rejects.
    err = error_of("Fold", {"output_size": 1, "kernel_size": 3}, [1, 9, 1])
    assert (err.code, err.field) == ("output_too_small", "params.output_size")
    assert "(-1, -1), which is too small (non-positive)" in err.message
    with pytest.raises(RuntimeError, match="too small"):
        torch_shape(torch, torch.nn.Fold(1, 3), (1, 9, 1))
    # A 0-block axis can never match L >= 1.
    assert error_of("Fold", {"output_size": (4, 5), "kernel_size": (5, 3)}, [2, 15, 3]).code == "output_too_small"
    with pytest.raises(RuntimeError):
        torch_shape(torch, torch.nn.Fold((4, 5), (5, 3)), (2, 15, 3))


# ---- unit tests (no framework) ----------------------------------------------------------------------------


def test_unfold_and_fold_reuse_the_conv_formula():
    assert rearrange.CONV_EXPLICIT is conv.CONV_EXPLICIT
    assert rearrange.FLATTEN_STEP is reshape.FLATTEN_STEP
    for name in ("Unfold", "Fold"):
        spec = engine.get_layer("pytorch", name)
        assert conv.CONV_EXPLICIT in spec.formulas and spec.rank == 2
    for spec in (engine.get_layer("pytorch", n) for n in ("PixelShuffle", "PixelUnshuffle", "ChannelShuffle")):
        assert spec.input_ranks == tuple(range(3, 9)) and spec.equivalent is None


def test_no_weights():
    r = engine.evaluate("pytorch", "Fold", {"output_size": 3, "kernel_size": 2}, [1, 4, 4])
    assert (r["output_shape"], r["param_count"], r["trainable_params"], r["weights"]) == ([1, 1, 3, 3], 0, 0, {})
    r = engine.evaluate("pytorch", "PixelShuffle", {"upscale_factor": 2}, [1, 4, 1, 1])
    assert (r["param_count"], r["weights"]) == (0, {})


def test_none_dims_stay_none():
    assert shape_of("PixelShuffle", {"upscale_factor": 2}, [None, None, 3, None]) == [None, None, 6, None]
    assert shape_of("PixelUnshuffle", {"downscale_factor": 2}, [None, 3, None, 4]) == [None, 12, None, 2]
    assert shape_of("ChannelShuffle", {"groups": 5}, [None, None, 7]) == [None, None, 7]
    assert shape_of("Unfold", {"kernel_size": 2}, [None, None, 4, None]) == [None, None, None]
    assert shape_of("Unfold", {"kernel_size": 2}, [None, 3, 4, 5]) == [None, 12, 12]
    assert shape_of("Fold", {"output_size": (4, 5), "kernel_size": (2, 3)}, [None, None, None]) == [None, None, 4, 5]
    # A None axis does not hide a known one that is too small.
    err = error_of("Unfold", {"kernel_size": (6, 2)}, [1, 3, 5, None])
    assert (err.code, err.field) == ("output_too_small", "input_shape[2]")
    assert "spatial size (5, None)" in err.message and "(0, None)" in err.message
    # Fold's block count depends on parameters only: a None L cannot hide non-positive blocks.
    assert error_of("Fold", {"output_size": 1, "kernel_size": 3}, [None, 9, None]).code == "output_too_small"


def test_symbolic_dims_give_expressions():
    assert shape_of("PixelShuffle", {"upscale_factor": 2}, ["N", "C", "H", "W"]) == ["N", "C/4", "2*H", "2*W"]
    assert shape_of("PixelUnshuffle", {"downscale_factor": 3}, [1, "C", "H", "W"]) == [1, "9*C", "H/3", "W/3"]
    assert shape_of("ChannelShuffle", {"groups": 4}, ["N", "C", "T"]) == ["N", "C", "T"]
    r = engine.evaluate("pytorch", "Unfold", {"kernel_size": (2, 3), "stride": (1, 2)}, ["N", "C", "H", "W"])
    assert r["output_shape"] == ["N", "6*C", "(H - 1)*(floor((W - 3)/2) + 1)"]
    assert shape_of("Fold", {"output_size": (4, 5), "kernel_size": (2, 3)}, ["N", "C", "L"]) == ["N", "C/6", 4, 5]
    # A symbol in place of a size to check skips the check (it may divide).
    assert shape_of("PixelShuffle", {"upscale_factor": 3}, [1, "C", 2, 2]) == [1, "C/9", 6, 6]


def test_substituted_formulas_render():
    r = engine.evaluate("pytorch", "PixelShuffle", {"upscale_factor": 2}, [1, 8, 3, 5], substitute=True)
    keys = [f["key"] for f in r["formulas"]]
    assert keys == ["pixel_shuffle_channels", "pixel_shuffle_length", "pixel_shuffle_length"]
    assert [f["where"] for f in r["formulas"]] == ["channels", "axis H", "axis W"]
    assert all(f["substituted"]["text"] for f in r["formulas"])


@pytest.mark.parametrize(
    "layer, params, shape, code, field, words",
    [
        ("PixelShuffle", {"upscale_factor": 2}, [8, 3], "rank_mismatch", "input_shape", "rank 3 to 8"),
        ("PixelShuffle", {"upscale_factor": 0}, [1, 8, 3, 5], "invalid_param", "params.upscale_factor", "0"),
        ("PixelShuffle", {"upscale_factor": 2.0}, [1, 8, 3, 5], "invalid_param", "params.upscale_factor", "2.0"),
        ("PixelShuffle", {"upscale_factor": True}, [1, 8, 3, 5], "invalid_param", "params.upscale_factor", "True"),
        ("PixelShuffle", {}, [1, 8, 3, 5], "missing_param", "params.upscale_factor", "upscale_factor"),
        ("PixelShuffle", {"upscale_factor": 2}, [1, 7, 3, 5], "not_divisible", "input_shape[1]", "7"),
        ("PixelShuffle", {"upscale_factor": 2}, [9, 3, 5], "not_divisible", "input_shape[0]", "by 4"),
        ("PixelUnshuffle", {"downscale_factor": -2}, [1, 2, 6, 4], "invalid_param", "params.downscale_factor", "-2"),
        ("PixelUnshuffle", {"downscale_factor": 2}, [1, 2, 6, 5], "not_divisible", "input_shape[3]", "width"),
        ("PixelUnshuffle", {"downscale_factor": 2}, [6], "rank_mismatch", "input_shape", "rank 1"),
        ("ChannelShuffle", {"groups": 2}, [2, 1, 6, 4, 5], "groups_mismatch", "input_shape[1]", "Got 1 channels"),
        ("ChannelShuffle", {"groups": 0}, [1, 6, 4], "invalid_param", "params.groups", "0"),
        ("ChannelShuffle", {"group": 2}, [1, 6, 4], "unknown_param", "params.group", "groups"),
        ("Unfold", {"kernel_size": 2}, [1, 1, 3, 5, 7], "rank_mismatch", "input_shape", "rank 3 or 4"),
        ("Unfold", {"kernel_size": (2, 2, 2)}, [1, 3, 5, 7], "invalid_param", "params.kernel_size", "2 value"),
        ("Unfold", {"kernel_size": 0}, [1, 3, 5, 7], "invalid_param", "params.kernel_size", "0"),
        ("Unfold", {"kernel_size": 2, "padding": -1}, [1, 3, 5, 7], "invalid_param", "params.padding", "-1"),
        ("Unfold", {"kernel_size": 2, "stride": 0}, [1, 3, 5, 7], "invalid_param", "params.stride", "0"),
        ("Unfold", {"kernel_size": (2, 8)}, [1, 3, 5, 7], "output_too_small", "input_shape[3]", "(4, 0)"),
        ("Unfold", {"kernel_size": 2}, [3, 1, 7], "output_too_small", "input_shape[1]", "spatial size (1, 7)"),
        ("Fold", {"output_size": 3, "kernel_size": 2}, [1, 2, 4, 4], "rank_mismatch", "input_shape", "rank 2 or 3"),
        ("Fold", {"output_size": (3,), "kernel_size": 2}, [1, 4, 4], "invalid_param", "params.output_size", "2 value"),
        ("Fold", {"output_size": 0, "kernel_size": 2}, [1, 4, 4], "invalid_param", "params.output_size", "0"),
        ("Fold", {"kernel_size": 2}, [1, 4, 4], "missing_param", "params.output_size", "output_size"),
        ("Fold", {"output_size": 3, "kernel_size": 2}, [5, 4], "not_divisible", "input_shape[0]", "input.size(0)=5"),
        ("Fold", {"output_size": (3, 4), "kernel_size": 2}, [4, 4], "size_mismatch", "input_shape[1]", "2 * 3 = 6"),
        (
            "Fold",
            {"output_size": (2, 1), "kernel_size": (5, 4), "stride": (1, 3)},
            [1, 20, 1],
            "output_too_small",
            "params.output_size",
            "(-2, 0)",
        ),
    ],
)
def test_errors_name_code_field_and_values(layer, params, shape, code, field, words):
    err = error_of(layer, params, shape)
    assert (err.code, err.field) == (code, field), repr(err)
    assert words in err.message, repr(err)


def test_trace_through_pixel_shuffle_and_unshuffle():
    t = engine.trace(
        "pytorch",
        [2, 3, 8, 6],
        [
            {"layer": "PixelUnshuffle", "params": {"downscale_factor": 2}},
            {"layer": "ChannelShuffle", "params": {"groups": 3}},
            {"layer": "nn.PixelShuffle", "params": {"upscale_factor": 2}},
            {"layer": "Unfold", "params": {"kernel_size": (2, 3), "stride": (2, 3)}},
            {"layer": "Fold", "params": {"output_size": (8, 6), "kernel_size": (2, 3), "stride": (2, 3)}},
        ],
    )
    assert [s["output_shape"] for s in t["layers"]] == [
        [2, 12, 4, 3],
        [2, 12, 4, 3],
        [2, 3, 8, 6],
        [2, 18, 8],
        [2, 3, 8, 6],
    ]
    assert t["total_params"] == 0
