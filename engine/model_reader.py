"""Read pasted Keras / PyTorch model code into a layer graph, with `ast` only: nothing in it ever runs.

A small interpreter walks the code: literals, arithmetic on known numbers, names, lists, dicts, loops over
known ranges, user functions and classes. Layer constructors become layer objects (registry declarations
and their arguments); calling one on a tensor adds a node to the graph (engine.graph), whose shape rule is the
registry's. What comes from data (x_train.shape[1], len(vocab), args.hidden) is an Unknown: used where a
shape depends on it, it asks for its value (needs_value). Anything on the tensor path the reader cannot
follow stops with unsupported_construct, naming the line.

Which model is traced, when the code defines several: PyTorch, the module instantiated at the top level (a
variable named model or net first, else the last one made); else the module class no other class uses (the
last such); Keras, the model assigned to a variable named model, else the last model built that no other
model uses as a layer; a function that builds a model and is never called is called with its defaults.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from engine import bounds, registry
from engine.api import parse_input_shape
from engine.errors import ShapeError
from engine.graph import (
    Graph,
    Tensor,
    concat,
    index,
    keras_dot,
    keras_elementwise,
    matmul,
    node_error,
    op_error,
    pad,
    permute,
    reduce,
    reshape,
    split_sizes,
    squeeze,
    stack,
    torch_broadcast,
    transpose,
    unsqueeze,
)
from engine.snippet import dotted_name as _dotted
from engine.spec import product

MAX_CODE_CHARS = 20_000
MAX_STEPS = 200_000
MAX_CALL_DEPTH = 40
MAX_EXPR_DEPTH = 60
MAX_SEQUENCE = 10_000
MAX_ALLOCATED = 1_000_000
MAX_INT_VALUE = 2**62


class Unknown:
    """A value the code computes from data or from something the reader does not model."""

    __slots__ = ("expr", "line", "reason", "reason_line")

    def __init__(self, expr: str, line: int | None, reason: str | None = None, reason_line: int | None = None):
        self.expr = expr
        self.line = line
        self.reason = reason  # set when a tensor's path was broken (an unsupported construct), without its line
        self.reason_line = reason_line if reason_line is not None else line

    def derived(self, expr: str, line):
        """An expression built on this one (x.shape, x[1]): the new text, the same broken path if any."""
        return Unknown(expr[:200], line, self.reason, self.reason_line)  # bounded, however long the chain

    def error(self, line, fallback: str) -> ShapeError:
        """Why this value stops a trace: the construct that broke its path, else the fallback."""
        if self.reason:
            return unsupported(self.reason_line or line, self.reason)
        return unsupported(line, fallback)

    def __repr__(self) -> str:
        return f"Unknown({self.expr!r})"


class Ref:
    """An imported module or name, kept as its dotted path (torch.nn.functional.relu, keras.layers.Dense)."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __eq__(self, other):  # norm_layer == nn.InstanceNorm2d
        return isinstance(other, Ref) and other.path == self.path

    def __hash__(self):
        return hash(self.path)


class Partial:
    """functools.partial(f, *args, **kwargs)."""

    def __init__(self, func, args, kwargs):
        self.func = func
        self.args = list(args)
        self.kwargs = dict(kwargs)


class LayerObj:
    """A constructed registry layer: its declaration, the arguments given, where, and its name."""

    def __init__(self, spec, params: dict, line: int, name: str = "", input_shape=None):
        self.spec = spec
        self.params = params
        self.line = line
        self.name = name
        self.input_shape = input_shape  # Keras' input_shape= / input_dim= on a first layer
        self.calls = 0
        self.tied: dict = {}  # weight name -> _WeightRef of the layer whose parameter it shares
        self.trainable = True  # layer.trainable = False (Keras), requires_grad_(False) (PyTorch)
        self.frozen: set = set()  # weights frozen one by one (named_parameters loops)


class OpLayer:
    """A Keras layer without a declaration of its own: a merge, or a layer that keeps the shape."""

    def __init__(self, kind: str, options: dict, line: int, name: str):
        self.kind = kind
        self.options = options
        self.line = line
        self.name = name
        self.calls = 0
        self.input_shape = None  # input_shape= on a first layer of a Sequential


class TorchModule:
    """An nn.Module instance: a user class, or a Sequential / ModuleList / ModuleDict container."""

    def __init__(self, kind: str, cls=None, line: int | None = None):
        self.kind = kind  # user | sequential | modulelist | moduledict
        self.cls = cls
        self.attrs: dict = {}
        self.children: dict = {}
        self.params: list = []  # nn.Parameter attributes: Tensors
        self.path = ""
        self.line = line
        self.calls = 0
        self.container = None  # a user class deriving from nn.Sequential / ModuleList / ModuleDict


class KerasModel:
    """A Keras model: Sequential (its layers), functional (inputs and outputs) or a subclass instance."""

    def __init__(self, kind: str, line: int, name: str):
        self.kind = kind  # sequential | functional | subclass
        self.line = line
        self.name = name
        self.layers: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.instance = None  # a subclass's TorchModule-like attribute holder
        self.calls = 0
        self.input_shape = None


class UserFunction:
    def __init__(self, node: ast.FunctionDef, scope: dict | None, owner=None):
        self.node = node
        self.scope = scope
        self.owner = owner


class UserClass:
    def __init__(self, node: ast.ClassDef, bases: list, kind: str):
        self.node = node
        self.name = node.name
        self.bases = bases  # UserClass or Ref
        self.kind = kind  # torch | keras | other
        self.methods = {f.name: f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.attrs = {}

    def find(self, name: str):
        if name in self.methods:
            return self, self.methods[name]
        for b in self.bases:
            if isinstance(b, UserClass):
                found = b.find(name)
                if found:
                    return found
        return None


class LambdaFn:
    """A lambda expression with the scope it was written in."""

    def __init__(self, node: ast.Lambda, scope: dict):
        self.node = node
        self.scope = scope


class Bound:
    """A method bound to its object."""

    def __init__(self, obj, fn: Callable | UserFunction, name: str):
        self.obj = obj
        self.fn = fn
        self.name = name


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def unsupported(line, what: str) -> ShapeError:
    err = ShapeError("unsupported_construct", f"line {line}: {what}" if line else what, "code")
    err.line = line
    err.details = {"line": line, "construct": what}
    err.what = what
    return err


def needs_value(expr: str, line) -> ShapeError:
    err = ShapeError("needs_value", f"line {line}: `{expr}` — give its value", "values")
    err.line = line
    err.details = {"expression": expr, "line": line}
    return err


_TORCH_ALIASES = {"nn": "torch.nn", "F": "torch.nn.functional", "torch": "torch", "functional": "torch.nn.functional"}
_KERAS_ALIASES = {
    "keras": "keras",
    "layers": "keras.layers",
    "tf": "tf",
    "K": "keras.backend",
    "models": "keras.models",
    "np": "numpy",
}
_KERAS_MERGE_CLASSES = {
    "Add": "Add",
    "Subtract": "Subtract",
    "Multiply": "Multiply",
    "Average": "Average",
    "Maximum": "Maximum",
    "Minimum": "Minimum",
    "Concatenate": "Concatenate",
    "Dot": "Dot",
}
_KERAS_MERGE_FUNCTIONS = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "concatenate": "Concatenate",
    "dot": "Dot",
}
_KERAS_LEGACY_MODES = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum", "concat": "Concatenate"}
# Keras layers without a declaration that keep their input's shape and hold no weights.
_KERAS_SHAPE_KEEPING = frozenset(
    """Rescaling RandomFlip RandomRotation RandomZoom RandomContrast RandomTranslation RandomBrightness
    RandomCrop_ ThresholdedReLU""".split()
)
_TORCH_ACTIVATIONS = {
    "relu": "ReLU",
    "relu_": "ReLU",
    "relu6": "ReLU6",
    "gelu": "GELU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "silu": "SiLU",
    "elu": "ELU",
    "selu": "SELU",
    "celu": "CELU",
    "leaky_relu": "LeakyReLU",
    "softplus": "Softplus",
    "softsign": "Softsign",
    "mish": "Mish",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "hardtanh": "Hardtanh",
    "tanhshrink": "Tanhshrink",
    "prelu": None,
}
_TORCH_DROPOUTS = {
    "dropout": "Dropout",
    "dropout1d": "Dropout1d",
    "dropout2d": "Dropout2d",
    "dropout3d": "Dropout3d",
    "alpha_dropout": "AlphaDropout",
}
_TORCH_POOLS = {
    "max_pool1d": "MaxPool1d",
    "max_pool2d": "MaxPool2d",
    "max_pool3d": "MaxPool3d",
    "avg_pool1d": "AvgPool1d",
    "avg_pool2d": "AvgPool2d",
    "avg_pool3d": "AvgPool3d",
    "adaptive_avg_pool1d": "AdaptiveAvgPool1d",
    "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
    "adaptive_avg_pool3d": "AdaptiveAvgPool3d",
    "adaptive_max_pool1d": "AdaptiveMaxPool1d",
    "adaptive_max_pool2d": "AdaptiveMaxPool2d",
    "adaptive_max_pool3d": "AdaptiveMaxPool3d",
    "pixel_shuffle": "PixelShuffle",
    "pixel_unshuffle": "PixelUnshuffle",
}
# Element-wise functions of one tensor that keep its shape and are not layers.
_TORCH_POINTWISE = frozenset(
    """exp log abs sqrt rsqrt neg sin cos clamp clamp_ clip pow square sign floor ceil round reciprocal
    contiguous clone detach float double half bfloat16 long int bool cuda cpu to type_as requires_grad_
    normalize logsigmoid log_sigmoid erf exp_ masked_fill zero_ fill_ mul_ add_ sub_ div_ abs_ sigmoid_ tanh_
    type numpy_ softmax_ dropout_""".split()
)
_CREATORS = frozenset({"zeros", "ones", "randn", "rand", "empty", "full", "randint"})
_LIKE = frozenset({"zeros_like", "ones_like", "randn_like", "rand_like", "empty_like", "full_like"})
_BIN_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv"}
_ARITH = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_SNAKE_1 = re.compile(r"(.)([A-Z][a-z]+)")
_SNAKE_2 = re.compile(r"([a-z])([A-Z])")


def keras_auto_name(class_name: str) -> str:
    """Keras' default layer name prefix: the class name in snake case (Conv2D -> conv2d)."""
    name = _SNAKE_1.sub(r"\1_\2", class_name)
    return _SNAKE_2.sub(r"\1_\2", name).lower()


def _plain(v) -> bool:
    if v is None or type(v) in (int, float, str, bool):
        return True
    if type(v) in (list, tuple):
        return all(_plain(x) for x in v)
    return False


def _guess_framework(code: str) -> str:
    torch_score = code.count("nn.") + code.count("torch") + 3 * code.count("def forward")
    keras_score = code.count("keras") + code.count("layers.") + code.count("Sequential(") + code.count("Input(")
    keras_score += 3 * code.count("def call(")
    return "pytorch" if torch_score > keras_score else "keras"


