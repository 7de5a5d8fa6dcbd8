"""Operator authentication at the HTTP edge.

The composition root puts one `TokenAuthority` on `app.state.token_authority`; endpoints then ask
for who is calling::

    @router.get("/v1/balances/{party_type}/{party_id}")
    async def balance(party_type: str, party_id: str, principal: PrincipalDep) -> ...:
        require_read_access(principal, party_type, party_id)

    @router.post("/v1/payout-runs")
    async def run_payouts(_: AdminDep) -> ...:

No or an invalid (malformed, expired, revoked...) token answers 401 with `WWW-Authenticate` and
a `reason`; a valid read token where the admin is needed, or for another party, answers 403; a read
token while this process cannot check revocations answers 503 with `Retry-After`.
"""

from datetime import datetime, timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import (
    MAX_READ_TOKEN_LIFETIME,
    PARTY_ID_MAX_LENGTH,
    Principal,
    ReadPartyType,
    RevocationsUnavailable,
    TokenAuthority,
    Unauthorized,
)
from shared.http.problems import ProblemError

_REALM = 'Bearer realm="settlement"'
# Declared for the OpenAPI document only; the header is parsed by TokenAuthority.
_bearer = HTTPBearer(auto_error=False, description="The admin token or a read token (rt2.)")

_log = structlog.get_logger(__name__)


def get_token_authority(request: Request) -> TokenAuthority:
    authority = getattr(request.app.state, "token_authority", None)
    if not isinstance(authority, TokenAuthority):
        raise RuntimeError("app.state.token_authority is not set to a TokenAuthority")
    return authority


TokenAuthorityDep = Annotated[TokenAuthority, Depends(get_token_authority)]


async def current_principal(
    request: Request,
    authority: TokenAuthorityDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    try:
        return authority.authenticate(request.headers.get("authorization"))
    except Unauthorized as error:
        challenge = _REALM
        if error.reason != "missing":
            challenge += f', error="invalid_token", error_description="{error.reason}"'
        raise ProblemError(
            401,
            "Unauthorized",
            error.detail,
            type_suffix="unauthorized",
            extra={"reason": error.reason},
            headers={"WWW-Authenticate": challenge},
        ) from None
    except RevocationsUnavailable as error:
        raise ProblemError(
            503,
            "Read tokens unavailable",
            f"{error} Read tokens are refused until this service has every revocation.",
            type_suffix="revocations-unavailable",
            headers={"Retry-After": "1"},
        ) from None


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise _forbidden("This operation needs the admin token.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def require_read_access(principal: Principal, party_type: str, party_id: str) -> None:
    """Raise 403 unless `principal` may read the party's data."""
    if not principal.can_read(party_type, party_id):
        raise _forbidden("This token may not read that party.")


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(
        403,
        "Forbidden",
        detail,
        type_suffix="forbidden",
        headers={"WWW-Authenticate": f'{_REALM}, error="insufficient_scope"'},
    )


PartyId = Annotated[
    str, Field(min_length=1, max_length=PARTY_ID_MAX_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party_type: ReadPartyType
    party_id: PartyId
    expires_in: int | None = Field(
        None,
        ge=60,
        le=int(MAX_READ_TOKEN_LIFETIME.total_seconds()),
        description="lifetime in seconds; default READ_TOKEN_TTL_S, at most READ_TOKEN_MAX_TTL_S",
    )


class TokenPublic(BaseModel):
    token: str
    token_id: str = Field(description="the token's id (jti), to revoke it")
    key_id: str = Field(description="the id of the key that signed it")
    expires_at: datetime = Field(description="RFC 3339, UTC")


def tokens_router() -> APIRouter:
    """`POST /v1/tokens` (admin only): issue a read token for one party."""
    router = APIRouter(tags=["auth"])

    @router.post("/v1/tokens", status_code=201)
    async def create_token(
        body: TokenCreate, _: AdminDep, authority: TokenAuthorityDep, response: Response
    ) -> TokenPublic:
        ttl = None if body.expires_in is None else timedelta(seconds=body.expires_in)
        if ttl is not None and ttl > authority.max_read_token_ttl:
            raise ProblemError(
                422,
                "Lifetime too long",
                f"expires_in may be at most {int(authority.max_read_token_ttl.total_seconds())} "
                "seconds.",
                type_suffix="token-lifetime-too-long",
            )
        issued = authority.issue(body.party_type, body.party_id, ttl=ttl)
        _log.info(
            "read_token_issued",
            party_type=body.party_type,
            party_id=body.party_id,
            token_id=issued.token_id,
            key_id=issued.key_id,
            expires_at=issued.expires_at.isoformat(),
        )
        response.headers["Cache-Control"] = "no-store"  # a credential (RFC 6749 5.1)
        return TokenPublic(
            token=issued.token,
            token_id=issued.token_id,
            key_id=issued.key_id,
            expires_at=issued.expires_at,
        )

    return router
