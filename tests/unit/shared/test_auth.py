import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import (
    Principal,
    TokenAuthority,
    Unauthorized,
    issue_read_token,
    verify_token,
)

KEY = b"k" * 32
ADMIN = "admin-secret-0123456789"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_made_token(claims: object, key: bytes = KEY) -> str:
    """A token built from the documented format, independently of the code under test."""
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(key, f"rt1.{payload}".encode(), hashlib.sha256).digest())
    return f"rt1.{payload}.{signature}"


def reason_for(token: str, *, now: datetime = NOW) -> str:
    with pytest.raises(Unauthorized) as raised:
        verify_token(KEY, token, now=now)
    return raised.value.reason


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_read_token_round_trips_to_its_party_and_expiry() -> None:
    issued = issue_read_token(KEY, "creator", "creator-7", now=NOW, ttl=DAY, token_id="t1")

    claims = verify_token(KEY, issued.token, now=NOW)

    assert issued.token.startswith("rt1.")
    assert issued.expires_at == NOW + DAY
    assert (claims.party_type, claims.party_id, claims.token_id) == ("creator", "creator-7", "t1")
    assert (claims.issued_at, claims.expires_at) == (NOW, NOW + DAY)
    assert claims.principal == Principal.reader("creator", "creator-7")


def test_a_token_built_by_hand_from_the_documented_format_verifies() -> None:
    claims = {"pt": "agency", "pid": "mcn-1", "iat": 1_740_830_400, "exp": 1_740_916_800}

    verified = verify_token(KEY, hand_made_token(claims), now=NOW)

    assert (verified.party_type, verified.party_id, verified.token_id) == ("agency", "mcn-1", None)


def test_a_token_is_valid_until_the_instant_it_expires() -> None:
    token = issue_read_token(KEY, "merchant", "shop-1", now=NOW, ttl=DAY).token

    verify_token(KEY, token, now=NOW + DAY - timedelta(seconds=1))

    assert reason_for(token, now=NOW + DAY) == "expired"


def test_a_token_whose_payload_was_changed_fails_the_signature_check() -> None:
    token = issue_read_token(KEY, "creator", "creator-7", now=NOW, ttl=DAY).token
    _, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["pid"] = "creator-8"

    assert reason_for(f"rt1.{b64(json.dumps(claims).encode())}.{signature}") == "bad_signature"


def test_a_token_signed_with_another_key_fails_the_signature_check() -> None:
    token = issue_read_token(b"x" * 32, "creator", "creator-7", now=NOW, ttl=DAY).token

    assert reason_for(token) == "bad_signature"


def test_a_token_with_a_changed_signature_fails_the_signature_check() -> None:
    token = issue_read_token(KEY, "creator", "creator-7", now=NOW, ttl=DAY).token
    flipped = "A" if token[-1] != "A" else "B"

    assert reason_for(token[:-1] + flipped) == "bad_signature"


@pytest.mark.parametrize(
    "garbage",
    ["", "rt1.", "rt1.abc", "rt1.a.b.c", "rt1.a b.c", "rt1.a+b.c", "jwt.a.b", "rt1." + "a" * 5000],
)
def test_garbage_is_rejected_as_malformed(garbage: str) -> None:
    assert reason_for(garbage) == "malformed"


@pytest.mark.parametrize(
    "claims",
    [
        ["not", "an", "object"],
        {"pt": "platform", "pid": "p", "iat": 1, "exp": 2_000_000_000},
        {"pt": "creator", "pid": "", "iat": 1, "exp": 2_000_000_000},
        {"pt": "creator", "pid": "c" * 129, "iat": 1, "exp": 2_000_000_000},
        {"pt": "creator", "pid": "c", "iat": 1, "exp": True},
        {"pt": "creator", "pid": "c", "iat": 1, "exp": "2030-01-01T00:00:00Z"},
        {"pt": "creator", "pid": "c", "iat": 1, "exp": 10**30},
        {"pt": "creator", "pid": "c", "iat": 1, "exp": 2_000_000_000, "jti": 5},
        {"pt": ["creator"], "pid": "c", "iat": 1, "exp": 2_000_000_000},
    ],
)
def test_a_correctly_signed_token_with_nonsense_claims_is_malformed(claims: object) -> None:
    assert reason_for(hand_made_token(claims)) == "malformed"


