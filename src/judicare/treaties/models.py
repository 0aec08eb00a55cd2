"""Tables of the treaty register. Reference rows (third-party data) and register rows
(recorded by the depositary officer) live in one table, told apart by `origin`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
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


class TreatyRegisterVersionRow(Base):
    """One row whose `version` the database moves on every change of `depositary_actions`
    (triggers of migration 0052): what a process reads to know whether the register it
    resolved legal bases from is still the one stored (`repository.register_version`)."""

    __tablename__ = "treaty_register_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class DepositaryNotificationRow(Base):
    __tablename__ = "depositary_notifications"
    __table_args__ = (UniqueConstraint("instrument_id", "number", name="uq_notification_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    number: Mapped[int] = mapped_column(Integer)
    action_id: Mapped[int] = mapped_column(ForeignKey("depositary_actions.id"), unique=True)
    # Empty while the notification is a draft at the depositary's desk (issue 19).
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    text_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)
    # "draft" until a second depositary officer issues it (`desk_service.issue`, four
    # eyes), then "issued". (The server default "issued" is for rows recorded before the
    # desk existed; every row written now is a draft first.)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="issued")
    drafted_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    issued_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # What was sent when it was issued (`desk_service.wire_notification`): the exchange
    # message's body and the PDF's data, frozen (the entry into force as computed then).
    issued_form: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class ReferenceDatasetRow(Base):
    """Which third-party file was loaded, with its digest: the provenance of every
    reference row."""

    __tablename__ = "reference_datasets"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DepositRow(Base):
    """An instrument received at the depositary's desk: who signed it, in what capacity, the
    full powers, the scanned original (by hash) and the outcome of the formal checks."""

    __tablename__ = "depositary_deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"), index=True)
    state: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(40))
    deposited_on: Mapped[date] = mapped_column(Date)
    signatory: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(40))
    full_powers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    subject: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    original_key: Mapped[str] = mapped_column(String(80))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(Integer)
    original_filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    objection_to: Mapped[int | None] = mapped_column(
        ForeignKey("depositary_deposits.id"), nullable=True
    )
    objection_late: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # For an accepted reservation: the last day to object (VCLT art. 20(5)), set when its
    # notification is issued.
    objection_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("depositary_actions.id"), nullable=True
    )
    received_by: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustodyEventRow(Base):
    """The original's custody and the certified true copies made of it. Append-only."""

    __tablename__ = "depositary_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("depositary_deposits.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))  # received, moved, certified_copy
    location: Mapped[str] = mapped_column(String(200), default="")
    handled_by: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    copy_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class DispatchRow(Base):
    """One issued notification sent to one state: the document sent and its hash."""

    __tablename__ = "depositary_dispatches"
    __table_args__ = (UniqueConstraint("notification_id", "state", name="uq_dispatch_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("depositary_notifications.id"))
    state: Mapped[str] = mapped_column(String(3))
    # "exchange" (sent to the state's node: `peer_id`, `message_id`) or "pdf" (a state
    # without a node: the notification's PDF, rendered from the issued text, is sent to it)
    channel: Mapped[str] = mapped_column(String(24))
    document_key: Mapped[str] = mapped_column(String(80))  # the issued HTML record, by hash
    document_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    peer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class ReceivedNotificationRow(Base):
    """A depositary notification another node (the depositary's) sent to this one over the
    exchange. One per sender, instrument and number: receiving it again changes nothing."""

    __tablename__ = "depositary_received_notifications"
    __table_args__ = (
        UniqueConstraint("sender", "instrument_id", "number", name="uq_received_notification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(36))
    instrument_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(40))
    action_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entry_into_force: Mapped[date | None] = mapped_column(Date, nullable=True)
    objection_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    text_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
