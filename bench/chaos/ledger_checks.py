"""I1, I2, I3 and I5: the ledger's journal, against the orders topic and a replay of it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections import Counter
from typing import Any

import asyncpg

from bench.chaos.check import Check
from bench.chaos.infra import ROOT
from bench.chaos.pipeline import TopicEvent, fetch, read_topic
from bench.chaos.stack import TOPICS, Stack
from services.ledger.adapters.db.digest import digest_of
from shared.settings import ServiceSettings

REPLAY_TEMPLATE = "ledger_replay_template"
_OWNER = ServiceSettings().db_owner_user


async def trial_balance(stack: Stack) -> Check:
    totals = await fetch(
        stack.infra,
        "ledger",
        "SELECT currency, sum(amount)::bigint AS total, count(*) AS postings "
        "FROM postings GROUP BY currency ORDER BY currency",
    )
    (unbalanced,) = await fetch(
        stack.infra,
        "ledger",
        "SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id, currency "
        "HAVING sum(amount) <> 0) AS u",
    )
    counts: dict[str, Any] = {f"total_{r['currency']}": r["total"] for r in totals}
    counts["postings"] = sum(r["postings"] for r in totals)
    counts["unbalanced_entries"] = unbalanced[0]
    return Check(all(r["total"] == 0 for r in totals) and unbalanced[0] == 0, counts)


async def one_entry_set_per_event(stack: Stack, orders_events: list[TopicEvent]) -> Check:
    rows = await fetch(stack.infra, "ledger", "SELECT event_id, kind FROM journal_entries")
    per_event = Counter(r["event_id"] for r in rows)
    inbox = {
        r["event_id"]
        for r in await fetch(
            stack.infra, "ledger", "SELECT event_id FROM processed_events WHERE consumer = 'ledger'"
        )
    }
    placed = {e.event_id for e in orders_events if e.event_type == "order.placed"}
    releases = await published_releases(stack)
    released = {e.event_id for e in releases}
    nothing_left = await fully_reversed(stack, [e for e in releases if e.event_id not in per_event])
    (empty,) = await fetch(
        stack.infra,
        "ledger",
        "SELECT count(*) FROM journal_entries e "
        "WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.id)",
    )
    counts = {
        "entries": len(rows),
        "events_with_two_or_more": sum(1 for n in per_event.values() if n > 1),
        "placements": len(placed),
        "placements_without_entry": len(placed - per_event.keys()),
        "releases_published": len(released),
        "releases_without_entry": len(released - per_event.keys()) - len(nothing_left),
        "releases_of_fully_reversed_orders": len(nothing_left),
        "entries_not_from_a_folded_event": len(per_event.keys() - inbox),
        "entries_without_postings": empty[0],
    }
    must_be_zero = (
        "events_with_two_or_more",
        "placements_without_entry",
        "releases_without_entry",
        "entries_not_from_a_folded_event",
        "entries_without_postings",
    )
    return Check(all(counts[k] == 0 for k in must_be_zero), counts)


async def published_releases(stack: Stack) -> list[TopicEvent]:
    """Each release event once: delivery is at least once, so after a broker restart the topic
    may hold a record twice (consumers drop the repeat by its event id, and so does this)."""
    events = await read_topic(stack.infra.bootstrap, TOPICS["payouts"])
    once: dict[str, TopicEvent] = {}
    for event in events:
        if event.event_type == "settlement.released":
            once.setdefault(event.event_id, event)
    return list(once.values())


async def fully_reversed(stack: Stack, releases: list[TopicEvent]) -> list[TopicEvent]:
    """The releases whose order the ledger had fully reversed (refunded or cancelled) before:
    it folds them without an entry, as nothing is left pending to release."""
    found = []
    for event in releases:
        if event.order is None:
            continue
        (pending,) = await fetch(
            stack.infra,
            "ledger",
            "SELECT coalesce(sum(p.amount), 0)::bigint FROM postings p "
            "JOIN journal_entries e ON e.id = p.entry_id JOIN accounts a ON a.code = p.account "
            "WHERE e.shop_id = $1 AND e.order_id = $2 AND a.sub_account = 'pending'",
            *event.order,
        )
        if pending[0] == 0:
            found.append(event)
    return found


async def accepted_published_folded(
    stack: Stack, accepted_ids: set[str], orders_events: list[TopicEvent]
) -> Check:
    on_topic = {e.event_id for e in orders_events}
    inbox = {
        r["event_id"]
        for r in await fetch(
            stack.infra, "ledger", "SELECT event_id FROM processed_events WHERE consumer = 'ledger'"
        )
    }
    folded = on_topic & inbox
    counts = {
        "accepted": len(accepted_ids),
        "on_topic": len(on_topic),
        "topic_records": len(orders_events),
        "folded": len(folded),
        "accepted_not_on_topic": len(accepted_ids - on_topic),
        "on_topic_not_accepted": len(on_topic - accepted_ids),
    }
    ok = len(accepted_ids) == len(on_topic) == len(folded) and not (accepted_ids ^ on_topic)
    return Check(ok, counts)


async def live_digest(stack: Stack, database: str = "ledger") -> tuple[str, int]:
    rows = await fetch(
        stack.infra, database, "SELECT account, sum(amount)::bigint FROM postings GROUP BY account"
    )
    (entries,) = await fetch(stack.infra, database, "SELECT count(*) FROM journal_entries")
    return digest_of([(r[0], int(r[1])) for r in rows]), entries[0]


async def replay_reproduces_digest(stack: Stack) -> Check:
    live, entries = await live_digest(stack)
    name = f"ledger_replay_{uuid.uuid4().hex[:8]}"
    env = {**stack.env(stack.replicas["ledger"][0]), "LEDGER_DB": name}
    await _migrated_template(stack, env)
    admin = await asyncpg.connect(stack.infra.database_dsn("postgres"), timeout=10)
    try:
        await admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{REPLAY_TEMPLATE}" OWNER "{_OWNER}"'
        )
    finally:
        await admin.close()
    try:
        replayed = json.loads(await asyncio.to_thread(_ledger_command, env, "replay"))
        differing = await _entries_differing(stack, name)
    finally:
        admin = await asyncpg.connect(stack.infra.database_dsn("postgres"), timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
    counts = {
        "live_entries": entries,
        "replayed_entries": replayed["entries"],
        "replay_records": replayed["records"],
        "replay_dead_letters": replayed["dead_letters"],
        "replay_s": replayed["seconds"],
        "live_digest": live[:12],
        "replay_digest": str(replayed["digest"])[:12],
        **differing,
    }
    return Check(replayed["digest"] == live and replayed["dead_letters"] == 0, counts)


async def _migrated_template(stack: Stack, env: dict[str, str]) -> None:
    """An empty, migrated ledger database to copy for each replay (migrating once is cheaper)."""
    admin = await asyncpg.connect(stack.infra.database_dsn("postgres"), timeout=10)
    try:
        exists = await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", REPLAY_TEMPLATE
        )
        if exists:
            return
        # Owned by the migrations' role, like the services' own databases (roles.sql), so
        # `migrate` runs as it and grants the ledger's role what the replay needs.
        await admin.execute(f'CREATE DATABASE "{REPLAY_TEMPLATE}" OWNER "{_OWNER}"')
    finally:
        await admin.close()
    await asyncio.to_thread(_ledger_command, {**env, "LEDGER_DB": REPLAY_TEMPLATE}, "migrate")


async def _entries_differing(stack: Stack, replayed_database: str) -> dict[str, Any]:
    """Entries (by event and kind) only the live journal or only the replay has. The digest
    compares balances; the journals may still differ where the live fold and the replay saw a
    refund and a release of the same order in a different order (informational)."""
    query = "SELECT event_id, kind FROM journal_entries"
    live = {(r[0], r[1]) for r in await fetch(stack.infra, "ledger", query)}
    replay = {(r[0], r[1]) for r in await fetch(stack.infra, replayed_database, query)}
    return {
        "entries_only_live": dict(Counter(kind for _, kind in live - replay)),
        "entries_only_replayed": dict(Counter(kind for _, kind in replay - live)),
    }


def _ledger_command(env: dict[str, str], command: str) -> str:
    """`python -m services.ledger COMMAND`: its last output line (the result as JSON)."""
    done = subprocess.run(  # noqa: S603 - our own ledger's commands
        [sys.executable, "-m", "services.ledger", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ledger {command} failed: {done.stderr[-500:]}")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""
