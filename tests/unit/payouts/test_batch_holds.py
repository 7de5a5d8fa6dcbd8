"""A batch's holds: each written once, inserted if new in the batch, updated only if changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.payouts.domain.holds import deliver
from services.payouts.service.ledger_events import BatchHolds, UnknownHoldError
from tests.support.holds import posted_hold

DELIVERED = datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_a_hold_posted_and_delivered_in_one_batch_is_inserted_once_in_its_final_state() -> None:
    holds = BatchHolds({})
    holds.put(posted_hold("o-1"))
    holds.put(deliver(holds.get(("shop-1", "o-1")), DELIVERED))
    assert [(h.order_id, h.status) for h in holds.new()] == [("o-1", "holding")]
    assert holds.changed() == []


def test_only_loaded_holds_that_changed_are_updated() -> None:
    holds = BatchHolds(
        {("shop-1", "o-1"): posted_hold("o-1"), ("shop-1", "o-2"): posted_hold("o-2")}
    )
    holds.put(deliver(holds.get(("shop-1", "o-2")), DELIVERED))
    assert holds.new() == []
    assert [(h.order_id, h.delivered_at) for h in holds.changed()] == [("o-2", DELIVERED)]


def test_an_event_for_a_hold_never_posted_is_refused() -> None:
    with pytest.raises(UnknownHoldError):
        BatchHolds({}).get(("shop-1", "o-unknown"))
