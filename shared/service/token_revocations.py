"""Revoked read tokens on Kafka: publishing a revocation, and following the topic in every process.

Each process runs `watch` as a worker: a consumer without a group reads `auth.revocations.v1` from
its first record into the process's `RevocationList` and keeps following it, so every replica of
every service sees every revocation, typically within a fetch (50 ms) of its publication, and a
restarted process rebuilds the list before it accepts a read token. After each fetch the list is
marked current as of the broker's answer; the list refuses read tokens (503) until it was first
read to the end and whenever that is older than `TOKEN_REVOCATIONS_MAX_STALENESS_S` (the broker
is unreachable), and `/readyz` fails meanwhile. The admin token is unaffected.

A revocation is sent straight to Kafka (there is no database state to commit with it) and waits
for the broker's acknowledgement; it is also applied to the publishing process's list at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.auth import MAX_READ_TOKEN_LIFETIME, ReadPartyType, RevocationList
from shared.db.outbox import OutgoingRecord
from shared.events import auth_v1
from shared.events.envelope import from_kafka
from shared.kafka.consumer import BatchConsumer, ConsumedRecord
from shared.kafka.dead_letters import SendBatch
from shared.kafka.topics import ensure_topics
from shared.kafka.worker import start_with_retry
from shared.logging import get_logger
from shared.stopping import pause as _pause

log = get_logger(__name__)

_FETCH_TIMEOUT_MS = 500
_RETRY_PAUSE_S = 1.0


async def ensure_revocations_topic(bootstrap_servers: str, topic: str = auth_v1.TOPIC) -> None:
    """Create the revocations topic if missing: one partition (a handful of records a day, read
    whole by everyone), compacted, no dead-letter topic."""
    await ensure_topics(
        bootstrap_servers, [topic], partitions=1, config=auth_v1.TOPIC_CONFIG, dead_letters=False
    )


class TokenRevocations:
    """Publishes revocations to `topic` with `send` (a `KafkaSender.send_batch`) and feeds
    `revocations` from the topic (`watch`)."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topic: str,
        client_id: str,
        revocations: RevocationList,
        send: SendBatch,
        clock: Callable[[], datetime],
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._topic = topic
        self._client_id = client_id
        self.revocations = revocations
        self._send = send
        self._clock = clock
        self._metrics = _Metrics(registry, revocations, clock) if registry is not None else None
        self._loaded = asyncio.Event()

    async def revoke_token(
        self, token_id: str, expires_at: datetime | None = None
    ) -> auth_v1.TokenRevoked:
        """Revoke one token everywhere; without its expiry, it is kept for the longest lifetime."""
        now = self._clock()
        event = auth_v1.TokenRevoked(
            token_id=token_id,
            expires_at=expires_at or now + MAX_READ_TOKEN_LIFETIME,
            revoked_at=now,
        )
        await self._publish(event, now)
        self.revocations.revoke_token(event.token_id, event.expires_at)
        return event

    async def revoke_party(
        self, party_type: ReadPartyType, party_id: str, issued_before: datetime | None = None
    ) -> auth_v1.PartyTokensRevoked:
        """Revoke the party's tokens issued before `issued_before` (default: now) everywhere.

        The topic keeps only the latest record per party, so the instant published is never
        earlier than one this process knows, and it must know them all (else
        `RevocationsUnavailable`): a revocation is widened, never narrowed.
        """
        now = self._clock()
        wanted = issued_before or now
        if wanted > now:
            raise ValueError("issued_before must not be in the future")
        self.revocations.ensure_current(now)
        known = self.revocations.party_revoked_before(party_type, party_id)
        event = auth_v1.PartyTokensRevoked(
            party_type=party_type,
            party_id=party_id,
            issued_before=max(wanted, known) if known else wanted,
            revoked_at=now,
        )
        await self._publish(event, now)
        self.revocations.revoke_party(party_type, party_id, event.issued_before)
        return event

    async def wait_loaded(self, timeout_s: float) -> bool:
        """Wait until `watch` first read the topic to its end; False if `timeout_s` passed."""
        try:
            await asyncio.wait_for(self._loaded.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def ready(self) -> None:
        """Readiness: raises while read tokens cannot be checked against the revocations."""
        self.revocations.ensure_current(self._clock())

    async def watch(self, stop: asyncio.Event) -> None:
        """Follow the topic into the list until `stop`; a worker of every service process."""
        self.revocations.attach_feed()
        while not stop.is_set():
            try:
                await ensure_revocations_topic(self._bootstrap_servers, self._topic)
                break
            except Exception as error:
                log.warning("revocations_topic_unavailable", error=str(error))
                await _pause(stop, _RETRY_PAUSE_S)
        consumer = BatchConsumer(
            self._bootstrap_servers, None, [self._topic], client_id=self._client_id
        )
        while await start_with_retry(consumer, stop, "token_revocations"):
            try:
                await self._follow(consumer, stop)
            except Exception as error:
                log.warning("revocations_consumer_restarting", error=str(error))
                await _pause(stop, _RETRY_PAUSE_S)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _follow(self, consumer: BatchConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for record in await consumer.next_batch(timeout_ms=_FETCH_TIMEOUT_MS):
                self.apply(record)
            caught_up_at = await consumer.caught_up_at()
            if caught_up_at is not None:
                self.revocations.mark_current(datetime.fromtimestamp(caught_up_at, UTC))
                self._loaded.set()
            self.revocations.prune(self._clock())

    def apply(self, record: ConsumedRecord) -> None:
        """Put one record's revocation on the list; an unreadable record is logged and skipped
        (there is nothing to retry, and refusing every token over it would be an outage)."""
        try:
            event = auth_v1.parse_envelope(from_kafka(record.key, record.value, record.headers))
        except ValueError as error:
            log.error(
                "revocation_unreadable",
                topic=record.topic,
                offset=record.offset,
                error=str(error)[:500],
            )
            if self._metrics is not None:
                self._metrics.unreadable.inc()
            return
        match event:
            case auth_v1.TokenRevoked():
                self.revocations.revoke_token(event.token_id, event.expires_at)
            case auth_v1.PartyTokensRevoked():
                self.revocations.revoke_party(event.party_type, event.party_id, event.issued_before)

    async def _publish(self, event: auth_v1.AuthEvent, now: datetime) -> None:
        record = auth_v1.to_record(event, event_id=uuid4().hex, time=now)
        await self._send([OutgoingRecord(self._topic, record.key, record.value, record.headers)])
        log.info("read_token_revocation_published", type=event.TYPE, key=event.record_key)


class _Metrics:
    """Read at scrape time, so the age keeps growing while the watcher is stuck."""

    def __init__(
        self,
        registry: CollectorRegistry,
        revocations: RevocationList,
        clock: Callable[[], datetime],
    ) -> None:
        def age() -> float:
            as_of = revocations.current_as_of
            return float("inf") if as_of is None else (clock() - as_of).total_seconds()

        Gauge(
            "token_revocations_known",
            "Revocations of unexpired read tokens this process holds.",
            registry=registry,
        ).set_function(lambda: len(revocations))
        Gauge(
            "token_revocations_age_seconds",
            "Seconds since this process last confirmed it had every revocation (+Inf before the "
            "first time); read tokens are refused above TOKEN_REVOCATIONS_MAX_STALENESS_S.",
            registry=registry,
        ).set_function(age)
        self.unreadable = Counter(
            "token_revocations_unreadable_records",
            "Records on the revocations topic that could not be read (skipped).",
            registry=registry,
        )
