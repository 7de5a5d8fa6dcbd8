from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import MAX_READ_TOKEN_LIFETIME, ReadClaims, RevocationList, Unauthorized
from shared.revocation_list import RevocationsUnavailable

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def claims(token_id: str = "t1", party_id: str = "c-1", issued_at: datetime = NOW) -> ReadClaims:
    return ReadClaims("creator", party_id, issued_at, issued_at + HOUR, token_id, "k1")


def is_refused(revocations: RevocationList, token: ReadClaims, now: datetime = NOW) -> bool:
    try:
        revocations.check(token, now)
    except Unauthorized as error:
        assert error.reason == "revoked"
        return True
    return False


def test_a_revoked_token_is_refused_until_it_would_have_expired_then_forgotten() -> None:
    revocations = RevocationList()
    revocations.revoke_token("t1", NOW + HOUR)

    assert is_refused(revocations, claims("t1"))
    assert not is_refused(revocations, claims("t2"))
    assert revocations.prune(NOW + HOUR - timedelta(seconds=1)) == 0
    assert revocations.prune(NOW + HOUR) == 1
    assert len(revocations) == 0


def test_revoking_a_token_twice_keeps_the_later_expiry() -> None:
    revocations = RevocationList()
    revocations.revoke_token("t1", NOW + 2 * HOUR)
    revocations.revoke_token("t1", NOW + HOUR)

    revocations.prune(NOW + HOUR)

    assert is_refused(revocations, claims("t1"), NOW + HOUR)


def test_a_party_revocation_widens_but_never_narrows_and_lasts_the_longest_lifetime() -> None:
    revocations = RevocationList()
    revocations.revoke_party("creator", "c-1", NOW)
    revocations.revoke_party("creator", "c-1", NOW - HOUR)  # an older record read later

    assert revocations.party_revoked_before("creator", "c-1") == NOW
    assert is_refused(revocations, claims(issued_at=NOW - timedelta(seconds=1)))
    assert not is_refused(revocations, claims(issued_at=NOW))
    assert not is_refused(revocations, claims(party_id="c-2", issued_at=NOW - HOUR))
    revocations.revoke_party("creator", "c-1", NOW + HOUR)
    assert is_refused(revocations, claims(issued_at=NOW))
    assert revocations.prune(NOW + HOUR + MAX_READ_TOKEN_LIFETIME) == 1


def test_an_unfed_list_checks_only_what_it_was_told() -> None:
    revocations = RevocationList()

    revocations.check(claims(), NOW + timedelta(days=365))  # no feed: nothing to be stale about


def test_a_fed_list_refuses_until_current_and_when_stale() -> None:
    revocations = RevocationList(max_staleness=timedelta(seconds=5))
    revocations.attach_feed()

    with pytest.raises(RevocationsUnavailable):
        revocations.check(claims(), NOW)
    revocations.mark_current(NOW)
    revocations.mark_current(NOW - HOUR)  # never moves back
    revocations.check(claims(), NOW + timedelta(seconds=5))
    with pytest.raises(RevocationsUnavailable):
        revocations.check(claims(), NOW + timedelta(seconds=6))
    assert revocations.current_as_of == NOW


def test_the_staleness_bound_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RevocationList(max_staleness=timedelta(0))
