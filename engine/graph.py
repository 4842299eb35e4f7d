"""A traced layer graph: nodes with their inputs, output shapes, parameters and MACs; merges and tensor ops.

Layer nodes run the registry's declarations (engine.api._apply); tensor operations with no layer of their
own (view, cat, +, matmul, Keras merges) are one pure function each here, repeating what they received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.api import _apply, show_dim, show_shape
from engine.errors import ShapeError
from engine.macs import layer_macs
from engine.spec import LayerSpec, product

MAX_NODES = 1000
_EXPECTS = re.compile(
    r"expects (?:an? )?(?P<what>[^,]*?) ?(?P<expected>-?\d+|\([^)]*\)|\[[^\]]*\]), receives? (?P<received>[^ ,;:]+)"
)


class Tensor:
    """A value on the tensor path: the name of the node output it is, and its shape."""

    __slots__ = ("ref", "shape", "node", "is_param", "trainable")

    def __init__(self, ref: str, shape: tuple, node=None):
        self.ref = ref
        self.shape = tuple(shape)
        self.node = node
        self.is_param = False  # an nn.Parameter
        self.trainable = True

    def __repr__(self) -> str:
        return f"Tensor({self.ref}, {self.shape})"


@dataclass
class Node:
    """One layer call or tensor operation of the graph."""

    index: int
    name: str
    layer: str
    inputs: list
    line: int | None
    output_shapes: list
    params: dict = field(default_factory=dict)
    param_count: object = 0
    trainable_params: object = 0
    macs: object = 0
    kind: str = "layer"  # layer | op | model
    shared_with: str | None = None
    owner: object = None  # the layer object called (weights are counted at its first call)
    inner: list | None = None  # a model called as a layer: its own nodes

    def as_dict(self) -> dict:
        out = {
            "index": self.index,
            "name": self.name,
            "layer": self.layer,
            "kind": self.kind,
            "params": self.params,
            "inputs": list(self.inputs),
            "input_shape": None,
            "output_shape": show_shape(self.output_shapes[0]) if self.output_shapes else None,
            "output_shapes": [show_shape(s) for s in self.output_shapes],
            "param_count": show_dim(self.param_count),
            "trainable_params": show_dim(self.trainable_params),
            "macs": show_dim(self.macs),
            "line": self.line,
        }
        if self.shared_with:
            out["shared_with"] = self.shared_with
        return out


def node_error(err: ShapeError, index: int, name: str, layer: str, line, input_shape) -> ShapeError:
    """A layer's error restated for the graph: the line and the node first, the numbers in details."""
    message = err.message
    if message.startswith(layer + " "):
        message = message[len(layer) + 1 :]
    where = f"line {line}: " if line else ""
    details = {
        "name": name,
        "layer": layer,
        "line": line,
        "input_shape": input_shape,
        "expected": None,
        "received": None,
        "code": err.code,
    }
    found = _EXPECTS.search(err.message)
    if found:
        details["expected"] = _number(found.group("expected"))
        details["received"] = _number(found.group("received"))
    fld = f"layers[{index}].{err.field}" if err.field else f"layers[{index}]"
    out = ShapeError(err.code, f"{where}{name} ({layer}) {message}", fld, index)
    out.line = line
    out.details = details
    return out


def _number(text: str):
    """'1050' -> 1050; any other text stays text."""
    try:
        return int(text)
    except ValueError:
        return text


def op_error(code: str, message: str) -> ShapeError:

    return ShapeError(code, message, None)


