"""Which input sizes a stack of layers accepts, and what comes out: a rule, a closed form, the first sizes.

`solve_input_sizes(framework, layers=None, code=None, input_shape=..., output_size=None, max_size=512)`
takes an input shape whose spatial sizes are symbols (`[1, 3, "H", "W"]`; the same symbol twice ties two
axes) and runs the stack forward, through `engine.trace` (or `engine.trace_code` for pasted code), for
every size of each symbol from 1 to `max_size`. The sizes that pass every layer are read as a rule:
"H >= 5", "H = 16k + 12, k >= 1", "divisible by 16" (a U-Net whose skip connections must match), or a
finite list (a classifier head whose Linear layer fixes the size). The symbolic trace gives the output as
a closed form of H where the stack has one; on the sizes of the rule the output is also given as a
function of k when it is linear there. With `output_size`, only the sizes that give that output count.

Symbols are solved one at a time: the others are held at the smallest size that passes with all symbols
equal (a witness); `exhaustive` is false when the time budget stopped a scan before `max_size`.
"""

from __future__ import annotations

import time

from engine.api import parse_input_shape, trace
from engine.errors import ShapeError
from engine.registry import framework_name

DEFAULT_MAX_SIZE = 512
MAX_MAX_SIZE = 4096
TIME_BUDGET = 1.5  # seconds of forward runs per request
FIRST_SIZES = 8


def _runner(framework, layers, code):
    """A function from a concrete input shape to the output shape, raising ShapeError on a misfit."""
    if (layers is None) == (code is None):
        raise ShapeError("invalid_request", "give either layers or code", "layers")
    if layers is not None:

        def run(shape):
            return trace(framework, shape, layers)["output_shape"]

        return run
    try:
        from engine import read_model
    except ImportError:
        raise ShapeError(
            "not_available", "reading code needs the graph reader (engine.read_model), which this build lacks", "code"
        ) from None
    graph = read_model(code, framework)  # read once (ast only); each size is a trace of the same graph

    def run_code(shape):
        try:
            return graph.trace([shape])["output_shape"]
        except RecursionError:
            raise ShapeError("too_complex", "the code is nested too deeply to read", "code") from None

    run_code.graph = graph
    return run_code


def _symbol_axes(shape: list) -> dict:
    """symbol name -> the axes it names, in order of first appearance."""
    out: dict = {}
    for axis, v in enumerate(shape):
        if isinstance(v, str):
            out.setdefault(v, []).append(axis)
    return out


def _concrete(shape: list, values: dict) -> list:
    return [values[v] if isinstance(v, str) else v for v in shape]


