"""A shop as the webhook path sees it: where it sells (region, currency) and the secrets its
webhooks are signed with, in the clear (they are sealed only at rest, see
``services.orders.adapters.secret_box``)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Shop:
    """A shop, its secrets in the clear. ``previous_webhook_secret`` is set between a rotation
    and its retirement or expiry (``previous_secret_expires_at``); both secrets then verify."""

    shop_id: str
    region: str
    currency: str
    webhook_secret: str
    previous_webhook_secret: str | None
    previous_secret_expires_at: datetime | None = None

    def valid_secrets(self, now: datetime) -> tuple[str, ...]:
        """Secrets a webhook may be signed with at ``now``, newest first."""
        if self.previous_webhook_secret is None or not self.previous_secret_valid(now):
            return (self.webhook_secret,)
        return (self.webhook_secret, self.previous_webhook_secret)

    def previous_secret_valid(self, now: datetime) -> bool:
        expires = self.previous_secret_expires_at
        return self.previous_webhook_secret is not None and (expires is None or now < expires)
