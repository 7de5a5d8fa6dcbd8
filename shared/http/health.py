"""Liveness and readiness probes.

`GET /livez` says the process serves HTTP and touches nothing else, so a database outage never
gets a healthy pod restarted. `GET /readyz` runs every readiness check concurrently, each under its
own timeout, and answers 503 problem+json naming each failed check and why.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.http.problems import problem_response

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns when the dependency is usable; raises (anything) when it is not."""

_MAX_REASON = 200

_log = structlog.get_logger(__name__)


def health_router(checks: Mapping[str, ReadinessCheck], timeout_s: float = 2.0) -> APIRouter:
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    checks = dict(checks)
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        names = list(checks)
        outcomes = await asyncio.gather(*(_run(name, checks[name], timeout_s) for name in names))
        failures = {name: reason for name, reason in zip(names, outcomes, strict=True) if reason}
        states = {name: "failed" if name in failures else "ok" for name in names}
        if not failures:
            return JSONResponse({"status": "ok", "checks": states})
        return problem_response(
            status=503,
            title="Service not ready",
            detail=f"Readiness checks failed: {', '.join(sorted(failures))}.",
            type_suffix="not-ready",
            instance=request.url.path,
            extra={"checks": states, "failures": failures},
        )

    return router


async def _run(name: str, check: ReadinessCheck, timeout_s: float) -> str | None:
    """None when the check passes, else why it failed."""
    deadline = asyncio.timeout(timeout_s)
    try:
        async with deadline:
            await check()
    except TimeoutError as error:
        reason = f"timed out after {timeout_s:g}s" if deadline.expired() else _describe(error)
    except Exception as error:
        reason = _describe(error)
    else:
        return None
    _log.warning("readiness_check_failed", check=name, reason=reason)
    return reason


def _describe(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:_MAX_REASON]
