"""Webhook secrets at rest: stored sealed (never the secret itself), resealed under a new key
when the key ring rotates, and a rotated-out secret stops verifying after its grace period."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from services.orders.adapters.db.tables import shops
from shared.keyring import encode_key
from tests.support.infra import wait_until
from tests.support.orders import ADMIN, RunningOrders, orders_app, orders_database, placed_body

K1 = encode_key("k1", b"1" * 32)
K2 = encode_key("k2", b"2" * 32)


async def _stored(orders: RunningOrders) -> tuple[str, str | None]:
    async with orders.engine.connect() as conn:
        row = (
            await conn.execute(select(shops.c.webhook_secret, shops.c.previous_webhook_secret))
        ).one()
    return row[0], row[1]


async def test_secrets_are_stored_sealed_and_resealed_when_the_key_rotates() -> None:
    async with orders_database() as (url, topic):
        async with orders_app(url, topic, secret_keys=K1) as orders:
            secret = await orders.create_shop()
            rotated = await orders.client.post("/v1/shops/shop-1/secrets:rotate", headers=ADMIN)
            new_secret = rotated.json()["webhook_secret"]
            current, previous = await _stored(orders)
            raw_secret = base64.b64decode(secret.removeprefix("whsec_"))
            assert current.startswith("sealed:v1:k1:") and previous is not None
            assert previous.startswith("sealed:v1:k1:")
            async with orders.engine.connect() as conn:
                dump = str((await conn.execute(text("SELECT row_to_json(s) FROM shops s"))).all())
            for value in (secret, new_secret, secret.removeprefix("whsec_")):
                assert value not in dump
            assert raw_secret.hex() not in dump

        # The new key first, the old one still listed: the worker reseals, webhooks verify.
        async with orders_app(url, topic, secret_keys=f"{K2},{K1}") as orders:

            async def resealed() -> bool:
                current, previous = await _stored(orders)
                return current.startswith("sealed:v1:k2:") and str(previous).startswith(
                    "sealed:v1:k2:"
                )

            await wait_until(resealed, timeout_s=20)
            with_new = await orders.post_webhook("shop-1", new_secret, placed_body("o-1"))
            with_old = await orders.post_webhook("shop-1", secret, placed_body("o-2"))
            assert (with_new.status_code, with_old.status_code) == (202, 202)

        # The old key dropped: everything was resealed, so nothing is lost.
        async with orders_app(url, topic, secret_keys=K2) as orders:
            answer = await orders.post_webhook("shop-1", new_secret, placed_body("o-3"))
            assert answer.status_code == 202, answer.text


async def test_secrets_stored_plain_before_encryption_are_read_and_resealed() -> None:
    async with orders_database() as (url, topic):
        async with orders_app(url, topic, secret_keys=K1) as orders:
            plain = "whsec_" + base64.b64encode(b"p" * 32).decode()
            async with orders.engine.begin() as conn:
                await conn.execute(
                    shops.insert().values(
                        shop_id="shop-1", region="UK", currency="GBP", webhook_secret=plain
                    )
                )
            accepted = await orders.post_webhook("shop-1", plain, placed_body("o-1"))
            assert accepted.status_code == 202, accepted.text

        async with orders_app(url, topic, secret_keys=K1) as orders:  # the worker runs at start

            async def resealed() -> bool:
                return (await _stored(orders))[0].startswith("sealed:v1:k1:")

            await wait_until(resealed, timeout_s=20)
            accepted = await orders.post_webhook("shop-1", plain, placed_body("o-2"))
            assert accepted.status_code == 202, accepted.text


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_rotated_out_secret_stops_verifying_after_its_grace_period() -> None:
    clock = _Clock()
    async with (
        orders_database() as (url, topic),
        orders_app(url, topic, clock=clock, previous_secret_grace_s=3600) as orders,
    ):
        old = await orders.create_shop()
        rotated = await orders.client.post("/v1/shops/shop-1/secrets:rotate", headers=ADMIN)
        new = rotated.json()["webhook_secret"]
        expires = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
        assert expires == clock.now + timedelta(hours=1)
        in_grace = await orders.post_webhook("shop-1", old, placed_body("o-1"))

        clock.now += timedelta(hours=1, seconds=1)
        after_grace = await orders.post_webhook("shop-1", old, placed_body("o-2"))
        with_new = await orders.post_webhook("shop-1", new, placed_body("o-3"))
        again = await orders.client.post("/v1/shops/shop-1/secrets:rotate", headers=ADMIN)

        assert in_grace.status_code == 202
        assert after_grace.status_code == 401
        assert with_new.status_code == 202
        assert again.status_code == 200  # the expired one is replaced, no retire needed
        assert again.json()["previous_secret_active"] is True
