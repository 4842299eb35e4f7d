"""The engine's public API: evaluate one layer, trace a stack, list and describe layers."""

from __future__ import annotations

import sympy as sp

import engine.layers  # noqa: F401  (registers every declaration)
from engine import bounds, registry
from engine.errors import ShapeError
from engine.render import render, to_text  # noqa: F401  (render: kept importable from here)
from engine.spec import MAX_INT, Context, LayerSpec, product, ranks_text
from engine.symbols import user_symbol

MAX_RANK = 8
MAX_TRACE_LAYERS = 1000


def parse_input_shape(shape, fld: str = "input_shape") -> tuple:
    """Validate a shape: ints in 1..2**31, None (unknown) or a symbol name; returns a tuple."""
    kind = type(shape)
    if (kind is list or kind is tuple) and 0 < len(shape) <= MAX_RANK:  # fast path: ints and None only
        for v in shape:
            if type(v) is not int or not 0 < v <= MAX_INT:
                if v is not None:
                    break
        else:
            return tuple(shape)
    if not isinstance(shape, (list, tuple)):
        raise ShapeError("invalid_input_shape", f"{fld} must be a list of dimensions, received {shape!r}"[:200], fld)
    if not 1 <= len(shape) <= MAX_RANK:
        raise ShapeError(
            "invalid_input_shape", f"{fld} must have 1 to {MAX_RANK} dimensions, received {len(shape)}", fld
        )
    out = []
    for n, v in enumerate(shape):
        where = f"{fld}[{n}]"
        if v is None:
            out.append(None)
        elif isinstance(v, bool):
            raise ShapeError(
                "invalid_dimension", f"dimension {n} must be an integer, null or a symbol, received {v!r}", where
            )
        elif isinstance(v, int):
            if not 1 <= v <= MAX_INT:
                raise ShapeError(
                    "invalid_dimension", f"dimension {n} must be between 1 and {MAX_INT}, received {v}", where
                )
            out.append(v)
        elif isinstance(v, str):
            out.append(user_symbol(v, where))
        else:
            raise ShapeError(
                "invalid_dimension", f"dimension {n} must be an integer, null or a symbol, received {v!r}"[:200], where
            )
    return tuple(out)


_LAYERS = registry._LAYERS
_REGISTRY_KEYS: dict = {}  # (framework, name) as given -> registry.lookup's key for it (a pure function)
_REGISTRY_KEYS_MAX = 4096


def _registry_key(framework, name):
    """The key registry.lookup reads for (framework, name), normalized as it normalizes; None if invalid."""
    if not (type(framework) is str and type(name) is str and 0 < len(name) <= 100):
        return None
    fw = registry._FRAMEWORK_NAMES.get(framework.lower())
    if fw is None:
        return None
    bare = name.strip()
    for prefix in registry._PREFIXES:
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
            break
    return (fw, bare.lower())


def _lookup(framework, name) -> LayerSpec:
    """registry.lookup, faster: the normalized key of a name already seen is kept (never the layer).

    The layer is read from the registry's own table on every call, so registering or removing a
    layer shows at once; a name that misses (or is invalid) goes through registry.lookup for its error."""
    try:
        key = _REGISTRY_KEYS[framework, name]
    except (KeyError, TypeError):
        key = _registry_key(framework, name)
        if key is not None and len(_REGISTRY_KEYS) < _REGISTRY_KEYS_MAX:
            _REGISTRY_KEYS[framework, name] = key
    spec = _LAYERS.get(key)
    if spec is None:
        return registry.lookup(framework, name)
    return spec


def get_layer(framework, name) -> LayerSpec:
    """The declaration of one layer (by name or alias)."""
    return registry.lookup(framework, name)


def layers(framework=None) -> list[LayerSpec]:
    """Every declared layer, optionally of one framework."""
    return registry.all_layers(framework)


