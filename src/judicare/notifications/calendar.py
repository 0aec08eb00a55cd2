"""An officer's deadlines: on a page and as an iCalendar feed (RFC 5545) a calendar
application subscribes to by a secret URL.

The URL's token is shown once, kept only as its SHA-256 (a leaked database does not give
the feeds away), revocable, and a new one revokes the old. The feed carries, per deadline,
the request's reference, the kind of deadline and the day: no name, no facts. Reading the
feed is not audited (it holds no personal data and is polled every hour or so); making
and revoking a feed are.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import UserRow
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.notifications.models import CalendarFeedRow
from judicare.requests.domain import OPEN_STATUSES
from judicare.requests.models import AssignmentRow, DeadlineRow, RequestRow

PRODID = "-//Judicare//Deadlines//EN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def my_deadlines(session: Session, user_id: int, *, today: date, limit: int = 500) -> list[dict]:
    """Deadlines of the open requests I registered or that are assigned to me, soonest
    first, missed ones included."""
    assigned = exists().where(
        AssignmentRow.request_id == RequestRow.id, AssignmentRow.user_id == user_id
    )
    rows = session.execute(
        select(DeadlineRow, RequestRow)
        .join(RequestRow, RequestRow.id == DeadlineRow.request_id)
        .where(or_(RequestRow.created_by == user_id, assigned))
        .where(RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(DeadlineRow.due, RequestRow.id)
        .limit(limit)
    ).all()
    return [
        {"request_id": r.id, "reference": r.reference, "status": r.status, "kind": d.kind,
         "due": d.due.isoformat(), "days": (d.due - today).days, "citation": d.citation}
        for d, r in rows
    ]  # fmt: skip


def new_feed(session: Session, principal: Principal, *, now: datetime, why: str) -> str:
    """A new secret token for my feed (the old one stops working); shown once."""
    authorize(principal, Permission.REQUEST_READ)
    revoke(session, principal, now=now, why=why, audit=False)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeedRow(user_id=principal.user_id, token_hash=_hash(token),
                                created_at=now))  # fmt: skip
    session.flush()
    record(
        session, actor=principal.username, action=AuditAction.ALTERATION,
        tag=f"{principal.role.value}:calendar:create", subject_type="user",
        subject_id=principal.user_id, why=why, at=now, details={},
    )  # fmt: skip
    return token


def revoke(
    session: Session, principal: Principal, *, now: datetime, why: str, audit: bool = True
) -> int:
    changed = (
        session.execute(
            update(CalendarFeedRow)
            .where(
                CalendarFeedRow.user_id == principal.user_id, CalendarFeedRow.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        ).rowcount
        or 0
    )
    if changed and audit:
        record(
            session, actor=principal.username, action=AuditAction.ALTERATION,
            tag=f"{principal.role.value}:calendar:revoke", subject_type="user",
            subject_id=principal.user_id, why=why, at=now, details={},
        )  # fmt: skip
    return changed


def has_feed(session: Session, user_id: int) -> bool:
    return (
        session.scalar(
            select(CalendarFeedRow.id).where(
                CalendarFeedRow.user_id == user_id, CalendarFeedRow.revoked_at.is_(None)
            )
        )
        is not None
    )


def feed_owner(session: Session, token: str) -> int | None:
    """The active user whose live feed this token opens, or None."""
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(UserRow.id)
        .join(CalendarFeedRow, CalendarFeedRow.user_id == UserRow.id)
        .where(CalendarFeedRow.token_hash == _hash(token))
        .where(CalendarFeedRow.revoked_at.is_(None))
        .where(UserRow.active.is_(True))
    )


def ics(entries: list[dict], *, now: datetime, base_url: str) -> bytes:
    """The feed: one all-day event per deadline, with the reference and a link only."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Judicare deadlines")
    for entry in entries:
        due = date.fromisoformat(entry["due"])
        event = icalendar.Event()
        event.add("uid", f"deadline-{entry['request_id']}-{entry['kind']}-{due}@judicare")
        event.add("dtstamp", now)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", f"Deadline {entry['reference']} ({entry['kind'].replace('_', ' ')})")
        event.add("url", f"{base_url.rstrip('/')}/requests/{entry['request_id']}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
