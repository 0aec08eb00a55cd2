"""Tables of the request register."""

from __future__ import annotations

from collections import Counter
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
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from judicare.db.base import Base, utcnow


class CaseRow(Base):
    """The national file a request belongs to."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("authority_id", "reference", name="uq_case_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"))
    reference: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_authority_status", "authority_id", "status"),
        Index("ix_requests_states", "requesting_state", "requested_state"),
        Index("ix_requests_received", "received_on", "id"),
        Index("ix_requests_status_received", "status", "received_on", "id"),
        # the list sorted by deadline stops after a page (migration 0041; on PostgreSQL
        # also ix_requests_next_due_desc: next_due DESC NULLS LAST, id DESC)
        Index("ix_requests_next_due", "next_due", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    # status and authority: their old values known at a flush (`_count_updated`)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id"), active_history=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    direction: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    requesting_state: Mapped[str] = mapped_column(String(3))
    requested_state: Mapped[str] = mapped_column(String(3))
    requesting_authority: Mapped[str] = mapped_column(Text)
    # The requesting authority's own reference for its case (as written on its request).
    requesting_reference: Mapped[str] = mapped_column(String(120), default="")
    requesting_central_authority: Mapped[str] = mapped_column(Text, default="")
    requested_central_authority: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(16))
    confidentiality: Mapped[str] = mapped_column(String(16))
    crimes: Mapped[list] = mapped_column(JSON)
    facts_summary: Mapped[str] = mapped_column(Text)
    subject_and_nature: Mapped[str] = mapped_column(Text, default="")
    legal_provisions: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    procedure_wished: Mapped[str] = mapped_column(Text, default="")
    # ECMA art. 14(1)(d): where necessary, the name and address of the person to be served
    # (migration 0037)
    person_to_serve: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Reference, authority and facts, case-folded in Python: what full-text search matches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    legal_basis_instrument: Mapped[str | None] = mapped_column(String(64), nullable=True)
    legal_basis_answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # extradition and provisional arrest: `schemas.ExtraditionIn`, as given (migration 0029)
    extradition: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(24), active_history=True)
    received_on: Mapped[date] = mapped_column(Date)
    request_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # as written on it
    requested_execution_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The earliest of the request's deadlines (None: it has none), kept on every write of
    # its deadlines: set at registration, and by `_keep_next_due` after any flush that
    # adds, changes or removes a deadline (migration 0041). What the list sorts by.
    next_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    measures: Mapped[list[MeasureRow]] = relationship(
        cascade="all, delete-orphan", order_by="MeasureRow.id"
    )
    persons: Mapped[list[RequestPersonRow]] = relationship(
        cascade="all, delete-orphan", order_by="RequestPersonRow.id"
    )
    deadlines: Mapped[list[DeadlineRow]] = relationship(
        cascade="all, delete-orphan", order_by="DeadlineRow.due"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MeasureRow(Base):
    __tablename__ = "request_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    measure: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="")


class RequestPersonRow(Base):
    __tablename__ = "request_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)  # YYYY[-MM[-DD]]
    nationality: Mapped[str | None] = mapped_column(String(3), nullable=True)
    protected_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    names: Mapped[list[PersonNameRow]] = relationship(
        cascade="all, delete-orphan", order_by="PersonNameRow.id"
    )
    documents: Mapped[list[IdentityDocumentRow]] = relationship(
        cascade="all, delete-orphan", order_by="IdentityDocumentRow.id"
    )


class PersonNameRow(Base):
    __tablename__ = "person_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    # The name case-folded in Python (SQLite's lower() folds only ASCII): what searches match.
    name_folded: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[str] = mapped_column(String(16))  # original | romanisation
    script: Mapped[str] = mapped_column(String(40), default="")
    system: Mapped[str] = mapped_column(String(40), default="")  # e.g. BGN/PCGN, ICAO 9303


class IdentityDocumentRow(Base):
    __tablename__ = "identity_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("request_persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(80))
    issuing_state: Mapped[str | None] = mapped_column(String(3), nullable=True)


class DeadlineRow(Base):
    __tablename__ = "request_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    due: Mapped[date] = mapped_column(Date, index=True)
    citation: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class DocumentRow(Base):
    """Metadata only; the bytes live in the file store under `storage_key`."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RequestLinkRow(Base):
    __tablename__ = "request_links"
    __table_args__ = (
        UniqueConstraint("from_request_id", "to_request_id", "link_type", name="uq_request_link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    to_request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    link_type: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")


class AssignmentRow(Base):
    __tablename__ = "request_assignments"
    __table_args__ = (UniqueConstraint("request_id", "user_id", name="uq_assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class TransitionRow(Base):
    """Every status change, with its reasons and citations (decisions always have both)."""

    __tablename__ = "request_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reasons: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list] = mapped_column(JSON)
    # The decision applied (accepted, refused, postponed come only from one), else None.
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyRow(Base):
    """The first response to a create, kept so that a retry with the same key gets it again
    instead of a duplicate."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


_TOUCHED = "judicare.next_due.touched"  # session.info: requests whose deadlines changed


@event.listens_for(DeadlineRow, "after_insert")
@event.listens_for(DeadlineRow, "after_update")
@event.listens_for(DeadlineRow, "after_delete")
def _deadline_written(_mapper, _connection, deadline: DeadlineRow) -> None:
    """A deadline row written by a flush (an orphan removed from `RequestRow.deadlines`
    included): its request, and the one it was moved from, need their next_due again."""
    state = inspect(deadline)
    history = state.attrs.request_id.history
    touched = state.session.info.setdefault(_TOUCHED, set()) if state.session else set()
    touched.update(i for i in (*history.sum(), deadline.request_id) if i)


@event.listens_for(Session, "after_flush")
def _keep_next_due(session: Session, _context) -> None:
    """`requests.next_due` is the earliest deadline of the request: recomputed in SQL, once
    a flush, for each request whose deadlines it added, changed or removed (the request's
    `version` untouched: the column is derived, not an edit of the request)."""
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    ids = sorted(touched)
    earliest = (
        select(func.min(DeadlineRow.due))
        .where(DeadlineRow.request_id == RequestRow.id)
        .scalar_subquery()
    )
    session.connection().execute(
        update(RequestRow.__table__).where(RequestRow.id.in_(ids)).values(next_due=earliest)
    )
    for request_id in ids:  # the loaded requests read the new value when next asked
        key = inspect(RequestRow).identity_key_from_primary_key((request_id,))
        loaded = session.identity_map.get(key)
        if loaded is not None:
            session.expire(loaded, ["next_due"])


class RequestStatusCountRow(Base):
    """How many requests of each authority are in each status (migration 0049): what the
    dashboard reads for the reader's own authority instead of counting every request. Kept
    by the mapper hooks below, written by `_write_status_counts` (at commit)."""

    __tablename__ = "request_status_counts"

    authority_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)


# The counts change with the requests, in the same transaction, but are written only when it
# commits (a `before_commit` hook), as the persons' counts are (`persons.service._PENDING`):
# every registration of an authority adds to the same row, so writing it at once would lock
# that row until the end of the transaction and serialise the authority's registrations
# behind the slowest (and two transactions writing two rows in opposite orders would wait
# for each other forever). Until then `pending_status_counts` gives what the session has
# not written yet, which `queries.status_counts` adds to what it reads.
_STATUS_PENDING = "judicare.request_status_counts"


def pending_status_counts(session: Session) -> Counter[tuple[str, str]]:
    """This transaction's changes to the status counts not written yet, by (authority,
    status)."""
    pending = session.info.get(_STATUS_PENDING)
    if pending is None:
        pending = session.info[_STATUS_PENDING] = Counter()
    return pending


def _before(request: RequestRow) -> tuple[str, str]:
    """The (authority, status) the request had before the flush writing it (the columns are
    mapped with `active_history`: the old value is known even when it was not loaded)."""
    state = inspect(request)
    authority = state.attrs.authority_id.history.deleted
    status = state.attrs.status.history.deleted
    return (authority[0] if authority else request.authority_id,
            status[0] if status else request.status)  # fmt: skip


@event.listens_for(RequestRow, "after_insert")
def _count_inserted(_mapper, _connection, request: RequestRow) -> None:
    session = inspect(request).session
    if session is not None:
        pending_status_counts(session)[(request.authority_id, request.status)] += 1


@event.listens_for(RequestRow, "after_update")
def _count_updated(_mapper, _connection, request: RequestRow) -> None:
    """Moved to another status (or authority): the old one loses it, the new one gains it."""
    session = inspect(request).session
    old, new = _before(request), (request.authority_id, request.status)
    if session is not None and old != new:
        pending = pending_status_counts(session)
        pending[old] -= 1
        pending[new] += 1


@event.listens_for(RequestRow, "after_delete")
def _count_deleted(_mapper, _connection, request: RequestRow) -> None:
    session = inspect(request).session
    if session is not None:
        pending_status_counts(session)[_before(request)] -= 1


def add_status_counts(executor: Session | Connection, added: Counter[tuple[str, str]]) -> None:
    """Add `added` to the stored counts (a row for a pair not counted yet), in key order: two
    transactions writing the same rows lock them in the same order."""
    rows = [
        {"authority_id": authority, "status": status, "requests": n}
        for (authority, status), n in sorted(added.items())
        if n
    ]
    if not rows:
        return
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    table = RequestStatusCountRow.__table__
    upsert = (postgresql_insert if bind.dialect.name == "postgresql" else sqlite_insert)(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=["authority_id", "status"],
        set_={"requests": table.c.requests + upsert.excluded.requests},
    )
    executor.execute(upsert, rows)


@event.listens_for(Session, "before_commit")
def _write_status_counts(session: Session) -> None:
    """Write the transaction's count changes just before it commits (see `_STATUS_PENDING`);
    the changes still in the session are flushed first (the commit would flush them only
    after this hook)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending = session.info.pop(_STATUS_PENDING, None)
    if pending and not _defer_status_counts(session, pending):
        add_status_counts(session, pending)


# The upsert of `add_status_counts` in psycopg's style, for the COMMIT's round trip: the rows
# in key order (unnest keeps it), as there.
_STATUS_COUNTS_SQL = """
INSERT INTO request_status_counts (authority_id, status, requests)
SELECT * FROM unnest(%(authorities)s::varchar[], %(statuses)s::varchar[], %(requests)s::int[])
ON CONFLICT (authority_id, status)
DO UPDATE SET requests = request_status_counts.requests + excluded.requests
"""


def _defer_status_counts(session: Session, pending: Counter[tuple[str, str]]) -> bool:
    """On PostgreSQL the upsert goes with the COMMIT, in its round trip
    (`audit.service.defer_to_commit`): the authority's row, which all its registrations
    share, is then locked for the server's work on the COMMIT only, not also for a round
    trip and the Python steps before the COMMIT is sent (under load, a thread waiting for
    the interpreter lock while holding the row held up every other registration). False
    on SQLite (the caller writes the counts itself) or with nothing to write."""
    from judicare.audit.service import defer_to_commit

    rows = sorted((key, n) for key, n in pending.items() if n)
    if not rows:
        return True
    parameters = {
        "authorities": [authority for (authority, _), _ in rows],
        "statuses": [status for (_, status), _ in rows],
        "requests": [n for _, n in rows],
    }
    return defer_to_commit(session, _STATUS_COUNTS_SQL, parameters)


@event.listens_for(Session, "after_transaction_end")
def _forget_status_counts(session: Session, transaction) -> None:
    """A transaction that ends without committing takes its count changes with it."""
    if transaction.parent is None:
        session.info.pop(_STATUS_PENDING, None)
