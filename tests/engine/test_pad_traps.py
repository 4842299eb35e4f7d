"""PyTorch ReflectionPad / ReplicationPad / CircularPad 1d-3d: named traps with literal numbers, error codes and
fields, None and symbolic dims.

The traps were measured on torch 2.13 (CPU); each one is also run on torch here so that a torch upgrade that
changes one shows up by name. The unit tests below them need no framework.
"""

from __future__ import annotations

import pytest

import engine
from engine import ShapeError
from tests.engine.conformance import run_torch


def shape_of(layer: str, padding, input_shape) -> list:
    return engine.evaluate("pytorch", layer, {"padding": padding}, list(input_shape))["output_shape"]


def error_of(layer: str, padding, input_shape) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        engine.evaluate("pytorch", layer, {"padding": padding}, list(input_shape))
    return info.value


# ---- named traps: (layer, padding, input shape, output shape or None when torch rejects) -------------------

TRAPS = {
    # Reflection: each pad must be smaller than its axis (pad < L); pad = L - 1 is the largest.
    "reflection_pad_equal_to_size_rejected": ("ReflectionPad2d", 3, (1, 1, 3, 3), None),
    "reflection_pad_size_minus_one_accepted": ("ReflectionPad2d", 2, (1, 1, 3, 3), (1, 1, 7, 7)),
    "reflection_unequal_sides_h_ne_w": ("ReflectionPad2d", (1, 2, 3, 0), (2, 3, 4, 5), (2, 3, 7, 8)),
    "reflection_limit_holds_beside_a_crop": ("ReflectionPad1d", (5, -2), (1, 4, 5), None),
    "reflection_negative_padding_crops": ("ReflectionPad1d", -2, (1, 4, 5), (1, 4, 1)),
    "reflection_unbatched": ("ReflectionPad2d", 1, (3, 4, 5), (3, 6, 7)),
    # Replication: no limit, even on an axis of size 1.
    "replication_pads_a_size_one_axis": ("ReplicationPad1d", 100, (1, 4, 1), (1, 4, 201)),
    "replication_crop_to_zero_rejected_in_1d": ("ReplicationPad1d", (-1, -2), (1, 1, 3), None),
    # Reflection / replication 2d-3d: one empty axis is fine next to a non-empty one; all empty is not.
    "reflection_one_axis_empty_accepted": ("ReflectionPad2d", (0, 0, -1, -2), (1, 1, 3, 3), (1, 1, 0, 3)),
    "reflection_all_axes_empty_rejected": ("ReflectionPad2d", (-1, -2, -1, -2), (1, 1, 3, 3), None),
    "replication_one_axis_negative_rejected": ("ReplicationPad2d", (-1, -1, -1, -3), (1, 1, 3, 3), None),
    "replication_3d_one_axis_empty_accepted": (
        "ReplicationPad3d",
        (-1, -2, 0, 0, 0, 0),
        (1, 1, 3, 3, 3),
        (1, 1, 3, 3, 0),
    ),
    # Circular: a pad may equal the axis (wraps once), not exceed it; an axis may become empty.
    "circular_pad_equal_to_size_accepted": ("CircularPad1d", 5, (2, 5), (2, 15)),
    "circular_pad_size_plus_one_rejected": ("CircularPad1d", 6, (2, 5), None),
    "circular_crop_to_empty_accepted": ("CircularPad1d", (-5, 0), (2, 5), (2, 0)),
    "circular_negative_output_rejected": ("CircularPad1d", -3, (2, 5), None),
    "circular_crop_deeper_than_axis_accepted": ("CircularPad1d", (-6, 2), (2, 5), (2, 1)),
    # Circular's wrap-around copies: a crop past the axis, or overlapping dense slices, fail.
    "circular_copy_size_mismatch_rejected": ("CircularPad1d", (2, -4), (1, 3), None),
    "circular_overlapping_copy_rejected_when_dense": ("CircularPad1d", (2, -2), (1, 3), None),
    "circular_overlapping_copy_accepted_when_not_dense": ("CircularPad1d", (2, -2), (2, 3), (2, 3)),
    "circular_full_overlap_accepted": ("CircularPad1d", (3, -3), (1, 3), (1, 3)),
    # The padding tuple's length decides which axes are padded (2n values: the last n axes).
    "reflection1d_with_four_values_pads_two_axes": ("ReflectionPad1d", (1, 1, 1, 1), (3, 3, 3), (3, 5, 5)),
    "reflection2d_with_two_values_on_4d_rejected": ("ReflectionPad2d", (1, 2), (2, 3, 4, 5), None),
    "circular2d_with_two_values_on_3d": ("CircularPad2d", (1, 1), (3, 3, 3), (3, 3, 5)),
    "circular1d_rejects_a_4d_input": ("CircularPad1d", 1, (2, 3, 4, 5), None),
    "reflection1d_rejects_a_1d_input": ("ReflectionPad1d", 1, (5,), None),
    "reflection3d_rejects_a_3d_input": ("ReflectionPad3d", 1, (3, 3, 3), None),
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_pad_trap(name):
    layer, padding, shape, expected = TRAPS[name]
    if expected is None:
        error_of(layer, padding, shape)
    else:
        assert shape_of(layer, padding, shape) == list(expected)


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_pad_trap_matches_torch(torch, name):
    layer, padding, shape, expected = TRAPS[name]
    real = run_torch(torch, layer, {"padding": padding}, shape)
    if expected is None:
        assert real[0] == "error", real
    else:
        assert real[:2] == ("ok", tuple(expected)), real


# ---- error codes, messages and fields ---------------------------------------------------------------------


def test_reflection_limit_names_the_argument_dimension_and_input():
    err = error_of("ReflectionPad2d", 3, (1, 1, 3, 3))
    assert err.code == "padding_too_large"
    assert err.field == "params.padding"
    assert err.message == (
        "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
        "padding (3, 3) at dimension 3 of input [1, 1, 3, 3]"
    )


def test_reflection_limit_is_checked_w_then_h_then_d():
    err = error_of("ReflectionPad3d", (0, 0, 5, 5, 5, 5), (1, 1, 3, 3, 3))
    assert (
        err.message.startswith("Argument #6:")
        and "padding (5, 5) at dimension 3 of input [1, 1, 3, 3, 3]" in err.message
    )
    err = error_of("ReflectionPad3d", (0, 0, 0, 0, 5, 5), (1, 3, 3, 3))  # unbatched: depth is dim 1
    assert err.message.startswith("Argument #8:") and "at dimension 1 of input [1, 3, 3, 3]" in err.message


def test_reflection_limit_comes_before_the_output_check():
    err = error_of("ReflectionPad2d", (-2, -2, 5, 5), (1, 3, 3))
    assert err.code == "padding_too_large"


def test_all_axes_empty_says_too_small():
    err = error_of("ReflectionPad2d", (-1, -2, -1, -3), (1, 1, 3, 3))
    assert err.code == "output_too_small"
    assert err.field == "input_shape[2]"
    assert err.message.startswith("input (H: 3, W: 3) is too small. Calculated output H: -1 W: 0")
    err = error_of("ReplicationPad1d", (-1, -2), (1, 1, 3))
    assert err.code == "output_too_small"
    assert err.message.startswith("input (W: 3) is too small. Calculated output W: 0")
    err = error_of("ReplicationPad3d", (-1, -2, -1, -2, -1, -2), (1, 1, 3, 3, 3))
    assert err.message.startswith("input (D: 3, H: 3, W: 3) is too small. Calculated output D: 0 H: 0 W: 0")


def test_one_negative_axis_says_negative_dimension():
    err = error_of("ReplicationPad2d", (-1, -3, 0, 0), (1, 1, 3, 3))
    assert err.code == "negative_output"
    assert err.field == "input_shape[3]"
    assert err.message.startswith("Trying to create tensor with negative dimension -1: [1, 1, 3, -1]")


def test_circular_errors():
    err = error_of("CircularPad1d", 6, (2, 5))
    assert (err.code, err.field) == ("padding_too_large", "params.padding")
    assert err.message.startswith("Padding value causes wrapping around more than once")
    assert "(6, 6)" in err.message and "input size 5" in err.message
    err = error_of("CircularPad2d", (4, 4, -4, 0), (3, 3, 2, 3))  # H (outermost) is checked first
    assert (err.code, err.field) == ("negative_output", "input_shape[2]")
    assert err.message.startswith("Negative padding value is resulting in an empty dimension")
    err = error_of("CircularPad1d", (2, -4), (1, 3))
    assert (err.code, err.field) == ("crop_too_large", "params.padding")
    assert "The size of tensor a (0) must match the size of tensor b (2)" in err.message
    err = error_of("CircularPad1d", (2, -2), (1, 3))
    assert (err.code, err.field) == ("padding_overlap", "params.padding")
    assert "refer to a single memory location" in err.message


def test_rank_errors_repeat_what_was_received():
    err = error_of("ReflectionPad2d", (1, 2), (2, 3, 4, 5))
    assert (err.code, err.field) == ("rank_mismatch", "input_shape")
    assert err.message.startswith("Padding size 2 is not supported for 4D input tensor")
    assert "[2, 3, 4, 5]" in err.message
    err = error_of("ReplicationPad3d", 1, (3, 3, 4))
    assert err.message.startswith("Padding size 6 is not supported for 3D input tensor")
    err = error_of("ReflectionPad3d", 1, (3, 3, 3, 3, 3, 3))  # no padding works on rank 6
    assert "expects an input of rank 2 to 5 (batch included), received rank 6" in err.message
    err = error_of("ReflectionPad1d", (1,) * 8, (3, 3, 3))
    assert err.message == (
        "Padding length should be less than or equal to two times the input dimension but got padding length 8 "
        "and input of dimension 3"
    )
    err = error_of("CircularPad2d", 1, (3, 3))
    assert (err.code, err.field) == ("rank_mismatch", "input_shape")
    assert "rank 3 or 4" in err.message and "received rank 2: [3, 3]" in err.message


def test_padding_parameter_errors():
    err = error_of("ReflectionPad2d", (1, 2, 3), (1, 1, 4, 4))
    assert (err.code, err.field) == ("invalid_param", "params.padding")
    assert "divisible by 2" in err.message
    err = error_of("ReplicationPad1d", 1.5, (1, 1, 4))
    assert (err.code, err.field) == ("invalid_param", "params.padding")
    with pytest.raises(ShapeError) as info:
        engine.evaluate("pytorch", "ReflectionPad2d", {"padding": 1, "value": 0.0}, [1, 1, 4, 4])
    assert info.value.code == "unknown_param"
    with pytest.raises(ShapeError) as info:
        engine.evaluate("pytorch", "CircularPad1d", {}, [1, 1, 4])
    assert (info.value.code, info.value.field) == ("missing_param", "params.padding")


def test_empty_dims_only_through_a_trace():
    """Reflection/replication refuse an empty dim (but an empty batch of a batched input); circular does not."""
    crop = {"layer": "ZeroPad1d", "params": {"padding": [-2, 0]}}
    with pytest.raises(ShapeError) as info:
        engine.trace("pytorch", [1, 2, 2], [crop, {"layer": "ReflectionPad1d", "params": {"padding": 0}}])
    assert (info.value.code, info.value.field) == ("empty_input", "layers[1].input_shape[2]")
    assert "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size" in info.value.message
    assert "but got: [1, 2, 0]" in info.value.message
    circ = engine.trace("pytorch", [1, 2, 2], [crop, {"layer": "CircularPad1d", "params": {"padding": 0}}])
    assert circ["output_shape"] == [1, 2, 0]
    with pytest.raises(ShapeError) as info:
        engine.trace("pytorch", [1, 2, 2], [crop, {"layer": "CircularPad1d", "params": {"padding": 1}}])
    assert info.value.code == "padding_too_large"
    no_batch = {"layer": "ZeroPad2d", "params": {"padding": [0, 0, 0, 0, 0, 0, -1, 0]}}
    batched = engine.trace("pytorch", [1, 3, 3, 3], [no_batch, {"layer": "ReplicationPad2d", "params": {"padding": 1}}])
    assert batched["output_shape"] == [0, 3, 5, 5]
    with pytest.raises(ShapeError) as info:  # unbatched (C, H, W): an empty C is refused
        no_channel = {"layer": "ZeroPad2d", "params": {"padding": [0, 0, 0, 0, -1, 0]}}
        engine.trace("pytorch", [1, 3, 3], [no_channel, {"layer": "ReplicationPad2d", "params": {"padding": 1}}])
    assert info.value.code == "empty_input"


# ---- None and symbolic dims --------------------------------------------------------------------------------


def test_unknown_dims_stay_unknown_and_skip_the_limits():
    assert shape_of("ReflectionPad2d", 3, (None, 3, None, None)) == [None, 3, None, None]
    assert shape_of("CircularPad1d", 7, (None, 3, None)) == [None, 3, None]
    assert shape_of("ReplicationPad3d", (1, 2, 0, 0, -1, 0), (None, 2, None, 4, 5)) == [None, 2, None, 4, 8]


def test_a_known_axis_is_still_checked_beside_an_unknown_one():
    err = error_of("ReflectionPad2d", 3, (1, 1, None, 3))
    assert err.code == "padding_too_large" and err.message.startswith("Argument #4:")
    assert "input [1, 1, None, 3]" in err.message
    err = error_of("ReplicationPad2d", (-2, -2, 0, 0), (1, 1, None, 3))
    assert (err.code, err.field) == ("negative_output", "input_shape[3]")


def test_all_empty_check_needs_every_padded_axis_known():
    # W becomes 0; H is unknown (it may stay non-empty): accepted, as an unknown size cannot be judged
    assert shape_of("ReplicationPad2d", (-1, -2, 0, 0), (1, 1, None, 3)) == [1, 1, None, 0]


def test_symbolic_dims():
    r = engine.evaluate("pytorch", "ReflectionPad2d", {"padding": (1, 2, 3, 0)}, ["N", "C", "H", "W"])
    assert r["output_shape"] == ["N", "C", "H + 3", "W + 3"]
    assert [(f["key"], f["where"]) for f in r["formulas"]] == [
        ("pad_length", "dim 2 (axis H)"),
        ("pad_length", "dim 3 (axis W)"),
    ]
    assert r["param_count"] == 0 and r["weights"] == {}
    assert shape_of("CircularPad1d", (-2, 5), (2, "L")) == [2, "L + 3"]
    err = error_of("ReflectionPad2d", 3, (1, 1, 3, "W"))  # H = 3 is known: the limit still applies
    assert err.message.startswith("Argument #6:")


def test_declarations():
    for kind in ("Reflection", "Replication", "Circular"):
        for rank in (1, 2, 3):
            spec = engine.get_layer("pytorch", f"nn.{kind}Pad{rank}d")
            assert spec.category == "padding"
            assert spec.equivalent is None
            assert spec.positional == ("padding",)
            assert [f.key for f in spec.formulas] == ["pad_length"]
            assert "Negative padding crops" in spec.note
    assert "pad < L" in engine.get_layer("pytorch", "ReflectionPad2d").note
    assert "pad <= L" in engine.get_layer("pytorch", "CircularPad2d").note
    assert "even on an axis of size 1" in engine.get_layer("pytorch", "ReplicationPad2d").note
