"""`settlement reconcile`: the differences printed readably, exit code 1 on any, 0 when all agree,
a clean error when the service is down. A local HTTP server stands in for the payouts service."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from settlement_cli.main import app
from settlement_cli.reconcile import format_reconciliation

AGREE: dict[str, Any] = {
    "checked_at": "2026-11-25T12:00:00Z",
    "agrees": True,
    "balances": [],
    "payouts_checked": True,
    "payouts": [],
}
DIFFER: dict[str, Any] = {
    **AGREE,
    "agrees": False,
    "balances": [
        {
            "party_type": "creator",
            "party_id": "c-1",
            "currency": "GBP",
            "differs": ["pending", "available"],
            "payouts": {"pending": 516, "available": 83},
            "ledger": {"pending": 515, "available": 90},
        }
    ],
    "payouts": [
        {
            "payout_id": "7d1c0a52",
            "party_type": "merchant",
            "party_id": "shop-1",
            "currency": "GBP",
            "amount": 3303,
            "status": "failed",
            "provider_status": "paid",
        }
    ],
}


def test_agreement_is_said_in_one_line() -> None:
    text = format_reconciliation(AGREE)
    assert text.splitlines() == [
        "reconciliation at 2026-11-25T12:00:00Z",
        "the payouts service and the ledger agree; every payout's status is the provider's",
    ]


def test_each_differing_figure_is_a_row_with_both_figures_and_their_gap() -> None:
    lines = format_reconciliation(DIFFER).splitlines()
    rows = [line.split() for line in lines if line.startswith("  creator/c-1")]
    assert rows == [
        ["creator/c-1", "GBP", "pending", "516", "515", "+1"],
        ["creator/c-1", "GBP", "available", "83", "90", "-7"],
    ]
    (payout,) = [line.split() for line in lines if line.startswith("  7d1c0a52")]
    assert payout == ["7d1c0a52", "merchant/shop-1", "GBP", "3303", "failed", "paid"]
    assert "1 party balance(s) differ" in "\n".join(lines)


def test_payouts_not_checked_are_said_to_be_unchecked() -> None:
    assert "payouts were not checked" in format_reconciliation({**AGREE, "payouts_checked": False})


class FakePayouts(BaseHTTPRequestHandler):
    body: ClassVar[dict[str, Any]] = AGREE
    seen_authorization: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        FakePayouts.seen_authorization.append(self.headers.get("authorization", ""))
        found = self.path == "/v1/reconciliation"
        payload = json.dumps(FakePayouts.body if found else {"detail": "no"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def payouts_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePayouts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def reconcile(payouts_url: str, *args: str) -> tuple[int, str, str]:
    env = {"PAYOUTS_URL": payouts_url, "ADMIN_TOKEN": "admin-token-for-cli-tests"}
    result = CliRunner().invoke(app, ["reconcile", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_all_agreeing_exits_0(payouts_url: str) -> None:
    FakePayouts.body, FakePayouts.seen_authorization = AGREE, []
    code, out, _ = reconcile(payouts_url)
    assert code == 0
    assert "agree" in out
    assert FakePayouts.seen_authorization == ["Bearer admin-token-for-cli-tests"]


def test_any_difference_exits_1_after_printing_it(payouts_url: str) -> None:
    FakePayouts.body = DIFFER
    code, out, _ = reconcile(payouts_url)
    assert code == 1
    assert "creator/c-1" in out and "7d1c0a52" in out
    code, out, _ = reconcile(payouts_url, "--json")
    assert code == 1
    assert json.loads(out) == DIFFER


def test_a_service_that_is_down_is_a_clean_error_not_a_traceback() -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, out, err = reconcile(dead)
    assert code == 1
    assert out == ""
    assert err.startswith(f"error: GET {dead}/v1/reconciliation: no answer")
    assert "is the service running?" in err
    assert "Traceback" not in err
