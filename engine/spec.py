"""Declaration types: a layer is data (parameters, formulas, a shape rule shared by its family)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from engine.compile import Formula
from engine.errors import ShapeError
from engine.inert_keywords import INERT_KEYWORDS

MAX_INT = 2**31
REQUIRED = object()
FRAMEWORKS = ("keras", "pytorch")

# Keyword arguments that change weights' values or bookkeeping but never a shape.
KERAS_INERT = frozenset(
    """name dtype trainable kernel_initializer bias_initializer kernel_regularizer bias_regularizer
    activity_regularizer kernel_constraint bias_constraint init weights W_regularizer b_regularizer
    W_constraint b_constraint embeddings_initializer embeddings_regularizer embeddings_constraint
    recurrent_initializer recurrent_regularizer recurrent_constraint depthwise_initializer
    pointwise_initializer depthwise_regularizer pointwise_regularizer depthwise_constraint
    pointwise_constraint beta_initializer gamma_initializer moving_mean_initializer
    moving_variance_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint
    input_shape batch_input_shape batch_size input_dtype lora_rank lora_alpha seed noise_shape
    unit_forget_bias recurrent_dropout dropout_U dropout_W go_backwards stateful unroll
    implementation kernel_quantization_config quantization_config momentum epsilon renorm
    renorm_clipping renorm_momentum synchronized mask_zero sparse rms_scaling
    recurrent_activation inner_activation inner_init forget_bias_init interpolation_order input_dim""".split()
)
# Keras 1 and 2 keywords that Keras 3 refuses: still accepted (and ignored) on every Keras layer, so that
# old forum snippets evaluate.
KERAS_LEGACY_INERT = frozenset(
    """init W_regularizer b_regularizer W_constraint b_constraint dropout_U dropout_W inner_activation inner_init
    forget_bias_init batch_input_shape batch_size input_dtype weights""".split()
)
TORCH_INERT = frozenset(
    [
        "device",
        "dtype",
        "inplace",
        "padding_mode",
        "eps",
        "momentum",
        "max_norm",
        "norm_type",
        "scale_grad_by_freq",
        "sparse",
        "_weight",
        "_freeze",
        "nonlinearity",
        "negative_slope",
        "approximate",
        "min_val",
        "max_val",
        "alpha",
        "beta",
        "threshold",
    ]
)


def _fail(field_name: str, message: str, code: str = "invalid_param"):
    raise ShapeError(code, message, field_name)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---- parsers: (value, rank, field) -> normalized value -------------------------------------


def integer(minimum: int = 1, maximum: int = MAX_INT):
    """A single integer in [minimum, maximum]."""

    def parse(v, rank, fld):
        if type(v) is int and minimum <= v <= maximum:  # fast path; the checks below give the same answer
            return v
        if not _is_int(v):
            _fail(fld, f"{fld.split('.')[-1]} must be an integer, received {v!r}")
        if not minimum <= v <= maximum:
            _fail(fld, f"{fld.split('.')[-1]} must be between {minimum} and {maximum}, received {v}")
        return v

    parse.kind = "int"
    parse.inline = ("int", minimum, maximum)  # lets LayerSpec inline the fast path (see _compile_resolve)
    return parse


def optional(parser):
    """None, or what the inner parser accepts."""

    def parse(v, rank, fld):
        return None if v is None else parser(v, rank, fld)

    parse.kind = f"{parser.kind} | None"
    return parse


def per_axis(minimum: int = 1, maximum: int = MAX_INT):
    """An integer or one integer per spatial axis; widened to a tuple of `rank` integers."""
    one = integer(minimum, maximum)

    def parse(v, rank, fld):
        kind = type(v)
        if kind is int:  # fast paths; the general code below gives the same answer
            if minimum <= v <= maximum:
                return (v,) * rank
        elif (kind is tuple or kind is list) and len(v) == rank:
            for x in v:
                if type(x) is not int or not minimum <= x <= maximum:
                    break
            else:
                return tuple(v)
        if isinstance(v, (list, tuple)):
            if len(v) != rank:
                _fail(fld, f"{fld.split('.')[-1]} must have {rank} value(s), received {list(v)!r}")
            return tuple(one(x, rank, fld) for x in v)
        return (one(v, rank, fld),) * rank

    parse.kind = "int | tuple[int, ...]"
    parse.inline = ("per_axis", minimum, maximum)
    return parse


def choice(*options: str, case_insensitive: bool = True):
    """One of a fixed set of strings."""

    try:
        fast = frozenset(o for o in options if type(o) is str)
    except TypeError:  # pragma: no cover - str options are always hashable
        fast = frozenset()

    def parse(v, rank, fld):
        if type(v) is str:  # fast path; the general code below gives the same answer
            key = v.lower() if case_insensitive else v
            if key in fast:
                return key
        key = v.lower() if isinstance(v, str) and case_insensitive else v
        if key not in options:
            _fail(fld, f"{fld.split('.')[-1]} must be one of {', '.join(map(repr, options))}, received {v!r}")
        return key

    parse.kind = " | ".join(repr(o) for o in options)
    parse.inline = ("choice", fast, case_insensitive)
    return parse


def boolean():
    def parse(v, rank, fld):
        if v is True or v is False:
            return v
        if not isinstance(v, bool):
            _fail(fld, f"{fld.split('.')[-1]} must be true or false, received {v!r}")
        return v

    parse.kind = "bool"
    parse.inline = ("bool",)
    return parse


def number(minimum: float = 0.0, maximum: float = float(MAX_INT), open_min: bool = False):
    """A real number (a rate, a scale factor)."""

    def parse(v, rank, fld):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            _fail(fld, f"{fld.split('.')[-1]} must be a number, received {v!r}")
        if v < minimum or (open_min and v == minimum) or v > maximum:
            _fail(
                fld,
                f"{fld.split('.')[-1]} must be {'above' if open_min else 'at least'} {minimum} and at most {maximum}, received {v}",
            )
        return v

    parse.kind = "float"
    return parse


def identifier():
    """A name such as an activation ('relu'), or None."""

    def parse(v, rank, fld):
        if v is None:
            return None
        if not isinstance(v, str) or not (0 < len(v) <= 64) or not v.replace("_", "").isalnum():
            _fail(fld, f"{fld.split('.')[-1]} must be a name such as 'relu', received {v!r}")
        return v

    parse.kind = "str | None"
    return parse


def int_list(minimum: int = 1, allow_minus_one: bool = False, max_len: int = 16):
    """A tuple of integers (a target shape, a permutation)."""

    def parse(v, rank, fld):
        if _is_int(v):
            v = [v]
        if not isinstance(v, (list, tuple)) or not 0 < len(v) <= max_len:
            _fail(fld, f"{fld.split('.')[-1]} must be a list of at most {max_len} integers, received {v!r}")
        out = []
        for x in v:
            if not _is_int(x) or not ((minimum <= x <= MAX_INT) or (allow_minus_one and x == -1)):
                _fail(
                    fld,
                    f"{fld.split('.')[-1]} holds {x!r}; each entry must be an integer of at least {minimum}"
                    + (" or -1" if allow_minus_one else ""),
                )
            out.append(x)
        return tuple(out)

    parse.kind = "list[int]"
    return parse


def anything():
    """Accepted and ignored: it does not change any shape."""

    def parse(v, rank, fld):
        return v

    parse.kind = "any"
    return parse


# ---- declarations --------------------------------------------------------------------------

# Steps of LayerSpec's precomputed resolve plan.
_REQUIRED_STEP = "required"
_CONSTANT_STEP = "constant"
_PARSE_STEP = "parse"
_NOT_CONSTANT = object()


def _immutable(v) -> bool:
    """True for a value that can be shared between answers: None, bool, int, float, str, or tuples of them."""
    if v is None or type(v) in (bool, int, float, str):
        return True
    return type(v) is tuple and all(_immutable(x) for x in v)


@dataclass(frozen=True)
class Param:
    """One constructor argument, spelled as the framework spells it."""

    name: str
    parse: Callable
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> dict:
        return {
            "name": self.name,
            "type": self.parse.kind,
            "default": None if self.required else _jsonable(self.default),
            "required": self.required,
            "meaning": self.doc,
        }


def _jsonable(v):
    return list(v) if isinstance(v, tuple) else v


@dataclass
class Outcome:
    """What a shape rule returns: named outputs (first = primary) and named weights."""

    outputs: dict[str, tuple]
    weights: dict[str, tuple] = field(default_factory=dict)
    non_trainable: tuple[str, ...] = ()
    param_count: Any = None  # from the declared parameter formula


@dataclass
class LayerSpec:
    """A layer declared once: its parameters, the formulas it uses and the rule that applies them."""

    framework: str
    name: str
    params: tuple[Param, ...]
    rule: Callable[[Context], Outcome]
    formulas: tuple[Formula, ...] = ()
    aliases: tuple[str, ...] = ()
    param_aliases: dict = field(default_factory=dict)  # old keyword -> new name, or (new name, axis)
    rank: int = 1  # spatial rank used to widen per-axis parameters
    input_ranks: tuple[int, ...] = ()  # accepted input ranks, batch included (empty: any >= 2)
    category: str = "other"
    equivalent: str | None = None  # the matching layer in the other framework
    note: str = ""
    options: dict = field(default_factory=dict)  # family-specific constants (layout, gate count, ...)

    def __post_init__(self):
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"unknown framework {self.framework}")
        self.by_name = {p.name: p for p in self.params}
        self.positional = tuple(p.name for p in self.params)
        # Only the keywords this layer's own constructor takes (engine/inert_keywords.py, asked of the
        # frameworks); a layer not in that table yet gets the framework-wide list.
        inert = INERT_KEYWORDS.get(self.framework, {}).get(self.name)
        if inert is None:
            inert = KERAS_INERT if self.framework == "keras" else TORCH_INERT
        elif self.framework == "keras":
            inert = KERAS_LEGACY_INERT.union(inert)
        self.inert = frozenset(n for n in inert if n not in self.by_name)
        self._prepare_fast_resolve()

    def _prepare_fast_resolve(self):
        """Tables for resolve()'s fast path, computed once per declaration.

        The fast path takes a plain dict whose keys are all parameter names or inert keywords (no
        alias): then no key can be unknown or given twice, and resolve() only has to parse each given
        value and fill in the defaults. A default whose parsed value is immutable is parsed here once;
        any other default (or one whose parser fails) is parsed per call, as the general path does."""
        self._fast_keys = frozenset(n for n in (*self.by_name, *self.inert) if n not in self.param_aliases)
        plan = []
        for prm in self.params:
            fld = f"params.{prm.name}"
            default = prm.default
            if default is REQUIRED:
                plan.append((prm.name, prm.parse, fld, _REQUIRED_STEP, None))
                continue
            if default is None:
                plan.append((prm.name, prm.parse, fld, _CONSTANT_STEP, None))
                continue
            try:
                value = prm.parse(default, self.rank, fld)
            except Exception:
                value = _NOT_CONSTANT
            if value is _NOT_CONSTANT or not _immutable(value):
                plan.append((prm.name, prm.parse, fld, _PARSE_STEP, default))
            else:
                plan.append((prm.name, prm.parse, fld, _CONSTANT_STEP, value))
        self._plan = tuple(plan)
        compiled = _compile_resolve(self)
        if compiled is not None:
            # An instance attribute that shadows the method: the same answers and errors, as
            # straight-line code (tests/engine/test_core.py checks it against the general path).
            self.resolve = compiled

    @property
    def key(self) -> str:
        return f"{self.framework}/{self.name}"

    def resolve(self, params: dict) -> dict:
        """Validate the user's keyword arguments; return every parameter with defaults filled in."""
        if type(params) is dict and self._fast_keys.issuperset(params):
            rank = self.rank
            out = {}
            for name, parse, fld, step, value in self._plan:
                if name in params:
                    out[name] = parse(params[name], rank, fld)
                elif step is _CONSTANT_STEP:
                    out[name] = value
                elif step is _REQUIRED_STEP:
                    raise ShapeError("missing_param", f"{self.name} needs {name}", fld)
                else:
                    out[name] = parse(value, rank, fld)
            return out
        return self._resolve_general(params)

    def _resolve_general(self, params) -> dict:
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ShapeError("invalid_params", f"params must be an object, received {type(params).__name__}", "params")
        given: dict = {}
        split: dict = {}
        for raw_key, value in params.items():
            key = raw_key
            if not isinstance(key, str):
                raise ShapeError("unknown_param", f"parameter names are strings, received {key!r}", "params")
            if key in self.param_aliases:
                target = self.param_aliases[key]
                if isinstance(target, tuple):
                    split.setdefault(target[0], {})[target[1]] = (key, value)
                    continue
                key = target
            if key in self.by_name:
                if key in given:
                    raise ShapeError("duplicate_param", f"{key} was given twice (as {raw_key!r})", f"params.{raw_key}")
                given[key] = (raw_key, value)
            elif key in self.inert or self.options.get("ignores_arguments"):
                continue  # (nn.Identity takes any argument and ignores it)
            else:
                names = list(self.by_name) + list(self.param_aliases)
                close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
                takes = (
                    f"it takes {', '.join(self.positional)}"
                    if self.positional
                    else "it takes no parameters that change a shape"
                )
                hint = f"; did you mean {', '.join(close)}?" if close else f"; {takes}"
                raise ShapeError("unknown_param", f"{self.name} has no parameter {key!r}{hint}", f"params.{raw_key}")
        for name, parts in split.items():  # Keras 1 nb_row/nb_col -> kernel_size
            if name in given:
                raise ShapeError("duplicate_param", f"{name} was given twice", f"params.{name}")
            if len(parts) != self.rank:
                missing = sorted(set(range(self.rank)) - set(parts))
                raw = [k for k, v in self.param_aliases.items() if isinstance(v, tuple) and v[1] in missing]
                raise ShapeError("missing_param", f"{self.name} needs {', '.join(raw)} too", f"params.{raw[0]}")
            given[name] = ("/".join(parts[a][0] for a in sorted(parts)), [parts[a][1] for a in sorted(parts)])
        out = {}
        for prm in self.params:
            if prm.name in given:
                raw_key, value = given[prm.name]
                out[prm.name] = prm.parse(value, self.rank, f"params.{raw_key}")
            elif prm.required:
                raise ShapeError("missing_param", f"{self.name} needs {prm.name}", f"params.{prm.name}")
            else:
                default = prm.default
                out[prm.name] = prm.parse(default, self.rank, f"params.{prm.name}") if default is not None else None
        return out

    def describe(self) -> dict:
        """Everything a reference page or the API shows about the layer."""
        return {
            "framework": self.framework,
            "name": self.name,
            "aliases": list(self.aliases),
            "category": self.category,
            "params": [p.describe() for p in self.params],
            "param_aliases": {k: (v if isinstance(v, str) else v[0]) for k, v in self.param_aliases.items()},
            "formulas": [f.rendered for f in self.formulas],
            "equivalent": self.equivalent,
            "note": self.note,
            "input_ranks": list(self.input_ranks),
        }


