"""Fixtures shared by the integration test modules."""

from tests.integration.exchange_nodes import _migrated_postgres_template, pair  # noqa: F401
