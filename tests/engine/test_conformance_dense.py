"""Keras Dense and PyTorch Linear against the real frameworks (the last axis only; every other axis kept)."""

from __future__ import annotations

import pytest

from tests.engine import conformance
from tests.engine.conformance import Tally, draw_activation
from tests.engine.conftest import CONFIGS_PER_LAYER
from tests.engine.test_conformance_reshape import FRAMEWORK_ERRORS, dims, maybe_none, run_torch

pytestmark = pytest.mark.conformance


def test_keras_dense_matches_keras(rng, keras):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(2, 4)
        shape = list(maybe_none(rng, [rng.randint(1, 3), *dims(rng, rank - 1, 1, 9)], 0.15))
        if rng.random() < 0.08:
            shape[-1] = None  # Dense cannot build on an unknown last axis
        kwargs = {"units": rng.randint(1, 12)}
        if rng.random() < 0.3:
            kwargs["use_bias"] = rng.random() < 0.5
        if rng.random() < 0.05:
            kwargs["unitz"] = 3  # misspelt keyword: both reject it
        shape = draw_activation(rng, kwargs, tuple(shape), 0.3)
        real = conformance.run_keras(keras, "Dense", kwargs, shape, errors=FRAMEWORK_ERRORS, limit=300)
        tally.check("keras", "Dense", kwargs, kwargs, shape, real)
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=1)


def test_torch_linear_matches_torch(rng, torch):
    tally = Tally.strict()
    for _ in range(CONFIGS_PER_LAYER):
        rank = rng.randint(1, 4)
        shape = dims(rng, rank, 1, 9)
        in_features = shape[-1] if rng.random() < 0.85 else rng.randint(1, 9)  # sometimes a mismatch
        kwargs = {"in_features": in_features, "out_features": rng.randint(1, 12)}
        if rng.random() < 0.3:
            kwargs["bias"] = rng.random() < 0.5
        shape = tuple(shape)
        tally.check("pytorch", "Linear", kwargs, kwargs, shape, run_torch(torch, "Linear", kwargs, shape))
    tally.assert_floor(CONFIGS_PER_LAYER, min_rejected=1)


def test_seed_dense_of_the_gan_generator():
    import engine

    result = engine.evaluate("keras", "Dense", {"units": 128 * 16 * 16}, [None, 32])
    assert result["output_shape"] == [None, 32768]
    assert result["param_count"] == 1_081_344
    assert result["weights"] == {"kernel": [32, 32768], "bias": [32768]}


def test_linear_feature_mismatch_names_both_sizes():
    import engine

    with pytest.raises(engine.ShapeError) as err:
        engine.evaluate("pytorch", "Linear", {"in_features": 4096, "out_features": 10}, [1, 9216])
    assert err.value.code == "channel_mismatch"
    assert "4096" in err.value.message and "9216" in err.value.message
    assert err.value.field == "input_shape[1]"