def _compile_resolve(spec: LayerSpec):
    """resolve() for one declaration as generated straight-line code, or None.

    It follows spec._plan: for each parameter in declaration order, the given value is parsed (the
    fast path of integer/per_axis/choice/boolean parsers inlined, anything else through the parser
    itself), a missing one takes its precomputed default or raises missing_param. Input outside the
    fast path (not a plain dict, an alias, an unknown or non-string key) goes to the general method."""
    ns = {
        "_MISSING": _NOT_CONSTANT,
        "_ShapeError": ShapeError,
        "_fast_keys": spec._fast_keys,
        "_general": spec._resolve_general,
        "_rank": spec.rank,
        "type": type,
        "int": int,
        "str": str,
        "dict": dict,
        "list": list,
        "tuple": tuple,
        "len": len,
    }
    lines = [
        "def resolve(params):",
        "    if type(params) is not dict or not _fast_keys.issuperset(params):",
        "        return _general(params)",
        "    get = params.get",
        "    out = {}",
    ]
    for n, (name, parse, fld, step, value) in enumerate(spec._plan):
        key, where = repr(name), repr(fld)
        ns[f"_p{n}"] = parse
        lines.append(f"    v = get({key}, _MISSING)")
        lines.append("    if v is _MISSING:")
        if step is _REQUIRED_STEP:
            ns[f"_e{n}"] = ("missing_param", f"{spec.name} needs {name}", fld)
            lines.append(f"        raise _ShapeError(*_e{n})")
        elif step is _CONSTANT_STEP:
            ns[f"_c{n}"] = value
            lines.append(f"        out[{key}] = _c{n}")
        else:
            ns[f"_c{n}"] = value
            lines.append(f"        out[{key}] = _p{n}(_c{n}, _rank, {where})")
        inline = getattr(parse, "inline", None)
        kind = inline[0] if isinstance(inline, tuple) and inline else None
        if kind in ("int", "per_axis"):
            ns[f"_lo{n}"], ns[f"_hi{n}"] = inline[1], inline[2]
            result = "v" if kind == "int" else "(v,) * _rank"
            lines.append(f"    elif type(v) is int and _lo{n} <= v <= _hi{n}:")
            lines.append(f"        out[{key}] = {result}")
            if kind == "per_axis" and 1 <= spec.rank <= 3:  # one int per axis, unrolled
                items = [f"x{a}" for a in range(spec.rank)]
                test = " and ".join(
                    [f"(type(v) is list or type(v) is tuple) and len(v) == {spec.rank}"]
                    + [f"type(x{a} := v[{a}]) is int and _lo{n} <= x{a} <= _hi{n}" for a in range(spec.rank)]
                )
                lines.append(f"    elif {test}:")
                lines.append(f"        out[{key}] = ({', '.join(items)},)")
        elif kind == "bool":
            lines.append("    elif v is True or v is False:")
            lines.append(f"        out[{key}] = v")
        elif kind == "choice":
            ns[f"_set{n}"] = inline[1]
            if inline[2]:
                lines.append(f"    elif type(v) is str and (k := v.lower()) in _set{n}:")
                lines.append(f"        out[{key}] = k")
            else:
                lines.append(f"    elif type(v) is str and v in _set{n}:")
                lines.append(f"        out[{key}] = v")
        lines.append("    else:")
        lines.append(f"        out[{key}] = _p{n}(v, _rank, {where})")
    lines.append("    return out")
    src = "\n".join(lines) + "\n"
    try:
        exec(compile(src, f"<resolve {spec.framework}/{spec.name}>", "exec"), ns)  # noqa: S102 - our own code
    except Exception:  # pragma: no cover - the method still answers
        return None
    fn = ns["resolve"]
    fn.__doc__ = LayerSpec.resolve.__doc__
    fn.source = src
    return fn


