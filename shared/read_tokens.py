"""Read tokens: a party's credential, signed with one of several keys named by a key id.

Format `rt2`, four dot-separated parts, base64url without padding where encoded::

    rt2.<kid>.<payload>.<signature>
    kid       = the signing key's id, in clear: 1..32 of [A-Za-z0-9_-]
    payload   = base64url(UTF-8 JSON {"pt": party type, "pid": party id, "iat": issued,
                                      "exp": expiry, "jti": token id}), times in whole Unix seconds
    signature = base64url(HMAC-SHA256(key of kid, "rt2.<kid>.<payload>"))

A token is valid while `now < exp`, and never claims to live longer than
`MAX_READ_TOKEN_LIFETIME`, so whatever concerns a token (a revocation) may be forgotten that long
after it was issued. The key id is outside the payload so that the key is chosen, and the signature
checked, before anything in the payload is read. `rt1` tokens (one key, no key id, 30 days, no
token id) are refused. Nothing here reads the clock: time is passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal, get_args

from shared.events.common import ID_MAX_LENGTH
from shared.events.rfc3339 import format_utc

ReadPartyType = Literal["merchant", "creator", "agency"]
READ_PARTY_TYPES: frozenset[str] = frozenset(get_args(ReadPartyType))
PARTY_ID_MAX_LENGTH = ID_MAX_LENGTH
MAX_READ_TOKEN_LIFETIME = timedelta(days=30)
"""No read token lives longer, whatever the settings say; revocations are kept this long."""
DEFAULT_KEY_ID = "default"
KEY_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"
TOKEN_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"  # noqa: S105 (a pattern, not a secret)
READ_TOKEN_PREFIX = "rt2."  # noqa: S105 (a format marker)
MIN_SIGNING_KEY_BYTES = 32

UnauthorizedReason = Literal[
    "missing",
    "malformed",
    "unsupported_version",
    "unknown_key",
    "bad_signature",
    "expired",
    "revoked",
    "unknown_token",
]

_LEGACY_PREFIX = "rt1."
_MAX_TOKEN_LENGTH = 4096  # 200 four-byte characters of party id fit with room to spare
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_KEY_ID = re.compile(KEY_ID_PATTERN)
_TOKEN_ID = re.compile(TOKEN_ID_PATTERN)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class Unauthorized(Exception):  # noqa: N818 -- the name services import and match on
    """The credentials do not identify anyone; `reason` is a stable code, `detail` a sentence."""

    def __init__(self, reason: UnauthorizedReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: UnauthorizedReason = reason
        self.detail = detail


@dataclass(frozen=True)
class SigningKeys:
    """The keys read tokens verify with, by key id, and the one new tokens are signed with.

    Rotation without a flag day: add the new key everywhere (verification only), then make it the
    active one, then drop the old key once `MAX_READ_TOKEN_LIFETIME` (or the configured maximum
    lifetime) has passed since the switch.
    """

    active_key_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"key id {key_id!r} must be 1..32 of [A-Za-z0-9_-]")
            if len(key) < MIN_SIGNING_KEY_BYTES:
                raise ValueError(
                    f"signing key {key_id!r} must be at least {MIN_SIGNING_KEY_BYTES} bytes"
                )
        if self.active_key_id not in self.keys:
            raise ValueError(f"the active key id {self.active_key_id!r} has no key")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def single(cls, key: bytes, key_id: str = DEFAULT_KEY_ID) -> SigningKeys:
        return cls(key_id, {key_id: key})

    @classmethod
    def parse(cls, spec: str, active_key_id: str) -> SigningKeys:
        """`"kid1:secret1,kid2:secret2"` (see `parse_key_list`)."""
        return cls(active_key_id, parse_key_list(spec))

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_key_id]


def parse_key_list(spec: str) -> dict[str, bytes]:
    """`"kid1:secret1,kid2:secret2"` as {key id: key}; each secret is used as its UTF-8 bytes (as
    `TOKEN_SIGNING_KEY` is), so it may hold ':' but no ',' or surrounding spaces."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, colon, secret = entry.partition(":")
        if not colon or not secret:
            raise ValueError("each signing key must be written 'key-id:secret'")
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} is given twice")
        keys[key_id] = secret.encode()
    return keys


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    key_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ReadClaims:
    """What a verified read token says."""

    party_type: ReadPartyType
    party_id: str
    issued_at: datetime
    expires_at: datetime
    token_id: str
    key_id: str


