"""`make chaos`: a fault matrix on the replicated stack (issue #12).

infra (a private PostgreSQL and Kafka), stack (replicas), load (mixed signed webhooks), faults
(the scenarios), pipeline (topics, outboxes, positions, quiescence), invariants (I1-I7 in
ledger_checks and payouts_checks), matrix (runs it all), report (table and JSON).
"""
