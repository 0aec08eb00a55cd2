"""The exchange's tables: the peer directory, the outbox (with its dead letters), the
inbox that is also the duplicate store, and the receipts kept as delivery evidence."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class PeerRow(Base):
    """A peer node as confirmed by an operator: its card (self-signed), the fingerprint that
    was read out and confirmed, and our own signature over the entry, so that a peer entry
    altered in the database is refused instead of trusted."""

    __tablename__ = "exchange_peers"

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(3))
    authority: Mapped[str] = mapped_column(Text)
    endpoint: Mapped[str] = mapped_column(Text)
    card: Mapped[dict] = mapped_column(JSON)
    confirmed_fingerprint: Mapped[str] = mapped_column(String(64))
    endorsement: Mapped[str] = mapped_column(Text)  # base64 Ed25519 signature by this node
    endorsement_key: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxStatus(enum.StrEnum):
    """Where a message of the outbox stands."""

    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the peer's receipt is kept
    DEAD = "dead"  # attempts used up or refused for good: a dead letter, which may be requeued


class OutboxRow(Base):
    """A message to send, written in the same transaction as the change that causes it.
    Status: pending, delivered or dead (the dead-letter state, listed and retried by hand)."""

    __tablename__ = "exchange_outbox"
    __table_args__ = (
        # The pending messages only, in the order they are claimed (`delivery._due_query`):
        # the delivered ones, nearly all the rows, are not in it (migration 0054). A query
        # uses it when it says `status = 'pending'` in its text, as the claim does, not as a
        # bound parameter.
        Index(
            "ix_exchange_outbox_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # The first pending message of a conversation, the one the claim may take (the
        # others wait behind it): looked up by conversation for each due message.
        Index(
            "ix_exchange_outbox_pending_conversation",
            "conversation_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # The dead letters, a few: listed and counted without reading the delivered rows.
        Index(
            "ix_exchange_outbox_dead",
            "id",
            postgresql_where=text("status = 'dead'"),
            sqlite_where=text("status = 'dead'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("exchange_peers.node_id"))
    message_type: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    # encrypted attachments to upload before the envelope: [{id, storage_key, sha256}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    # what we said, for our own officers (the envelope is sealed for the recipient): the
    # text of an answer, the status notified, the documents sent (names and digests)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class InboxRow(Base):
    """Every envelope this node accepted, keyed by message id: the duplicate store. It
    survives restarts (it is a table) and keeps the receipt given, to give it again."""

    __tablename__ = "exchange_inbox"

    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    sender: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(40))
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    body_summary: Mapped[dict] = mapped_column(JSON, default=dict)
    receipt: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Copies received again after this one (retries after a lost receipt, or replays):
    # each is answered with the same receipt; only the 1st, 2nd, 4th, 8th... are audited.
    duplicates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReceiptRow(Base):
    """A peer's signed receipt for one of our messages: the evidence of delivery."""

    __tablename__ = "exchange_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("exchange_outbox.message_id"), unique=True)
    peer_id: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[bytes] = mapped_column(LargeBinary)
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RefusalCountRow(Base):
    """Refusals of unauthenticated input (an envelope or an upload refused before its
    signature checked out), counted per window, channel and code and updated in place, so
    that a flood adds to a count instead of to the audit trail (`exchange.refusals`)."""

    __tablename__ = "exchange_refusals"
    __table_args__ = (
        UniqueConstraint("window", "channel", "code", name="uq_exchange_refusals_window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    window: Mapped[int] = mapped_column(Integer)  # Unix time of the window's start
    channel: Mapped[str] = mapped_column(String(16))  # envelope or attachment
    code: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # whether the window's total was written to the audit trail (once it had closed)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class ChunkRow(Base):
    """One chunk of a large attachment received ahead of its envelope (`exchange.chunked`):
    a run of whole secretstream records, stored in the file store by its SHA-256, which its
    sender signed. The rows of a message say which chunks this node holds (a transfer
    resumes from them) and go, with their bytes, once the envelope is applied or refused."""

    __tablename__ = "exchange_chunks"
    __table_args__ = (
        UniqueConstraint("message_id", "attachment_id", "idx", name="uq_exchange_chunk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64), index=True)
    attachment_id: Mapped[str] = mapped_column(String(64))
    idx: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))  # of the whole attachment
    sha256: Mapped[str] = mapped_column(String(64))  # of this chunk
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
