"""Registers of persons (refugees, earlier requests, persons prosecuted) and their blocking
keys, persisted so that the index survives restarts and is updated one person at a time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from judicare.db.base import Base, utcnow


class PersonEntryRow(Base):
    __tablename__ = "person_entries"
    __table_args__ = (
        UniqueConstraint("register", "external_id", name="uq_person_entry"),
        # The entries with a protected status, a few of all (migration 0050): those sharing a
        # query's keys are ranked apart, never crowded out (`service._protected_sharing`).
        Index(
            "ix_person_entries_protected",
            "id",
            postgresql_where=text("status IS NOT NULL"),
            sqlite_where=text("status IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register: Mapped[str] = mapped_column(String(80), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    names: Mapped[list] = mapped_column(JSON)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(3), nullable=True)
    status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    country_of_feared_persecution: Mapped[str | None] = mapped_column(String(3), nullable=True)
    status_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The authority that owns the entry (the `requests` index: its request's), or None for a
    # register of the node; see judicare.persons.registers.
    authority_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PersonKeyRow(Base):
    """One blocking key of one person (see judicare.persons.keys), with the entry's scope
    (judicare.persons.registers `scope_of`: whose screening reads it), so that a screening
    reads the postings it may read from the index alone, without joining the entries."""

    __tablename__ = "person_keys"
    __table_args__ = (Index("ix_person_keys_key_scope", "key", "scope", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("person_entries.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(64))


class PersonProtectedKeyRow(Base):
    """The postings (`PersonKeyRow`, the same rows by id) of the entries with a status (a
    protected person: refugee and the like), and of those only: what a screening ranks
    to keep every protected person sharing a key of the query (`persons.service.
    _protected_query`) without reading every posting of a common key. Written by the
    database alone (triggers of migration 0053, on PostgreSQL and SQLite), whatever writes
    the postings or the statuses; the application only reads it."""

    __tablename__ = "person_protected_keys"
    __table_args__ = (Index("ix_person_protected_keys_key_scope", "key", "scope", "entry_id"),)

    posting_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[int] = mapped_column(Integer, index=True)


class AdjudicationRow(Base):
    """A person's decision on a candidate: the same query person against the same register
    entry, within the authority and on the request where it was taken (nowhere else does it
    count). Kept as history; the latest decision for a pair is the one shown. Decisions
    recorded before 0013 have no request: they count within their authority only."""

    __tablename__ = "person_adjudications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    register: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))  # confirmed | rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    authority_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id"), nullable=True, index=True
    )


class PersonGramRow(Base):
    """One character trigram of one person's names, as the safeguard's n-gram retrieval reads
    them (judicare.persons.fallback: `record_forms`, `grams_of`): the database's copy of what
    the in-memory index files, so that a record sharing no blocking key with the query is
    still found."""

    __tablename__ = "person_grams"
    __table_args__ = (Index("ix_person_grams_gram_scope", "gram", "scope", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("person_entries.id"), index=True)
    gram: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(64))  # the entry's (see `PersonKeyRow`)


class PersonKeyCountRow(Base):
    """How many entries of one scope (see judicare.persons.registers `scope_of`) carry one
    blocking key: the key's frequency, read by the database's blocking walk for the scopes a
    screening may read instead of counting postings. Kept exact in the transaction that
    files or refiles the entries' keys (judicare.persons.service `_post`, `_unpost`)."""

    __tablename__ = "person_key_counts"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)


class PersonGramCountRow(Base):
    """How many entries of one scope carry one character trigram (see `PersonKeyCountRow`)."""

    __tablename__ = "person_gram_counts"

    gram: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)


class PersonScopeCountRow(Base):
    """How many entries each scope holds: the size of the register a screening reads (the
    blocking keys' and trigrams' weights), kept with the entries (see `PersonKeyCountRow`)."""

    __tablename__ = "person_scope_counts"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
