"""The explainer's code path: trace the pasted model to find the failing node and verify fixes by re-tracing.

The input size the user fed is found by evidence: the candidate input shape whose trace fails with the
message's own numbers is the answer to "what did I feed it?"; one that traces through is "what it was
written for". A changed model (a layer's argument edited in the pasted text, or a flatten inserted) is
re-traced, and `verified` is true only when that trace runs through. The code is read with `ast` by the
model reader; nothing is run.
"""

from __future__ import annotations

import ast
import time

from engine import registry
from engine.errors import ShapeError

MAX_TRACES = 28  # candidate input shapes tried per request
MAX_SECONDS = 3.0  # and the time they may take together
MAX_REPAIRS = 6  # edits chained to make a model run (a stack of convolutions may need each one changed)
_SIZES = (8, 13, 16, 24, 28, 32, 48, 64, 96, 112, 128, 150, 160, 224, 256, 299, 320, 384, 448, 512)
_ERROR_FAMILIES = {
    "in_features_mismatch": {"channel_mismatch", "in_features_mismatch"},
    "channel_mismatch": {"channel_mismatch"},
    "rnn_input_mismatch": {"channel_mismatch", "rank_mismatch"},
    "norm_features_mismatch": {"channel_mismatch"},
    "rank_mismatch": {"rank_mismatch"},
    "kernel_too_large": {"output_too_small", "kernel_too_large"},
    "reshape_size_mismatch": {"reshape_mismatch", "invalid_reshape", "reshape_size_mismatch"},
    "merge_shape_mismatch": {"merge_mismatch", "shape_mismatch", "merge_shape_mismatch"},
}


def _as_int(v):
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return int(v)
    return None


def _same_shape(a, b) -> bool:
    """Equal shapes, an unknown (None) matching any size."""
    if not a or not b or len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def _matches(family: str, numbers: dict, err: ShapeError) -> bool:
    """Does this trace error say what the message says (same kind, same numbers)?"""
    details = getattr(err, "details", None) or {}
    codes = _ERROR_FAMILIES.get(family)
    if codes is not None and err.code not in codes:
        return False
    expected, received = _as_int(details.get("expected")), _as_int(details.get("received"))
    if "expected" in numbers and "received" in numbers and isinstance(numbers["expected"], int):
        return expected == numbers["expected"] and received == numbers["received"]
    shape = details.get("input_shape")
    if numbers.get("input_shape") and shape:
        return _same_shape(numbers["input_shape"], shape)
    if numbers.get("size") is not None and shape:
        return numbers["size"] in shape
    return codes is not None


def _trace(code, framework, shape):
    """('ok', result) or ('error', ShapeError) for one input shape."""
    from engine.model_reader import trace_code

    try:
        return "ok", trace_code(code, framework, shape)
    except ShapeError as err:
        return "error", err
    except Exception as err:  # noqa: BLE001 - a reader bug must not become a 500; it is reported as a note
        return "error", ShapeError(
            "reader_failed", f"the model reader could not follow this code ({type(err).__name__})"
        )


