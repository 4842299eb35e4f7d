"""ShapeKB's shape-formula engine: pure Python + SymPy (no Flask, no database)."""

from engine.api import evaluate, get_layer, layers, parse_input_shape, trace
from engine.errors import ShapeError
from engine.explain import explain  # the function; engine/explain.py is its module
from engine.model_reader import ModelGraph, read_model, trace_code

__all__ = [
    "ModelGraph",
    "ShapeError",
    "evaluate",
    "explain",
    "get_layer",
    "layers",
    "parse_input_shape",
    "read_model",
    "trace",
    "trace_code",
]
