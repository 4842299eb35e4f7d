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


# ---- every registered layer must be checked against its framework -------------------------------
# Conformance tests record each layer they evaluate; after a full run (every conformance test ran and
# passed) a layer that no conformance test touched fails the session. Adding a layer therefore means
# one declaration plus its conformance test.
_CHECKED_LAYERS: set = set()
_CONFORMANCE = {"collected": 0, "passed": 0}


@pytest.fixture(autouse=True)
def _record_conformance_layers(request, monkeypatch):
    if request.node.get_closest_marker("conformance") is None:
        yield
        return
    from engine import api

    original = api._apply

    def recording_apply(spec, *args, **kwargs):
        _CHECKED_LAYERS.add(spec.key)
        return original(spec, *args, **kwargs)

    monkeypatch.setattr(api, "_apply", recording_apply)
    yield


def pytest_collection_modifyitems(session, config, items):
    _CONFORMANCE["collected"] = sum(1 for item in items if item.get_closest_marker("conformance"))


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "conformance" in report.keywords:
        _CONFORMANCE["passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    import engine

    full_run = _CONFORMANCE["collected"] and _CONFORMANCE["passed"] == _CONFORMANCE["collected"]
    all_modules = {p.name for p in (__import__("pathlib").Path(__file__).parent).glob("test_conformance_*.py")}
    ran_modules = {item.path.name for item in session.items if item.get_closest_marker("conformance")}
    if not full_run or not all_modules <= ran_modules:
        return
    missing = sorted(spec.key for spec in engine.layers() if spec.key not in _CHECKED_LAYERS)
    from tests.engine.conformance import CHECKED

    print(
        f"\nconformance: {len(_CHECKED_LAYERS)} layer types checked against their framework, "
        f"{CHECKED['accepted'] + CHECKED['rejected']} random configurations "
        f"({CHECKED['accepted']} accepted, {CHECKED['rejected']} rejected by both)"
    )
    if missing:
        print("conformance: no conformance test checks " + ", ".join(missing))
        session.exitstatus = 1