def issue_read_token(
    keys: SigningKeys,
    party_type: ReadPartyType,
    party_id: str,
    *,
    now: datetime,
    ttl: timedelta,
    token_id: str,
) -> IssuedToken:
    """Sign a read token with the active key, valid from `now` for `ttl` (whole seconds, rounded
    down, at most `MAX_READ_TOKEN_LIFETIME`)."""
    require_aware(now)
    if party_type not in READ_PARTY_TYPES:
        raise ValueError(f"read tokens are for {sorted(READ_PARTY_TYPES)}, not {party_type!r}")
    if not is_valid_party_id(party_id):
        raise ValueError(
            f"party_id must be 1..{PARTY_ID_MAX_LENGTH} characters without control characters"
        )
    if not timedelta(0) < ttl <= MAX_READ_TOKEN_LIFETIME:
        raise ValueError(f"ttl must be positive and at most {MAX_READ_TOKEN_LIFETIME}")
    if not _TOKEN_ID.fullmatch(token_id):
        raise ValueError("token_id must be 1..64 of [A-Za-z0-9_-]")
    issued_at = int(now.timestamp())
    expires_at = int((now + ttl).timestamp())
    claims: dict[str, str | int] = {
        "pt": party_type,
        "pid": party_id,
        "iat": issued_at,
        "exp": expires_at,
        "jti": token_id,
    }
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signed = f"{READ_TOKEN_PREFIX}{keys.active_key_id}.{payload}"
    return IssuedToken(
        token=f"{signed}.{_sign(keys.active_key, signed)}",
        token_id=token_id,
        key_id=keys.active_key_id,
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(expires_at, UTC),
    )


def verify_token(keys: SigningKeys, token: str, *, now: datetime) -> ReadClaims:
    """Check a read token's key id, signature and expiry, or raise `Unauthorized` saying why.

    The signature is checked before the payload is parsed, so nothing unsigned is interpreted.
    Revocation is not checked here (see `shared.revocation_list`).
    """
    require_aware(now)
    if token.startswith(_LEGACY_PREFIX):
        raise Unauthorized(
            "unsupported_version", "Read tokens of format rt1 are no longer accepted."
        )
    if len(token) > _MAX_TOKEN_LENGTH or not token.startswith(READ_TOKEN_PREFIX):
        raise Unauthorized("malformed", "The token is not a well-formed read token.")
    parts = token[len(READ_TOKEN_PREFIX) :].split(".")
    if len(parts) != 3 or not all(_BASE64URL.fullmatch(part) for part in parts):
        raise Unauthorized("malformed", "The token is not a well-formed read token.")
    key_id, payload, signature = parts
    key = keys.keys.get(key_id)
    if key is None:
        raise Unauthorized("unknown_key", "The token was signed with a key that is not in use.")
    signed = f"{READ_TOKEN_PREFIX}{key_id}.{payload}"
    if not hmac.compare_digest(_sign(key, signed).encode(), signature.encode()):
        raise Unauthorized("bad_signature", "The token's signature does not verify.")
    claims = _parse_claims(payload, key_id)
    if int(now.timestamp()) >= int(claims.expires_at.timestamp()):
        raise Unauthorized("expired", f"The token expired at {format_utc(claims.expires_at)}.")
    return claims


def is_valid_party_id(party_id: str) -> bool:
    return 0 < len(party_id) <= PARTY_ID_MAX_LENGTH and not _CONTROL_CHARACTERS.search(party_id)


def require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("pass an aware datetime; a naive one has no instant")


def _parse_claims(payload: str, key_id: str) -> ReadClaims:
    try:
        return _claims_from(json.loads(_b64decode(payload)), key_id)
    except (ValueError, binascii.Error, OverflowError, OSError):
        raise Unauthorized("malformed", "The token's payload is not valid.") from None


def _claims_from(raw: object, key_id: str) -> ReadClaims:
    match raw:
        case {
            "pt": "merchant" | "creator" | "agency" as party_type,
            "pid": str(party_id),
            "iat": int(issued_at),
            "exp": int(expires_at),
            "jti": str(token_id),
        } if (
            is_valid_party_id(party_id)
            and _TOKEN_ID.fullmatch(token_id)
            and _is_seconds(issued_at)
            and _is_seconds(expires_at)
            and 0 < expires_at - issued_at <= MAX_READ_TOKEN_LIFETIME.total_seconds()
        ):
            return ReadClaims(
                party_type,
                party_id,
                datetime.fromtimestamp(issued_at, UTC),
                datetime.fromtimestamp(expires_at, UTC),
                token_id,
                key_id,
            )
    raise ValueError("the payload is not a read token's claims")


def _is_seconds(value: int) -> bool:
    return type(value) is int and value >= 0  # JSON true/false would pass isinstance(int)


def _sign(key: bytes, signed: str) -> str:
    return _b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
