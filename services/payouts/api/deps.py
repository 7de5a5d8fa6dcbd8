"""Typed dependencies of the payouts routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.payouts.service.payout_runs import PayoutRunner


def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.runtime.engine
    return engine


def _runner(request: Request) -> PayoutRunner:
    runner: PayoutRunner = request.app.state.payout_runner
    return runner


EngineDep = Annotated[AsyncEngine, Depends(_engine)]
PayoutRunnerDep = Annotated[PayoutRunner, Depends(_runner)]
