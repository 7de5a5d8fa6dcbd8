"""``settlement``: the operator command line of the three services.

Talks to the services over HTTP with the admin token (``ADMIN_TOKEN``, else ``.local/admin-token``)
at ``ORDERS_URL`` / ``LEDGER_URL`` / ``PAYOUTS_URL`` (default ``http://127.0.0.1:800{1,2,3}``);
replay, digest and dead letters run the ledger's module commands. Answers are printed as JSON
(statements also as CSV); amounts are integer minor units; errors go to stderr with exit code 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import typer

from settlement_cli.client import ApiError, ServiceUnreachableError, SettlementClient
from settlement_cli.config import ConfigError, endpoints
from settlement_cli.demo.main import run_demo
from settlement_cli.ledger_commands import LedgerCommandError, replay_and_compare, run_ledger
from settlement_cli.reconcile import format_reconciliation, has_differences
from shared.service.clock import utc_now

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
shops = typer.Typer(help="Shops (webhook secrets) of the orders service.", no_args_is_help=True)
plans = typer.Typer(help="Commission plans of a shop.", no_args_is_help=True)
orders = typer.Typer(help="Orders and their journal entries.", no_args_is_help=True)
payouts = typer.Typer(help="Holds, payout runs and payouts.", no_args_is_help=True)
ledger = typer.Typer(help="Ledger replay and digest.", no_args_is_help=True)
dlq = typer.Typer(help="Dead-lettered records of the ledger's input topics.", no_args_is_help=True)
for group, name in ((shops, "shops"), (plans, "plans"), (orders, "orders"), (payouts, "payouts"),
                    (ledger, "ledger"), (dlq, "dlq")):  # fmt: skip
    app.add_typer(group, name=name)
app.command("demo")(run_demo)

PartyType = Annotated[str, typer.Argument(help="merchant, creator, agency, platform or tax")]
PartyId = Annotated[str, typer.Argument(help="the party's id (a merchant is its shop id)")]


@contextmanager
def _client() -> Iterator[SettlementClient]:
    try:
        with SettlementClient(endpoints()) as client:
            yield client
    except (ApiError, ServiceUnreachableError, ConfigError, LedgerCommandError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _show(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


def _call(action: Callable[[SettlementClient], Any]) -> None:
    with _client() as client:
        _show(action(client))


@shops.command("create")
def create_shop(
    shop_id: str, region: Annotated[str, typer.Argument(help="UK, ID, US, VN or CN")]
) -> None:
    """Create a shop (or show the existing one with the same region): prints its webhook
    secret, which signs the shop's webhooks."""
    _call(lambda c: c.create_shop(shop_id, region.upper()))


@plans.command("add")
def add_plan(
    shop_id: str,
    plan_type: Annotated[Literal["shop", "open", "targeted"], typer.Option("--type")],
    rate_bps: Annotated[int, typer.Option(help="100..8000 basis points")],
    sku: Annotated[list[str] | None, typer.Option(help="SKU (open, targeted); repeat")] = None,
    creator: Annotated[list[str] | None, typer.Option(help="creator id (targeted); repeat")] = None,
    starts_at: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
    ends_at: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
) -> None:
    """Add a commission plan: shop (every SKU), open (listed SKUs, any creator) or targeted
    (listed SKUs, listed creators). Placed orders keep the terms they were stamped with."""
    plan: dict[str, Any] = {"type": plan_type, "rate_bps": rate_bps}
    plan |= {"skus": sku or [], "creator_ids": creator or []}
    plan |= {k: v for k, v in (("starts_at", starts_at), ("ends_at", ends_at)) if v}
    _call(lambda c: c.add_plan(shop_id, plan))


@plans.command("list")
def list_plans(shop_id: str) -> None:
    """The shop's commission plans."""
    _call(lambda c: c.list_plans(shop_id))


@orders.command("show")
def show_order(
    order_id: str,
    shop: Annotated[
        str | None, typer.Option("--shop", help="the order's shop, when several use the id")
    ] = None,
) -> None:
    """The order as the orders service knows it: lines with their stamped plan and rate,
    refunds, delivery and cancellation. An order is (shop, order id); without --shop, an id
    used by several shops is an error listing them."""
    _call(lambda c: c.order(order_id, shop))


@orders.command("entries")
def order_entries(order_id: str) -> None:
    """The order's journal entries and postings in the ledger."""
    _call(lambda c: c.order_entries(order_id) or {"order_id": order_id, "entries": []})


@app.command("token")
def issue_token(
    party_type: PartyType,
    party_id: PartyId,
    expires_in: Annotated[
        int | None, typer.Option(help="lifetime in seconds (default and maximum: the services')")
    ] = None,
) -> None:
    """Issue a read-only token scoped to one party (for its own balances and statements); the
    answer carries its token_id, to revoke it."""
    _call(lambda c: c.issue_token(party_type, party_id, expires_in))


