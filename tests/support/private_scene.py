"""One order with a creator and an agency on a running stack, and a credential of every kind to
read it with: for authorization tests that need each party's own money to be there to leak.

A UK shop (DOMAIN.md's worked example terms) places the worked example order (paid total 4299)
now, so it is held (pending) in the payouts service. Tokens: the admin's; a merchant, creator and
agency token of the order's parties (`*_own`) and of parties that have nothing to do with it
(`*_other`); a malformed one, one of the creator's that expired an hour ago (signed with the
stack's key), and one of the creator's revoked through the API and refused by every service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from settlement_cli.client import SettlementClient
from shared.auth import issue_read_token
from shared.service.clock import utc_now
from tests.support.e2e import (
    Shop,
    eventually,
    wait_until_ready,
    worked_example_order,
    worked_example_plans,
)
from tests.support.infra import SETTINGS, unique_name
from tests.support.service_stack import SERVICES, Stack

PAID_TOTAL, SHIPPING_FEE = 4299, 399


@dataclass(frozen=True)
class Scene:
    urls: dict[str, str]  # service -> base URL
    headers: dict[str, dict[str, str]]  # principal -> its request headers
    tokens: tuple[str, ...]  # every credential handed out, the admin token's too
    shop_id: str
    order_id: str
    party_ids: dict[str, str]  # the order's merchant (shop), creator and agency
    other_ids: tuple[str, ...]  # of the `*_other` principals
    amounts: dict[str, int]  # the order's totals and each party's leg, by name
    openapi: dict[str, dict[str, Any]]  # service -> its served OpenAPI document
    unsigned_webhook: dict[str, Any]

    def names(self) -> tuple[str, ...]:
        """Every id of the scene."""
        return (self.shop_id, self.order_id, *self.party_ids.values(), *self.other_ids)


def set_scene(stack: Stack) -> Scene:
    creator, agency, order_id = unique_name("creator"), unique_name("mcn"), unique_name("order")
    now = utc_now()
    with SettlementClient(stack.endpoints) as client:
        wait_until_ready(client)
        shop = Shop.open(client, "UK")
        worked_example_plans(shop, [creator])
        shop.send("order.placed", now, worked_example_order(order_id, creator, agency))
        hold = eventually("the order's hold", lambda: client.hold(order_id))
        eventually("the order's entries", lambda: client.order_entries(order_id))
        parties = {"merchant": shop.shop_id, "creator": creator, "agency": agency}
        others = {party: unique_name(f"other_{party}") for party in parties}
        bearer = {
            "admin": stack.endpoints.admin_token,
            "malformed": "rt2.not-a.token",
            "expired": _expired_creator_token(creator),
            "revoked": _revoked(stack, client, creator),
            **{f"{p}_own": client.issue_token(p, i)["token"] for p, i in parties.items()},
            **{f"{p}_other": client.issue_token(p, i)["token"] for p, i in others.items()},
        }
    urls = {service: getattr(stack.endpoints, service) for service in SERVICES}
    return Scene(
        urls=urls,
        headers={"none": {}} | {who: {"Authorization": f"Bearer {t}"} for who, t in bearer.items()},
        tokens=tuple(bearer.values()),
        shop_id=shop.shop_id,
        order_id=order_id,
        party_ids=parties,
        other_ids=tuple(others.values()),
        amounts={
            "paid_total": PAID_TOTAL,
            "shipping_fee": SHIPPING_FEE,
            **{a["party_type"]: a["amount"] for a in hold["amounts"]},
        },
        openapi={service: httpx.get(f"{url}/openapi.json").json() for service, url in urls.items()},
        unsigned_webhook={
            "type": "order.delivered",
            "occurred_at": now.isoformat(),
            "data": {"order_id": order_id},
        },
    )


def _expired_creator_token(creator: str) -> str:
    """Signed with the stack's own key (it has this process's environment), expired an hour
    ago."""
    return issue_read_token(
        SETTINGS.signing_keys,
        "creator",
        creator,
        now=utc_now() - timedelta(hours=2),
        ttl=timedelta(hours=1),
        token_id=unique_name("expired"),
    ).token


def _revoked(stack: Stack, client: SettlementClient, creator: str) -> str:
    """A creator token revoked through the orders service, once every service refuses it."""
    token: str = client.issue_token("creator", creator)["token"]
    client.revoke_token(token)

    def refused_everywhere() -> bool:
        return all(_reason(getattr(stack.endpoints, s), token) == "revoked" for s in SERVICES)

    eventually("every service to refuse the revoked token", refused_everywhere, 20)
    return token


def _reason(base_url: str, token: str) -> str | None:
    """Why a service refuses `token`: asking to revoke authenticates before anything else."""
    response = httpx.post(
        f"{base_url}/v1/tokens/revocations",
        json={"token_id": "probe"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    reason = json.loads(response.text).get("reason") if response.status_code == 401 else None
    return reason if isinstance(reason, str) else None
