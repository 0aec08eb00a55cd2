"""The decision between competing requests for the same person (issue 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class CompetingDecisionRow(Base):
    """Which of two competing requests the requested state gives priority to, with the
    reasons and the criteria weighed; effective only once a second person approves it."""

    __tablename__ = "competing_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    other_request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    priority_to: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    reasons: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(64))
    criteria: Mapped[list] = mapped_column(JSON)  # the criteria weighed, with citations
    status: Mapped[str] = mapped_column(String(24))  # pending_approval | effective | rejected
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approval_note: Mapped[str] = mapped_column(Text, default="")
