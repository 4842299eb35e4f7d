"""Read layer calls out of a pasted Keras/PyTorch snippet with `ast`, taking literals only (nothing runs)."""

from __future__ import annotations

import ast

from engine import bounds, registry
from engine.errors import ShapeError

MAX_SNIPPET_CHARS = 20_000
MAX_LITERAL_DEPTH = 8
_KERAS_HINTS = ("layers.", "keras.", "Sequential", "Input(")
_TORCH_HINTS = ("nn.", "torch.")
_ARITH = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
}


class _Unreadable(Exception):
    pass


class _TooLarge:
    """A name whose value passed a bound: an error only where a layer uses it."""

    def __init__(self, error: ShapeError):
        self.error = error


class _Names(dict):
    """The snippet's literal names; `sizes` holds (the list, items, nesting) of every list the reader built.

    A name used twice is one list referenced twice (never copied); its size is counted as the tree it
    stands for, from the sizes of its parts, so a value is measured in one step per list literal."""

    def __init__(self):
        super().__init__()
        self.sizes: dict[int, tuple[list, int, int]] = {}

    def measure(self, items: list, line: int) -> list:
        """The list, once its tree size is within engine.bounds' limits (else ShapeError naming the line)."""
        count, deepest = 1, 1
        for item in items:
            known = self.sizes.get(id(item)) if type(item) is list else None
            count += known[1] if known else 1
            deepest = max(deepest, known[2] + 1 if known else 1)
        bounds.check_size(count, deepest, "code", f"line {line}: the value")
        self.sizes[id(items)] = (items, count, deepest)
        return items


def _literal(node, names: _Names, depth: int = 0):
    """The value of a literal node: numbers, strings, True/False/None, tuples/lists, + - * // of ints, known names."""
    if depth > MAX_LITERAL_DEPTH:
        raise _Unreadable("nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return names.measure([_literal(e, names, depth + 1) for e in node.elts], node.lineno)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand, names, depth + 1)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        left, right = _literal(node.left, names, depth + 1), _literal(node.right, names, depth + 1)
        if all(isinstance(v, int) and not isinstance(v, bool) and abs(v) <= 2**31 for v in (left, right)):
            if isinstance(node.op, ast.FloorDiv) and right == 0:
                raise _Unreadable("division by zero")
            return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Name) and node.id in names:
        value = names[node.id]
        if type(value) is _TooLarge:
            raise value.error
        return value
    raise _Unreadable(bounds.source_excerpt(node))


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _guess_framework(code: str) -> str:
    torch_score = sum(code.count(h) for h in _TORCH_HINTS)
    keras_score = sum(code.count(h) for h in _KERAS_HINTS)
    return "pytorch" if torch_score > keras_score else "keras"


def parse_snippet(code, framework=None) -> dict:
    """Layers, in order, with their literal arguments; input_shape when the snippet gives one."""
    if not isinstance(code, str) or not code.strip():
        raise ShapeError("invalid_snippet", "snippet must be non-empty Python source text", "code")
    if len(code) > MAX_SNIPPET_CHARS:
        raise ShapeError("snippet_too_long", f"snippet has {len(code)} characters; at most {MAX_SNIPPET_CHARS}", "code")
    fw = registry.framework_name(framework) if framework else _guess_framework(code)
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as err:
        raise ShapeError(
            "invalid_snippet", f"snippet is not valid Python: {err.msg} (line {err.lineno})", "code"
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ShapeError("invalid_snippet", "snippet is nested too deeply to read", "code") from None
    bounds.check_expression_depth(tree, "code")

    names = _Names()
    layers: list = []
    notes: list = []
    input_shape = None
    # A call inside a layer's arguments (Bidirectional(LSTM(..))) belongs to that layer, not the stack.
    inner = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func) and _is_layer(_dotted(node.func), fw)
        for arg in [*node.args, *(kw.value for kw in node.keywords)]
        if isinstance(arg, ast.Call)
    }
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                names[stmt.targets[0].id] = _literal(stmt.value, names)
                continue
            except _Unreadable:
                pass
            except ShapeError as err:  # data the layers may never use; an error where one does
                names[stmt.targets[0].id] = _TooLarge(err)
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or id(node) in inner:
                continue
            dotted = _dotted(node.func)
            if dotted is None:
                continue
            short = dotted.rsplit(".", 1)[-1]
            if short == "Input" and fw == "keras":
                shape = _keyword(node, "shape", names, notes) or (_positional(node, 0, names, notes))
                if isinstance(shape, list):
                    input_shape = [None, *shape]
                continue
            spec = registry.find(fw, short)
            if spec is None:
                continue
            params, shape = _call_params(spec, short, node, names, notes)
            if shape is not None and input_shape is None:
                input_shape = shape
            layers.append({"layer": spec.name, "params": params, "line": node.lineno, "as_written": dotted})
    if not layers:
        raise ShapeError("no_layers", f"found no {fw} layer calls in the snippet", "code")
    return {"framework": fw, "input_shape": input_shape, "layers": layers, "notes": notes}


