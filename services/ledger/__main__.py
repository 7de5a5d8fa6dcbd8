"""`python -m services.ledger migrate|serve` (shared entrypoint) plus the ledger's own
`fold|replay|digest|dlq` commands (see `services.ledger.commands`)."""

import sys
from pathlib import Path

from services.ledger.app import create_app
from services.ledger.process_tuning import tune_garbage_collector
from services.ledger.settings import LedgerSettings
from shared.logging import configure_logging
from shared.service.entrypoint import main

_SHARED_COMMANDS = {"migrate", "serve"}

tune_garbage_collector()

if sys.argv[1:2] and sys.argv[1] not in _SHARED_COMMANDS:
    from services.ledger.commands import run

    settings = LedgerSettings()
    configure_logging(settings.service_name, settings.log_level)
    run(sys.argv[1], sys.argv[2:], settings)
else:
    main(LedgerSettings, create_app, Path(__file__).parent / "migrations")