def _first_layer(code, framework):
    """The first layer call in reading order, as {layer, params} with its literal first argument."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None, framework
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda c: (c.lineno, c.col_offset))
    for call in calls:
        try:
            spec = registry.lookup(framework, _call_name(call))
        except ShapeError:
            continue
        first = spec.params[0].name if spec.params else None
        value = None
        for kw in call.keywords:
            if kw.arg == first:
                value = kw.value
        if value is None and call.args:
            value = call.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, int):
            return {"layer": spec.name, "params": {first: value.value}}, framework
        if spec.category in ("conv", "dense", "recurrent", "embedding"):
            return None, framework
    return None, framework


def _candidates(code, framework, input_shape, numbers, declared_ok: bool) -> list:
    """Input shapes to try, most likely first: the user's, the message's, then sizes around the first layer's."""
    out = []
    if input_shape is not None:
        out.append(list(input_shape))
    if declared_ok:
        out.append(None)
    shape = numbers.get("input_shape")
    if shape and all(v is None or isinstance(v, int) and v > 0 for v in shape):
        out.append(list(shape))
    first, fw = _first_layer(code, framework)
    params = (first or {}).get("params") or {}
    name = ((first or {}).get("layer") or "").lower()
    base = list(input_shape) if input_shape is not None else None
    if base and len(base) in (3, 4, 5):
        for size in _SIZES:
            spatial = len(base) - 2
            if fw == "keras" or (base[-1] in (1, 3) and base[1] not in (1, 3)):
                out.append([base[0], *([size] * spatial), base[-1]])
            else:
                out.append([base[0], base[1], *([size] * spatial)])
    elif fw == "pytorch" and "conv" in name and isinstance(params.get("in_channels"), int):
        spatial = 2 if "2d" in name else 1 if "1d" in name else 3
        for size in _SIZES:
            out.append([1, params["in_channels"], *([size] * spatial)])
    elif fw == "pytorch" and name == "linear" and isinstance(params.get("in_features"), int):
        out.append([1, params["in_features"]])
        if isinstance(numbers.get("received"), int):
            out.append([1, numbers["received"]])
    seen, unique = set(), []
    for shape in out:
        key = None if shape is None else tuple(shape)
        if key not in seen:
            seen.add(key)
            unique.append(shape)
    return unique


# ---- editing one argument of one layer call in the pasted text ------------------------------------


def _call_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _same_layer(call: ast.Call, framework: str, layer: str) -> bool:
    """Is this call a constructor of that layer class (nn.Linear(...), layers.Dense(...)), not a call of a
    module attribute (self.linear(x)) that happens to share its name?"""
    f = call.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
        return False
    name = _call_name(call)
    if not name:
        return False
    try:
        spec = registry.lookup(framework, name)
    except ShapeError:
        return False
    return spec.name == layer and (name == spec.name or name in spec.aliases)


