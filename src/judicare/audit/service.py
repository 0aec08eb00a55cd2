"""Appending to the audit trail, in the caller's transaction.

In the manner of the Law Enforcement Directive (EU) 2016/680 art. 25, each entry records
what was done with personal data (collection, alteration, consultation, disclosure with its
recipients, combination, erasure), by whom, when and why. Entries are only ever inserted.
"""

from __future__ import annotations

import enum
import hashlib
import json
import weakref
from datetime import datetime

from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from judicare.audit.chain import GENESIS, canonical_time, entry_hash, verify
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
# Entries recorded in a session's open transaction, appended to the chain when it commits.
_PENDING = "judicare.audit.pending"
# The head of the chain as this transaction leaves it: (seq, hash), signed once it commits.
_HEAD = "judicare.audit.head"
# The node's `AuditAnchor` (audit.journal), put in every session's `info` by the app factory.
ANCHOR = "judicare.audit.anchor"


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
    """Record one entry in the caller's transaction. `tag` is shaped subject:object:action
    (e.g. officer:request:create).

    The entry is linked into the chain (sequence number, previous hash, own hash) when the
    transaction commits, just before the COMMIT: appends are serialised, so the lock that
    orders them is held for the last moment of a transaction only, not for all its work. If
    the transaction rolls back, the entry is dropped with the rest of it. The returned row
    gets its `seq`, `prev_hash` and `hash` at that commit."""
    row = AuditEventRow(
        at=at,
        actor=actor,
        action=action.value,
        tag=tag,
        subject_type=subject_type,
        subject_id=str(subject_id),
        why=why,
        details=details or {},
    )
    if session.get_transaction() is None:
        session.begin()  # so that a session closed without committing drops the entry
    session.info.setdefault(_PENDING, []).append(row)
    return row


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Link the transaction's entries into the chain, as the last writes before COMMIT."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the transaction's other writes go first, outside the lock
    connection = session.connection()
    if not (connection.dialect.name == "postgresql" and _append_in_one_trip(connection, pending)):
        _append_in_python(connection, pending)
    session.info[_HEAD] = (pending[-1].seq, pending[-1].hash,
                           {row.seq: row.hash for row in pending})  # fmt: skip


@event.listens_for(Session, "after_commit")
def _sign_head(session: Session) -> None:
    """Once the entries are committed (never before: a rolled-back head is never signed),
    anchor the head outside the database with a signed checkpoint (audit.journal)."""
    head = session.info.pop(_HEAD, None)
    anchor = session.info.get(ANCHOR)
    if head is not None and anchor is not None:
        seq, hash_, known = head
        anchor.record(seq, hash_, known, engine_reader(session.get_bind()))


def hashes_between(connection, first: int, last: int) -> list[str]:
    """The hashes of entries first..last in sequence order (connection or session)."""
    seq = AuditEventRow.seq
    rows = connection.execute(
        select(seq, AuditEventRow.hash).where(seq >= first, seq <= last).order_by(seq)
    ).all()
    if [row.seq for row in rows] != list(range(first, last + 1)):
        raise LookupError(f"audit entries {first}–{last} are not all in the database")
    return [row.hash for row in rows]


_READERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_reader(bind):
    """Reads entry hashes through a connection of its own (after a commit, the session
    itself may not run SQL): for the Merkle root of the next checkpoint. The connection is
    never taken from `bind`'s pool: the committing thread still holds a pooled connection,
    and 32 threads each waiting for a second one would exhaust the pool (each waits while
    holding one). A pool-less engine on the same database opens one when needed."""
    if not isinstance(bind, Engine):
        return None
    reader = _READERS.get(bind)
    if reader is None:
        options = {"check_same_thread": False, "timeout": 60}
        reader = create_engine(
            bind.url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args=options if bind.dialect.name == "sqlite" else {},
        )
        _READERS[bind] = reader

    def read(first: int, last: int) -> list[str]:
        with reader.connect() as connection:
            return hashes_between(connection, first, last)

    return read


def _append_in_python(connection, pending: list[AuditEventRow]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = connection.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)
    values = []
    for row in pending:
        seq += 1
        row.seq, row.prev_hash = seq, prev_hash
        row.hash = prev_hash = entry_hash(**_content(row))
        values.append({**_content(row), "hash": row.hash})
    connection.execute(insert(AuditEventRow.__table__), values)


# PostgreSQL links each entry itself: it reads the head of the chain and hashes the entry's
# canonical text (computed here, cut around the two values only the head gives) in the same
# statement, sent in one round trip with the lock. No Python step runs while the lock is
# held, so a thread waiting for the interpreter lock cannot stretch the critical section.
_APPEND_SQL = """
INSERT INTO audit_events
    (seq, at, actor, action, tag, subject_type, subject_id, why, details, prev_hash, hash)
SELECT next.seq, %(at)s, %(actor)s, %(action)s, %(tag)s, %(subject_type)s, %(subject_id)s,
       %(why)s, %(details)s, next.prev_hash,
       encode(sha256(convert_to(
           %(before_prev)s::text || next.prev_hash || %(before_seq)s::text || next.seq::text
           || %(after_seq)s::text, 'UTF8')), 'hex')
FROM (
    SELECT coalesce(head.seq, 0) + 1 AS seq, coalesce(head.hash, %(genesis)s::text) AS prev_hash
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) AS head ON true
) AS next
RETURNING seq, prev_hash, hash
"""


