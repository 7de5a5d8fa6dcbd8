"""The verify fold's balances are those the rebuild fold (the domain's ``fold``) posts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.ledger.adapters.kafka.decoding import RecordDecoder
from services.ledger.adapters.kafka.partition_reader import PartitionRange
from services.ledger.replay_rebuild import Topics, fold_shard
from services.ledger.replay_runner import disjoint, shard_ranges
from services.ledger.service.replay_verify import (
    BalanceDifference,
    BalanceFold,
    BalanceTotals,
    balance_differences,
)
from shared.kafka.consumer import ConsumedRecord
from tests.support.replay_streams import ORDERS_TOPIC, PAYOUTS_TOPIC, troubled_stream

TOPICS = Topics(orders=ORDERS_TOPIC, payouts=PAYOUTS_TOPIC, ledger="ledger.v1")


def rebuild_balances(records: list[ConsumedRecord]) -> tuple[dict[str, int], int, list[int]]:
    """Balances, entries and failed record indexes as the rebuild's fold has them."""
    shard = fold_shard(list(enumerate(records)), TOPICS, datetime(2026, 11, 25, tzinfo=UTC))
    balances: dict[str, int] = {}
    entries = 0
    for _, _, rows in shard.folded:
        entries += len(rows.entries)
        for posting in rows.postings:
            balances[posting[2]] = balances.get(posting[2], 0) + posting[4]
    return balances, entries, shard.failed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verify_fold_posts_what_the_domain_fold_posts(seed: int) -> None:
    records, failing = troubled_stream(seed, orders=300)
    balances, entries, failed = rebuild_balances(records)

    totals = BalanceFold(
        RecordDecoder(topic_orders=ORDERS_TOPIC, topic_payouts=PAYOUTS_TOPIC)
    ).add_all(records)

    assert len(failed) > failing  # and some cancellations after release
    assert [(f.topic, f.partition, f.offset) for f in totals.failed] == [
        (records[i].topic, records[i].partition, records[i].offset) for i in failed
    ]
    assert totals.balances == balances
    assert totals.entries == entries > 600
    assert totals.folded == len(records) - len(failed) - 1  # one record repeats an event id
    kinds = {code.rsplit("/", 1)[1] for code in balances}
    assert kinds == {"pending", "available", "paid_out", "clearing"}


def test_progress_is_reported_in_steps_up_to_every_record() -> None:
    records, _ = troubled_stream(4, orders=50)
    steps: list[int] = []
    fold = BalanceFold(RecordDecoder(topic_orders=ORDERS_TOPIC, topic_payouts=PAYOUTS_TOPIC))
    fold.add_all(records, progress=steps.append, every=40)
    assert steps[:-1] == [40] * (len(steps) - 1)
    assert sum(steps) == len(records)


def test_differences_name_each_account_that_differs() -> None:
    replayed = {"a": 1, "b": 2, "c": 3}
    live = {"a": 1, "b": 5, "d": 4}
    assert balance_differences(replayed, live) == [
        BalanceDifference("b", 2, 5),
        BalanceDifference("c", 3, None),
        BalanceDifference("d", None, 4),
    ]
    assert balance_differences(replayed, dict(replayed)) == []


def test_partitions_are_shared_so_each_key_is_in_one_shard_and_the_cpus_evenly() -> None:
    def ranges(partitions: int, *topics: str) -> list[PartitionRange]:
        return [PartitionRange(t, p, 0, 10) for t in topics for p in range(partitions)]

    def shards(found: list[tuple[PartitionRange, ...]]) -> list[set[tuple[str, int]]]:
        return [{(r.topic, r.partition) for r in group} for group in found]

    both = ranges(3, "o", "p")
    assert shards(shard_ranges(both, 1)) == [{(t, p) for t in "op" for p in range(3)}]
    assert shards(shard_ranges(both, 2)) == [{("o", p), ("p", p)} for p in range(3)]
    six = ranges(6, "o", "p")
    assert shards(shard_ranges(six, 2)) == [
        {(t, p) for t in "op" for p in range(6) if p % 2 == g} for g in range(2)
    ]
    # Topics partitioned differently do not put a key on the same partition number: one shard.
    uneven = ranges(3, "o") + ranges(2, "p")
    assert len(shard_ranges(uneven, 2)) == 1


def test_shards_sharing_an_event_or_payout_id_are_not_summed() -> None:
    def shard(events: set[str], payouts: set[str]) -> BalanceTotals:
        return BalanceTotals(event_ids=events, payout_ids=payouts)

    assert disjoint([shard({"e1"}, {"p1"}), shard({"e2"}, {"p2"})])
    assert not disjoint([shard({"e1"}, set()), shard({"e1", "e2"}, set())])
    assert not disjoint([shard({"e1"}, {"p1"}), shard({"e2"}, {"p1"})])
