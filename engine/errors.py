"""The one exception type the engine raises, with a stable code and the offending field."""

from __future__ import annotations


class ShapeError(ValueError):
    """A configuration the framework would reject, or input the engine cannot read."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        layer_index: int | None = None,
        line: int | None = None,
        details: dict | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.layer_index = layer_index
        self.line = line  # the line of pasted code it concerns (model reader)
        self.details = details  # JSON-ready facts for an explainer (names, expected and received sizes)
        self.partial = None  # a model trace that stopped: the answer so far (engine.trace_code's fields)

    def at_layer(self, index: int) -> ShapeError:
        """Return a copy that names the layer of a trace it came from."""
        field = f"layers[{index}].{self.field}" if self.field else f"layers[{index}]"
        return ShapeError(self.code, f"layer {index}: {self.message}", field, index)

    def as_dict(self) -> dict:
        """The error as JSON-ready data."""
        out = {"code": self.code, "message": self.message, "field": self.field}
        if self.layer_index is not None:
            out["layer_index"] = self.layer_index
        if self.line is not None:
            out["line"] = self.line
        if self.details is not None:
            out["details"] = self.details
        if self.partial is not None:
            out["partial"] = self.partial
        return out

    def __repr__(self) -> str:
        return f"ShapeError({self.code!r}, {self.message!r}, field={self.field!r})"
