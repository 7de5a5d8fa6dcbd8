"""Operator authentication: one admin token, and signed, revocable read tokens scoped to one party.

`tokens` is the read token format and its keys, `revocations` what a process knows of revoked
tokens, `authority` who a request's bearer token identifies.
"""

from shared.auth.authority import (
    DEFAULT_MAX_READ_TOKEN_TTL,
    DEFAULT_READ_TOKEN_TTL,
    Principal,
    TokenAuthority,
)
from shared.auth.revocations import RevocationList, RevocationsUnavailable
from shared.auth.tokens import (
    DEFAULT_KEY_ID,
    MAX_READ_TOKEN_LIFETIME,
    PARTY_ID_MAX_LENGTH,
    READ_PARTY_TYPES,
    IssuedToken,
    ReadClaims,
    ReadPartyType,
    SigningKeys,
    Unauthorized,
    UnauthorizedReason,
    issue_read_token,
    verify_token,
)

__all__ = [
    "DEFAULT_KEY_ID",
    "DEFAULT_MAX_READ_TOKEN_TTL",
    "DEFAULT_READ_TOKEN_TTL",
    "MAX_READ_TOKEN_LIFETIME",
    "PARTY_ID_MAX_LENGTH",
    "READ_PARTY_TYPES",
    "IssuedToken",
    "Principal",
    "ReadClaims",
    "ReadPartyType",
    "RevocationList",
    "RevocationsUnavailable",
    "SigningKeys",
    "TokenAuthority",
    "Unauthorized",
    "UnauthorizedReason",
    "issue_read_token",
    "verify_token",
]