class Reader:
    """The interpreter: one per read; bounded in steps, call depth and expression depth."""

    def __init__(self, code: str, framework: str, values: dict | None):
        self.code = code
        self.fw = framework
        self.values = {}
        if values is not None and not isinstance(values, dict):
            raise ShapeError("invalid_values", "values must be an object of expression -> value", "values")
        for k, v in (values or {}).items():
            try:
                plain = _plain(v)
            except RecursionError:
                plain = False
            if not isinstance(k, str) or len(k) > 200 or not plain:
                raise ShapeError("invalid_values", f"values[{k!r}] must be a number, string or list", "values")
            self.values[k.replace(" ", "")] = v
        self.graph = Graph(framework)
        self.globals: dict = {}
        self.steps = 0
        self.call_depth = 0
        self.expr_depth = 0
        self.keras_names: dict = {}
        self.keras_models: list = []  # every Keras model built, in order
        self.torch_instances: list = []  # (variable name or None, module) made at the top level
        self.example_inputs: list | None = None
        self.in_forward = 0
        self.line = 1
        self.top_level = True
        self.classes: dict = {}
        self.functions: dict = {}
        self.called_functions: set = set()
        self.skipped: list = []
        self.input_override: list | None = None
        self.n_inputs = 0
        self.last_tensor = None  # (tensor, name): the last layer output assigned at the top level
        self.statements = 0  # statements run so far
        self.allocated = 0  # items of sequences built so far (see allocate)

        self.notes: list = []

    # ---- names ------------------------------------------------------------------------------

    def keras_name(self, prefix: str, given=None) -> str:
        if isinstance(given, str):
            return given
        n = self.keras_names.get(prefix)
        self.keras_names[prefix] = 0 if n is None else n + 1
        return prefix if n is None else f"{prefix}_{n + 1}"

    def allocate(self, n: int, line):
        """Count the items of sequences the code builds: their total is bounded (memory), whatever the loops."""
        self.allocated += n
        if self.allocated > MAX_ALLOCATED:
            raise ShapeError("too_complex", f"line {line}: the code builds too much data to read", "code")

    def tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ShapeError("too_complex", f"line {self.line}: the code takes too many steps to read", "code")

    # ---- statements -------------------------------------------------------------------------

    def run_module(self, tree: ast.Module):
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                self.define_class(stmt, self.globals)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.globals[stmt.name] = UserFunction(stmt, None)
                self.functions[stmt.name] = stmt
        for stmt in tree.body:
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(stmt, ast.If) and _is_main_guard(stmt):
                body = stmt.body
            else:
                body = [stmt]
            for s in body:
                self.run_top(s)

    def run_top(self, stmt):
        """A top-level statement; one the reader cannot follow binds its names to Unknown and is skipped."""
        before = self.statements
        try:
            self.exec_block([stmt], self.globals)
        except ShapeError as err:
            if err.code != "unsupported_construct" or self.in_forward:
                raise
            self.skipped.append((stmt, err, self.touches_tensors(stmt)))
            # A statement that ran in part (a loop stopped midway) leaves whatever it assigns or changes unknown.
            ran_inside = self.statements > before + 1
            for name in _changed_names(stmt) if ran_inside else {n for t in _targets(stmt) for n in _names(t)}:
                self.globals[name] = Unknown(name, stmt.lineno, getattr(err, "what", err.message), err.line)

    def touches_tensors(self, stmt) -> bool:
        """True when a statement reads a tensor or a value whose tensor path is already broken."""

        def on_path(v, depth=0):
            if isinstance(v, (Tensor, _KerasInputLayer)) or (isinstance(v, Unknown) and v.reason):
                return True
            return depth < 2 and isinstance(v, (list, tuple)) and any(on_path(x, depth + 1) for x in v[:50])

        return any(
            isinstance(n, ast.Name) and n.id in self.globals and on_path(self.globals[n.id]) for n in ast.walk(stmt)
        )

    def define_class(self, node: ast.ClassDef, scope: dict):
        bases = []
        kind = "other"
        foreign = None  # a framework base class the engine does not declare (nn.Transformer, layers.Dense)
        for b in node.bases:
            dotted = _dotted(b)
            if dotted and dotted in scope and isinstance(scope[dotted], UserClass):
                base = scope[dotted]
                bases.append(base)
                if base.kind != "other":
                    kind = base.kind
                continue
            path = _resolve_path(dotted or "", scope, self.globals)
            last = path.rsplit(".", 1)[-1]
            if last == "Module":
                kind = "torch"
            elif last in ("Model", "Layer") and not path.startswith("torch"):
                kind = "keras"
            elif path in ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"):
                kind = "torch"  # a container subclass: its children come from super().__init__(...)
            elif path.startswith("torch.nn.") or path.startswith("nn."):
                kind, foreign = "torch", path
            elif ".layers." in path or path.startswith("layers."):
                kind, foreign = "keras", path
            bases.append(Ref(path))
        cls = UserClass(node, bases, kind)
        cls.foreign = foreign
        text = _src(node)
        cls.own_weights = kind == "keras" and ("add_weight" in text or "build" in cls.methods)

        cls.fields = []  # a dataclass's fields: (name, default value or _NOOP)
        cls.dataclass = any(
            (_dotted(d.func if isinstance(d, ast.Call) else d) or "").endswith("dataclass") for d in node.decorator_list
        )
        for stmt in node.body:  # class attributes (expansion = 4): literals and arithmetic on known names
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                try:
                    value = self.read_node(stmt.value, dict(cls.attrs))
                except ShapeError:
                    continue
                for t in stmt.targets:
                    cls.attrs[t.id] = value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                value = _NOOP
                if stmt.value is not None:
                    try:
                        value = self.read_node(stmt.value, dict(cls.attrs))
                    except ShapeError:
                        value = Unknown(stmt.target.id, stmt.lineno)
                    cls.attrs[stmt.target.id] = value
                cls.fields.append((stmt.target.id, value))
        scope[node.name] = cls
        self.classes[node.name] = cls

    def exec_block(self, stmts, scope: dict):
        for stmt in stmts:
            self.tick()
            self.statements += 1
            self.line = stmt.lineno
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, stmt, scope):
        if isinstance(stmt, ast.Expr):
            self.read_node(stmt.value, scope)
        elif isinstance(stmt, ast.Assign):
            value = self.read_node(stmt.value, scope)
            for target in stmt.targets:
                self.assign(target, value, scope, stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.read_node(stmt.value, scope), scope, stmt)
        elif isinstance(stmt, ast.AugAssign):
            current = self.read_node(stmt.target, scope)  # the target read first (its Store context is ignored)
            value = self.binop(stmt.op, current, self.read_node(stmt.value, scope), stmt)
            if self.fw == "pytorch" and isinstance(current, Tensor) and isinstance(value, Tensor):
                if value.shape != current.shape:  # in place: the result must fit the tensor written to
                    err = op_error(
                        "broadcast_mismatch",
                        f"in-place {type(stmt.op).__name__.lower()}: output with shape {_show(current.shape)} "
                        f"doesn't match the broadcast shape {_show(value.shape)}",
                    )
                    raise node_error(
                        err, len(self.graph.nodes) - 1, value.ref, "inplace", stmt.lineno, _show(current.shape)
                    )
            self.assign(stmt.target, value, scope, stmt)
        elif isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else self.read_node(stmt.value, scope))
        elif isinstance(stmt, ast.If):
            cond = self.truth(self.read_node(stmt.test, scope), stmt.test)
            self.exec_block(stmt.body if cond else stmt.orelse, scope)
        elif isinstance(stmt, ast.For):
            items = self.iterate(self.read_node(stmt.iter, scope), stmt.iter)
            for item in items:
                self.tick()
                self.assign(stmt.target, item, scope, stmt)
                try:
                    self.exec_block(stmt.body, scope)
                except _Break:
                    break
                except _Continue:
                    continue
            else:
                self.exec_block(stmt.orelse, scope)
        elif isinstance(stmt, ast.While):
            count = 0
            while self.truth(self.read_node(stmt.test, scope), stmt.test):
                count += 1
                if count > MAX_SEQUENCE:
                    raise unsupported(stmt.lineno, "a while loop that runs too long")
                try:
                    self.exec_block(stmt.body, scope)
                except _Break:
                    break
                except _Continue:
                    continue
        elif isinstance(stmt, ast.Break):
            raise _Break()
        elif isinstance(stmt, ast.Continue):
            raise _Continue()
        elif isinstance(stmt, (ast.Pass, ast.Global, ast.Nonlocal, ast.Assert)):
            pass
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.do_import(stmt, scope)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope[stmt.name] = UserFunction(stmt, scope if scope is not self.globals else None)
        elif isinstance(stmt, ast.ClassDef):
            self.define_class(stmt, scope)
        elif isinstance(stmt, ast.With):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, Unknown(ast.unparse(item.context_expr), stmt.lineno), scope, stmt)
            self.exec_block(stmt.body, scope)
        elif isinstance(stmt, ast.Try):
            self.exec_block(stmt.body, scope)
            self.exec_block(stmt.orelse, scope)
            self.exec_block(stmt.finalbody, scope)
        elif isinstance(stmt, ast.Delete):
            pass
        elif isinstance(stmt, ast.Raise):
            raise unsupported(stmt.lineno, f"the code raises here (`{ast.unparse(stmt)[:80]}`)")
        else:
            raise unsupported(stmt.lineno, f"`{type(stmt).__name__}` statements are not read")

    def do_import(self, stmt, scope):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    scope[alias.asname] = Ref(_canonical(alias.name))
                else:
                    top = alias.name.split(".")[0]
                    scope[top] = Ref(_canonical(top))
        else:
            module = _canonical(stmt.module or "")
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                scope[alias.asname or alias.name] = Ref(f"{module}.{alias.name}" if module else alias.name)

    def assign(self, target, value, scope, stmt):
        if isinstance(target, ast.Name):
            if (
                isinstance(value, Unknown)
                and value.reason is None
                and "(" in value.expr
                and not value.expr.startswith("len(")
            ):
                # x_train = np.load(...): later questions name x_train (x_train.shape[1]), not the call
                value = Unknown(target.id, getattr(stmt, "lineno", self.line))
            scope[target.id] = value
            if self.top_level and scope is self.globals and isinstance(value, TorchModule):
                self.torch_instances.append((target.id, value))
            if isinstance(value, KerasModel) and scope is self.globals:
                value.var = target.id
            if isinstance(value, Tensor) and scope is self.globals and value.node is not None:
                self.last_tensor = (value, target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), stmt)
            for t, v in zip(target.elts, items, strict=False):
                self.assign(t, v, scope, stmt)
        elif isinstance(target, ast.Attribute):
            obj = self.read_node(target.value, scope)
            self.set_attr(obj, target.attr, value, stmt)
        elif isinstance(target, ast.Subscript):
            obj = self.read_node(target.value, scope)
            key = self.read_node(target.slice, scope)
            if isinstance(obj, (list, dict)) and not isinstance(key, (Unknown, slice)):
                try:
                    obj[key] = value
                except (IndexError, TypeError):
                    raise unsupported(stmt.lineno, f"cannot follow `{ast.unparse(target)[:80]}`") from None
            elif isinstance(obj, TorchModule) and isinstance(key, (str, int)):
                self.register(obj, str(key), value)
            elif isinstance(obj, (Unknown, Tensor)):
                pass  # writing into a tensor never changes its shape
            else:
                raise unsupported(stmt.lineno, f"cannot follow the assignment to `{ast.unparse(target)[:80]}`")
        elif isinstance(target, ast.Starred):
            raise unsupported(stmt.lineno, "starred assignment targets are not read")

    def unpack(self, value, n, stmt):
        if isinstance(value, (tuple, list)):
            if len(value) != n:
                raise unsupported(stmt.lineno, f"unpacking {len(value)} values into {n} names")
            return list(value)
        if isinstance(value, Unknown):
            return [value.derived(f"{value.expr}[{k}]", value.line) for k in range(n)]
        if isinstance(value, Tensor):
            return self.tensor_method(value, "unbind", [], {}, stmt)[:n]
        raise unsupported(stmt.lineno, f"cannot unpack `{ast.unparse(stmt)[:80]}`")

    def set_attr(self, obj, attr, value, stmt):
        if isinstance(obj, TorchModule):
            obj.attrs[attr] = value
            if isinstance(value, (TorchModule, LayerObj)):
                self.register(obj, attr, value)
            elif isinstance(value, Tensor) and getattr(value, "is_param", False):
                obj.params.append((attr, value))
        elif attr == "trainable" and isinstance(obj, (KerasModel, LayerObj, OpLayer)):
            obj.trainable = bool(self.plain_value(value, "trainable", stmt))
        elif attr in ("weight", "bias") and isinstance(obj, LayerObj) and isinstance(value, _WeightRef):
            obj.tied[attr] = value  # weight tying: one parameter shared by two layers, counted once
        elif attr == "requires_grad" and isinstance(obj, _ParamRef):
            obj.freeze(bool(self.plain_value(value, "requires_grad", stmt)))
        elif isinstance(obj, KerasModel) and obj.instance is not None:
            self.set_attr(obj.instance, attr, value, stmt)
        elif isinstance(obj, Unknown):
            pass
        else:
            raise unsupported(stmt.lineno, f"cannot follow the assignment to `{ast.unparse(stmt)[:80]}`")

    def register(self, parent: TorchModule, name: str, child):
        parent.children[name] = child

    # ---- expressions ------------------------------------------------------------------------

    def truth(self, v, node):
        if isinstance(v, (Unknown, Tensor)):
            raise unsupported(getattr(node, "lineno", self.line), f"the condition `{_src(node)[:80]}` depends on data")
        return bool(v)

    def iterate(self, v, node):
        if isinstance(v, (list, tuple, str, range)):
            if len(v) > MAX_SEQUENCE:
                raise unsupported(node.lineno, "a loop over too many items")
            self.allocate(len(v), node.lineno)
            return list(v)
        if isinstance(v, dict):
            return list(v)
        kind = getattr(v, "container", None) or getattr(v, "kind", None)
        if isinstance(v, TorchModule) and kind in ("sequential", "modulelist"):
            return list(v.children.values())
        if isinstance(v, TorchModule) and kind == "moduledict":
            return list(v.children)
        if isinstance(v, KerasModel) and v.kind == "sequential":
            return list(v.layers)
        raise unsupported(node.lineno, f"cannot loop over `{_src(node)[:80]}`")

    def read_node(self, node, scope):
        """The value of an ast node, worked out by this reader for the subset it knows (never Python's eval)."""
        self.expr_depth += 1
        try:
            if self.expr_depth > MAX_EXPR_DEPTH:
                raise ShapeError(
                    "too_complex",
                    f"line {getattr(node, 'lineno', self.line)}: an expression is nested too deeply",
                    "code",
                )
            if self.values and isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Name)):
                text = _src(node).replace(" ", "")
                if text in self.values:
                    return self.values[text]
            method = getattr(self, "ev_" + type(node).__name__, None)
            if method is None:
                raise unsupported(getattr(node, "lineno", self.line), f"`{_src(node)[:80]}` cannot be read")
            return method(node, scope)
        finally:
            self.expr_depth -= 1

    def ev_Constant(self, node, scope):
        if isinstance(node.value, str) and len(node.value) > 1000:
            return node.value[:1000]
        return node.value

    def ev_JoinedStr(self, node, scope):
        """f'conv{i}': plain values without format specs are formatted; anything else is Unknown."""
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
                continue
            if not isinstance(part, ast.FormattedValue) or part.format_spec is not None or part.conversion != -1:
                return Unknown(_src(node)[:80], node.lineno)
            value = self.read_node(part.value, scope)
            if not (type(value) in (int, str, bool) or value is None):
                return Unknown(_src(node)[:80], node.lineno)
            out.append(str(value))
        return "".join(out)[:1000]

    def ev_Name(self, node, scope):
        name = node.id
        if name in scope:
            return scope[name]
        if name in self.globals:
            return self.globals[name]
        if name in _BUILTINS:
            return _BUILTINS[name]
        aliases = _TORCH_ALIASES if self.fw == "pytorch" else _KERAS_ALIASES
        if name in aliases:
            return Ref(aliases[name])
        if name in ("Sequential", "Model", "Input", "InputLayer"):
            return Ref(("torch.nn." if self.fw == "pytorch" else "keras.") + name)
        try:
            registry.lookup(self.fw, name)
            return Ref(("torch.nn." if self.fw == "pytorch" else "keras.layers.") + name)
        except ShapeError:
            pass
        if self.fw == "keras" and (name in _KERAS_MERGE_CLASSES or name in _KERAS_MERGE_FUNCTIONS):
            return Ref("keras.layers." + name)
        return Unknown(name, node.lineno)

    def ev_Tuple(self, node, scope):
        return tuple(self.seq_items(node.elts, scope))

    def ev_List(self, node, scope):
        return self.seq_items(node.elts, scope)

    def seq_items(self, elts, scope):
        out = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self.iterate(self.read_node(e.value, scope), e))
            else:
                out.append(self.read_node(e, scope))
            if len(out) > MAX_SEQUENCE:
                raise unsupported(self.line, "a list that is too long")
        self.allocate(len(out), self.line)
        return out

    def ev_Set(self, node, scope):
        return self.seq_items(node.elts, scope)

    def ev_Dict(self, node, scope):
        out = {}
        for k, v in zip(node.keys, node.values, strict=False):
            if k is None:
                d = self.read_node(v, scope)
                if isinstance(d, dict):
                    out.update(d)
                continue
            key = self.read_node(k, scope)
            if isinstance(key, (str, int, float, bool, tuple)) or key is None:
                out[key] = self.read_node(v, scope)
        return out

    def ev_Slice(self, node, scope):
        parts = [None if p is None else self.read_node(p, scope) for p in (node.lower, node.upper, node.step)]
        for p in parts:
            if isinstance(p, (Unknown, Tensor)):
                raise unsupported(self.line, f"the slice `{_src(node)}` has an unknown bound")
        return slice(*parts)

    def ev_IfExp(self, node, scope):
        cond = self.truth(self.read_node(node.test, scope), node.test)
        return self.read_node(node.body if cond else node.orelse, scope)

    def ev_BoolOp(self, node, scope):
        value = None
        for v in node.values:
            value = self.read_node(v, scope)
            if isinstance(value, (Unknown, Tensor)):
                raise unsupported(node.lineno, f"`{_src(node)[:80]}` depends on data")
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def ev_UnaryOp(self, node, scope):
        v = self.read_node(node.operand, scope)
        if isinstance(v, Unknown):
            return v
        if isinstance(v, Tensor):
            if isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
                return v
            raise unsupported(node.lineno, f"`{_src(node)[:80]}` on a tensor")
        if isinstance(node.op, ast.Not):
            return not v
        if isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, bool):
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return +v
            if isinstance(node.op, ast.Invert) and isinstance(v, int):
                return ~v
        raise unsupported(node.lineno, f"`{_src(node)[:80]}` cannot be computed")

    def ev_Compare(self, node, scope):
        left = self.read_node(node.left, scope)
        for op, comp in zip(node.ops, node.comparators, strict=False):
            right = self.read_node(comp, scope)
            if isinstance(left, (Unknown, Tensor)) or isinstance(right, (Unknown, Tensor)):
                if isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                    result = (left is right) if isinstance(op, ast.Is) else (left is not right)
                else:
                    return Unknown(_src(node)[:80], node.lineno)
            else:
                try:
                    result = _COMPARE[type(op)](left, right)
                except TypeError:
                    return Unknown(_src(node)[:80], node.lineno)
            if not result:
                return False
            left = right
        return True

    def ev_BinOp(self, node, scope):
        left = self.read_node(node.left, scope)
        right = self.read_node(node.right, scope)
        return self.binop(node.op, left, right, node)

    def binop(self, op, left, right, node):
        line = getattr(node, "lineno", self.line)
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return self.tensor_binop(op, left, right, line)
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        if isinstance(op, ast.Mult) and isinstance(left, (list, tuple, str)) and isinstance(right, int):
            if len(left) * right > MAX_SEQUENCE:
                raise unsupported(line, "a list that is too long")
            self.allocate(len(left) * right, line)
            return left * right
        if isinstance(op, ast.Mult) and isinstance(right, (list, tuple, str)) and isinstance(left, int):
            return self.binop(op, right, left, node)
        if isinstance(op, ast.Add) and isinstance(left, (list, tuple)) and type(left) is type(right):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise unsupported(line, "a list that is too long")
            self.allocate(len(left) + len(right), line)
            return left + right
        if isinstance(op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return (left + right)[:1000]
        if isinstance(op, ast.Mod) and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            if _SIMPLE_PERCENT.fullmatch(left) and all(type(v) in (int, str) for v in values):
                try:
                    return (left % right)[:1000]
                except (TypeError, ValueError):
                    pass
            return Unknown("a formatted string", line)
        if type(op) in _ARITH and _is_number(left) and _is_number(right):
            if isinstance(op, ast.Pow) and (abs(right) > 64 or abs(left) > 2**31):
                raise unsupported(line, "a power too large to compute")
            try:
                value = _ARITH[type(op)](left, right)
            except (ZeroDivisionError, OverflowError, ValueError):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed (division by zero?)") from None
            if isinstance(value, int) and abs(value) > MAX_INT_VALUE:
                raise unsupported(line, "a number too large")
            if isinstance(value, complex):
                raise unsupported(line, "a complex number")
            return value
        if isinstance(op, (ast.BitOr, ast.BitAnd)) and isinstance(left, (bool, int)) and isinstance(right, (bool, int)):
            return left | right if isinstance(op, ast.BitOr) else left & right
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed")

    def ev_Attribute(self, node, scope):
        obj = self.read_node(node.value, scope)
        return self.get_attr(obj, node.attr, node)

    def get_attr(self, obj, attr, node):
        line = getattr(node, "lineno", self.line)
        if isinstance(obj, Ref):
            return Ref(f"{obj.path}.{attr}")
        if isinstance(obj, Unknown):
            text = f"{obj.expr}.{attr}"
            if text.replace(" ", "") in self.values:  # self.args.hidden answered by values["args.hidden"]
                return self.values[text.replace(" ", "")]
            return obj.derived(text, line)
        if isinstance(obj, Tensor):
            return self.tensor_attr(obj, attr, node)
        if isinstance(obj, TorchModule):
            if attr == "training":
                note = "traced in eval mode (self.training is False), as torchinfo summarizes by default"
                if note not in self.notes:
                    self.notes.append(note)
                return False
            if attr in obj.attrs:
                return obj.attrs[attr]
            if attr in obj.children:
                return obj.children[attr]
            for name, t in obj.params:
                if name == attr:
                    return t
            if obj.cls is not None:
                found = obj.cls.find(attr)
                if found:
                    return _method(obj, found, attr)
                for c in _mro(obj.cls):
                    if attr in c.attrs:
                        return c.attrs[attr]
            return Bound(obj, self.module_method, attr)
        if isinstance(obj, KerasModel):
            if obj.instance is not None:
                inner = obj.instance
                if attr in inner.attrs:
                    return inner.attrs[attr]
                found = inner.cls.find(attr) if inner.cls else None
                if found:
                    return _method(obj, found, attr)
            if attr == "output" and obj.outputs:
                return obj.outputs[0]
            if attr == "outputs":
                return list(obj.outputs)
            if attr == "input" and obj.inputs:
                return obj.inputs[0]
            if attr == "inputs":
                return list(obj.inputs)
            if attr == "layers":
                if obj.kind != "sequential":
                    raise unsupported(line, f"the layers of {obj.name} in Keras' order are not read")
                return [item for item in obj.layers if not isinstance(item, (Tensor, _KerasInputLayer))]
            return Bound(obj, self.keras_model_method, attr)
        if isinstance(obj, UserClass):
            if attr in obj.attrs:
                return obj.attrs[attr]
            found = obj.find(attr)
            if found:
                return UserFunction(found[1], None, found[0])
            return Unknown(f"{obj.name}.{attr}", line)
        if isinstance(obj, (LayerObj, OpLayer)):
            if attr == "name":
                return obj.name
            if isinstance(obj, LayerObj) and attr in obj.params:
                return obj.params[attr]
            if attr in ("weight", "bias") and isinstance(obj, LayerObj):
                if attr == "bias" and obj.params.get("bias", True) is False:
                    return None
                return _WeightRef(obj, attr)
            return Bound(obj, self.layer_method, attr)
        if isinstance(obj, Partial) and attr in ("func", "args", "keywords"):
            return {"func": obj.func, "args": tuple(obj.args), "keywords": obj.kwargs}[attr]
        if isinstance(obj, (list, dict, str)):
            return Bound(obj, self.builtin_method, attr)
        if isinstance(obj, _ParamRef) and attr == "requires_grad_":
            return Bound(obj, lambda o, n, a, k, node: o.freeze(bool(a[0]) if a else True), attr)

        return Unknown(f"{_src(node)[:80]}" if isinstance(node, ast.AST) else attr, line)

    def ev_Subscript(self, node, scope):
        obj = self.read_node(node.value, scope)
        key = self.read_node(node.slice, scope)
        line = node.lineno
        if isinstance(obj, Tensor):
            return self.tensor_index(obj, key, line)
        if isinstance(obj, Unknown):
            if _plain(key) and not isinstance(key, list):
                text = f"{obj.expr}[{key!r}]".replace(" ", "")
                if text in self.values:
                    return self.values[text]
                return obj.derived(f"{obj.expr}[{key!r}]", line)
            return obj.derived(_src(node)[:80], line)
        if isinstance(key, Unknown):
            raise needs_value(key.expr, line) if key.reason is None else key.error(line, "")
        if isinstance(obj, TorchModule):
            if obj.kind == "moduledict":
                return obj.children[key]
            kids = list(obj.children.values())
            if isinstance(key, slice):
                out = TorchModule(obj.kind, line=line)
                keys = list(obj.children)[key]
                out.children = {k: obj.children[k] for k in keys}
                out.path = obj.path
                return out
            try:
                return kids[key]
            except (IndexError, TypeError):
                raise unsupported(line, f"`{_src(node)[:80]}` is out of range") from None
        if isinstance(obj, KerasModel) and obj.kind == "sequential":
            return obj.layers[key]
        if isinstance(obj, (list, tuple, str, dict, range)):
            try:
                return obj[key]
            except (IndexError, KeyError, TypeError):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be read (no such item)") from None
        if isinstance(obj, Ref):
            return Unknown(_src(node)[:80], line)
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be read")

    def ev_Starred(self, node, scope):
        return self.read_node(node.value, scope)

    def ev_ListComp(self, node, scope):
        return self.comprehension(node, scope, lambda s: [self.read_node(node.elt, s)])

    ev_GeneratorExp = ev_ListComp
    ev_SetComp = ev_ListComp

    def ev_DictComp(self, node, scope):
        pairs = self.comprehension(
            node, scope, lambda s: [(self.read_node(node.key, s), self.read_node(node.value, s))]
        )
        return dict(pairs)

    def comprehension(self, node, scope, produce):
        out = []
        local = dict(scope)

        def level(k):
            if k == len(node.generators):
                out.extend(produce(local))
                if len(out) > MAX_SEQUENCE:
                    raise unsupported(node.lineno, "a comprehension that is too long")
                return
            gen = node.generators[k]
            for item in self.iterate(self.read_node(gen.iter, local), gen.iter):
                self.tick()
                self.assign(gen.target, item, local, node)
                if all(self.truth(self.read_node(c, local), c) for c in gen.ifs):
                    level(k + 1)

        level(0)
        return out

    def ev_Lambda(self, node, scope):
        return LambdaFn(node, scope)

    def ev_Call(self, node, scope):
        if (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "super"
        ):
            func = self.super_method(node.func.attr, scope, node)
        else:
            func = self.read_node(node.func, scope)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.extend(self.iterate(self.read_node(a.value, scope), a))
            else:
                args.append(self.read_node(a, scope))
        kwargs = {}
        for kw in node.keywords:
            value = self.read_node(kw.value, scope)
            if kw.arg is None:
                if isinstance(value, dict):
                    kwargs.update(value)
                else:
                    raise unsupported(node.lineno, "**kwargs that are not a known dict")
            else:
                kwargs[kw.arg] = value
        return self.call(func, args, kwargs, node)

    def super_method(self, attr, scope, node):
        """super().name: the next user class's method, else nothing to do (nn.Module / keras.Model)."""
        owner, obj = scope.get("__class__"), scope.get("__self__")
        if isinstance(owner, UserClass):
            for base in owner.bases:
                if isinstance(base, UserClass):
                    found = base.find(attr)
                    if found:
                        return _method(obj, found, attr)
            container = _container_kind(owner)
            if container and isinstance(obj, TorchModule):
                if attr == "__init__":
                    return Bound(obj, self.container_init, container)
                if attr == "forward":
                    return Bound(obj, self.container_forward, container)
        return _NOOP

    def container_init(self, obj, kind, args, kwargs, node):
        """nn.Sequential.__init__(*modules) (or an OrderedDict), ModuleList(list), ModuleDict(dict) on a subclass."""
        obj.container = kind
        if kind == "sequential" and len(args) == 1 and isinstance(args[0], dict):
            items = list(args[0].items())
        elif kind == "sequential":
            items = list(enumerate(args))
        elif kind == "modulelist":
            items = list(enumerate(self.iterate(args[0], node))) if args else []
        else:
            items = list(args[0].items()) if args and isinstance(args[0], dict) else []
        for k, v in items:
            self.register(obj, str(k), v)
        return None

    def container_forward(self, obj, kind, args, kwargs, node):
        if kind != "sequential":
            raise unsupported(node.lineno, "a ModuleList/ModuleDict is not callable")
        x = args[0]
        for child in obj.children.values():
            x = self.call(child, [x], {}, _FakeNode(node.lineno))
        return x

    # ---- calls ------------------------------------------------------------------------------

    def call(self, func, args, kwargs, node):
        self.tick()
        line = node.lineno
        self.line = line
        if isinstance(func, Bound):
            if isinstance(func.fn, UserFunction):
                return self.call_user(func.fn, [func.obj, *args], kwargs, node)
            return func.fn(func.obj, func.name, args, kwargs, node)
        if isinstance(func, UserFunction):
            return self.call_user(func, args, kwargs, node)
        if isinstance(func, LambdaFn):
            scope = self.bind_args(func.node, args, kwargs, node, dict(func.scope))
            return self.read_node(func.node.body, scope)
        if isinstance(func, UserClass):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Ref):
            return self.call_ref(func.path, args, kwargs, node)
        if isinstance(func, LayerObj):
            return self.call_layer(func, args, kwargs, node)
        if isinstance(func, OpLayer):
            return self.call_op_layer(func, args, kwargs, node)
        if isinstance(func, TorchModule):
            return self.call_module(func, args, kwargs, node)
        if isinstance(func, KerasModel):
            return self.call_keras_model(func, args, kwargs, node)
        if func is _NOOP:
            return None
        if isinstance(func, Partial):
            return self.call(func.func, [*func.args, *args], {**func.kwargs, **kwargs}, node)
        if callable(func) and func in _BUILTIN_FUNCS:
            return self.call_builtin(func, args, kwargs, node)
        if isinstance(func, Unknown):
            if _has_tensor(args, kwargs):
                raise func.error(line, f"`{_src(node)[:80]}` cannot be followed")
            return func.derived(_src(node)[:80], line)
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed")

    def call_user(self, fn: UserFunction, args, kwargs, node):
        self.call_depth += 1
        if self.call_depth > MAX_CALL_DEPTH:
            raise ShapeError("too_complex", f"line {node.lineno}: calls nest too deeply (recursion?)", "code")
        was_top = self.top_level
        self.top_level = False
        try:
            scope = self.bind_args(fn.node, args, kwargs, node, dict(fn.scope) if fn.scope else {})
            scope["__class__"] = fn.owner
            if fn.owner is not None and args:
                scope["__self__"] = args[0]
            if fn.node.name in self.functions:
                self.called_functions.add(fn.node.name)
            try:
                self.exec_block(fn.node.body, scope)
            except _Return as r:
                return r.value
            return None
        finally:
            self.call_depth -= 1
            self.top_level = was_top

    def bind_args(self, fdef, args, kwargs, node, scope):
        a = fdef.args
        positional = [p.arg for p in (*a.posonlyargs, *a.args)]
        defaults = dict(zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=False))
        for name, value in zip(positional, args, strict=False):
            scope[name] = value
        extra = args[len(positional) :]
        if a.vararg is not None:
            scope[a.vararg.arg] = tuple(extra)
        elif extra:
            raise unsupported(
                node.lineno, f"{getattr(fdef, 'name', 'lambda')}() receives too many positional arguments"
            )
        rest = {}
        for k, v in kwargs.items():
            if k in positional or any(k == p.arg for p in a.kwonlyargs):
                scope[k] = v
            else:
                rest[k] = v
        if a.kwarg is not None:
            scope[a.kwarg.arg] = rest
        for name in positional:
            if name not in scope:
                if name in self.values:
                    scope[name] = self.values[name]
                elif name in defaults:
                    scope[name] = self.read_node(defaults[name], self.globals)
                else:
                    raise needs_value(name, fdef.lineno)
        for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=False):
            if p.arg not in scope:
                if p.arg in self.values:
                    scope[p.arg] = self.values[p.arg]
                elif d is None:
                    raise needs_value(p.arg, fdef.lineno)
                else:
                    scope[p.arg] = self.read_node(d, self.globals)
        return scope

    def instantiate(self, cls: UserClass, args, kwargs, node):
        if cls.kind == "other":
            init = cls.find("__init__")
            obj = TorchModule("plain", cls, node.lineno)
            if init:
                self.call_user(UserFunction(init[1], None, init[0]), [obj, *args], kwargs, node)
            elif getattr(cls, "dataclass", False):
                fields = [f for c in reversed(_mro(cls)) for f in getattr(c, "fields", [])]
                for k, (name, default) in enumerate(fields):
                    if k < len(args):
                        value = args[k]
                    elif name in kwargs:
                        value = kwargs[name]
                    elif default is not _NOOP:
                        value = default
                    else:
                        raise needs_value(f"{cls.name}.{name}", node.lineno)
                    obj.attrs[name] = value
            return obj
        for c in _mro(cls):
            if getattr(c, "foreign", None):
                raise unsupported(
                    node.lineno,
                    f"{cls.name} derives from {c.foreign}, which the engine does not declare; its weights and "
                    "shapes cannot be followed",
                )
            if getattr(c, "own_weights", False):
                raise unsupported(
                    node.lineno,
                    f"the custom layer {c.name} makes its own weights (build / add_weight); they cannot be counted",
                )
        obj = TorchModule("user", cls, node.lineno)
        obj.container = _container_kind(cls) if cls.kind == "torch" else None
        init = cls.find("__init__")
        if init:
            self.call_user(UserFunction(init[1], None, init[0]), [obj, *args], kwargs, node)
        elif obj.container:
            self.container_init(obj, obj.container, args, kwargs, node)
        if cls.kind == "keras":
            model = KerasModel("subclass", node.lineno, self.keras_name(keras_auto_name(cls.name), kwargs.get("name")))
            model.instance = obj
            model.cls = cls
            self.keras_models.append(model)
            return model
        return obj

    def module_method(self, obj, name, args, kwargs, node):
        line = node.lineno
        if name == "requires_grad_":
            flag = self.plain_value(args[0] if args else kwargs.get("requires_grad", True), "requires_grad", node)
            for mod in _walk(obj):
                mod.trainable = bool(flag)
            return obj
        if name in ("to", "cuda", "cpu", "eval", "train", "float", "double", "half", "apply"):
            return obj

        if name in ("__init__",):
            return None
        if name == "add_module" or name == "register_module":
            self.register(obj, args[0], args[1])
            return None
        if name == "register_buffer":
            if len(args) > 1:
                obj.attrs[args[0]] = args[1]  # a tensor that is not a parameter
            return None
        if name == "register_parameter":
            if len(args) > 1 and isinstance(args[1], Tensor):
                obj.params.append((args[0], args[1]))
            return None
        if name in ("append", "add") and obj.kind in ("modulelist", "sequential"):
            self.register(obj, str(len(obj.children)), args[0])
            return obj
        if name == "extend" and obj.kind in ("modulelist", "sequential"):
            for m in self.iterate(args[0], node):
                self.register(obj, str(len(obj.children)), m)
            return obj
        if name == "insert" and obj.kind == "modulelist":
            kids = list(obj.children.values())
            kids.insert(args[0], args[1])
            obj.children = {str(k): m for k, m in enumerate(kids)}
            return None
        if name == "children":
            return list(obj.children.values())
        if name == "modules":
            return _walk(obj)
        if name == "named_children":
            return list(obj.children.items())
        if name in ("keys",) and obj.kind == "moduledict":
            return list(obj.children)
        if name in ("values",) and obj.kind == "moduledict":
            return list(obj.children.values())
        if name in ("items",) and obj.kind == "moduledict":
            return list(obj.children.items())
        if name == "forward":
            return self.call_module(obj, args, kwargs, node)
        if name == "named_parameters":
            out = []
            for path, mod in _named_modules(obj):
                if isinstance(mod, LayerObj):
                    out.extend((f"{path}.{w}" if path else w, _ParamRef(mod, w)) for w in _weight_names(mod))
                elif isinstance(mod, TorchModule):
                    out.extend((f"{path}.{n}" if path else n, _ParamRef(mod, n)) for n, _ in mod.params)
            return out
        if name == "parameters":
            # One handle per module that holds weights: a loop setting requires_grad sets it on all of them.
            return [
                _ParamRef(mod)
                for mod in _walk(obj)
                if isinstance(mod, LayerObj) or (isinstance(mod, TorchModule) and mod.params)
            ]
        if name in ("parameters", "named_parameters", "state_dict", "load_state_dict", "zero_grad", "size"):
            return Unknown(f"{name}()", line)
        if _has_tensor(args, kwargs):
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed")
        return Unknown(_src(node)[:80], line)

    def keras_model_method(self, obj, name, args, kwargs, node):
        if name == "add":
            item = args[0] if args else kwargs.get("layer")
            obj.layers.append(item)
            return None
        if name == "build":
            shape = args[0] if args else kwargs.get("input_shape")
            if isinstance(shape, (list, tuple)):
                obj.input_shape = tuple(shape)
            return None
        if name == "pop" and obj.layers:
            obj.layers.pop()
            return None
        if name == "call":
            return self.call_keras_model(obj, args, kwargs, node)
        if _has_tensor(args, kwargs):
            raise unsupported(node.lineno, f"`{_src(node)[:80]}` cannot be followed")
        return Unknown(_src(node)[:80], node.lineno)

    def layer_method(self, obj, name, args, kwargs, node):
        if name == "requires_grad_":
            obj.trainable = bool(
                self.plain_value(args[0] if args else kwargs.get("requires_grad", True), "requires_grad", node)
            )
            return obj
        if name == "parameters" and isinstance(obj, LayerObj):
            return [_ParamRef(obj)]
        if name == "named_parameters" and isinstance(obj, LayerObj):
            return [(w, _ParamRef(obj, w)) for w in _weight_names(obj)]
        if name in ("to", "cuda", "cpu", "float", "double", "half", "train", "eval"):
            return obj
        if name == "forward":
            return self.call_layer(obj, args, kwargs, node)
        if _has_tensor(args, kwargs):
            raise unsupported(node.lineno, f"`{_src(node)[:80]}` cannot be followed")
        return Unknown(_src(node)[:80], node.lineno)

    def builtin_method(self, obj, name, args, kwargs, node):
        line = node.lineno
        if isinstance(obj, list):
            if name == "append":
                if len(obj) >= MAX_SEQUENCE:
                    raise unsupported(line, "a list that is too long")
                self.allocate(1, line)
                obj.append(args[0])
                return None
            if name == "extend":
                obj.extend(self.iterate(args[0], node))
                if len(obj) > MAX_SEQUENCE:
                    raise unsupported(line, "a list that is too long")
                return None
            if name == "insert":
                obj.insert(args[0], args[1])
                return None
            if name == "pop":
                return obj.pop(*args)
            if name == "reverse":
                obj.reverse()
                return None
            if name == "copy":
                return list(obj)
            if name == "index":
                return obj.index(args[0])
        if isinstance(obj, dict):
            if name == "items":
                return list(obj.items())
            if name == "keys":
                return list(obj.keys())
            if name == "values":
                return list(obj.values())
            if name == "get":
                return obj.get(*args)
            if name == "pop":
                return obj.pop(*args)
            if name == "update":
                obj.update(args[0] if args else kwargs)
                return None
            if name == "setdefault":
                return obj.setdefault(*args)
        if isinstance(obj, str):
            if name in ("lower", "upper", "strip", "title"):
                return getattr(obj, name)()
            if name in ("startswith", "endswith") and args and isinstance(args[0], str):
                return getattr(obj, name)(args[0])
            if name == "format":
                return _format(obj, args, kwargs) or Unknown("a formatted string", line)
            if name == "split":
                return obj.split(*[a for a in args if isinstance(a, str)])
            if name == "join":
                return Unknown("a joined string", line)
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed")

    def call_builtin(self, func, args, kwargs, node):
        line = node.lineno
        for a in args:
            if isinstance(a, Unknown):
                if func is len:
                    return a.derived(_src(node)[:80], line)
                return a
        if func is len:
            a = args[0]
            if isinstance(a, Tensor):
                if not a.shape:
                    raise unsupported(line, "len() of a 0-d tensor")
                return a.shape[0]
            if isinstance(a, TorchModule):
                return len(a.children)
            if isinstance(a, KerasModel):
                return len(a.layers)
            if isinstance(a, (list, tuple, str, dict, range)):
                return len(a)
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed")
        if func is range:
            if not all(type(a) is int for a in args):
                raise unsupported(line, f"`{_src(node)[:80]}`: range of values that are not integers")
            r = range(*args)
            if len(r) > MAX_SEQUENCE:
                raise unsupported(line, "a range that is too long")
            return r
        if func in (int, float, round, abs, bool, str):
            if args and isinstance(args[0], Tensor):
                raise unsupported(line, f"`{_src(node)[:80]}` converts a tensor to a number")
            try:
                return func(*args)
            except (TypeError, ValueError, OverflowError):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed") from None
        if func in (min, max, sum):
            items = args[0] if len(args) == 1 else args
            items = self.iterate(items, node) if not isinstance(items, list) else items
            if any(isinstance(v, Tensor) for v in items):
                if func is sum and all(isinstance(v, Tensor) for v in items):
                    out = items[0]
                    for v in items[1:]:
                        out = self.tensor_binop(ast.Add(), out, v, line)
                    return out
                raise unsupported(line, f"`{_src(node)[:80]}` over tensors")
            if any(isinstance(v, Unknown) for v in items):
                return next(v for v in items if isinstance(v, Unknown))
            try:
                return func(items, **{k: v for k, v in kwargs.items() if k == "default"})
            except (TypeError, ValueError):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed") from None
        if func in (list, tuple):
            if not args:
                return func()
            return func(self.iterate(args[0], node))
        if func is dict:
            base = dict(args[0]) if args and isinstance(args[0], (dict, list)) else {}
            base.update(kwargs)
            return base
        if func is enumerate:
            start = args[1] if len(args) > 1 else kwargs.get("start", 0)
            return [(k + start, v) for k, v in enumerate(self.iterate(args[0], node))]
        if func is zip:
            return [tuple(t) for t in zip(*[self.iterate(a, node) for a in args], strict=False)]
        if func is reversed:
            return list(reversed(self.iterate(args[0], node)))
        if func is sorted:
            return sorted(self.iterate(args[0], node))
        if func is isinstance:
            return self.is_instance(args[0], args[1], node)
        if func is type and len(args) == 1:
            v = args[0]
            if isinstance(v, Partial):
                return Ref("functools.partial")
            if isinstance(v, Ref):
                return Ref("builtins.type")
            if type(v) in (int, float, str, bool, list, tuple, dict) or v is None:
                return type(v)
            return Unknown(_src(node)[:80], line)

        if func is print:
            return None
        if func is _super:
            return _Super()
        if func is getattr:
            return self.get_attr(args[0], args[1], node) if len(args) == 2 else args[2]
        if func is setattr:
            self.set_attr(args[0], args[1], args[2], node)
            return None
        if func is hasattr and isinstance(args[0], Ref) and args[0].path == "torch.nn.functional":
            return args[1] in ("scaled_dot_product_attention",)  # torch 2.13 has it (the trace's PyTorch)
        if func is hasattr and isinstance(args[0], TorchModule) and isinstance(args[1], str):
            obj, attr = args[0], args[1]
            return (
                attr in obj.attrs
                or attr in obj.children
                or any(n == attr for n, _ in obj.params)
                or (
                    obj.cls is not None
                    and (obj.cls.find(attr) is not None or any(attr in c.attrs for c in _mro(obj.cls)))
                )
            )
        if func is hasattr:
            return Unknown(_src(node)[:80], line)
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed")

    def is_instance(self, value, kinds, node):
        """isinstance() where it can be decided: plain values against builtin types, layers against their class."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        answers = []
        for kind in kinds:
            if kind in (int, float, str, bool, list, tuple, dict) and (_plain(value) or isinstance(value, dict)):
                answers.append(isinstance(value, kind))
            elif isinstance(kind, Ref) and isinstance(value, LayerObj):
                names = {value.spec.name.lower(), *(a.lower() for a in value.spec.aliases)}
                answers.append(kind.path.rsplit(".", 1)[-1].lower() in names)
            elif isinstance(kind, UserClass) and isinstance(value, TorchModule):
                answers.append(value.cls is not None and kind in _mro(value.cls))
            elif isinstance(kind, UserClass) and isinstance(value, LayerObj):
                answers.append(False)
            elif isinstance(kind, Ref) and isinstance(value, TorchModule):
                container = {"sequential": "Sequential", "modulelist": "ModuleList", "moduledict": "ModuleDict"}
                last = kind.path.rsplit(".", 1)[-1]
                answers.append(last == "Module" or container.get(value.kind) == last)

            else:
                return Unknown(_src(node)[:80], node.lineno)
        return any(answers)

    # ---- framework references ---------------------------------------------------------------

    def call_ref(self, path: str, args, kwargs, node):
        line = node.lineno
        parts = path.split(".")
        last = parts[-1]
        library = parts[0] in ("torchvision", "timm", "transformers", "segmentation_models_pytorch") or (
            parts[0] in ("keras", "tf") and "applications" in parts
        )
        if library and last[:1] != "_" and last not in ("preprocess_input", "decode_predictions", "transforms"):
            if "transforms" not in parts and "datasets" not in parts and "utils" not in parts:
                raise unsupported(line, f"{path} is a library model, not code the reader can follow")
        if parts[0] == "torch" or path.startswith("torchvision"):
            return self.call_torch(path, last, args, kwargs, node)
        if parts[0] in ("keras", "tf") or "keras" in parts:
            return self.call_keras(path, last, args, kwargs, node)
        if path == "torchinfo.summary" and args and isinstance(args[0], TorchModule):
            size = kwargs.get("input_size", args[1] if len(args) > 1 else None)
            if isinstance(size, (list, tuple)) and size:
                sizes = size if isinstance(size[0], (list, tuple)) else [size]
                if all(isinstance(s, (list, tuple)) and all(type(v) is int for v in s) for s in sizes):
                    self.example_inputs = [tuple(s) for s in sizes]  # torchinfo's input_size has the batch
            return Unknown(_src(node)[:80], line)
        if path in ("functools.partial", "partial") and args:
            return Partial(args[0], args[1:], kwargs)
        if path in ("collections.OrderedDict", "OrderedDict", "typing.OrderedDict"):
            base = {}
            if args:
                for k, v in self.iterate(args[0], node) if not isinstance(args[0], dict) else args[0].items():
                    base[k] = v
            return base
        if path in ("math.sqrt", "math.floor", "math.ceil", "math.prod", "math.log2", "math.log", "numpy.prod"):
            import math

            if not all(_is_number(a) or isinstance(a, (list, tuple)) for a in args):
                return next((a for a in args if isinstance(a, Unknown)), Unknown(_src(node)[:80], line))
            fn = {
                "sqrt": math.sqrt,
                "floor": math.floor,
                "ceil": math.ceil,
                "prod": math.prod,
                "log2": math.log2,
                "log": math.log,
            }[last]
            if last == "prod" and any(not all(_is_number(v) and abs(v) <= MAX_INT_VALUE for v in a) for a in args):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed")
            try:
                value = fn(*args)
            except (TypeError, ValueError, OverflowError):
                raise unsupported(line, f"`{_src(node)[:80]}` cannot be computed") from None
            if isinstance(value, int) and abs(value) > MAX_INT_VALUE:
                raise unsupported(line, "a number too large")
            return value
        if _has_tensor(args, kwargs):
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed on a tensor")
        return Unknown(_src(node)[:80], line)

    def layer_params(self, spec, written: str, args, kwargs, node, skip_first=False):
        """A constructor's arguments as registry params; Unknown values that matter ask for their value."""
        legacy = spec.options.get("legacy_positional", {}).get(written)
        order = legacy or spec.positional
        params = {}
        input_shape = None
        for n, v in enumerate(args):
            if n >= len(order):
                raise unsupported(
                    node.lineno, f"{spec.name} receives {len(args)} positional arguments; at most {len(order)}"
                )
            params[order[n]] = v
        for k, v in kwargs.items():
            if k in ("input_shape", "batch_input_shape", "batch_shape") and spec.framework == "keras":
                v = self.plain_value(v, k, node)
                if isinstance(v, (list, tuple)):
                    input_shape = (None, *v) if k == "input_shape" else tuple(v)
                continue
            if k == "input_dim" and spec.framework == "keras" and "input_dim" not in spec.by_name:
                input_shape = (None, self.plain_value(v, k, node))
                continue
            params[k] = v
        out = {}
        for k, v in params.items():
            if isinstance(v, (LayerObj,)) and k in spec.by_name:
                out[k] = {"layer": v.spec.name, "params": v.params}
                continue
            if k in spec.inert or (k not in spec.by_name and k not in spec.param_aliases):
                if k not in spec.by_name and k not in spec.param_aliases and k not in spec.inert:
                    out[k] = v if _plain(v) else None  # the declaration names the unknown keyword
                continue
            if k in ("activation", "recurrent_activation") and isinstance(v, Ref):
                v = v.path.rsplit(".", 1)[-1]
            declared = spec.by_name.get(
                spec.param_aliases.get(k, k) if isinstance(spec.param_aliases.get(k, k), str) else k
            )
            if declared is not None and getattr(declared.parse, "kind", "") == "any" and not _plain(v):
                continue  # accepted and ignored by the declaration (a regularizer, an initializer object)
            out[k] = self.plain_value(v, k, node)
        return out, input_shape

    def plain_value(self, v, what, node):
        if isinstance(v, Unknown):
            if v.reason:
                raise v.error(node.lineno, "")
            raise needs_value(v.expr, v.line or node.lineno)
        if isinstance(v, range):
            return list(v)
        if isinstance(v, (tuple, list)):
            return [self.plain_value(x, what, node) for x in v]
        if not _plain(v):
            raise unsupported(node.lineno, f"{what}= is not a value the reader can follow (`{_src(node)[:80]}`)")
        return v

    # ---- Keras ------------------------------------------------------------------------------

    def call_keras(self, path, last, args, kwargs, node):
        line = node.lineno
        layers_module = "." in path and path.split(".")[-2] in ("layers", "merge", "merging", "keras")
        merge_function = layers_module and (last in _KERAS_MERGE_FUNCTIONS or last == "merge")
        if _has_tensor(args, kwargs) and not last[:1].isupper() and not merge_function:
            return self.keras_function(path, last, args, kwargs, node)
        if last in ("Input",) or (last == "InputLayer"):
            shape = kwargs.get("shape", args[0] if args else None)
            batch_shape = kwargs.get("batch_shape", kwargs.get("batch_input_shape"))
            if last == "InputLayer" and shape is None:
                shape = kwargs.get("input_shape")
            if batch_shape is not None:
                full = tuple(self.plain_value(batch_shape, "batch_shape", node))
            elif shape is not None:
                shape = self.plain_value(shape, "shape", node)
                if isinstance(shape, int):
                    shape = [shape]
                full = (kwargs.get("batch_size"), *shape)
            else:
                raise unsupported(line, "Input() without shape")
            name = self.keras_name("input_layer", kwargs.get("name"))
            if self.input_override is not None and self.n_inputs < len(self.input_override):
                full = self.input_override[self.n_inputs]
            self.n_inputs += 1
            full = self.check_shape(full, line)
            t = self.graph.add_input(name, full)
            if last == "InputLayer":
                return _KerasInputLayer(t)
            return t
        if last == "Sequential":
            model = KerasModel("sequential", line, self.keras_name("sequential", kwargs.get("name")))
            items = args[0] if args else kwargs.get("layers")
            if items is not None:
                model.layers.extend(self.iterate(items, node))
            self.keras_models.append(model)
            return model
        if last in ("Model", "Functional"):
            inputs = kwargs.get("inputs", args[0] if args else None)
            outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
            if inputs is None or outputs is None:
                raise unsupported(line, "Model() without inputs and outputs (a subclass is read from its class)")
            model = KerasModel("functional", line, self.keras_name("functional", kwargs.get("name")))
            model.inputs = self.tensors(inputs, line, "inputs")
            model.outputs = self.tensors(outputs, line, "outputs")
            self.keras_models.append(model)
            return model
        if last in _KERAS_MERGE_CLASSES:
            return OpLayer(
                last, dict(kwargs, _args=args), line, self.keras_name(keras_auto_name(last), kwargs.get("name"))
            )
        if last in _KERAS_MERGE_FUNCTIONS and path.split(".")[-2] in ("layers", "merge", "merging", "keras"):
            kind = _KERAS_MERGE_FUNCTIONS[last]
            tensors = args[0] if args else kwargs.get("inputs")
            options = {k: v for k, v in kwargs.items() if k != "inputs"}
            if last == "concatenate" and len(args) > 1:
                options["axis"] = args[1]
            if last == "dot" and len(args) > 1:
                options["axes"] = args[1]
            layer = OpLayer(kind, options, line, self.keras_name(keras_auto_name(kind), kwargs.get("name")))
            return self.call_op_layer(layer, [tensors], {}, node)
        if last in ("merge", "Merge"):
            mode = kwargs.get("mode", "sum")
            if not isinstance(mode, str) or mode not in (*_KERAS_LEGACY_MODES, "dot"):
                raise unsupported(line, f"merge mode {mode!r} cannot be followed")
            kind = "Dot" if mode == "dot" else _KERAS_LEGACY_MODES[mode]
            options = {"axis": kwargs.get("concat_axis", -1), "axes": kwargs.get("dot_axes", -1)}
            layer = OpLayer(kind, options, line, self.keras_name(keras_auto_name(kind), kwargs.get("name")))
            tensors = args[0] if args else kwargs.get("inputs") or kwargs.get("layers")
            if last == "Merge":
                if any(isinstance(t, KerasModel) for t in self.iterate(tensors, node)):
                    raise unsupported(line, "Keras 1 Merge of models (branches of a Sequential) cannot be followed")
                return layer
            return self.call_op_layer(layer, [tensors], {}, node)
        if last in _KERAS_SHAPE_KEEPING:
            layer = OpLayer("keep:" + last, {}, line, self.keras_name(keras_auto_name(last), kwargs.get("name")))
            layer.input_shape = self.declared_input(kwargs, node)
            return layer
        if last == "Lambda":
            fn = args[0] if args else kwargs.get("function")
            if not isinstance(fn, (LambdaFn, UserFunction)):
                return Unknown("Lambda", line, "a Lambda layer whose function cannot be read")
            options = {"function": fn, "output_shape": kwargs.get("output_shape", args[1] if len(args) > 1 else None)}
            return OpLayer("Lambda", options, line, self.keras_name("lambda", kwargs.get("name")))
        if last == "TimeDistributed" and isinstance(args[0] if args else kwargs.get("layer"), KerasModel):
            inner = args[0] if args else kwargs.get("layer")
            return OpLayer(
                "TimeDistributedModel", {"model": inner}, line, self.keras_name("time_distributed", kwargs.get("name"))
            )
        try:
            spec = registry.lookup("keras", last)
        except ShapeError:
            spec = None
        if spec is not None and last[:1].isupper():
            params, input_shape = self.layer_params(spec, last, args, kwargs, node)
            name = self.keras_name(keras_auto_name(spec.name), kwargs.get("name"))
            layer = LayerObj(spec, params, line, name, input_shape)
            if "trainable" in kwargs:
                layer.trainable = bool(self.plain_value(kwargs["trainable"], "trainable", node))
            return layer
        if _has_tensor(args, kwargs):
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed on a tensor")
        if last[:1].isupper() and "layers" in path:
            return Unknown(last, line, f"the Keras layer {last} is not one the engine declares")
        return Unknown(_src(node)[:80], line)

    def declared_input(self, kwargs, node):
        """The input shape a Keras layer declares (input_shape=, batch_input_shape=, input_dim=), or None."""
        for key in ("input_shape", "batch_input_shape", "batch_shape", "input_dim"):
            if kwargs.get(key) is not None:
                v = self.plain_value(kwargs[key], key, node)
                if key == "input_dim":
                    return (None, v)
                return (None, *v) if key == "input_shape" else tuple(v)
        return None

    def keras_function(self, path, last, args, kwargs, node):
        """tf.nn.relu(x), keras.ops.concatenate([a, b], axis=1), tf.reduce_mean(x, axis=1): Keras ops on tensors."""
        line = node.lineno
        pv = self.plain_value
        module = path.rsplit(".", 2)[-2] if "." in path else ""
        if module not in ("nn", "ops", "activations", "math", "tf", "backend", "keras"):
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed on a tensor")
        name = last
        if name in _KERAS_ACTIVATION_FUNCTIONS:
            x = self.tensor_args(args[0], line, name)[0]
            spec = registry.lookup("keras", "Activation")
            act = _KERAS_ACTIVATION_FUNCTIONS[name]
            params = {"activation": act}
            if name == "softmax" and (len(args) > 1 or "axis" in kwargs):
                spec = registry.lookup("keras", "Softmax")
                params = {"axis": pv(kwargs.get("axis", args[1] if len(args) > 1 else -1), "axis", node)}
            outs = self.graph.call_layer(spec, params, [x], self.op_name(name), line)
            return outs[0]
        if name in (
            "square",
            "sqrt",
            "abs",
            "exp",
            "log",
            "negative",
            "sign",
            "cos",
            "sin",
            "stop_gradient",
            "cast",
            "clip",
            "clip_by_value",
            "l2_normalize",
            "normalize",
        ):
            return self.tensor_args(args[0], line, name)[0]  # element-wise: the shape is kept
        try:
            if name in ("add", "subtract", "multiply", "divide", "maximum", "minimum"):
                a, b = args[0], args[1] if len(args) > 1 else kwargs.get("y")
                ta = [t for t in (a, b) if isinstance(t, Tensor)]
                shape = torch_broadcast(*(t.shape for t in ta), name) if len(ta) == 2 else ta[0].shape
                return self.op(name, ta, shape, line)
            if name == "tensordot":
                a = self.tensor_args(args[0], line, name)[0]
                b = self.tensor_args(args[1] if len(args) > 1 else kwargs.get("x2"), line, name)[0]
                axes = pv(kwargs.get("axes", args[2] if len(args) > 2 else 2), "axes", node)
                if type(axes) is int:
                    ax_a = list(range(len(a.shape) - axes, len(a.shape)))
                    ax_b = list(range(axes))
                else:
                    ax_a, ax_b = ([x] if type(x) is int else list(x) for x in axes)
                    ax_a = [x % len(a.shape) for x in ax_a]
                    ax_b = [x % len(b.shape) for x in ax_b]
                if len(ax_a) != len(ax_b) or any(x < 0 for x in ax_a + ax_b):
                    raise op_error("invalid_param", f"tensordot: axes {axes!r} do not pair up")
                for i, j in zip(ax_a, ax_b, strict=True):
                    if a.shape[i] is not None and b.shape[j] is not None and a.shape[i] != b.shape[j]:
                        raise op_error(
                            "shape_mismatch",
                            f"tensordot: {_show(a.shape)} axis {i} and {_show(b.shape)} axis {j} differ",
                        )
                out = [d for k, d in enumerate(a.shape) if k not in ax_a] + [
                    d for k, d in enumerate(b.shape) if k not in ax_b
                ]
                return self.op(name, [a, b], tuple(out), line)
            if name in ("concatenate", "concat"):
                tensors = self.tensor_args(args[0], line, name)
                axis = pv(
                    kwargs.get("axis", args[1] if len(args) > 1 else (-1 if name == "concatenate" else None)),
                    "axis",
                    node,
                )
                return self.op("concatenate", tensors, concat([t.shape for t in tensors], axis, "pytorch"), line)
            if name in (
                "expand_dims",
                "squeeze",
                "transpose",
                "reshape",
                "reduce_mean",
                "reduce_sum",
                "reduce_max",
                "mean",
                "sum",
                "max",
                "matmul",
                "shape",
                "flatten",
            ):
                x = self.tensor_args(args[0], line, name)[0]
                if name == "shape":
                    return _Shape(x.shape)
                if name == "expand_dims":
                    return self.op(
                        name,
                        [x],
                        unsqueeze(x.shape, pv(kwargs.get("axis", args[1] if len(args) > 1 else None), "axis", node)),
                        line,
                    )
                if name == "squeeze":
                    return self.op(
                        name,
                        [x],
                        squeeze(x.shape, pv(kwargs.get("axis", args[1] if len(args) > 1 else None), "axis", node)),
                        line,
                    )
                if name == "transpose":
                    perm = kwargs.get("axes", kwargs.get("perm", args[1] if len(args) > 1 else None))
                    perm = list(reversed(range(len(x.shape)))) if perm is None else pv(perm, "axes", node)
                    return self.op(name, [x], permute(x.shape, perm), line)
                if name == "reshape":
                    target = pv(
                        kwargs.get("newshape", kwargs.get("shape", args[1] if len(args) > 1 else None)), "shape", node
                    )
                    return self.op(name, [x], reshape(x.shape, list(target), name), line)
                if name == "matmul":
                    y = self.tensor_args(args[1] if len(args) > 1 else kwargs.get("x2", kwargs.get("b")), line, name)[0]
                    return self.op(name, [x, y], matmul(x.shape, y.shape), line)
                if name == "flatten":
                    return self.op(name, [x], (x.shape[0], product(x.shape[1:])), line)
                axis = pv(kwargs.get("axis", args[1] if len(args) > 1 else None), "axis", node)
                keep = bool(pv(kwargs.get("keepdims", args[2] if len(args) > 2 else False), "keepdims", node))
                return self.op(name, [x], reduce(x.shape, axis, keep), line)
        except ShapeError as err:
            if err.code in ("unsupported_construct", "needs_value") or getattr(err, "details", None):
                raise
            raise node_error(err, len(self.graph.nodes), self.op_name(name), name, line, None) from None
        raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed on a tensor")

    def tensors(self, value, line, what):

        items = value if isinstance(value, (list, tuple)) else [value]
        out = []
        for t in items:
            if isinstance(t, dict):  # Keras flattens a dict in the order of its sorted keys
                out.extend(self.tensors([t[k] for k in sorted(t, key=str)], line, what))
                continue
            if isinstance(t, Unknown):
                raise t.error(line, f"the model's {what} `{t.expr}` cannot be followed")
            if not isinstance(t, Tensor):
                raise unsupported(line, f"the model's {what} are not tensors the reader follows")
            out.append(t)
        return out

    def check_shape(self, shape, line):
        try:
            return parse_input_shape(list(shape), "input_shape")
        except ShapeError as err:
            err2 = ShapeError(err.code, f"line {line}: {err.message}", "code")
            err2.line = line
            raise err2 from None

    def tensor_args(self, args, line, what):
        if isinstance(args, Unknown):
            raise args.error(line, f"{what} is called on `{args.expr}`, which cannot be followed")
        if isinstance(args, _KerasInputLayer):
            return [args.tensor]
        if isinstance(args, Tensor):
            return [args]
        if isinstance(args, (list, tuple)):
            return [t for a in args for t in self.tensor_args(a, line, what)]
        raise unsupported(line, f"{what} is called on something that is not a tensor")

    def call_layer(self, obj: LayerObj, args, kwargs, node):
        line = node.lineno
        if not args and "inputs" in kwargs:
            args = [kwargs.pop("inputs")]
        if not args:
            raise unsupported(line, f"{obj.name or obj.spec.name} is called without an input")
        spec = obj.spec
        params = dict(obj.params)
        if spec.framework == "keras":
            if spec.name == "MultiHeadAttention":
                query = self.tensor_args(args[0], line, obj.name)
                value = self.tensor_args(args[1] if len(args) > 1 else kwargs.get("value"), line, obj.name)
                key = kwargs.get("key", args[2] if len(args) > 2 else None)
                params["value_shape"] = list(value[0].shape)
                inputs = query + value
                if key is not None:
                    key = self.tensor_args(key, line, obj.name)
                    params["key_shape"] = list(key[0].shape)
                    inputs += key
                if kwargs.get("return_attention_scores"):
                    params["return_attention_scores"] = True
            else:
                inputs = self.tensor_args(args[0], line, obj.name)
                if len(inputs) != 1:
                    raise unsupported(line, f"{obj.name} ({spec.name}) takes one tensor, received {len(inputs)}")
            name = obj.name if obj.calls == 0 else f"{obj.name}[{obj.calls}]"
            state = kwargs.get("initial_state", args[1] if len(args) > 1 and spec.category == "recurrent" else None)
            extra = []
            if state is not None:
                extra = self.tensor_args(state, line, obj.name)
                self.check_keras_states(obj, params, extra, inputs[0], name, line)
            for key in ("mask", "constants"):  # tensors the call reads (edges of the graph)
                if kwargs.get(key) is not None:
                    extra += self.tensor_args(kwargs[key], line, obj.name)
            obj.calls += 1
            outs = self.graph.call_layer(spec, params, inputs + extra, name, line, owner=obj)
            return outs[0] if len(outs) == 1 else list(outs)
        # PyTorch
        name = obj.name if obj.calls == 0 else f"{obj.name}[{obj.calls}]"
        obj.calls += 1
        if spec.name == "MultiheadAttention":
            q = self.tensor_args(args[0], line, name)
            k = self.tensor_args(args[1] if len(args) > 1 else kwargs["key"], line, name)
            v = self.tensor_args(args[2] if len(args) > 2 else kwargs["value"], line, name)
            params["key_shape"] = list(k[0].shape)
            params["value_shape"] = list(v[0].shape)
            if "need_weights" in kwargs:
                params["need_weights"] = self.plain_value(kwargs["need_weights"], "need_weights", node)
            if "average_attn_weights" in kwargs:
                params["average_attn_weights"] = self.plain_value(
                    kwargs["average_attn_weights"], "average_attn_weights", node
                )
            outs = self.graph.call_layer(spec, params, q + k + v, name, line, owner=obj)
            return (outs[0], outs[1] if len(outs) > 1 else None)
        x = self.tensor_args(args[0], line, name)
        if len(x) != 1:
            raise unsupported(line, f"{name} ({spec.name}) takes one tensor, received {len(x)}")
        outs = self.graph.call_layer(spec, params, x, name, line, owner=obj)
        if spec.name in ("LSTM", "GRU", "RNN"):
            state = args[1] if len(args) > 1 else kwargs.get("hx")
            if state is not None:
                given = self.tensor_args(state, line, name)
                for g, expected in zip(given, outs[1:], strict=False):
                    if g.shape != expected.shape:
                        err = ShapeError(
                            "state_mismatch",
                            f"{spec.name} expects hidden state {_show(expected.shape)}, receives {_show(g.shape)}",
                        )
                        raise node_error(err, len(self.graph.nodes) - 1, name, spec.name, line, _show(x[0].shape))
            if spec.name == "LSTM":
                return (outs[0], (outs[1], outs[2]))
            return (outs[0], outs[1])
        return outs[0] if len(outs) == 1 else tuple(outs)

    def check_keras_states(self, obj, params, states, x, name, line):
        """initial_state: one (batch, units) tensor per state (h, and c for LSTM); Keras refuses others."""
        units = params.get("units")
        spec = obj.spec
        inner = params.get("layer") if spec.name == "Bidirectional" else None
        if isinstance(inner, dict):
            units = inner.get("params", {}).get("units")
        if type(units) is not int:
            return
        for st in states:
            if len(st.shape) != 2 or (st.shape[-1] is not None and st.shape[-1] != units):
                err = ShapeError(
                    "state_mismatch",
                    f"{spec.name} expects initial states of shape (batch, {units}), receives {_show(st.shape)}",
                )
                raise node_error(err, len(self.graph.nodes), name, spec.name, line, _show(x.shape))

    def call_lambda_layer(self, obj: OpLayer, value, inputs, name, line):
        """A Lambda layer: its function followed on the tensors (in a scratch graph), one node for the result."""
        saved, self.graph = self.graph, Graph(self.fw)
        self.graph.taken = set(saved.taken)
        try:
            result = self.call(obj.options["function"], [value], {}, _FakeNode(line))
        finally:
            self.graph = saved
        outs = _flatten_tensors(result, line)
        declared = obj.options.get("output_shape")
        if declared is not None:
            # Keras builds the graph from output_shape: it must say what the function gives.
            if isinstance(declared, (LambdaFn, UserFunction)):
                arg = [_Shape(t.shape) for t in inputs] if len(inputs) > 1 else _Shape(inputs[0].shape)
                declared = self.call(declared, [arg], {}, _FakeNode(line))
                declared = tuple(self.plain_value(declared, "output_shape", _FakeNode(line)))
            else:
                declared = (inputs[0].shape[0], *self.plain_value(declared, "output_shape", _FakeNode(line)))
            if len(outs) != 1 or tuple(declared) != tuple(outs[0].shape):
                err = ShapeError(
                    "shape_mismatch",
                    f"output_shape says {_show(declared)}, its function gives {[_show(t.shape) for t in outs]}",
                )
                raise node_error(err, len(self.graph.nodes), name, "Lambda", line, _show(inputs[0].shape))
        outputs = self.graph.add_op("Lambda", inputs, [t.shape for t in outs], line, name=name)

        return outputs[0] if len(outputs) == 1 else list(outputs)

    def call_time_distributed_model(self, obj: OpLayer, inputs, name, line):
        """TimeDistributed(a model): the model on each time step; its weights once."""
        model = obj.options["model"]
        if len(inputs) != 1 or len(inputs[0].shape) < 3:
            err = ShapeError("rank_mismatch", f"expects one input of rank 3 or more, received {len(inputs)} tensor(s)")
            raise node_error(err, len(self.graph.nodes), name, "TimeDistributed", line, _show(inputs[0].shape))
        x = inputs[0]
        saved, self.graph = self.graph, Graph(self.fw)
        try:
            step = self.graph.add_input("step", (x.shape[0], *x.shape[2:]))
            self.sub_model(model, [step], line)
            inner = self.graph.nodes[-1]
        finally:
            self.graph = saved
        steps = x.shape[1]
        macs = inner.macs * steps if type(inner.macs) is int and type(steps) is int else None
        shapes = [(s[0], steps, *s[1:]) for s in inner.output_shapes]
        outs = self.graph.add_model(
            "TimeDistributed", name, [x], shapes, inner.param_count, inner.trainable_params, macs, line, owner=model
        )
        self.graph.nodes[-1].inner = inner.inner
        return outs[0] if len(outs) == 1 else list(outs)

    def call_op_layer(self, obj: OpLayer, args, kwargs, node):
        line = node.lineno
        if not args:
            raise unsupported(line, f"{obj.name} is called without an input")
        inputs = self.tensor_args(args[0], line, obj.name)
        shapes = [t.shape for t in inputs]
        name = obj.name if obj.calls == 0 else f"{obj.name}[{obj.calls}]"
        obj.calls += 1
        kind = obj.kind
        if kind == "Lambda":
            return self.call_lambda_layer(obj, args[0], inputs, name, line)
        if kind == "TimeDistributedModel":
            return self.call_time_distributed_model(obj, inputs, name, line)
        try:
            if kind.startswith("keep:"):
                if len(inputs) != 1:
                    raise op_error("invalid_input", f"takes one tensor, received {len(inputs)}")
                out = shapes[0]
                kind = kind[5:]
            elif kind == "Concatenate":
                axis = obj.options.get("axis", obj.options.get("_args", [-1])[0] if obj.options.get("_args") else -1)
                axis = self.plain_value(axis, "axis", node)
                out = concat(shapes, axis, "keras")
            elif kind == "Dot":
                axes = obj.options.get(
                    "axes", obj.options.get("_args", [None])[0] if obj.options.get("_args") else None
                )
                axes = self.plain_value(axes, "axes", node)
                if axes is None:
                    raise op_error("invalid_param", "Dot needs axes")
                out = keras_dot(shapes, axes)
            else:
                out = keras_elementwise(shapes, kind)
        except ShapeError as err:
            raise node_error(err, len(self.graph.nodes), name, kind, line, [_show(s) for s in shapes]) from None
        return self.graph.add_op(kind, inputs, [out], line, name=name)[0]

    def call_keras_model(self, model: KerasModel, args, kwargs, node):
        line = node.lineno
        if not args and "inputs" in kwargs:
            args = [kwargs["inputs"]]
        if not args or isinstance(args[0], Unknown) and not _has_tensor(args, {}):
            if self.top_level and args and isinstance(args[0], Unknown):
                return args[0].derived(_src(node)[:80], line)
        inputs = self.tensor_args(args[0], line, model.name)
        if model.kind == "subclass":
            call = model.instance.cls.find("call")
            if not call:
                raise unsupported(line, f"{model.name} has no call()")
            if self.top_level and self.in_forward == 0 and model.input_shape is None:
                model.input_shape = inputs[0].shape  # model(keras.Input(...)): the input it is built for
            self.in_forward += 1
            try:
                return self.call_user(UserFunction(call[1], None, call[0]), [model, *args], kwargs, node)
            finally:
                self.in_forward -= 1
        return self.sub_model(model, inputs, line)

    def sub_model(self, model: KerasModel, inputs, line):
        """A model called as a layer: one node holding its weights, its outputs for the inputs given."""
        if model.kind == "sequential":
            declared = self.sequential_input_shape(model)
            given = inputs[0].shape
            if declared is not None and (
                len(declared) != len(given)
                or any(
                    a is not None and b is not None and a != b for a, b in zip(declared[1:], given[1:], strict=False)
                )
            ):
                err = ShapeError(
                    "shape_mismatch",
                    f"was built for inputs of shape {_show(declared)}, receives {_show(given)}",
                )
                raise node_error(err, len(self.graph.nodes), model.name, "Sequential", line, _show(given))
            g = Graph("keras")
            saved = self.graph
            self.graph = g
            try:
                x = g.add_input("input", inputs[0].shape)
                outs = [self.run_sequential(model, x)]
                nodes = g.nodes
            finally:
                self.graph = saved
            shapes = [t.shape for t in outs]
        else:
            if len(inputs) != len(model.inputs):
                raise unsupported(line, f"{model.name} takes {len(model.inputs)} inputs, received {len(inputs)}")
            for given, own in zip(inputs, model.inputs, strict=False):
                if len(given.shape) != len(own.shape) or any(
                    a is not None and b is not None and a != b
                    for a, b in zip(given.shape[1:], own.shape[1:], strict=False)
                ):
                    err = ShapeError(
                        "shape_mismatch",
                        f"expects an input of shape {_show(own.shape)}, receives {_show(given.shape)}",
                    )
                    raise node_error(err, len(self.graph.nodes), model.name, "Functional", line, _show(given.shape))
            nodes = self.graph.reachable(model.outputs)
            batch = inputs[0].shape[0]
            shapes = [(batch, *t.shape[1:]) for t in model.outputs]
        total = trainable = macs = 0
        seen = set()
        for n in nodes:
            if n.owner is not None and id(n.owner) in seen:
                continue
            seen.add(id(n.owner))
            total = None if total is None or n.param_count is None else total + n.param_count
            trainable = None if trainable is None or n.trainable_params is None else trainable + n.trainable_params
        for n in nodes:
            macs = None if macs is None or n.macs is None else macs + n.macs
        name = model.name if model.calls == 0 else f"{model.name}[{model.calls}]"
        model.calls += 1
        label = "Sequential" if model.kind == "sequential" else "Functional"
        outs = self.graph.add_model(label, name, inputs, shapes, total, trainable, macs, line, owner=model)
        self.graph.nodes[-1].inner = list(nodes)
        return outs[0] if len(outs) == 1 else list(outs)

    def run_sequential(self, model: KerasModel, x: Tensor) -> Tensor:
        for item in model.layers:
            if isinstance(item, _KerasInputLayer) or isinstance(item, Tensor):
                continue
            node = _FakeNode(getattr(item, "line", model.line))
            if isinstance(item, LayerObj):
                x = self.call_layer(item, [x], {}, node)
            elif isinstance(item, OpLayer):
                x = self.call_op_layer(item, [x], {}, node)
            elif isinstance(item, KerasModel):
                x = self.call_keras_model(item, [x], {}, node)
            elif isinstance(item, Unknown):
                raise item.error(item.line, f"`{item.expr}` in the Sequential cannot be followed")
            else:
                raise unsupported(model.line, "an item of the Sequential is not a layer")
            if isinstance(x, list):
                raise unsupported(node.lineno, "a layer in a Sequential returns several tensors")
        return x

    def sequential_input_shape(self, model: KerasModel):
        if model.input_shape is not None:
            return tuple(model.input_shape)
        for item in model.layers[:1]:
            if isinstance(item, _KerasInputLayer):
                return item.tensor.shape
            if isinstance(item, Tensor):
                return item.shape
            if isinstance(item, (LayerObj, OpLayer)) and item.input_shape is not None:
                return item.input_shape
            if isinstance(item, KerasModel) and item.kind == "sequential":
                return self.sequential_input_shape(item)
            if isinstance(item, KerasModel) and item.inputs:
                return item.inputs[0].shape
        return None

    # ---- PyTorch ----------------------------------------------------------------------------

    def call_torch(self, path, last, args, kwargs, node):
        line = node.lineno
        parts = path.split(".")
        if parts[:2] == ["torch", "nn"] and len(parts) == 3:
            if last == "Sequential":
                m = TorchModule("sequential", line=line)
                if len(args) == 1 and isinstance(args[0], dict):
                    for k, v in args[0].items():
                        self.register(m, str(k), v)
                else:
                    for k, v in enumerate(args):
                        self.register(m, str(k), v)
                self.check_modules(m, line)
                return m
            if last == "ModuleList":
                m = TorchModule("modulelist", line=line)
                for k, v in enumerate(self.iterate(args[0], node) if args else []):
                    self.register(m, str(k), v)
                self.check_modules(m, line)
                return m
            if last == "ModuleDict":
                m = TorchModule("moduledict", line=line)
                items = args[0] if args else {}
                for k, v in items.items() if isinstance(items, dict) else self.iterate(items, node):
                    self.register(m, str(k), v)
                return m
            if last == "Parameter":
                t = args[0] if args else kwargs.get("data")
                if not isinstance(t, Tensor):
                    raise unsupported(
                        line,
                        f"nn.Parameter of `{ast.unparse(node.args[0])[:60] if node.args else '?'}` cannot be followed",
                    )
                p = Tensor(t.ref, t.shape)
                p.is_param = True
                p.trainable = kwargs.get("requires_grad", True) is not False
                return p
            if last == "Module":
                return TorchModule("user", line=line)
            try:
                spec = registry.lookup("pytorch", last)
            except ShapeError:
                spec = None
            if spec is not None:
                params, _ = self.layer_params(spec, last, args, kwargs, node)
                return LayerObj(spec, params, line)
            raise unsupported(line, f"nn.{last} is not a PyTorch layer the engine declares")
        if parts[:3] == ["torch", "nn", "init"]:
            return None
        if parts[:3] == ["torch", "nn", "utils"] and last == "spectral_norm" and args:
            self.notes.append(f"line {line}: spectral_norm keeps the layer's parameter count (u, v are buffers)")
            return args[0]
        if parts[:3] == ["torch", "nn", "utils"]:
            if last in ("clip_grad_norm_", "clip_grad_value_"):
                return None
            if "rnn" in parts:
                raise unsupported(line, f"packed sequences (nn.utils.rnn.{last}) are not read")
            raise unsupported(line, f"nn.utils.{last} changes a layer's parameters; it is not read")
        if parts[:3] == ["torch", "nn", "functional"] or (len(parts) == 2 and parts[0] == "torch"):
            return self.torch_function(last, args, kwargs, node)
        if _has_tensor(args, kwargs):
            raise unsupported(line, f"`{_src(node)[:80]}` cannot be followed on a tensor")
        return Unknown(_src(node)[:80], line)

    def check_modules(self, m: TorchModule, line):
        for k, v in m.children.items():
            if isinstance(v, Unknown):
                raise v.error(v.line or line, f"`{v.expr}` in a module container cannot be followed")
            if not isinstance(v, (LayerObj, TorchModule)):
                raise unsupported(line, f"item {k} of the container is not a module")

    def call_module(self, m: TorchModule, args, kwargs, node):
        line = node.lineno
        if self.top_level and self.in_forward == 0:
            if _has_tensor(args, kwargs):
                self.example_inputs = [a.shape for a in args if isinstance(a, Tensor)]
            return Unknown(_src(node)[:80], line)
        m.calls += 1
        if m.kind == "sequential":
            if len(args) != 1:
                raise unsupported(line, "a Sequential takes one input")
            x = args[0]
            for child in m.children.values():
                x = self.call(child, [x], {}, _FakeNode(line))
            return x
        if m.kind in ("modulelist", "moduledict"):
            raise unsupported(line, "a ModuleList/ModuleDict is not callable")
        if m.cls is None:
            raise unsupported(line, "a module without a class cannot be called")
        found = m.cls.find("forward")
        if not found and _container_kind(m.cls) == "sequential":
            return self.container_forward(m, "sequential", args, kwargs, node)
        if not found:
            raise unsupported(line, f"{m.cls.name} has no forward()")
        self.in_forward += 1
        try:
            result = self.call_user(UserFunction(found[1], None, found[0]), [m, *args], kwargs, node)
        finally:
            self.in_forward -= 1
        if m.params and not m.children:
            self.leaf_module_macs(m, args, result, line)
        return result

    def leaf_module_macs(self, m: TorchModule, args, result, line):
        """A module of the user's with parameters and no child module is a leaf for torchinfo: its mult-adds
        count by its parameters' names, as torchinfo counts any leaf (engine/macs.py)."""
        outs = _flatten_tensors(result, line)
        out = outs[0].shape
        total = 0
        conv = "Conv" in m.cls.name
        for name, p in m.params:
            size = product(p.shape)
            if name in ("weight", "bias"):
                factor = product(out[:1] + out[2:]) if conv else (out[0] if out else 1)
            elif "weight" in name or "bias" in name:
                factor = product(out[:2])
            else:
                continue
            total += size * factor
        inputs = [a for a in args if isinstance(a, Tensor)]
        self.graph.add_op(
            m.cls.name, inputs, [t.shape for t in outs], line, name=self.graph.unique(m.path or m.cls.name)
        )
        self.graph.nodes[-1].macs = total
        self.graph.nodes[-1].kind = "module"

    def torch_function(self, name, args, kwargs, node):

        line = node.lineno
        if name in _CREATORS:
            if name == "randint":
                size = kwargs.get("size", args[-1] if args else None)
            elif name == "full":
                size = args[0] if args else kwargs.get("size")
            else:
                size = kwargs.get("size", args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args)
            size = self.plain_value(size, "size", node)
            if isinstance(size, int):
                size = [size]
            if not all(type(v) is int and v >= 0 for v in size):
                raise unsupported(line, f"`{_src(node)[:80]}`: sizes are not known integers")
            return Tensor(f"torch.{name}", tuple(size))
        if name == "arange":
            bounds = [self.plain_value(a, "arange", node) for a in args[:3]]
            if not bounds or not all(_is_number(b) for b in bounds):
                return Unknown(_src(node)[:80], line)
            start, end, step = (
                (0, bounds[0], 1) if len(bounds) == 1 else (*bounds[:2], bounds[2] if len(bounds) > 2 else 1)
            )
            if step == 0:
                raise unsupported(line, "torch.arange with step 0")
            count = max(0, -(-(end - start) // step)) if all(type(b) is int for b in bounds) else None
            if count is None:
                import math

                count = max(0, math.ceil((end - start) / step))
            return Tensor("torch.arange", (count,))
        if name in _LIKE:
            t = args[0]
            return Tensor(f"torch.{name}", t.shape) if isinstance(t, Tensor) else Unknown(name, line)
        if name in (
            "tensor",
            "from_numpy",
            "as_tensor",
            "arange",
            "linspace",
            "eye",
            "device",
            "manual_seed",
            "no_grad",
            "cuda",
            "float32",
            "long",
        ):
            if name == "device" or not _has_tensor(args, kwargs):
                return Unknown(_src(node)[:80], line)
        if not args or not isinstance(args[0], Tensor) and name not in ("cat", "concat", "stack", "hstack", "vstack"):
            if _has_tensor(args, kwargs):
                pass
            else:
                return Unknown(_src(node)[:80], line)
        return self.tensor_method(args[0], name, list(args[1:]), kwargs, node, functional=True)

    # ---- tensors ----------------------------------------------------------------------------

    def tensor_attr(self, t: Tensor, attr, node):
        if attr == "shape":
            return _Shape(t.shape)
        if self.fw == "keras":  # a Keras tensor's methods are not PyTorch's: only its shape is read
            raise unsupported(getattr(node, "lineno", self.line), f"`{_src(node)[:80]}` on a Keras tensor")

        if attr == "ndim":
            return len(t.shape)
        if attr == "T":
            return self.op("t", [t], tuple(reversed(t.shape)), node.lineno)
        if attr in ("is_cuda", "is_xpu", "is_mps", "is_sparse", "is_quantized"):
            return False  # the trace is of a CPU run; these never change a shape
        if attr in ("device", "dtype", "data", "requires_grad", "grad"):
            return t if attr == "data" else Unknown(attr, node.lineno)
        return Bound(t, self.tensor_method_bound, attr)

    def tensor_method_bound(self, t, name, args, kwargs, node):
        return self.tensor_method(t, name, args, kwargs, node)

    def op(self, name, inputs, shape, line, params=None):
        return self.graph.add_op(name, inputs, [shape], line, params=params, name=self.op_name(name))[0]

    def op_name(self, op: str) -> str:
        """A tensor operation's node name: Keras' counter for Keras (ops share it with layers), else unique."""
        return self.keras_name(op) if self.fw == "keras" else self.graph.unique(op)

    def spec_call(self, spec_name, x: Tensor, params, node, op_name):
        spec = registry.lookup(self.fw, spec_name)
        name = self.op_name(op_name)
        outs = self.graph.call_layer(spec, params, [x], name, node.lineno)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def dims_arg(self, args, kwargs, key, node):
        """Sizes given as *args or one tuple (view(a, b), view((a, b)), view(size))."""
        sizes = kwargs.get(key, args[0] if len(args) == 1 else list(args))
        if isinstance(sizes, _Shape):
            sizes = list(sizes)
        sizes = self.plain_value(sizes, key, node)
        if isinstance(sizes, int):
            sizes = [sizes]
        return list(sizes)

    def tensor_method(self, t: Tensor, name, args, kwargs, node, functional=False):
        line = node.lineno
        try:
            return self._tensor_method(t, name, args, kwargs, node, functional)
        except ShapeError as err:
            if err.code in ("unsupported_construct", "needs_value") or getattr(err, "details", None):
                raise
            # torch.cat / torch.stack get a list of tensors: the first one's shape is the input shown
            first = t[0] if isinstance(t, (list, tuple)) and t else t
            shown = _show(first.shape) if hasattr(first, "shape") else None
            raise node_error(err, len(self.graph.nodes), self.graph.unique(name), name, line, shown) from None

    def _tensor_method(self, t, name, args, kwargs, node, functional):
        line = node.lineno
        pv = self.plain_value
        if name in ("cat", "concat", "stack", "hstack", "vstack"):
            tensors = self.tensor_args(t, line, name)
            dim = pv(kwargs.get("dim", kwargs.get("axis", args[0] if args else 0)), "dim", node)
            shapes = [x.shape for x in tensors]
            if name == "stack":
                return self.op("stack", tensors, stack(shapes, dim), line, {"dim": dim})
            if name == "hstack":
                dim = 0 if len(shapes[0]) == 1 else 1
            if name == "vstack":
                dim = 0
            return self.op("cat", tensors, concat(shapes, dim, "pytorch"), line, {"dim": dim})
        if name in ("size",):
            if args or "dim" in kwargs:
                d = pv(args[0] if args else kwargs["dim"], "dim", node)
                return t.shape[_axis(d, len(t.shape), line)]
            return _Shape(t.shape)
        if name == "dim" or name == "ndimension":
            return len(t.shape)
        if name == "numel":
            return product(t.shape)
        if name in ("view", "reshape"):
            target = self.dims_arg(args, kwargs, "shape" if name == "reshape" else "size", node)
            return self.op(name, [t], reshape(t.shape, target, name), line, {"shape": target})
        if name in ("view_as", "reshape_as", "expand_as"):
            other = args[0]
            if name == "expand_as":
                return self.op(name, [t, other], torch_broadcast(t.shape, other.shape, name), line)
            return self.op(name, [t, other], reshape(t.shape, list(other.shape), name), line)
        if name == "flatten":
            start = pv(kwargs.get("start_dim", args[0] if args else 0), "start_dim", node)
            end = pv(kwargs.get("end_dim", args[1] if len(args) > 1 else -1), "end_dim", node)
            if not t.shape:
                return self.op("flatten", [t], (1,), line)
            return self.spec_call("Flatten", t, {"start_dim": start, "end_dim": end}, node, "flatten")
        if name == "unflatten":
            dim = pv(args[0] if args else kwargs["dim"], "dim", node)
            sizes = pv(args[1] if len(args) > 1 else kwargs["sizes"], "sizes", node)
            return self.spec_call("Unflatten", t, {"dim": dim, "unflattened_size": sizes}, node, "unflatten")
        if name == "permute":
            dims = self.dims_arg(args, kwargs, "dims", node)
            return self.op("permute", [t], permute(t.shape, dims), line, {"dims": dims})
        if name in ("transpose", "swapaxes", "swapdims"):
            a = pv(args[0] if args else kwargs.get("dim0"), "dim0", node)
            b = pv(args[1] if len(args) > 1 else kwargs.get("dim1"), "dim1", node)
            return self.op("transpose", [t], transpose(t.shape, a, b), line, {"dim0": a, "dim1": b})
        if name == "t":
            if len(t.shape) > 2:
                raise op_error(
                    "invalid_param", f"t() expects a tensor with <= 2 dimensions, but self is {len(t.shape)}D"
                )
            return self.op("t", [t], tuple(reversed(t.shape)), line)
        if name in ("unsqueeze", "unsqueeze_"):
            d = pv(args[0] if args else kwargs["dim"], "dim", node)
            return self.op("unsqueeze", [t], unsqueeze(t.shape, d), line, {"dim": d})
        if name in ("squeeze", "squeeze_"):
            d = pv(args[0] if args else kwargs.get("dim"), "dim", node)
            return self.op("squeeze", [t], squeeze(t.shape, d), line, {"dim": d})
        if name in (
            "mean",
            "sum",
            "amax",
            "amin",
            "prod",
            "std",
            "var",
            "logsumexp",
            "norm",
            "max",
            "min",
            "argmax",
            "argmin",
            "all",
            "any",
        ):
            dim = kwargs.get("dim", args[0] if args and not isinstance(args[0], Tensor) else None)
            if name in ("max", "min") and args and isinstance(args[0], Tensor):
                return self.op(name, [t, args[0]], torch_broadcast(t.shape, args[0].shape, name), line)
            if name == "norm" and args:
                dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
            dim = pv(dim, "dim", node)
            keep = pv(kwargs.get("keepdim", args[1] if len(args) > 1 and name != "norm" else False), "keepdim", node)
            out = self.op(name, [t], reduce(t.shape, dim, bool(keep)), line, {"dim": dim, "keepdim": bool(keep)})
            if name in ("max", "min") and dim is not None:
                return (out, out)
            return out
        if name in (
            "add",
            "sub",
            "mul",
            "div",
            "matmul",
            "bmm",
            "mm",
            "multiply",
            "subtract",
            "true_divide",
            "pow",
            "where",
            "maximum",
            "minimum",
        ):
            other = args[0] if args else kwargs.get("other")
            if name in ("matmul", "bmm", "mm"):
                return self.op("matmul", [t, other], matmul(t.shape, other.shape), line)
            if name == "where":
                shapes = [x.shape for x in (t, *args) if isinstance(x, Tensor)]
                out = shapes[0]
                for s in shapes[1:]:
                    out = torch_broadcast(out, s, "where")
                return self.op("where", [x for x in (t, *args) if isinstance(x, Tensor)], out, line)
            op = {
                "add": ast.Add(),
                "sub": ast.Sub(),
                "subtract": ast.Sub(),
                "mul": ast.Mult(),
                "multiply": ast.Mult(),
            }.get(name, ast.Div())
            return self.tensor_binop(op, t, other, line)
        if name in ("chunk", "split", "tensor_split"):
            dim = pv(kwargs.get("dim", args[1] if len(args) > 1 else 0), "dim", node)
            if name == "chunk":
                chunks = pv(args[0] if args else kwargs["chunks"], "chunks", node)
                shapes = split_sizes(t.shape, None, dim, chunks)
            else:
                sizes = pv(args[0] if args else kwargs.get("split_size_or_sections"), "split_size", node)
                shapes = split_sizes(t.shape, sizes, dim)
            return tuple(self.graph.add_op(name, [t], shapes, line, params={"dim": dim}))
        if name == "unbind":
            dim = pv(kwargs.get("dim", args[0] if args else 0), "dim", node)
            d = _axis(dim, len(t.shape), line)
            n = t.shape[d]
            if type(n) is not int:
                raise unsupported(line, "unbinding a dimension of unknown size")
            rest = tuple(v for k, v in enumerate(t.shape) if k != d)
            return tuple(self.graph.add_op("unbind", [t], [rest] * n, line))
        if name in ("expand", "repeat"):
            sizes = self.dims_arg(args, kwargs, "size", node)
            if name == "repeat":
                if len(sizes) < len(t.shape):
                    raise op_error(
                        "invalid_param",
                        "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
                    )
                base = (1,) * (len(sizes) - len(t.shape)) + t.shape
                out = tuple(None if b is None else b * s for b, s in zip(base, sizes, strict=False))
            else:
                base = (None,) * (len(sizes) - len(t.shape)) + t.shape
                out = []
                for b, s in zip(base, sizes, strict=False):
                    if s == -1:
                        out.append(b)
                    elif b in (1, None) or b == s:
                        out.append(s)
                    else:
                        raise op_error(
                            "invalid_param",
                            f"The expanded size of the tensor ({s}) must match the existing size ({b}) at non-singleton dimension",
                        )
                out = tuple(out)
            return self.op(name, [t], out, line, {"sizes": sizes})
        if name in _TORCH_ACTIVATIONS and _TORCH_ACTIVATIONS[name]:
            return self.spec_call(_TORCH_ACTIVATIONS[name], t, {}, node, name)
        if name in _TORCH_DROPOUTS:
            return self.spec_call(_TORCH_DROPOUTS[name], t, {}, node, name)
        if name in ("softmax", "log_softmax", "softmin"):
            dim = kwargs.get("dim", args[0] if args else None)
            if dim is None:
                dim = -1  # PyTorch picks a dim itself (with a warning); the shape is the same whichever it picks

            spec = {"softmax": "Softmax", "log_softmax": "LogSoftmax", "softmin": "Softmin"}[name]
            return self.spec_call(spec, t, {"dim": pv(dim, "dim", node)}, node, name)
        if name in _TORCH_POOLS:
            spec = registry.lookup("pytorch", _TORCH_POOLS[name])
            params, _ = self.layer_params(spec, _TORCH_POOLS[name], args, kwargs, node)
            out = self.spec_call(spec.name, t, params, node, name)
            if params.get("return_indices"):
                return out
            return out[0] if isinstance(out, tuple) else out
        if name in ("interpolate", "upsample"):
            params = {}
            order = ("size", "scale_factor", "mode", "align_corners")
            for k, v in zip(order, args, strict=False):
                params[k] = pv(v, k, node)
            for k in order:
                if k in kwargs:
                    params[k] = pv(kwargs[k], k, node)
            return self.spec_call("Upsample", t, params, node, name)
        if name == "pad":
            pads = pv(args[0] if args else kwargs["pad"], "pad", node)
            mode = pv(kwargs.get("mode", args[1] if len(args) > 1 else "constant"), "mode", node)
            family = {"constant": "ConstantPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad"}
            family["circular"] = "CircularPad"
            pads = [pads] if isinstance(pads, int) else list(pads)
            if mode not in family:
                raise unsupported(line, f"F.pad with mode={mode!r} is not read")
            if len(pads) in (2, 4, 6):  # the padding layer of that many axes: its declaration's rule
                params = {"padding": pads}
                if mode == "constant":
                    params["value"] = 0.0
                return self.spec_call(f"{family[mode]}{len(pads) // 2}d", t, params, node, "pad")
            if mode != "constant":
                raise unsupported(line, f"F.pad with mode={mode!r} over {len(pads) // 2} axes is not read")
            return self.op("pad", [t], pad(t.shape, pads), line, {"pad": pads})
        if name in _TORCH_POINTWISE or name in ("relu_", "abs", "sigmoid_", "clamp"):
            return t
        if name == "layer_norm":
            normalized = pv(args[0] if args else kwargs.get("normalized_shape"), "normalized_shape", node)
            normalized = [normalized] if isinstance(normalized, int) else list(normalized)
            if list(t.shape[len(t.shape) - len(normalized) :]) != normalized:
                raise op_error(
                    "shape_mismatch",
                    f"layer_norm: normalized_shape {normalized} must be the last dims of the input {_show(t.shape)}",
                )
            return self.op("layer_norm", [t], t.shape, line, {"normalized_shape": normalized})
        if name == "scaled_dot_product_attention":
            k = args[0] if args else kwargs.get("key")
            v = args[1] if len(args) > 1 else kwargs.get("value")
            if not (isinstance(k, Tensor) and isinstance(v, Tensor)):
                raise unsupported(line, "scaled_dot_product_attention without key and value tensors")
            if t.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
                raise op_error(
                    "shape_mismatch",
                    f"scaled_dot_product_attention: query {_show(t.shape)}, key {_show(k.shape)} and value "
                    f"{_show(v.shape)} do not fit (query and key share the last dim, key and value the sequence)",
                )
            batch = torch_broadcast(torch_broadcast(t.shape[:-2], k.shape[:-2], name), v.shape[:-2], name)
            return self.op("scaled_dot_product_attention", [t, k, v], (*batch, t.shape[-2], v.shape[-1]), line)
        if name == "prelu" or name in ("linear", "conv2d", "conv1d", "embedding", "batch_norm", "einsum"):
            raise unsupported(line, f"`{_src(node)[:80]}`: functional {name} with explicit weights is not read")
        raise unsupported(line, f"`{_src(node)[:80]}`: the tensor operation {name} is not read")

    def tensor_binop(self, op, left, right, line):
        if isinstance(op, ast.MatMult):
            if not (isinstance(left, Tensor) and isinstance(right, Tensor)):
                raise unsupported(line, "@ between a tensor and something else")
            try:
                return self.op("matmul", [left, right], matmul(left.shape, right.shape), line)
            except ShapeError as err:
                raise node_error(
                    err, len(self.graph.nodes), self.graph.unique("matmul"), "matmul", line, _show(left.shape)
                ) from None
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            u = left if isinstance(left, Unknown) else right
            raise u.error(line, f"`{u.expr}` is combined with a tensor and cannot be followed")
        if not (isinstance(left, Tensor) and isinstance(right, Tensor)):
            other = right if isinstance(left, Tensor) else left
            if _is_number(other):
                return left if isinstance(left, Tensor) else right
            raise unsupported(line, "a tensor combined with something the reader does not follow")
        name = _BIN_OPS.get(type(op))
        if name is None:
            raise unsupported(line, f"the operator {type(op).__name__} between tensors is not read")
        try:
            shape = torch_broadcast(left.shape, right.shape, name)
        except ShapeError as err:
            raise node_error(
                err, len(self.graph.nodes), self.graph.unique(name), name, line, _show(left.shape)
            ) from None
        return self.op(name, [left, right], shape, line)

    def tensor_index(self, t: Tensor, key, line):
        items = list(key) if isinstance(key, tuple) else [key]
        lists = [it for it in items if isinstance(it, list)]
        for it in items:
            if isinstance(it, (Tensor, Unknown)) or (isinstance(it, list) and (len(lists) > 1 or not _plain(it))):
                raise unsupported(line, "indexing a tensor with a tensor or several lists is not read")
        try:
            shape = index(t.shape, items)
        except ShapeError as err:
            raise node_error(
                err, len(self.graph.nodes), self.graph.unique("getitem"), "getitem", line, _show(t.shape)
            ) from None
        return self.op("getitem", [t], shape, line)


class _Shape(tuple):
    """x.shape / x.size(): a tuple of sizes."""


class _Super:
    pass


_NOOP = object()


class _KerasInputLayer:
    def __init__(self, tensor: Tensor):
        self.tensor = tensor


class _FakeNode:
    def __init__(self, lineno):
        self.lineno = lineno


def _super(*args):
    return _Super()


_BUILTIN_FUNCS = (
    type,
    len,
    range,
    int,
    float,
    round,
    abs,
    bool,
    str,
    min,
    max,
    sum,
    list,
    tuple,
    dict,
    enumerate,
    zip,
    reversed,
    sorted,
    isinstance,
    print,
    _super,
    getattr,
    setattr,
    hasattr,
)
_BUILTINS = {f.__name__ if f is not _super else "super": f for f in _BUILTIN_FUNCS}
_BUILTINS.update({"True": True, "False": False, "None": None})


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, bool)


def _has_tensor(args, kwargs) -> bool:
    def walk(v, depth=0):
        if isinstance(v, Tensor):
            return True
        if depth < 3 and isinstance(v, (list, tuple)):
            return any(walk(x, depth + 1) for x in v)
        return False

    return any(walk(a) for a in args) or any(walk(v) for v in kwargs.values())


def _axis(d, rank, line):
    if type(d) is not int or not -rank <= d < rank:
        raise unsupported(line, f"dimension {d!r} is out of range for a rank-{rank} tensor")
    return d % rank


def _show(shape):
    from engine.api import show_shape

    return show_shape(shape)


def _canonical(module: str) -> str:
    """tensorflow.keras / tf.keras / tensorflow.python.keras -> keras; keras.layers.core -> keras.layers."""
    for prefix in ("tensorflow.python.keras", "tensorflow.keras", "tf.keras", "tf_keras"):
        if module == prefix or module.startswith(prefix + "."):
            module = "keras" + module[len(prefix) :]
            break
    if module == "tensorflow":
        return "tf"
    for sub in (
        ".core",
        ".convolutional",
        ".recurrent",
        ".pooling",
        ".normalization",
        ".merge",
        ".embeddings",
        ".advanced_activations",
        ".wrappers",
        ".merging",
    ):
        if module.startswith("keras.layers" + sub):
            return "keras.layers"
    if module.startswith("keras.engine") or module.startswith("keras.src"):
        return "keras"
    return module


def _is_main_guard(stmt: ast.If) -> bool:
    return "__main__" in ast.unparse(stmt.test)


def _targets(stmt):
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        return [stmt.target]
    if isinstance(stmt, ast.For):
        return [stmt.target]
    return []


def _names(target):
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _names(e)]
    return []