def test_a_read_principal_reads_only_its_own_party() -> None:
    reader = Principal.reader("creator", "creator-7")

    assert reader.can_read("creator", "creator-7")
    assert not reader.can_read("creator", "creator-8")
    assert not reader.can_read("merchant", "creator-7")
    assert not reader.can_read("platform", "platform")


def test_the_admin_reads_every_party() -> None:
    assert Principal.admin().can_read("tax", "VN")
    assert Principal.admin().can_read("merchant", "shop-1")


@pytest.mark.parametrize(
    ("is_admin", "party_type", "party_id"),
    [(True, "creator", "c"), (False, None, None), (False, "creator", None), (True, None, "c")],
)
def test_a_principal_is_either_the_admin_or_the_reader_of_one_party(
    is_admin: bool, party_type: str | None, party_id: str | None
) -> None:
    with pytest.raises(ValueError, match="either the admin"):
        Principal(is_admin, party_type, party_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("party_type", "party_id", "ttl", "now"),
    [
        ("platform", "p", DAY, NOW),
        ("creator", "", DAY, NOW),
        ("creator", "c" * 129, DAY, NOW),
        ("creator", "line\nbreak", DAY, NOW),
        ("creator", "c", timedelta(0), NOW),
        ("creator", "c", DAY, NOW.replace(tzinfo=None)),
    ],
)
def test_issuing_refuses_what_could_never_verify(
    party_type: str, party_id: str, ttl: timedelta, now: datetime
) -> None:
    with pytest.raises(ValueError):
        issue_read_token(KEY, party_type, party_id, now=now, ttl=ttl)  # type: ignore[arg-type]


def test_the_authority_recognises_the_admin_token() -> None:
    authority = TokenAuthority(ADMIN, KEY, Clock(NOW))

    assert authority.authenticate(f"Bearer {ADMIN}") == Principal.admin()
    assert authority.authenticate(f"bearer  {ADMIN} ") == Principal.admin()


def test_the_authority_recognises_the_read_tokens_it_issues_for_thirty_days() -> None:
    clock = Clock(NOW)
    authority = TokenAuthority(ADMIN, KEY, clock)

    issued = authority.issue("merchant", "shop-1")

    assert issued.expires_at == NOW + timedelta(days=30)
    assert issued.token_id
    assert authority.authenticate(f"Bearer {issued.token}") == Principal.reader(
        "merchant", "shop-1"
    )
    clock.now = issued.expires_at
    with pytest.raises(Unauthorized) as raised:
        authority.authenticate(f"Bearer {issued.token}")
    assert raised.value.reason == "expired"
    assert "2025-03-31T12:00:00Z" in raised.value.detail


def test_the_authority_issues_with_the_ttl_it_is_given() -> None:
    authority = TokenAuthority(ADMIN, KEY, Clock(NOW), read_token_ttl=DAY)

    assert authority.issue("agency", "mcn-1").expires_at == NOW + DAY
    assert authority.issue("agency", "mcn-1", ttl=timedelta(hours=1)).expires_at == NOW + timedelta(
        hours=1
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Basic YWRtaW46cGFzcw==", "malformed"),
        ("Bearer", "malformed"),
        ("Bearer two words", "malformed"),
        ("Bearer not-the-admin-token", "unknown_token"),
        (f"Bearer {ADMIN}x", "unknown_token"),
        ("Bearer rt1.garbage", "malformed"),
        ("Bearer ädmin-secret-0123456789", "unknown_token"),
    ],
)
def test_the_authority_says_why_it_rejects_a_header(header: str | None, reason: str) -> None:
    authority = TokenAuthority(ADMIN, KEY, Clock(NOW))

    with pytest.raises(Unauthorized) as raised:
        authority.authenticate(header)

    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("admin_token", "signing_key"),
    [("", KEY), ("short", KEY), ("rt1.looks-like-a-read-token", KEY), (ADMIN, b"short-key")],
)
def test_the_authority_refuses_weak_or_confusable_secrets(
    admin_token: str, signing_key: bytes
) -> None:
    with pytest.raises(ValueError):
        TokenAuthority(admin_token, signing_key, Clock(NOW))


def test_the_authority_never_shows_its_secrets() -> None:
    shown = repr(TokenAuthority(ADMIN, KEY, Clock(NOW)))

    assert ADMIN not in shown
    assert "kkkk" not in shown
