"""ShapeKB's shape-formula engine: pure Python + SymPy (no Flask, no database)."""

from engine.api import evaluate, get_layer, layers, parse_input_shape, trace
from engine.errors import ShapeError
from engine.solve import solve
from engine.solve_stack import solve_input_sizes

__all__ = ["ShapeError", "evaluate", "get_layer", "layers", "parse_input_shape", "solve", "solve_input_sizes", "trace"]