def _mro(cls: UserClass):
    out = [cls]
    for b in cls.bases:
        if isinstance(b, UserClass):
            out.extend(_mro(b))
    return out


# ---- the driver -----------------------------------------------------------------------------------


class ModelGraph:
    """A read model: its framework, what was chosen as the model, and its trace for given input shapes."""

    def __init__(self, reader: Reader, model, framework: str, code: str, values):
        self.reader = reader
        self.model = model
        self.framework = framework
        self.code = code
        self.values = values
        self.notes: list = []

    @property
    def name(self) -> str:
        m = self.model
        if isinstance(m, TorchModule):
            return m.cls.name if m.cls else "Sequential"
        return m.name

    def declared_input_shapes(self) -> list | None:
        """The input shapes the code itself gives (Keras Input/input_shape, a PyTorch example call)."""
        r, m = self.reader, self.model
        if isinstance(m, KerasModel):
            if m.kind == "functional":
                return [t.shape for t in m.inputs]
            if m.kind == "sequential":
                shape = r.sequential_input_shape(m)
                return None if shape is None else [shape]
            return [tuple(m.input_shape)] if m.input_shape else r.example_inputs
        return r.example_inputs

    def trace(self, input_shapes: list | None = None) -> dict:
        """Every node's shapes, parameters and MACs for these input shapes (batch included)."""
        try:
            return self._trace(input_shapes)
        except RecursionError:
            raise ShapeError("too_complex", "the code is nested too deeply to read", "code") from None
        except (_Return, _Break, _Continue):
            raise ShapeError(
                "unsupported_construct", "return/break/continue outside a function or loop", "code"
            ) from None
        except _READER_SLIPS as err:
            raise _with_partial(_slip(self.reader, err), self.reader) from None

    def _trace(self, input_shapes):
        m = self.model

        if isinstance(m, KerasModel) and input_shapes is not None:
            declared = self.declared_input_shapes()
            if declared is not None and m.kind in ("functional", "sequential"):
                if len(declared) != len(input_shapes):
                    raise ShapeError(
                        "invalid_input_shape",
                        f"the model takes {len(declared)} input(s), received {len(input_shapes)} shape(s)",
                        "input_shapes",
                    )
                input_shapes = [
                    _keras_adjust_rank(g, d, k) for k, (g, d) in enumerate(zip(input_shapes, declared, strict=False))
                ]
        if isinstance(m, KerasModel) and m.kind == "functional":
            if input_shapes is not None:
                declared = [t.shape for t in m.inputs]
                if [tuple(s) for s in input_shapes] != [tuple(s) for s in declared]:
                    reread = _read(self.code, "keras", self.values, override=[tuple(s) for s in input_shapes])
                    return reread.trace(None)
            return self._keras_functional()
        if isinstance(m, KerasModel) and m.kind == "sequential":
            for item in m.layers:
                if isinstance(item, Unknown):
                    raise item.error(item.line, f"`{item.expr}` in the Sequential cannot be followed")
        shapes = input_shapes if input_shapes is not None else self.declared_input_shapes()
        if shapes is None:
            if isinstance(m, KerasModel):
                raise ShapeError(
                    "needs_input_shape",
                    f"line {m.line}: the model {self.name} does not say its input shape: give input_shape "
                    "(batch included, null for Keras' batch)",
                    "input_shape",
                    line=m.line,
                )
            raise ShapeError(
                "needs_input_shape",
                f"line {m.line}: the PyTorch model {self.name} needs an input shape: give input_shape (batch "
                "included), or input_shapes for a forward with several inputs",
                "input_shape",
                line=m.line,
            )
        if isinstance(m, KerasModel):
            return self._keras_run(shapes)
        return self._torch_run(shapes)

    def _finish(self, graph: Graph, outputs, inputs, nodes=None, extra=(0, 0)) -> dict:
        answer = graph.answer(outputs, nodes=nodes, inputs=inputs, extra_params=extra[0], extra_trainable=extra[1])
        answer["notes"] = list(dict.fromkeys([*self.notes, *self.reader.notes, *graph.notes]))
        if isinstance(self.model, KerasModel) and getattr(self.model, "trainable", True) is False:
            # model.trainable = False (Keras): every weight of the model frozen
            for layer in answer["layers"]:
                layer["trainable_params"] = 0
            answer["trainable_params"] = 0
            answer["non_trainable_params"] = answer["total_params"]
        answer["model"] = self.name
        return answer

    def _keras_functional(self) -> dict:
        m, r = self.model, self.reader
        nodes = r.graph.reachable(m.outputs)
        given = {t.ref for t in m.inputs}
        needed = {ref for n in nodes for ref in n.inputs} | {t.ref for t in m.outputs}
        missing = [t.ref for t in r.graph.inputs if t.ref in needed and t.ref not in given]
        if missing:
            err = ShapeError(
                "graph_disconnected",
                f"line {m.line}: the model's outputs depend on the input {missing[0]}, which is not among its inputs "
                f"({', '.join(sorted(given)) or 'none'}): Keras refuses this graph",
                "code",
                line=m.line,
            )
            raise err
        return self._finish(r.graph, m.outputs, m.inputs, nodes)

    def _keras_run(self, shapes) -> dict:
        r, m = self.reader, self.model
        _reset_calls(r)
        r.graph = Graph("keras")
        r.top_level = False
        inputs = []
        for k, s in enumerate(shapes):
            shape = _input(s, k)
            inputs.append(r.graph.add_input("input_layer" if k == 0 else f"input_layer_{k}", shape))
        if m.kind == "sequential":
            if len(inputs) != 1:
                raise ShapeError("invalid_input_shape", "a Sequential model takes one input", "input_shapes")
            out = r.run_sequential(m, inputs[0])
            outputs = [out]
        else:
            node = _FakeNode(m.line)
            result = r.call_keras_model(m, [inputs[0] if len(inputs) == 1 else inputs], {}, node)
            outputs = _flatten_tensors(result, m.line)
        return self._finish(r.graph, outputs, inputs)

    def _torch_run(self, shapes) -> dict:
        r, m = self.reader, self.model
        _reset_calls(r)
        r.graph = Graph("pytorch")
        r.graph.reserved = {mod.name for mod in _walk(m) if isinstance(mod, LayerObj)}
        r.top_level = False
        inputs = []
        names = _forward_arg_names(m)
        for k, s in enumerate(shapes):
            shape = _input(s, k)
            if any(v is None for v in shape):
                raise ShapeError(
                    "invalid_input_shape",
                    f"a PyTorch input shape needs every size, batch included, received {list(s)}",
                    "input_shape",
                )
            inputs.append(r.graph.add_input(names[k] if k < len(names) else f"input_{k}", shape))
        r.in_forward += 1
        try:
            node = _FakeNode(m.line or 1)
            if m.kind == "sequential":
                x = inputs[0]
                for child in m.children.values():
                    x = r.call(child, [x], {}, _FakeNode(getattr(child, "line", None) or node.lineno))
                result = x
            else:
                result = r.call_module(m, list(inputs), {}, node)
        finally:
            r.in_forward -= 1
        outputs = _flatten_tensors(result, m.line)
        registered = {id(mod) for mod in _walk(m)}
        for node in r.graph.nodes:
            if node.owner is not None and id(node.owner) not in registered:
                # A layer kept in a plain list or dict is not a submodule: PyTorch counts neither its
                # parameters nor (torchinfo) its mult-adds.
                node.param_count = node.trainable_params = node.macs = 0
                self.notes.append(
                    f"{node.name} ({node.layer}) is not registered as a submodule (a plain list or dict?): "
                    "model.parameters() and torchinfo do not count it"
                )
        total, trainable = self._torch_params(m, r.graph)
        for node in r.graph.nodes:
            owner = node.owner
            if isinstance(owner, LayerObj) and getattr(owner, "frozen", None) and owner.trainable is not False:
                if type(node.trainable_params) is int:
                    node.trainable_params -= _frozen_size(owner)
        shared = _tied_weights(m)
        total -= shared[0]
        trainable -= shared[1]

        answer = self._finish(r.graph, outputs, inputs)
        answer["total_params"] = total
        answer["trainable_params"] = trainable
        answer["non_trainable_params"] = total - trainable
        answer["param_bytes"] = 4 * total
        return answer

    def _torch_params(self, root, graph: Graph):
        """model.parameters(): every registered module once, called or not, and nn.Parameter attributes."""
        counted = {}
        for node in graph.nodes:
            if node.owner is not None and id(node.owner) not in counted:
                counted[id(node.owner)] = (node.param_count, node.trainable_params)
        total = trainable = 0
        seen = set()
        for mod in _walk(root):
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            if isinstance(mod, LayerObj):
                if id(mod) in counted:
                    c, t = counted[id(mod)]
                    if getattr(mod, "trainable", True) is False:
                        t = 0
                    elif getattr(mod, "frozen", None):
                        t -= _frozen_size(mod)
                else:
                    c = t = _static_params(mod)
                    if getattr(mod, "trainable", True) is False:
                        t = 0
                    elif c is not None and getattr(mod, "frozen", None):
                        t -= _frozen_size(mod)
                    if c is None:
                        raise unsupported(
                            mod.line,
                            f"{mod.name} ({mod.spec.name}) is never called in forward and its parameters cannot be "
                            "counted without an input",
                        )
                    if c:
                        self.notes.append(
                            f"{mod.name} ({mod.spec.name}) is never called in forward; its {c} parameters are counted"
                        )
                total += c
                trainable += t
            elif isinstance(mod, TorchModule):
                for _, p in mod.params:
                    n = product(p.shape)
                    total += n
                    if getattr(p, "trainable", True) and getattr(mod, "trainable", True) is not False:
                        trainable += n
        return total, trainable