class Graph:
    """Nodes in call order, the model's inputs, and the totals."""

    def __init__(self, framework: str):
        self.framework = framework
        self.nodes: list[Node] = []
        self.inputs: list[Tensor] = []
        self.names: dict[str, int] = {}
        self.taken: set = set()  # names of nodes and inputs
        self.reserved: set = set()  # names layers will take (PyTorch module paths)
        self.notes: list[str] = []

    # ---- building ---------------------------------------------------------------------------

    def unique(self, base: str) -> str:
        """base, base_1, base_2 ...: a name no node and no reserved name (a module's path) has."""
        n = self.names.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.taken and name not in self.reserved:
                break
        self.names[base] = n
        self.taken.add(name)
        return name

    def add_input(self, name: str, shape: tuple) -> Tensor:
        t = Tensor(name, shape)
        self.inputs.append(t)
        self.taken.add(name)
        return t

    def _check_room(self, line):
        if len(self.nodes) >= MAX_NODES:
            raise ShapeError(
                "too_many_nodes", f"line {line}: the model has more than {MAX_NODES} layer calls and operations", "code"
            )

    def call_layer(
        self,
        spec: LayerSpec,
        params: dict,
        inputs: list[Tensor],
        name: str,
        line,
        owner=None,
    ) -> list[Tensor]:
        """Run a declared layer on its (first) input; returns one Tensor per declared output."""
        self._check_room(line)
        index = len(self.nodes)
        shape = inputs[0].shape
        try:
            _, outcome, count, trainable = _apply(spec, params, shape)
        except ShapeError as err:
            raise node_error(err, index, name, spec.name, line, show_shape(shape)) from None
        outs = list(outcome.outputs.values())
        macs = layer_macs(spec, outcome, shape, outs[0])
        node = Node(
            index,
            name,
            spec.name,
            [t.ref for t in inputs],
            line,
            outs,
            params=_shown_params(spec, params),
            param_count=count,
            trainable_params=trainable,
            macs=macs,
            owner=owner,
        )
        return self._add(node)

    def add_op(self, op: str, inputs: list[Tensor], shapes: list[tuple], line, name: str | None = None, params=None):
        """A tensor operation with no weights (view, cat, +, a merge layer): its computed output shapes."""
        self._check_room(line)
        node = Node(
            len(self.nodes),
            name or self.unique(op),
            op,
            [t.ref for t in inputs],
            line,
            [tuple(s) for s in shapes],
            params=params or {},
            kind="op",
        )
        return self._add(node)

    def add_model(self, label: str, name: str, inputs, shapes, count, trainable, macs, line, owner=None):
        """A whole model called as a layer (Keras): its weights once, its outputs' shapes."""
        self._check_room(line)
        node = Node(
            len(self.nodes),
            name,
            label,
            [t.ref for t in inputs],
            line,
            [tuple(s) for s in shapes],
            param_count=count,
            trainable_params=trainable,
            macs=macs,
            kind="model",
            owner=owner,
        )
        return self._add(node)

    def _add(self, node: Node) -> list[Tensor]:
        self.nodes.append(node)
        self.taken.add(node.name)
        return [Tensor(node.name if k == 0 else f"{node.name}:{k}", s, node) for k, s in enumerate(node.output_shapes)]

    # ---- the answer ---------------------------------------------------------------------------

    def reachable(self, outputs: list[Tensor]) -> list[Node]:
        """The nodes the outputs depend on, in call order (a Keras model is what leads to its outputs)."""
        by_ref = {}
        for node in self.nodes:
            for k in range(len(node.output_shapes)):
                by_ref[node.name if k == 0 else f"{node.name}:{k}"] = node
        seen = set()
        todo = [t.ref for t in outputs]
        while todo:
            node = by_ref.get(todo.pop())
            if node is None or node.index in seen:
                continue
            seen.add(node.index)
            todo.extend(node.inputs)
        return [n for n in self.nodes if n.index in seen]

    def answer(
        self, outputs: list[Tensor], nodes=None, inputs=None, extra_params: int = 0, extra_trainable: int = 0
    ) -> dict:
        """The trace as JSON-ready data (engine.trace's fields and the graph's)."""
        nodes = self.nodes if nodes is None else nodes
        model_inputs = self.inputs if inputs is None else inputs
        first_call = {}
        for node in nodes:
            if node.inner is not None:
                node.trainable_params = _inner_trainable(node)
            elif getattr(node.owner, "trainable", True) is False:
                node.trainable_params = 0  # layer.trainable = False / requires_grad_(False)
        for k, node in enumerate(nodes):
            node.index = k
            if node.owner is not None:
                key = id(node.owner)  # the node holds its owner, so the id stays that object's
                if key in first_call:
                    node.shared_with = first_call[key]
                    node.param_count = node.trainable_params = 0
                else:
                    first_call[key] = node.name
        total = trainable = 0
        for node in nodes:
            total = None if total is None or node.param_count is None else total + node.param_count
            trainable = (
                None if trainable is None or node.trainable_params is None else trainable + node.trainable_params
            )
        layers = []
        shapes_by_ref = {t.ref: t.shape for t in model_inputs}
        for node in nodes:
            entry = node.as_dict()
            first = node.inputs[0] if node.inputs else None
            entry["input_shape"] = show_shape(shapes_by_ref[first]) if first in shapes_by_ref else None
            for k, s in enumerate(node.output_shapes):
                shapes_by_ref[node.name if k == 0 else f"{node.name}:{k}"] = s
            layers.append(entry)
        if total is not None:
            total += extra_params
        if trainable is not None:
            trainable += extra_trainable
        macs = 0
        for node in nodes:
            macs = None if macs is None or node.macs is None else macs + node.macs
        batch = model_inputs[0].shape[0] if model_inputs and model_inputs[0].shape else None
        activation = 0
        for node in nodes:
            for s in node.output_shapes:
                n = _per_sample(s, batch)
                activation = None if activation is None or n is None else activation + n
        first_in = model_inputs[0].shape if model_inputs else None
        return {
            "framework": self.framework,
            "input_shape": show_shape(first_in) if first_in is not None else None,
            "inputs": [{"name": t.ref, "shape": show_shape(t.shape)} for t in model_inputs],
            "layers": layers,
            "output_shape": show_shape(outputs[0].shape) if outputs else None,
            "outputs": [{"name": t.ref, "shape": show_shape(t.shape)} for t in outputs],
            "total_params": show_dim(total),
            "trainable_params": show_dim(trainable),
            "non_trainable_params": show_dim(None if total is None or trainable is None else total - trainable),
            "total_macs": show_dim(macs),
            "param_bytes": show_dim(None if total is None else 4 * total),
            "activation_bytes": show_dim(None if activation is None else 4 * activation),
            "notes": list(self.notes),
        }


