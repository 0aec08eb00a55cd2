"""Tampering with the audit trail, as the integration tests of its verification do."""

from __future__ import annotations

from sqlalchemy import text


def tamper(app, *statements: str) -> None:
    """What an intruder with database rights could do: drop the guard, then edit."""
    with app.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            )
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        for statement in statements:
            connection.execute(text(statement))
