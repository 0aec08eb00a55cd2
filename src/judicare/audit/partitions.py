"""The audit trail's monthly partitions on PostgreSQL (migration 0036, issue 22).

An entry dated in a month without a partition goes to the DEFAULT partition and is never
refused; but a month's partition cannot be created once the default partition holds
entries of that month. So months are created ahead of time: `judicare audit partitions`
(monthly, from cron or a timer) creates this month and the next ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from judicare.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class MonthPartition:
    month: str  # YYYY-MM
    table: str | None  # None: that month's entries are in the default partition already


def months_from(day: date, ahead: int) -> list[date]:
    """The first day of `day`'s month and of the `ahead` months after it."""
    firsts = []
    year, month = day.year, day.month
    for _ in range(ahead + 1):
        firsts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return firsts


def ensure_partitions(connection: Connection, day: date, ahead: int) -> list[MonthPartition]:
    """Create the partitions of `day`'s month and the `ahead` months after (those missing)."""
    if connection.dialect.name != "postgresql":
        raise InvalidInput(
            "the audit trail is partitioned on PostgreSQL only: on SQLite there is nothing to "
            "create"
        )
    made = []
    for first in months_from(day, ahead):
        table = connection.execute(
            text("SELECT judicare_audit_partition(:day)"), {"day": first}
        ).scalar()
        made.append(MonthPartition(first.strftime("%Y-%m"), table))
    return made


def default_partition_entries(connection: Connection) -> int:
    """Entries kept in the default partition (dated in a month that had no partition)."""
    return connection.execute(text("SELECT count(*) FROM audit_events_default")).scalar_one()
