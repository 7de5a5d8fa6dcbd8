"""Pure payouts domain: holds per order, release instants, payee balances and payout decisions."""
