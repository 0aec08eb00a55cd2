"""Tables of the treaty register. Reference rows (third-party data) and register rows
(recorded by the depositary officer) live in one table, told apart by `origin`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class InstrumentRow(Base):
    __tablename__ = "instruments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    catalogue_sha256: Mapped[str] = mapped_column(String(64))


class DepositaryActionRow(Base):
    __tablename__ = "depositary_actions"
    __table_args__ = (Index("ix_depositary_actions_instrument_state", "instrument_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    state: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(40))
    action_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_is_effective: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16))
    dataset: Mapped[str | None] = mapped_column(String(200), nullable=True)
    row_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DepositaryNotificationRow(Base):
    __tablename__ = "depositary_notifications"
    __table_args__ = (UniqueConstraint("instrument_id", "number", name="uq_notification_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    number: Mapped[int] = mapped_column(Integer)
    action_id: Mapped[int] = mapped_column(ForeignKey("depositary_actions.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    text_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)


class ReferenceDatasetRow(Base):
    """Which third-party file was loaded, with its digest: the provenance of every
    reference row."""

    __tablename__ = "reference_datasets"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
