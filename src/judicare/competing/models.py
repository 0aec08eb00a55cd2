"""The decision between competing requests for the same person (issue 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class CompetingRequestRow(Base):
    """Two requests found to compete at registration (the person engine's match of a person
    sought, or the same document in both files), stored once for the pair (`request_id` the
    earlier, `other_request_id` the later) and read from both request pages. `evidence` is
    what the engine found: the persons matched with their scores, the shared digests."""

    __tablename__ = "competing_requests"
    __table_args__ = (UniqueConstraint("request_id", "other_request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    other_request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    person_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    same_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[dict] = mapped_column(JSON)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    found_by: Mapped[str] = mapped_column(String(40))  # the act that found it: create, ...
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | decided
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("competing_decisions.id"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
