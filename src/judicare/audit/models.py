"""The audit log table. Rows are only ever inserted: no code path updates or deletes one
(tests/integration/test_audit.py proves it by scanning the code and the SQL emitted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    # a subject's entries (a request's timeline) without reading the whole trail
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))  # username, or "system"
    action: Mapped[str] = mapped_column(String(32))  # collection, alteration, consultation...
    tag: Mapped[str] = mapped_column(String(120))  # subject:object:action
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(120))
    why: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