def show_dim(v):
    """A dimension as JSON: int, None, or the expression's text."""
    if v is None or type(v) is int:
        return v
    if isinstance(v, sp.Basic) and v.is_Integer:
        return int(v)
    return to_text(v)


def show_shape(shape) -> list:
    if type(shape) is not tuple and type(shape) is not list:
        shape = list(shape)  # any other iterable is read once
    for v in shape:
        if type(v) is not int and v is not None:
            return [show_dim(v) for v in shape]
    return list(shape)  # ints and None show as themselves


def _show_values(values: dict) -> dict:
    """A formula's inputs as JSON; the dict itself when they are all ints or None (it is not shared)."""
    for v in values.values():
        if type(v) is not int and v is not None:
            return {k: show_dim(v) for k, v in values.items()}
    return values


def _apply(spec: LayerSpec, params, shape: tuple):
    """Run one layer's rule; returns the context, the outcome and its (total, trainable) counts."""
    resolved = spec.resolve(params)
    ranks = spec.input_ranks
    if ranks and len(shape) not in ranks:
        raise ShapeError(
            "rank_mismatch",
            f"{spec.name} expects an input of rank {ranks_text(ranks)} (batch included), received rank {len(shape)}: {show_shape(shape)}",
            "input_shape",
        )
    ctx = Context(spec, resolved, shape)
    outcome = spec.rule(ctx)
    # What one answer may hold: no dimension past 2**31 (as for inputs), a bounded list of weights.
    for name, out_shape in outcome.outputs.items():
        for v in out_shape:
            if type(v) is int and v > MAX_INT:
                bounds.check_dimensions(out_shape, "output_shape" if name == "output" else f"outputs.{name}", MAX_INT)
    if len(outcome.weights) > bounds.MAX_WEIGHT_ENTRIES:
        bounds.check_weight_entries(len(outcome.weights))
    total = outcome.param_count
    if total is None:
        total = sum((product(s) for s in outcome.weights.values()), 0)
    frozen = sum((product(outcome.weights[n]) for n in outcome.non_trainable), 0) if outcome.non_trainable else 0
    trainable = None if total is None or frozen is None else total - frozen
    return ctx, outcome, total, trainable


def _run(spec: LayerSpec, params, shape: tuple, substitute: bool) -> dict:
    ctx, outcome, total, trainable = _apply(spec, params, shape)
    outputs = {name: show_shape(s) for name, s in outcome.outputs.items()}
    formulas = []
    for formula, where, values in ctx.used:
        # The rendered part (key, doc, text, latex, mathml) is computed once per formula and copied;
        # only where and values are per call.
        entry = formula.answer_entry.copy()
        entry["where"] = where
        entry["values"] = _show_values(values)
        if substitute:
            entry["substituted"] = formula.substituted(values)
        formulas.append(entry)
    shown = show_params(ctx.p)
    return {
        "framework": spec.framework,
        "layer": spec.name,
        "params": shown,
        "input_shape": show_shape(shape),
        "output_shape": next(iter(outputs.values())),
        "outputs": outputs,
        "param_count": total if type(total) is int else show_dim(total),
        "trainable_params": trainable if type(trainable) is int else show_dim(trainable),
        "weights": {name: show_shape(s) for name, s in outcome.weights.items()},
        "formulas": formulas,
    }


def show_params(resolved: dict) -> dict:
    """Resolved parameters as JSON: tuples become lists, a wrapped layer {layer, params}; the rest is dropped."""
    shown = resolved.copy()  # same keys, same order
    for k, v in resolved.items():
        kind = type(v)
        if kind is tuple:
            shown[k] = list(v)
        elif kind not in _PLAIN_TYPES:
            if _plain(v):  # subclasses
                shown[k] = list(v) if isinstance(v, tuple) else v
            elif hasattr(v, "spec") and isinstance(getattr(v, "params", None), dict):  # a wrapped layer
                shown[k] = {"layer": v.spec.name, "params": show_params(v.params)}
            else:
                del shown[k]
    return shown


