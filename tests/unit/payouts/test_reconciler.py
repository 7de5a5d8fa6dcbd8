"""The reconciliation use case with fakes for this service's view, the ledger and the provider."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from services.payouts.domain.reconciliation import Figures, PartyCurrency, PayoutState
from services.payouts.service.metrics import PayoutsMetrics
from services.payouts.service.ports import (
    LedgerBalances,
    LedgerUnavailableError,
    PayoutStatusLookup,
    PayoutsView,
    ProviderUnavailableError,
)
from services.payouts.service.reconciliation import Reconciler
from services.payouts.service.workers import periodic_reconciliation
from tests.support.reconciliation import (
    FakeLedger,
    FakeProvider,
    FakeView,
    RecordedSleep,
    own_view,
)

CREATOR = PartyCurrency("creator", "c-1", "GBP")
PLATFORM = PartyCurrency("platform", "UK", "GBP")
PAID = PayoutState("p-1", "creator", "c-1", "GBP", 1_500, "paid")


def reconciler(
    view: PayoutsView,
    ledger: LedgerBalances,
    provider: PayoutStatusLookup | None = None,
    *,
    confirm_after_s: float = 2.0,
    metrics: PayoutsMetrics | None = None,
    sleep: RecordedSleep | None = None,
) -> Reconciler:
    return Reconciler(
        view=view,
        ledger=ledger,
        provider=provider if provider is not None else FakeProvider(),
        payout_window=timedelta(days=30),
        confirm_after_s=confirm_after_s,
        metrics=metrics,
        sleep=sleep or RecordedSleep(),
    )


def gauge(registry: CollectorRegistry, kind: str) -> float | None:
    return registry.get_sample_value("settlement_reconciliation_differences", {"kind": kind})


def runs(registry: CollectorRegistry, outcome: str) -> float | None:
    return registry.get_sample_value("settlement_reconciliation_runs_total", {"outcome": outcome})


async def test_agreeing_services_give_empty_lists_after_one_look_and_zero_gauges() -> None:
    registry, sleep = CollectorRegistry(), RecordedSleep()
    view = FakeView(own_view(pending={CREATOR: 516}, available={CREATOR: 100}, payouts=[PAID]))
    ledger = FakeLedger({CREATOR: Figures(516, 100)})
    found = await reconciler(
        view, ledger, FakeProvider({"p-1": "paid"}), metrics=PayoutsMetrics(registry), sleep=sleep
    ).reconcile()
    assert (found.balances, found.payouts, found.agrees) == ([], [], True)
    assert found.payouts_checked
    assert (ledger.calls, sleep.pauses, view.windows) == (1, [], [timedelta(days=30)])
    assert (gauge(registry, "balance"), gauge(registry, "payout")) == (0, 0)
    assert (runs(registry, "ok"), runs(registry, "error")) == (1, 0)


async def test_a_difference_seen_by_both_looks_is_reported_with_both_figures() -> None:
    registry, sleep = CollectorRegistry(), RecordedSleep()
    view = FakeView(own_view(pending={CREATOR: 516}, available={CREATOR: 107}))
    ledger = FakeLedger({CREATOR: Figures(516, 100)})
    found = await reconciler(
        view, ledger, metrics=PayoutsMetrics(registry), sleep=sleep
    ).reconcile()
    (difference,) = found.balances
    assert difference.account == CREATOR
    assert (difference.payouts, difference.ledger) == (Figures(516, 107), Figures(516, 100))
    assert (ledger.calls, sleep.pauses) == (2, [2.0])
    assert (gauge(registry, "balance"), gauge(registry, "payout")) == (1, 0)


async def test_a_difference_that_moves_between_looks_is_in_flight_and_not_reported() -> None:
    # The ledger posted an order the payouts service had not folded yet at the first look.
    view = FakeView(own_view(pending={PLATFORM: 351}), own_view(pending={PLATFORM: 702}))
    ledger = FakeLedger({PLATFORM: Figures(702, 0)})
    found = await reconciler(view, ledger).reconcile()
    assert found.agrees


async def test_without_confirmation_one_look_is_the_answer() -> None:
    sleep = RecordedSleep()
    view = FakeView(own_view(pending={PLATFORM: 351}), own_view(pending={PLATFORM: 702}))
    ledger = FakeLedger({PLATFORM: Figures(702, 0)})
    found = await reconciler(view, ledger, confirm_after_s=0, sleep=sleep).reconcile()
    assert [(d.payouts.pending, d.ledger.pending) for d in found.balances] == [(351, 702)]
    assert sleep.pauses == []


async def test_payouts_whose_provider_status_differs_are_reported() -> None:
    registry = CollectorRegistry()
    failed = PayoutState("p-2", "merchant", "shop-1", "GBP", 3_303, "failed")
    view = FakeView(own_view(payouts=[PAID, failed]))
    provider = FakeProvider({"p-2": "paid"})  # never heard of p-1, paid p-2
    found = await reconciler(
        view, FakeLedger(), provider, metrics=PayoutsMetrics(registry)
    ).reconcile()
    assert [(d.payout.payout_id, d.payout.status, d.provider_status) for d in found.payouts] == [
        ("p-1", "paid", "unknown"),
        ("p-2", "failed", "paid"),
    ]
    assert (gauge(registry, "balance"), gauge(registry, "payout")) == (0, 2)


async def test_an_unreachable_ledger_fails_the_reconciliation_and_keeps_the_last_figures() -> None:
    registry = CollectorRegistry()
    metrics = PayoutsMetrics(registry)
    view = FakeView(own_view(available={CREATOR: 5}))
    await reconciler(view, FakeLedger(), metrics=metrics).reconcile()
    with pytest.raises(LedgerUnavailableError, match="did not answer"):
        await reconciler(view, FakeLedger(down=True), metrics=metrics).reconcile()
    assert gauge(registry, "balance") == 1
    assert (runs(registry, "ok"), runs(registry, "error")) == (1, 1)


async def test_a_provider_that_cannot_be_asked_fails_the_reconciliation() -> None:
    view = FakeView(own_view(payouts=[PAID]))
    with pytest.raises(ProviderUnavailableError, match="provider API unreachable"):
        await reconciler(view, FakeLedger(), FakeProvider(broken=True)).reconcile()


async def test_without_a_provider_lookup_payouts_are_not_checked() -> None:
    found = await Reconciler(
        view=FakeView(own_view(payouts=[PAID])),
        ledger=FakeLedger(),
        provider=None,
        payout_window=timedelta(days=30),
    ).reconcile()
    assert (found.payouts, found.payouts_checked) == ([], False)


class HangingLedger:
    """A ledger that never answers (a black-holed connection)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def all_balances(self) -> dict[PartyCurrency, Figures]:
        self.asked.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class DownLedger(FakeLedger):
    """Never reachable; `asked_thrice` is set on the third attempt."""

    def __init__(self) -> None:
        super().__init__(down=True)
        self.asked_thrice = asyncio.Event()

    async def all_balances(self) -> dict[PartyCurrency, Figures]:
        if self.calls >= 2:
            self.asked_thrice.set()
        return await super().all_balances()


async def test_the_worker_reconciles_again_and_again_through_failures() -> None:
    registry = CollectorRegistry()
    down = DownLedger()
    worker = reconciler(FakeView(own_view()), down, metrics=PayoutsMetrics(registry))
    stop = asyncio.Event()
    task = asyncio.create_task(periodic_reconciliation(stop, reconciler=worker, every_s=0.01))
    await asyncio.wait_for(down.asked_thrice.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert runs(registry, "error") == down.calls >= 3
    assert runs(registry, "ok") == 0


async def test_stopping_abandons_a_reconciliation_that_hangs() -> None:
    ledger = HangingLedger()
    worker = reconciler(FakeView(own_view()), ledger)
    stop = asyncio.Event()
    task = asyncio.create_task(periodic_reconciliation(stop, reconciler=worker, every_s=0.01))
    await asyncio.wait_for(ledger.asked.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 1)  # would hang for ever if the worker waited for the ledger
