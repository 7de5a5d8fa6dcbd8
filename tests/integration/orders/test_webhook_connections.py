"""The orders engine checks out pooled connections without a pre-ping round trip; connections
the database closed are replaced, not handed to a webhook."""

from __future__ import annotations

import asyncpg

from tests.support.infra import SETTINGS, wait_until
from tests.support.orders import placed_body, running_orders

_OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


async def test_webhooks_are_accepted_after_the_database_closed_every_pooled_connection() -> None:
    # A slow relay poll: its own failure on a dead connection would also refresh the pool.
    async with running_orders(outbox_poll_interval_s=5) as orders:
        secret = await orders.create_shop()
        warm = [await orders.post_webhook("shop-1", secret, placed_body(f"o-{n}")) for n in (1, 2)]
        database = orders.engine.url.database
        admin = await asyncpg.connect(
            host=SETTINGS.pg_host,
            port=SETTINGS.pg_port,
            user=SETTINGS.pg_user,
            password=SETTINGS.pg_password.get_secret_value(),
            database=database,
        )
        try:
            # Background tasks (the relay's wake-up listener) may reconnect at once, so the test
            # waits for the backends it terminated to be gone, not for the database to be empty.
            victims: list[int] = [r["pid"] for r in await admin.fetch(f"SELECT pid {_OTHERS}")]
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", victims
            )

            async def victims_gone() -> bool:
                left: int = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", victims
                )
                return left == 0

            await wait_until(victims_gone, timeout_s=10)
        finally:
            await admin.close()

        after = [await orders.post_webhook("shop-1", secret, placed_body(f"o-{n}")) for n in (3, 4)]

        assert [r.status_code for r in warm] == [202, 202]
        assert len(victims) >= 1
        assert [r.status_code for r in after] == [202, 202], after[0].text
        assert (await orders.rows())["orders"] == 4