def _inner_trainable(node: Node):
    """A called model's trainable parameters: 0 if it is frozen, else those of its layers not frozen (once each)."""
    if getattr(node.owner, "trainable", True) is False:
        return 0
    total = 0
    seen = set()
    for inner in node.inner:
        if inner.owner is not None:
            if id(inner.owner) in seen:
                continue
            seen.add(id(inner.owner))
        if inner.inner is not None:
            value = _inner_trainable(inner)
        elif getattr(inner.owner, "trainable", True) is False:
            value = 0
        else:
            value = inner.trainable_params
        total = None if total is None or value is None else total + value
    return total


def _per_sample(shape: tuple, batch):
    if not shape:
        return 1
    if shape[0] is None:
        return product(shape[1:])
    total = product(shape)
    if type(total) is not int:
        return None
    if type(batch) is int and batch > 0 and shape[0] == batch:
        return total // batch
    return total


def _shown_params(spec: LayerSpec, params: dict) -> dict:
    """The parameters as given, JSON-ready (a nested layer as {layer, params})."""
    from engine.api import show_params

    try:
        return show_params(spec.resolve(params))
    except ShapeError:
        return {}


# ---- tensor operations: one pure function each --------------------------------------------------


def _dims(shape) -> str:
    return "(" + ", ".join("None" if v is None else str(show_dim(v)) for v in shape) + ")"


def norm_axis(axis, rank: int, what: str = "dim") -> int:
    if type(axis) is not int:
        raise op_error("invalid_param", f"{what} must be an integer, received {axis!r}")
    if not -rank <= axis < rank:
        raise op_error(
            "axis_out_of_range",
            f"{what} {axis} is out of range for a rank-{rank} tensor: expected a value in [{-rank}, {rank - 1}]",
        )
    return axis % rank


