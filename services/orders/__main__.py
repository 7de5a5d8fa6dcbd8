from pathlib import Path

from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from shared.service.entrypoint import main

main(OrdersSettings, create_app, Path(__file__).parent / "migrations")
