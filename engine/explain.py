"""Explain a pasted shape error: its family, its numbers, the layer's formula, and fixes the engine checked.

explain(message, code=None, framework=None, input_shape=None) reads the message with bounded patterns
(engine.explain_patterns), explains it with the registry's own formulas (never a second copy), and
proposes fixes. Without code a fix is checked by evaluating the changed layer (`check`); with code the
model is traced (engine.trace_code, the model reader) and `verified` is true only when the changed
model was traced and runs through. Nothing pasted is ever run or evaluated.
"""

from __future__ import annotations

import math
from fractions import Fraction

from engine import explain_patterns as patterns
from engine import registry
from engine.errors import ShapeError

MAX_MESSAGE_CHARS = 20_000
MAX_CODE_CHARS = 20_000
FAMILIES = patterns.FAMILIES
_OTHER = {"keras": "pytorch", "pytorch": "keras"}


# ---- small helpers --------------------------------------------------------------------------------


def _shape_text(shape) -> str:
    """[None, 28, 28] -> (None, 28, 28)."""
    if not shape:
        return "()"
    inner = ", ".join("None" if v is None else str(v) for v in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _product(dims) -> int | None:
    out = 1
    for v in dims:
        if not isinstance(v, int) or v < 0:
            return None
        out *= v
    return out


def _square_ratio(big: int, small: int) -> Fraction | None:
    """sqrt(big/small) when it is a simple fraction (9216/4096 -> 3/2), else None."""
    if not big or not small:
        return None
    ratio = Fraction(big, small)
    num, den = math.isqrt(ratio.numerator), math.isqrt(ratio.denominator)
    if num * num == ratio.numerator and den * den == ratio.denominator and den <= 64 and ratio != 1:
        return Fraction(num, den)
    return None


def _formula(framework: str, layer: str, key: str, values: dict | None = None) -> dict | None:
    """One of the layer's declared formulas, rendered by the engine, with the message's numbers put in."""
    try:
        spec = registry.lookup(framework, layer)
    except ShapeError:
        return None
    for formula in spec.formulas:
        if formula.key == key:
            entry = {"layer": f"{spec.framework}/{spec.name}", **formula.rendered}
            known = {k: v for k, v in (values or {}).items() if k in formula.arg_names and v is not None}
            if known:
                entry["values"] = known
                entry["substituted"] = formula.substituted(known)
            return entry
    return None


def _text(framework: str, layer: str, key: str) -> str:
    """A declared formula's text as the engine renders it (for prose: no formula is written twice)."""
    entry = _formula(framework, layer, key)
    return f"`{entry['text']}`" if entry else "its formula"


def _check(framework: str, layer: str, params: dict, input_shape) -> dict:
    """Evaluate the changed layer on the shape from the message: the engine's answer, or its refusal."""
    from engine.api import evaluate  # engine.api imports every layer declaration; load it when first needed

    out = {"layer": layer, "params": params, "input_shape": list(input_shape)}
    try:
        result = evaluate(framework, layer, params, list(input_shape))
    except ShapeError as err:
        out["runs"] = False
        out["error"] = err.message
        return out
    out["runs"] = True
    out["output_shape"] = result["output_shape"]
    out["param_count"] = result["param_count"]
    return out


def _fix(description: str, change: dict, check: dict | None = None) -> dict:
    fix = {"description": description, "change": change, "verified": False}
    if check is not None:
        fix["check"] = check
    return fix


class _Case:
    """What the message says, while the explanation is being written."""

    def __init__(self, family: str, framework: str | None, numbers: dict):
        self.family = family
        self.framework = framework
        self.n = numbers
        self.layer_type: str | None = None
        self.summary = ""
        self.computes = ""
        self.why = ""
        self.causes: list[str] = []
        self.fixes: list[dict] = []
        self.formulas: list[dict] = []
        self.notes: list[str] = []

    def formula(self, framework, layer, key, values=None):
        entry = _formula(framework, layer, key, values)
        if entry is not None:
            self.formulas.append(entry)


# ---- one function per family: summary, explanation, fixes, formulas -------------------------------


def _in_features(c: _Case) -> None:
    n = c.n
    expected, received = n.get("expected"), n.get("received")
    if c.framework == "keras":
        c.layer_type = "Dense"
        layer = n.get("layer", "the Dense layer")
        c.summary = (
            f"`{layer}` was built for inputs whose last axis is {expected}, and received one of size {received}."
        )
        c.computes = (
            "A Dense layer multiplies the last axis of its input by a kernel of shape (input size, units); "
            "Keras sizes that kernel the first time the layer is built, from the shape it sees then."
        )
        c.formula("keras", "Dense", "dense_param_count", {"i": expected})
        shape = n.get("input_shape")
        if shape:
            c.fixes.append(
                _fix(
                    f"Feed `{layer}` what it was built for: a last axis of {expected} (the input size the model was "
                    f"declared with), instead of {_shape_text(shape)}.",
                    {"layer": layer, "input_shape": [*shape[:-1], expected]},
                )
            )
        c.fixes.append(
            _fix(
                f"Or build the model for the data you have: declare its input so that {received} features reach "
                f"`{layer}` (Keras then sizes the kernel as ({received}, units)).",
                {"layer": layer, "input_features": received},
            )
        )
    else:
        c.layer_type = "Linear"
        out = n.get("out_features")
        rows = (n.get("input_shape") or [None])[0]
        written = f"written as `nn.Linear({expected}, {out})`" if out is not None else f"with in_features={expected}"
        c.summary = f"A Linear layer {written} received a tensor whose last axis has {received} features" + (
            f" ({rows} x {received})." if rows is not None else "."
        )
        c.computes = (
            "`nn.Linear(in_features, out_features)` computes y = x W^T + b, with W of shape (out_features, "
            "in_features): the input's last axis must be in_features. PyTorch reports the product it tried, "
            f"mat1 = the input flattened to ({rows} x {received}) and mat2 = W^T ({expected} x {out}); the inner "
            f"sizes {received} and {expected} must be equal."
        )
        c.formula("pytorch", "Linear", "dense_param_count", {"i": expected, "u": out})
        if out is None and received is not None:
            c.fixes.append(
                _fix(
                    f"Change the layer to the size that arrives: in_features={received}; or feed {expected} features.",
                    {"layer": n.get("layer", "Linear"), "params": {"in_features": received}},
                )
            )
        if out is not None:
            c.fixes.append(
                _fix(
                    f"Change the layer to the size that arrives: `nn.Linear({received}, {out})`.",
                    {"layer": "Linear", "params": {"in_features": received, "out_features": out}},
                    _check("pytorch", "Linear", {"in_features": received, "out_features": out}, [rows, received]),
                )
            )
            c.fixes.append(
                _fix(
                    f"Or feed the size the layer was written for, so that {expected} features reach it "
                    "(the input size the model was designed around).",
                    {"layer": "Linear", "input_shape": [rows, expected]},
                    _check("pytorch", "Linear", {"in_features": expected, "out_features": out}, [rows, expected]),
                )
            )
    c.why = f"The layer expects {expected} input features and {received} arrive."
    side = _square_ratio(received, expected) if expected and received else None
    if side is not None and received != expected:
        c.why += (
            f" {received}/{expected} = ({side})², the square of a simple ratio: the feature map that was flattened "
            f"is {side} times as wide and as high as the one the layer was written for, which is what an input image "
            f"{side} times the side it was designed for gives."
        )
    if expected and received and received < expected and expected % (received * received) == 0:
        c.why += (
            f" Also {expected} = {expected // (received * received)} x {received} x {received}: a {received}-wide "
            "feature map seems to have reached the layer without being flattened (flatten it first: "
            "`x = torch.flatten(x, 1)`)."
        )
    c.causes = [
        "An input size other than the one the model was written for: the size after Flatten depends on the image size.",
        "A missing or misplaced flatten (`x.view(x.size(0), -1)`, `torch.flatten(x, 1)`, `Flatten()`).",
        "Channels-last data (N, H, W, C) fed to a model written for channels-first, or the other way round.",
        "Features from another backbone or checkpoint (for example 2048 ResNet features into a layer for 4096).",
    ]


def _conv_name(framework: str, rank: int | None, transposed: bool = False) -> str:
    spatial = {3: 1, 4: 2, 5: 3}.get(rank or 4, 2)
    if framework == "keras":
        return f"Conv{spatial}DTranspose" if transposed else f"Conv{spatial}D"
    return f"ConvTranspose{spatial}d" if transposed else f"Conv{spatial}d"


def _channels(c: _Case) -> None:
    n = c.n
    expected, received = n.get("expected"), n.get("received")
    weight, given = n.get("weight_shape") or [], n.get("input_shape") or []
    if c.framework == "keras":
        layer = n.get("layer", "the convolution")
        c.layer_type = "Conv2D"
        c.summary = f"`{layer}` was built for {expected} input channels and received {received}."
        c.computes = (
            "A Keras convolution's kernel has shape (*kernel_size, input channels, filters); the input channels are "
            "read from the last axis (channels_last) when the layer is first built."
        )
        c.formula("keras", "Conv2D", "conv_param_count", {"C_in": expected})
        c.fixes.append(
            _fix(
                f"Feed {expected} channels on the last axis, or rebuild the model for {received} channels.",
                {"layer": layer, "input_channels": received},
            )
        )
    else:
        transposed = bool(n.get("transposed"))
        layer = _conv_name("pytorch", len(weight) or None, transposed)
        c.layer_type = layer
        groups = n.get("groups") or 1
        out_channels = weight[1] * groups if transposed and len(weight) > 1 else (weight[0] if weight else None)
        kernel = weight[2:] if len(weight) > 2 else []
        c.summary = (
            f"A {layer} with {expected} input channels"
            + (f" (weight {_shape_text(weight)})" if weight else "")
            + f" received an input with {received} channels"
            + (f" {_shape_text(given)}." if given else ".")
        )
        c.computes = (
            f"A {layer} holds one kernel per (output channel, input channel) pair: its weight is (out_channels, "
            "in_channels / groups, *kernel_size) and its input must be (N, C, *spatial) with C = in_channels, "
            "channels on axis 1."
        )
        c.formula("pytorch", layer, "conv_param_count", {"C_in": expected, "C_out": out_channels, "g": groups})
        if given and len(given) >= 3 and given[-1] == expected and given[1] != expected:
            c.why = (
                f"The input's last axis is {given[-1]}, the number of channels the layer wants: the data is "
                f"channels-last (N, H, W, C) and PyTorch reads axis 1 ({given[1]}) as the channels."
            )
            permuted = [given[0], given[-1], *given[1:-1]]
            c.fixes.append(
                _fix(
                    "Move the channels to axis 1 before the model: `x = x.permute(0, 3, 1, 2)` (images loaded as "
                    "H x W x C, for example with PIL or OpenCV, need it).",
                    {"input_shape": permuted},
                    _check("pytorch", layer, _conv_params(expected, out_channels, kernel, groups), permuted)
                    if out_channels and kernel and not transposed
                    else None,
                )
            )
        if out_channels and kernel and not transposed and given:
            c.fixes.append(
                _fix(
                    f"Change the layer to the channels that arrive: in_channels={received}.",
                    {"layer": layer, "params": {"in_channels": received}},
                    _check("pytorch", layer, _conv_params(received, out_channels, kernel, groups), given),
                )
            )
            fed = [given[0], expected, *given[2:]]
            c.fixes.append(
                _fix(
                    f"Or feed {expected} channels (for a grayscale image into an RGB model: "
                    f"`x.repeat(1, {expected}, 1, 1)` or convert the images to RGB).",
                    {"input_shape": fed},
                    _check("pytorch", layer, _conv_params(expected, out_channels, kernel, groups), fed),
                )
            )
    if not c.fixes and c.framework != "keras" and received is not None:
        c.fixes.append(
            _fix(
                f"Change the layer to the channels that arrive (in_channels={received}), or feed {expected} channels.",
                {"layer": n.get("layer", c.layer_type), "params": {"in_channels": received}},
            )
        )
    if not c.why:
        c.why = f"The layer's weight was made for {expected} input channels; the tensor it got has {received}."
    c.causes = [
        "Grayscale images (1 channel) into a model for RGB (3), or RGBA (4) into RGB.",
        "Channels-last data (N, H, W, C) where PyTorch wants (N, C, H, W).",
        "A preceding layer's out_channels changed without the next layer's in_channels.",
        "A checkpoint or latent format with another channel count (for example 16 latent channels into a 4-channel VAE).",
    ]


def _conv_params(in_channels, out_channels, kernel, groups) -> dict:
    params = {"in_channels": in_channels, "out_channels": out_channels, "kernel_size": list(kernel)}
    if groups != 1:
        params["groups"] = groups
    return params


def _rank(c: _Case) -> None:
    n = c.n
    shape = n.get("input_shape") or []
    got = n.get("received_rank", len(shape) or None)
    want = n.get("expected_rank")
    if isinstance(want, list):  # (unbatched, batched) ranks of PyTorch 1.11+
        want_text = f"{want[0]} (unbatched) or {want[1]} (batched)"
        batched = want[1]
    else:
        want_text, batched = str(want), want
    weight = n.get("weight_shape") or []
    layer = n.get("layer") or n.get("operation")
    if c.framework == "pytorch":
        c.layer_type = _conv_name("pytorch", len(weight) or (batched if isinstance(batched, int) else 4))
    else:
        c.layer_type = "Conv2D" if batched == 4 else "Dense" if batched == 2 else None
    where = f"`{layer}`" if layer else f"the {c.layer_type or 'layer'}"
    c.summary = f"{where} expects an input of rank {want_text}, and received rank {got}" + (
        f": {_shape_text(shape)}." if shape else "."
    )
    c.computes = (
        "Every layer reads its input's axes by position: (N, C, L) for 1-D, (N, C, H, W) for 2-D and (N, C, D, H, W) "
        "for 3-D convolutions in PyTorch; (batch, ..., channels) in Keras, where the batch axis is implicit in "
        "`input_shape`. One axis too few or too many changes what every axis means."
    )
    if isinstance(batched, int) and isinstance(got, int):
        if got == batched - 1:
            fed = [1, *shape] if c.framework == "pytorch" else [*shape, 1] if shape else None
            if c.framework == "pytorch":
                text = "The batch axis is missing: add it with `x.unsqueeze(0)` (one sample) or batch the data."
                if len(weight) > 1 and shape and shape[0] != weight[1] and weight[1] == 1:
                    fed = [shape[0], 1, *shape[1:]]
                    text = "The channel axis is missing: add it with `x.unsqueeze(1)` (one channel)."
            else:
                text = (
                    "The channel axis is missing: add it with `x[..., None]` / `np.expand_dims(x, -1)` (grayscale "
                    "images need a trailing 1)."
                )
                if shape and shape[0] is not None and len(shape) == batched - 1 and batched == 3:
                    fed = [1, *shape]
                    text = "The batch axis is missing: `np.expand_dims(x, 0)` gives one sample a batch axis."
            check = None
            if c.framework == "pytorch" and len(weight) > 2 and fed and len(fed) == len(weight):
                check = (
                    _check("pytorch", c.layer_type, _conv_params(fed[1], weight[0], weight[2:], 1), fed)
                    if fed[1] == weight[1]
                    else None
                )
            if check is None or check["runs"]:
                c.fixes.append(_fix(text, {"input_shape": fed}, check))
            c.why = f"The input has {got} axes; the layer reads {batched}, so one axis is missing."
        elif got == batched + 1:
            if shape and len(shape) >= 2 and all(isinstance(v, int) for v in shape[:2]):
                merged = [shape[0] * shape[1], *shape[2:]]
                c.fixes.append(
                    _fix(
                        f"An extra axis came along: merge the first two into the batch "
                        f"(`x.view(-1, *x.shape[2:])` gives {_shape_text(merged)}), or remove the axis that "
                        "was added (`squeeze`, or no second `unsqueeze`/`stack`).",
                        {"input_shape": merged},
                    )
                )
            else:
                c.fixes.append(
                    _fix("Remove the extra axis (`squeeze`, or reshape to the layer's rank).", {"input_rank": batched})
                )
            c.why = f"The input has {got} axes; the layer reads {batched}, so one axis is too many."
        elif shape and got == 2 and batched == 4 and isinstance(shape[1], int):
            side = math.isqrt(shape[1])
            if side * side == shape[1]:
                fed = [shape[0], 1, side, side] if c.framework == "pytorch" else [shape[0], side, side, 1]
                c.fixes.append(
                    _fix(
                        f"The images arrived flattened ({shape[1]} = {side} x {side}): reshape them to "
                        f"{_shape_text(fed)} before the convolution.",
                        {"input_shape": fed},
                    )
                )
    if not c.why:
        c.why = f"The input has {got} axes; the layer reads {want_text}."
    if n.get("layer") and any(w in n["layer"].lower() for w in ("dense",)) and got == 3:
        c.fixes.append(
            _fix(
                "A recurrent layer before it returns sequences: use `return_sequences=False`, or Flatten() first.",
                {"layer": n["layer"], "insert_before": "Flatten"},
            )
        )
    c.causes = [
        "A single sample without its batch axis (PyTorch wants (1, C, H, W) for one image).",
        "Grayscale images without a channel axis ((N, H, W) where (N, H, W, 1) or (N, 1, H, W) is wanted).",
        "An extra axis from `stack`/`unsqueeze` or from clips of frames given to an image model.",
        "A version change: PyTorch 1.11+ accepts an unbatched (C, H, W) image that older versions refused, and "
        "Keras 3 adds a missing trailing axis of size 1 to a declared input that Keras 2 refused.",
    ]
    expected_shape = n.get("expected_shape")
    if expected_shape and shape and len(expected_shape) == len(shape) + 1 and expected_shape[0] is None:
        c.fixes.append(
            _fix(
                "The batch axis is missing: give one sample a batch axis (`np.expand_dims(x, 0)`).",
                {"input_shape": [1, *shape]},
            )
        )
    if not c.fixes and isinstance(batched, int):
        c.fixes.append(
            _fix(
                f"Give the input {batched} axes in the layer's order; find the axis that was dropped or added "
                "(a batch of one squeezed away, a missing channel axis, an extra stacked axis).",
                {"input_rank": batched},
            )
        )
    if c.framework == "keras" and batched == 3:
        c.formula("keras", "LSTM", "keras_lstm_param_count")
    elif c.framework == "keras" and batched == 2:
        c.formula("keras", "Dense", "dense_param_count")
    if c.layer_type and c.layer_type.startswith(("Conv", "conv")):
        c.formula(
            c.framework or "pytorch",
            c.layer_type,
            "conv_output_length" if c.framework != "keras" else "conv_valid_length",
        )


def _kernel(c: _Case) -> None:
    n = c.n
    framework = c.framework or "keras"
    size, kernel = n.get("size"), n.get("kernel")
    sizes, kernels = n.get("input_size") or [], n.get("kernel_size") or n.get("pool_size") or []
    if size is None and sizes and kernels:
        pairs = [(s, k) for s, k in zip(sizes, kernels, strict=False) if isinstance(s, int) and isinstance(k, int)]
        small = [(s, k) for s, k in pairs if s < k] or pairs
        if small:
            size, kernel = small[0]
    shape = n.get("input_shape") or []
    if size is None and kernel is None and len(shape) > 2 and kernels:
        spatial = shape[1:-1]
        pairs = [(s, k) for s, k in zip(spatial, kernels, strict=False) if isinstance(s, int) and isinstance(k, int)]
        small = [(s, k) for s, k in pairs if s < k] or pairs
        if small:
            size, kernel = small[0]
    if kernel is None and n.get("ksize"):
        kernel = max(v for v in n["ksize"] if isinstance(v, int))
    op = (n.get("operation") or n.get("layer") or "").lower()
    pooling = "pool" in op or "pool_size" in n or "ksize" in n
    if framework == "pytorch":
        c.layer_type = "MaxPool2d" if pooling else "Conv2d"
        c.formula("pytorch", c.layer_type, "conv_output_length", {"L_in": size, "k": kernel, "p": 0, "d": 1, "s": 1})
    else:
        c.layer_type = ("MaxPooling2D" if pooling else "Conv2D") if "3d" not in op else "Conv3D"
        c.formula("keras", c.layer_type, "conv_valid_length", {"L_in": size, "k": kernel, "d": 1, "s": 1})
        c.formula("keras", c.layer_type, "conv_same_length", {"L_in": size})
    what = "pooling window" if pooling else "kernel"
    c.summary = (
        f"A {what} of {kernel} does not fit in an input of {size} on one axis, so the output size would be zero or "
        "negative."
        if kernel is not None and size is not None
        else f"A {what} is larger than its (padded) input on one axis, so the output size would be zero or negative."
    )
    c.computes = (
        "A window of size k (dilation d, stride s, padding p) fits in the input as often as "
        f"{_text('pytorch', 'Conv2d', 'conv_output_length')} says, which is zero or negative once the window is "
        f"larger than the padded input; Keras's 'same' padding keeps {_text('keras', 'Conv2D', 'conv_same_length')} "
        "instead."
    )
    c.why = (
        f"The input reaching this layer is only {size} wide on that axis, the window is {kernel}."
        if kernel is not None and size is not None
        else "The input reaching this layer is smaller than its window."
    )
    if framework == "keras" and len(shape) == 4 and isinstance(shape[1], int) and isinstance(shape[-1], int):
        if shape[1] <= 4 < shape[-1] and shape[1] == size:
            c.why += (
                f" The shape {_shape_text(shape)} has {shape[1]} on the first spatial axis and {shape[-1]} on the "
                "channel axis: channels-first data (C, H, W) read by a channels-last layer."
            )
            reordered = [shape[0], *shape[2:], shape[1]]
            c.fixes.append(
                _fix(
                    "Give the data channels last (`input_shape=(rows, cols, channels)`), or set "
                    "`data_format='channels_first'` on the layers.",
                    {"input_shape": reordered},
                )
            )
    params = {"kernel_size": kernel} if not pooling else {"pool_size": kernel}
    if kernel is not None and size is not None and size > 0:
        if framework == "keras":
            layer = c.layer_type
            base = {"filters": (n.get("kernel_shape") or [0, 0, 0, 1])[-1] or 1} if not pooling else {}
            spatial = [size] * (len(shape) - 2 if len(shape) > 2 else 2)
            probe = (
                [None, *spatial, shape[-1] if shape else 1]
                if not pooling
                else [None, *spatial, shape[-1] if shape else 1]
            )
            ok = _check("keras", layer, {**base, **params, "padding": "same"}, probe)
            c.fixes.append(
                _fix(
                    f"Use `padding='same'` so the layer keeps {_text('keras', 'Conv2D', 'conv_same_length')} "
                    "instead of shrinking the input.",
                    {"layer": n.get("layer") or layer, "params": {"padding": "same"}},
                    ok,
                )
            )
        else:
            pad = (kernel - 1) // 2 if not pooling else 0
            if not pooling:
                c.fixes.append(
                    _fix(
                        f"Pad the input: `padding={pad}` (or `padding='same'` at stride 1) keeps the length.",
                        {"layer": c.layer_type, "params": {"padding": pad}},
                        _check(
                            "pytorch",
                            "Conv1d",
                            {"in_channels": 1, "out_channels": 1, "kernel_size": kernel, "padding": pad},
                            [1, 1, size],
                        ),
                    )
                )
    if kernel is not None:
        c.fixes.append(
            _fix(
                f"Feed a larger input: this layer needs at least {kernel} on that axis, so the model's input "
                "must be large enough to leave that much after the layers before it.",
                {"minimum_size_at_layer": kernel},
            )
        )
    c.causes = [
        "An input image smaller than the model was designed for (each valid convolution and pooling shrinks it).",
        "Too many pooling/stride-2 layers for the input size (28x28 halves to 1x1 after a few blocks).",
        "Channels-first data (C, H, W) given to channels-last layers: the channel count is read as the height.",
        "A version change: Keras 1 with Theano ordering (channels first) code run with TensorFlow's channels-last default.",
    ]


def _reshape(c: _Case) -> None:
    n = c.n
    requested = n.get("requested_shape") or n.get("target_shape") or []
    total = n.get("input_size")
    if total is None and n.get("input_shape"):
        total = _product([v for v in n["input_shape"] if v is not None])
    known = [v for v in requested if isinstance(v, int) and v != -1]
    per = _product(known) if known else None
    if c.framework == "keras" and n.get("input_shape"):
        c.layer_type = "Reshape"
        source = n["input_shape"]
        size = _product([v for v in source if v is not None])
        c.summary = (
            f"Reshape to {_shape_text(requested)} ({per} elements) cannot hold an input of {_shape_text(source)} "
            f"({size} elements)."
        )
        c.formula("keras", "Reshape", "reshape_inferred_size", {"i": size, "q": per})
        rest = _product(requested[:-1]) if requested and -1 not in requested else None
        target = None
        if size and rest and size % rest == 0:  # keep every axis but the last, which takes what is left
            target = [*requested[:-1], size // rest]
        elif size and requested and requested[0] and requested[0] > 0 and size % requested[0] == 0:
            target = [requested[0], size // requested[0]]
        if target is not None:
            c.fixes.append(
                _fix(
                    f"Keep every element: `Reshape({_shape_text(target)})` ({' x '.join(map(str, target))} = {size}).",
                    {"layer": "Reshape", "params": {"target_shape": target}},
                    _check("keras", "Reshape", {"target_shape": target}, [None, *source]),
                )
            )
    else:
        c.layer_type = "view"
        c.summary = (
            f"`view`/`reshape` to {_shape_text(requested)} needs a multiple of {per} elements, and the tensor has "
            f"{total}."
            if -1 in requested
            else f"`view`/`reshape` to {_shape_text(requested)} needs {per} elements, and the tensor has {total}."
        )
        c.formula("pytorch", "Flatten", "flatten_running_product")
    c.computes = (
        "A reshape only rearranges elements: the product of the new sizes must equal the number of elements, "
        "and a -1 stands for whatever size makes the products equal (it must come out a whole number)."
    )
    if per and total:
        c.why = f"{total} / {per} = {Fraction(total, per)}" + (
            " is not a whole number, so no size fits the -1." if total % per else "."
        )
        if -1 in requested and requested.index(-1) == 0 and total % per:
            c.why += (
                " With -1 first, the hard-coded per-sample size is wrong for this input: write "
                "`x.view(x.size(0), -1)` (or `torch.flatten(x, 1)`) and size the next layer from the real per-sample "
                "count."
            )
        elif requested and requested[0] not in (-1, None) and total % requested[0] == 0:
            c.why += (
                f" Per sample that is {total // requested[0]} elements where the code assumes {per // requested[0]}."
            )
    if c.layer_type == "view":
        c.fixes.append(
            _fix(
                "Flatten with the batch axis kept (`x = x.view(x.size(0), -1)`) and give the next layer the size that "
                "comes out, or feed the input size the hard-coded numbers were computed for.",
                {"replace_view_with": "flatten(start_dim=1)"},
            )
        )
    c.causes = [
        "A hard-coded feature size (16*5*5, 8*16*30*30) computed for another input size.",
        "A grid or class count (13x13 tokens, 80 classes) that differs between config and checkpoint.",
        "A version change in a backbone's output (a Keras release changed ResNet50's final map from 1x1 to 7x7).",
    ]


def _rnn(c: _Case) -> None:
    n = c.n
    expected, received = n.get("expected"), n.get("received")
    if c.framework == "keras":
        c.layer_type = "LSTM"
        layer = n.get("layer", "the recurrent layer")
        got = n.get("received_rank")
        c.summary = f"`{layer}` wants (batch, timesteps, features), rank 3, and received rank {got}."
        c.computes = (
            "Keras recurrent layers read (batch, timesteps, features); `input_shape` gives (timesteps, features)."
        )
        c.why = f"The input has {got} axes where 3 are needed."
        if got == 2:
            c.fixes.append(
                _fix(
                    "Give the data a time axis: `input_shape=(timesteps, features)` and data of shape "
                    "(samples, timesteps, features) (`x.reshape(n, timesteps, features)`).",
                    {"layer": layer, "input_rank": 3},
                )
            )
        elif got == 4:
            c.fixes.append(
                _fix(
                    "Fold the extra axis away before the layer (Reshape/TimeDistributed), or drop the Embedding in "
                    "front of data that is already one-hot.",
                    {"layer": layer, "input_rank": 3},
                )
            )
        c.formula("keras", "LSTM", "keras_lstm_param_count")
    else:
        c.layer_type = "LSTM"
        c.summary = f"A recurrent layer built with input_size={expected} received inputs with {received} features."
        c.computes = (
            "nn.LSTM/GRU/RNN read (seq, batch, features) (or (batch, seq, features) with batch_first=True); the last "
            "axis must equal input_size, because the input weights are (gates x hidden_size, input_size)."
        )
        c.why = f"input.size(-1) is {received}; the layer's input_size is {expected}."
        c.formula("pytorch", "LSTM", "torch_rnn_param_count", {"i": expected, "n": 1, "D": 1, "G": 4})
        if expected and received:
            c.fixes.append(
                _fix(
                    f"Build the recurrent layer for the features that arrive: `input_size={received}`.",
                    {"layer": "LSTM", "params": {"input_size": received}},
                )
            )
            c.fixes.append(
                _fix(
                    f"Or feed {expected} features (the embedding or encoder size the layer was configured for).",
                    {"layer": "LSTM", "input_features": expected},
                )
            )
    c.causes = [
        "Word vectors or encoder outputs of another size (100-d GloVe into a 300-d model; BERT-base 768 into 1024).",
        "Covariates added to or removed from the features without updating input_size.",
        "Data without a time axis (samples, features) where (samples, timesteps, features) is wanted.",
    ]


def _embedding(c: _Case) -> None:
    n = c.n
    index, high = n.get("index"), n.get("input_dim")
    if c.framework == "keras":
        c.layer_type = "Embedding"
        c.summary = (
            f"An Embedding with input_dim={high} was given the index {index}; valid indices are 0..{high - 1}."
            if high
            else "An Embedding was given an index outside its table."
        )
        c.formula("keras", "Embedding", "embedding_param_count", {"N": high})
        if index is not None and index >= 0 and high:
            new = index + 1
            c.fixes.append(
                _fix(
                    f"Make the table one row larger than the largest index: `input_dim={new}` (vocabulary size + 1 "
                    "when index 0 is reserved for padding).",
                    {"layer": "Embedding", "params": {"input_dim": new}},
                    _check("keras", "Embedding", {"input_dim": new, "output_dim": 1}, [None, 1]),
                )
            )
        elif index is not None and index < 0:
            c.fixes.append(
                _fix(
                    f"Remove the negative index {index} from the data (padding with -1 is not an index); pad with 0.",
                    {"data": "no negative indices"},
                )
            )
    else:
        c.layer_type = "Embedding"
        c.summary = (
            "An index given to an Embedding (or another lookup) is outside its table: PyTorch does not say which."
        )
        c.formula("pytorch", "Embedding", "embedding_param_count")
        c.fixes.append(
            _fix(
                "Make num_embeddings larger than the largest index in the data (`num_embeddings = max_index + 1`), "
                "or clip the sequence to the position table's length.",
                {"layer": "Embedding", "params": {"num_embeddings": "max_index + 1"}},
            )
        )
    c.computes = (
        "An embedding is a table of input_dim (num_embeddings) rows; an index picks a row, so valid indices are "
        "0 .. input_dim - 1 and the largest index in the data must be below input_dim."
    )
    c.why = (
        f"The index {index} is not below {high}."
        if index is not None and high
        else "Some index in the batch is negative or not below num_embeddings."
    )
    c.causes = [
        "input_dim set to the vocabulary size while indices start at 1 (the largest index equals the size).",
        "A tokenizer with more tokens than the model's embedding table.",
        "A sequence longer than a position-embedding table (max_position_embeddings).",
        "Negative padding values (-1) in the token ids.",
    ]


def _norm(c: _Case) -> None:
    n = c.n
    if "normalized_shape" in n:
        c.layer_type = "LayerNorm"
        normalized, shape = n["normalized_shape"], n.get("input_shape") or []
        c.summary = (
            f"LayerNorm({normalized[0] if len(normalized) == 1 else normalized}) wants the last axis to be "
            f"{_shape_text(normalized)}, and got an input of size {_shape_text(shape)}."
        )
        c.computes = "LayerNorm normalizes over the last len(normalized_shape) axes, which must equal normalized_shape."
        c.formula("pytorch", "LayerNorm", "norm_affine_param_count", {"C_in": _product(normalized)})
        if len(shape) >= 3 and len(normalized) == 1 and shape[1] == normalized[0] and shape[-1] != normalized[0]:
            c.why = (
                f"The input has {normalized[0]} on axis 1, not on the last axis: a channels-first feature map "
                "(N, C, H, W) given to a LayerNorm over channels."
            )
            moved = [shape[0], *shape[2:], shape[1]]
            c.fixes.append(
                _fix(
                    "Move the channels last before the LayerNorm (`x.permute(0, 2, 3, 1)`, or flatten the map to "
                    "tokens: `x.flatten(2).transpose(1, 2)`).",
                    {"input_shape": moved},
                    _check("pytorch", "LayerNorm", {"normalized_shape": normalized}, moved),
                )
            )
        elif shape:
            c.why = f"The last axis is {shape[-1]}, the layer normalizes {normalized[-1]}."
            c.fixes.append(
                _fix(
                    f"Build the LayerNorm for the features that arrive: `nn.LayerNorm({shape[-1]})`.",
                    {"layer": "LayerNorm", "params": {"normalized_shape": [shape[-1]]}},
                    _check("pytorch", "LayerNorm", {"normalized_shape": [shape[-1]]}, shape),
                )
            )
    else:
        received, expected = n.get("received"), n.get("expected")
        c.layer_type = "BatchNorm1d"
        c.summary = (
            f"A BatchNorm layer built for num_features={expected} received an input with {received} on axis 1 "
            "(the axis it normalizes)."
        )
        c.computes = (
            "BatchNorm keeps one running mean and variance per feature of axis 1: (N, C) or (N, C, L) for "
            "BatchNorm1d, (N, C, H, W) for BatchNorm2d, so axis 1 must have num_features entries."
        )
        c.why = f"running_mean has {expected} entries (num_features) while the input's axis 1 has {received}."
        c.formula("pytorch", "BatchNorm1d", "norm_affine_param_count", {"C_in": expected})
        if received and expected:
            c.fixes.append(
                _fix(
                    f"Build the layer for what arrives: `num_features={received}`.",
                    {"layer": "BatchNorm", "params": {"num_features": received}},
                    _check("pytorch", "BatchNorm1d", {"num_features": received}, [2, received]),
                )
            )
            c.fixes.append(
                _fix(
                    f"Or put the {expected} features on axis 1: for (batch, steps, {expected}) data transpose to "
                    f"(batch, {expected}, steps) or reshape to (batch*steps, {expected}) before BatchNorm1d.",
                    {"layer": "BatchNorm", "input_axis_1": expected},
                    _check("pytorch", "BatchNorm1d", {"num_features": expected}, [2, expected]),
                )
            )
    c.causes = [
        "(batch, sequence, features) data into BatchNorm1d, which normalizes axis 1 (the sequence).",
        "A channels-first map into LayerNorm, which normalizes the last axes.",
        "A convolution's out_channels changed (pruning, width multiplier) without the following norm layer.",
        "A model option (number of persons, joints, heads) that changes the feature count.",
    ]


def _merge(c: _Case) -> None:
    n = c.n
    shapes = n.get("input_shapes")
    if shapes:
        c.layer_type = "Concatenate"
        rank = max(len(s) for s in shapes)
        differing = [a for a in range(rank) if len({s[a] if a < len(s) else "x" for s in shapes}) > 1]
        c.summary = f"Concatenate got inputs {', '.join(_shape_text(s) for s in shapes)}, which differ on axes {differing} besides the concat axis."
        c.computes = (
            "Concatenate joins tensors along one axis (the last by default in Keras); every other axis must match "
            "exactly."
        )
        c.formula("keras", "MaxPooling2D", "conv_valid_length", {"k": 2, "s": 2, "d": 1})
        if len(differing) == 1 and differing[0] != rank - 1:
            axis = differing[0]
            c.why = (
                f"Only axis {axis} differs, and the default concat axis is -1: these look like channels-first "
                f"tensors, so concatenate on axis {axis} (or make the data channels-last)."
            )
            c.fixes.append(
                _fix(
                    f"Concatenate on the axis that differs: `Concatenate(axis={axis})`.",
                    {"layer": "Concatenate", "params": {"axis": axis}},
                )
            )
        else:
            c.why = "More than the concat axis differs: the branches do not produce the same spatial size."
            c.fixes.append(
                _fix(
                    "Give all branches the same spatial size (an input size the strides divide, 'same' padding, or "
                    "cropping/padding before the merge).",
                    {"merge_inputs": "equal except the concat axis"},
                )
            )
    elif "size_a" in n:
        a, b = n["size_a"], n["size_b"]
        dim = n.get("dimension")
        c.layer_type = "add"
        c.summary = f"An element-wise operation (a residual `+`, `*`) got sizes {a} and {b} on axis {dim}; neither is 1, so they cannot broadcast."
        c.computes = "Element-wise operations broadcast: on each axis the sizes must be equal or one of them 1."
        c.why = f"Axis {dim} is {a} on one side and {b} on the other."
        if dim == 1:
            c.formula("pytorch", "Conv2d", "conv_param_count", {"C_in": min(a, b), "C_out": max(a, b), "K": 1, "g": 1})
            c.fixes.append(
                _fix(
                    f"Project the shortcut to the same channels: a 1x1 convolution from {min(a, b)} to {max(a, b)} "
                    "channels (ResNet's `downsample`) before the addition.",
                    {
                        "insert": {
                            "layer": "Conv2d",
                            "params": {"in_channels": min(a, b), "out_channels": max(a, b), "kernel_size": 1},
                        }
                    },
                    _check(
                        "pytorch",
                        "Conv2d",
                        {"in_channels": min(a, b), "out_channels": max(a, b), "kernel_size": 1},
                        [1, min(a, b), 8, 8],
                    ),
                )
            )
        else:
            c.formula(
                "pytorch", "Conv2d", "conv_output_length", {"L_in": max(a, b) * 2 - 1, "k": 3, "s": 2, "p": 1, "d": 1}
            )
            c.fixes.append(
                _fix(
                    "Make both paths keep the same length: the same stride and padding on the shortcut and the "
                    "residual, or an input size the strides divide.",
                    {"merge_inputs": "equal sizes"},
                )
            )
    else:
        expected, received = n.get("expected"), n.get("received")
        dim = n.get("mismatch_dimension", 2 if n.get("dimension") == 1 else None)
        c.layer_type = "torch.cat"
        c.summary = (
            f"torch.cat along axis {n.get('dimension')} got tensors whose other axes differ: {expected} vs {received}"
            + (f" on axis {dim}." if dim is not None else ".")
        )
        c.computes = "torch.cat joins tensors along one axis; every other axis must be equal."
        c.why = f"A skip connection and an upsampled tensor arrive with {expected} and {received}."
        if expected and received and abs(expected - received) == 1:
            odd = max(expected, received)
            c.why += (
                f" Sizes that differ by one come from pooling an odd size: floor({2 * odd - 1}/2) = {odd - 1}, and "
                f"upsampling doubles it back to {2 * (odd - 1)}, not {2 * odd - 1}."
            )
            c.formula(
                "pytorch", "MaxPool2d", "conv_output_length", {"L_in": 2 * odd - 1, "k": 2, "s": 2, "p": 0, "d": 1}
            )
            c.formula("pytorch", "Upsample", "upsample_scale_length_torch", {"L_in": odd - 1, "f": 2})
        elif expected and received and max(expected, received) == 2 * min(expected, received):
            c.why += " One is twice the other: the two paths went through a different number of halvings."
            c.formula(
                "pytorch",
                "MaxPool2d",
                "conv_output_length",
                {"L_in": max(expected, received), "k": 2, "s": 2, "p": 0, "d": 1},
            )
        else:
            c.formula("pytorch", "MaxPool2d", "conv_output_length", {"k": 2, "s": 2, "p": 0, "d": 1})
        c.fixes.append(
            _fix(
                "Use an input whose sides are divisible by 2^depth (16 for four poolings, 32 for five), or pad the "
                "upsampled tensor to the skip's size before torch.cat (`F.pad`, or `F.interpolate(x, size=skip.shape[2:])`).",
                {"input_multiple_of": "2**depth"},
            )
        )
    c.causes = [
        "A U-Net fed an image size not divisible by 2^depth: each pooling floors an odd size.",
        "Channels-first tensors concatenated on Keras's default last axis (or the reverse).",
        "A residual block whose shortcut lacks the 1x1 projection when channels or stride change.",
    ]


def _heads(c: _Case) -> None:
    n = c.n
    embed, heads = n.get("embed_dim"), n.get("num_heads")
    c.layer_type = "MultiheadAttention"
    if "expected" in n:
        c.summary = (
            f"MultiheadAttention was built for embed_dim={n['expected']} and received queries of {n['received']}."
        )
        c.why = f"The query's last axis is {n['received']}, the layer's embed_dim {n['expected']}."
    else:
        c.summary = "MultiheadAttention's embed_dim is not a multiple of num_heads" + (
            f": {embed} / {heads} = {Fraction(embed, heads)}." if embed and heads else "."
        )
        c.why = "Each head gets embed_dim / num_heads features, which must be a whole number."
    c.computes = (
        "Multi-head attention splits the embedding into num_heads equal parts of head_dim = embed_dim / num_heads; "
        "the projections are (embed_dim x embed_dim) matrices."
    )
    c.formula("pytorch", "MultiheadAttention", "torch_mha_param_count", {"E": embed})
    if embed:
        options = [h for h in (1, 2, 4, 6, 8, 12, 16, 24, 32) if embed % h == 0]
        best = min(options, key=lambda h: abs(h - (heads or 8)))
        c.fixes.append(
            _fix(
                f"Use a head count that divides {embed}: {', '.join(map(str, options))} (closest: {best}).",
                {"layer": "MultiheadAttention", "params": {"num_heads": best}},
                _check("pytorch", "MultiheadAttention", {"embed_dim": embed, "num_heads": best}, [1, 1, embed]),
            )
        )
    else:
        c.fixes.append(
            _fix(
                "Choose num_heads dividing embed_dim (d_model), or an embed_dim that is a multiple of num_heads.",
                {"layer": "MultiheadAttention", "params": {"num_heads": "a divisor of embed_dim"}},
            )
        )
    c.causes = [
        "A hidden size and head count from different configurations (1024 with 12 heads).",
        "A feature size taken from the data (a sequence length) used as embed_dim.",
    ]


def _transposed(c: _Case) -> None:
    n = c.n
    framework = c.framework or "pytorch"
    c.layer_type = "ConvTranspose2d" if framework == "pytorch" else "Conv2DTranspose"
    stride, pad = n.get("stride") or [], n.get("output_padding") or []
    if "requested" in n:
        c.summary = (
            f"ConvTranspose was asked for an output of {_shape_text(n['requested'])}; from an input of "
            f"{_shape_text(n.get('input_size'))} it can give {_shape_text(n.get('minimum'))} to {_shape_text(n.get('maximum'))}."
        )
        c.why = "output_size can only pick among the stride's possible sizes; the one asked for is outside them."
    else:
        c.summary = f"output_padding {_shape_text(pad)} is not smaller than the stride {_shape_text(stride)}."
        c.why = (
            "output_padding only chooses among the sizes a strided convolution could have come from, so it must be "
            "smaller than the stride (or the dilation) on every axis."
        )
    c.computes = (
        "A transposed convolution's output length is "
        f"{_text('pytorch', 'ConvTranspose2d', 'conv_transpose_output_length')} (op = output_padding); "
        "output_padding resolves the ambiguity of a stride > 1 and is limited to 0 .. s - 1."
    )
    c.formula(
        framework,
        c.layer_type,
        "conv_transpose_output_length",
        {"s": stride[0] if stride else None, "op": max(pad) if pad else None},
    )
    if stride:
        fixed = [min(p, s - 1) for p, s in zip(pad, stride, strict=False)] if pad else [0] * len(stride)
        c.fixes.append(
            _fix(
                f"Use output_padding below the stride: {_shape_text(fixed)}; to grow the output by one more, change "
                "padding or the kernel size instead.",
                {"layer": c.layer_type, "params": {"output_padding": fixed}},
                _check(
                    "pytorch",
                    "ConvTranspose2d",
                    {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "stride": stride, "output_padding": fixed},
                    [1, 1, 8, 8],
                )
                if framework == "pytorch" and len(stride) == 2
                else None,
            )
        )
    c.causes = [
        "output_padding used at stride 1 to make a size even (it cannot: change padding or kernel_size).",
        "A decoder's sizes computed for another input size.",
    ]


def _same_stride(c: _Case) -> None:
    c.layer_type = "Conv2d"
    c.summary = "PyTorch's `padding='same'` only works with stride 1, and this convolution has a larger stride."
    c.computes = (
        f"With stride 1 'same' keeps the length ({_text('pytorch', 'Conv2d', 'conv_same_length_torch')}). With "
        f"stride s, Keras/TensorFlow's 'same' gives {_text('keras', 'Conv2D', 'conv_same_length')}, which needs "
        "input-dependent, possibly uneven padding that nn.Conv2d does not do."
    )
    c.why = "padding='same' and stride > 1 together are refused by PyTorch (Keras accepts them)."
    c.formula("pytorch", "Conv2d", "conv_output_length", {"k": 3, "s": 2, "p": 1, "d": 1})
    c.formula("keras", "Conv2D", "conv_same_length", {"s": 2})
    c.fixes.append(
        _fix(
            "Pad explicitly: `padding=(kernel_size - 1) // 2` (3x3 -> 1, 5x5 -> 2, 7x7 -> 3) gives ceil(L_in/stride) "
            "for odd kernels, as Keras's 'same' does.",
            {"layer": "Conv2d", "params": {"padding": "(kernel_size - 1) // 2"}},
            _check(
                "pytorch",
                "Conv2d",
                {"in_channels": 1, "out_channels": 1, "kernel_size": 7, "stride": 2, "padding": 3},
                [1, 1, 224, 224],
            ),
        )
    )
    c.causes = ["Code ported from Keras/TensorFlow, where 'same' works at any stride."]


def _target(c: _Case) -> None:
    n = c.n
    c.layer_type = None
    c.computes = (
        "This is not a layer's shape: the loss compares the model's output with the targets, and the two must have "
        "the same shape (or, for cross-entropy, (N, classes) outputs against N class indices)."
    )
    if "input_batch" in n:
        a, b = n["input_batch"], n["target_batch"]
        c.summary = (
            f"The loss got {a} predictions and {b} targets: the model's output has another batch size than the labels."
        )
        c.why = f"The output's first axis is {a}, the targets' {b}."
        if a and b and a % b == 0:
            c.why += (
                f" {a} = {a // b} x {b}: a `view(-1, features)` with the wrong per-sample size folds {a // b} rows per "
                "sample into the batch, or outputs were concatenated along the batch axis."
            )
        c.fixes.append(
            _fix(
                "Flatten with the batch kept (`x.view(x.size(0), -1)`) so the output has one row per sample.",
                {"model_output_batch": b},
            )
        )
    elif "target_shape" in n and "input_shape" in n:
        t, i = n["target_shape"], n["input_shape"]
        c.summary = f"The loss compares an output of {_shape_text(i)} with targets of {_shape_text(t)}."
        c.why = "They differ, so the loss would broadcast them and compute something else than intended."
        if len(t) + 1 == len(i) and 1 in i:
            c.fixes.append(
                _fix(
                    f"Give the targets the output's singleton axis: `target.unsqueeze({i.index(1)})`.",
                    {"target_shape": i},
                )
            )
        elif len(t) == len(i) + 1 and 1 in t:
            c.fixes.append(
                _fix(
                    f"Remove the singleton axis: `target.squeeze({t.index(1)})` (or unsqueeze the output).",
                    {"target_shape": i},
                )
            )
        else:
            c.fixes.append(
                _fix(
                    "Make the model's output and the targets the same shape (resize the targets or the output).",
                    {"target_shape": i},
                )
            )
    elif "output_shape" in n:
        t, o = n["target_shape"], n["output_shape"]
        c.summary = f"The loss got labels of {_shape_text(t)} for outputs of {_shape_text(o)}."
        c.why = "Keras compares labels and outputs axis by axis."
        if t and o and t[-1] == 1 and o[-1] and o[-1] > 1:
            c.fixes.append(
                _fix(
                    "Integer class labels: use `sparse_categorical_crossentropy`, or one-hot them with `to_categorical`.",
                    {"loss": "sparse_categorical_crossentropy"},
                )
            )
        elif t and o and len(t) == len(o) and t[-1] != o[-1]:
            c.fixes.append(
                _fix(
                    f"Give the last layer as many units as label columns: {t[-1]}.",
                    {"layer": "last Dense", "params": {"units": t[-1]}},
                )
            )
        else:
            c.fixes.append(_fix("Flatten or reshape the output to the labels' shape.", {"output_shape": t}))
    elif "label" in n:
        c.summary = f"A label value {n['label']} is outside the {n['classes']} classes the output has."
        c.why = "Sparse labels must be 0 .. classes - 1."
        c.fixes.append(
            _fix(
                f"Give the output layer {n['label'] + 1} units (or relabel from 0).",
                {"layer": "last Dense", "params": {"units": n["label"] + 1}},
            )
        )
    else:
        c.summary = "The targets do not have the shape the loss expects for the model's output."
        c.why = "Labels and outputs differ in shape."
        if n.get("target_shape"):
            c.fixes.append(
                _fix(
                    "Give the targets the output's axes (add the channel axis to masks: `y[..., None]`).",
                    {"target_shape": [*n["target_shape"], 1]},
                )
            )
    c.causes = [
        "Integer labels with categorical_crossentropy (or one-hot labels with the sparse loss).",
        "Targets without the channel axis the output has (masks of (N, H, W) for outputs of (N, 1, H, W)).",
        "A `view(-1, k)` that changes the batch size of the output.",
    ]


def _unknown(c: _Case) -> None:
    c.summary = "This message is not one of the shape errors ShapeKB recognises."
    c.computes = ""
    c.why = ""
    c.causes = []
    c.notes.append(
        "No known wording was found. Paste the last line of the traceback (the error itself), or give the model code "
        "and input shape to trace it."
    )


_BUILDERS = {
    "in_features_mismatch": _in_features,
    "channel_mismatch": _channels,
    "rank_mismatch": _rank,
    "kernel_too_large": _kernel,
    "reshape_size_mismatch": _reshape,
    "rnn_input_mismatch": _rnn,
    "embedding_index": _embedding,
    "norm_features_mismatch": _norm,
    "merge_shape_mismatch": _merge,
    "attention_heads": _heads,
    "transposed_output_size": _transposed,
    "same_padding_stride": _same_stride,
    "target_shape_mismatch": _target,
    "unknown": _unknown,
}


# ---- the public function ------------------------------------------------------------------------


def _guess_framework(text: str) -> str | None:
    low = text[:MAX_MESSAGE_CHARS].lower()
    torch_hits = low.count("torch") + low.count("runtimeerror")
    keras_hits = low.count("keras") + low.count("tensorflow") + low.count("tf.")
    if torch_hits > keras_hits:
        return "pytorch"
    if keras_hits > torch_hits:
        return "keras"
    return None


def _validate(message, code, framework, input_shape):
    if not isinstance(message, str):
        raise ShapeError("invalid_message", f"message must be a string, received {type(message).__name__}", "message")
    if not message.strip():
        raise ShapeError("invalid_message", "message is empty: paste the error your framework printed", "message")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ShapeError(
            "message_too_long", f"message has {len(message)} characters; at most {MAX_MESSAGE_CHARS}", "message"
        )
    if code is not None:
        if not isinstance(code, str):
            raise ShapeError("invalid_code", f"code must be a string, received {type(code).__name__}", "code")
        if len(code) > MAX_CODE_CHARS:
            raise ShapeError("code_too_long", f"code has {len(code)} characters; at most {MAX_CODE_CHARS}", "code")
    fw = registry.framework_name(framework) if framework is not None else None
    if input_shape is not None:
        from engine.api import parse_input_shape

        parse_input_shape(input_shape, "input_shape")
    return fw


def _markdown(c: _Case) -> str:
    parts = []
    if c.computes:
        parts.append(f"**What the layer computes.** {c.computes}")
    shown = [f for f in c.formulas if f.get("substituted")]
    if shown:
        lines = "\n".join(f"- `{f['substituted']['text']}` ({f['doc']})" for f in shown)
        parts.append(f"**The formula with your numbers.**\n\n{lines}")
    elif c.formulas:
        lines = "\n".join(f"- `{f['text']}` ({f['doc']})" for f in c.formulas)
        parts.append(f"**The formula.**\n\n{lines}")
    if c.why:
        parts.append(f"**Why the numbers disagree.** {c.why}")
    if c.causes:
        parts.append("**Usual causes.**\n\n" + "\n".join(f"- {cause}" for cause in c.causes))
    return "\n\n".join(parts)


def explain(message, code=None, framework=None, input_shape=None) -> dict:
    """Family, numbers, explanation, formulas and fixes for a pasted shape error (and the failing layer, with code)."""
    fw = _validate(message, code, framework, input_shape)
    pattern, match = patterns.find(message)
    numbers = patterns.read(pattern, match) if pattern else {}
    family = patterns.family_of(pattern, numbers) if pattern else "unknown"
    found_fw = pattern.framework if pattern and pattern.framework else _guess_framework(message)
    if fw is None:
        fw = found_fw
    case = _Case(family, fw, numbers)
    _BUILDERS[family](case)
    kept = []
    for fix in case.fixes:  # a fix the engine shows does not work is not proposed
        check = fix.get("check")
        if check is not None and not check.get("runs"):
            case.notes.append(f"Not proposed: {fix['description']} The engine says: {check.get('error')}")
        else:
            kept.append(fix)
    case.fixes = kept
    answer = {
        "framework": fw,
        "family": family,
        "recognised": pattern is not None,
        "matched": pattern.name if pattern else None,
        "numbers": numbers,
        "summary": case.summary,
        "explanation": "",
        "layer_type": {"framework": fw or "pytorch", "name": case.layer_type} if case.layer_type else None,
        "layer": None,
        "fixes": case.fixes,
        "formulas": case.formulas,
        "notes": case.notes,
    }
    if code is not None and code.strip():
        from engine.explain_code import explain_with_code  # the code path: tracing, the failing node, verified fixes

        explain_with_code(answer, case, code, fw, input_shape)
    answer["explanation"] = _markdown(case)
    return answer
