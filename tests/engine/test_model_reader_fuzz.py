"""Mutated real model code (tests/engine/graph_models) read by engine.trace_code: an answer or a ShapeError
naming what it refuses, never another exception, and quickly. A fresh seed per run (printed)."""

from __future__ import annotations

import time
from pathlib import Path

import engine
from engine import ShapeError

MODELS = sorted((Path(__file__).parent / "graph_models").glob("*.txt"))
MUTANTS = 150
SHAPES = {"torch": [2, 3, 32, 32], "keras": None}


def mutate(code: str, rng) -> str:
    lines = code.splitlines()
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(lines))
        kind = rng.choice(["drop", "number", "swap", "token", "duplicate"])
        if kind == "drop":
            del lines[k]
        elif kind == "duplicate":
            lines.insert(k, lines[k])
        elif kind == "swap" and k + 1 < len(lines):
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
        elif kind == "number":
            digits = [i for i, ch in enumerate(lines[k]) if ch.isdigit()]
            if digits:
                i = rng.choice(digits)
                lines[k] = lines[k][:i] + rng.choice("0123456789") + lines[k][i + 1 :]
        else:
            words = lines[k].split(" ")
            i = rng.randrange(len(words))
            words[i] = rng.choice(["x", "None", "self", "(", "[0]", "-1", "x.view(-1)", "F.relu(x)", "**2"])
            lines[k] = " ".join(words)
        if not lines:
            lines = ["x = 1"]
    return "\n".join(lines) + "\n"


def test_mutated_models_answer_or_refuse(rng):
    slowest = 0.0
    for _ in range(MUTANTS):
        path = rng.choice(MODELS)
        code = mutate(path.read_text(), rng)
        shape = SHAPES["torch" if path.name.startswith("torch") else "keras"]
        start = time.perf_counter()
        try:
            answer = engine.trace_code(code, input_shape=shape)
        except ShapeError as err:
            assert err.code and err.message, code
            err.as_dict()
        else:
            assert isinstance(answer["layers"], list)
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 20.0  # bounded work (steps, data, nodes), with room for a loaded machine
