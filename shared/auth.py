"""Operator authentication: one admin token, and signed read tokens scoped to one party.

Every service verifies a token alone, with no call to another service and no database: the admin
token is a shared static secret, and a read token is stateless, signed with a shared key.

Read token format (version `rt1`), all parts base64url without padding::

    rt1.<payload>.<signature>
    payload   = base64url(JSON {"pt": party type, "pid": party id, "iat": issued, "exp": expiry,
                                "jti": token id (optional)}), times in whole Unix seconds
    signature = base64url(HMAC-SHA256(key, "rt1." + payload))

A token is valid while `now < exp`. Nothing here reads the clock: time is passed in.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args
from uuid import uuid4

from shared.events.rfc3339 import format_utc

ReadPartyType = Literal["merchant", "creator", "agency"]
READ_PARTY_TYPES: frozenset[str] = frozenset(get_args(ReadPartyType))
PARTY_ID_MAX_LENGTH = 128

UnauthorizedReason = Literal["missing", "malformed", "bad_signature", "expired", "unknown_token"]

_PREFIX = "rt1."
_MAX_TOKEN_LENGTH = 2048
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_MIN_ADMIN_TOKEN_LENGTH = 16
_MIN_SIGNING_KEY_BYTES = 32


class Unauthorized(Exception):  # noqa: N818 -- the name services import and match on
    """The credentials do not identify anyone; `reason` is a stable code, `detail` a sentence."""

    def __init__(self, reason: UnauthorizedReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: UnauthorizedReason = reason
        self.detail = detail


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


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    token_id: str | None = None


@dataclass(frozen=True)
class ReadClaims:
    """What a verified read token says."""

    party_type: ReadPartyType
    party_id: str
    issued_at: datetime
    expires_at: datetime
    token_id: str | None

    @property
    def principal(self) -> Principal:
        return Principal.reader(self.party_type, self.party_id)


def issue_read_token(
    key: bytes,
    party_type: ReadPartyType,
    party_id: str,
    *,
    now: datetime,
    ttl: timedelta,
    token_id: str | None = None,
) -> IssuedToken:
    """Sign a read token for one party, valid from `now` for `ttl` (whole seconds, rounded down)."""
    _require_aware(now)
    if party_type not in READ_PARTY_TYPES:
        raise ValueError(f"read tokens are for {sorted(READ_PARTY_TYPES)}, not {party_type!r}")
    if not _is_valid_party_id(party_id):
        raise ValueError("party_id must be 1..128 characters without control characters")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    issued_at = int(now.timestamp())
    expires_at = int((now + ttl).timestamp())
    claims: dict[str, str | int] = {
        "pt": party_type,
        "pid": party_id,
        "iat": issued_at,
        "exp": expires_at,
    }
    if token_id is not None:
        claims["jti"] = token_id
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    token = f"{_PREFIX}{payload}.{_sign(key, payload)}"
    return IssuedToken(token, datetime.fromtimestamp(expires_at, UTC), token_id)


def verify_token(key: bytes, token: str, *, now: datetime) -> ReadClaims:
    """Check a read token's signature and expiry, or raise `Unauthorized` saying why.

    The signature is checked before the payload is parsed, so nothing unsigned is interpreted.
    """
    _require_aware(now)
    if len(token) > _MAX_TOKEN_LENGTH or not token.startswith(_PREFIX):
        raise Unauthorized("malformed", "The token is not a well-formed read token.")
    parts = token[len(_PREFIX) :].split(".")
    if len(parts) != 2 or not all(_BASE64URL.fullmatch(part) for part in parts):
        raise Unauthorized("malformed", "The token is not a well-formed read token.")
    payload, signature = parts
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise Unauthorized("bad_signature", "The token's signature does not verify.")
    claims = _parse_claims(payload)
    if int(now.timestamp()) >= int(claims.expires_at.timestamp()):
        raise Unauthorized("expired", f"The token expired at {format_utc(claims.expires_at)}.")
    return claims


class TokenAuthority:
    """Authenticates `Authorization: Bearer ...` headers and issues read tokens.

    Refuses an empty or short admin token (< 16 characters), one that looks like a read token, and a
    signing key under 32 bytes, so a misconfigured service fails at start rather than at the door.
    """

    def __init__(
        self,
        admin_token: str,
        signing_key: bytes,
        clock: Callable[[], datetime],
        *,
        read_token_ttl: timedelta = timedelta(days=30),
        new_token_id: Callable[[], str] = lambda: uuid4().hex,
    ) -> None:
        if len(admin_token) < _MIN_ADMIN_TOKEN_LENGTH or admin_token.startswith(_PREFIX):
            raise ValueError("admin token must be >= 16 characters and not start with 'rt1.'")
        if len(signing_key) < _MIN_SIGNING_KEY_BYTES:
            raise ValueError("signing key must be at least 32 bytes")
        if read_token_ttl <= timedelta(0):
            raise ValueError("read_token_ttl must be positive")
        self._admin_digest = _digest(admin_token)
        self._signing_key = signing_key
        self._clock = clock
        self._new_token_id = new_token_id
        self.read_token_ttl = read_token_ttl

    def __repr__(self) -> str:
        return f"TokenAuthority(read_token_ttl={self.read_token_ttl!r}, secrets=<hidden>)"

    def authenticate(self, authorization_header: str | None) -> Principal:
        """Return who the header identifies, or raise `Unauthorized`."""
        if authorization_header is None or not authorization_header.strip():
            raise Unauthorized("missing", "An 'Authorization: Bearer <token>' header is required.")
        scheme, _, credentials = authorization_header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials or " " in credentials:
            raise Unauthorized("malformed", "The Authorization header must be 'Bearer <token>'.")
        if credentials.startswith(_PREFIX):
            return verify_token(self._signing_key, credentials, now=self._clock()).principal
        # Comparing digests keeps the time taken independent of the admin token's length too.
        if hmac.compare_digest(_digest(credentials), self._admin_digest):
            return Principal.admin()
        raise Unauthorized("unknown_token", "The token is not recognised.")

    def issue(
        self, party_type: ReadPartyType, party_id: str, *, ttl: timedelta | None = None
    ) -> IssuedToken:
        """Issue a read token for one party, valid for `ttl` or the authority's default."""
        return issue_read_token(
            self._signing_key,
            party_type,
            party_id,
            now=self._clock(),
            ttl=self.read_token_ttl if ttl is None else ttl,
            token_id=self._new_token_id(),
        )


