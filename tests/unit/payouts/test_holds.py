from datetime import UTC, datetime, timedelta

import pytest

from services.payouts.domain.errors import NotDueError, OverReversalError, UnknownPartyError
from services.payouts.domain.holds import (
    Hold,
    PartyAmount,
    deliver,
    is_due,
    open_hold,
    record_ledger_release,
    release,
    reverse_pending,
)
from services.payouts.domain.release_instant import HoldTerms

UK_TERMS = HoldTerms(after_sales_window_days=14, release_rule="next_day", min_payout=1_000)
LEGS = (
    PartyAmount("merchant", "shop-1", 3303),
    PartyAmount("creator", "c-1", 516),
    PartyAmount("agency", "a-1", 129),
    PartyAmount("platform", "UK", 351),
)


def posted(legs: tuple[PartyAmount, ...] = LEGS) -> Hold:
    return open_hold(
        order_id="o-1", shop_id="shop-1", region="UK", currency="GBP", terms=UK_TERMS, legs=legs
    )


def amounts(hold: Hold) -> dict[tuple[str, str], int]:
    return {leg.party: leg.amount for leg in hold.amounts}


def test_a_posted_order_holds_every_leg_until_delivery() -> None:
    hold = posted()
    assert hold.status == "awaiting_delivery"
    assert hold.release_at is None
    assert hold.total == 4299


def test_delivery_sets_the_release_instant_to_the_day_after_the_window() -> None:
    delivered_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    hold = deliver(posted(), delivered_at)
    assert hold.status == "holding"
    assert hold.release_at == delivered_at + timedelta(days=15)


def test_a_repeated_delivery_does_not_move_the_release_instant() -> None:
    first = deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC))
    assert deliver(first, datetime(2026, 3, 9, tzinfo=UTC)) == first


def test_a_partial_refund_before_release_shrinks_only_the_named_legs() -> None:
    hold = reverse_pending(
        posted(), [PartyAmount("merchant", "shop-1", 303), PartyAmount("creator", "c-1", 16)]
    )
    assert amounts(hold)[("merchant", "shop-1")] == 3000
    assert amounts(hold)[("creator", "c-1")] == 500
    assert amounts(hold)[("agency", "a-1")] == 129
    assert hold.status == "awaiting_delivery"


def test_a_full_refund_closes_the_hold_so_nothing_is_released() -> None:
    hold = deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC))
    refunded = reverse_pending(hold, LEGS)
    assert refunded.status == "closed"
    assert refunded.total == 0
    assert not is_due(refunded, datetime(2027, 1, 1, tzinfo=UTC))


def test_a_cancellation_before_delivery_closes_the_hold_and_a_late_delivery_keeps_it_closed() -> (
    None
):
    cancelled = reverse_pending(posted(), LEGS)
    assert cancelled.status == "closed"
    assert deliver(cancelled, datetime(2026, 3, 1, tzinfo=UTC)).status == "closed"


def test_a_reversal_beyond_what_is_pending_is_refused() -> None:
    with pytest.raises(OverReversalError):
        reverse_pending(posted(), [PartyAmount("creator", "c-1", 517)])


def test_a_reversal_for_a_party_not_in_the_hold_is_refused() -> None:
    with pytest.raises(UnknownPartyError):
        reverse_pending(posted(), [PartyAmount("creator", "someone-else", 1)])


def test_release_happens_at_the_release_instant_and_never_before() -> None:
    hold = deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC))
    assert hold.release_at is not None
    with pytest.raises(NotDueError):
        release(hold, hold.release_at - timedelta(microseconds=1))
    released = release(hold, hold.release_at)
    assert released.status == "released"
    assert released.released_at == hold.release_at


def test_a_released_hold_cannot_be_released_twice() -> None:
    hold = deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC))
    released = release(hold, datetime(2026, 6, 1, tzinfo=UTC))
    with pytest.raises(NotDueError):
        release(released, datetime(2026, 6, 2, tzinfo=UTC))


def test_an_undelivered_hold_is_never_due() -> None:
    with pytest.raises(NotDueError):
        release(posted(), datetime(2030, 1, 1, tzinfo=UTC))


def test_a_refund_that_won_the_race_at_the_ledger_still_shrinks_a_released_hold() -> None:
    hold = release(
        deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC)), datetime(2026, 6, 1, tzinfo=UTC)
    )
    shrunk = reverse_pending(hold, [PartyAmount("merchant", "shop-1", 3303)])
    assert shrunk.status == "released"
    assert amounts(shrunk)[("merchant", "shop-1")] == 0


def test_the_ledgers_release_legs_become_the_holds_amounts() -> None:
    hold = release(
        deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC)), datetime(2026, 6, 1, tzinfo=UTC)
    )
    smaller = (PartyAmount("merchant", "shop-1", 3000), PartyAmount("creator", "c-1", 500))
    recorded = record_ledger_release(hold, smaller, datetime(2026, 6, 1, 0, 0, 1, tzinfo=UTC))
    assert recorded.amounts == smaller
    assert recorded.status == "released"
    assert recorded.released_at == datetime(2026, 6, 1, tzinfo=UTC)


def test_a_ledger_release_of_nothing_closes_the_hold() -> None:
    hold = deliver(posted(), datetime(2026, 3, 1, tzinfo=UTC))
    zero = (PartyAmount("merchant", "shop-1", 0),)
    assert record_ledger_release(hold, zero, datetime(2026, 6, 1, tzinfo=UTC)).status == "closed"
