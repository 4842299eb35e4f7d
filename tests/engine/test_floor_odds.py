"""The floor-odds calculator that keeps conformance floors from failing by chance."""

import math

import pytest

from tests.engine.floor_odds import binomial_below, floor_odds


@pytest.mark.parametrize("trials,probability", [(10, 0.3), (120, 0.4), (7, 0.9)])
def test_binomial_below_sums_the_exact_terms(trials, probability):
    assert binomial_below(0, trials, probability) == 0
    assert binomial_below(1, trials, probability) == pytest.approx((1 - probability) ** trials)
    assert binomial_below(trials + 1, trials, probability) == pytest.approx(1)
    two = (1 - probability) ** trials + trials * probability * (1 - probability) ** (trials - 1)
    assert binomial_below(2, trials, probability) == pytest.approx(two)


def test_floor_odds_scales_the_measured_rates_to_a_ci_run_and_sorts_worst_first():
    log = ["a (call)\t700\t20\t1\n", "b (call)\t300\t420\t5\n"]
    (worst, worst_test), (best, best_test) = floor_odds(log, measured_configs=720)
    assert (worst_test, best_test) == ("a", "b")
    # a: 120 trials, rejection rate 20/720, floor of one rejection -> P(no rejection).
    assert worst == pytest.approx((1 - 20 / 720) ** 120 + binomial_below(24, 120, 700 / 720))
    assert math.isclose(best, binomial_below(24, 120, 300 / 720) + binomial_below(5, 120, 420 / 720))
