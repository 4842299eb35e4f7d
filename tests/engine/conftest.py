"""Shared fixtures for engine tests: a fresh, printed seed per run, and the real frameworks."""

from __future__ import annotations

import os
import random

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

# Set SHAPEKB_SEED=<n> to replay a failing run; each run otherwise draws a new seed.
RUN_SEED = int(os.environ.get("SHAPEKB_SEED") or random.SystemRandom().randrange(2**32))
# Random configurations per layer type in conformance tests (CI default keeps the suite fast).
CONFIGS_PER_LAYER = int(os.environ.get("SHAPEKB_CONFIGS_PER_LAYER", "120"))


def pytest_report_header(config):
    return f"shapekb seed: SHAPEKB_SEED={RUN_SEED} (configs per layer: {CONFIGS_PER_LAYER})"


@pytest.fixture
def rng(request) -> random.Random:
    """A Random seeded from the run seed and the test's name, so each test replays on its own."""
    seed = f"{RUN_SEED}:{request.node.nodeid}"
    print(f"rng seed: SHAPEKB_SEED={RUN_SEED} test={request.node.nodeid}")
    return random.Random(seed)


@pytest.fixture(scope="session")
def torch():
    import torch as _torch

    _torch.set_num_threads(1)
    return _torch


@pytest.fixture(scope="session")
def keras():
    import keras as _keras

    assert _keras.backend.backend() == "torch", "KERAS_BACKEND must be torch"
    return _keras