def _keyword(node, name, names, notes):
    for kw in node.keywords:
        if kw.arg == name:
            try:
                return _literal(kw.value, names)
            except _Unreadable as err:
                notes.append(f"line {node.lineno}: {name}= is not a literal ({err}); left out")
    return None


def _positional(node, index, names, notes):
    if len(node.args) > index:
        try:
            return _literal(node.args[index], names)
        except _Unreadable as err:
            notes.append(f"line {node.lineno}: argument {index + 1} is not a literal ({err}); left out")
    return None


def _call_params(spec, written_name, node, names, notes):
    legacy = spec.options.get("legacy_positional", {}).get(written_name)
    order = legacy or spec.positional
    params: dict = {}
    input_shape = None
    for n, arg in enumerate(node.args):
        if isinstance(arg, ast.Call) and spec.by_name.get("layer") is not None and n == 0:
            # Bidirectional(LSTM(..)), TimeDistributed(Dense(..)): the wrapped layer, read the same way.
            inner_name = _dotted(arg.func) or ""
            if _is_layer(inner_name, spec.framework):
                params["layer"] = _nested(arg, names, notes, spec.framework)
            else:
                shown = inner_name or bounds.source_excerpt(arg.func)
                notes.append(
                    f"line {node.lineno}: layer {shown} is not a {spec.framework} layer the engine knows; left out"
                )
            continue
        if n >= len(order):
            if not spec.options.get("ignores_arguments"):  # nn.Identity(54) runs: it ignores its arguments
                notes.append(f"line {node.lineno}: {spec.name} takes at most {len(order)} positional arguments")
            break
        try:
            params[order[n]] = _literal(arg, names)
        except _Unreadable as err:
            notes.append(f"line {node.lineno}: {order[n]} is not a literal ({err}); left out")
    for kw in node.keywords:
        if kw.arg is None:
            notes.append(f"line {node.lineno}: **kwargs cannot be read; left out")
            continue
        if kw.arg in ("input_shape", "batch_input_shape"):
            try:
                shape = _literal(kw.value, names)
                input_shape = [None, *shape] if kw.arg == "input_shape" else list(shape)
            except (_Unreadable, TypeError) as err:
                notes.append(f"line {node.lineno}: {kw.arg} is not a literal ({err})")
            continue
        if kw.arg in ("input_dim",) and "input_dim" not in spec.by_name:
            try:
                input_shape = [None, _literal(kw.value, names)]
            except _Unreadable:
                pass
            continue
        if (
            isinstance(kw.value, ast.Call)
            and kw.arg in spec.by_name
            and _is_layer(_dotted(kw.value.func) or "", spec.framework)
        ):
            params[kw.arg] = _nested(kw.value, names, notes, spec.framework)  # layer=, backward_layer=
            continue
        try:
            params[kw.arg] = _literal(kw.value, names)
        except _Unreadable as err:
            notes.append(f"line {node.lineno}: {kw.arg}= is not a literal ({err}); left out")
    return params, input_shape


def _nested(call, names, notes, framework):
    dotted = _dotted(call.func) or ""
    spec = registry.lookup(framework, dotted.rsplit(".", 1)[-1])
    params, _ = _call_params(spec, dotted.rsplit(".", 1)[-1], call, names, notes)
    return {"layer": spec.name, "params": params}


def _is_layer(dotted, fw) -> bool:
    return registry.find(fw, dotted.rsplit(".", 1)[-1]) is not None
