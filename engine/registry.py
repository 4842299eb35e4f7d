"""Layer registry: register() once per declaration, lookup() by name or alias, per framework."""

from __future__ import annotations

import difflib

from engine.errors import ShapeError
from engine.spec import FRAMEWORKS, LayerSpec

_LAYERS: dict[tuple[str, str], LayerSpec] = {}
_CANONICAL: dict[tuple[str, str], LayerSpec] = {}
_PREFIXES = ("torch.nn.", "nn.", "tf.keras.layers.", "keras.layers.", "layers.", "tensorflow.keras.layers.")
_FRAMEWORK_NAMES = {"keras": "keras", "pytorch": "pytorch", "torch": "pytorch"}


def register(spec: LayerSpec) -> LayerSpec:
    """Add a declaration; a name or alias already taken in its framework is an error."""
    names = (spec.name, *spec.aliases)
    for name in names:
        key = (spec.framework, name.lower())
        if key in _LAYERS:
            raise ValueError(f"{spec.framework} layer name {name!r} registered twice")
    for name in names:
        _LAYERS[(spec.framework, name.lower())] = spec
    _CANONICAL[(spec.framework, spec.name)] = spec
    return spec


def framework_name(framework) -> str:
    """'keras', 'pytorch' or 'torch' (any case) -> the canonical framework name."""
    if isinstance(framework, str) and framework.lower() in _FRAMEWORK_NAMES:
        return _FRAMEWORK_NAMES[framework.lower()]
    raise ShapeError(
        "unknown_framework", f"framework must be 'keras' or 'pytorch' ('torch'), received {framework!r}", "framework"
    )


def find(framework, name) -> LayerSpec | None:
    """The declaration for a layer name or alias, or None (no suggestions: cheap for names that are not layers)."""
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        return None
    bare = name.strip()
    for prefix in _PREFIXES:
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
            break
    return _LAYERS.get((framework_name(framework), bare.lower()))


def lookup(framework, name) -> LayerSpec:
    """The declaration for a layer name or alias ('Conv2D', 'Convolution2D', 'nn.Conv2d', 'conv2d')."""
    fw = framework_name(framework)
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise ShapeError("unknown_layer", f"layer must be a layer name, received {name!r}", "layer")
    bare = name.strip()
    for prefix in _PREFIXES:
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
            break
    spec = _LAYERS.get((fw, bare.lower()))
    if spec is None:
        known = sorted({s.name for (f, _), s in _LAYERS.items() if f == fw} | {n for (f, n) in _LAYERS if f == fw})
        close = difflib.get_close_matches(bare.lower(), [k.lower() for k in known], n=4, cutoff=0.6)
        pretty = sorted({_LAYERS[(fw, c)].name for c in close})
        hint = f"; did you mean {', '.join(pretty)}?" if pretty else ""
        other = [f for f in FRAMEWORKS if f != fw and (f, bare.lower()) in _LAYERS]
        if other:
            hint += f" ({_LAYERS[(other[0], bare.lower())].name} is a {other[0]} layer)"
        raise ShapeError("unknown_layer", f"{fw} has no layer {name!r}{hint}", "layer")
    return spec


def all_layers(framework: str | None = None) -> list[LayerSpec]:
    """Every declaration, sorted by framework and name."""
    fw = framework_name(framework) if framework is not None else None
    return sorted(
        (s for s in _CANONICAL.values() if fw is None or s.framework == fw), key=lambda s: (s.framework, s.name)
    )
