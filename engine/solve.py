"""Work backwards: every setting of a convolution, transposed convolution or pooling layer that gives a wanted size.

`solve(framework, layer, input_shape, output_size, params=None, bounds=None, limit=100)` inverts the
per-axis formulas the layers are declared with (engine/layers/conv.py, conv_transpose.py, pool.py):

- For each axis, every (kernel, dilation) pair of the bounds is enumerated (at most MAX_PAIRS), and the
  stride, the padding and the output_padding are solved as integer ranges: for a fixed effective kernel
  x = d(k - 1) the forward formula floor((L + 2p - x - 1)/s) + 1 = T holds exactly when
  (T - 1)s <= L + 2p - x - 1 <= Ts - 1, which is an interval of s for each p and an interval of p
  for each s; the transposed formula (L - 1)s - 2p + x + op + 1 = T fixes op for each (s, p). Only
  strides that can reach the target at all are visited, so a bound of 1..64 on every parameter stays
  well under a second.
- Settings shared by every axis (the padding mode, Keras `output_padding=None`, PyTorch `ceil_mode`,
  Keras's rule that strides > 1 cannot meet dilation_rate > 1 on any axis, PyTorch's padding='same'
  that refuses stride > 1) split the search into groups; within a group the axes are independent, so
  `total` is a sum of products and nothing is enumerated axis by axis.
- The framework's rules are those the forward engine applies: PyTorch output_padding < max(stride,
  dilation), Keras output_padding < strides, PyTorch pooling's padding <= kernel_size / 2, AvgPool3d's
  input >= kernel, padding_mode='reflect'/'circular' limits, a kernel larger than the padded input.
  Every solution returned is run through the forward engine (the validation and layer rule `evaluate`
  runs), and its output shape is the one asked for.

Default bounds (`DEFAULT_BOUNDS`): kernel 1..8, stride 1..8, dilation 1..3, PyTorch padding 0..4 (and
'same' for a convolution), output_padding 0..7 (Keras: None and 0..7), ceil_mode false and true, Keras
padding every mode the layer takes. A bound is `[lo, hi]` (two integers: a range) or any other list of
allowed values (at most `MAX_BOUND_VALUES`). Ranking, simplest first: a smaller sum over the axes of
2(k - 1) + (0 for stride 1 or the stride that does the resizing, else 3s) + 4(d - 1) + the padding
(p, or 1 for 'same', 2 for 'causal', +2 when the padding falls unevenly on the two sides) + output_padding
(0 for None, else 1 + op) + 2 for ceil_mode, plus 3 for each parameter whose value differs between
the axes; then smaller values.

Every request is bounded: MAX_PAIRS kernel/dilation pairs and WORK_BUDGET strides tried per axis,
SOLVE_SECONDS for the count (past either, `exhaustive` is false and `total` counts what was covered),
`limit` <= MAX_LIMIT solutions, and the nearest sizes searched for NEAREST_SECONDS within
max(NEAREST_RADIUS, T/4) of each target.
"""

from __future__ import annotations

import bisect
import heapq
import time
from dataclasses import dataclass

from engine.api import _apply, _lookup, parse_input_shape, show_dim, show_shape
from engine.errors import ShapeError
from engine.layers._common import axis_name, split_channels
from engine.layers.conv import keras_conv_rule, torch_conv_rule
from engine.layers.conv_depthwise import depthwise_rule, separable_rule
from engine.layers.conv_transpose import keras_conv_transpose_rule, torch_conv_transpose_rule
from engine.layers.pool import keras_pool_rule, torch_pool_rule
from engine.spec import MAX_INT

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_BOUND_VALUES = 4096
MAX_PAIRS = 65_536  # kernel sizes times dilations, per axis
# Bounds on one request's work; past either, the search stops and the answer says exhaustive=false:
# strides tried per axis, and seconds for the whole count (a quiet machine answers 1..64 bounds in
# tens of milliseconds, the worst cases in a few hundred).
WORK_BUDGET = 2_000_000
SOLVE_SECONDS = 3.0
NEAREST_SECONDS = 0.5
NEAREST_COUNT = 6
NEAREST_RADIUS = 64  # sizes searched on each side of the target: at least this many, or a quarter of it
UNEVEN_COST = 3  # per parameter whose value differs between the axes
COMBO_BUDGET_PER_SOLUTION = 50  # combinations of the axes' settings looked at per solution listed

DEFAULT_RANGES = {"kernel": (1, 8), "stride": (1, 8), "dilation": (1, 3), "padding": (0, 4), "output_padding": (0, 7)}


@dataclass(frozen=True)
class Family:
    """How one layer family names its searchable parameters and which output rule it follows."""

    kind: str  # 'torch_conv', 'torch_transpose', 'torch_pool', 'keras_conv', 'keras_transpose', 'keras_pool'
    kernel: str
    stride: str
    padding: str
    dilation: str | None = None
    output_padding: str | None = None
    ceil_mode: str | None = None
    stride_or_dilation: bool = False  # Keras Conv/ConvTranspose: strides > 1 never meets dilation_rate > 1

    @property
    def searched(self) -> tuple[str, ...]:
        names = (self.kernel, self.stride, self.padding, self.dilation, self.output_padding, self.ceil_mode)
        return tuple(n for n in names if n is not None)


_KERAS_CONV = Family("keras_conv", "kernel_size", "strides", "padding", "dilation_rate", stride_or_dilation=True)
_KERAS_DEPTHWISE = Family("keras_conv", "kernel_size", "strides", "padding", "dilation_rate")
_FAMILIES = {
    torch_conv_rule: Family("torch_conv", "kernel_size", "stride", "padding", "dilation"),
    torch_conv_transpose_rule: Family(
        "torch_transpose", "kernel_size", "stride", "padding", "dilation", "output_padding"
    ),
    keras_conv_rule: _KERAS_CONV,
    depthwise_rule: _KERAS_DEPTHWISE,
    separable_rule: _KERAS_DEPTHWISE,
    keras_conv_transpose_rule: Family(
        "keras_transpose",
        "kernel_size",
        "strides",
        "padding",
        "dilation_rate",
        "output_padding",
        stride_or_dilation=True,
    ),
    keras_pool_rule: Family("keras_pool", "pool_size", "strides", "padding"),
}


