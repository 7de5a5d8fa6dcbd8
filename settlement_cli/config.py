"""Where the services are and which admin token to use, from the environment.

``ORDERS_URL`` / ``LEDGER_URL`` / ``PAYOUTS_URL`` win; else ``http://127.0.0.1:<port>`` with the
ports the local scripts use (``ORDERS_PORT`` 8001, ``LEDGER_PORT`` 8002, ``PAYOUTS_PORT`` 8003).
The admin token is ``ADMIN_TOKEN``, else the one ``make up`` generated into
``$SETTLEMENT_STATE_DIR/admin-token`` (``.local/admin-token`` of the project).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_PORTS = {"orders": 8001, "ledger": 8002, "payouts": 8003}


class ConfigError(RuntimeError):
    """The CLI cannot find what it needs (e.g. no admin token)."""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the three services and the admin bearer token."""

    orders: str
    ledger: str
    payouts: str
    admin_token: str

    def urls(self) -> dict[str, str]:
        return {"orders": self.orders, "ledger": self.ledger, "payouts": self.payouts}


def state_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("SETTLEMENT_STATE_DIR") or PROJECT_ROOT / ".local")


def admin_token(env: Mapping[str, str]) -> str:
    """``ADMIN_TOKEN``, else the token file under the state directory."""
    if env.get("ADMIN_TOKEN"):
        return env["ADMIN_TOKEN"]
    path = state_dir(env) / "admin-token"
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if not token:
        raise ConfigError(f"no admin token: set ADMIN_TOKEN or run `make up` (looked in {path})")
    return token


def endpoints(env: Mapping[str, str] | None = None) -> Endpoints:
    source = os.environ if env is None else env
    urls = {
        name: source.get(f"{name.upper()}_URL")
        or f"http://127.0.0.1:{source.get(f'{name.upper()}_PORT') or port}"
        for name, port in _DEFAULT_PORTS.items()
    }
    return Endpoints(
        orders=urls["orders"].rstrip("/"),
        ledger=urls["ledger"].rstrip("/"),
        payouts=urls["payouts"].rstrip("/"),
        admin_token=admin_token(source),
    )
