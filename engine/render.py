"""Text, LaTeX and presentation MathML of formulas, with floor/ceil arguments shown as one fraction."""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.str import StrPrinter

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _as_fraction(arg):
    """floor(L/2 - 1/2) reads better as floor((L - 1)/2): regroup over a common denominator."""
    num, den = sp.fraction(arg)
    if den != 1 or not arg.is_Add:
        return num, den
    # SymPy distributes numeric fractions over sums (L/2 - 1/2); regroup them without together(),
    # whose cost grows with the nesting of floor() in floor() along a trace.
    scale = 1
    for term in arg.args:
        coeff, rest = term.as_coeff_Mul()
        if not coeff.is_Rational or sp.fraction(rest)[1] != 1:
            return sp.fraction(sp.together(arg))
        scale = sp.ilcm(scale, coeff.q)
    if scale == 1:
        return arg, sp.Integer(1)
    return sp.Add(*(term * scale for term in arg.args)), sp.Integer(scale)


class _TextPrinter(StrPrinter):
    shown: dict = {}

    def _print_Symbol(self, e):
        value = self.shown.get(e)
        if value is None:
            return super()._print_Symbol(e)
        if isinstance(value, (int, float)):
            return repr(value)
        return _TextPrinter().doprint(value) if value.is_Atom else f"({_TextPrinter().doprint(value)})"

    def _print_bracket(self, name, e):
        num, den = _as_fraction(e.args[0])
        if den == 1:
            return f"{name}({self._print(num)})"
        top = self._print(num) if num.is_Atom or num.is_Function else f"({self._print(num)})"
        return f"{name}({top}/{self.parenthesize(den, 100)})"

    def _print_Equality(self, e):
        return f"{self._print(e.lhs)} = {self._print(e.rhs)}"

    def _print_floor(self, e):
        return self._print_bracket("floor", e)

    def _print_ceiling(self, e):
        return self._print_bracket("ceil", e)


class _LatexPrinter(LatexPrinter):
    shown: dict = {}

    def _print_Symbol(self, e, style="plain"):
        value = self.shown.get(e)
        if value is None:
            return super()._print_Symbol(e, style)
        if isinstance(value, (int, float)):
            return repr(value)
        inner = _LatexPrinter().doprint(value)
        return inner if value.is_Atom else rf"\left({inner}\right)"

    def _print_bracket(self, left, right, e):
        num, den = _as_fraction(e.args[0])
        inner = self._print(num) if den == 1 else rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        return rf"\left{left}{inner}\right{right}"

    def _print_floor(self, e, exp=None):
        return self._print_bracket(r"\lfloor ", r"\rfloor ", e)

    def _print_ceiling(self, e, exp=None):
        return self._print_bracket(r"\lceil ", r"\rceil ", e)


class _MathMLPrinter(MathMLPresentationPrinter):
    shown: dict = {}

    def _print_Symbol(self, e, style="plain"):
        value = self.shown.get(e)
        if value is None:
            return super()._print_Symbol(e, style)
        if isinstance(value, (int, float)):
            number = self.dom.createElement("mn")
            number.appendChild(self.dom.createTextNode(repr(value)))
            return number
        return _MathMLPrinter()._print(value) if value.is_Atom else self._parenthesized(value)

    def _parenthesized(self, value):
        mrow = self.dom.createElement("mrow")
        for part in ("(", value, ")"):
            if isinstance(part, str):
                node = self.dom.createElement("mo")
                node.appendChild(self.dom.createTextNode(part))
            else:
                node = _MathMLPrinter()._print(part)
            mrow.appendChild(node)
        return mrow

    def _print_bracket(self, left, right, e):
        num, den = _as_fraction(e.args[0])
        mrow = self.dom.createElement("mrow")
        lo = self.dom.createElement("mo")
        lo.appendChild(self.dom.createTextNode(left))
        ro = self.dom.createElement("mo")
        ro.appendChild(self.dom.createTextNode(right))
        mrow.appendChild(lo)
        if den == 1:
            mrow.appendChild(self._print(num))
        else:
            frac = self.dom.createElement("mfrac")
            frac.appendChild(self._print(num))
            frac.appendChild(self._print(den))
            mrow.appendChild(frac)
        mrow.appendChild(ro)
        return mrow

    def _print_floor(self, e):
        return self._print_bracket("\u230a", "\u230b", e)

    def _print_ceiling(self, e):
        return self._print_bracket("\u2308", "\u2309", e)


def _printer(cls, explicit_times: bool, shown: dict | None):
    printer = cls({"mul_symbol": "dot"} if explicit_times else None)
    printer.shown = shown or {}
    return printer


def to_text(expr, shown: dict | None = None) -> str:
    """Plain text, e.g. floor((H - 1)/2) + 1."""
    return _printer(_TextPrinter, False, shown).doprint(expr) if shown else _TextPrinter().doprint(expr)


def to_latex(expr, explicit_times: bool = False, shown: dict | None = None) -> str:
    """LaTeX source."""
    return _printer(_LatexPrinter, explicit_times, shown).doprint(expr)


def to_mathml(expr, display: str = "block", explicit_times: bool = False, shown: dict | None = None) -> str:
    """A complete presentation-MathML <math> element."""
    body = _printer(_MathMLPrinter, explicit_times, shown).doprint(expr)
    return f'<math xmlns="{MATHML_NS}" display="{display}">{body}</math>'


def render(expr, explicit_times: bool = False, shown: dict | None = None) -> dict:
    """All three renderings of one expression or equation.

    shown: {symbol: value} printed in place of those symbols, keeping the formula's own layout;
    explicit_times: a visible multiplication dot, needed once numbers stand side by side (3 times 32
    written as 3 32 would read as 332)."""
    return {
        "text": to_text(expr, shown),
        "latex": to_latex(expr, explicit_times, shown),
        "mathml": to_mathml(expr, explicit_times=explicit_times, shown=shown),
    }
