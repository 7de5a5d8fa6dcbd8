"""Operator command line (`settlement`) and the `make run` demo (`settlement-demo`).

Both talk to the three services over HTTP with the admin token; the ledger's replay and
dead-letter commands run as its module commands (`python -m services.ledger ...`).
"""
