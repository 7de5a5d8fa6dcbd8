"""The `make run` demo: a seeded stretch of business played through the real webhooks."""
