"""From split legs to postings (one per leg) and to published per-party legs.

A split leg belongs to one party: ``merchant_net`` to the shop, ``creator_net`` to the creator,
``agency_share`` to the agency, ``platform_fee`` and ``platform_cut`` to the region's platform,
``tax`` to the region's tax account. Postings keep one row per leg, so the provenance of each
amount (plan, rate) survives; published events sum a party's legs into one.
"""

from services.ledger.domain.accounts import AccountKey, AccountPartyType, SubAccount
from services.ledger.domain.journal import Posting
from services.ledger.domain.publications import PartyLeg
from services.ledger.domain.split import LEG_NAMES, Legs, Split
from services.ledger.domain.state import OrderState
from shared.events.common import PartyType

Party = tuple[PartyType, str]


def party_of(state: OrderState, leg: str) -> Party | None:
    """Who a leg belongs to; None for a creator or agency leg of an order without one."""
    placed = state.placed
    if leg == "merchant_net":
        return ("merchant", placed.shop_id)
    if leg == "creator_net":
        return ("creator", placed.creator_id) if placed.creator_id is not None else None
    if leg == "agency_share":
        return ("agency", placed.agency.agency_id) if placed.agency is not None else None
    if leg in ("platform_fee", "platform_cut"):
        return ("platform", placed.region)
    if leg == "tax":
        return ("tax", placed.region)
    raise ValueError(f"unknown leg {leg!r}")


def _provenance(split: Split) -> dict[str, tuple[str | None, int | None]]:
    """(plan_id, rate_bps) behind each leg, when a single plan or rate produced it."""
    paid = {(line.plan_id, line.rate_bps) for line in split.lines if line.commission}
    return {
        "merchant_net": (None, None),
        "creator_net": next(iter(paid)) if len(paid) == 1 else (None, None),
        "agency_share": (None, split.agency_share_bps),
        "platform_fee": (None, split.terms.platform_fee_bps),
        "platform_cut": (None, split.terms.platform_cut_bps),
        "tax": (None, split.terms.creator_tax_bps),
    }


def leg_postings(
    state: OrderState, legs: Legs, sub_account: SubAccount, *, sign: int
) -> list[Posting]:
    """One posting per non-zero leg on the party's ``sub_account``, ``sign * amount`` each."""
    provenance = _provenance(state.split)
    postings = []
    for name, amount in zip(LEG_NAMES, legs.amounts(), strict=True):
        if amount == 0:
            continue
        party = party_of(state, name)
        if party is None:
            continue
        plan_id, rate_bps = provenance[name]
        party_type: AccountPartyType = party[0]
        account = AccountKey(party_type, party[1], state.split.currency, sub_account)
        postings.append(Posting(account, sign * amount, name, plan_id, rate_bps))
    return postings


def party_amounts(state: OrderState, legs: Legs) -> dict[Party, int]:
    """Legs summed per party, in canonical leg order (merchant first)."""
    amounts: dict[Party, int] = {}
    for name, amount in zip(LEG_NAMES, legs.amounts(), strict=True):
        party = party_of(state, name)
        if party is not None:
            amounts[party] = amounts.get(party, 0) + amount
    return amounts


def published_legs(state: OrderState, legs: Legs) -> tuple[PartyLeg, ...]:
    """Per-party legs for ``ledger.v1``: exactly what the entry's postings move for each party.

    ``legs`` are never negative (splits and reversals guarantee it), so each party's sum is the
    exact magnitude its accounts moved by, in the direction the event type says; nothing is
    clamped or moved between parties. Parties with 0 are left out, except the merchant when every
    leg is 0.
    """
    amounts = party_amounts(state, legs)
    if any(amount < 0 for amount in amounts.values()):
        raise ValueError(f"order {state.order_id}: a party leg is negative: {amounts}")
    result = tuple(
        PartyLeg(party_type, party_id, amount)
        for (party_type, party_id), amount in amounts.items()
        if amount
    )
    return result or (PartyLeg("merchant", state.placed.shop_id, 0),)
