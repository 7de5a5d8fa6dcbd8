"""A seeded, deterministic stretch of business for the demo (pure: no I/O, no clock).

``build_scenario(seed, run_id, now)`` always returns the same shops, plans and orders for the
same arguments. Every order follows one ``Story``; its webhooks carry business times relative
to ``now`` so that deliveries of "due" stories are old enough for their release to be due
already (the payouts scheduler releases them within seconds), while "waiting" stories release
after ``now``. Ids carry ``run_id`` so that runs against the same databases never collide.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import cycle
from typing import Any, Literal

from settlement_cli.demo.catalog import (
    AGENCY_SHARE_BPS,
    CATALOGS,
    CREATORS_PER_REGION,
    DUE_DELIVERY_AGE_DAYS,
    RegionCatalog,
)

Story = Literal[
    "settled",  # delivered long ago, released in full
    "refunded_partly",  # partial refund before delivery, the rest released
    "refunded_fully",  # full refund before delivery: nothing is released
    "cancelled",  # cancelled before delivery
    "refunded_after_release",  # released, then a refund claws back from available balances
    "in_window",  # delivered an hour ago: still held, release in the future
    "in_transit",  # placed, not delivered yet
]
STORIES: tuple[Story, ...] = (
    "settled",
    "refunded_partly",
    "in_window",
    "refunded_after_release",
    "settled",
    "cancelled",
    "refunded_fully",
    "in_transit",
    "settled",
    "in_window",
)
RELEASED_STORIES = frozenset({"settled", "refunded_partly", "refunded_after_release"})


@dataclass(frozen=True)
class Webhook:
    """One signed delivery to send: its id, type, business time and data."""

    shop_id: str
    webhook_id: str
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]

    def body(self) -> bytes:
        """The JSON body (the bytes that are signed and posted)."""
        payload = {
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }
        return json.dumps(payload, sort_keys=True).encode()


@dataclass(frozen=True)
class DemoOrder:
    order_id: str
    shop_id: str
    region: str
    currency: str
    story: Story
    paid_total: int
    events: tuple[Webhook, ...]
    after_release: tuple[Webhook, ...] = ()

    @property
    def releases(self) -> bool:
        """True when the ledger must release something for this order during the run."""
        return self.story in RELEASED_STORIES


@dataclass(frozen=True)
class DemoShop:
    shop_id: str
    region: str
    currency: str
    plans: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Party:
    party_type: str
    party_id: str
    currency: str


@dataclass(frozen=True)
class Scenario:
    seed: int
    run_id: str
    now: datetime
    shops: tuple[DemoShop, ...]
    orders: tuple[DemoOrder, ...]
    parties: tuple[Party, ...]


@dataclass(frozen=True)
class _Seller:
    creator_id: str | None
    agency: Mapping[str, Any] | None


def build_scenario(seed: int, run_id: str, now: datetime, orders_per_shop: int = 10) -> Scenario:
    """The demo's shops and orders; ``now`` must be timezone-aware."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(f"{seed}")  # a str seed hashes the same in every process
    shops, orders, parties = [], [], []
    for catalog in CATALOGS:
        shop_id = f"{catalog.shop_name}-{run_id}"
        skus = tuple(f"{name}-{run_id}" for name in catalog.sku_names)
        sellers = _sellers(rng, catalog.region.lower(), run_id)
        shops.append(_shop(rng, shop_id, catalog, skus, sellers))
        parties.append(Party("merchant", shop_id, catalog.currency))
        seen = set()
        for seller in sellers:
            if seller.creator_id:
                parties.append(Party("creator", seller.creator_id, catalog.currency))
            agency_id = seller.agency["agency_id"] if seller.agency else None
            if agency_id and agency_id not in seen:
                seen.add(agency_id)
                parties.append(Party("agency", agency_id, catalog.currency))
        parties += [Party(kind, catalog.region, catalog.currency) for kind in ("platform", "tax")]
        stories = cycle(STORIES)
        for number in range(1, orders_per_shop + 1):
            order_id = f"{catalog.region.lower()}-{run_id}-{number:03d}"
            seller = rng.choice(sellers)
            orders.append(_order(rng, order_id, shop_id, catalog, skus, seller, next(stories), now))
    return Scenario(seed, run_id, now, tuple(shops), tuple(orders), tuple(parties))