def torch_broadcast(a: tuple, b: tuple, op: str) -> tuple:
    """PyTorch's broadcasting: align on the right; each pair equal, or one of them 1."""
    out = []
    for k in range(1, max(len(a), len(b)) + 1):
        x = a[-k] if k <= len(a) else 1
        y = b[-k] if k <= len(b) else 1
        if x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            raise op_error(
                "broadcast_mismatch",
                f"{op}: the size of tensor a ({show_dim(x)}) must match the size of tensor b ({show_dim(y)}) at "
                f"non-singleton dimension {max(len(a), len(b)) - k}: {_dims(a)} and {_dims(b)}",
            )
    return tuple(reversed(out))


def keras_elementwise(shapes: list[tuple], layer: str) -> tuple:
    """Keras' Merge rule (Add, Multiply, ...): batch kept, the rest broadcast, a 1 against anything."""
    if len(shapes) < 1:
        raise op_error("invalid_merge", f"{layer} must be called on a list of at least 1 input")
    if layer == "Subtract" and len(shapes) != 2:
        raise op_error(
            "invalid_merge", f"Subtract must be called on a list of exactly 2 inputs, received {len(shapes)}"
        )
    batch = None
    for s in shapes:
        if s and s[0] is not None:
            batch = s[0]
    out = shapes[0][1:]
    for s in shapes[1:]:
        out = _keras_pair(out, s[1:], shapes)
    return (batch, *out)


def _keras_pair(s1: tuple, s2: tuple, shapes) -> tuple:
    if len(s1) < len(s2):
        s1, s2 = s2, s1
    if not s2:
        return s1
    out = list(s1[: len(s1) - len(s2)])
    for i, j in zip(s1[len(s1) - len(s2) :], s2, strict=False):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise op_error(
                "shape_mismatch",
                "Inputs have incompatible shapes. Received shapes " + " and ".join(_dims(s) for s in shapes),
            )
    return tuple(out)


def concat(shapes: list[tuple], axis: int, framework: str) -> tuple:
    """Concatenate: same rank, equal sizes except on the axis, which adds up."""
    if not shapes:
        raise op_error("invalid_merge", "concatenate needs at least one tensor")
    rank = len(shapes[0])
    for s in shapes:
        if len(s) != rank:
            raise op_error(
                "rank_mismatch",
                "concatenated tensors must have the same rank, received " + ", ".join(_dims(s) for s in shapes),
            )
    ax = norm_axis(axis, rank, "axis" if framework == "keras" else "dim")
    if framework == "keras" and ax == 0:
        raise op_error("invalid_param", "Concatenate along the batch axis (axis=0) is not a Keras merge")
    out = list(shapes[0])
    total = 0
    for s in shapes:
        for k in range(rank):
            if k == ax:
                continue
            if out[k] is None:
                out[k] = s[k]
            elif s[k] is not None and s[k] != out[k]:
                raise op_error(
                    "shape_mismatch",
                    f"concatenation along axis {axis} needs equal sizes on every other axis; axis {k} differs: "
                    + ", ".join(_dims(s) for s in shapes),
                )
        total = None if total is None or s[ax] is None else total + s[ax]
    out[ax] = total
    return tuple(out)


def stack(shapes: list[tuple], dim: int) -> tuple:
    if not shapes:
        raise op_error("invalid_merge", "stack expects a non-empty list of tensors")
    for s in shapes[1:]:
        if tuple(s) != tuple(shapes[0]):
            raise op_error(
                "shape_mismatch", "stack expects each tensor to be equal size: " + ", ".join(_dims(s) for s in shapes)
            )
    rank = len(shapes[0]) + 1
    d = norm_axis(dim, rank)
    out = list(shapes[0])
    out.insert(d, len(shapes))
    return tuple(out)


