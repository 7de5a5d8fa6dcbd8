"""The append-only journal (accounts, entries, postings) and the ledger's order/payout projections.

Revision ID: ledger_0002
Revises: ledger_0001
Create Date: 2026-11-22

Balances are never stored: they are sums of postings (indexed by account), so hot accounts
(platform, tax, clearing) take no row lock and concurrent batches never queue on one balance row.
The database itself refuses UPDATE, DELETE and TRUNCATE of the journal, refuses a postings insert
that leaves an entry unbalanced, and at commit refuses an entry without balanced postings.
"""

import re

from alembic import op

revision = "ledger_0002"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None

_JOURNAL_TABLES = ("accounts", "journal_entries", "postings")

_SCHEMA = """
CREATE TABLE accounts (
    code text PRIMARY KEY,
    party_type text NOT NULL
        CHECK (party_type IN ('merchant', 'creator', 'agency', 'platform', 'tax', 'system')),
    party_id text NOT NULL,
    currency text NOT NULL,
    sub_account text NOT NULL
        CHECK (sub_account IN ('pending', 'available', 'paid_out', 'clearing')),
    UNIQUE (party_type, party_id, currency, sub_account)
);

CREATE TABLE journal_entries (
    id uuid PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_id text NOT NULL UNIQUE,
    order_id text NULL,
    kind text NOT NULL,
    currency text NOT NULL,
    occurred_at timestamptz NOT NULL,
    rule_version text NOT NULL,
    details jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_entries_by_order ON journal_entries (order_id, seq);
COMMENT ON COLUMN journal_entries.event_id IS
    'CloudEvents id of the consumed event this entry comes from (one entry per event at most)';
COMMENT ON COLUMN journal_entries.occurred_at IS
    'business time of the event (placement, refund, release, payout); as_of and statements use it';

CREATE TABLE postings (
    entry_id uuid NOT NULL REFERENCES journal_entries (id),
    line_no smallint NOT NULL,
    account text NOT NULL REFERENCES accounts (code),
    currency text NOT NULL,
    amount bigint NOT NULL CHECK (amount <> 0),
    leg text NOT NULL,
    plan_id text NULL,
    rate_bps integer NULL CHECK (rate_bps BETWEEN 0 AND 10000),
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX postings_by_account ON postings (account, occurred_at) INCLUDE (amount);
COMMENT ON COLUMN postings.amount IS
    'signed integer count of the currency minor unit; positive raises the account balance';
COMMENT ON COLUMN postings.rate_bps IS 'basis points of the rate that produced the amount, if one';

CREATE TABLE ledger_orders (
    order_id text PRIMARY KEY,
    placed jsonb NOT NULL,
    refunded_total bigint NOT NULL,
    cancelled boolean NOT NULL,
    released boolean NOT NULL,
    delivered_at timestamptz NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN ledger_orders.placed IS 'data of the order.placed event the split comes from';
COMMENT ON COLUMN ledger_orders.refunded_total IS
    'cumulative refunds folded so far, integer minor units of the order currency';

CREATE TABLE ledger_payouts (
    payout_id text PRIMARY KEY,
    party_type text NOT NULL,
    party_id text NOT NULL,
    currency text NOT NULL,
    amount bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('created', 'paid', 'failed')),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN ledger_payouts.amount IS 'integer minor units of the payout currency';

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced uuid;
BEGIN
    SELECT p.entry_id INTO unbalanced
    FROM postings p
    WHERE p.entry_id IN (SELECT DISTINCT entry_id FROM new_postings)
    GROUP BY p.entry_id
    HAVING sum(p.amount) <> 0 OR count(*) < 2 OR count(DISTINCT p.currency) <> 1
    LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION ledger_entry_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM postings p WHERE p.entry_id = NEW.id
        HAVING sum(p.amount) = 0 AND count(*) >= 2
    ) THEN
        RAISE EXCEPTION 'journal entry % has no balanced postings at commit', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER postings_balanced AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();

CREATE CONSTRAINT TRIGGER journal_entries_balanced_at_commit AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_has_postings();
"""


def _statements(script: str) -> list[str]:
    """Top-level statements (the asyncpg driver runs one statement per call)."""
    return [part for part in re.split(r";\s*\n(?=CREATE|COMMENT)", script.strip()) if part.strip()]


def upgrade() -> None:
    for statement in _statements(_SCHEMA):
        op.execute(statement)
    for table in _JOURNAL_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        )


def downgrade() -> None:
    raise NotImplementedError("the ledger history is forward-only")
