from services.ledger.adapters.db.tables import metadata
from shared.db.migrations import run_env

run_env(metadata, append_only=("journal_entries", "postings"))
