import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import (
    PARTY_ID_MAX_LENGTH,
    Principal,
    RevocationList,
    RevocationsUnavailable,
    SigningKeys,
    TokenAuthority,
    Unauthorized,
    issue_read_token,
    verify_token,
)
from shared.events.common import ID_MAX_LENGTH

KEY = b"k" * 32
KEYS = SigningKeys.single(KEY, "k1")
ADMIN = "admin-secret-0123456789"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_made_token(claims: object, key: bytes = KEY, kid: str = "k1") -> str:
    """A token built from the documented format, independently of the code under test."""
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(key, f"rt2.{kid}.{payload}".encode(), hashlib.sha256).digest())
    return f"rt2.{kid}.{payload}.{signature}"


def claims_of(
    party_id: str = "c", iat: int = 1_740_830_400, **changes: object
) -> dict[str, object]:
    return {
        "pt": "creator",
        "pid": party_id,
        "iat": iat,
        "exp": iat + 86_400,
        "jti": "t1",
    } | changes


def reason_for(token: str, *, now: datetime = NOW, keys: SigningKeys = KEYS) -> str:
    with pytest.raises(Unauthorized) as raised:
        verify_token(keys, token, now=now)
    return raised.value.reason


def issue(party_id: str = "creator-7", keys: SigningKeys = KEYS, **kwargs: object) -> str:
    options: dict[str, object] = {"now": NOW, "ttl": DAY, "token_id": "t1"} | kwargs
    return issue_read_token(keys, "creator", party_id, **options).token  # type: ignore[arg-type]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_read_token_round_trips_to_its_party_expiry_id_and_key_id() -> None:
    issued = issue_read_token(KEYS, "creator", "creator-7", now=NOW, ttl=DAY, token_id="t1")

    claims = verify_token(KEYS, issued.token, now=NOW)

    assert issued.token.startswith("rt2.k1.")
    assert (issued.expires_at, issued.token_id, issued.key_id) == (NOW + DAY, "t1", "k1")
    assert (claims.party_type, claims.party_id, claims.token_id) == ("creator", "creator-7", "t1")
    assert (claims.issued_at, claims.expires_at, claims.key_id) == (NOW, NOW + DAY, "k1")


def test_a_token_built_by_hand_from_the_documented_format_verifies() -> None:
    claims = {"pt": "agency", "pid": "mcn-1", "iat": 1_740_830_400, "exp": 1_740_916_800}

    verified = verify_token(KEYS, hand_made_token(claims | {"jti": "abc"}), now=NOW)

    assert (verified.party_type, verified.party_id, verified.token_id) == ("agency", "mcn-1", "abc")


def test_a_token_is_valid_until_the_instant_it_expires() -> None:
    token = issue()

    verify_token(KEYS, token, now=NOW + DAY - timedelta(seconds=1))

    assert reason_for(token, now=NOW + DAY) == "expired"


def test_a_token_whose_payload_was_changed_fails_the_signature_check() -> None:
    _, kid, payload, signature = issue().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["pid"] = "creator-8"

    assert reason_for(f"rt2.{kid}.{b64(json.dumps(claims).encode())}.{signature}") == (
        "bad_signature"
    )


def test_a_token_signed_with_another_key_under_the_same_id_fails_the_signature_check() -> None:
    assert reason_for(issue(keys=SigningKeys.single(b"x" * 32, "k1"))) == "bad_signature"


def test_the_key_id_is_signed_so_moving_a_token_to_another_key_id_fails() -> None:
    keys = SigningKeys("k1", {"k1": KEY, "k2": KEY})
    _, _, payload, signature = issue(keys=keys).split(".")

    assert reason_for(f"rt2.k2.{payload}.{signature}", keys=keys) == "bad_signature"


def test_a_token_of_an_unknown_key_id_is_refused_as_unknown_key() -> None:
    assert reason_for(issue(keys=SigningKeys.single(KEY, "k9"))) == "unknown_key"


def test_an_rt1_token_is_refused_as_an_unsupported_version() -> None:
    payload = b64(json.dumps(claims_of()).encode())
    signature = b64(hmac.new(KEY, f"rt1.{payload}".encode(), hashlib.sha256).digest())

    assert reason_for(f"rt1.{payload}.{signature}") == "unsupported_version"


def test_a_token_with_a_changed_signature_fails_the_signature_check() -> None:
    token = issue()
    flipped = "A" if token[-1] != "A" else "B"

    assert reason_for(token[:-1] + flipped) == "bad_signature"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "rt2.",
        "rt2.k1.abc",
        "rt2.k1.a.b.c",
        "rt2.k1.a b.c",
        "rt2.k1.a+b.c",
        "rt2..a.b",
        "jwt.a.b",
        "rt2.k1." + "a" * 5000 + ".b",
    ],
)
def test_garbage_is_rejected_as_malformed(garbage: str) -> None:
    assert reason_for(garbage) == "malformed"