def _walk(root):
    out = [root]
    if isinstance(root, TorchModule):
        for child in root.children.values():
            out.extend(_walk(child))
    return out


def _assign_paths(root: TorchModule):
    """Module names as PyTorch's named_modules gives them (the first registration of a module wins)."""
    seen = set()

    def visit(mod, prefix):
        for name, child in mod.children.items():
            if id(child) in seen:
                continue
            seen.add(id(child))
            path = f"{prefix}.{name}" if prefix else str(name)
            if isinstance(child, LayerObj):
                child.name = path
            elif isinstance(child, TorchModule):
                child.path = path
                visit(child, path)

    visit(root, "")


def _static_params(obj: LayerObj):
    """Parameters of a layer never called: its rule run on inputs the constructor implies, else None."""
    from engine.api import _apply

    p = obj.params
    feature = None
    for key in (
        "in_channels",
        "num_features",
        "in_features",
        "input_size",
        "embed_dim",
        "num_parameters",
        "num_channels",
    ):
        if type(p.get(key)) is int:
            feature = p[key]
            break
    candidates = []
    ranks = obj.spec.input_ranks or (2, 3, 4, 5)
    for rank in sorted(ranks, reverse=True):
        if feature is not None:
            candidates.append((2, feature, *([64] * (rank - 2))))
            candidates.append((2, *([8] * (rank - 2)), feature))
        else:
            candidates.append((2, *([8] * (rank - 1))))
    norm = p.get("normalized_shape")
    if norm is not None:
        norm = [norm] if isinstance(norm, int) else list(norm)
        candidates.insert(0, (2, *norm))
    for shape in candidates:
        try:
            _, outcome, count, trainable = _apply(obj.spec, p, shape)
        except ShapeError:
            continue
        if type(count) is int:
            obj.static_outcome = outcome
            return count
    return None


