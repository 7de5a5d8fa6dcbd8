from pathlib import Path

from services.ledger.app import create_app
from services.ledger.settings import LedgerSettings
from shared.service.entrypoint import main

main(LedgerSettings, create_app, Path(__file__).parent / "migrations")
