"""Time per call of ``allocate_monotone`` on refunds of random splits (not a test).

    .venv/bin/python bench/apportionment.py [--splits 1000] [--seed 1]

Draws seeded splits like the ledger's (merchant, creator, agency, platform fee, platform cut,
tax of orders up to 10^12 minor units, shipping up to 10^12) and, with ``--lopsided``, random
2..7-leg weight vectors spanning 10^0..10^12 instead; for each, three cumulative refund amounts
on a fresh cache. Prints the mean and the worst time per call, in milliseconds, as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared import apportionment


def split_like(rng: random.Random) -> list[int]:
    base = rng.randint(1, 10 ** rng.randint(1, 12))
    paid = base + rng.choice([0, rng.randint(0, 10 ** rng.randint(0, 12))])
    fee = (base * rng.choice([400, 500, 600, 900]) + 5000) // 10000
    commission = min((base * rng.randint(100, 8000) + 5000) // 10000, paid - fee)
    cut = (commission * rng.choice([0, 0, 1000]) + 5000) // 10000
    agency = (commission - cut) * rng.choice([0, 2000, rng.randint(1, 10000)]) // 10000
    gross = commission - cut - agency
    tax = (gross * rng.choice([0, 0, 1000, rng.randint(1, 10000)]) + 5000) // 10000
    return [paid - fee - commission, gross - tax, agency, fee, cut, tax]


def lopsided(rng: random.Random) -> list[int]:
    return [rng.randint(1, 10 ** rng.randint(0, 12)) for _ in range(rng.randint(2, 7))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--splits", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lopsided", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    draw = lopsided if args.lopsided else split_like
    times: list[float] = []
    for _ in range(args.splits):
        weights = draw(rng)
        total = sum(weights)
        if total == 0:
            continue
        apportionment._shares.cache_clear()
        for amount in sorted(rng.randint(0, total) for _ in range(3)):
            started = time.perf_counter()
            apportionment.allocate_monotone(amount, weights)
            times.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "calls": len(times),
                "mean_ms": round(1000 * sum(times) / len(times), 3),
                "worst_ms": round(1000 * max(times), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
