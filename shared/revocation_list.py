"""What one process knows of revoked read tokens, and whether that knowledge is fresh enough.

Two kinds of revocation: one token (by its id, kept until the token would have expired anyway),
and every token of a party issued before an instant (kept `MAX_READ_TOKEN_LIFETIME` past that
instant, after which no such token is valid anyway). A token's `iat` is whole seconds, so a token
issued in the same second as, but after, a party's revocation is refused too.

The list is fed from the revocations topic by a watcher (`shared.service.token_revocations`).
Once a watcher is attached, the list fails closed: until the watcher has read the topic to its end,
or when it has not confirmed that for `max_staleness`, every read token is refused with
`RevocationsUnavailable` (HTTP 503) rather than risk honouring a revoked one. A list nothing feeds
(an app run without its workers, in tests) checks only what was revoked on it directly.
Nothing here reads the clock: time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.rfc3339 import format_utc
from shared.read_tokens import MAX_READ_TOKEN_LIFETIME, ReadClaims, Unauthorized, require_aware


class RevocationsUnavailable(Exception):  # noqa: N818 -- a state, like Unauthorized
    """This process cannot tell whether a token was revoked; refuse read tokens for now."""


@dataclass(frozen=True)
class PartyRevocation:
    issued_before: datetime
    expires_at: datetime


def party_revocation_expiry(issued_before: datetime) -> datetime:
    """When a revocation of a party's tokens issued before `issued_before` stops mattering."""
    return issued_before + MAX_READ_TOKEN_LIFETIME


class RevocationList:
    def __init__(self, *, max_staleness: timedelta = timedelta(seconds=30)) -> None:
        if max_staleness <= timedelta(0):
            raise ValueError("max_staleness must be positive")
        self.max_staleness = max_staleness
        self._tokens: dict[str, datetime] = {}
        self._parties: dict[tuple[str, str], PartyRevocation] = {}
        self._fed = False
        self._current_as_of: datetime | None = None

    def __len__(self) -> int:
        return len(self._tokens) + len(self._parties)

    def attach_feed(self) -> None:
        """A watcher feeds this list from now on: fail closed until it says the list is current."""
        self._fed = True
        self._current_as_of = None

    def mark_current(self, as_of: datetime) -> None:
        """Every revocation acknowledged by the broker before `as_of` is on the list."""
        require_aware(as_of)
        if self._current_as_of is None or as_of > self._current_as_of:
            self._current_as_of = as_of

    @property
    def current_as_of(self) -> datetime | None:
        return self._current_as_of

    def revoke_token(self, token_id: str, expires_at: datetime) -> None:
        require_aware(expires_at)
        self._tokens[token_id] = max(expires_at, self._tokens.get(token_id, expires_at))

    def revoke_party(self, party_type: str, party_id: str, issued_before: datetime) -> None:
        """Refuse the party's tokens issued before `issued_before`; a later instant widens the
        revocation, an earlier one never narrows it."""
        require_aware(issued_before)
        known = self._parties.get((party_type, party_id))
        if known is None or issued_before > known.issued_before:
            self._parties[(party_type, party_id)] = PartyRevocation(
                issued_before, party_revocation_expiry(issued_before)
            )

    def party_revoked_before(self, party_type: str, party_id: str) -> datetime | None:
        known = self._parties.get((party_type, party_id))
        return None if known is None else known.issued_before

    def ensure_current(self, now: datetime) -> None:
        """Raise `RevocationsUnavailable` unless the list may be trusted at `now`."""
        if not self._fed:
            return
        if self._current_as_of is None:
            raise RevocationsUnavailable("The revoked tokens have not been loaded yet.")
        if now - self._current_as_of > self.max_staleness:
            raise RevocationsUnavailable(
                "The revoked tokens were last confirmed current at "
                f"{format_utc(self._current_as_of)}."
            )

    def check(self, claims: ReadClaims, now: datetime) -> None:
        """Raise `Unauthorized("revoked")` if the token was revoked, `RevocationsUnavailable` if
        this process cannot tell."""
        self.ensure_current(now)
        if claims.token_id in self._tokens:
            raise Unauthorized("revoked", "The token was revoked.")
        party = self._parties.get((claims.party_type, claims.party_id))
        if party is not None and claims.issued_at < party.issued_before:
            raise Unauthorized(
                "revoked",
                f"The party's tokens issued before {format_utc(party.issued_before)} were revoked.",
            )

    def prune(self, now: datetime) -> int:
        """Forget revocations of tokens that have expired anyway; returns how many."""
        expired_tokens = [jti for jti, expires in self._tokens.items() if expires <= now]
        for jti in expired_tokens:
            del self._tokens[jti]
        expired_parties = [key for key, rev in self._parties.items() if rev.expires_at <= now]
        for key in expired_parties:
            del self._parties[key]
        return len(expired_tokens) + len(expired_parties)
