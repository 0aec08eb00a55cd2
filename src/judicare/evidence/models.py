"""Evidence items and their custody events. The bytes live in the file store, addressed by
their SHA-256 (a sealed original can never change under its key); the custody events are
append-only and hash-linked (`evidence.custody`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class ItemKind:
    ORIGINAL = "original"  # the evidentiary copy
    WORKING_COPY = "working_copy"  # derived from another item, and says so


class EvidenceItemRow(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (UniqueConstraint("request_id", "uid", name="uq_evidence_item_uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(36))  # the same on every node it travels to
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    derived_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id"), nullable=True
    )
    derived_from_uid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))
    storage_key: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CustodyEventRow(Base):
    """One link of an item's chain: the fields `audit.chain.entry_hash` covers."""

    __tablename__ = "evidence_custody_events"
    __table_args__ = (UniqueConstraint("item_id", "seq", name="uq_custody_event_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    why: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