def _parse_claims(payload: str) -> ReadClaims:
    try:
        return _claims_from(json.loads(_b64decode(payload)))
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise Unauthorized("malformed", "The token's payload is not valid.") from None


def _claims_from(raw: object) -> ReadClaims:
    match raw:
        case {
            "pt": "merchant" | "creator" | "agency" as party_type,
            "pid": str(party_id),
            "iat": int(issued_at),
            "exp": int(expires_at),
            **rest,
        } if _is_valid_party_id(party_id) and _is_seconds(issued_at) and _is_seconds(expires_at):
            token_id = rest.get("jti")
            if token_id is not None and not isinstance(token_id, str):
                raise ValueError("jti must be a string")
            return ReadClaims(
                party_type,
                party_id,
                datetime.fromtimestamp(issued_at, UTC),
                datetime.fromtimestamp(expires_at, UTC),
                token_id,
            )
    raise ValueError("the payload is not a read token's claims")


def _is_seconds(value: int) -> bool:
    return type(value) is int and value >= 0  # JSON true/false would pass isinstance(int)


def _is_valid_party_id(party_id: str) -> bool:
    return 0 < len(party_id) <= PARTY_ID_MAX_LENGTH and not _CONTROL_CHARACTERS.search(party_id)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _sign(key: bytes, payload: str) -> str:
    mac = hmac.new(key, (_PREFIX + payload).encode(), hashlib.sha256).digest()
    return _b64encode(mac)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("pass an aware datetime; a naive one has no instant")
