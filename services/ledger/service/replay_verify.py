"""Replay in verify mode: the input topics folded in memory to a balance per account, no writes.

``BalanceFold`` takes records in replay order and keeps, per account code, the sum of the postings
the live ledger writes for them, without building entries or publications. The money comes from
the domain's own rules: ``compute_split`` for a placement, ``reverse_refund`` (the cumulative
reversal) for refunds and cancellations, ``remaining_legs`` for a release, ``party_of`` for whose
account a leg is, and ``apply_payout`` (the domain fold itself) for payout events. Re-stated here:
the order of those steps and the checks ``domain/fold.py`` makes (unknown or twice-placed order,
refund total, ``reverse_refund``'s bound, a cancellation after release), and one saving: the legs
of an order's reversals are posted once per phase (pending, then after release), which gives the
same sums (see ``_refund``). A unit test folds random streams both ways and compares balances,
entries and refused records (``tests/unit/ledger/test_replay_verify.py``).

Outcome per record, as the live ledger (and the rebuild) have it: a repeated event id is folded
once; a record that cannot be decoded or folded changes nothing, is not marked seen, and is
listed in ``failed``. Records decode through the live ledger's decoder (passed in), the one
schema of each event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from services.ledger.domain.accounts import AccountKey, clearing
from services.ledger.domain.errors import (
    DuplicateOrderError,
    InvalidRefundError,
    RefundExceedsPaidTotalError,
    UnknownOrderError,
)
from services.ledger.domain.legs import party_of
from services.ledger.domain.outputs import FoldOutput, Incoming
from services.ledger.domain.payout_fold import apply_payout
from services.ledger.domain.reversal import remaining_legs, reverse_refund
from services.ledger.domain.split import LEG_NAMES, Legs, Split
from services.ledger.domain.state import LedgerState, OrderState, split_of
from shared.events.orders_v1 import OrderCancelled as Cancelled
from shared.events.orders_v1 import OrderDelivered as Delivered
from shared.events.orders_v1 import OrderPlaced as Placed
from shared.events.orders_v1 import OrderRefunded as Refunded
from shared.events.payouts_v1 import PayoutCreated, PayoutFailed, PayoutPaid
from shared.events.payouts_v1 import SettlementReleased as Released
from shared.kafka.consumer import ConsumedRecord

Codes = tuple[str | None, ...]
"""An account code per leg, in ``LEG_NAMES`` order (None: the leg has no party)."""
_PayoutEvent = PayoutCreated | PayoutPaid | PayoutFailed
OrderEvent = Placed | Delivered | Refunded | Cancelled | Released


class CancelledAfterReleaseError(ValueError):
    """A cancellation with money left to reverse, of an order already released."""


@dataclass(frozen=True, slots=True)
class FailedRecord:
    """A record the live ledger dead-letters (undecodable, or refused by the fold)."""

    topic: str
    partition: int
    offset: int
    reason: str


@dataclass(slots=True)
class BalanceTotals:
    """What a verify fold found: a balance per account code (minor units), the number of journal
    entries the events make, events folded, records failed, the event ids folded and the payouts
    seen (ids a sharded replay checks are disjoint across shards)."""

    balances: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    folded: int = 0
    failed: list[FailedRecord] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    payout_ids: set[str] = field(default_factory=set)

    def merge(self, other: BalanceTotals) -> None:
        """Add a disjoint shard's totals (the caller checks ``event_ids`` are disjoint)."""
        for code, amount in other.balances.items():
            self.balances[code] = self.balances.get(code, 0) + amount
        self.entries += other.entries
        self.folded += other.folded
        self.failed += other.failed
        self.event_ids |= other.event_ids
        self.payout_ids |= other.payout_ids


@dataclass(slots=True)
class _Order:
    split: Split
    pending: Codes
    available: Codes
    refunded: int = 0
    cancelled: bool = False
    released: bool = False
    reversed_at_release: int = 0
    """``reversed_total`` when the order was released (what the release left behind)."""

    @property
    def reversed_total(self) -> int:
        return self.split.paid_total if self.cancelled else self.refunded


