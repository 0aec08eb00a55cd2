"""Fixtures the adversarial suite borrows from the integration tests (the exchange's
two-node fixture)."""

from tests.integration.exchange_nodes import _migrated_postgres_template, pair  # noqa: F401
