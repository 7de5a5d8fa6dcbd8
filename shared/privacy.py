"""Whose money a caller sees (DOMAIN.md "A party's money stays private"): the one rule every
service applies to its reads.

- **Which orders**: the admin reads every order; a merchant token its own shop's; a creator or an
  agency token only the orders it is a party to (``readable``). Any other order answers exactly
  like one that does not exist (``shared.http.order_scope``).
- **Which amounts of an order**: the admin and the order's merchant see every party's amounts
  (the merchant pays every leg of its orders); a creator or an agency sees only its own
  (``visibility(...).shows``): its own postings, its own leg of a hold, its own payouts. What an
  order's non-amount facts show a party (lines, totals, terms, entry details) each service
  decides under ``Visibility.everything``, and its module docstring says what.
- **Reads keyed by a party** (balances, statements, payouts) answer only that party's own
  figures, and a read token only its own party (``Principal.can_read``).

Pure: no I/O; the callers pass what they found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from shared.auth import Principal

Party = tuple[str, str]
"""``(party_type, party_id)``, e.g. ``("creator", "c-1")``; a shop is ``("merchant", shop_id)``."""


def readable(principal: Principal, shop_id: str, parties: Collection[Party]) -> bool:
    """May ``principal`` read the order of ``shop_id`` whose parties are ``parties``?"""
    if principal.is_admin:
        return True
    if principal.party_type == "merchant":
        return principal.party_id == shop_id
    return (str(principal.party_type), str(principal.party_id)) in parties


@dataclass(frozen=True, slots=True)
class Visibility:
    """What of one order's money a caller sees: every party's (``everything``) or only
    ``own``'s."""

    everything: bool
    own: Party | None = None

    def shows(self, party_type: str, party_id: str) -> bool:
        """Is this party's amount shown?"""
        return self.everything or (party_type, party_id) == self.own


def visibility(principal: Principal, shop_id: str) -> Visibility:
    """How much of the order of ``shop_id`` that ``principal`` (already found ``readable``)
    sees: everything for the admin and that shop's merchant, else only its own party."""
    if principal.is_admin or (principal.party_type == "merchant" and principal.party_id == shop_id):
        return Visibility(everything=True)
    return Visibility(everything=False, own=(str(principal.party_type), str(principal.party_id)))
