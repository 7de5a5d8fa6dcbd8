"""Operator authentication: one admin token, and signed, revocable read tokens scoped to one party.

Every service authenticates alone, with no call to another service and no database: the admin
token is a shared secret, a read token is signed with a shared key (`shared.read_tokens`: the
format, its keys and key ids), and revocations reach every process through Kafka into its
`RevocationList` (`shared.revocation_list`; fed by `shared.service.token_revocations`).
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from shared.read_tokens import (
    DEFAULT_KEY_ID,
    MAX_READ_TOKEN_LIFETIME,
    PARTY_ID_MAX_LENGTH,
    READ_PARTY_TYPES,
    READ_TOKEN_PREFIX,
    IssuedToken,
    ReadClaims,
    ReadPartyType,
    SigningKeys,
    Unauthorized,
    UnauthorizedReason,
    issue_read_token,
    verify_token,
)
from shared.revocation_list import RevocationList, RevocationsUnavailable

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
    "principal_of",
    "verify_token",
]

DEFAULT_READ_TOKEN_TTL = timedelta(hours=24)
DEFAULT_MAX_READ_TOKEN_TTL = timedelta(days=7)

_READ_TOKEN_PREFIXES = ("rt1.", READ_TOKEN_PREFIX)
_MIN_ADMIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Principal:
    """Who is calling: the admin, or a reader of exactly one party."""

    is_admin: bool
    party_type: ReadPartyType | None = None
    party_id: str | None = None

    def __post_init__(self) -> None:
        no_party = self.party_type is None and self.party_id is None
        one_party = self.party_type is not None and self.party_id is not None
        if not (no_party if self.is_admin else one_party):
            raise ValueError("a principal is either the admin or the reader of one party")

    @classmethod
    def admin(cls) -> "Principal":
        return cls(is_admin=True)

    @classmethod
    def reader(cls, party_type: ReadPartyType, party_id: str) -> "Principal":
        return cls(is_admin=False, party_type=party_type, party_id=party_id)

    def can_read(self, party_type: str, party_id: str) -> bool:
        """The admin reads everything; a reader reads only its own party."""
        if self.is_admin:
            return True
        return party_type == self.party_type and party_id == self.party_id


def principal_of(claims: ReadClaims) -> Principal:
    return Principal.reader(claims.party_type, claims.party_id)


class TokenAuthority:
    """Authenticates `Authorization: Bearer ...` headers and issues read tokens.

    Refuses an empty or short admin token (< 16 characters), one that looks like a read token, a
    signing key under 32 bytes and a default lifetime above the maximum, so a misconfigured
    service fails at start rather than at the door. `signing_keys` may be one key (its id is
    `default`).
    """

    def __init__(
        self,
        admin_token: str,
        signing_keys: SigningKeys | bytes,
        clock: Callable[[], datetime],
        *,
        read_token_ttl: timedelta = DEFAULT_READ_TOKEN_TTL,
        max_read_token_ttl: timedelta = DEFAULT_MAX_READ_TOKEN_TTL,
        revocations: RevocationList | None = None,
        new_token_id: Callable[[], str] = lambda: uuid4().hex,
    ) -> None:
        if len(admin_token) < _MIN_ADMIN_TOKEN_LENGTH or admin_token.startswith(
            _READ_TOKEN_PREFIXES
        ):
            raise ValueError("admin token must be >= 16 characters and not look like a read token")
        if not timedelta(0) < read_token_ttl <= max_read_token_ttl <= MAX_READ_TOKEN_LIFETIME:
            raise ValueError(
                f"read token lifetimes must satisfy 0 < ttl <= max ttl <= {MAX_READ_TOKEN_LIFETIME}"
            )
        self._admin_digest = _digest(admin_token)
        self._keys = (
            signing_keys
            if isinstance(signing_keys, SigningKeys)
            else SigningKeys.single(signing_keys)
        )
        self._clock = clock
        self._new_token_id = new_token_id
        self.read_token_ttl = read_token_ttl
        self.max_read_token_ttl = max_read_token_ttl
        self.revocations = RevocationList() if revocations is None else revocations

    def __repr__(self) -> str:
        return (
            f"TokenAuthority(read_token_ttl={self.read_token_ttl!r}, "
            f"active_key_id={self._keys.active_key_id!r}, secrets=<hidden>)"
        )

    def authenticate(self, authorization_header: str | None) -> Principal:
        """Return who the header identifies, or raise `Unauthorized` (or
        `RevocationsUnavailable` for a read token while revocations cannot be checked)."""
        if authorization_header is None or not authorization_header.strip():
            raise Unauthorized("missing", "An 'Authorization: Bearer <token>' header is required.")
        scheme, _, credentials = authorization_header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials or " " in credentials:
            raise Unauthorized("malformed", "The Authorization header must be 'Bearer <token>'.")
        if credentials.startswith(_READ_TOKEN_PREFIXES):
            return principal_of(self.verify(credentials))
        # Comparing digests keeps the time taken independent of the admin token's length too.
        if hmac.compare_digest(_digest(credentials), self._admin_digest):
            return Principal.admin()
        raise Unauthorized("unknown_token", "The token is not recognised.")

    def verify(self, token: str) -> ReadClaims:
        """A read token's claims if it is well signed, unexpired and not revoked."""
        now = self._clock()
        claims = verify_token(self._keys, token, now=now)
        self.revocations.check(claims, now)
        return claims

    def verify_signature(self, token: str) -> ReadClaims:
        """A read token's claims if it is well signed and unexpired, revoked or not (to revoke
        it)."""
        return verify_token(self._keys, token, now=self._clock())

    def issue(
        self, party_type: ReadPartyType, party_id: str, *, ttl: timedelta | None = None
    ) -> IssuedToken:
        """Issue a read token for one party, valid for `ttl` (at most the maximum lifetime) or
        the authority's default."""
        ttl = self.read_token_ttl if ttl is None else ttl
        if ttl > self.max_read_token_ttl:
            raise ValueError(f"a read token lives at most {self.max_read_token_ttl}")
        return issue_read_token(
            self._keys,
            party_type,
            party_id,
            now=self._clock(),
            ttl=ttl,
            token_id=self._new_token_id(),
        )


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
