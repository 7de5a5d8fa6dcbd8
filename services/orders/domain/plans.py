"""Commission plans of a shop and the resolution of one order line's terms.

Rates are int basis points. A plan is valid when ``validate_plan`` accepts it; ``resolve`` trusts
the plans it is given (the caller passes the validated plans of the order's shop only).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from services.orders.domain.errors import InvalidPlan
from shared.money import is_int

PlanType = Literal["shop", "open", "targeted"]
PLAN_TYPES: Final[tuple[PlanType, ...]] = get_args(PlanType)

MIN_RATE_BPS: Final = 100
MAX_RATE_BPS: Final = 8000
MAX_TARGETED_CREATORS: Final = 30

_PRECEDENCE: Final[dict[PlanType, int]] = {"targeted": 3, "open": 2, "shop": 1}


@dataclass(frozen=True, slots=True)
class Plan:
    """A shop's commission plan.

    ``shop``: one rate for every SKU (no SKUs, no creators). ``open``: listed SKUs, any creator.
    ``targeted``: listed SKUs, listed creators only (1..30). Active on ``[starts_at, ends_at)``;
    a missing bound is open-ended. Both bounds are timezone-aware when given.
    """

    plan_id: str
    shop_id: str
    type: PlanType
    rate_bps: int
    skus: frozenset[str] = frozenset()
    creator_ids: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def is_active(self, at: datetime) -> bool:
        """True when ``starts_at <= at < ends_at`` (missing bounds are open)."""
        started = self.starts_at is None or self.starts_at <= at
        return started and (self.ends_at is None or at < self.ends_at)

    def applies_to(self, sku: str, creator_id: str) -> bool:
        """True when the plan covers this SKU sold by this creator (activity aside)."""
        if self.type == "shop":
            return True
        if self.type == "open":
            return sku in self.skus
        return sku in self.skus and creator_id in self.creator_ids


@dataclass(frozen=True, slots=True)
class ResolvedTerms:
    """The commission terms of one order line: which plan (if any) and its rate in bps."""

    plan_id: str | None
    plan_type: PlanType | None
    rate_bps: int


NO_PLAN: Final = ResolvedTerms(plan_id=None, plan_type=None, rate_bps=0)


def validate_plan(plan: Plan) -> Plan:
    """Return ``plan`` unchanged if it is within DOMAIN.md's bounds, else raise ``InvalidPlan``.

    Rules: ids non-empty; rate an int in 100..8000 bps; ``shop`` lists no SKUs; ``open`` and
    ``targeted`` list at least one SKU; only ``targeted`` lists creators, 1..30 of them;
    ``starts_at`` / ``ends_at`` aware, and ``starts_at < ends_at`` when both are set.
    """
    for name, text in (("plan_id", plan.plan_id), ("shop_id", plan.shop_id)):
        if not isinstance(text, str) or not text:
            raise InvalidPlan(f"{name} must be a non-empty string")
    if plan.type not in PLAN_TYPES:
        raise InvalidPlan(f"type must be one of {', '.join(PLAN_TYPES)}, got {plan.type!r}")
    _check_rate(plan.rate_bps)
    _check_skus(plan)
    _check_creators(plan)
    _check_window(plan.starts_at, plan.ends_at)
    return plan


def _check_rate(rate_bps: object) -> None:
    if not is_int(rate_bps):
        raise InvalidPlan(f"rate_bps must be an integer, got {type(rate_bps).__name__}")
    if not MIN_RATE_BPS <= rate_bps <= MAX_RATE_BPS:
        raise InvalidPlan(
            f"rate_bps must be between {MIN_RATE_BPS} and {MAX_RATE_BPS} bps, got {rate_bps}"
        )


def _check_skus(plan: Plan) -> None:
    if any(not isinstance(sku, str) or not sku for sku in plan.skus):
        raise InvalidPlan("every SKU must be a non-empty string")
    if plan.type == "shop" and plan.skus:
        raise InvalidPlan("a shop plan covers every SKU of the shop and lists none")
    if plan.type != "shop" and not plan.skus:
        raise InvalidPlan(f"an {plan.type} plan must list at least one SKU")


def _check_creators(plan: Plan) -> None:
    if any(not isinstance(creator, str) or not creator for creator in plan.creator_ids):
        raise InvalidPlan("every creator id must be a non-empty string")
    if plan.type != "targeted":
        if plan.creator_ids:
            raise InvalidPlan(f"only a targeted plan lists creators, not a {plan.type} plan")
        return
    if not plan.creator_ids:
        raise InvalidPlan("a targeted plan must list at least one creator")
    if len(plan.creator_ids) > MAX_TARGETED_CREATORS:
        raise InvalidPlan(
            f"a targeted plan lists at most {MAX_TARGETED_CREATORS} creators, "
            f"got {len(plan.creator_ids)}"
        )


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    for name, bound in (("starts_at", starts_at), ("ends_at", ends_at)):
        if bound is not None and (not isinstance(bound, datetime) or bound.utcoffset() is None):
            raise InvalidPlan(f"{name} must be a timezone-aware timestamp")
    if starts_at is not None and ends_at is not None and not starts_at < ends_at:
        raise InvalidPlan("starts_at must be before ends_at")


def resolve(plans: Iterable[Plan], sku: str, creator_id: str | None, at: datetime) -> ResolvedTerms:
    """The terms for one line of an order sold by ``creator_id`` at instant ``at`` (aware).

    Only plans active at ``at`` count. Precedence: targeted (SKU and creator listed) > open (SKU
    listed) > shop > none. Within the winning type the highest rate wins; equal rates go to the
    lowest ``plan_id``, so the answer never depends on the order of ``plans``. An order without a
    creator earns no commission: ``NO_PLAN`` (rate 0).
    """
    if creator_id is None:
        return NO_PLAN
    candidates = [p for p in plans if p.is_active(at) and p.applies_to(sku, creator_id)]
    if not candidates:
        return NO_PLAN
    best = min(candidates, key=lambda p: (-_PRECEDENCE[p.type], -p.rate_bps, p.plan_id))
    return ResolvedTerms(plan_id=best.plan_id, plan_type=best.type, rate_bps=best.rate_bps)