def _describe(symbol: str, sizes: list, top: int) -> dict:
    """The rule behind a set of accepted sizes within 1..top: eventually periodic, or finite."""
    if not sizes:
        return {"kind": "none", "rule": f"no {symbol} from 1 to {top} passes"}
    accepted = set(sizes)
    # Finite: nothing in the upper quarter of the scan passes.
    if top >= 16 and max(sizes) < top - top // 4:
        if len(sizes) == 1:
            rule = f"{symbol} = {sizes[0]}"
        elif sizes == list(range(sizes[0], sizes[-1] + 1)):
            rule = f"{sizes[0]} <= {symbol} <= {sizes[-1]}"
        else:
            rule = f"{symbol} in {{{', '.join(map(str, sizes))}}}"
        return {"kind": "finite", "rule": rule, "sizes": sizes}
    half = top // 2
    for period in range(1, max(2, top // 4) + 1):
        if all((v in accepted) == (v + period in accepted) for v in range(half, top - period + 1)):
            break
    else:
        return {"kind": "irregular", "rule": f"{len(sizes)} sizes from 1 to {top}, no period found", "sizes": sizes}
    start = half
    while start - 1 >= 1 and ((start - 1) in accepted) == ((start - 1 + period) in accepted):
        start -= 1
    residues = sorted({v % period for v in sizes if v >= start})
    regular = [v for v in sizes if v >= start]
    first = regular[0] if regular else None
    exceptions = [v for v in sizes if v < start]
    if period == 1:
        rule = f"{symbol} >= {first}"
    elif len(residues) == 1:
        r = residues[0]
        k0 = (first - r) // period
        if r == 0:
            rule = f"{symbol} divisible by {period} ({symbol} = {period}k, k >= {k0})"
        else:
            rule = f"{symbol} = {period}k + {r}, k >= {k0}"
    else:
        rule = f"{symbol} mod {period} in {{{', '.join(map(str, residues))}}}, {symbol} >= {first}"
    if exceptions:
        rule += f"; also {', '.join(map(str, exceptions))}"
    out = {"kind": "periodic", "rule": rule, "period": period, "residues": residues, "from": first}
    if exceptions:
        out["also"] = exceptions
    return out


def _linear_in_k(form: dict, outputs: dict, symbol: str) -> list | None:
    """Each output axis as a·k + b on the rule's sizes (k as in the rule), when it is linear there."""
    if form.get("kind") != "periodic" or len(form["residues"]) != 1:
        return None
    period, r = form["period"], form["residues"][0]
    points = sorted((v, outputs[v]) for v in outputs if v >= form["from"] and v % period == r)
    if len(points) < 3:
        return None
    ks = [(v - r) // period for v, _ in points]
    rank = len(points[0][1])
    out = []
    for axis in range(rank):
        ys = [shape[axis] for _, shape in points]
        if any(type(y) is not int for y in ys):
            out.append(None)
            continue
        slope = ys[1] - ys[0]
        step = ks[1] - ks[0]
        if slope % step:
            return None
        a = slope // step
        b = ys[0] - a * ks[0]
        if any(y != a * k + b for k, y in zip(ks, ys, strict=True)):
            return None
        out.append(None if a == 0 else _affine_text(a, b, symbol if period == 1 else "k"))
    return out


def _affine_text(a: int, b: int, var: str = "k") -> str:
    text = var if a == 1 else f"{a}{'*' if len(var) > 1 else ''}{var}"
    if b:
        text += f" + {b}" if b > 0 else f" - {-b}"
    return text


def solve_input_sizes(
    framework, layers=None, code=None, input_shape=None, output_size=None, max_size=DEFAULT_MAX_SIZE
) -> dict:
    """The input sizes a stack accepts (per symbol in input_shape): rule, closed form, first sizes, outputs."""
    framework = framework_name(framework)
    if input_shape is None:
        raise ShapeError(
            "missing_input_shape", "input_shape is required, with a symbol such as 'H' to solve", "input_shape"
        )
    parse_input_shape(input_shape)  # validates every dimension (symbols included) before any run
    shown = list(input_shape)
    symbols = _symbol_axes(shown)
    if not symbols:
        raise ShapeError(
            "no_symbol", "input_shape names no size to solve: write a symbol such as 'H' for it", "input_shape"
        )
    if len(symbols) > 3:
        raise ShapeError("too_many_symbols", f"at most 3 symbols, received {len(symbols)}", "input_shape")
    if type(max_size) is not int or not 1 <= max_size <= MAX_MAX_SIZE:
        raise ShapeError(
            "invalid_max_size",
            f"max_size must be an integer from 1 to {MAX_MAX_SIZE}, received {max_size!r}",
            "max_size",
        )
    if output_size is not None and (
        not isinstance(output_size, (list, tuple)) or any(type(v) is not int or v < 1 for v in output_size)
    ):
        raise ShapeError(
            "invalid_output_size", f"output_size must be a list of sizes, received {output_size!r}"[:200], "output_size"
        )
    run = _runner(framework, layers, code)
    deadline = time.perf_counter() + TIME_BUDGET
    exhaustive = True

    def attempt(values: dict):
        try:
            out = run(_concrete(shown, values))
        except ShapeError as err:
            if err.code in ("not_available", "invalid_request"):
                raise
            return None
        if output_size is not None and _spatial(framework, out, len(output_size)) != list(output_size):
            return None
        return out

    # A witness: the smallest size that passes with every symbol equal.
    witness = None
    for v in range(1, max_size + 1):
        if time.perf_counter() > deadline:
            exhaustive = False
            break
        if attempt(dict.fromkeys(symbols, v)) is not None:
            witness = v
            break
    if witness is None and exhaustive:
        # No size passes: the reason at the largest size tried is the answer (a misnamed layer, a Linear
        # that no size feeds, ...), as a 422 naming the layer.
        try:
            out = run(_concrete(shown, dict.fromkeys(symbols, max_size)))
        except ShapeError as err:
            raise ShapeError(
                err.code,
                f"no input size from 1 to {max_size} passes the stack; at {max_size}: {err.message}",
                err.field,
                err.layer_index,
            ) from None
        raise ShapeError(
            "no_input_size",
            f"no input size from 1 to {max_size} gives output_size {list(output_size)}; at {max_size} the output is {out}",
            "output_size",
        )
    axes = []
    for symbol, positions in symbols.items():
        sizes: list = []
        outputs: dict = {}
        top = max_size
        if witness is not None or len(symbols) == 1:
            for v in range(1, max_size + 1):
                if time.perf_counter() > deadline:
                    exhaustive = False
                    top = v - 1
                    break
                values = dict.fromkeys(symbols, witness)
                values[symbol] = v
                out = attempt(values)
                if out is not None:
                    sizes.append(v)
                    outputs[v] = out
        form = _describe(symbol, sizes, top)
        entry = {
            "symbol": symbol,
            "axes": positions,
            "rule": form["rule"],
            "form": {k: v for k, v in form.items() if k != "rule"},
            "first": sizes[:FIRST_SIZES],
            "examples": [{"input_size": v, "output_shape": outputs[v]} for v in sizes[:4]],
            "searched_up_to": top,
        }
        if len(symbols) > 1:
            entry["others_held_at"] = {s: witness for s in symbols if s != symbol}
        linear = _linear_in_k(form, outputs, symbol)
        if linear is not None:
            entry["output_in_k"] = linear
        axes.append(entry)
    return {
        "framework": framework,
        "input_shape": shown,
        "output_size": None if output_size is None else list(output_size),
        "symbols": axes,
        "rule": "; ".join(a["rule"] for a in axes),
        "closed_form": _closed_form(framework, layers, getattr(run, "graph", None), shown),
        "exhaustive": exhaustive,
    }


def _spatial(framework, shape, rank: int) -> list:
    """The `rank` spatial sizes of an output: before the channels in Keras, the last ones in PyTorch."""
    shape = list(shape)
    if len(shape) < rank + 1:
        return shape
    return shape[len(shape) - rank - 1 : -1] if framework == "keras" else shape[len(shape) - rank :]


def _closed_form(framework, layers, graph, shown):
    """The symbolic output shape (floors and all) where the stack can be traced with the symbols as they
    are; None where it cannot (a skip connection whose two sides the symbols cannot prove equal)."""
    try:
        if layers is not None:
            return trace(framework, shown, layers)["output_shape"]
        return graph.trace([shown])["output_shape"]
    except (ShapeError, TypeError, ValueError, ArithmeticError, RecursionError):
        return None


__all__ = ["DEFAULT_MAX_SIZE", "MAX_MAX_SIZE", "solve_input_sizes"]
