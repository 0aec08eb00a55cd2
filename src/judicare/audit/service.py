"""Appending to the audit trail, in the caller's transaction.

In the manner of the Law Enforcement Directive (EU) 2016/680 art. 25, each entry records
what was done with personal data (collection, alteration, consultation, disclosure with its
recipients, combination, erasure), by whom, when and why. Entries are only ever inserted.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from judicare.audit.chain import GENESIS, entry_hash, verify
from judicare.audit.models import AuditEventRow


class AuditAction(enum.StrEnum):
    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


# A fixed key for PostgreSQL's transaction-level advisory lock that serialises appends, so
# that two transactions never take the same sequence number or link to the same entry.
_CHAIN_LOCK = 7_306_213_117


def record(
    session: Session,
    *,
    actor: str,
    action: AuditAction,
    tag: str,
    subject_type: str,
    subject_id: str | int,
    why: str,
    at: datetime,
    details: dict | None = None,
) -> AuditEventRow:
    """Append one entry. `tag` is shaped subject:object:action (e.g. officer:request:create)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev_hash = last.hash if last else GENESIS
    details = details or {}
    values = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action.value,
        "tag": tag,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "why": why,
        "details": details,
        "prev_hash": prev_hash,
    }
    row = AuditEventRow(**values, hash=entry_hash(**values))
    session.add(row)
    session.flush()
    return row


def verify_log(session: Session) -> tuple[int, list]:
    """Check the whole chain; returns the number of entries and the problems found."""
    entries = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).all()
    return len(entries), verify(entries)


def list_events(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    query = select(AuditEventRow).order_by(AuditEventRow.seq)
    if subject_type:
        query = query.where(AuditEventRow.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEventRow.subject_id == subject_id)
    rows = session.scalars(query.limit(limit).offset(offset))
    return [
        {
            "seq": r.seq,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "tag": r.tag,
            "subject_type": r.subject_type,
            "subject_id": r.subject_id,
            "why": r.why,
            "details": r.details,
            "hash": r.hash,
        }
        for r in rows
    ]