class Context:
    """What a shape rule sees: the layer, its resolved parameters, the input shape; records formulas used."""

    __slots__ = ("spec", "p", "x", "used")

    def __init__(self, spec: LayerSpec, resolved: dict, input_shape: tuple):
        self.spec = spec
        self.p = resolved
        self.x = input_shape
        self.used: list = []

    def apply(self, formula: Formula, where: str = "", **values):
        """Evaluate a formula and remember it (with the numbers) for the answer."""
        self.used.append((formula, where, values))
        return formula.evaluate(values)  # the formula's compiled fast path (engine.compile)

    def fail(self, code: str, message: str, fld: str | None = None):
        raise ShapeError(code, message, fld)

    @property
    def rank(self) -> int:
        return len(self.x)


def ranks_text(ranks, shift: int = 0) -> str:
    """Accepted ranks as a message says them: '2 to 8' for a run of three or more, else '3 or 4' (each + shift)."""
    ranks = [r + shift for r in ranks]
    if len(ranks) > 2 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]} to {ranks[-1]}"
    return " or ".join(str(r) for r in ranks)


def is_known(v) -> bool:
    """True for a concrete integer dimension."""
    return type(v) is int


def product(dims):
    """Product of dimensions; None if any is unknown."""
    out = 1
    for v in dims:
        if v is None:
            return None
        out = out * v
    return out if not isinstance(out, sp.Basic) or not out.is_Integer else int(out)