@pytest.mark.parametrize(
    "claims",
    [
        ["not", "an", "object"],
        claims_of(pt="platform"),
        claims_of(""),
        claims_of("c" * (ID_MAX_LENGTH + 1)),
        claims_of(exp=True),
        claims_of(exp="2030-01-01T00:00:00Z"),
        claims_of(exp=10**30),
        claims_of(jti=5),
        claims_of(jti="has space"),
        {k: v for k, v in claims_of().items() if k != "jti"},
        claims_of(pt=["creator"]),
        claims_of(exp=1_740_830_400),  # lives zero seconds
        claims_of(exp=1_740_830_400 + 31 * 86_400),  # longer than any token may live
    ],
)
def test_a_correctly_signed_token_with_nonsense_claims_is_malformed(claims: object) -> None:
    assert reason_for(hand_made_token(claims)) == "malformed"


def test_party_ids_may_be_as_long_as_any_id_in_the_system() -> None:
    assert PARTY_ID_MAX_LENGTH == ID_MAX_LENGTH == 200
    for party_id in ("c" * 200, "达" * 200, "\U0001f600" * 200):
        claims = verify_token(KEYS, issue(party_id), now=NOW)
        assert claims.party_id == party_id
        assert verify_token(KEYS, hand_made_token(claims_of(party_id)), now=NOW).party_id == (
            party_id
        )


def test_a_party_id_of_201_characters_is_neither_issued_nor_accepted() -> None:
    with pytest.raises(ValueError, match=r"1\.\.200"):
        issue("c" * 201)
    assert reason_for(hand_made_token(claims_of("c" * 201))) == "malformed"


def test_rotation_verifies_old_tokens_while_the_old_key_is_listed_and_not_after() -> None:
    old, new = b"o" * 32, b"n" * 32
    before = SigningKeys("2025-01", {"2025-01": old})
    adding = SigningKeys("2025-01", {"2025-01": old, "2025-03": new})
    switched = SigningKeys("2025-03", {"2025-01": old, "2025-03": new})
    dropped = SigningKeys("2025-03", {"2025-03": new})
    old_token = issue(keys=before)

    for keys in (before, adding, switched):
        assert verify_token(keys, old_token, now=NOW).key_id == "2025-01"
    new_token = issue(keys=switched)
    assert new_token.startswith("rt2.2025-03.")
    assert verify_token(adding, new_token, now=NOW).key_id == "2025-03"  # not yet active there
    assert verify_token(dropped, new_token, now=NOW).key_id == "2025-03"
    assert reason_for(old_token, keys=dropped) == "unknown_key"


def test_signing_keys_are_read_from_a_list_of_key_ids_and_secrets() -> None:
    keys = SigningKeys.parse(f" a:{'x' * 32} , b:{'y:' * 16}", "b")

    assert dict(keys.keys) == {"a": b"x" * 32, "b": b"y:" * 16}
    assert keys.active_key == b"y:" * 16
    assert "xxxx" not in repr(keys)


@pytest.mark.parametrize(
    ("spec", "active"),
    [
        (f"a:{'x' * 32}", "b"),  # the active key is not listed
        (f"a:{'x' * 32},a:{'y' * 32}", "a"),  # one id twice
        (f"a{'x' * 32}", "a"),  # no colon
        ("a:", "a"),
        ("a:short", "a"),
        (f"a.b:{'x' * 32}", "a.b"),  # a key id must fit in the token's clear part
        (f"{'a' * 33}:{'x' * 32}", "a" * 33),
        ("", "a"),
    ],
)
def test_a_bad_key_list_is_refused(spec: str, active: str) -> None:
    with pytest.raises(ValueError):
        SigningKeys.parse(spec, active)


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
    ("party_type", "party_id", "ttl", "now", "token_id"),
    [
        ("platform", "p", DAY, NOW, "t"),
        ("creator", "", DAY, NOW, "t"),
        ("creator", "c" * 201, DAY, NOW, "t"),
        ("creator", "line\nbreak", DAY, NOW, "t"),
        ("creator", "c", timedelta(0), NOW, "t"),
        ("creator", "c", timedelta(days=31), NOW, "t"),
        ("creator", "c", DAY, NOW.replace(tzinfo=None), "t"),
        ("creator", "c", DAY, NOW, ""),
        ("creator", "c", DAY, NOW, "a.b"),
    ],
)
def test_issuing_refuses_what_could_never_verify(
    party_type: str, party_id: str, ttl: timedelta, now: datetime, token_id: str
) -> None:
    with pytest.raises(ValueError):
        issue_read_token(KEYS, party_type, party_id, now=now, ttl=ttl, token_id=token_id)  # type: ignore[arg-type]


def test_the_authority_recognises_the_admin_token() -> None:
    authority = TokenAuthority(ADMIN, KEY, Clock(NOW))

    assert authority.authenticate(f"Bearer {ADMIN}") == Principal.admin()
    assert authority.authenticate(f"bearer  {ADMIN} ") == Principal.admin()


