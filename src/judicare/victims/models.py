"""Tables of victims and witnesses: rights and needs, protection measures, information sent
to victims and their requests for information (issue 20)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class VictimRecordRow(Base):
    """The rights and needs of one victim or witness named in a request."""

    __tablename__ = "victim_records"
    __table_args__ = (UniqueConstraint("person_id", name="uq_victim_records_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"))
    language: Mapped[str] = mapped_column(String(8))  # ISO 639-1, the language understood
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    child: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    sgbv: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(24), nullable=True)
    contact: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProtectionMeasureRow(Base):
    """A measure requested for a person (anonymity, protection at a hearing, a hearing by
    video conference, a referral for relocation, a temporary transfer), and its decision."""

    __tablename__ = "protection_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"))
    measure: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # requested | granted | refused
    data: Mapped[dict] = mapped_column(JSON)
    # States that must never learn of the measure (e.g. the state the witness fears).
    withhold_from: Mapped[list] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(Text)  # a user, or the peer node it came from
    request_reasons: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VictimInformationRequestRow(Base):
    """A victim's request for information: a task with a deadline until it is answered."""

    __tablename__ = "victim_information_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"))
    question: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | answered
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VictimNoticeRow(Base):
    """One piece of information sent to a victim: what, in which language, by which channel,
    by whom, and in answer to which request (append-only, the log of what was sent)."""

    __tablename__ = "victim_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"))
    step: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    information_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("victim_information_requests.id"), nullable=True
    )
    sent_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
