"""Listing and searching requests, within need-to-know. Lists carry no personal data; a
search by a person's name is itself audited as a consultation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, exists, func, or_, select, union
from sqlalchemy.orm import Session, selectinload

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.requests.domain import OPEN_STATUSES, RequestStatus, deadline_missed
from judicare.requests.models import (
    AssignmentRow,
    DeadlineRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
    RequestStatusCountRow,
    pending_status_counts,
)
from judicare.requests.read_models import request_summary
from judicare.requests.service import fold
from judicare.states import resolve_state

MAX_LIMIT = 100


def _escape(term: str) -> str:
    """LIKE wildcards in user input match themselves."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class RequestFilters:
    status: RequestStatus | None = None
    state: str | None = None  # requesting or requested
    kind: str | None = None
    overdue: bool | None = None
    person: str | None = None  # a name, or part of one, in any script
    q: str | None = None  # words in the references, authority or facts
    limit: int = 20
    offset: int = 0
    requesting_reference: str | None = None  # the requesting authority's, whole or part
    due_within: int | None = None  # open, with a deadline from today to today + N days
    assignee: int | None = None  # assigned to this user (0: assigned to nobody)
    sort: str = "received"  # a key of SORTS
    descending: bool = True
    # Count at most this many requests past the page (the web list: "more than N"); None:
    # the exact total (the API's).
    count_limit: int | None = None


# The list's columns an officer may sort by.
SORTS = {
    "reference": lambda: RequestRow.reference,
    "requesting_reference": lambda: RequestRow.requesting_reference,
    "direction": lambda: RequestRow.direction,
    "kind": lambda: RequestRow.kind,
    "requesting_state": lambda: RequestRow.requesting_state,
    "requested_state": lambda: RequestRow.requested_state,
    "status": lambda: RequestRow.status,
    "received": lambda: RequestRow.received_on,
    "deadline": lambda: RequestRow.next_due,  # the earliest deadline, kept on write
}


def visible_to(principal: Principal):
    """Need-to-know as a query condition: own authority, or assigned to me. (The assigned
    requests as one uncorrelated subquery: PostgreSQL reads it once, not once a row.)"""
    assigned = select(AssignmentRow.request_id).where(AssignmentRow.user_id == principal.user_id)
    return or_(RequestRow.authority_id == principal.authority_id, RequestRow.id.in_(assigned))


def overdue_clause(today: date):
    """`requests.domain.is_overdue` in SQL: open, with a deadline missed (due before today)."""
    missed = exists().where(DeadlineRow.request_id == RequestRow.id, DeadlineRow.due < today)
    return missed & RequestRow.status.in_([s.value for s in OPEN_STATUSES])