def _sellers(rng: random.Random, region: str, run_id: str) -> list[_Seller]:
    """Creators of the region, every other one with the region's agency; plus direct sales."""
    agency_id = f"mcn-{region}-{run_id}"
    sellers = []
    for number in range(1, CREATORS_PER_REGION + 1):
        share = rng.choice(AGENCY_SHARE_BPS)
        agency = {"agency_id": agency_id, "share_bps": share} if number % 2 else None
        sellers.append(_Seller(f"creator-{region}-{number}-{run_id}", agency))
    return [*sellers, _Seller(None, None)]


def _shop(
    rng: random.Random,
    shop_id: str,
    catalog: RegionCatalog,
    skus: tuple[str, ...],
    sellers: list[_Seller],
) -> DemoShop:
    targeted_creators = [s.creator_id for s in sellers[:2] if s.creator_id]
    plans = (
        {"type": "shop", "rate_bps": rng.randrange(300, 900, 50)},
        {"type": "open", "rate_bps": rng.randrange(1_000, 2_000, 50), "skus": list(skus[:2])},
        {
            "type": "targeted",
            "rate_bps": rng.randrange(2_000, 3_500, 50),
            "skus": [skus[0]],
            "creator_ids": targeted_creators,
        },
    )
    return DemoShop(shop_id, catalog.region, catalog.currency, plans)


def _order(
    rng: random.Random,
    order_id: str,
    shop_id: str,
    catalog: RegionCatalog,
    skus: tuple[str, ...],
    seller: _Seller,
    story: Story,
    now: datetime,
) -> DemoOrder:
    low, high = catalog.price_range
    lines: list[dict[str, Any]] = []
    paid_total = catalog.shipping_fee
    for sku in rng.sample(skus, rng.randint(1, 3)):
        price = rng.randrange(low, high, catalog.price_step)
        quantity = rng.randint(1, 3)
        discount = rng.choice((0, 0, price // 10))
        lines.append({"sku": sku, "quantity": quantity, "unit_price": price, "discount": discount})
        paid_total += price * quantity - discount
    placed: dict[str, Any] = {
        "order_id": order_id,
        "currency": catalog.currency,
        "lines": lines,
        "shipping_fee": catalog.shipping_fee,
    }
    if seller.creator_id:
        placed["creator_id"] = seller.creator_id
    if seller.agency:
        placed["agency"] = dict(seller.agency)

    jitter = timedelta(minutes=rng.randrange(0, 600))
    if story in ("in_window",):
        delivered_at = now - timedelta(hours=1) - jitter / 10
    else:
        delivered_at = now - timedelta(days=DUE_DELIVERY_AGE_DAYS[catalog.region]) - jitter
    placed_at = delivered_at - timedelta(days=rng.randint(2, 4))
    if story in ("in_transit", "cancelled"):
        placed_at = now - timedelta(days=1) - jitter / 10

    def hook(number: int, kind: str, at: datetime, **data: Any) -> Webhook:
        webhook_id = f"msg-{order_id}-{number}"
        return Webhook(shop_id, webhook_id, kind, at, {"order_id": order_id, **data})

    events = [hook(1, "order.placed", placed_at, **placed)]
    after: list[Webhook] = []
    # Refunds before release happen before delivery (an item out of stock, a changed mind): a
    # refund sent after an old delivery could race the release the delivery makes due.
    refund_at = placed_at + timedelta(hours=rng.randint(2, 20))
    if story == "refunded_partly":
        amount = paid_total * rng.randint(15, 60) // 100
        events.append(
            hook(2, "order.refunded", refund_at, refund_id=f"{order_id}-r1", amount=amount)
        )
    elif story == "refunded_fully":
        events.append(
            hook(2, "order.refunded", refund_at, refund_id=f"{order_id}-r1", amount=paid_total)
        )
    if story == "cancelled":
        events.append(hook(3, "order.cancelled", placed_at + timedelta(hours=3)))
    elif story != "in_transit":
        events.append(hook(3, "order.delivered", delivered_at))
    if story == "refunded_after_release":
        amount = paid_total * rng.randint(30, 100) // 100
        after.append(hook(4, "order.refunded", now, refund_id=f"{order_id}-r1", amount=amount))
    return DemoOrder(
        order_id=order_id,
        shop_id=shop_id,
        region=catalog.region,
        currency=catalog.currency,
        story=story,
        paid_total=paid_total,
        events=tuple(events),
        after_release=tuple(after),
    )
