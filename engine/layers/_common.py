"""Helpers the family rules share: layouts, channel checks, messages."""

from __future__ import annotations

import math

from engine.errors import ShapeError
from engine.spec import is_known

AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_name(rank: int, axis: int) -> str:
    """'L', 'H', 'W' or 'D' for the axis of a 1-3D layer; axisN beyond that."""
    names = AXIS_NAMES.get(rank)
    return names[axis] if names is not None else f"axis{axis}"


def split_channels(shape: tuple, rank: int, channels_last: bool, unbatched_ok: bool = False):
    """(lead dims, channels, spatial dims, offset of the first spatial axis in `shape`)."""
    lead_len = len(shape) - rank - 1
    lead = shape[:lead_len]
    if channels_last:
        spatial = shape[lead_len : lead_len + rank]
        return lead, shape[-1], list(spatial), lead_len
    return lead, shape[lead_len], list(shape[lead_len + 1 :]), lead_len + 1


def join_channels(lead: tuple, channels, spatial: list, channels_last: bool) -> tuple:
    return (*lead, *spatial, channels) if channels_last else (*lead, channels, *spatial)


def keras_conv_legacy(rank: int) -> dict:
    """Keras 1 keywords a convolution still accepts: nb_filter, border_mode, subsample (nb_row/nb_col in 2D)."""
    legacy = {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides"}
    if rank == 2:
        legacy.update({"nb_row": ("kernel_size", 0), "nb_col": ("kernel_size", 1)})
    return legacy


def require_finite(v, name: str, fld: str):
    """A real, finite number (not a bool): anything else is an invalid parameter."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ShapeError("invalid_param", f"{name} must be a number, received {v!r}", fld)
    return v


def require_known(value, what: str, fld: str):
    """Weights need a concrete (or symbolic) size: None cannot build a layer."""
    if value is None:
        raise ShapeError("unknown_dimension", f"the {what} must be known to build the layer, received None", fld)
    return value


def check_equal(expected, received, what: str, fld: str, layer: str):
    """Raise when a known input size differs from what the layer was built for."""
    if is_known(received) and received != expected:
        raise ShapeError(
            "channel_mismatch",
            f"{layer} expects {what} {expected}, receives {received}",
            fld,
        )


def check_divisible(value, groups: int, what: str, fld: str):
    if is_known(value) and value % groups:
        raise ShapeError("groups_mismatch", f"{what} {value} is not divisible by groups {groups}", fld)


def shape_text(shape) -> str:
    from engine.api import show_shape

    return "(" + ", ".join("None" if v is None else str(v) for v in show_shape(shape)) + ")"
