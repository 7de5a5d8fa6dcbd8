"""What the webhook handler takes and answers: domain-typed, built once at the API edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.orders.domain.facts import Fact
from services.orders.domain.plans import Plan
from services.orders.domain.shop import Shop

Outcome = Literal["accepted", "held", "duplicate"]


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    """A webhook whose signature was verified and whose body parsed into ``fact``.

    ``received_at`` (aware) is when it arrived by the server's clock: ``fact.occurred_at`` may
    lie at most 5 minutes after it, and what it records is stamped with it. ``plans`` are the
    shop's plans active at a placement's ``occurred_at`` (empty for the other facts).
    """

    shop: Shop
    webhook_id: str
    body_sha256: bytes
    fact: Fact
    received_at: datetime
    plans: tuple[Plan, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """``event_id`` is the id of the event this delivery recorded (for a repeat, the one the
    first delivery recorded). ``outcome``: ``accepted`` (published), ``held`` (waits for the
    order's placement, published then under the same id) or ``duplicate``."""

    event_id: str
    outcome: Outcome