def _family(spec) -> Family:
    if spec.rule is torch_pool_rule:
        has_dilation = "dilation" in spec.by_name
        return Family(
            "torch_pool", "kernel_size", "stride", "padding", "dilation" if has_dilation else None, None, "ceil_mode"
        )
    family = _FAMILIES.get(spec.rule)
    if family is None:
        raise ShapeError(
            "not_solvable",
            f"{spec.name} is not a convolution, transposed convolution or pooling layer with a kernel and a stride; "
            "the solver works backwards through those",
            "layer",
        )
    return family


def _padding_modes(spec) -> tuple:
    """The strings the layer's padding parameter takes ('valid', 'same', 'causal')."""
    kind = spec.by_name["padding"].parse.kind
    return tuple(m for m in ("valid", "same", "causal") if repr(m) in kind)


def default_bounds(framework, layer) -> dict:
    """The search space `solve` uses for a parameter the request does not bound."""
    spec = _lookup(framework, layer)
    fam = _family(spec)
    out = {fam.kernel: list(DEFAULT_RANGES["kernel"]), fam.stride: list(DEFAULT_RANGES["stride"])}
    if fam.dilation:
        out[fam.dilation] = list(DEFAULT_RANGES["dilation"])
    if fam.kind in ("torch_conv", "torch_transpose", "torch_pool"):
        lo, hi = DEFAULT_RANGES["padding"]
        out[fam.padding] = list(range(lo, hi + 1)) + (["same"] if fam.kind == "torch_conv" else [])
    else:
        out[fam.padding] = list(_padding_modes(spec))
    if fam.output_padding:
        lo, hi = DEFAULT_RANGES["output_padding"]
        out[fam.output_padding] = ([None] if fam.kind == "keras_transpose" else []) + list(range(lo, hi + 1))
    if fam.ceil_mode:
        out[fam.ceil_mode] = [False, True]
    return out


# ---- reading the request ---------------------------------------------------------------------


