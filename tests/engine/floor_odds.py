"""Chance that a conformance test's accepted/rejected floors fail by luck alone, from measured draw rates.

Run the conformance suite with many configurations and a log, then read the log:

    SHAPEKB_FLOOR_LOG=/tmp/floor.log SHAPEKB_CONFIGS_PER_LAYER=720 python -m pytest -m conformance tests/engine
    python -m tests.engine.floor_odds /tmp/floor.log --configs 720

A test whose odds are above one in a hundred thousand needs a lower floor or a draw that reaches both
outcomes more often; otherwise CI goes red now and then for no reason.
"""

from __future__ import annotations

import argparse
import math

from tests.engine.conformance import accepted_floor

DEFAULT_CONFIGS = 120


def binomial_below(floor: int, trials: int, probability: float) -> float:
    """P(X < floor) for X ~ Binomial(trials, probability)."""
    return sum(math.comb(trials, k) * probability**k * (1 - probability) ** (trials - k) for k in range(max(floor, 0)))


def floor_odds(log_lines: list[str], measured_configs: int, ci_configs: int = DEFAULT_CONFIGS):
    """(odds, test) per logged test, for a CI run of `ci_configs` per layer, worst first."""
    odds = []
    for line in log_lines:
        test, accepted, rejected, min_rejected = line.rstrip("\n").split("\t")
        accepted, rejected, min_rejected = int(accepted), int(rejected), int(min_rejected)
        total = accepted + rejected
        trials = round(total * ci_configs / measured_configs)
        rate = accepted / total
        chance = binomial_below(accepted_floor(ci_configs), trials, rate) + binomial_below(
            min_rejected, trials, 1 - rate
        )
        odds.append((chance, test.removesuffix(" (call)")))
    return sorted(odds, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--configs", type=int, required=True, help="SHAPEKB_CONFIGS_PER_LAYER of the logged run")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    with open(args.log) as log:
        odds = floor_odds(log.readlines(), args.configs)
    print(f"chance that some floor fails in a CI run: {sum(chance for chance, _ in odds):.2e}")
    for chance, test in odds[: args.top]:
        print(f"{chance:10.2e}  {test}")


if __name__ == "__main__":
    main()
