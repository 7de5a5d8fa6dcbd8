"""The ledger's balances over its HTTP API: `GET /v1/balances` page after page, admin token.

The ledger's wire shape stops here: each page is validated (integer amounts, strictly) and
becomes the domain's `PartyCurrency -> Figures`.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.payouts.domain.reconciliation import Figures, PartyCurrency
from services.payouts.service.ports import LedgerUnavailableError


class _Balance(BaseModel):
    model_config = ConfigDict(extra="ignore")

    currency: str
    pending: int = Field(strict=True, description="minor units")
    available: int = Field(strict=True, description="minor units")


class _Party(BaseModel):
    model_config = ConfigDict(extra="ignore")

    party_type: str
    party_id: str
    balances: list[_Balance]


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[_Party]
    next_cursor: str | None


class LedgerHttpClient:
    """`LedgerBalances` over HTTP; `transport` lets a test put an ASGI app behind it."""

    def __init__(
        self,
        base_url: str,
        admin_token: str,
        *,
        timeout_s: float = 30.0,
        page_size: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {admin_token}"}
        self._timeout_s = timeout_s
        self._page_size = page_size
        self._transport = transport

    def __repr__(self) -> str:
        return f"LedgerHttpClient({self._base_url!r}, token=<hidden>)"

    async def all_balances(self) -> dict[PartyCurrency, Figures]:
        found: dict[PartyCurrency, Figures] = {}
        seen: set[str] = set()
        cursor: str | None = None
        async with httpx.AsyncClient(
            base_url=self._base_url,
            headers=self._headers,
            timeout=self._timeout_s,
            transport=self._transport,
        ) as client:
            while True:
                page = await self._page(client, cursor)
                for party in page.items:
                    for balance in party.balances:
                        account = PartyCurrency(party.party_type, party.party_id, balance.currency)
                        found[account] = Figures(balance.pending, balance.available)
                cursor = page.next_cursor
                if cursor is None:
                    return found
                if cursor in seen:
                    raise LedgerUnavailableError(f"the ledger repeated the cursor {cursor!r}")
                seen.add(cursor)

    async def _page(self, client: httpx.AsyncClient, cursor: str | None) -> _Page:
        params = {"limit": str(self._page_size)} | ({"cursor": cursor} if cursor else {})
        url = f"{self._base_url}/v1/balances"
        try:
            response = await client.get("/v1/balances", params=params)
        except httpx.HTTPError as error:
            raise LedgerUnavailableError(
                f"the ledger at {url} did not answer: {type(error).__name__}: {error}"
            ) from error
        if response.status_code != 200:
            raise LedgerUnavailableError(
                f"the ledger at {url} answered {response.status_code}: {response.text[:300]}"
            )
        try:
            return _Page.model_validate_json(response.content)
        except ValidationError as error:
            raise LedgerUnavailableError(f"the ledger at {url} answered an unexpected body") from (
                error
            )