def _locate(tree, framework: str, node_name: str, layer: str, line: int | None, model: str | None = None):
    """The ast.Call that builds this node: on its line, or through `self.<name> = ...` in the model's class
    (and Sequential indices), or Keras's n-th layer of a class; None when that is not certain."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if line is not None:
        here = [c for c in calls if c.lineno <= line <= (c.end_lineno or c.lineno) and _same_layer(c, framework, layer)]
        if len(here) == 1:
            return here[0]
    parts = node_name.split(".")
    owner = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == model), None)
    for node in ast.walk(owner if owner is not None else tree):
        if owner is None and framework == "pytorch":
            break  # a module attribute is only looked up inside the model's own class
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and target.attr == parts[0] and isinstance(node.value, ast.Call):
                call = node.value
                for index in parts[1:]:
                    if (
                        not index.isdigit()
                        or int(index) >= len(call.args)
                        or not isinstance(call.args[int(index)], ast.Call)
                    ):
                        return None
                    call = call.args[int(index)]
                return call if _same_layer(call, framework, layer) else None
    # Keras names its layers conv2d, conv2d_1, ...: the n-th call of that class, in reading order.
    base, _, count = node_name.rpartition("_")
    index = int(count) if count.isdigit() else 0
    stem = base if count.isdigit() else node_name
    same = [c for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset)) if _same_layer(c, framework, layer)]
    if same and stem.replace("_", "") == layer.lower() and index < len(same):
        return same[index]
    return None


def _splice(code: str, start: tuple, end: tuple, text: str) -> str:
    """Replace code between two (line, byte column) positions (ast's coordinates) with text."""
    lines = code.split("\n")
    first = lines[start[0] - 1].encode()
    last = lines[end[0] - 1].encode()
    merged = (first[: start[1]] + text.encode() + last[end[1] :]).decode()
    return "\n".join([*lines[: start[0] - 1], merged, *lines[end[0] :]])


def _set_argument(code: str, call: ast.Call, framework: str, layer: str, param: str, value) -> str | None:
    """The code with one argument of one call set to a literal value (keyword, positional or added)."""
    literal = repr(value)
    for kw in call.keywords:
        if kw.arg == param:
            v = kw.value
            return _splice(code, (v.lineno, v.col_offset), (v.end_lineno, v.end_col_offset), literal)
    spec = registry.lookup(framework, layer)
    names = [p.name for p in spec.params]
    position = names.index(param) if param in names else None
    if framework == "pytorch" and position is not None and position < len(call.args):
        v = call.args[position]
        if isinstance(v, ast.Starred):
            return None
        return _splice(code, (v.lineno, v.col_offset), (v.end_lineno, v.end_col_offset), literal)
    # Added as a keyword just before the closing parenthesis.
    end = (call.end_lineno, call.end_col_offset - 1)
    sep = ", " if call.args or call.keywords else ""
    return _splice(code, end, end, f"{sep}{param}={literal}")


def _insert_flatten(code: str, line: int) -> str | None:
    """A `x = torch.flatten(x, 1)` line before the forward line that calls the layer on x."""
    lines = code.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    try:
        stmt = ast.parse(text.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    value = getattr(stmt, "value", None)
    if not isinstance(value, ast.Call) or not value.args or not isinstance(value.args[0], ast.Name):
        return None
    var = value.args[0].id
    indent = text[: len(text) - len(text.lstrip())]
    return "\n".join([*lines[: line - 1], f"{indent}{var} = torch.flatten({var}, 1)", *lines[line - 1 :]])


def _edit_for(code: str, framework: str, err: ShapeError, model: str | None = None):
    """One edit that answers this trace error, as (new code, change), or None."""
    details = getattr(err, "details", None) or {}
    layer, name, line = details.get("layer"), details.get("name") or "", details.get("line")
    received = _as_int(details.get("received"))
    if not layer:
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    call = _locate(tree, framework, name, layer, line, model)
    if call is None:
        return None
    before = ast.get_source_segment(code, call)
    lower = layer.lower()
    param = value = None
    new_code = code
    if err.code == "channel_mismatch" and received is not None:
        shape = details.get("input_shape") or []
        if lower == "linear" and len(shape) > 2 and line is not None and framework == "pytorch":
            flat = 1
            for v in shape[1:]:
                if not isinstance(v, int):
                    return None
                flat *= v
            with_flatten = _insert_flatten(code, line)
            if with_flatten is None:
                return None
            shifted = ast.parse(with_flatten)
            call2 = _locate(shifted, framework, name, layer, line + 1 if call.lineno >= line else line, model)
            if call2 is None:
                return None
            edited = _set_argument(with_flatten, call2, framework, layer, "in_features", flat)
            if edited is None:
                return None
            return edited, {
                "layer": name,
                "params": {"in_features": flat},
                "inserted": {"line": line, "code": "torch.flatten(x, 1)"},
                "before": before,
            }
        param = {
            "linear": "in_features",
            "lstm": "input_size",
            "gru": "input_size",
            "rnn": "input_size",
        }.get(lower)
        if param is None and lower.startswith(("conv", "convtranspose")):
            param = "in_channels"
        if param is None and lower.startswith(("batchnorm", "instancenorm")):
            param = "num_features"
        value = received
    elif err.code in ("output_too_small", "kernel_too_large") and framework == "keras":
        param, value = "padding", "same"
    if param is None:
        return None
    new_code = _set_argument(code, call, framework, layer, param, value)
    if new_code is None or new_code == code:
        return None
    try:
        after = ast.get_source_segment(
            new_code, _locate(ast.parse(new_code), framework, name, layer, line, model) or call
        )
    except SyntaxError:
        return None
    return new_code, {"layer": name, "params": {param: value}, "before": before, "after": after}


def _repair(code: str, framework: str, shape, err: ShapeError, model: str | None = None):
    """Edit, re-trace, repeat while the model fails the same way; (changes, result) when it runs through."""
    changes = []
    current = code
    for _ in range(MAX_REPAIRS):
        edit = _edit_for(current, framework, err, model)
        if edit is None:
            return changes, None, err
        current, change = edit
        changes.append(change)
        status, outcome = _trace(current, framework, shape)
        if status == "ok":
            return changes, outcome, None
        if outcome.code != err.code:
            return changes, None, outcome
        err = outcome
    return changes, None, err


def _node(details: dict, err: ShapeError) -> dict:
    return {
        "index": getattr(err, "layer_index", None),
        "name": details.get("name"),
        "type": details.get("layer"),
        "line": details.get("line"),
        "input_shape": details.get("input_shape"),
        "message": err.message,
    }


def _graph_rows(result: dict | None) -> list:
    if not result:
        return []
    return [
        {
            "name": row.get("name"),
            "layer": row.get("layer"),
            "line": row.get("line"),
            "inputs": row.get("inputs"),
            "output_shape": row.get("output_shape"),
            "param_count": row.get("param_count"),
        }
        for row in result.get("layers", [])[:500]
    ]


def _model_name(graph) -> str | None:
    try:
        return graph.name
    except Exception:  # noqa: BLE001 - only a lookup aid
        return None


def _spatial_distance(a, b) -> float:
    """How far two input shapes are apart on their sizes (ratio-wise); unknowns count as equal."""
    if a is None or b is None or len(a) != len(b):
        return float("inf")
    import math as _math

    return sum(
        abs(_math.log(x / y))
        for x, y in zip(a, b, strict=True)
        if isinstance(x, int) and isinstance(y, int) and x and y
    )


def _describe(change: dict) -> str:
    if "inserted" in change:
        return (
            f"flatten before it (`torch.flatten(x, 1)` above line {change['inserted']['line']}) and "
            f"`{change['before']}` with in_features={change['params']['in_features']}"
        )
    return f"`{change['before']}` -> `{change['after']}`"


def _keras_declare_fix(shape, result) -> dict:
    """Keras: build the model for the data fed (its Input / input_shape), traced through."""
    per_sample = tuple(shape[1:])
    return {
        "description": f"Build the model for the data you feed: declare its input as `input_shape={per_sample}` "
        f"(or `keras.Input(shape={per_sample})`); Keras then sizes every layer for it, and the model traces "
        f"through to {result.get('output_shape')}.",
        "change": {"declare_input_shape": list(shape)},
        "verified": True,
        "trace": {"input_shape": list(shape), "output_shape": result.get("output_shape")},
    }


def _change_fix(changes: list, shape, result, last) -> dict:
    """The change-the-layer fix: every edit made, and whether the changed model traced through."""
    fix = {
        "description": "Change the model where it fails: " + "; ".join(_describe(c) for c in changes) + ".",
        "change": {"layer": changes[0]["layer"], "params": changes[0]["params"], "edits": changes},
        "verified": result is not None,
    }
    if result is not None:
        fix["trace"] = {"input_shape": shape, "output_shape": result.get("output_shape")}
    else:
        fix["trace"] = {"input_shape": shape, "error": last.message if last else None}
    return fix


def explain_with_code(answer: dict, case, code: str, framework: str | None, input_shape) -> None:
    """Fill answer['layer'], answer['trace'] and verified fixes from tracing the code."""
    from engine.model_reader import read_model

    try:
        graph = read_model(code, framework)
        declared = graph.declared_input_shapes()
    except ShapeError as err:
        case.notes.append(f"The code could not be read: {err.message}")
        answer["trace"] = {"error": err.as_dict()}
        return
    except Exception as err:  # noqa: BLE001 - a reader bug must not become a 500
        case.notes.append(f"The model reader could not follow this code ({type(err).__name__}).")
        answer["trace"] = {"error": {"code": "reader_failed", "message": type(err).__name__, "field": "code"}}
        return
    fw = graph.framework
    started = time.monotonic()
    fed = written = None
    fallback = None
    runs: list = []
    message_shape_runs = False
    tried = 0
    for shape in _candidates(code, fw, input_shape, case.n, declared is not None):
        if tried >= MAX_TRACES or time.monotonic() - started > MAX_SECONDS:
            break
        tried += 1
        status, outcome = _trace(code, fw, shape)
        if status == "error":
            if outcome.code == "needs_input_shape":
                continue
            if fed is None and _matches(case.family, case.n, outcome):
                fed = (shape, outcome)
            elif fallback is None and shape == input_shape:
                fallback = (shape, outcome)
        else:
            if shape is not None and shape == case.n.get("input_shape"):
                message_shape_runs = True
            runs.append((shape, outcome))
        if fed is not None and len(runs) >= 4:
            break
    if runs:
        # The size it was written for: of the sizes that run, the one nearest to what was fed.
        written = min(runs, key=lambda r: _spatial_distance(r[0], fed[0] if fed else input_shape))
    answer["trace"] = {"framework": fw, "tried": tried}
    code_fixes = []
    if fed is None and fallback is not None:
        fed = fallback
        case.notes.append(
            "The trace with your input shape fails, but not with the numbers of the message: the failing node below "
            "is where your input shape stops the model."
        )
    keras_built = fw == "keras" and declared is not None
    if keras_built and message_shape_runs:
        # Tracing a Keras model with another input shape builds it for that shape: only a rank one below the
        # declared one is Keras 3 accepting what Keras 2 refused (it adds the trailing axis itself).
        given = case.n.get("input_shape") or []
        message_shape_runs = len(given) == len(declared[0]) - 1
    if fed is None and keras_built and case.n.get("layer"):
        built = next((r for r in runs if r[0] is None), None)
        rows = (built[1].get("layers") if built else None) or []
        row = next((r for r in rows if r.get("name") == case.n["layer"]), None)
        if row is not None:
            answer["layer"] = {
                "index": row.get("index"),
                "name": row.get("name"),
                "type": row.get("layer"),
                "line": row.get("line"),
                "input_shape": row.get("input_shape"),
                "message": f"{row.get('name')} ({row.get('layer')}) was built for the input "
                f"{row.get('input_shape')} of the model's declared input; the message says what it received.",
            }
            case.notes.append(
                f"Keras names the layer `{row.get('name')}`; it is found at line {row.get('line')} in the model "
                "traced with its declared input."
            )
    if answer.get("layer") is not None:
        pass
    elif fed is None and message_shape_runs:
        case.notes.append(
            f"This model traces through with the input the message names, {case.n['input_shape']}: under the "
            "current framework rules (Keras 3 adds a missing trailing axis of size 1 to a declared input, PyTorch "
            "2 accepts an unbatched input) the error does not happen; it comes from an older version."
        )
    elif fed is None:
        case.notes.append(
            "Tracing the code with the input shapes tried did not reproduce this error; give the input shape you fed "
            "(batch included) to locate the failing layer."
        )
    else:
        shape, err = fed
        details = getattr(err, "details", None) or {}
        answer["layer"] = _node(details, err)
        answer["trace"]["input_shape"] = shape
        answer["trace"]["error"] = err.message
        changes, result, last = _repair(code, fw, shape, err, _model_name(graph))
        if changes:
            code_fixes.append(_change_fix(changes, shape, result, last))
        if result is not None:  # the changed model's graph, the node that failed marked (replaced below if the
            answer["trace"]["graph"] = _graph_rows(result)  # model runs unchanged at another size)
            answer["trace"]["graph_of"] = "changed"
            answer["trace"]["graph_input"] = shape
    declared_shape = list(declared[0]) if declared else None
    if fw == "keras" and declared_shape is not None:
        # A Keras model sizes its layers for the input it is built with: tracing another input shape is
        # building the model for it (declaring that input in the code), which is a fix of its own.
        built = next((r for r in runs if r[0] is None), None)
        other = next((r for r in runs if r[0] is not None and r[0][1:] != declared_shape[1:]), None)
        if other is not None and input_shape is not None and other[0] == list(input_shape):
            code_fixes.append(_keras_declare_fix(other[0], other[1]))
        if built is not None:
            written = built
    if written is not None:
        shape, result = written
        shown = shape if shape is not None else result.get("input_shape")
        answer["trace"]["written_for"] = shown
        answer["trace"]["graph"] = _graph_rows(result)
        answer["trace"]["graph_of"] = "written_for"
        answer["trace"]["graph_input"] = shown
        code_fixes.append(
            {
                "description": f"Feed the size the model was written for: input shape {shown} traces through to "
                f"{result.get('output_shape')}.",
                "change": {"input_shape": shown},
                "verified": True,
                "trace": {"input_shape": shown, "output_shape": result.get("output_shape")},
            }
        )
    case.fixes[:0] = code_fixes
    # Message-only fixes stay as suggestions: with code, only traced ones are marked verified.
