"""A small synchronous HTTP client of the three services' operator APIs (admin token).

Every method returns the decoded JSON body; an unexpected status raises ``ApiError`` carrying
the problem+json ``detail`` so the caller can show what the service said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from settlement_cli.config import Endpoints
from shared.service.clock import utc_now

Json = dict[str, Any]


class ApiError(RuntimeError):
    """A service answered with a status the caller did not expect."""

    def __init__(self, method: str, url: str, status: int, detail: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {detail}")
        self.status = status


class ServiceUnreachableError(RuntimeError):
    """A service did not answer at all (down, wrong URL, timed out)."""

    def __init__(self, method: str, url: str, error: httpx.HTTPError) -> None:
        reason = str(error) or type(error).__name__
        super().__init__(f"{method} {url}: no answer ({reason}); is the service running?")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]


class SettlementClient:
    """Operator calls to orders, ledger and payouts; ``timeout_s`` bounds every request."""

    def __init__(self, endpoints: Endpoints, timeout_s: float = 15.0) -> None:
        self.endpoints = endpoints
        self._http = httpx.Client(
            timeout=timeout_s, headers={"Authorization": f"Bearer {endpoints.admin_token}"}
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SettlementClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        url: str,
        *,
        ok: tuple[int, ...] = (200,),
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        timeout = self._http.timeout if timeout_s is None else httpx.Timeout(timeout_s)
        try:
            response = self._http.request(method, url, json=json, params=params, timeout=timeout)
        except httpx.HTTPError as error:
            raise ServiceUnreachableError(method, url, error) from None
        if response.status_code not in ok:
            raise ApiError(method, url, response.status_code, _detail(response))
        return response

    def _json(self, method: str, url: str, **kwargs: Any) -> Json:
        body: Json = self._call(method, url, **kwargs).json()
        return body

    # health
    def is_ready(self, service: str) -> bool:
        try:
            return self._http.get(f"{self.endpoints.urls()[service]}/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    # orders
    def create_shop(self, shop_id: str, region: str) -> Json:
        body = {"shop_id": shop_id, "region": region}
        return self._json("POST", f"{self.endpoints.orders}/v1/shops", json=body, ok=(200, 201))

    def rotate_secret(self, shop_id: str) -> Json:
        url = f"{self.endpoints.orders}/v1/shops/{shop_id}/secrets:rotate"
        return self._json("POST", url, ok=(200,))

    def retire_secret(self, shop_id: str) -> Json:
        url = f"{self.endpoints.orders}/v1/shops/{shop_id}/secrets:retire"
        return self._json("POST", url, ok=(200,))

    def open_shop(self, shop_id: str, region: str) -> str:
        """A webhook secret for the shop: created with it, or, when the shop exists (its secret
        is shown only once), a fresh one from retiring the previous secret and rotating."""
        secret = self.create_shop(shop_id, region)["webhook_secret"]
        if secret is None:
            self.retire_secret(shop_id)
            secret = self.rotate_secret(shop_id)["webhook_secret"]
        if not isinstance(secret, str):
            url = f"{self.endpoints.orders}/v1/shops/{shop_id}/secrets:rotate"
            raise ApiError("POST", url, 200, "the answer carries no webhook secret")
        return secret

    def add_plan(self, shop_id: str, plan: Mapping[str, Any]) -> Json:
        url = f"{self.endpoints.orders}/v1/shops/{shop_id}/plans"
        return self._json("POST", url, json=dict(plan), ok=(201,))

    def list_plans(self, shop_id: str) -> Json:
        return self._json("GET", f"{self.endpoints.orders}/v1/shops/{shop_id}/plans")

    def order(self, order_id: str, shop_id: str | None = None) -> Json:
        """The order ``(shop_id, order_id)``; without ``shop_id`` the service answers 409 (an
        ``ApiError``) when several shops use the order id."""
        url = f"{self.endpoints.orders}/v1/orders/{order_id}"
        return self._json("GET", url, params={"shop_id": shop_id} if shop_id else None)

    def issue_token(self, party_type: str, party_id: str, expires_in: int | None = None) -> Json:
        body: dict[str, Any] = {"party_type": party_type, "party_id": party_id}
        if expires_in is not None:
            body["expires_in"] = expires_in
        return self._json("POST", f"{self.endpoints.orders}/v1/tokens", json=body, ok=(200, 201))

    def revoke_token(self, token_or_id: str) -> Json:
        """Revoke a read token given itself (``rt2.``...) or its token id."""
        is_token = token_or_id.startswith(("rt1.", "rt2."))
        body = {"token": token_or_id} if is_token else {"token_id": token_or_id}
        url = f"{self.endpoints.orders}/v1/tokens/revocations"
        return self._json("POST", url, json=body, ok=(201,))

    def revoke_party_tokens(
        self, party_type: str, party_id: str, issued_before: str | None = None
    ) -> Json:
        body = {"party_type": party_type, "party_id": party_id, "issued_before": issued_before}
        url = f"{self.endpoints.orders}/v1/tokens/party-revocations"
        return self._json("POST", url, json=body, ok=(201,))

    def send_webhook(self, shop_id: str, secret: str, webhook_id: str, body: bytes) -> Json:
        """Post a Standard Webhooks delivery signed now with ``secret`` (202 expected)."""
        timestamp = utc_now()
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": Webhook(secret).sign(webhook_id, timestamp, body.decode()),
            "content-type": "application/json",
        }
        url = f"{self.endpoints.orders}/v1/shops/{shop_id}/webhooks"
        # The webhook carries its own signature, not the admin token.
        response = httpx.post(url, content=body, headers=headers, timeout=self._http.timeout)
        if response.status_code != 202:
            raise ApiError("POST", url, response.status_code, _detail(response))
        accepted: Json = response.json()
        return accepted

    # ledger
    def balances(self, party_type: str, party_id: str, as_of: str | None = None) -> Json:
        url = f"{self.endpoints.ledger}/v1/balances/{party_type}/{party_id}"
        return self._json("GET", url, params={"as_of": as_of} if as_of else None)

    def order_entries(self, order_id: str, shop_id: str | None = None) -> Json | None:
        """The order's journal entries, or None while the ledger has none (404)."""
        url = f"{self.endpoints.ledger}/v1/orders/{order_id}/entries"
        params = {"shop_id": shop_id} if shop_id else None
        response = self._call("GET", url, params=params, ok=(200, 404))
        return None if response.status_code == 404 else response.json()

    def trial_balance(self) -> Json:
        return self._json("GET", f"{self.endpoints.ledger}/v1/trial-balance")

    def statement(
        self, party_type: str, party_id: str, start: str | None, end: str | None, fmt: str
    ) -> str:
        params = {"format": fmt} | ({"from": start} if start else {}) | ({"to": end} if end else {})
        url = f"{self.endpoints.ledger}/v1/statements/{party_type}/{party_id}"
        return self._call("GET", url, params=params).text

    # payouts
    def hold(self, order_id: str, shop_id: str | None = None) -> Json | None:
        """The order's hold, or None while the payouts service has not seen the order (404)."""
        url = f"{self.endpoints.payouts}/v1/holds/{order_id}"
        params = {"shop_id": shop_id} if shop_id else None
        response = self._call("GET", url, params=params, ok=(200, 404))
        return None if response.status_code == 404 else response.json()

    def run_payouts(self) -> Json:
        return self._json("POST", f"{self.endpoints.payouts}/v1/payout-runs", ok=(201,))

    def payouts(self, party_type: str | None = None, party_id: str | None = None) -> Json:
        params = {k: v for k, v in (("party_type", party_type), ("party_id", party_id)) if v}
        return self._json("GET", f"{self.endpoints.payouts}/v1/payouts", params=params)

    def reconciliation(self) -> Json:
        """Differences between the payouts service, the ledger and the payout provider; reading
        every party's balances may take a while on a large ledger, hence the longer timeout."""
        url = f"{self.endpoints.payouts}/v1/reconciliation"
        return self._json("GET", url, timeout_s=max(self._http.timeout.read or 0, 120.0))