def reshape(shape: tuple, target: list, op: str = "view") -> tuple:
    """view/reshape: one -1 inferred; the element count must not change."""
    if any(type(v) is not int for v in target):
        raise op_error("invalid_param", f"{op} sizes must be integers, received {target!r}"[:200])
    if target.count(-1) > 1:
        raise op_error("invalid_param", f"{op}: only one dimension can be inferred, received {list(target)}")
    if any(v < -1 for v in target):
        raise op_error("invalid_param", f"{op}: invalid shape dimension in {list(target)}")
    total = product(shape)
    known = product([v for v in target if v != -1])
    if total is None or type(total) is not int:
        raise op_error("unknown_dimension", f"{op} needs every size of its input known, received {_dims(shape)}")
    if -1 in target:
        if known == 0 or total % known:
            raise op_error(
                "reshape_mismatch",
                f"shape '{list(target)}' is invalid for input of size {total} (input {_dims(shape)})",
            )
        return tuple(total // known if v == -1 else v for v in target)
    if known != total:
        raise op_error(
            "reshape_mismatch", f"shape '{list(target)}' is invalid for input of size {total} (input {_dims(shape)})"
        )
    return tuple(target)


def permute(shape: tuple, dims: list) -> tuple:
    rank = len(shape)
    if len(dims) != rank:
        raise op_error(
            "invalid_param",
            f"permute: number of dims don't match: the input {_dims(shape)} has {rank}, received {len(dims)}",
        )
    norm = [norm_axis(d, rank) for d in dims]
    if sorted(norm) != list(range(rank)):
        raise op_error("invalid_param", f"permute: repeated dim in {list(dims)}")
    return tuple(shape[d] for d in norm)


def transpose(shape: tuple, a: int, b: int) -> tuple:
    rank = len(shape)
    a, b = norm_axis(a, rank), norm_axis(b, rank)
    out = list(shape)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


def unsqueeze(shape: tuple, dim: int) -> tuple:
    d = norm_axis(dim, len(shape) + 1)
    out = list(shape)
    out.insert(d, 1)
    return tuple(out)


def squeeze(shape: tuple, dim=None) -> tuple:
    if dim is None:
        if any(v is None for v in shape):
            raise op_error("unknown_dimension", f"squeeze() of {_dims(shape)} depends on an unknown size")
        return tuple(v for v in shape if v != 1)
    dims = dim if isinstance(dim, (list, tuple)) else [dim]
    norm = {norm_axis(d, len(shape)) for d in dims}
    return tuple(v for k, v in enumerate(shape) if not (k in norm and v == 1))


def reduce(shape: tuple, dim, keepdim: bool) -> tuple:
    """mean/sum/amax over dim(s); dim None reduces everything."""
    if dim is None:
        return tuple(1 for _ in shape) if keepdim else ()
    dims = dim if isinstance(dim, (list, tuple)) else [dim]
    norm = {norm_axis(d, len(shape)) for d in dims}
    if keepdim:
        return tuple(1 if k in norm else v for k, v in enumerate(shape))
    return tuple(v for k, v in enumerate(shape) if k not in norm)


def matmul(a: tuple, b: tuple) -> tuple:
    """torch.matmul: 1-D operands promoted, the last two axes multiplied, the batch axes broadcast."""
    if not a or not b:
        raise op_error("invalid_param", "matmul: both arguments need at least 1 dimension")
    a1, b1 = len(a) == 1, len(b) == 1
    aa = (1, *a) if a1 else a
    bb = (*b, 1) if b1 else b
    k1, k2 = aa[-1], bb[-2]
    if k1 is not None and k2 is not None and k1 != k2:
        raise op_error(
            "shape_mismatch",
            f"mat1 and mat2 shapes cannot be multiplied ({_dims(aa[-2:])} and {_dims(bb[-2:])}): {_dims(a)} @ {_dims(b)}",
        )
    batch = torch_broadcast(aa[:-2], bb[:-2], "matmul")
    out = [*batch, aa[-2], bb[-1]]
    if a1:
        del out[-2]
    if b1:
        del out[-1]
    return tuple(out)


def split_sizes(shape: tuple, sizes, dim: int, chunks: int | None = None) -> list[tuple]:
    """chunk(n, dim) and split(size or sizes, dim)."""
    d = norm_axis(dim, len(shape))
    length = shape[d]
    if type(length) is not int:
        raise op_error(
            "unknown_dimension", f"split/chunk along dim {dim} needs its size known, received {_dims(shape)}"
        )
    if chunks is not None:
        if type(chunks) is not int or chunks < 1:
            raise op_error("invalid_param", f"chunk expects a positive number of chunks, received {chunks!r}")
        each = -(-length // chunks)
        sizes = [each] * (length // each) + ([length % each] if length % each else [])
    elif type(sizes) is int:
        if sizes < 1:
            raise op_error("invalid_param", f"split_size must be positive, received {sizes}")
        sizes = [sizes] * (length // sizes) + ([length % sizes] if length % sizes else [])
    else:
        if sum(sizes) != length:
            raise op_error("invalid_param", f"split sizes {list(sizes)} do not sum to the size {length} of dim {dim}")
    out = []
    for s in sizes:
        part = list(shape)
        part[d] = s
        out.append(tuple(part))
    return out


def keras_dot(shapes: list[tuple], axes) -> tuple:
    """Keras Dot: a batched dot product over one axis of each input."""
    if len(shapes) != 2:
        raise op_error("invalid_merge", f"A `Dot` layer should be called on a list of 2 inputs, received {len(shapes)}")
    a, b = shapes
    if isinstance(axes, int):
        axes = (axes, axes)
    ax1 = axes[0] % len(a) if axes[0] < 0 else axes[0]
    ax2 = axes[1] % len(b) if axes[1] < 0 else axes[1]
    if a[ax1] is not None and b[ax2] is not None and a[ax1] != b[ax2]:
        raise op_error(
            "shape_mismatch",
            f"Incompatible input shapes: axis values {a[ax1]} (at axis {ax1}) != {b[ax2]} (at axis {ax2}). "
            f"Full input shapes: {_dims(a)}, {_dims(b)}",
        )
    out = list(a)
    del out[ax1]
    rest = list(b)
    del rest[ax2]
    del rest[0]
    out += rest
    if len(out) == 1:
        out.append(1)
    return tuple(out)


def index(shape: tuple, items: list) -> tuple:
    """x[...] with ints, slices of known bounds, None and Ellipsis."""
    out = []
    pos = 0
    n_real = sum(1 for it in items if it is not None and it is not Ellipsis)
    if n_real > len(shape):
        raise op_error("index_error", f"too many indices for tensor of dimension {len(shape)}")
    for it in items:
        if it is Ellipsis:
            skip = len(shape) - n_real
            out.extend(shape[pos : pos + skip])
            pos += skip
        elif it is None:
            out.append(1)
        elif type(it) is int:
            size = shape[pos]
            if type(size) is int and not -size <= it < size:
                raise op_error("index_error", f"index {it} is out of bounds for dimension {pos} with size {size}")
            pos += 1
        elif isinstance(it, list):  # x[:, [-1], :]: one list of integer positions
            size = shape[pos]
            for v in it:
                if type(v) is not int or (type(size) is int and not -size <= v < size):
                    raise op_error("index_error", f"index {v!r} is out of bounds for dimension {pos} with size {size}")
            out.append(len(it))
            pos += 1
        elif isinstance(it, slice):
            size = shape[pos]
            if type(size) is not int:
                if it == slice(None):
                    out.append(size)
                    pos += 1
                    continue
                raise op_error("unknown_dimension", f"slicing dimension {pos} needs its size known")
            out.append(len(range(*it.indices(size))))
            pos += 1
        else:
            raise op_error("unsupported_construct", f"index {it!r} cannot be followed")
    out.extend(shape[pos:])
    return tuple(out)


def pad(shape: tuple, pads: list) -> tuple:
    """F.pad: pairs for the last axes, the last axis first."""
    if len(pads) % 2 or len(pads) // 2 > len(shape):
        raise op_error(
            "invalid_param", f"Padding length must be divisible by 2 and at most twice the rank, received {len(pads)}"
        )
    out = list(shape)
    for k in range(len(pads) // 2):
        axis = len(shape) - 1 - k
        if out[axis] is not None:
            out[axis] = out[axis] + pads[2 * k] + pads[2 * k + 1]
            if out[axis] < 1:
                raise op_error("invalid_param", f"F.pad leaves dimension {axis} with size {out[axis]}")
    return tuple(out)