def _static_outcome(obj: LayerObj):
    if getattr(obj, "static_outcome", None) is None:
        _static_params(obj)
    return getattr(obj, "static_outcome", None)


def _reset_calls(reader: Reader):
    """Call counters back to zero before a trace (names of later calls carry [n])."""
    seen = set()

    def visit(v, depth=0):
        if id(v) in seen or depth > 50:
            return
        seen.add(id(v))
        if isinstance(v, (LayerObj, OpLayer, KerasModel, TorchModule)):
            v.calls = 0
        if isinstance(v, TorchModule):
            for c in v.children.values():
                visit(c, depth + 1)
            for a in v.attrs.values():
                visit(a, depth + 1)
        if isinstance(v, KerasModel):
            for c in v.layers:
                visit(c, depth + 1)
            if v.instance is not None:
                visit(v.instance, depth + 1)
        if isinstance(v, (list, tuple)):
            for c in v:
                visit(c, depth + 1)

    for v in reader.globals.values():
        visit(v)
    for m in reader.keras_models:
        visit(m)


def _input(shape, k):
    fld = "input_shape" if k == 0 else f"input_shapes[{k}]"
    return parse_input_shape(list(shape) if isinstance(shape, (list, tuple)) else shape, fld)


def _forward_arg_names(m):
    if isinstance(m, TorchModule) and m.cls is not None:
        found = m.cls.find("forward")
        if found:
            return [a.arg for a in found[1].args.args[1:]]
    return ["input"]