def list_requests(
    session: Session,
    principal: Principal,
    filters: RequestFilters,
    *,
    today: date,
    now: datetime,
    why: str,
) -> dict:
    authorize(principal, Permission.REQUEST_READ)
    query = select(RequestRow).where(visible_to(principal))
    if filters.status:
        query = query.where(RequestRow.status == filters.status.value)
    if filters.state:
        state = resolve_state(filters.state).alpha3
        query = query.where(
            or_(RequestRow.requesting_state == state, RequestRow.requested_state == state)
        )
    if filters.kind:
        query = query.where(RequestRow.kind == filters.kind)
    if filters.overdue is not None:
        late = overdue_clause(today)
        query = query.where(late) if filters.overdue else query.where(~late)
    matches: dict[str, dict] = {}
    if filters.person:
        matches = person_matches(session, principal, filters.person)
        term = f"%{_escape(fold(filters.person))}%"
        # Two indexed lookups (the engine's references; a name containing the letters, by
        # the trigram index on PostgreSQL) rather than an OR read for every request.
        named = (
            select(RequestPersonRow.request_id)
            .join(PersonNameRow, PersonNameRow.person_id == RequestPersonRow.id)
            .where(PersonNameRow.name_folded.like(term, escape="\\"))
        )
        by_engine = select(RequestRow.id).where(RequestRow.reference.in_(sorted(matches)))
        query = query.where(RequestRow.id.in_(union(named, by_engine)))
    if filters.due_within is not None:
        soon = exists().where(
            DeadlineRow.request_id == RequestRow.id,
            DeadlineRow.due >= today,
            DeadlineRow.due <= today + timedelta(days=filters.due_within),
        )
        query = query.where(soon & RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
    if filters.assignee is not None:
        anyone = exists().where(AssignmentRow.request_id == RequestRow.id)
        mine = exists().where(
            AssignmentRow.request_id == RequestRow.id, AssignmentRow.user_id == filters.assignee
        )
        query = query.where(~anyone if filters.assignee == 0 else mine)
    if filters.requesting_reference:
        term = f"%{_escape(filters.requesting_reference.strip())}%"
        query = query.where(RequestRow.requesting_reference.like(term, escape="\\"))
    if filters.q:
        for word in fold(filters.q).split()[:8]:
            query = query.where(RequestRow.search_text.like(f"%{_escape(word)}%", escape="\\"))
    total, capped = (
        _total(session, query, filters)
        if filters.count_limit is not None or not _by_status_only(filters)
        else (_counted(session, principal, filters.status), False)
    )
    column = SORTS.get(filters.sort, SORTS["received"])()
    first = column.desc() if filters.descending else column.asc()
    if filters.sort == "deadline":  # none: last (the stored earliest deadline, indexed:
        first = first.nulls_last()  # the list stops after a page, no aggregate over all)
    order = [first, RequestRow.id.desc() if filters.descending else RequestRow.id]
    if matches:  # the closest names first, then the newest
        scores = {ref: float(m["score"] or 0) for ref, m in matches.items()}
        order.insert(0, case(scores, value=RequestRow.reference, else_=0.0).desc())
    rows = session.scalars(
        query.options(selectinload(RequestRow.deadlines))
        .order_by(*order)
        .limit(filters.limit)
        .offset(filters.offset)
    ).all()
    if filters.person:
        record(
            session,
            actor=principal.username,
            action=AuditAction.CONSULTATION,
            tag=f"{principal.role.value}:request:search_person",
            subject_type="search",
            subject_id="requests",
            why=why,
            at=now,
            details={"results": [r.id for r in rows]},
        )
    items = [request_summary(r, today) for r in rows]
    if filters.person:
        for item in items:  # why it matched: the engine's reasons, or the name's letters
            item["person_match"] = matches.get(item["reference"]) or {
                "how": "name contains",
                "query": filters.person,
                "score": None,
                "reasons": [f"a name contains {filters.person!r}"],
                "pairs": [],
                "unmatched": [],
            }
    return {
        "items": items,
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
        "total_capped": capped,
    }


def _total(session: Session, query, filters: RequestFilters) -> tuple[int, bool]:
    """How many requests the list holds: exactly, or with `count_limit`, counted up to the
    page's end plus that many (True: there are more than that)."""
    if filters.count_limit is None:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0, False
    most = filters.offset + filters.limit + filters.count_limit
    ids = query.with_only_columns(RequestRow.id).limit(most + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(ids)) or 0
    return min(counted, most), counted > most


def _by_status_only(filters: RequestFilters) -> bool:
    """No condition but (perhaps) the status: the list's exact total is in the kept counts."""
    return not (
        filters.state or filters.kind or filters.person or filters.q
        or filters.requesting_reference or filters.overdue is not None
        or filters.due_within is not None or filters.assignee is not None
    )  # fmt: skip


def _counted(session: Session, principal: Principal, status: RequestStatus | None) -> int:
    """The exact number of requests I may see (in `status`), from the dashboard's counts
    rather than counting every request under need-to-know's `OR`."""
    counts = status_counts(session, principal)
    return counts.get(status.value, 0) if status else sum(counts.values())


PERSON_MATCH_LIMIT = 200  # requests found by the person engine for one name, at most


def person_matches(session: Session, principal: Principal, name: str) -> dict[str, dict]:
    """The requests whose persons the person engine (the same as screening's) finds for
    this name, in any script and shortened, by the request's reference, each with why.
    Only the entries of the principal's authority are looked at (need-to-know); the list's
    own condition then keeps only the requests the principal may see."""
    from judicare.persons.domain import PersonQuery
    from judicare.persons.service import match
    from judicare.requests.registration import REQUESTS_REGISTER

    try:
        query = PersonQuery(names=(name,), registers=(REQUESTS_REGISTER,))
    except ValueError:
        return {}
    found: dict[str, dict] = {}
    for candidate in match(
        session, query, authority_id=principal.authority_id, limit=PERSON_MATCH_LIMIT
    ):
        if candidate.get("register") != REQUESTS_REGISTER:
            continue
        reference = str(candidate["id"]).split("#", 1)[0]
        if reference in found:
            continue
        explanation = (candidate.get("explanation") or {}).get("name") or {}
        found[reference] = {
            "how": "person engine",
            "query": name,
            "score": candidate.get("score"),
            "reasons": _reasons(explanation),
            "pairs": [
                {
                    "query": pair.get("query"),
                    "record": pair.get("record"),
                    "how": pair.get("how"),
                    "reading": (pair.get("record_reading") or {}).get("form"),
                    "system": (pair.get("record_reading") or {}).get("system"),
                }
                for pair in explanation.get("pairs") or []
            ],
            "unmatched": list(explanation.get("unmatched_record") or []),
        }
    return found


def _reasons(name: dict) -> list[str]:
    """The engine's explanation of the name in short sentences (English, for the API):
    which name parts matched and how."""
    reasons = []
    for pair in name.get("pairs") or []:
        reading = (pair.get("record_reading") or {}).get("system")
        text = f"{pair.get('query')} ~ {pair.get('record')} ({pair.get('how')}"
        if reading and reading != "as written":
            text += f", read as {(pair.get('record_reading') or {}).get('form')} by {reading}"
        reasons.append(text + ")")
    if name.get("unmatched_record"):
        reasons.append("not in the name searched: " + ", ".join(name["unmatched_record"]))
    if name.get("surname_first_reordered"):
        reasons.append("surname written first")
    return reasons or [str(name.get("why") or "similar name")]


# --- the officer's dashboard (no personal data) ----------------------------------------------


def status_counts(session: Session, principal: Principal) -> dict[str, int]:
    """How many requests I may see are in each status: `visible_to` in two disjoint parts,
    my authority's (its counts, kept on every write: `RequestStatusCountRow`, with this
    transaction's changes not written yet) and those of other authorities assigned to me
    (counted: a few)."""
    authorize(principal, Permission.REQUEST_READ)
    own = principal.authority_id
    counts: Counter[str] = Counter()
    for status, count in session.execute(
        select(RequestStatusCountRow.status, RequestStatusCountRow.requests).where(
            RequestStatusCountRow.authority_id == own
        )
    ).all():
        counts[status] += count
    for (authority, status), change in pending_status_counts(session).items():
        if authority == own:
            counts[status] += change
    assigned = select(AssignmentRow.request_id).where(AssignmentRow.user_id == principal.user_id)
    for status, count in session.execute(
        select(RequestRow.status, func.count())
        .where(RequestRow.authority_id != own, RequestRow.id.in_(assigned))
        .group_by(RequestRow.status)
    ).all():
        counts[status] += count
    return {status: count for status, count in counts.items() if count > 0}


def deadlines(session: Session, principal: Principal, *, today: date, horizon: date) -> dict:
    """Deadlines of open requests I may see: those already missed and those due by `horizon`."""
    authorize(principal, Permission.REQUEST_READ)
    rows = session.execute(
        select(DeadlineRow, RequestRow)
        .join(RequestRow, RequestRow.id == DeadlineRow.request_id)
        .where(visible_to(principal))
        .where(RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
        .where(DeadlineRow.due <= horizon)
        .order_by(DeadlineRow.due, RequestRow.id)
        .limit(200)
    ).all()
    entries = [
        {
            "request_id": request.id,
            "reference": request.reference,
            "status": request.status,
            "kind": deadline.kind,
            "due": deadline.due.isoformat(),
            "citation": deadline.citation,
            "days": (deadline.due - today).days,
        }
        for deadline, request in rows
    ]
    return {
        "overdue": [e for e in entries if deadline_missed(date.fromisoformat(e["due"]), today)],
        "due": [e for e in entries if not deadline_missed(date.fromisoformat(e["due"]), today)],
    }


def assigned_to_me(session: Session, principal: Principal, *, today: date) -> list[dict]:
    """Open requests assigned to me by name."""
    authorize(principal, Permission.REQUEST_READ)
    rows = session.scalars(
        select(RequestRow)
        .join(AssignmentRow, AssignmentRow.request_id == RequestRow.id)
        .where(AssignmentRow.user_id == principal.user_id)
        .where(RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
        .options(selectinload(RequestRow.deadlines))
        .order_by(RequestRow.received_on.desc())
        .limit(50)
    ).all()
    return [request_summary(r, today) for r in rows]


def in_status(
    session: Session, principal: Principal, statuses: list[str], *, today: date, limit: int = 50
) -> list[dict]:
    authorize(principal, Permission.REQUEST_READ)
    rows = session.scalars(
        select(RequestRow)
        .where(visible_to(principal))
        .where(RequestRow.status.in_(statuses))
        .options(selectinload(RequestRow.deadlines))
        .order_by(RequestRow.received_on, RequestRow.id)
        .limit(limit)
    ).all()
    return [request_summary(r, today) for r in rows]


def _event(row) -> dict:
    return {
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "tag": row.tag,
        "subject_id": row.subject_id,
        "why": row.why,
    }


RECENT_BATCH = 500  # entries read at a time, newest first
RECENT_BATCHES = 20  # then the one statement over the whole trail


def recent_activity(session: Session, principal: Principal, *, limit: int = 15) -> list[dict]:
    """The latest audit events on requests I may see, newest first (no details: those may
    hold personal data). The trail is read from its end a batch at a time, and the batch's
    requests checked for need-to-know in one statement: the latest entries are nearly
    always found in the first batch, without joining the whole trail with every request."""
    from sqlalchemy import String, cast

    from judicare.audit.models import AuditEventRow

    authorize(principal, Permission.REQUEST_READ)
    # The columns shown, not whole entries (their details and hashes are not shown); the
    # first batch a few times the limit (the latest entries are nearly always mine), then
    # RECENT_BATCH at a time.
    shown = (AuditEventRow.seq, AuditEventRow.at, AuditEventRow.actor, AuditEventRow.action,
             AuditEventRow.tag, AuditEventRow.subject_id, AuditEventRow.why)  # fmt: skip
    found: list[dict] = []
    below: int | None = None
    for round_ in range(RECENT_BATCHES):
        size = min(RECENT_BATCH, 4 * limit) if round_ == 0 else RECENT_BATCH
        batch = select(*shown).where(AuditEventRow.subject_type == "request")
        if below is not None:
            batch = batch.where(AuditEventRow.seq < below)
        rows = session.execute(batch.order_by(AuditEventRow.seq.desc()).limit(size)).all()
        ids = {int(r.subject_id) for r in rows if r.subject_id.isdigit()}
        seen = set(
            session.scalars(
                select(RequestRow.id).where(RequestRow.id.in_(ids)).where(visible_to(principal))
            )
        )
        found += [_event(r) for r in rows if r.subject_id.isdigit() and int(r.subject_id) in seen]
        if len(found) >= limit or len(rows) < size:
            return found[:limit]
        below = rows[-1].seq
    mine = select(cast(RequestRow.id, String)).where(visible_to(principal))
    older = session.execute(
        select(*shown)
        .where(AuditEventRow.subject_type == "request")
        .where(AuditEventRow.subject_id.in_(mine))
        .where(AuditEventRow.seq < below)
        .order_by(AuditEventRow.seq.desc())
        .limit(limit - len(found))
    ).all()
    return found + [_event(r) for r in older]


def timeline(session: Session, principal: Principal, request_id: int) -> list[dict]:
    """What happened to one request, from the audit trail, oldest first, with each
    event's details (for the timeline's words: `requests.timeline`); the caller may read
    the request (need-to-know)."""
    from judicare.audit.models import AuditEventRow
    from judicare.requests.service import load_for

    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.subject_type == "request")
        .where(AuditEventRow.subject_id == str(request_id))
        .order_by(AuditEventRow.seq)
        .limit(2000)
    ).all()
    return [{**_event(r), "details": r.details or {}} for r in rows]