def test_the_authority_issues_tokens_for_a_day_by_default_each_with_its_own_id() -> None:
    clock = Clock(NOW)
    authority = TokenAuthority(ADMIN, KEY, clock)

    issued = authority.issue("merchant", "shop-1")

    assert issued.expires_at == NOW + timedelta(hours=24)
    assert issued.key_id == "default"
    assert issued.token_id != authority.issue("merchant", "shop-1").token_id
    assert authority.authenticate(f"Bearer {issued.token}") == Principal.reader(
        "merchant", "shop-1"
    )
    clock.now = issued.expires_at
    with pytest.raises(Unauthorized) as raised:
        authority.authenticate(f"Bearer {issued.token}")
    assert raised.value.reason == "expired"
    assert "2025-03-02T12:00:00Z" in raised.value.detail


def test_the_authority_issues_with_the_ttl_it_is_given_up_to_its_maximum() -> None:
    authority = TokenAuthority(
        ADMIN, KEY, Clock(NOW), read_token_ttl=DAY, max_read_token_ttl=2 * DAY
    )

    assert authority.issue("agency", "mcn-1").expires_at == NOW + DAY
    assert authority.issue("agency", "mcn-1", ttl=2 * DAY).expires_at == NOW + 2 * DAY
    with pytest.raises(ValueError, match="at most"):
        authority.issue("agency", "mcn-1", ttl=2 * DAY + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("ttl", "max_ttl"),
    [(timedelta(0), DAY), (2 * DAY, DAY), (DAY, timedelta(days=31))],
)
def test_the_authority_refuses_lifetimes_out_of_order(ttl: timedelta, max_ttl: timedelta) -> None:
    with pytest.raises(ValueError, match="lifetimes"):
        TokenAuthority(ADMIN, KEY, Clock(NOW), read_token_ttl=ttl, max_read_token_ttl=max_ttl)


def test_a_revoked_token_is_refused_as_revoked_and_others_still_work() -> None:
    revocations = RevocationList()
    authority = TokenAuthority(ADMIN, KEY, Clock(NOW), revocations=revocations)
    revoked, kept = authority.issue("creator", "c-1"), authority.issue("creator", "c-1")

    revocations.revoke_token(revoked.token_id, revoked.expires_at)

    with pytest.raises(Unauthorized) as raised:
        authority.authenticate(f"Bearer {revoked.token}")
    assert raised.value.reason == "revoked"
    assert authority.authenticate(f"Bearer {kept.token}") == Principal.reader("creator", "c-1")
    assert authority.verify_signature(revoked.token).token_id == revoked.token_id


def test_a_party_revocation_refuses_the_tokens_issued_before_it_only() -> None:
    clock = Clock(NOW)
    revocations = RevocationList()
    authority = TokenAuthority(ADMIN, KEY, clock, revocations=revocations)
    before, other_party = authority.issue("creator", "c-1"), authority.issue("creator", "c-2")
    clock.now = NOW + timedelta(seconds=10, milliseconds=500)
    revocations.revoke_party("creator", "c-1", clock.now)
    same_second = authority.issue("creator", "c-1")
    clock.now = NOW + timedelta(seconds=11)
    after = authority.issue("creator", "c-1")

    for token in (before, same_second):
        with pytest.raises(Unauthorized) as raised:
            authority.authenticate(f"Bearer {token.token}")
        assert raised.value.reason == "revoked"
    assert authority.authenticate(f"Bearer {after.token}").party_id == "c-1"
    assert authority.authenticate(f"Bearer {other_party.token}").party_id == "c-2"


def test_while_revocations_cannot_be_checked_read_tokens_fail_closed_and_the_admin_works() -> None:
    clock = Clock(NOW)
    revocations = RevocationList(max_staleness=timedelta(seconds=30))
    authority = TokenAuthority(ADMIN, KEY, clock, revocations=revocations)
    token = f"Bearer {authority.issue('creator', 'c-1').token}"
    revocations.attach_feed()

    with pytest.raises(RevocationsUnavailable, match="not been loaded"):
        authority.authenticate(token)
    revocations.mark_current(NOW)
    assert authority.authenticate(token).party_id == "c-1"
    clock.now = NOW + timedelta(seconds=31)
    with pytest.raises(RevocationsUnavailable, match="last confirmed current"):
        authority.authenticate(token)
    assert authority.authenticate(f"Bearer {ADMIN}") == Principal.admin()


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
        ("Bearer rt2.garbage", "malformed"),
        ("Bearer rt1.a.b", "unsupported_version"),
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
    [
        ("", KEY),
        ("short", KEY),
        ("rt1.looks-like-a-read-token", KEY),
        ("rt2.looks-like-a-read-token", KEY),
        (ADMIN, b"short-key"),
    ],
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
