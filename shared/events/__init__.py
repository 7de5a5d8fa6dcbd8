"""Events on Kafka: the CloudEvents envelope and one versioned schema module per topic.

`envelope` encodes and decodes records; `orders_v1`, `ledger_v1` and `payouts_v1` hold each
topic's event models with `TOPIC`, `SCHEMA_VERSION`, `EVENT_TYPES`, `parse`, `upcast`,
`parse_envelope` and `to_envelope`; `common` and `terms` hold what the topics share.
"""
