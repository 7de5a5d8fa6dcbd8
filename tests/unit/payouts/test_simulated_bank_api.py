"""`/v1/simulated-bank/*` exists only when the simulated bank is the provider, for the admin."""

from __future__ import annotations

import httpx

from services.payouts.app import create_app
from services.payouts.service.ports import PayoutInstruction, ProviderOutcome
from services.payouts.settings import PayoutsSettings
from shared.settings import LOCAL_ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {LOCAL_ADMIN_TOKEN}"}


class RealBank:
    async def pay(self, instruction: PayoutInstruction) -> ProviderOutcome:
        return ProviderOutcome.success()


async def get(provider: RealBank | None, path: str, headers: dict[str, str]) -> int:
    app = create_app(PayoutsSettings(), provider=provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payouts") as client:
        return (await client.get(path, headers=headers)).status_code


async def test_the_simulated_bank_endpoints_are_absent_with_another_provider() -> None:
    assert await get(RealBank(), "/v1/simulated-bank/transfers", ADMIN) == 404
    assert await get(RealBank(), "/v1/simulated-bank/payees", ADMIN) == 404


async def test_the_simulated_bank_endpoints_need_the_admin_token() -> None:
    assert await get(None, "/v1/simulated-bank/transfers", {}) == 401
    assert await get(None, "/v1/simulated-bank/transfers?limit=0", ADMIN) == 422
    assert await get(None, "/v1/simulated-bank/transfers?limit=50001", ADMIN) == 422