def _flatten_tensors(value, line) -> list:
    out = []

    def walk(v, depth=0):
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)) and depth < 4:
            for x in v:
                walk(x, depth + 1)
        elif isinstance(v, dict) and depth < 4:
            for x in v.values():
                walk(x, depth + 1)
        elif v is None:
            pass
        elif isinstance(v, Unknown):
            raise v.error(v.line or line, f"the model's output `{v.expr}` cannot be followed")
        else:
            raise unsupported(line, "the model returns something that is not a tensor")

    walk(value)
    if not out:
        raise unsupported(line, "the model returns no tensor")
    return out


def _parse(code, framework):
    if not isinstance(code, str) or not code.strip():
        raise ShapeError("invalid_code", "code must be non-empty Python source text", "code")
    if len(code) > MAX_CODE_CHARS:
        raise ShapeError("code_too_long", f"code has {len(code)} characters; at most {MAX_CODE_CHARS}", "code")
    fw = registry.framework_name(framework) if framework else _guess_framework(code)
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as err:
        e = ShapeError("invalid_code", f"line {err.lineno}: the code is not valid Python: {err.msg}", "code")
        e.line = err.lineno
        raise e from None
    except (RecursionError, MemoryError, ValueError):
        raise ShapeError("invalid_code", "the code is nested too deeply to read", "code") from None
    return tree, fw


