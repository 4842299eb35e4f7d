"""A layer given inside another's params ({"layer": "LSTM", "params": {...}}), as Keras wrappers take one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine import registry
from engine.errors import ShapeError
from engine.spec import Context, LayerSpec, Outcome


@dataclass(frozen=True)
class NestedLayer:
    """A wrapped layer: its declaration and resolved params."""

    spec: LayerSpec
    params: dict


def nested_layer(example: str, kind: str, check: Callable[[LayerSpec, str], None] | None = None):
    """A parser of {"layer": name, "params": {...}}: a Keras layer validated by its own declaration.

    `example` shows the expected form in messages; `check(spec, field)` may refuse a layer the wrapper
    cannot take. The wrapped layer's errors point into it: params.layer.params.units, params.layer.layer.
    """

    def parse(v, rank, fld):
        name = fld.split(".")[-1]
        if not isinstance(v, dict) or "layer" not in v:
            raise ShapeError("invalid_param", f"{name} must be an object such as {example}, received {v!r}"[:240], fld)
        extra = sorted(str(key) for key in v if key not in ("layer", "params"))
        if extra:
            raise ShapeError("invalid_param", f"{name} has 'layer' and 'params' only, received {extra}", fld)
        try:
            spec = registry.lookup("keras", v["layer"])
        except ShapeError as err:
            raise ShapeError(err.code, err.message, f"{fld}.layer") from None
        if check is not None:
            check(spec, f"{fld}.layer")
        params = v.get("params")
        try:
            resolved = spec.resolve({} if params is None else params)
        except ShapeError as err:
            raise ShapeError(err.code, err.message, f"{fld}.{err.field}" if err.field else fld) from None
        return NestedLayer(spec, resolved)

    parse.kind = kind
    return parse


def run_nested(ctx, nested: NestedLayer, shape: tuple, prefix: str, label: str, field=None) -> Outcome:
    """Run a wrapped layer's rule on `shape` for the wrapper's answer.

    Its errors start with `prefix` (and `field` may re-point their field); the formulas it applied join the
    wrapper's, each placed by `label` ("forward LSTM", "Dense on each time step").
    """
    sub = Context(nested.spec, nested.params, shape)
    try:
        outcome = nested.spec.rule(sub)
    except ShapeError as err:
        fld = err.field if field is None else field(err.field)
        raise ShapeError(err.code, f"{prefix}: {err.message}", fld) from None
    ctx.used.extend((formula, f"{label}, {at}".rstrip(", "), values) for formula, at, values in sub.used)
    return outcome
