"""Whose money a caller sees (DOMAIN.md "A party's money stays private"): one rule for every
service, from which orders a caller reads to which amounts of them it sees."""

from shared.auth import Principal
from shared.privacy import Visibility, readable, visibility

ADMIN = Principal.admin()
MERCHANT = Principal.reader("merchant", "s-1")
OTHER_MERCHANT = Principal.reader("merchant", "s-2")
CREATOR = Principal.reader("creator", "c-1")
AGENCY = Principal.reader("agency", "a-1")
PARTIES = {("creator", "c-1"), ("agency", "a-1")}


def test_the_admin_and_the_orders_merchant_read_the_order_and_other_merchants_do_not() -> None:
    assert readable(ADMIN, "s-1", PARTIES)
    assert readable(MERCHANT, "s-1", set())
    assert not readable(OTHER_MERCHANT, "s-1", PARTIES)


def test_a_creator_or_an_agency_reads_only_orders_it_is_a_party_to() -> None:
    assert readable(CREATOR, "s-1", PARTIES) and readable(AGENCY, "s-1", PARTIES)
    assert not readable(Principal.reader("creator", "c-2"), "s-1", PARTIES)
    # The same id under another party type is another party.
    assert not readable(Principal.reader("agency", "c-1"), "s-1", PARTIES)


def test_the_admin_and_the_orders_merchant_see_every_partys_amount() -> None:
    for principal in (ADMIN, MERCHANT):
        sees = visibility(principal, "s-1")
        assert sees.everything
        assert all(sees.shows(*party) for party in [*PARTIES, ("platform", "UK"), ("tax", "UK")])


def test_a_creator_sees_its_own_amounts_only() -> None:
    sees = visibility(CREATOR, "s-1")
    assert sees == Visibility(everything=False, own=("creator", "c-1"))
    assert sees.shows("creator", "c-1")
    hidden = [("merchant", "s-1"), ("agency", "a-1"), ("platform", "UK"), ("tax", "UK")]
    assert not any(sees.shows(*party) for party in [*hidden, ("creator", "c-2")])


def test_an_agency_sees_its_own_amounts_only_not_its_creators() -> None:
    sees = visibility(AGENCY, "s-1")
    assert sees.shows("agency", "a-1")
    assert not sees.shows("creator", "c-1") and not sees.shows("merchant", "s-1")
    assert not sees.shows("creator", "a-1")


def test_another_shops_merchant_would_see_only_its_own_party() -> None:
    # It never gets this far (the order is not readable), but the rule stays closed anyway.
    sees = visibility(OTHER_MERCHANT, "s-1")
    assert not sees.everything and not sees.shows("merchant", "s-1")
