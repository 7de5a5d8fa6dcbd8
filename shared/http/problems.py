"""Every HTTP error as RFC 9457 `application/problem+json`.

A problem's `type` is `PROBLEM_TYPE_BASE + suffix`, e.g.
`https://settlement.example/problems/validation-error`; the suffix names the kind of failure and
stays stable, `title` is the same for every problem of one type, `detail` speaks to this occurrence
and `instance` is the request path. Extension members sit beside them (`errors`, `reason`, ...).

Install once per app, before other middleware so they wrap it::

    install_problem_handlers(app)
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_TYPE_BASE = "https://settlement.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

_RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
_MAX_LISTED_ERRORS = 50
_MAX_LOC_PART = 64
_MAX_MESSAGE = 300

_log = structlog.get_logger(__name__)


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document.

    `type_suffix` defaults to the status phrase as a slug (409 -> `conflict`). `extra` adds
    extension members and may not redefine the standard ones; `headers` are sent as given
    (e.g. `Retry-After`, `WWW-Authenticate`).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        type_suffix: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        clash = _RESERVED_MEMBERS & set(extra or {})
        if clash:
            raise ValueError(f"extra members may not redefine {sorted(clash)}")
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type_suffix = type_suffix or default_type_suffix(status)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def to_response(self, instance: str | None) -> JSONResponse:
        return problem_response(
            status=self.status,
            title=self.title,
            detail=self.detail,
            type_suffix=self.type_suffix,
            instance=instance,
            extra=self.extra,
            headers=self.headers,
        )


def problem_type(type_suffix: str) -> str:
    return PROBLEM_TYPE_BASE + type_suffix


def default_type_suffix(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return f"http-{status}"


def problem_response(
    *,
    status: int,
    title: str,
    detail: str | None = None,
    type_suffix: str | None = None,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response without raising."""
    body: dict[str, Any] = {
        "type": problem_type(type_suffix or default_type_suffix(status)),
        "title": title,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(jsonable_encoder(dict(extra or {})))
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with problem+json, including unhandled exceptions (500)."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    # Starlette's own 500 path logs and then re-raises into the server; the middleware below
    # answers first, so only errors raised in middleware outside it reach this fallback.
    app.add_exception_handler(Exception, _on_unhandled)
    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """Turns an exception escaping the app into a logged, generic 500 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as error:
            _log_unhandled(scope.get("method", ""), scope.get("path", ""), error)
            if response_started:
                raise  # too late for a problem document; let the server drop the connection
            await _internal_error(scope.get("path", ""), error)(scope, receive, send)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return exc.to_response(request.url.path)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=headers)
    phrase = _phrase(exc.status_code)
    extra: dict[str, Any] = {}
    if isinstance(exc.detail, str) and exc.detail != phrase:
        detail = exc.detail
    else:
        detail = _generic_detail(exc.status_code, request)
        if not isinstance(exc.detail, str) and exc.detail is not None:
            extra["errors"] = exc.detail
    return problem_response(
        status=exc.status_code,
        title=phrase,
        detail=detail,
        instance=request.url.path,
        extra=extra,
        headers=headers,
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    detail = "The request is not valid; see errors."
    if len(errors) > _MAX_LISTED_ERRORS:
        detail = f"The request is not valid; errors lists {_MAX_LISTED_ERRORS} of {len(errors)}."
    return problem_response(
        status=422,
        title="Request validation failed",
        detail=detail,
        type_suffix="validation-error",
        instance=request.url.path,
        extra={"errors": [_summarise(error) for error in errors[:_MAX_LISTED_ERRORS]]},
    )


def _summarise(error: Mapping[str, Any]) -> dict[str, Any]:
    """Where and what, never the offending input (which may be a huge body)."""
    return {
        "loc": [_clip(part, _MAX_LOC_PART) for part in error.get("loc", ())],
        "msg": _clip(str(error.get("msg", "")), _MAX_MESSAGE),
    }


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    _log_unhandled(request.method, request.url.path, exc)
    return _internal_error(request.url.path, exc)


def _internal_error(instance: str, error: BaseException) -> JSONResponse:
    if database_unavailable(error):
        return problem_response(
            status=503,
            title="Service Unavailable",
            detail="The service's database cannot be reached; retry shortly. Nothing was done.",
            type_suffix="database-unavailable",
            instance=instance,
            headers={"Retry-After": "1"},
        )
    return problem_response(
        status=500,
        title="Internal Server Error",
        detail="The server failed to handle the request; it has been logged.",
        type_suffix="internal-error",
        instance=instance,
    )


def _log_unhandled(method: str, path: str, error: BaseException) -> None:
    if database_unavailable(error):
        _log.warning("database_unavailable", method=method, path=path, error=str(error)[:500])
    else:
        _log.exception("unhandled_exception", method=method, path=path)


_CONNECTION_LOST = (
    OSError,  # includes ConnectionError: refused, reset
    TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57P0x: shutting down, starting up
    asyncpg.InterfaceError,  # "connection is closed"
)


def database_unavailable(error: BaseException) -> bool:
    """Did ``error`` come from a database that is down, restarting or unreachable (a request
    that may succeed on retry, answered 503), rather than from a bug (500)?"""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _CONNECTION_LOST):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        original = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__]
        if isinstance(original, BaseException):
            pending.append(original)
    return False


def _generic_detail(status: int, request: Request) -> str:
    if status == 404:
        return f"Nothing is found at {request.url.path}."
    if status == 405:
        return f"{request.method} is not allowed on {request.url.path}."
    return _phrase(status) + "."


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _clip(value: Any, limit: int) -> Any:
    # Locations can hold client-chosen keys and messages can quote input: keep both bounded.
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value
