"""The duty to submit a case for prosecution when extradition is refused (aut dedere aut
judicare), tracked to its end (issue 20)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class ProsecutionObligationRow(Base):
    __tablename__ = "prosecution_obligations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), index=True)
    requesting_state: Mapped[str] = mapped_column(String(3))
    trigger: Mapped[str] = mapped_column(String(40))  # the rule that created it
    citations: Mapped[list] = mapped_column(JSON)
    responsible: Mapped[str] = mapped_column(Text)
    due: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    inform_requesting_state: Mapped[bool] = mapped_column(default=False)
    informed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Informing the requesting state of the result is an outgoing communication: drafted,
    # approved by a second person, then sent over the exchange (its message id) or, where the
    # state has no node, produced as a formal notice the officer sends and marks sent.
    inform_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    inform_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    inform_text: Mapped[str] = mapped_column(Text, default="")
    inform_drafted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inform_approved_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inform_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
