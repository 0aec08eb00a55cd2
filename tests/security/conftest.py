"""Fixtures of the adversarial suite: the exchange's two-node fixture, shared with the
integration tests."""

from tests.integration.exchange_nodes import _migrated_postgres_template, pair  # noqa: F401