def _append_in_one_trip(connection, pending: list[AuditEventRow]) -> bool:
    """Lock, link and insert every pending entry in one round trip; False if this database
    or an entry cannot be linked that way (the caller then links them in Python)."""
    from psycopg.types.json import Json

    driver = connection.connection.driver_connection
    if driver.info.parameter_status("server_encoding") not in ("UTF8", b"UTF8"):
        return False
    frames = [_hash_frame(row) for row in pending]
    if None in frames:
        return False
    statements = [("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _CHAIN_LOCK})] + [
        (
            _APPEND_SQL,
            {
                **_content(row),
                "details": Json(row.details),
                "genesis": GENESIS,
                "before_prev": frame[0],
                "before_seq": frame[1],
                "after_seq": frame[2],
            },
        )
        for row, frame in zip(pending, frames, strict=True)
    ]
    with driver.pipeline():
        cursors = [_send(connection, driver, *statement) for statement in statements]
    for cursor, (statement, parameters) in zip(cursors, statements, strict=True):
        connection.dispatch.after_cursor_execute(
            connection, cursor, statement, parameters, None, False
        )
    for row, cursor in zip(pending, cursors[1:], strict=True):
        row.seq, row.prev_hash, row.hash = cursor.fetchone()
        if row.hash != entry_hash(**_content(row)):  # never expected: refuse to commit
            raise RuntimeError(f"audit entry {row.seq} was hashed differently by the database")
    return True


def _send(connection, driver, statement: str, parameters: dict):
    """Queue one statement in the pipeline, seen by the engine's statement listeners (logging,
    counting, the audit tests) as if SQLAlchemy had sent it."""
    cursor = driver.cursor()
    for listener in connection.dispatch.before_cursor_execute:
        statement, parameters = listener(connection, cursor, statement, parameters, None, False)
    cursor.execute(statement, parameters)
    return cursor


def _hash_frame(row: AuditEventRow) -> tuple[str, str, str] | None:
    """The canonical text of `entry_hash` as three pieces around prev_hash and seq, whose
    keys sort between "details" and "subject_id"; None if the pieces do not rebuild it."""
    content = _content(row)
    first = {k: content[k] for k in ("action", "actor", "at", "details")}
    last = {k: content[k] for k in ("subject_id", "subject_type", "tag", "why")}
    first["at"] = canonical_time(row.at)
    dumped = [
        json.dumps(part, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for part in (first, last)
    ]
    frame = (dumped[0][:-1] + ',"prev_hash":"', '","seq":', "," + dumped[1][1:])
    probe = {**content, "seq": 1, "prev_hash": GENESIS}
    text_ = frame[0] + GENESIS + frame[1] + "1" + frame[2]
    if hashlib.sha256(text_.encode("utf-8")).hexdigest() != entry_hash(**probe):
        return None
    return frame


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    """Entries of a transaction that ended without committing are never appended."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_HEAD, None)


def _content(row: AuditEventRow) -> dict:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "tag": row.tag,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "why": row.why,
        "details": row.details,
        "prev_hash": row.prev_hash,
    }


def verify_log(session: Session) -> tuple[int, list]:
    """Check the whole chain; returns the number of entries and the problems found. The
    checkpoints signed outside the database are checked too by `audit.trail.verify_trail`
    (what `judicare audit verify` runs)."""
    table = AuditEventRow.__table__  # plain rows: read once, no tracked objects to build
    entries = session.execute(select(table).order_by(table.c.seq)).all()
    return len(entries), verify(entries)


def list_events(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
    within=None,
    actor: str | None = None,
    action: str | None = None,
    tag_contains: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    newest_first: bool = False,
) -> list[dict]:
    """Entries in chain order (or newest first); `within` (a condition on AuditEventRow)
    limits them to what the reader may see (see judicare.audit.scope); `since` and
    `before` bound the time (from, inclusive; to, exclusive)."""
    order = AuditEventRow.seq.desc() if newest_first else AuditEventRow.seq
    query = select(AuditEventRow).order_by(order)
    if actor:
        query = query.where(AuditEventRow.actor == actor)
    if action:
        query = query.where(AuditEventRow.action == action)
    if tag_contains:
        escaped = tag_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEventRow.tag.like(f"%{escaped}%", escape="\\"))
    if since is not None:
        query = query.where(AuditEventRow.at >= since)
    if before is not None:
        query = query.where(AuditEventRow.at < before)
    if within is not None:
        query = query.where(within)
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
