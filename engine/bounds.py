"""Bounds on what one request may make the engine build: value size and depth, expression depth, symbolic work.

Each guard is a small function (or a context) that any reader of user input can call: engine.snippet
uses them, and so can any other reader. They measure without recursion, so input nested thousands
deep is measured, not followed, and they stop counting as soon as a limit is passed.
"""

from __future__ import annotations

import ast
import contextvars
from contextlib import contextmanager

from engine.errors import ShapeError

MAX_VALUE_NODES = 1000  # items (lists, dicts and scalars counted alike) in one value a reader builds
MAX_VALUE_DEPTH = 8  # nesting of lists/tuples/dicts in one value
MAX_EXPRESSION_DEPTH = 100  # nesting of one Python expression a reader looks at (a.a.a..., f(1)(1)...)
MAX_WEIGHT_ENTRIES = 10_240  # weight tensors one layer's answer may list
MAX_WEIGHT_ENTRIES_BUILT = 100_000  # weight tensors one request may make the engine build (a trace: all layers)
# Symbolic work per request, in terms: each formula evaluated on a symbol costs its result's size in
# SymPy nodes plus SYMBOLIC_STEP_COST for the evaluation itself (SymPy's floor/ceil ask assumptions on
# every call, a millisecond or two even for `H - 1`). 2,400 terms keep a request near half a second.
MAX_SYMBOLIC_TERMS = 2400
SYMBOLIC_STEP_COST = 8


def value_size(value, nodes: int = MAX_VALUE_NODES, depth: int = MAX_VALUE_DEPTH) -> tuple[int, int]:
    """(items, nesting) of a value counted as a tree: a list shared n times counts n times.

    Lists, tuples and dicts nest; everything else is one item. Counting stops as soon as either
    figure passes its bound, so a value of 10**10 items through shared references costs `nodes` steps."""
    count, deepest, stack = 0, 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        count += 1
        if isinstance(item, (list, tuple, dict)):
            level += 1
            deepest = max(deepest, level)
            children = (*item.keys(), *item.values()) if isinstance(item, dict) else item
            stack.extend((child, level) for child in children)
        if count + len(stack) > nodes or deepest > depth:  # what is on the stack will be counted too
            return count + len(stack), deepest
    return count, deepest


def check_value(
    value, field: str | None, what: str = "the value", nodes: int = MAX_VALUE_NODES, depth: int = MAX_VALUE_DEPTH
):
    """The value itself; ShapeError (value_too_large / value_too_deep) when it is bigger or deeper than the bounds."""
    check_size(*value_size(value, nodes, depth), field, what, nodes, depth)
    return value


def check_size(
    count: int, deepest: int, field: str | None, what: str, nodes: int = MAX_VALUE_NODES, depth: int = MAX_VALUE_DEPTH
) -> None:
    """ShapeError for a value of `count` items nested `deepest` deep (as value_size measures) past the bounds."""
    if deepest > depth:
        raise ShapeError("value_too_deep", f"{what} nests lists more than {depth} deep", field)
    if count > nodes:
        raise ShapeError(
            "value_too_large", f"{what} has more than {nodes} items (shared references counted each time)", field
        )


def expression_depth(node: ast.AST, limit: int = MAX_EXPRESSION_DEPTH) -> int:
    """Nesting depth of a syntax tree, measured without recursion; stops at limit + 1."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(item))
    return deepest


def check_expression_depth(tree: ast.AST, field: str | None, limit: int = MAX_EXPRESSION_DEPTH) -> None:
    """Raise ShapeError (expression_too_deep) naming the line of the first statement nested past the limit."""
    statements = tree.body if isinstance(tree, ast.Module) else [tree]
    for stmt in statements:
        if expression_depth(stmt, limit) > limit:
            line = getattr(stmt, "lineno", None)
            where = f"line {line}: " if line else ""
            raise ShapeError(
                "expression_too_deep", f"{where}an expression is nested more than {limit} deep; write it flatter", field
            )


def source_excerpt(node: ast.AST, limit: int = 60) -> str:
    """A node's source text for a message, at most `limit` characters; never recurses past MAX_EXPRESSION_DEPTH."""
    if expression_depth(node) > MAX_EXPRESSION_DEPTH:
        return f"an expression nested more than {MAX_EXPRESSION_DEPTH} deep"
    return ast.unparse(node)[:limit]


def check_weight_entries(count: int, field: str | None = "params", limit: int = MAX_WEIGHT_ENTRIES) -> None:
    """Raise ShapeError (answer_too_large) when an answer would hold more than `limit` weight tensors."""
    if count > limit:
        raise ShapeError(
            "answer_too_large",
            f"the answer would hold {count} weight tensors; at most {limit}"
            + (" per layer" if limit == MAX_WEIGHT_ENTRIES else " per request"),
            field,
        )


def check_dimensions(shape, field: str, maximum: int) -> None:
    """Raise ShapeError (dimension_too_large) when an integer dimension is above maximum, as inputs are refused."""
    for n, v in enumerate(shape):
        if type(v) is int and v > maximum:
            digits = len(str(v)) if v < 10**400 else "more than 400"
            raise ShapeError(
                "dimension_too_large",
                f"output dimension {n} would be a number of {digits} digits; dimensions are at most {maximum}",
                f"{field}[{n}]",
            )


# ---- symbolic work per request ------------------------------------------------------------------


class _SymbolicBudget:
    __slots__ = ("spent", "limit", "known")

    def __init__(self, limit: int):
        self.spent, self.limit, self.known = 0, limit, {}


_symbolic: contextvars.ContextVar[_SymbolicBudget | None] = contextvars.ContextVar("symbolic_budget", default=None)


@contextmanager
def symbolic_budget(limit: int = MAX_SYMBOLIC_TERMS):
    """Within this context (one engine call), symbolic formula evaluations share `limit` terms."""
    token = _symbolic.set(_SymbolicBudget(limit))
    try:
        yield
    finally:
        _symbolic.reset(token)


def recall_symbolic(key):
    """A result already worked out (and paid for) in this request, or None."""
    budget = _symbolic.get()
    return None if budget is None else budget.known.get(key)


def spend_symbolic(key, result, terms: int, symbols) -> None:
    """Charge one new symbolic result of `terms` nodes and keep it; ShapeError (symbolic_too_complex) past the budget."""
    budget = _symbolic.get()
    if budget is None:
        return
    budget.spent += terms + SYMBOLIC_STEP_COST
    if budget.spent > budget.limit:
        names = ", ".join(sorted(s.name for s in symbols)) or "the symbols"
        raise ShapeError(
            "symbolic_too_complex",
            f"this request needs more than {budget.limit} terms of symbolic work; give a number for {names}",
            "input_shape",
        )
    budget.known[key] = result