def _read(code, framework, values, override=None) -> ModelGraph:
    tree, fw = _parse(code, framework)
    reader = Reader(code, fw, values)
    reader.input_override = override
    try:
        reader.run_module(tree)
        model = _choose(reader, fw)
    except RecursionError:
        raise ShapeError("too_complex", "the code is nested too deeply to read", "code") from None
    except (_Return, _Break, _Continue):
        raise ShapeError("unsupported_construct", "return/break/continue outside a function or loop", "code") from None
    except _READER_SLIPS as err:
        raise _with_partial(_slip(reader, err), reader) from None
    graph = ModelGraph(reader, model, fw, code, values)
    graph.notes.extend(reader.notes)
    for _, err, _ in reader.skipped:
        graph.notes.append(f"skipped (not part of the model): {err.message}")
    return graph


def _choose(reader: Reader, fw: str):
    """The model to trace (see the module docstring for the rule)."""
    try:
        return _choose_model(reader, fw)
    except ShapeError as err:
        if err.code == "no_model" and reader.skipped:
            raise reader.skipped[0][1] from None  # the model's code broke there
        raise


def _choose_model(reader: Reader, fw: str):
    for stmt, err, on_path in reader.skipped:
        # A statement on a tensor's path, or one that builds a model (net = ResNet18()), that could not be
        # read is the answer's error: the model may depend on it.
        if on_path or _mutates(stmt):
            raise err
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Call):
            called = _dotted(value.func) or ""
            head = called.split(".")[0]
            if head in reader.classes or head in reader.functions:
                raise err
    if fw == "pytorch":
        return _choose_torch(reader)
    return _choose_keras(reader)


