"""Typed dependencies of the payouts routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.adapters.simulated_bank import SimulatedBank
from services.payouts.service.payout_runs import PayoutRunner
from services.payouts.service.reconciliation import Reconciler


def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.runtime.engine
    return engine


def _runner(request: Request) -> PayoutRunner:
    runner: PayoutRunner = request.app.state.payout_runner
    return runner


def _reconciler(request: Request) -> Reconciler:
    reconciler: Reconciler = request.app.state.reconciler
    return reconciler


def _simulated_bank(request: Request) -> SimulatedBank:
    bank: SimulatedBank = request.app.state.simulated_bank
    return bank


EngineDep = Annotated[AsyncEngine, Depends(_engine)]
PayoutRunnerDep = Annotated[PayoutRunner, Depends(_runner)]
ReconcilerDep = Annotated[Reconciler, Depends(_reconciler)]
SimulatedBankDep = Annotated[SimulatedBank, Depends(_simulated_bank)]
