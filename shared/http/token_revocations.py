"""`POST /v1/tokens/revocations` and `POST /v1/tokens/party-revocations` (admin only, every
service): revoke one read token, or every token of a party issued before an instant.

The answer (201) comes once the broker acknowledged the revocation; from then every process of
every service refuses the token within seconds (`shared.service.token_revocations`), and this one
at once. 503 when the broker did not acknowledge it: nothing was revoked, try again.
"""

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Self, TypeVar

import structlog
from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.auth import ReadPartyType, Unauthorized
from shared.events import auth_v1
from shared.http.auth import AdminDep, PartyId, TokenAuthorityDep
from shared.http.problems import ProblemError
from shared.read_tokens import TOKEN_ID_PATTERN
from shared.service.token_revocations import TokenRevocations

_log = structlog.get_logger(__name__)
E = TypeVar("E", bound=auth_v1.AuthEvent)


def get_token_revocations(request: Request) -> TokenRevocations:
    revocations = getattr(request.app.state, "token_revocations", None)
    if not isinstance(revocations, TokenRevocations):
        raise RuntimeError("app.state.token_revocations is not set to TokenRevocations")
    return revocations


TokenRevocationsDep = Annotated[TokenRevocations, Depends(get_token_revocations)]


class TokenRevocationCreate(BaseModel):
    """Exactly one of `token` (the token itself: its id and expiry are read from it) or
    `token_id` (its `jti`, e.g. from `POST /v1/tokens`; kept for the longest token lifetime)."""

    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(None, max_length=4096)
    token_id: str | None = Field(None, pattern=f"^{TOKEN_ID_PATTERN}$")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.token is None) == (self.token_id is None):
            raise ValueError("give exactly one of token and token_id")
        return self


class TokenRevocationPublic(BaseModel):
    token_id: str
    expires_at: datetime = Field(description="when the revocation is forgotten (RFC 3339, UTC)")
    revoked_at: datetime


class PartyRevocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party_type: ReadPartyType
    party_id: PartyId
    issued_before: AwareDatetime | None = Field(
        None, description="refuse tokens issued before this instant (default: now; not later)"
    )


class PartyRevocationPublic(BaseModel):
    party_type: ReadPartyType
    party_id: str
    issued_before: datetime
    revoked_at: datetime


def token_revocations_router() -> APIRouter:
    router = APIRouter(tags=["auth"])

    @router.post("/v1/tokens/revocations", status_code=201)
    async def revoke_token(
        body: TokenRevocationCreate,
        _: AdminDep,
        authority: TokenAuthorityDep,
        revocations: TokenRevocationsDep,
    ) -> TokenRevocationPublic:
        if body.token is not None:
            try:
                claims = authority.verify_signature(body.token)
            except Unauthorized as error:
                raise ProblemError(
                    422,
                    "Not a revocable token",
                    f"{error.detail} Revoke by token_id if the token is known.",
                    type_suffix="token-not-revocable",
                    extra={"reason": error.reason},
                ) from None
            event = await _published(revocations.revoke_token(claims.token_id, claims.expires_at))
        else:
            assert body.token_id is not None  # the model requires one of the two
            event = await _published(revocations.revoke_token(body.token_id))
        _log.info("read_token_revoked", token_id=event.token_id)
        return TokenRevocationPublic(
            token_id=event.token_id, expires_at=event.expires_at, revoked_at=event.revoked_at
        )

    @router.post("/v1/tokens/party-revocations", status_code=201)
    async def revoke_party_tokens(
        body: PartyRevocationCreate, _: AdminDep, revocations: TokenRevocationsDep
    ) -> PartyRevocationPublic:
        try:
            pending = revocations.revoke_party(body.party_type, body.party_id, body.issued_before)
            event = await _published(pending)
        except ValueError as error:
            raise ProblemError(
                422, "Invalid revocation", str(error), type_suffix="invalid-revocation"
            ) from None
        _log.info(
            "party_read_tokens_revoked",
            party_type=event.party_type,
            party_id=event.party_id,
            issued_before=event.issued_before.isoformat(),
        )
        return PartyRevocationPublic(
            party_type=event.party_type,
            party_id=event.party_id,
            issued_before=event.issued_before,
            revoked_at=event.revoked_at,
        )

    return router


async def _published(pending: Awaitable[E]) -> E:
    """The published event; a broker that did not acknowledge it is a 503 (nothing revoked)."""
    try:
        return await pending
    except ValueError:
        raise
    except Exception as error:
        _log.warning("read_token_revocation_not_published", error=str(error))
        raise ProblemError(
            503,
            "Revocation not published",
            "The revocation could not be written to Kafka; nothing was revoked. Try again.",
            type_suffix="revocation-not-published",
            headers={"Retry-After": "5"},
        ) from None
