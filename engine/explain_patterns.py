"""The shape-error messages the explainer recognises: one bounded pattern per wording, with its numbers.

Every pattern is a literal phrase followed by bounded captures (`[^\\]]{0,300}` style), never a nested
quantifier, so a search costs at most a few hundred steps per position of a 20,000-character paste.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

FAMILIES = (
    "in_features_mismatch",
    "channel_mismatch",
    "rank_mismatch",
    "kernel_too_large",
    "reshape_size_mismatch",
    "rnn_input_mismatch",
    "embedding_index",
    "norm_features_mismatch",
    "merge_shape_mismatch",
    "attention_heads",
    "transposed_output_size",
    "same_padding_stride",
    "target_shape_mismatch",
    "unknown",
)

_INT = re.compile(r"-?\d{1,12}|\?|None")
_RECURRENT = ("lstm", "gru", "rnn", "recurrent", "bidirectional")
_CONV = ("conv", "separable", "depthwise")


def dims(text: str | None) -> list:
    """'1, 3, 28, 28', '64 x 9216', '?,1,29,16', '(None, 10)', '[None 5 5 3]' -> [1, 3, 28, 28] (None for ?/None)."""
    if not text:
        return []
    out = []
    for token in _INT.findall(text[:400]):
        out.append(None if token in ("?", "None") else int(token))
    return out[:16]


def shape_list(text: str | None) -> list[list]:
    """'[(None, 512, 300, 8), (None, 64, 300, 8)]' -> [[None, 512, 300, 8], [None, 64, 300, 8]]."""
    if not text:
        return []
    return [dims(part) for part in re.findall(r"[\(\[]([^\(\)\[\]]{0,200})[\)\]]", text[:2000])][:16]


@dataclass(frozen=True)
class Pattern:
    """One wording of one error: family, framework (None: either), regex and a reader of its numbers."""

    name: str
    family: str
    framework: str | None
    regex: re.Pattern
    read: Callable[[re.Match], dict]


def _g(m: re.Match, name: str):
    try:
        return m.group(name)
    except IndexError:
        return None


def _int(m: re.Match, name: str):
    value = _g(m, name)
    return int(value) if value not in (None, "") else None


def _layer_name(m: re.Match) -> str | None:
    value = _g(m, "layer") or _g(m, "layer2")
    return value.strip("\"'`") if value else None


# ---- readers: one per wording, returning the message's numbers by name -----------------------------


def _read_matmul(m):
    rows, cols, w_rows, w_cols = (_int(m, k) for k in ("a", "b", "c", "d"))
    return {
        "input_shape": [rows, cols],
        "weight_shape": [w_rows, w_cols],
        "received": cols,
        "expected": w_rows,
        "out_features": w_cols,
    }


def _read_conv_channels(m):
    weight = dims(_g(m, "weight"))
    given = dims(_g(m, "input"))
    return {
        "weight_shape": weight,
        "input_shape": given,
        "expected": _int(m, "expected"),
        "received": _int(m, "received"),
        "groups": _int(m, "groups"),
        "transposed": bool(_g(m, "transposed")),
    }


def _read_weight_rank(m):
    rank = _int(m, "wrank")
    return {
        # Some 1.x builds printed the weight's data pointer after its sizes: keep `rank` numbers only.
        "weight_shape": dims(_g(m, "weight"))[:rank],
        "input_shape": dims(_g(m, "input")),
        "expected_rank": _int(m, "rank"),
        "received_rank": _int(m, "got"),
    }


def _read_batched_rank(m):
    shape = dims(_g(m, "input"))
    return {
        "input_shape": shape,
        "expected_rank": [_int(m, "unbatched"), _int(m, "batched")],
        "received_rank": len(shape),
        "operation": _g(m, "op"),
    }


def _read_thnn_rank(m):
    shape = dims(_g(m, "input"))
    return {"input_shape": shape, "expected_rank": [_int(m, "r1"), _int(m, "r2")], "received_rank": len(shape)}


def _read_padded_kernel(m):
    return {"input_size": dims(_g(m, "input")), "kernel_size": dims(_g(m, "kernel"))}


def _read_pool_small(m):
    return {"input_size": dims(_g(m, "input")), "output_size": dims(_g(m, "output"))}


def _read_view(m):
    return {"requested_shape": dims(_g(m, "shape")), "input_size": _int(m, "size")}


def _read_rnn_size(m):
    return {"expected": _int(m, "expected"), "received": _int(m, "received")}


def _read_rnn_rank(m):
    return {"expected_rank": _int(m, "expected"), "received_rank": _int(m, "received")}


def _read_running_mean(m):
    # running_mean should contain <what the input's axis 1 holds> elements not <num_features>
    return {"received": _int(m, "input"), "expected": _int(m, "features")}


def _read_layernorm(m):
    normalized = dims(_g(m, "normalized"))
    return {"normalized_shape": normalized, "input_shape": dims(_g(m, "input")), "expected": normalized}


def _read_norm_rank(m):
    return {"expected_rank": _int(m, "expected"), "received_rank": _int(m, "received")}


def _read_cat(m):
    return {
        "dimension": _int(m, "dim"),
        "expected": _int(m, "expected"),
        "received": _int(m, "received"),
        "tensor_number": _int(m, "tensor"),
    }


def _read_cat_old(m):
    return {
        "dimension": _int(m, "dim"),
        "expected": _int(m, "first"),
        "received": _int(m, "second"),
        "mismatch_dimension": _int(m, "at"),
    }


def _read_broadcast(m):
    return {"size_a": _int(m, "a"), "size_b": _int(m, "b"), "dimension": _int(m, "dim")}


def _read_heads(m):
    return {"embed_dim": _int(m, "embed"), "num_heads": _int(m, "heads")}


def _read_mha_dim(m):
    return {"expected": _int(m, "expected"), "received": _int(m, "received")}


def _read_requested_size(m):
    return {
        "requested": dims(_g(m, "requested")),
        "minimum": dims(_g(m, "low")),
        "maximum": dims(_g(m, "high")),
        "input_size": dims(_g(m, "input")),
    }


def _read_output_padding(m):
    return {
        "output_padding": [_int(m, "oph"), _int(m, "opw")],
        "stride": [_int(m, "sh"), _int(m, "sw")],
        "dilation": [_int(m, "dh"), _int(m, "dw")],
    }


def _read_keras_output_padding(m):
    return {"stride": dims(_g(m, "stride")), "output_padding": dims(_g(m, "padding"))}


def _read_nothing(m):
    return {}


def _read_target_size(m):
    return {"target_shape": dims(_g(m, "target")), "input_shape": dims(_g(m, "input"))}


def _read_batch_size(m):
    return {"input_batch": _int(m, "input"), "target_batch": _int(m, "target")}


def _read_keras_axis(m):
    shape = dims(_g(m, "shape"))
    axis = _int(m, "axis")
    received = shape[axis] if shape and axis is not None and -len(shape) <= axis < len(shape) else None
    return {
        "layer": _layer_name(m),
        "axis": axis,
        "expected": _int(m, "expected"),
        "input_shape": shape,
        "received": received,
    }


def _read_keras_ndim(m):
    return {
        "layer": _layer_name(m),
        "expected_rank": _int(m, "expected"),
        "minimum_rank": bool(_g(m, "minimum")),
        "received_rank": _int(m, "received"),
        "input_shape": dims(_g(m, "shape")),
    }


def _read_checking_rank(m):
    return {
        "layer": _layer_name(m),
        "expected_rank": _int(m, "expected"),
        "input_shape": dims(_g(m, "shape")),
        "received_rank": len(dims(_g(m, "shape"))),
    }


def _read_checking_shape(m):
    return {"layer": _layer_name(m), "expected_shape": dims(_g(m, "expected")), "input_shape": dims(_g(m, "shape"))}


def _read_negative_dim(m):
    node = _g(m, "node") or ""
    op = _g(m, "op")
    if not op:
        in_node = re.search(r"= (\w{1,40})\[", node)
        op = in_node.group(1) if in_node else None
    kernel_shape = dims(_g(m, "kernel"))
    if not kernel_shape:
        ksize = re.search(r"ksize=\[([^\]]{0,60})\]", node)
        kernel_shape = dims(ksize.group(1)) if ksize else []
    layer = re.split(r"[/ ]", node.strip("{} "), maxsplit=1)[0] if node else None
    return {
        "kernel": _int(m, "k"),
        "size": _int(m, "n"),
        "layer": layer or None,
        "operation": op,
        "input_shape": dims(_g(m, "input")),
        "kernel_shape": kernel_shape,
    }


def _read_keras3_negative(m):
    rest = _g(m, "rest") or ""
    found = {}
    for key in ("inputs.shape", "kernel_size", "pool_size", "strides", "padding", "dilation_rate"):
        hit = re.search(re.escape(key) + r"=\[?\(?([^\]\)`]{0,80})", rest)
        if hit:
            found[key.replace("inputs.shape", "input_shape")] = (
                hit.group(1).strip("'\" ") if key == "padding" else dims(hit.group(1))
            )
    ksize = re.search(r"ksize=\[([^\]]{0,60})\]", rest)
    if ksize:
        found["ksize"] = dims(ksize.group(1))
    tf = re.search(r"input_size: (\d{1,9}), effective_filter_size: (\d{1,9}), stride: (\d{1,9})", rest)
    if tf:
        found.update(size=int(tf.group(1)), kernel=int(tf.group(2)), stride=[int(tf.group(3))])
    return found


def _read_keras_reshape(m):
    return {
        "input_shape": dims(_g(m, "input")),
        "target_shape": dims(_g(m, "target")),
    }


def _read_tf_reshape(m):
    return {"input_size": _int(m, "values"), "requested_size": _int(m, "requested")}


def _read_numpy_reshape(m):
    return {"input_size": _int(m, "size"), "target_shape": dims(_g(m, "shape"))}


def _read_concat(m):
    return {"input_shapes": shape_list(_g(m, "shapes"))}


def _read_broadcast_keras(m):
    return {"input_shapes": [dims(_g(m, "a")), dims(_g(m, "b"))]}


def _read_tf_dims_equal(m):
    return {"size_a": _int(m, "a"), "size_b": _int(m, "b"), "operation": _g(m, "op")}


def _read_indices(m):
    return {"index": _int(m, "index"), "input_dim": _int(m, "high")}


def _read_keras_shapes(m):
    return {"target_shape": dims(_g(m, "a")), "output_shape": dims(_g(m, "b"))}


def _read_label_value(m):
    return {"label": _int(m, "label"), "classes": _int(m, "high")}


def _read_checking_target(m):
    return {"layer": _layer_name(m), "expected_shape": dims(_g(m, "expected")), "target_shape": dims(_g(m, "shape"))}


def _read_shapekb_expects(m):
    return {
        "layer": _g(m, "layer"),
        "parameter": _g(m, "param"),
        "expected": _int(m, "expected"),
        "received": _int(m, "received"),
    }


def _read_shapekb_rank(m):
    ranks = [int(r) for r in re.findall(r"\d", _g(m, "expected") or "")]
    return {
        "layer": _g(m, "layer"),
        "expected_rank": ranks[0] if len(ranks) == 1 else ranks,
        "received_rank": _int(m, "received"),
        "input_shape": dims(_g(m, "shape")),
    }


def _read_shapekb_kernel(m):
    return {"kernel": _int(m, "k"), "size": _int(m, "n")}


def _p(name, family, framework, regex, read, flags=0) -> Pattern:
    return Pattern(name, family, framework, re.compile(regex, flags), read)


_L = r"[^\]]{0,300}"  # inside [...]
_P = r"[^\)]{0,300}"  # inside (...)

# Order matters only between patterns that can both match one paste: the loss/target wordings come
# before the broadcast one (a target warning is usually followed by a broadcast error it explains).
PATTERNS: tuple[Pattern, ...] = (
    # ---- loss / target (not a layer) ----
    _p(
        "torch_target_size",
        "target_shape_mismatch",
        "pytorch",
        r"[Uu]sing a target size \(torch\.Size\(\[(?P<target>"
        + _L
        + r")\]\)\) that is different to the input size \(torch\.Size\(\[(?P<input>"
        + _L
        + r")\]\)\)",
        _read_target_size,
    ),
    _p(
        "torch_target_same_size",
        "target_shape_mismatch",
        "pytorch",
        r"Target size \(torch\.Size\(\[(?P<target>"
        + _L
        + r")\]\)\) must be the same as input size \(torch\.Size\(\[(?P<input>"
        + _L
        + r")\]\)\)",
        _read_target_size,
    ),
    _p(
        "torch_batch_size",
        "target_shape_mismatch",
        "pytorch",
        r"Expected input batch_size \((?P<input>\d{1,12})\) to match target batch_size \((?P<target>\d{1,12})\)",
        _read_batch_size,
    ),
    _p(
        "keras_checking_target",
        "target_shape_mismatch",
        "keras",
        r"Error when checking target: expected (?P<layer>[\w\-\.]{1,80}) to have (?:shape \((?P<expected>"
        + _P
        + r")\)|\d{1,2} dimensions),? but got array with shape \((?P<shape>"
        + _P
        + r")\)",
        _read_checking_target,
    ),
    _p(
        "keras_label_value",
        "target_shape_mismatch",
        "keras",
        r"Received a label value of (?P<label>-?\d{1,12}) which is outside the valid range of \[0, (?P<high>\d{1,12})\)",
        _read_label_value,
    ),
    _p(
        "keras_logits_labels",
        "target_shape_mismatch",
        "keras",
        r"logits and labels must (?:have the same (?:first dimension|shape)|be broadcastable)",
        _read_nothing,
    ),
    _p(
        "keras_shapes_incompatible",
        "target_shape_mismatch",
        "keras",
        r"Shapes \((?P<a>" + _P + r")\) and \((?P<b>" + _P + r")\) are incompatible",
        _read_keras_shapes,
    ),
    # ---- ShapeKB's own wording (the tracer's "explain this error" link) ----
    _p(
        "shapekb_expects",
        None,  # by the parameter named
        None,
        r"(?P<layer>[A-Za-z]\w{0,40})\)? expects (?P<param>in_features|in_channels|input_size|num_features) (?P<expected>\d{1,12}), receives (?P<received>\d{1,12})",
        _read_shapekb_expects,
    ),
    _p(
        "shapekb_rank",
        "rank_mismatch",
        None,
        r"(?P<layer>[A-Za-z]\w{0,40})\)? expects an input of rank (?P<expected>[\d, or]{1,30}) \(batch included\), received rank (?P<received>\d): \[(?P<shape>"
        + _L
        + r")\]",
        _read_shapekb_rank,
    ),
    _p(
        "shapekb_reshape",
        "reshape_size_mismatch",
        None,
        r"input_shape \((?P<input>"
        + _P
        + r")\) has \d{1,15} elements per sample, target_shape \((?P<target>"
        + _P
        + r")\) has \d{1,15}",
        _read_keras_reshape,
    ),
    _p(
        "shapekb_kernel",
        "kernel_too_large",
        None,
        r"kernel (?P<k>\d{1,9}) is larger than the (?:padded )?input (?P<n>\d{1,9})",
        _read_shapekb_kernel,
    ),
    # ---- dense / linear ----
    _p(
        "torch_mat1_mat2",
        "in_features_mismatch",
        "pytorch",
        r"mat1 and mat2 shapes cannot be multiplied \((?P<a>\d{1,12})[x×](?P<b>\d{1,12}) and (?P<c>\d{1,12})[x×](?P<d>\d{1,12})\)",
        _read_matmul,
    ),
    _p(
        "torch_size_mismatch_m1_m2",
        "in_features_mismatch",
        "pytorch",
        r"size mismatch, m1: \[(?P<a>\d{1,12}) x (?P<b>\d{1,12})\], m2: \[(?P<c>\d{1,12}) x (?P<d>\d{1,12})\]",
        _read_matmul,
    ),
    # ---- convolution channels / ranks (PyTorch) ----
    _p(
        "torch_conv_channels",
        "channel_mismatch",
        "pytorch",
        r"Given (?:groups=(?P<groups>\d{1,6})|(?P<transposed>transposed)=1), weight(?: of size)? \[?(?P<weight>[\d, ]{1,80})\]?, expected input\[(?P<input>"
        + _L
        + r")\] to have (?P<expected>\d{1,12}) channels, but got (?P<received>\d{1,12}) channels instead",
        _read_conv_channels,
    ),
    _p(
        "torch_weight_rank",
        "rank_mismatch",
        "pytorch",
        r"Expected (?P<rank>\d)-dimensional input for (?P<wrank>\d)-dimensional weight,? \[?(?P<weight>[\d, ]{1,80})\]?,? but got (?P<got>\d)-dimensional input of size \[(?P<input>"
        + _L
        + r")\]",
        _read_weight_rank,
    ),
    _p(
        "torch_batched_rank",
        "rank_mismatch",
        "pytorch",
        r"Expected (?P<unbatched>\d)D \(unbatched\) or (?P<batched>\d)D \(batched\) input to (?P<op>\w{1,40}), but got input of size: \[(?P<input>"
        + _L
        + r")\]",
        _read_batched_rank,
    ),
    _p(
        "torch_thnn_rank",
        "rank_mismatch",
        "pytorch",
        r"(?P<r1>\d)D or (?P<r2>\d)D input tensor expected but got: \[(?P<input>" + _L + r")\]",
        _read_thnn_rank,
    ),
    _p(
        "torch_norm_rank",
        "rank_mismatch",
        "pytorch",
        r"expected (?P<expected>\d)D input \(got (?P<received>\d)D input\)",
        _read_norm_rank,
    ),
    # ---- kernel larger than its input ----
    _p(
        "torch_padded_input",
        "kernel_too_large",
        "pytorch",
        r"Calculated padded input size per channel: \((?P<input>"
        + _P
        + r")\)\. Kernel size: \((?P<kernel>"
        + _P
        + r")\)\. Kernel size can't be greater than actual input size",
        _read_padded_kernel,
    ),
    _p(
        "torch_pool_too_small",
        "kernel_too_large",
        "pytorch",
        r"Given input size: \((?P<input>"
        + _P
        + r")\)\. Calculated output size: \((?P<output>"
        + _P
        + r")\)\. Output size is too small",
        _read_pool_small,
    ),
    _p(
        "tf_negative_dimension",
        "kernel_too_large",
        "keras",
        r"Negative dimension size caused by subtracting (?P<k>\d{1,9}) from (?P<n>\d{1,9})(?: for '(?P<node>[^']{0,400})')?(?: \(op: '(?P<op>\w{1,40})'\))?(?: with input shapes: \[(?P<input>[^\]]{0,200})\](?:, \[(?P<kernel>[^\]]{0,200})\])?)?",
        _read_negative_dim,
    ),
    _p(
        "keras3_output_negative",
        "kernel_too_large",
        "keras",
        r"[Cc]omputed output size would be (?:zero or )?negative(?P<rest>[^\n]{0,400}(?:\n[^\n]{0,200}){0,3})",
        _read_keras3_negative,
    ),
    # ---- reshape ----
    _p(
        "torch_view",
        "reshape_size_mismatch",
        "pytorch",
        r"shape '\[(?P<shape>" + _L + r")\]' is invalid for input of size (?P<size>\d{1,15})",
        _read_view,
    ),
    _p(
        "keras_reshape",
        "reshape_size_mismatch",
        "keras",
        r"total size of (?:new array|the tensor) must be unchanged(?:[.,] ?(?:Received: )?input_shape ?= ?[\[\(](?P<input>[^\]\)]{0,200})[\]\)],? (?:output_shape|target_shape) ?= ?[\[\(](?P<target>[^\]\)]{0,200})[\]\)])?",
        _read_keras_reshape,
    ),
    _p(
        "tf_reshape",
        "reshape_size_mismatch",
        "keras",
        r"Input to reshape is a tensor with (?P<values>\d{1,15}) values, but the requested shape (?:has|requires a multiple of) (?P<requested>\d{1,15})",
        _read_tf_reshape,
    ),
    _p(
        "theano_reshape",
        "reshape_size_mismatch",
        None,
        r"cannot reshape input of shape \((?P<input>" + _P + r")\) to shape \((?P<target>" + _P + r")\)",
        _read_keras_reshape,
    ),
    _p(
        "numpy_reshape",
        "reshape_size_mismatch",
        None,
        r"cannot reshape array of size (?P<size>\d{1,15}) into shape \((?P<shape>" + _P + r")\)",
        _read_numpy_reshape,
    ),
    # ---- recurrent ----
    _p(
        "torch_rnn_input_size",
        "rnn_input_mismatch",
        "pytorch",
        r"input\.size\(-1\) must be equal to input_size\. Expected (?P<expected>\d{1,12}), got (?P<received>\d{1,12})",
        _read_rnn_size,
    ),
    _p(
        "torch_rnn_rank",
        "rnn_input_mismatch",
        "pytorch",
        r"input must have (?P<expected>\d) dimensions, got (?P<received>\d)",
        _read_rnn_rank,
    ),
    # ---- embedding ----
    _p(
        "keras_indices",
        "embedding_index",
        "keras",
        r"indices\[[\d, ]{1,40}\] = (?P<index>-?\d{1,15}) is not in \[0, (?P<high>\d{1,15})\)",
        _read_indices,
    ),
    _p("torch_index_out_of_range", "embedding_index", "pytorch", r"index out of range in self", _read_nothing),
    _p(
        "torch_cuda_index",
        "embedding_index",
        "pytorch",
        r"Assertion `srcIndex < srcSelectDimSize` failed",
        _read_nothing,
    ),
    # ---- normalization ----
    _p(
        "torch_running_mean",
        "norm_features_mismatch",
        "pytorch",
        r"running_mean should contain (?P<input>\d{1,12}) elements not (?P<features>\d{1,12})",
        _read_running_mean,
    ),
    _p(
        "torch_layernorm",
        "norm_features_mismatch",
        "pytorch",
        r"[Gg]iven normalized_shape=\[(?P<normalized>"
        + _L
        + r")\], expected input with shape \[(?P<expected>"
        + _L
        + r")\], but got input of size ?[\[\(](?P<input>[^\]\)]{0,300})[\]\)]",
        _read_layernorm,
    ),
    # ---- merges ----
    _p(
        "torch_cat",
        "merge_shape_mismatch",
        "pytorch",
        r"Sizes of tensors must match except in dimension (?P<dim>\d{1,2})\. Expected size (?P<expected>\d{1,12}) but got size (?P<received>\d{1,12}) for tensor number (?P<tensor>\d{1,4}) in the list",
        _read_cat,
    ),
    _p(
        "torch_cat_old",
        "merge_shape_mismatch",
        "pytorch",
        r"Sizes of tensors must match except in dimension (?P<dim>\d{1,2})\. Got (?P<first>\d{1,12}) and (?P<second>\d{1,12}) (?:in dimension (?P<at>\d{1,2}))?",
        _read_cat_old,
    ),
    _p(
        "keras_concatenate",
        "merge_shape_mismatch",
        "keras",
        r"(?:A `?Concatenate`? layer requires inputs with matching shapes except for the concat axis|\"concat\" mode can only merge layers with matching output shapes except for the concat axis)\.?[^\[]{0,80}\[(?P<shapes>[^\]\n]{0,1500})\]?",
        _read_concat,
    ),
    _p(
        "keras_broadcast",
        "merge_shape_mismatch",
        "keras",
        r"Operands could not be broadcast together with shapes \((?P<a>" + _P + r")\) \((?P<b>" + _P + r")\)",
        _read_broadcast_keras,
    ),
    _p(
        "tf_dimensions_equal",
        "merge_shape_mismatch",
        "keras",
        r"Dimensions must be equal, but are (?P<a>\d{1,12}) and (?P<b>\d{1,12}) for '[^']{0,300}' \(op: '(?P<op>Add|AddV2|Mul|Sub|Maximum|Minimum)'\)",
        _read_tf_dims_equal,
    ),
    _p(
        "torch_broadcast",
        "merge_shape_mismatch",
        "pytorch",
        r"The (?:expanded )?size of (?:the )?tensor (?:a )?\((?P<a>\d{1,12})\) must match the (?:existing )?size (?:of tensor b )?\((?P<b>\d{1,12})\) at non-singleton dimension (?P<dim>\d{1,2})",
        _read_broadcast,
    ),
    # ---- attention ----
    _p(
        "torch_heads_numbers",
        "attention_heads",
        "pytorch",
        r"embed_dim (?:= )?(?P<embed>\d{1,9}) must be divisible by num_heads (?:= )?(?P<heads>\d{1,9})",
        _read_heads,
    ),
    _p("torch_heads", "attention_heads", "pytorch", r"embed_dim must be divisible by num_heads", _read_nothing),
    _p(
        "torch_mha_embed",
        "attention_heads",
        "pytorch",
        r"was expecting embedding dimension of (?P<expected>\d{1,9}), but got (?P<received>\d{1,9})",
        _read_mha_dim,
    ),
    # ---- transposed convolutions ----
    _p(
        "torch_requested_output",
        "transposed_output_size",
        "pytorch",
        r"requested an output size of \[?(?P<requested>[\d, ]{1,80})\]?, but valid sizes range from \[?(?P<low>[\d, ]{1,80})\]? to \[?(?P<high>[\d, ]{1,80})\]? \(for an input of \[?(?P<input>[\d, ]{1,80})\]?\)",
        _read_requested_size,
    ),
    _p(
        "torch_output_padding",
        "transposed_output_size",
        "pytorch",
        r"output padding must be smaller than either stride or dilation, but got output_padding_height: (?P<oph>\d{1,6}) output_padding_width: (?P<opw>\d{1,6}) stride_height: (?P<sh>\d{1,6}) stride_width: (?P<sw>\d{1,6}) dilation_height: (?P<dh>\d{1,6}) dilation_width: (?P<dw>\d{1,6})",
        _read_output_padding,
    ),
    _p(
        "keras_output_padding",
        "transposed_output_size",
        "keras",
        r"Strides? \((?P<stride>[\d, ]{1,40})\) must be greater than output padding \((?P<padding>[\d, ]{1,40})\)",
        _read_keras_output_padding,
    ),
    # ---- padding='same' with a stride (PyTorch) ----
    _p(
        "torch_same_stride",
        "same_padding_stride",
        "pytorch",
        r"padding='same' is not supported for strided convolutions",
        _read_nothing,
    ),
    # ---- Keras input checks (after the specific ones above) ----
    _p(
        "keras_axis_value",
        None,  # in_features_mismatch or channel_mismatch, by the layer named
        "keras",
        r"Input (?P<index>\d{1,3})(?: with name '[^'\n]{0,80}')? (?:of layer [\"']?(?P<layer>[\w\-\.]{1,80})[\"']? is incompatible with the layer|is incompatible with layer [\"']?(?P<layer2>[\w\-\.]{1,80})[\"']?):(?: :)? expected axis (?P<axis>-?\d{1,2}) of input shape to have value (?P<expected>\d{1,12}),? but (?:received input with|got) shape \[?\(?(?P<shape>[^\)\]\n]{0,200})",
        _read_keras_axis,
    ),
    _p(
        "keras_ndim",
        None,  # rank_mismatch or rnn_input_mismatch, by the layer named
        "keras",
        r"Input (?P<index>\d{1,3})(?: with name '[^'\n]{0,80}')? (?:of layer [\"']?(?P<layer>[\w\-\.]{1,80})[\"']? is incompatible with the layer|is incompatible with layer [\"']?(?P<layer2>[\w\-\.]{1,80})[\"']?):(?: :)? expected (?P<minimum>min_)?ndim=(?P<expected>\d{1,2}), found ndim=(?P<received>\d{1,2})(?:\.? ?Full shape received: \[?\(?(?P<shape>[^\)\]\n]{0,200}))?",
        _read_keras_ndim,
    ),
    _p(
        "keras_checking_input_rank",
        "rank_mismatch",
        "keras",
        r"Error when checking (?:input|model input): expected (?P<layer>[\w\-\.]{1,80}) to have (?P<expected>\d{1,2}) dimensions,\s{0,3}but got (?:an )?array with shape \((?P<shape>"
        + _P
        + r")\)",
        _read_checking_rank,
    ),
    _p(
        "keras_checking_input_shape",
        None,  # rank_mismatch or in_features_mismatch, by the ranks
        "keras",
        r"Error when checking (?:input|model input): expected (?P<layer>[\w\-\.]{1,80}) to have shape \((?P<expected>"
        + _P
        + r")\) but got array with shape \((?P<shape>"
        + _P
        + r")\)",
        _read_checking_shape,
    ),
    _p(
        "keras_incompatible_shape",
        None,  # rank_mismatch or in_features_mismatch, by the ranks
        "keras",
        r"Input (?P<index>\d{1,3}) is incompatible with layer \"?(?P<layer>[\w\-\.]{1,80})\"?: expected shape=\((?P<expected>"
        + _P
        + r")\), found shape=\((?P<shape>"
        + _P
        + r")\)",
        _read_checking_shape,
    ),
)


def family_of(pattern: Pattern, numbers: dict) -> str:
    """The family of a match; the two generic Keras input checks decide by the layer they name."""
    if pattern.family is not None:
        return pattern.family
    layer = (numbers.get("layer") or "").lower()
    if pattern.name in ("keras_incompatible_shape", "keras_checking_input_shape"):
        expected, given = numbers.get("expected_shape") or [], numbers.get("input_shape") or []
        return "rank_mismatch" if len(expected) != len(given) else "in_features_mismatch"
    if pattern.name == "shapekb_expects":
        return {
            "in_features": "in_features_mismatch",
            "in_channels": "channel_mismatch",
            "input_size": "rnn_input_mismatch",
            "num_features": "norm_features_mismatch",
        }[numbers["parameter"]]
    if pattern.name == "keras_ndim":
        return "rnn_input_mismatch" if any(w in layer for w in _RECURRENT) else "rank_mismatch"
    if pattern.name == "keras_axis_value":
        if any(w in layer for w in _CONV):
            return "channel_mismatch"
        if any(w in layer for w in _RECURRENT):
            return "rnn_input_mismatch"
        if "normalization" in layer:
            return "norm_features_mismatch"
        return "in_features_mismatch"
    return "unknown"


def find(text: str):
    """The first pattern (in PATTERNS order) found in the text, with its last match there; or (None, None)."""
    for pattern in PATTERNS:
        last = None
        for count, match in enumerate(pattern.regex.finditer(text)):
            last = match
            if count >= 50:  # a paste repeating the message: the fiftieth is as good as the last
                break
        if last is not None:
            return pattern, last
    return None, None


def read(pattern: Pattern, match: re.Match) -> dict:
    """The match's numbers, without the ones the message did not hold."""
    numbers = pattern.read(match)
    return {k: v for k, v in numbers.items() if v is not None and v != [] and v != {}}
