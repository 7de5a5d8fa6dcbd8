"""Standard Webhooks verification with the reference library, safe against malformed input.

The library raises assorted errors for malformed headers (bad base64, a signature without a
comma, a body that is not UTF-8); every one of them means "not authentic" and becomes a 401,
never a 500. Timestamps more than 5 minutes off the server clock, either way, are refused by the
library. Several secrets (during a rotation) are tried in turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook

from shared.http.problems import ProblemError

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify_signature(secrets: Sequence[str], body: bytes, headers: Mapping[str, str]) -> None:
    """Return if ``body`` is signed by one of ``secrets``; else raise a 401 problem."""
    signed = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
    for secret in secrets:
        try:
            Webhook(secret).verify(body, signed, json_parse=False)
        except Exception:  # noqa: S112 - any failure of any secret just means "try the next"
            continue
        return
    raise ProblemError(
        401,
        "Invalid webhook signature",
        "The webhook signature is missing, malformed, stale (over 5 minutes off) or does not "
        "match any of the shop's secrets.",
        type_suffix="invalid-signature",
    )