@app.command("revoke-token")
def revoke_token(
    token: Annotated[str, typer.Argument(help="the read token itself, or its token_id")],
) -> None:
    """Revoke one read token; every service refuses it within seconds."""
    _call(lambda c: c.revoke_token(token))


@app.command("revoke-party-tokens")
def revoke_party_tokens(
    party_type: PartyType,
    party_id: PartyId,
    issued_before: Annotated[
        str | None, typer.Option(help="RFC 3339; tokens issued before it (default: now)")
    ] = None,
) -> None:
    """Revoke every read token of a party issued before an instant (e.g. a compromised account)."""
    _call(lambda c: c.revoke_party_tokens(party_type, party_id, issued_before))


@app.command("balances")
def balances(
    party_type: PartyType,
    party_id: PartyId,
    as_of: Annotated[str | None, typer.Option(help="RFC 3339: balances at a past instant")] = None,
) -> None:
    """Pending, available and paid-out balance of a party per currency (minor units)."""
    _call(lambda c: c.balances(party_type, party_id, as_of))


@app.command("statement")
def statement(
    party_type: PartyType,
    party_id: PartyId,
    start: Annotated[str | None, typer.Option("--from", help="RFC 3339, inclusive")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON")] = False,
) -> None:
    """A party's postings in [from, to) with opening and closing balances."""
    with _client() as client:
        typer.echo(client.statement(party_type, party_id, start, end, "csv" if csv else "json"))


@app.command("trial-balance")
def trial_balance() -> None:
    """Sum of every posting per currency: zero in a sound ledger (exit code 2 otherwise)."""
    with _client() as client:
        body = client.trial_balance()
    _show(body)
    if not body.get("balanced"):
        raise typer.Exit(2)


@payouts.command("hold")
def show_hold(order_id: str) -> None:
    """The order's hold: status, when it releases, and each party's amount."""
    _call(lambda c: c.hold(order_id) or {"order_id": order_id, "hold": None})


@payouts.command("run")
def run_payouts() -> None:
    """Run payouts now: every payee at or above its minimum is paid its whole available
    balance."""
    _call(lambda c: c.run_payouts())


@payouts.command("list")
def list_payouts(
    party_type: Annotated[str | None, typer.Option(help="merchant, creator or agency")] = None,
    party_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Payouts, newest first (at most 500), optionally of one party."""
    _call(lambda c: c.payouts(party_type, party_id))


@app.command("reconcile")
def reconcile(
    as_json: Annotated[bool, typer.Option("--json", help="the service's JSON answer")] = False,
) -> None:
    """Compare the payouts service with the ledger (each party's pending and available per
    currency) and with the payout provider (each recent payout's status). Prints the
    differences with both figures; exit code 1 on any difference (or error), 0 when all agree."""
    with _client() as client:
        body = client.reconciliation()
    if as_json:
        _show(body)
    else:
        typer.echo(format_reconciliation(body))
    if has_differences(body):
        raise typer.Exit(1)


@ledger.command("replay")
def replay(
    database: Annotated[
        str | None, typer.Option(help="scratch database to fold into (default: a new name)")
    ] = None,
    keep: Annotated[bool, typer.Option(help="keep the scratch database afterwards")] = False,
) -> None:
    """Replay the ledger's input topics from the beginning into a new, empty database and
    compare the replay's digest with the live ledger's (exit code 2 when they differ).
    Run it while no new events arrive, or the live ledger may be ahead of the replay."""
    scratch = database or f"ledger_replay_{utc_now():%Y%m%d%H%M%S}"
    with _client():
        result = replay_and_compare(scratch, keep)
    _show(result)
    if not result["matches"]:
        raise typer.Exit(2)


@ledger.command("digest")
def digest() -> None:
    """The digest of the live ledger's journal (equal journals have equal digests)."""
    with _client():
        (result,) = run_ledger("digest")
    _show(result)


TopicsArg = Annotated[
    list[str] | None, typer.Argument(help="dead-letter sources (default: orders and payouts)")
]


@dlq.command("list")
def dlq_list(topics: TopicsArg = None) -> None:
    """Records the ledger could not fold, with their error."""
    with _client():
        _show(run_ledger("dlq", "list", *(topics or [])))


@dlq.command("redrive")
def dlq_redrive(topics: TopicsArg = None) -> None:
    """Send dead-lettered records back to their topic so the ledger folds them again."""
    with _client():
        (result,) = run_ledger("dlq", "redrive", *(topics or []))
    _show(result)
