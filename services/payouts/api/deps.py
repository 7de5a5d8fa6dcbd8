"""Typed dependencies of the payouts routers: the service's use cases and queries, put on
``app.state`` by the composition root (``app.py``); never a repository or an engine."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.ports import BankBooks
from services.payouts.service.queries import PayoutsQueries
from services.payouts.service.reconciliation import Reconciler


def _queries(request: Request) -> PayoutsQueries:
    queries: PayoutsQueries = request.app.state.queries
    return queries


def _runner(request: Request) -> PayoutRunner:
    runner: PayoutRunner = request.app.state.payout_runner
    return runner


def _reconciler(request: Request) -> Reconciler:
    reconciler: Reconciler = request.app.state.reconciler
    return reconciler


def _simulated_bank(request: Request) -> BankBooks:
    bank: BankBooks = request.app.state.simulated_bank
    return bank


QueriesDep = Annotated[PayoutsQueries, Depends(_queries)]
PayoutRunnerDep = Annotated[PayoutRunner, Depends(_runner)]
ReconcilerDep = Annotated[Reconciler, Depends(_reconciler)]
SimulatedBankDep = Annotated[BankBooks, Depends(_simulated_bank)]
