"""An order's entries as each caller sees them: the admin and the merchant whole, a creator or
an agency only its own postings and the details its own amounts come from."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from services.ledger.api.entries import visible_entries
from shared.auth import Principal
from shared.privacy import visibility

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def entry(kind: str, details: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        event_id=f"e-{kind}",
        kind=kind,
        occurred_at=T0,
        recorded_at=T0,
        rule_version="split-2026-11.v2",
        details=details,
        shop_id="s-1",
    )


def posting(account: str, amount: int, leg: str, rate_bps: int | None = None) -> Any:
    return SimpleNamespace(account=account, amount=amount, leg=leg, plan_id=None, rate_bps=rate_bps)


# DOMAIN.md's worked example: placed, refunded 1000 of 4299, released.
PLACED = (
    entry(
        "order_placed",
        {
            "paid_total": 4299,
            "commission": 645,
            "commission_shortfall": 0,
            "agency_share_bps": 2000,
            "terms": {"platform_fee_bps": 900},
            "lines": [
                {"sku": "A", "base": 3000, "rate_bps": 2000, "plan_id": "p", "commission": 600},
                {"sku": "B", "base": 900, "rate_bps": 500, "plan_id": "q", "commission": 45},
            ],
        },
    ),
    [
        posting("merchant/s-1/GBP/pending", 3303, "merchant_net"),
        posting("creator/c-1/GBP/pending", 516, "creator_net"),
        posting("agency/a-1/GBP/pending", 129, "agency_share", 2000),
        posting("platform/UK/GBP/pending", 351, "platform_fee", 900),
        posting("clearing/UK/GBP/clearing", -4299, "clearing"),
    ],
)
REFUND = (
    entry(
        "order_refund",
        {"refund_id": "r-1", "refunded_before": 0, "refunded_after": 1000, "phase": "pending"},
    ),
    [
        posting("merchant/s-1/GBP/pending", -768, "merchant_net"),
        posting("creator/c-1/GBP/pending", -120, "creator_net"),
        posting("agency/a-1/GBP/pending", -30, "agency_share"),
        posting("platform/UK/GBP/pending", -82, "platform_fee"),
        posting("clearing/UK/GBP/clearing", 1000, "clearing"),
    ],
)
RELEASE = (
    entry(
        "order_released",
        {
            "reversed_before_release": 1000,
            "expected_by_payouts": [
                {"party_type": "merchant", "party_id": "s-1", "amount": 2535},
                {"party_type": "creator", "party_id": "c-1", "amount": 396},
                {"party_type": "agency", "party_id": "a-1", "amount": 99},
            ],
        },
    ),
    [
        posting("merchant/s-1/GBP/pending", -2535, "merchant_net"),
        posting("merchant/s-1/GBP/available", 2535, "merchant_net"),
        posting("creator/c-1/GBP/pending", -396, "creator_net"),
        posting("creator/c-1/GBP/available", 396, "creator_net"),
    ],
)
ORDER = [PLACED, REFUND, RELEASE]


def seen_by(principal: Principal) -> list[dict[str, Any]]:
    sees = visibility(principal, "s-1")
    return [e.model_dump(mode="json") for e in visible_entries(ORDER, sees)]


def test_the_admin_and_the_orders_merchant_see_every_entry_whole() -> None:
    admin = seen_by(Principal.admin())
    assert admin == seen_by(Principal.reader("merchant", "s-1"))
    assert [len(e["postings"]) for e in admin] == [5, 5, 4]
    assert admin[0]["details"] == PLACED[0].details
    assert admin[1]["details"]["refunded_after"] == 1000


def test_a_creator_sees_only_its_own_postings_and_what_its_commission_comes_from() -> None:
    placed, refund, release = seen_by(Principal.reader("creator", "c-1"))

    assert [p["account"] for e in (placed, refund) for p in e["postings"]] == [
        "creator/c-1/GBP/pending",
        "creator/c-1/GBP/pending",
    ]
    assert [p["amount"] for p in release["postings"]] == [-396, 396]
    assert placed["details"] == {
        "commission": 645,
        "commission_shortfall": 0,
        "lines": PLACED[0].details["lines"],
    }
    assert refund["details"] == {"refund_id": "r-1", "phase": "pending"}
    assert release["details"] == {
        "expected_by_payouts": [{"party_type": "creator", "party_id": "c-1", "amount": 396}]
    }


def test_an_agency_sees_only_its_own_postings_and_not_entries_that_do_not_move_its_money() -> None:
    placed, refund = seen_by(Principal.reader("agency", "a-1"))  # the release moved none of it

    assert [p["amount"] for p in placed["postings"]] == [129]
    assert [p["amount"] for p in refund["postings"]] == [-30]
    for seen in (placed, refund):
        assert "paid_total" not in seen["details"]
        assert "agency_share_bps" not in seen["details"]
        assert "refunded_after" not in seen["details"]


def test_details_of_a_kind_not_listed_stay_private() -> None:
    novel = (entry("order_novelty", {"paid_total": 4299}), PLACED[1])
    (seen,) = visible_entries([novel], visibility(Principal.reader("creator", "c-1"), "s-1"))
    assert seen.details == {}