def _bound_values(
    name: str, raw, fld: str, minimum: int, strings: tuple = (), allow_none: bool = False, take_ints: bool = True
) -> list:
    """A bound as the list of its allowed values (duplicates dropped): [lo, hi] (a range) or a list of values."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ShapeError(
            "invalid_bounds", f"{fld} must be [lo, hi] or a list of allowed values, received {raw!r}"[:200], fld
        )
    ints = [v for v in raw if type(v) is int]
    if len(raw) == 2 and len(ints) == 2:
        lo, hi = raw
        if not minimum <= lo <= hi <= MAX_INT:
            raise ShapeError(
                "invalid_bounds", f"{fld} must be [lo, hi] with {minimum} <= lo <= hi, received {list(raw)}", fld
            )
        if hi - lo + 1 > MAX_BOUND_VALUES:
            raise ShapeError(
                "invalid_bounds", f"{fld} spans {hi - lo + 1} values; at most {MAX_BOUND_VALUES} are searched", fld
            )
        return list(range(lo, hi + 1))
    if len(raw) > MAX_BOUND_VALUES:
        raise ShapeError("invalid_bounds", f"{fld} lists {len(raw)} values; at most {MAX_BOUND_VALUES}", fld)
    out = []
    for v in raw:
        if take_ints and type(v) is int and minimum <= v <= MAX_INT:
            out.append(v)
        elif isinstance(v, str) and v.lower() in strings:
            out.append(v.lower())
        elif v is None and allow_none:
            out.append(None)
        elif type(v) is bool and not strings and not allow_none and name == "ceil_mode":
            out.append(v)
        else:
            kinds = ([f"integers of at least {minimum}"] if take_ints else []) + [repr(m) for m in strings]
            allowed = ", ".join(kinds + (["null"] if allow_none else []))
            raise ShapeError("invalid_bounds", f"{fld} holds {v!r}; its values are {allowed}"[:300], fld)
    seen = []
    for v in out:
        if v not in seen:
            seen.append(v)
    return seen


class _Problem:
    """The validated request: per-axis value lists for every searched parameter, the fixed rest."""

    def __init__(self, framework, layer, input_shape, output_size, params, bounds, limit):
        self.spec = spec = _lookup(framework, layer)
        self.family = fam = _family(spec)
        self.framework = spec.framework
        self.rank = rank = spec.rank
        shape = parse_input_shape(input_shape)
        if spec.input_ranks and len(shape) not in spec.input_ranks:
            raise ShapeError(
                "rank_mismatch",
                f"{spec.name} expects an input of rank {' or '.join(map(str, spec.input_ranks))} (batch included), "
                f"received rank {len(shape)}",
                "input_shape",
            )
        self.input_shape = shape
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ShapeError("invalid_params", f"params must be an object, received {type(params).__name__}", "params")
        if bounds is None:
            bounds = {}
        if not isinstance(bounds, dict):
            raise ShapeError("invalid_bounds", f"bounds must be an object, received {type(bounds).__name__}", "bounds")
        if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
            raise ShapeError(
                "invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}, received {limit!r}", "limit"
            )
        self.limit = limit
        self.deadline = time.perf_counter() + SOLVE_SECONDS
        channels_last = spec.framework == "keras" and params.get("data_format", "channels_last") != "channels_first"
        lead, channels, spatial, offset = split_channels(shape, rank, channels_last)
        for a, length in enumerate(spatial):
            if type(length) is not int:
                raise ShapeError(
                    "unknown_dimension",
                    f"the spatial size on axis {axis_name(rank, a)} must be a number to work backwards, received {length!r}",
                    f"input_shape[{offset + a}]",
                )
        self.spatial = spatial
        self.target = _read_output_size(output_size, rank)
        # Parameters the search does not touch: those given, and the required ones the input implies.
        fixed = dict(params)
        for key in list(fixed):
            if key in spec.param_aliases:
                target = spec.param_aliases[key]
                target = target if isinstance(target, str) else target[0]
                raise ShapeError("unknown_param", f"give {key!r} by its current name, {target!r}", f"params.{key}")
            if key not in spec.by_name and key not in spec.inert:
                spec.resolve({key: fixed[key]})  # the engine's own message for an unknown keyword
        if spec.framework == "pytorch" and "in_channels" in spec.by_name:
            if type(channels) is not int:
                raise ShapeError(
                    "unknown_dimension", "the channel dimension must be known", f"input_shape[{offset - 1}]"
                )
            fixed.setdefault("in_channels", channels)
            fixed.setdefault("out_channels", fixed["in_channels"])
        if "filters" in spec.by_name:
            fixed.setdefault("filters", channels if type(channels) is int else 1)
        searched = fam.searched
        for name in bounds:
            if name not in searched:
                raise ShapeError(
                    "invalid_bounds",
                    f"{spec.name} cannot search {name!r}; bounds may name {', '.join(searched)}",
                    f"bounds.{name}",
                )
            if name in params:
                raise ShapeError(
                    "invalid_bounds", f"{name} is held fixed in params and bounded too; give one", f"bounds.{name}"
                )
        base = {k: v for k, v in fixed.items() if k not in searched}
        probe = dict(base)
        for name in searched:
            if name in params:
                probe[name] = params[name]
            elif spec.by_name[name].required:
                probe[name] = 1  # a placeholder: the search sets it
        self.resolved = spec.resolve(probe)  # validates the fixed values as the forward engine does
        self.base = base
        self.given = {name: params[name] for name in searched if name in params}
        defaults = default_bounds(spec.framework, spec.name)
        self.axis_values: dict[str, list] = {}  # name -> per-axis list of sorted allowed values
        self.shared_values: dict[str, list] = {}  # padding modes, keras op None, ceil_mode
        self._read_bounds(bounds, defaults)
        self.bounds_used = {name: _bound_text(self, name) for name in searched}
        kernels = max(len(v) for v in self.axis_values[fam.kernel]) if self.axis_values[fam.kernel][0] else 1
        dilations = max(len(v) for v in self.axis_values[fam.dilation]) if fam.dilation else 1
        if kernels * dilations > MAX_PAIRS:  # every pair is visited: keep it bounded
            name = fam.dilation if fam.dilation and fam.dilation in bounds else fam.kernel
            raise ShapeError(
                "invalid_bounds",
                f"{kernels} kernel sizes times {dilations} dilations is {kernels * dilations} pairs; at most {MAX_PAIRS}",
                f"bounds.{name}",
            )

    def _read_bounds(self, bounds: dict, defaults: dict):
        fam, rank, resolved = self.family, self.rank, self.resolved
        per_axis_minimum = {fam.kernel: 1, fam.stride: 1, fam.dilation: 1, fam.output_padding: 0}
        for name in (fam.kernel, fam.stride, fam.dilation):
            if name is None:
                continue
            if name in self.given:
                value = resolved[name]
                if value is None:  # a PyTorch pooling stride of None: the kernel, axis by axis
                    self.axis_values[name] = [None] * rank
                    continue
                self.axis_values[name] = [[value[a]] for a in range(rank)]
                continue
            raw = bounds.get(name, defaults[name])
            values = _bound_values(name, raw, f"bounds.{name}", per_axis_minimum[name])
            if any(type(v) is not int for v in values):
                raise ShapeError("invalid_bounds", f"bounds.{name} takes integers only", f"bounds.{name}")
            self.axis_values[name] = [sorted(values)] * rank
        # padding
        name = fam.padding
        torch_like = fam.kind.startswith("torch")
        modes = _padding_modes(self.spec) if "padding" in self.spec.by_name else ()
        if fam.kind in ("torch_transpose", "torch_pool"):
            modes = ()
        if name in self.given:
            value = resolved[name]
            if isinstance(value, str):
                self.shared_values[name] = [value]
                self.axis_values[name] = [[None]] * rank
            else:
                self.shared_values[name] = ["int"]
                self.axis_values[name] = [[value[a]] for a in range(rank)]
        else:
            raw = bounds.get(name, defaults[name])
            values = _bound_values(name, raw, f"bounds.{name}", 0, strings=modes, take_ints=torch_like)
            strings = [v for v in values if isinstance(v, str)]
            ints = sorted(v for v in values if type(v) is int)
            if ints and not torch_like:
                raise ShapeError(
                    "invalid_bounds",
                    f"bounds.{name} of a Keras layer lists modes: {', '.join(map(repr, modes))}",
                    f"bounds.{name}",
                )
            self.shared_values[name] = (["int"] if ints else []) + strings
            self.axis_values[name] = [ints] * rank
        # output_padding
        name = fam.output_padding
        if name is not None:
            keras = fam.kind == "keras_transpose"
            if name in self.given:
                value = resolved[name]
                self.shared_values[name] = [None] if value is None else ["int"]
                self.axis_values[name] = [[]] * rank if value is None else [[value[a]] for a in range(rank)]
            else:
                raw = bounds.get(name, defaults[name])
                values = _bound_values(name, raw, f"bounds.{name}", 0, allow_none=keras)
                ints = sorted(v for v in values if type(v) is int)
                self.shared_values[name] = ([None] if None in values else []) + (["int"] if ints else [])
                self.axis_values[name] = [ints] * rank
        # ceil_mode
        name = fam.ceil_mode
        if name is not None:
            if name in self.given:
                self.shared_values[name] = [bool(resolved[name])]
            else:
                raw = bounds.get(name, defaults[name])
                if not isinstance(raw, (list, tuple)) or not raw or any(type(v) is not bool for v in raw):
                    raise ShapeError(
                        "invalid_bounds",
                        f"bounds.{name} is a list of true/false, received {raw!r}"[:200],
                        f"bounds.{name}",
                    )
                self.shared_values[name] = sorted(set(raw))


def _bound_text(problem: _Problem, name: str):
    """The bound as the answer reports it: the fixed value, or the allowed values (a range as [lo, hi])."""
    if name in problem.given:
        return {"fixed": problem.given[name]}
    values = []
    if name in problem.shared_values:
        values += [v for v in problem.shared_values[name] if v != "int"]
    if name in problem.axis_values and problem.axis_values[name][0] is not None:
        ints = problem.axis_values[name][0]
        if ints and ints == list(range(ints[0], ints[-1] + 1)) and len(ints) > 2:
            return [ints[0], ints[-1]] if not values else values + ints
        values += ints
    return values


def _read_output_size(output_size, rank: int) -> list:
    if type(output_size) is int:
        output_size = [output_size]
    if not isinstance(output_size, (list, tuple)) or len(output_size) != rank:
        raise ShapeError(
            "invalid_output_size",
            f"output_size must list {rank} spatial size(s), one per axis, received {output_size!r}"[:200],
            "output_size",
        )
    for n, v in enumerate(output_size):
        if type(v) is not int or not 1 <= v <= MAX_INT:
            raise ShapeError(
                "invalid_output_size",
                f"output_size[{n}] must be an integer from 1 to {MAX_INT}, received {v!r}",
                f"output_size[{n}]",
            )
    return list(output_size)


# ---- one axis --------------------------------------------------------------------------------


def _rectangle(strides: list, pads: list) -> list:
    """One cell (every stride with every padding, no output_padding), or none when no stride fits."""
    return [(strides, pads, None)] if strides else []


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _in(values: list, lo: int, hi: int) -> list:
    """The values of a sorted list within [lo, hi]."""
    if lo > hi:
        return []
    return values[bisect.bisect_left(values, lo) : bisect.bisect_right(values, hi)]


def _stride_range(strides: list, lo: int, hi: int | None) -> list:
    return _in(strides, max(lo, 1), hi if hi is not None else MAX_INT)


@dataclass(frozen=True)
class _Group:
    """Settings every axis shares: padding mode ('int' for explicit numbers), op mode, ceil_mode, and a
    restriction from a cross-axis rule ('d1': dilation 1 on every axis, 's1': stride 1 on every axis)."""

    padding: str
    op: str | None = None  # None (Keras chooses), 'int', or None for layers without output_padding
    ceil: bool = False
    only: str | None = None


class _Axis:
    """Every setting of one axis (within one group) that takes length L to T."""

    def __init__(self, problem: _Problem, group: _Group, axis: int, target: int):
        self.p, self.g, self.axis = problem, group, axis
        self.L, self.T = problem.spatial[axis], target
        fam = problem.family
        av = problem.axis_values
        self.kernels = av[fam.kernel][axis]
        self.strides = av[fam.stride][axis]  # None: a PyTorch pool's stride=None (the kernel)
        self.dilations = av[fam.dilation][axis] if fam.dilation else [1]
        self.pads = av[fam.padding][axis]
        self.ops = av[fam.output_padding][axis] if fam.output_padding else []
        if group.only == "d1":
            self.dilations = [d for d in self.dilations if d == 1]
        if group.only == "s1" and self.strides is not None:
            self.strides = [s for s in self.strides if s == 1]
        L, T = self.L, self.T
        self.ratio = max(1, round(L / T)) if T <= L else max(1, round(T / L))
        self.exhaustive = True
        self.work = 0
        self._cells: dict = {}
        self._counted: dict = {}
        pairs = sorted(
            ((2 * (k - 1) + 4 * (d - 1), k, d) for k in self.kernels for d in self.dilations), key=lambda t: t
        )
        self.pairs = pairs
        self.count = 0
        self.counts: list[int] = []  # per pair
        deadline = problem.deadline
        for n, (_, k, d) in enumerate(pairs):
            if self.work > WORK_BUDGET or (n % 32 == 31 and time.perf_counter() > deadline):
                self.exhaustive = False
                self.counts.append(0)
                continue
            n = self._count(k, d)
            self.counts.append(n)
            self.count += n

    # cells(k, d) -> list of (strides, pads, ops): every stride in strides with every padding in pads (ops[i]
    # the output_padding that goes with pads[i], or None for all): every setting of this kernel and dilation
    def cells(self, k: int, d: int) -> list:
        key = self._memo_key(k, d)
        got = self._cells.get(key)
        if got is None:
            got = self._cells[key] = self._solve(k, d)
        return got

    def _count(self, k: int, d: int) -> int:
        key = self._memo_key(k, d)
        n = self._counted.get(key)
        if n is None:
            n = self._counted[key] = sum(len(st) * len(pv) for st, pv, _ in self.cells(k, d))
        return n

    def _memo_key(self, k: int, d: int):
        """What a family's cells depend on: the effective kernel x = d(k - 1) alone, except where k or d
        enter a rule of their own (pooling's 2p <= k, AvgPool3d's L >= k, PyTorch's op < max(s, d))."""
        kind = self.p.family.kind
        if kind in ("torch_conv", "keras_conv", "keras_transpose"):
            return d * (k - 1)
        if kind == "torch_pool":
            by_k = self.strides is None or self.p.spec.options.get("input_at_least_kernel")
            return (d * (k - 1), k // 2, k if by_k else 0)
        return (k, d)

    def _solve(self, k: int, d: int) -> list:
        kind = self.p.family.kind
        if self.strides is None and kind == "keras_pool":  # strides=None held: the pool size, axis by axis
            self.strides = [k]
            try:
                return self._keras_pool(k, d)
            finally:
                self.strides = None
        return getattr(self, f"_{kind}")(k, d)

    def _spend(self, n: int):
        self.work += n + 1

    # -- PyTorch Conv: floor((L + 2p - x - 1)/s) + 1, kernel fits the padded input; 'same' only at stride 1
    def _torch_conv(self, k, d):
        L, T, g = self.L, self.T, self.g
        x = d * (k - 1)
        mode = self.p.resolved.get("padding_mode", "zeros")
        if g.padding == "same":
            if T != L or 1 not in (self.strides or []):
                return []
            side = x - x // 2
            if (mode == "reflect" and side >= L) or (mode == "circular" and side > L):
                return []
            return [([1], ["same"], None)]
        if g.padding == "valid":
            return _rectangle(self._forward_strides(L - x - 1, L - x - 1), ["valid"])
        pads = self.pads
        if mode == "reflect":
            pads = _in(pads, 0, L - 1)
        elif mode == "circular":
            pads = _in(pads, 0, L)
        return self._forward_int(x, pads)

    def _forward_strides(self, e_min: int, e_max: int) -> list:
        """Strides s for which some E in [e_min, e_max] (E = L + 2p - x - 1 >= 0) gives floor(E/s) = T - 1."""
        T = self.T
        if e_max < 0:
            return []
        e_min = max(e_min, 0)
        lo = e_min // T + 1
        hi = None if T == 1 else e_max // (T - 1)
        found = _stride_range(self.strides, lo, hi)
        self._spend(len(found))
        return found

    def _forward_int(self, x: int, pads: list) -> list:
        L, T = self.L, self.T
        if not pads:
            return []
        out = []
        for s in self._forward_strides(L + 2 * pads[0] - x - 1, L + 2 * pads[-1] - x - 1):
            # (T - 1)s <= L + 2p - x - 1 <= Ts - 1
            lo = _ceil_div((T - 1) * s - L + x + 1, 2)
            hi = (T * s - L + x) // 2
            chosen = _in(pads, lo, hi)
            if chosen:
                out.append(([s], chosen, None))
        return out

    # -- PyTorch ConvTranspose: (L - 1)s - 2p + x + op + 1, op < max(s, d)
    def _torch_transpose(self, k, d):
        L, T = self.L, self.T
        x = d * (k - 1)
        pads, ops = self.pads, self.ops
        if not pads or not ops:
            return []
        strides = self.strides
        if L > 1:
            # R = (L - 1)s + x + 1 - T = 2p - op must lie in [2 p_min - op_max, 2 p_max - op_min]
            op_cap = max(strides[-1], d) - 1
            lo = _ceil_div(2 * pads[0] - min(ops[-1], op_cap) - x - 1 + T, L - 1)
            hi = (2 * pads[-1] - ops[0] - x - 1 + T) // (L - 1)
            strides = _stride_range(strides, lo, hi)
        self._spend(len(strides))
        op_set = set(ops)
        out = []
        for s in strides:
            cap = min(max(s, d) - 1, ops[-1])
            r = (L - 1) * s + x + 1 - T
            chosen = [p for p in _in(pads, _ceil_div(r + ops[0], 2), (r + cap) // 2) if (2 * p - r) in op_set]
            if chosen:
                out.append(([s], chosen, [2 * p - r for p in chosen]))
        return out

    # -- PyTorch MaxPool/AvgPool: floor or ceil_mode; 2p <= k; AvgPool3d wants L >= k
    def _torch_pool(self, k, d):
        L, T = self.L, self.T
        x = d * (k - 1)
        if self.p.spec.options.get("input_at_least_kernel") and L < k:
            return []
        pads = _in(self.pads, 0, k // 2)
        strides = self.strides if self.strides is not None else [k]
        if not self.g.ceil:
            saved, self.strides = self.strides, strides
            try:
                return self._forward_int(x, pads)
            finally:
                self.strides = saved
        out = []
        if T > 1:  # ceil(e/s) + 1 >= T needs e > (T - 2)s >= T - 2
            pads = _in(pads, (T - 1 - L + x) // 2 + 1, k // 2)
        for p in pads:
            e = L + 2 * p - x - 1
            lo, hi = 1, None
            if T == 1:
                # min(ceil(e/s) + 1, ceil((L + p)/s)) = 1: e > -s, and e <= 0 or s >= L + p
                lo = max(1, 1 - e, L + p if e > 0 else 1)
            else:
                hi = (L + p - 1) // (T - 1)  # ceil((L + p)/s) >= T
                # and one of the two terms is at most T: e <= (T - 1)s or L + p <= Ts
                lo = min(_ceil_div(e, T - 1) if e > 0 else 1, _ceil_div(L + p, T))
            cand = _stride_range(strides, lo, hi)
            self._spend(len(cand))
            if T > 1:
                cand = [s for s in cand if min(_ceil_div(e, s) + 1, _ceil_div(L + p, s)) == T]
            if cand:
                out.append((cand, [p], None))
        return out

    # -- Keras Conv / Depthwise / Separable: 'valid' floor((L - x - 1)/s) + 1 >= 1; 'same'/'causal' ceil(L/s)
    def _keras_conv(self, k, d):
        L = self.L
        x = d * (k - 1)
        mode = self.g.padding
        if mode == "valid":
            return _rectangle(self._forward_strides(L - x - 1, L - x - 1), ["valid"])
        return _rectangle(self._same_strides(), [mode])

    def _same_strides(self) -> list:
        """Strides with ceil(L/s) = T: L/T <= s < L/(T - 1)."""
        L, T = self.L, self.T
        lo = _ceil_div(L, T)
        hi = None if T == 1 else _ceil_div(L, T - 1) - 1
        found = _stride_range(self.strides, lo, hi)
        self._spend(len(found))
        return found

    # -- Keras Conv Transpose: op None: 'valid' L s + max(x + 1 - s, 0), 'same' L s; op set: (L-1)s - 2p + x + op + 1
    def _keras_transpose(self, k, d):
        L, T, g = self.L, self.T, self.g
        x = d * (k - 1)
        mode = g.padding
        if g.op is None:
            if mode == "same":
                s = T // L
                return [([s], ["same"], None)] if T % L == 0 and _in(self.strides, s, s) else []
            # T = L s + max(x + 1 - s, 0): s <= T / L and s >= (T - x - 1)/(L - 1)
            lo = 1 if L == 1 else min(_ceil_div(T - x - 1, L - 1), _ceil_div(T, L))
            cand = _stride_range(self.strides, lo, T // L)
            self._spend(len(cand))
            return _rectangle([s for s in cand if L * s + max(x + 1 - s, 0) == T], ["valid"])
        pad = (x + 1) // 2 if mode == "same" else 0
        ops = self.ops
        if not ops:
            return []
        base = T - 1 - x + 2 * pad  # op = base - (L - 1)s, 0 <= op < s
        if L > 1:
            cand = _stride_range(self.strides, _ceil_div(base - ops[-1], L - 1), (base - ops[0]) // (L - 1))
        else:
            cand = _stride_range(self.strides, base + 1, None)
        self._spend(len(cand))
        op_set = set(ops)
        out = []
        for s in cand:
            op = base - (L - 1) * s
            if op in op_set and op < s:
                out.append(([s], [mode], [op]))
        return out

    # -- Keras MaxPooling/AveragePooling: 'valid' floor((L - k)/s) + 1 >= 1; 'same' ceil(L/s)
    def _keras_pool(self, k, d):
        L = self.L
        if self.g.padding == "valid":
            return _rectangle(self._forward_strides(L - k, L - k), ["valid"])
        return _rectangle(self._same_strides(), ["same"])

    # -- ranking
    def cost(self, k: int, s: int, d: int, pad, op) -> int:
        c = 2 * (k - 1) + 4 * (d - 1) + (0 if s in (1, self.ratio) else 3 * s)
        if type(pad) is int:
            c += pad
        elif pad == "same":
            c += 1 + 2 * self._uneven_same(k, s, d)
        elif pad == "causal":
            c += 2
        if type(op) is int:
            c += 1 + op
        if self.g.ceil:
            c += 2
        return c

    def _uneven_same(self, k, s, d) -> bool:
        """True when 'same' pads one side more than the other."""
        x = d * (k - 1)
        kind = self.p.family.kind
        if kind == "torch_conv":
            return x % 2 == 1
        if kind == "keras_transpose":
            return False
        total = max((_ceil_div(self.L, s) - 1) * s + x + 1 - self.L, 0)
        return total % 2 == 1

    def best(self, n: int, want_dilated: bool | None = None) -> list:
        """The n simplest settings of this axis: (cost, (k, s, d, pad, op)), cheapest first.

        Pairs come in order of their kernel and dilation cost, a lower bound of every setting they hold;
        within a cell the cost grows with the padding, so a cell is left at the first entry too dear."""
        heap: list = []  # the n best so far, as a max-heap: (-cost, negated order, item)
        cost = self.cost
        for (base, k, d), count in zip(self.pairs, self.counts, strict=True):
            if not count:
                continue
            if want_dilated is not None and (d > 1) != want_dilated:
                continue
            if len(heap) >= n and base > -heap[0][0]:
                break
            for strides, pads, ops in self.cells(k, d):
                for s in strides:
                    for i, pad in enumerate(pads):
                        op = None if ops is None else ops[i]
                        c = cost(k, s, d, pad, op)
                        if len(heap) >= n and c > -heap[0][0]:
                            break  # the rest of this cell costs more (the cost grows with the padding)
                        item = (k, s, d, pad, op)
                        entry = (-c, tuple(-v for v in _order(item)), item)
                        if len(heap) < n:
                            heapq.heappush(heap, entry)
                        elif entry > heap[0]:
                            heapq.heapreplace(heap, entry)
        return [(-negcost, item) for negcost, _, item in sorted(heap, reverse=True)]


def _order(item) -> tuple:
    k, s, d, pad, op = item
    return (k, s, d, pad if type(pad) is int else -1, -1 if op is None else op)


# ---- groups and the whole answer ---------------------------------------------------------------


def _groups(problem: _Problem) -> list[_Group]:
    fam, shared = problem.family, problem.shared_values
    out = []
    pads = shared[fam.padding]
    ops = shared.get(fam.output_padding, [None]) if fam.output_padding else [None]
    ceils = shared.get(fam.ceil_mode, [False]) if fam.ceil_mode else [False]
    for pad in pads:
        for op in ops:
            if fam.kind == "torch_transpose" and op is None:
                continue
            for ceil in ceils:
                if fam.stride_or_dilation:
                    # strides > 1 never meets dilation_rate > 1: all dilations 1, or all strides 1 (some d > 1)
                    out.append(_Group(pad, op, ceil, "d1"))
                    out.append(_Group(pad, op, ceil, "s1"))
                else:
                    out.append(_Group(pad, op, ceil))
    return out


class _Solver:
    """Per-axis answers for every group, computed once per (group, axis, target)."""

    def __init__(self, problem: _Problem):
        self.problem = problem
        self.groups = _groups(problem)
        self._axes: dict = {}

    def axis(self, group: _Group, axis: int, target: int) -> _Axis:
        p = self.problem
        av = p.axis_values
        # Axes with the same length, target and bounds have the same answer.
        key = (group, p.spatial[axis], target, tuple(_freeze(av[n][axis]) for n in sorted(av)))
        got = self._axes.get(key)
        if got is None:
            got = self._axes[key] = _Axis(p, group, axis, target)
        return got

    def group_total(self, group: _Group, targets: list) -> int:
        axes = [self.axis(group, a, t) for a, t in enumerate(targets)]
        total = _product(ax.count for ax in axes)
        if group.only == "s1":
            # combinations whose every dilation is 1 are the d1 group's
            total -= _product(sum(c for (_, _, d), c in zip(ax.pairs, ax.counts, strict=True) if d == 1) for ax in axes)
        return total

    def exhaustive(self, targets: list) -> bool:
        return all(self.axis(g, a, t).exhaustive for g in self.groups for a, t in enumerate(targets))


def _freeze(v):
    return tuple(v) if isinstance(v, list) else v


def _product(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _combos(lists: list, n: int, accept, penalty) -> list:
    """Up to n accepted combinations (one entry per list), smallest cost + penalty first.

    Combinations come out of the heap by summed cost; the penalty (for axes that differ) only adds, so
    once a popped sum exceeds the n-th best adjusted cost nothing later can enter the answer."""
    if any(not lst for lst in lists):
        return []
    start = (0,) * len(lists)
    heap = [(sum(lst[0][0] for lst in lists), start)]
    seen = {start}
    kept: list = []  # (adjusted cost, combo) that may be among the n best
    worst: list = []  # the n smallest adjusted costs so far, as a max-heap (negated)
    budget = COMBO_BUDGET_PER_SOLUTION * n + 5_000  # ties can be countless: past this, the order among them is as found
    while heap:
        cost, idx = heapq.heappop(heap)
        if len(worst) >= n and (cost > -worst[0] or len(seen) > budget):
            break
        combo = [lists[a][i][1] for a, i in enumerate(idx)]
        if accept(combo):
            adjusted = cost + penalty(combo)
            if len(worst) < n:
                heapq.heappush(worst, -adjusted)
                kept.append((adjusted, combo))
            elif adjusted <= -worst[0]:  # a tie stays: the final order among equals is by value
                if adjusted < -worst[0]:
                    heapq.heapreplace(worst, -adjusted)
                kept.append((adjusted, combo))
        for a in range(len(lists)):
            nxt = idx[:a] + (idx[a] + 1,) + idx[a + 1 :]
            if nxt[a] < len(lists[a]) and nxt not in seen:
                seen.add(nxt)
                heapq.heappush(heap, (cost - lists[a][idx[a]][0] + lists[a][nxt[a]][0], nxt))
    kept.sort(key=lambda t: _rank_key(t[0], t[1]))
    return kept[:n]


def _rank_key(cost: int, combo: list) -> tuple:
    """The order of the answer: cost (with the uneven-axes penalty), then the same value on every axis,
    then smaller values axis by axis."""
    return (cost, any(item != combo[0] for item in combo), [_order(item) for item in combo])


def _uneven_penalty(combo: list) -> int:
    """UNEVEN_COST for each parameter whose value differs between the axes."""
    first, rest = combo[0], combo[1:]
    return UNEVEN_COST * sum(1 for i in range(5) if any(item[i] != first[i] for item in rest))


def _candidates(solver: _Solver, group: _Group, targets: list, n: int) -> list:
    axes = [solver.axis(group, a, t) for a, t in enumerate(targets)]
    if any(ax.count == 0 for ax in axes):
        return []
    if group.only == "s1":
        # Some axis dilated (the rest is the d1 group's): split by the first dilated axis, so that each
        # part is a plain product and nothing is drawn only to be thrown away.
        plain = [_with_slack(ax.best(4 * n, False), n) for ax in axes]
        dilated = [_with_slack(ax.best(4 * n, True), n) for ax in axes]
        everything = [sorted(p + q, key=lambda t: (t[0], _order(t[1]))) for p, q in zip(plain, dilated, strict=True)]
        found = []
        for a in range(len(axes)):
            lists = plain[:a] + [dilated[a]] + everything[a + 1 :]
            found += _combos(lists, n, lambda combo: True, _uneven_penalty)
        found.sort(key=lambda t: _rank_key(t[0], t[1]))
        return found[:n]
    lists = [_with_slack(ax.best(n if len(axes) == 1 else 4 * n), n) for ax in axes]
    return _combos(lists, n, lambda combo: True, _uneven_penalty)


def _with_slack(ranked: list, n: int) -> list:
    """An axis's n best settings and those after them that the uneven-axes penalty could still let in."""
    if len(ranked) <= n:
        return ranked
    limit = ranked[n - 1][0] + 5 * UNEVEN_COST
    return [entry for k, entry in enumerate(ranked) if k < n or entry[0] <= limit]


def _params_of(problem: _Problem, group: _Group, combo: list) -> dict:
    """The constructor keywords of one solution: the fixed ones and a value for every searched one."""
    fam = problem.family

    def per_axis(values):
        return values[0] if all(v == values[0] for v in values) else list(values)

    out = dict(problem.base)
    out[fam.kernel] = per_axis([item[0] for item in combo])
    out[fam.stride] = per_axis([item[1] for item in combo])
    if fam.dilation:
        out[fam.dilation] = per_axis([item[2] for item in combo])
    out[fam.padding] = group.padding if group.padding != "int" else per_axis([item[3] for item in combo])
    if fam.output_padding:
        out[fam.output_padding] = None if group.op is None else per_axis([item[4] for item in combo])
    if fam.ceil_mode:
        out[fam.ceil_mode] = group.ceil
    for name, value in problem.given.items():
        out[name] = value
    if fam.stride in problem.given and problem.given[fam.stride] is None:
        out[fam.stride] = None
    return out


def _solutions(problem: _Problem, solver: _Solver, targets: list, n: int) -> list:
    found = []
    for group in solver.groups:
        for cost, combo in _candidates(solver, group, targets, n):
            found.append(((*_rank_key(cost, combo), solver.groups.index(group)), group, combo))
    found.sort(key=lambda t: t[0])
    return found[:n]


def _confirm(problem: _Problem, params: dict, targets: list) -> dict:
    """Run the setting through the forward engine; the solver's answer must be the engine's."""
    # evaluate()'s own path (validation, the layer's rule, the parameter count) without the formula entries
    _, outcome, count, _ = _apply(problem.spec, params, problem.input_shape)
    shape = show_shape(next(iter(outcome.outputs.values())))
    channels_last = (
        problem.framework == "keras" and problem.resolved.get("data_format", "channels_last") != "channels_first"
    )
    _, _, spatial, _ = split_channels(tuple(shape), problem.rank, channels_last)
    if list(spatial) != list(targets):  # pragma: no cover - a solver bug; the tests compare with brute force
        raise AssertionError(f"solver and engine disagree for {params}: engine gives {shape}, wanted {targets}")
    return {"params": params, "output_shape": shape, "param_count": count if type(count) is int else show_dim(count)}


def solve(framework, layer, input_shape, output_size, params=None, bounds=None, limit=DEFAULT_LIMIT) -> dict:
    """Every setting of `layer` within `bounds` that takes `input_shape` to `output_size` (simplest first)."""
    problem = _Problem(framework, layer, input_shape, output_size, params, bounds, limit)
    solver = _Solver(problem)
    targets = problem.target
    total = sum(solver.group_total(g, targets) for g in solver.groups)
    solutions = [
        _confirm(problem, _params_of(problem, group, combo), targets)
        for _, group, combo in _solutions(problem, solver, targets, limit)
    ]
    answer = {
        "framework": problem.framework,
        "layer": problem.spec.name,
        "input_shape": list(problem.input_shape),
        "output_size": targets,
        "bounds": problem.bounds_used,
        "solutions": solutions,
        "total": total,
        "exhaustive": solver.exhaustive(targets),
        "nearest": [] if total else _nearest(problem, solver, targets),
    }
    return answer


# ---- unreachable targets: the closest sizes that can be reached ------------------------------------


def _nearest(problem: _Problem, solver: _Solver, targets: list) -> list:
    """For each axis, the closest reachable sizes (below and above) with every other axis exact; then
    the overall closest if none keeps the others exact."""
    deadline = time.perf_counter() + NEAREST_SECONDS
    found: dict[tuple, int] = {}
    reached: set = set()  # (axis, direction) with a size found
    # (axis, direction, group) searches still open; radius by radius, so the nearest sizes come first
    open_searches = []
    for a in range(len(targets)):
        for group in solver.groups:
            if all(solver.axis(group, b, targets[b]).count for b in range(len(targets)) if b != a):
                open_searches += [(a, -1, group), (a, 1, group)]
    radius = max(NEAREST_RADIUS, max(targets) // 4)
    r = 0
    while open_searches and r < radius and time.perf_counter() < deadline:
        r += 1
        still = []
        for a, direction, group in open_searches:
            t = targets[a] + direction * r
            if t < 1 or (a, direction) in reached:
                continue
            trial = list(targets)
            trial[a] = t
            if solver.group_total(group, trial) > 0:
                found[tuple(trial)] = r
                reached.add((a, direction))
            else:
                still.append((a, direction, group))
        open_searches = still
    if not found:  # no axis can be kept exact: within each group, move every axis to its own closest size
        for group in solver.groups:
            trial = []
            for a, want in enumerate(targets):
                best = None
                for r in range(radius):
                    if time.perf_counter() > deadline:
                        break
                    best = next((t for t in (want - r, want + r) if t >= 1 and solver.axis(group, a, t).count), None)
                    if best is not None:
                        break
                if best is None:
                    break
                trial.append(best)
            if len(trial) == len(targets) and solver.group_total(group, trial) > 0:
                found[tuple(trial)] = sum(abs(t - w) for t, w in zip(trial, targets, strict=True))
    out = []
    for size, distance in sorted(found.items(), key=lambda t: (t[1], t[0]))[:NEAREST_COUNT]:
        best = _solutions(problem, solver, list(size), 1)
        if not best:
            continue
        _, group, combo = best[0]
        example = _confirm(problem, _params_of(problem, group, combo), list(size))
        out.append(
            {
                "output_size": list(size),
                "distance": distance,
                "example": example,
                "fix": _fix(problem, list(size), targets),
            }
        )
    return out


def _fix(problem: _Problem, reached: list, wanted: list) -> dict:
    """How to go from the reachable size to the wanted one: crop or pad per axis, as a layer that does it."""
    crop = [max(r - w, 0) for r, w in zip(reached, wanted, strict=True)]
    pad = [max(w - r, 0) for r, w in zip(reached, wanted, strict=True)]
    rank = problem.rank
    names = ", ".join(axis_name(rank, a) for a in range(rank))
    if problem.framework == "keras":
        parts = []
        if any(crop):
            cropping = [[0, c] for c in crop] if rank > 1 else [0, crop[0]]
            parts.append({"layer": f"Cropping{rank}D", "params": {"cropping": cropping}})
        if any(pad):
            padding = [[0, q] for q in pad] if rank > 1 else [0, pad[0]]
            parts.append({"layer": f"ZeroPadding{rank}D", "params": {"padding": padding}})
        text = " then ".join(f"{p['layer']}({p['params'][next(iter(p['params']))]})" for p in parts)
    else:
        parts = []
        if any(crop):
            ends = ", ".join(f":{w}" if c else ":" for c, w in zip(crop, wanted, strict=True))
            parts.append({"operation": "slice", "code": f"y = y[..., {ends}]"})
        if any(pad):
            flat = []
            for q in reversed(pad):  # F.pad lists the last axis first
                flat += [0, q]
            parts.append({"operation": "pad", "code": f"y = torch.nn.functional.pad(y, {tuple(flat)})"})
        text = "; ".join(p["code"] for p in parts)
    return {"crop": crop, "pad": pad, "axes": names, "layers": parts, "text": text}


DEFAULT_BOUNDS = DEFAULT_RANGES
__all__ = ["DEFAULT_BOUNDS", "DEFAULT_LIMIT", "MAX_LIMIT", "default_bounds", "solve"]
