from pathlib import Path

from services.payouts.app import create_app
from services.payouts.settings import PayoutsSettings
from shared.service.entrypoint import main

main(PayoutsSettings, create_app, Path(__file__).parent / "migrations")