def _choose_torch(reader: Reader):
    instances = [(n, m) for n, m in reader.torch_instances if m.kind in ("user", "sequential")]
    chosen = None
    for n, m in instances:
        if n and n.lower() in ("model", "net", "network"):
            chosen = m
    if chosen is None and instances:
        chosen = instances[-1][1]
    if chosen is None:
        classes = [c for c in reader.classes.values() if c.kind == "torch" and c.find("forward")]
        if not classes:
            raise ShapeError("no_model", "found no nn.Module class with a forward() and no nn.Sequential model", "code")
        used = set()
        for c in classes:
            text = ast.unparse(c.node)
            for other in classes:
                if other is not c and re.search(rf"\b{re.escape(other.name)}\b", text):
                    used.add(other.name)
            for b in c.bases:
                if isinstance(b, UserClass):
                    used.add(b.name)
        free = [c for c in classes if c.name not in used] or classes
        cls = free[-1]
        was = reader.top_level
        reader.top_level = False
        try:
            chosen = reader.instantiate(cls, [], {}, _FakeNode(cls.node.lineno))
        finally:
            reader.top_level = was
    _assign_paths(chosen)
    return chosen


def _choose_keras(reader: Reader):
    if not reader.keras_models:
        for name in reversed(list(reader.functions)):
            fdef = reader.functions[name]
            text = ast.unparse(fdef)
            if name not in reader.called_functions and ("Model(" in text or "Sequential(" in text):
                reader.top_level = False
                reader.call_user(UserFunction(fdef, None), [], {}, _FakeNode(fdef.lineno))
                break
    if not reader.keras_models:
        classes = [c for c in reader.classes.values() if c.kind == "keras" and c.find("call")]
        if classes:
            reader.top_level = False
            reader.instantiate(classes[-1], [], {}, _FakeNode(classes[-1].node.lineno))
    models = reader.keras_models
    if not models and reader.last_tensor is not None:
        # A snippet that builds a graph and no Model (the Keras guides' inception module): the graph from its
        # inputs to the last tensor it assigns.
        out, name = reader.last_tensor
        model = KerasModel("functional", out.node.line, "functional")
        nodes = reader.graph.reachable([out])
        refs = {ref for n in nodes for ref in n.inputs}
        model.inputs = [t for t in reader.graph.inputs if t.ref in refs]
        model.outputs = [out]
        reader.notes.append(f"no Model is built: the graph is traced from its inputs to `{name}`")
        return model
    if not models:
        raise ShapeError(
            "no_model", "found no Keras model (Sequential, Model(inputs, outputs) or a Model subclass)", "code"
        )
    for m in reversed(models):
        if getattr(m, "var", None) == "model":
            return m
    used = set()
    for m in models:
        for item in m.layers:
            if isinstance(item, KerasModel):
                used.add(id(item))
        if m.calls:
            used.add(id(m))
    free = [m for m in models if id(m) not in used]
    return (free or models)[-1]


def read_model(code: str, framework: str | None = None, values: dict | None = None) -> ModelGraph:
    """Read model code (ast only; nothing runs) into a ModelGraph: call .trace(input_shapes) for the trace."""
    return _read(code, framework, values)


def trace_code(
    code: str,
    framework: str | None = None,
    input_shape: list | None = None,
    input_shapes: list | None = None,
    values: dict | None = None,
) -> dict:
    """Read and trace model code: every node's inputs, shapes, parameters and MACs, and the totals."""
    if input_shape is not None and input_shapes is not None:
        raise ShapeError("invalid_input_shape", "give input_shape or input_shapes, not both", "input_shapes")
    shapes = None
    if input_shape is not None:
        shapes = [input_shape]
    elif input_shapes is not None:
        if not isinstance(input_shapes, (list, tuple)) or not 0 < len(input_shapes) <= 16:
            raise ShapeError("invalid_input_shape", "input_shapes must be a list of 1 to 16 shapes", "input_shapes")
        shapes = list(input_shapes)
    graph = read_model(code, framework, values)
    try:
        with bounds.symbolic_budget():  # symbolic dimensions through a long model: bounded as engine.trace is
            return graph.trace(shapes)
    except RecursionError:
        raise ShapeError("too_complex", "the code is nested too deeply to read", "code") from None


def _method(obj, found, attr):
    """A method looked up on an instance: bound to it, unless a staticmethod (or bound to the class)."""
    owner, fdef = found
    decorators = {_dotted(d) for d in fdef.decorator_list}
    if "staticmethod" in decorators:
        return UserFunction(fdef, None, owner)
    if "classmethod" in decorators:
        return Bound(owner, UserFunction(fdef, None, owner), attr)
    return Bound(obj, UserFunction(fdef, None, owner), attr)


def _resolve_path(dotted: str, scope: dict, globals_: dict) -> str:
    """A dotted name with its first part replaced by what it was imported as (Module -> torch.nn.Module)."""
    head, _, rest = dotted.partition(".")
    ref = scope.get(head, globals_.get(head))
    if isinstance(ref, Ref):
        return ref.path + ("." + rest if rest else "")
    aliases = {**_KERAS_ALIASES, **_TORCH_ALIASES}
    if head in aliases and ref is None:
        return aliases[head] + ("." + rest if rest else "")
    return dotted


def _src(node) -> str:
    """The source text of a node, for messages (a call the reader makes itself has none)."""
    if isinstance(node, ast.AST):
        try:
            return ast.unparse(node)
        except (RecursionError, ValueError):
            return type(node).__name__
    return "the call"


def _keras_adjust_rank(given, declared, k: int):
    """Keras' input rank adjustment: a trailing axis of 1 added or dropped when that alone makes the ranks agree."""
    given = list(_input(given, k))
    if len(given) == len(declared):
        return given
    if len(given) == len(declared) + 1 and given[-1] == 1:
        return given[:-1]
    if len(given) == len(declared) - 1 and declared[-1] == 1:
        return [*given, 1]
    fld = "input_shape" if k == 0 else f"input_shapes[{k}]"
    raise ShapeError(
        "invalid_input_shape",
        f"the model expects input {k} of shape {_show(declared)}, which input of shape {_show(given)} cannot take "
        "(Keras only adds or drops a trailing axis of size 1)",
        fld,
    )


_SIMPLE_PERCENT = re.compile(r"(?:[^%]|%[sdi%])*")  # 'conv%d' and the like: no widths, nothing to blow up


def _format(template: str, args, kwargs) -> str | None:
    """'{}_{}'.format(a, b) with plain values and plain fields only (no specs, no attribute access)."""
    import string

    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if spec or conversion or not (name == "" or name.isdigit() or name.isidentifier()):
            return None
    values = [*args, *kwargs.values()]
    if not all(type(v) in (int, str, bool) for v in values):
        return None
    try:
        return template.format(*args, **kwargs)[:1000]
    except (IndexError, KeyError, ValueError):
        return None


# Python errors a construct the reader does not model can raise while it is read (an operation on values of
# types it did not expect: TypeError, AttributeError, ...): the answer is a refusal naming the line, never a
# crash of the request.
_READER_SLIPS = (Exception,)  # ShapeError included: _slip passes it through as it is


def _slip(reader: Reader, err: Exception) -> ShapeError:
    if isinstance(err, ShapeError):
        return err
    return unsupported(reader.line, f"the reader cannot follow this line ({type(err).__name__})")


# Keras / TensorFlow activation functions called on a tensor: the Activation layer's names (shape kept,
# except what the registry's rule says).
_KERAS_ACTIVATION_FUNCTIONS = {
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "silu": "silu",
    "swish": "swish",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "softplus": "softplus",
    "softsign": "softsign",
    "hard_sigmoid": "hard_sigmoid",
    "exponential": "exponential",
    "linear": "linear",
}


def _changed_names(stmt) -> set:
    """Names a statement assigns anywhere inside it, or changes through a method call or item assignment."""
    out = set()
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            base = n.func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
        elif isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
            base = n.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
    return out


def _container_kind(cls: UserClass) -> str | None:
    """'sequential', 'modulelist' or 'moduledict' for a user class deriving from that PyTorch container."""
    for c in _mro(cls):
        for b in c.bases:
            if isinstance(b, Ref):
                kind = {"torch.nn.Sequential": "sequential", "torch.nn.ModuleList": "modulelist"}.get(b.path)
                if kind is None and b.path == "torch.nn.ModuleDict":
                    kind = "moduledict"
                if kind:
                    return kind
    return None


_MUTATING_METHODS = frozenset(
    """add add_module append extend insert pop register_buffer register_parameter register_module requires_grad_
    build set_weights""".split()
)


def _mutates(stmt) -> bool:
    """True for a statement that writes attributes or items, or calls a method that changes a model."""
    for n in ast.walk(stmt):
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, ast.Store):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATING_METHODS:
            return True
    return False


class _ParamRef:
    """One module's parameters (model.parameters(): all of them at once) or one of them (named_parameters())."""

    def __init__(self, module, name: str | None = None):
        self.module = module
        self.name = name

    def freeze(self, requires_grad: bool):
        mod = self.module
        if self.name is None:
            mod.trainable = requires_grad
            if isinstance(mod, LayerObj):
                mod.frozen = set()
        elif isinstance(mod, LayerObj):
            # one weight of a layer (its bias only, say): the rest keeps its own flag
            if mod.trainable is False and requires_grad:
                mod.frozen = set(_weight_names(mod))
                mod.trainable = True
            frozen = set(getattr(mod, "frozen", set()))
            (frozen.discard if requires_grad else frozen.add)(self.name)
            mod.frozen = frozen
        if isinstance(mod, TorchModule):
            for n, p in mod.params:
                if self.name is None or n == self.name:
                    p.trainable = requires_grad


class _WeightRef:
    """layer.weight / layer.bias: which parameter of which layer (for tying and init calls)."""

    def __init__(self, layer: LayerObj, name: str):
        self.layer = layer
        self.name = name


def _named_modules(root):
    """(relative path, module) for every module under root, root first, each once (as named_modules)."""
    out, seen = [], set()

    def visit(mod, prefix):
        if id(mod) in seen:
            return
        seen.add(id(mod))
        out.append((prefix, mod))
        if isinstance(mod, TorchModule):
            for name, child in mod.children.items():
                visit(child, f"{prefix}.{name}" if prefix else str(name))

    visit(root, "")
    return out


def _weight_names(obj: LayerObj) -> list:
    """A layer's parameter names (weight, bias, weight_ih_l0, ...) from its rule on an input its constructor implies."""
    outcome = _static_outcome(obj)
    return [] if outcome is None else [n for n in outcome.weights if n not in outcome.non_trainable]


def _tied_weights(root) -> tuple:
    """(total, trainable) of parameters shared by two layers (a.weight = b.weight): PyTorch counts them once."""
    total = trainable = 0
    tree = {id(mod) for _, mod in _named_modules(root)}
    for _, mod in _named_modules(root):
        if not isinstance(mod, LayerObj):
            continue
        for name, ref in mod.tied.items():
            mine, theirs = _static_outcome(mod), _static_outcome(ref.layer)
            if mine is None or theirs is None or name not in mine.weights or ref.name not in theirs.weights:
                raise unsupported(
                    mod.line, f"the weight tying of {mod.name or mod.spec.name}.{name} cannot be followed"
                )
            if tuple(mine.weights[name]) != tuple(theirs.weights[ref.name]):
                raise unsupported(
                    mod.line,
                    f"{mod.name}.{name} {_show(mine.weights[name])} is tied to {ref.layer.name}.{ref.name} "
                    f"{_show(theirs.weights[ref.name])}: the shapes differ",
                )
            if id(ref.layer) in tree:
                n = product(mine.weights[name])
                total += n
                if getattr(mod, "trainable", True) is not False:
                    trainable += n
    return total, trainable


def _with_partial(err: ShapeError, reader: Reader) -> ShapeError:
    """A trace that stopped at a node carries what was traced before it (err.partial, trace_code's fields)."""
    if err.partial is None and err.layer_index is not None and reader.graph.nodes:
        try:
            partial = reader.graph.answer([], nodes=list(reader.graph.nodes))
        except Exception:  # noqa: BLE001 - the error itself is the answer; the partial trace is a courtesy
            partial = None
        if partial is not None:
            partial["notes"] = list(dict.fromkeys([*reader.notes, *partial["notes"]]))
            err.partial = partial
    return err


def _frozen_size(mod: LayerObj) -> int:
    """The size of a layer's weights frozen one by one (named_parameters loops)."""
    outcome = _static_outcome(mod)
    if outcome is None:
        raise unsupported(mod.line, f"the frozen weights of {mod.name or mod.spec.name} cannot be counted")
    return sum(product(outcome.weights[n]) for n in mod.frozen if n in outcome.weights)
