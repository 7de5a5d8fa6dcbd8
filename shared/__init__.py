"""Settlement platform: orders, ledger, payouts."""
