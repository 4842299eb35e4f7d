"""Formulas: a SymPy expression compiled once into integer-exact Python, rendered once."""

from __future__ import annotations

import keyword
import math
from functools import cached_property

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from engine import bounds, render
from engine.errors import ShapeError

# Largest symbolic expression (in SymPy tree nodes) one output dimension may grow to.
MAX_SYMBOLIC_NODES = 120


class _IntegerCodePrinter(PythonCodePrinter):
    """Prints floor(a/b) as a // b so that large dimensions stay exact (no float division)."""

    def _split(self, e):
        num, den = sp.fraction(sp.together(e.args[0]))
        return self._print(num), (None if den == 1 else self._print(den)), num

    def _print_floor(self, e):
        num, den, raw = self._split(e)
        if den is None:
            return f"({num})" if raw.is_integer else f"math.floor({num})"
        return f"(({num}) // ({den}))"

    def _print_ceiling(self, e):
        num, den, raw = self._split(e)
        if den is None:
            return f"({num})" if raw.is_integer else f"math.ceil({num})"
        return f"(-((-({num})) // ({den})))"

    def _print_Max(self, e):
        return "max(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Min(self, e):
        return "min(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Mul(self, e):
        # Exact divisions (C_in/g once groups divide channels) stay integers.
        num, den = sp.fraction(e)
        if den != 1:
            return f"(({self._print(num)}) // ({self._print(den)}))"
        return super()._print_Mul(e)

    def _print_Rational(self, e):
        # A bare fraction would turn the result into a float; formulas must keep it inside floor/ceil.
        if e.q != 1:
            raise ValueError(f"formula has a bare fraction {e}: put it inside floor() or ceiling()")
        return str(e.p)


class Formula:
    """One named formula `target = expr`, compiled once and rendered once."""

    def __init__(self, key: str, target: sp.Symbol, expr: sp.Expr, doc: str = ""):
        self.key = key
        self.target = target
        self.expr = expr if isinstance(expr, sp.Basic) else sp.Integer(expr)  # declarations only
        self.args = tuple(sorted(self.expr.free_symbols, key=lambda sym: sym.name))
        self.arg_names = tuple(a.name for a in self.args)
        self.doc = doc
        self.fn = sp.lambdify(
            self.args,
            self.expr,
            modules=[{"math": math, "max": max, "min": min}, "math"],
            printer=_IntegerCodePrinter,
            docstring_limit=0,
        )
        # Per-call fast path: an instance attribute that shadows the method below (same signature,
        # same results). It reads the arguments from the dict, and when they are all ints runs the
        # very expression lambdify compiled into self.fn, inlined; anything else goes through the
        # general method.
        fast = _fast_evaluator(self)
        if fast is not None:
            self.evaluate = fast

    def __repr__(self) -> str:
        return f"Formula({self.key}: {self.text})"

    @cached_property
    def equation(self):
        return sp.Eq(self.target, self.expr, evaluate=False)

    @cached_property
    def rendered(self) -> dict:
        """text, latex and mathml of the general formula, computed once."""
        return {"key": self.key, "doc": self.doc, **render.render(self.equation)}

    @cached_property
    def answer_entry(self) -> dict:
        """rendered plus the per-call keys (where, values) in answer order; evaluate() copies it per
        answer (a copy already sized for all seven keys) and fills in where and values."""
        return {**self.rendered, "where": "", "values": None}

    @property
    def text(self) -> str:
        return self.rendered["text"]

    def evaluate(self, values: dict):
        """Value of the formula for {name: int | float | None | SymPy expr}; None if an input is unknown.

        Instances normally answer through a compiled fast path (see __init__); this is the general method."""
        vals = [values[name] for name in self.arg_names]
        if all(type(v) is int or type(v) is float for v in vals):
            return self.fn(*vals)
        if any(v is None for v in vals):
            return None
        # Symbolic work is bounded per request (engine.bounds): the same formula on the same inputs
        # is worked out once per request, and each new result is charged by its size.
        memo_key = (self, tuple(vals))
        known = bounds.recall_symbolic(memo_key)
        if known is not None:
            return known
        env = {a: (sp.Rational(repr(v)) if isinstance(v, float) else v) for a, v in zip(self.args, vals, strict=True)}
        out = self.expr.xreplace(env)  # no simplify(): its cost grows exponentially along a trace
        if out.is_Integer:
            bounds.spend_symbolic(memo_key, int(out), 1, ())
            return int(out)
        # A symbol carried through a long stack nests floor() in floor(): each dimension's size is bounded too.
        size = 0
        for _ in sp.preorder_traversal(out):
            size += 1
            if size > MAX_SYMBOLIC_NODES:
                names = ", ".join(sorted(s.name for s in out.free_symbols))
                raise ShapeError(
                    "symbolic_too_complex",
                    f"the expression for this dimension grew past {MAX_SYMBOLIC_NODES} terms; give a number for {names}",
                    "input_shape",
                )
        bounds.spend_symbolic(memo_key, out, size, out.free_symbols)
        return out

    def substituted(self, values: dict) -> dict:
        """The formula with the given numbers put in, in all three renderings (for display)."""
        # The general formula is printed with each symbol shown as its value, so the layout stays the
        # formula's own (floor((10 - 1*(3 - 1) + 2*0 - 1)/2) + 1) instead of SymPy folding it.
        shown = {
            a: values[a.name]
            for a in self.args
            if values.get(a.name) is not None and not isinstance(values[a.name], bool)
        }
        return render.render(self.equation, explicit_times=True, shown=shown)


# Names the generated fast evaluator uses itself; a formula whose symbols collide keeps the general method.
_RESERVED = frozenset({"values", "type", "int", "_general", "math", "max", "min"})


def _fast_evaluator(formula: Formula):
    """A function values -> value with the same results as Formula.evaluate, faster for int inputs.

    It inlines the source that lambdify generated for formula.fn (the same printer prints it again,
    and the code runs in fn's own namespace), so int arithmetic is the compiled formula's exactly."""
    names = formula.arg_names
    if any(not n.isidentifier() or keyword.iskeyword(n) or n in _RESERVED or n.startswith("_") for n in names):
        return None
    try:
        code = _IntegerCodePrinter().doprint(formula.expr)
    except Exception:  # pragma: no cover - lambdify printed it already in __init__
        return None
    reads = "".join(f"    {n} = values[{n!r}]\n" for n in names)
    test = " and ".join(f"type({n}) is int" for n in names) or "True"
    src = f"def evaluate(values):\n{reads}    if {test}:\n        return {code}\n    return _general(values)\n"
    namespace = dict(formula.fn.__globals__)
    namespace.update(_general=Formula.evaluate.__get__(formula), type=type, int=int)
    exec(compile(src, f"<formula {formula.key}>", "exec"), namespace)  # noqa: S102 - our own printed formula
    fast = namespace["evaluate"]
    fast.__doc__ = Formula.evaluate.__doc__
    fast.source = src
    return fast
