"""The declarative base shared by every domain's tables, with stable constraint names so
that migrations are the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from judicare.clock import Clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Where each pooled connection of an app's engine carries that app's clock (`use_clock`).
CLOCK_KEY = "judicare.clock"


def utcnow(context: Any) -> datetime:
    """The default of the timestamp columns: the moment by the clock of the app whose engine
    writes the row (`db.engine.use_clock`), never the wall clock, so a test that fixes the
    app's clock fixes every stored timestamp too. Timestamps are timezone-aware UTC."""
    clock: Clock | None = context.connection.info.get(CLOCK_KEY)
    if clock is None:
        raise RuntimeError(
            "a row with a timestamp is written through an engine without the app's clock: "
            "build the engine with create_app (judicare.app), which calls db.engine.use_clock"
        )
    return clock.now()


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; Judicare always writes UTC, so naive means UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