_PLAIN_TYPES = frozenset({int, float, str, bool, list, type(None)})  # exact types _plain() keeps as they are


def _plain(v) -> bool:
    return v is None or isinstance(v, (int, float, str, bool, tuple, list))


def evaluate(framework, layer, params=None, input_shape=None, *, substitute: bool = False) -> dict:
    """Output shape(s), parameter counts, weight shapes and the formulas applied, for one layer."""
    spec = _lookup(framework, layer)
    if input_shape is None:
        raise ShapeError(
            "missing_input_shape", "input_shape is required (batch included; null for unknown)", "input_shape"
        )
    shape = parse_input_shape(input_shape)
    if _symbolic(shape):
        with bounds.symbolic_budget():
            return _run(spec, params, shape, substitute)
    return _run(spec, params, shape, substitute)


def _symbolic(shape: tuple) -> bool:
    """True when a dimension is a symbol: then the request's symbolic work is budgeted (engine.bounds)."""
    for v in shape:
        if type(v) is not int and v is not None:
            return True
    return False


def trace(framework, input_shape, layers) -> dict:
    """Every layer's output shape and parameters through a stack; the first misfit names its index."""
    fw = registry.framework_name(framework)
    shape = parse_input_shape(input_shape)
    if not isinstance(layers, (list, tuple)):
        raise ShapeError("invalid_layers", "layers must be a list of {layer, params}", "layers")
    if len(layers) > MAX_TRACE_LAYERS:
        raise ShapeError("too_many_layers", f"at most {MAX_TRACE_LAYERS} layers, received {len(layers)}", "layers")
    if _symbolic(shape):
        with bounds.symbolic_budget():
            return _trace(fw, shape, layers)
    return _trace(fw, shape, layers)


def _trace(fw: str, shape: tuple, layers) -> dict:
    steps = []
    built = 0  # weight tensors built for this request (a trace does not list them, but builds them)
    total = trainable = 0
    current = shape
    shown = show_shape(shape)  # the current shape as JSON (each answer gets its own copy)
    for index, item in enumerate(layers):
        try:
            # Fast check first: a plain dict holding 'layer' and at most 'params' besides.
            if not (
                type(item) is dict and "layer" in item and (len(item) == 1 or (len(item) == 2 and "params" in item))
            ):
                if not isinstance(item, dict) or "layer" not in item:
                    raise ShapeError(
                        "invalid_layer", "each layer is an object with 'layer' and optional 'params'", None
                    )
                unknown = set(item) - {"layer", "params"}
                if unknown:
                    raise ShapeError(
                        "invalid_layer", f"unexpected key(s) {sorted(unknown)}; a layer has 'layer' and 'params'", None
                    )
            spec = _lookup(fw, item["layer"])
            _, outcome, count, count_trainable = _apply(spec, item.get("params") or {}, current)
            built += len(outcome.weights)
            if built > bounds.MAX_WEIGHT_ENTRIES_BUILT:
                bounds.check_weight_entries(built, None, bounds.MAX_WEIGHT_ENTRIES_BUILT)
        except ShapeError as err:
            raise err.at_layer(index) from None
        output = next(iter(outcome.outputs.values()))
        shown_input, shown = shown, show_shape(output)
        steps.append(
            {
                "index": index,
                "layer": spec.name,
                "input_shape": list(shown_input),
                "output_shape": shown,
                "param_count": count if type(count) is int else show_dim(count),
                "trainable_params": count_trainable if type(count_trainable) is int else show_dim(count_trainable),
            }
        )
        if total is not None:
            total = None if count is None else total + count
        if trainable is not None:
            trainable = None if count_trainable is None else trainable + count_trainable
        current = tuple(output)
    return {
        "framework": fw,
        "input_shape": show_shape(shape),
        "layers": steps,
        "output_shape": list(shown),
        "total_params": show_dim(total),
        "trainable_params": show_dim(trainable),
    }