class BalanceFold:
    """Folds records (in replay order) into ``totals``; one instance per shard of keys."""

    def __init__(self, decode: Callable[[ConsumedRecord], Incoming]) -> None:
        """``decode`` is the live ledger's decoder, so a record it dead-letters fails here too."""
        self.totals = BalanceTotals()
        self._decode_record = decode
        self._orders: dict[tuple[str, str], _Order] = {}
        self._payouts = LedgerState()
        self._codes: dict[tuple[str, str | None, str | None, str, str], tuple[Codes, Codes]] = {}

    def add_all(
        self,
        records: Iterable[ConsumedRecord],
        progress: Callable[[int], None] | None = None,
        every: int = 50_000,
    ) -> BalanceTotals:
        """Fold ``records``; ``progress(n)`` is called with each further ``n`` records done."""
        done = 0
        for record in records:
            self.add(record)
            done += 1
            if progress is not None and done == every:
                progress(done)
                done = 0
        if progress is not None and done:
            progress(done)
        return self.finish()

    def add(self, record: ConsumedRecord) -> None:
        decoded = self._decode(record)
        if isinstance(decoded, FailedRecord):
            self.totals.failed.append(decoded)
            return
        event_id, event = decoded
        if event_id in self.totals.event_ids:
            return
        try:
            if isinstance(event, PayoutCreated | PayoutPaid | PayoutFailed):
                self._payout(event_id, event)
            else:
                self._order_event(event)
        except Exception as error:  # what the live fold dead-letters: the event changes nothing
            self.totals.failed.append(_failed(record, error))
            return
        self.totals.event_ids.add(event_id)
        self.totals.folded += 1

    def _decode(
        self, record: ConsumedRecord
    ) -> tuple[str, OrderEvent | _PayoutEvent] | FailedRecord:
        try:
            incoming = self._decode_record(record)
        except ValueError as error:
            return _failed(record, error)
        return incoming.event_id, incoming.event

    def _order_event(self, event: OrderEvent) -> None:
        key = (event.shop_id, event.order_id)
        if isinstance(event, Placed):
            self._place(key, event)
            return
        order = self._orders.get(key)
        if order is None:
            raise UnknownOrderError(f"order {event.order_id} of shop {event.shop_id} not placed")
        if isinstance(event, Refunded):
            self._refund(order, event)
        elif isinstance(event, Cancelled):
            self._cancel(order)
        elif isinstance(event, Released):
            self._release(order)
        else:
            assert isinstance(event, Delivered)  # moves no money

    def _place(self, key: tuple[str, str], event: Placed) -> None:
        if key in self._orders:
            raise DuplicateOrderError(f"order {event.order_id} of {event.shop_id} already placed")
        split = split_of(event)
        pending, available = self._account_codes(event, split)
        self._orders[key] = _Order(split, pending, available)
        if split.paid_total:
            self._move(pending, split.legs, 1)
            self._add(clearing(split.currency).code, -split.paid_total)
            self.totals.entries += 1

    # Reversals are posted per order and phase, not per event: a refund's legs are
    # ``cumulative_reversal(after) - cumulative_reversal(before)``, so the legs of all the refunds
    # (and the cancellation) of one phase sum to the cumulative reversal at the phase's end minus
    # that at its start. Each event is still checked when it comes (and refused as the live fold
    # refuses it); its clearing posting and its entry are counted then, its legs at the release
    # (the pending phase) or in ``finish`` (the phase still open). One apportionment per phase
    # instead of one per refund: it is most of the fold's cost.

    def _refund(self, order: _Order, event: Refunded) -> None:
        after = order.refunded + event.amount
        if after != event.refunded_total:
            raise InvalidRefundError(f"refunded_total {event.refunded_total} != {after}")
        if after > order.split.paid_total:  # ``reverse_refund``'s bound, checked alike
            raise RefundExceedsPaidTotalError(
                order_id=event.order_id,
                paid_total=order.split.paid_total,
                refunded_cumulative=after,
            )
        before_cancel = not order.cancelled
        order.refunded = after
        if before_cancel:
            self._reversed(order, event.amount)

    def _cancel(self, order: _Order) -> None:
        if order.cancelled:
            return
        amount = order.split.paid_total - order.refunded  # ``reverse_cancellation``'s amount
        if amount and order.released:
            # The live fold refuses it when publishing (``ledger_v1.LedgerOrderReversed``).
            raise CancelledAfterReleaseError("a cancellation happens before delivery")
        order.cancelled = True
        if amount:
            self._reversed(order, amount)

    def _reversed(self, order: _Order, amount: int) -> None:
        """One reversal entry: its clearing posting now, its legs when the phase closes."""
        self._add(clearing(order.split.currency).code, amount)
        self.totals.entries += 1

    def _release(self, order: _Order) -> None:
        if order.released:
            return
        remaining = remaining_legs(order.split, order.reversed_total)
        order.released = True
        order.reversed_at_release = order.reversed_total
        # The pending phase closes: its reversals (all legs less what remains), then the release.
        self._move(order.pending, order.split.legs - remaining, -1)
        if remaining.total:
            self._move(order.pending, remaining, -1)
            self._move(order.available, remaining, 1)
            self.totals.entries += 1

    def finish(self) -> BalanceTotals:
        """Post the legs of the reversals of each order's open phase; the totals are then final
        (call once, after the last record)."""
        for order in self._orders.values():
            start = order.reversed_at_release if order.released else 0
            end = order.reversed_total
            if end == start:
                continue
            legs = reverse_refund(order.split, start, end).legs
            self._move(order.available if order.released else order.pending, legs, -1)
        self._orders.clear()
        self.totals.payout_ids = set(self._payouts.payouts)
        return self.totals

    def _payout(self, event_id: str, event: _PayoutEvent) -> None:
        output = FoldOutput()
        apply_payout(self._payouts, event_id, event, output)  # reads the state, changes none
        self._payouts.payouts.update(output.payouts)
        for entry in output.entries:
            for posting in entry.postings:
                self._add(posting.account.code, posting.amount)
        self.totals.entries += len(output.entries)

    def _account_codes(self, event: Placed, split: Split) -> tuple[Codes, Codes]:
        """Pending and available account codes per leg, from the domain's ``party_of``
        (cached: many orders share shop, creator, agency and region)."""
        agency_id = event.agency.agency_id if event.agency is not None else None
        cache_key = (event.shop_id, event.creator_id, agency_id, event.region, split.currency)
        cached = self._codes.get(cache_key)
        if cached is not None:
            return cached
        state = OrderState(placed=event, split=split)
        parties = [party_of(state, name) for name in LEG_NAMES]
        pending, available = (
            tuple(
                AccountKey(party[0], party[1], split.currency, sub_account).code
                if party is not None
                else None
                for party in parties
            )
            for sub_account in ("pending", "available")
        )
        self._codes[cache_key] = (pending, available)
        return pending, available

    def _move(self, codes: Codes, legs: Legs, sign: int) -> None:
        """One posting per non-zero leg that has a party (``legs.leg_postings``)."""
        for code, amount in zip(codes, legs.amounts(), strict=True):
            if amount and code is not None:
                self._add(code, sign * amount)

    def _add(self, code: str, amount: int) -> None:
        balances = self.totals.balances
        balances[code] = balances.get(code, 0) + amount


def _failed(record: ConsumedRecord, error: BaseException) -> FailedRecord:
    return FailedRecord(
        record.topic, record.partition, record.offset, f"{type(error).__name__}: {error}"
    )


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    """An account whose replayed and live balances differ (None: no postings on that side)."""

    account: str
    replayed: int | None
    live: int | None


def balance_differences(
    replayed: Mapping[str, int], live: Mapping[str, int]
) -> list[BalanceDifference]:
    """Every account whose balance differs, sorted by account code."""
    return [
        BalanceDifference(code, replayed.get(code), live.get(code))
        for code in sorted(replayed.keys() | live.keys())
        if replayed.get(code) != live.get(code)
    ]
