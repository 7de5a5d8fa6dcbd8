from pathlib import Path

from services.orders.app import serving_app
from services.orders.settings import OrdersSettings
from shared.service.entrypoint import main

main(
    OrdersSettings,
    serving_app,
    Path(__file__).parent / "migrations",
    app_factory="services.orders.app:app_from_environment",
)
