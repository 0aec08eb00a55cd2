"""Notices: made in the transaction of the act that causes them (an assignment, a decision
proposed or approved, a message received) or by the deadline sweep run from cron; read in
the app; e-mailed afterwards by `send_pending` (an outbox: a failed delivery is retried,
and never undoes the act).

Need-to-know: a notice goes only to users who may see the request (those it is assigned
to, else the case handlers of the authority that holds it); a user sees only their own
notices.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import UserRow
from judicare.auth.permissions import Principal
from judicare.notifications.domain import NoticeKind, compose, deadline_occasion
from judicare.notifications.mailer import Mailer
from judicare.notifications.models import NoticeAddressRow, NotificationRow
from judicare.requests.domain import OPEN_STATUSES
from judicare.requests.models import AssignmentRow, DeadlineRow, RequestRow

CASE_ROLES = ("officer", "legal_reviewer", "supervisor")
MAX_ATTEMPTS = 5


def notify(
    session: Session,
    *,
    user_ids: list[int] | set[int],
    kind: NoticeKind,
    request: RequestRow,
    occasion: str,
    now: datetime,
) -> int:
    """One notice per user for this occasion (a second call for the same occasion adds
    nothing); returns how many were added."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    already = set(
        session.scalars(
            select(NotificationRow.user_id).where(
                NotificationRow.user_id.in_(wanted), NotificationRow.occasion == occasion
            )
        )
    )
    for user_id in sorted(wanted - already):
        session.add(
            NotificationRow(
                user_id=user_id, kind=kind.value, request_id=request.id,
                reference=request.reference, created_at=now, occasion=occasion,
            )
        )  # fmt: skip
    session.flush()
    return len(wanted - already)


def holders_or_team(session: Session, request: RequestRow, roles=CASE_ROLES) -> set[int]:
    """The users the request is assigned to; if nobody, the active users in `roles` of the
    authority that holds it."""
    assigned = set(
        session.scalars(select(AssignmentRow.user_id).where(AssignmentRow.request_id == request.id))
    )
    if assigned:
        return assigned
    return set(
        session.scalars(
            select(UserRow.id).where(
                UserRow.authority_id == request.authority_id,
                UserRow.role.in_(roles),
                UserRow.active.is_(True),
            )
        )
    )


def supervisors_of(session: Session, request: RequestRow, *, besides: set[int]) -> set[int]:
    ids = session.scalars(
        select(UserRow.id).where(
            UserRow.authority_id == request.authority_id,
            UserRow.role == "supervisor",
            UserRow.active.is_(True),
        )
    )
    return set(ids) - besides


# --- the acts that notify (called by their services, in their transaction) -----------------


def on_assigned(session: Session, request: RequestRow, user_id: int, now: datetime) -> None:
    notify(session, user_ids={user_id}, kind=NoticeKind.ASSIGNMENT, request=request,
           occasion=f"assign:{request.id}", now=now)  # fmt: skip


def on_decision_proposed(
    session: Session, request_id: int, decision_id: int, proposer: int, now: datetime
) -> None:
    request = session.get(RequestRow, request_id)
    if request is not None:
        notify(session, user_ids=supervisors_of(session, request, besides={proposer}),
               kind=NoticeKind.APPROVAL_NEEDED, request=request,
               occasion=f"approval_needed:{decision_id}", now=now)  # fmt: skip


def on_decision_approved(
    session: Session, request_id: int, decision_id: int, proposer: int, now: datetime
) -> None:
    request = session.get(RequestRow, request_id)
    if request is not None:
        notify(session, user_ids={proposer}, kind=NoticeKind.APPROVAL_GIVEN, request=request,
               occasion=f"approval_given:{decision_id}", now=now)  # fmt: skip


def on_message_received(session: Session, request_id: int, message_id: str, now: datetime) -> None:
    request = session.get(RequestRow, request_id)
    if request is not None:
        notify(session, user_ids=holders_or_team(session, request),
               kind=NoticeKind.MESSAGE_RECEIVED, request=request,
               occasion=f"message:{message_id}", now=now)  # fmt: skip


def notify_deadlines(session: Session, *, today: date, now: datetime, within_days: int) -> dict:
    """Remind the holders of every open request whose deadline falls from today to
    `within_days` ahead, or is missed: one reminder per deadline and user."""
    rows = session.execute(
        select(DeadlineRow, RequestRow)
        .join(RequestRow, RequestRow.id == DeadlineRow.request_id)
        .where(RequestRow.status.in_([s.value for s in OPEN_STATUSES]))
        .where(DeadlineRow.due <= today + timedelta(days=within_days))
        .order_by(DeadlineRow.due, RequestRow.id)
    ).all()
    added = 0
    for deadline, request in rows:
        added += notify(
            session, user_ids=holders_or_team(session, request), kind=NoticeKind.DEADLINE_NEAR,
            request=request, occasion=deadline_occasion(request.id, deadline.kind, deadline.due),
            now=now,
        )  # fmt: skip
    record(
        session, actor="system", action=AuditAction.COLLECTION, tag="system:notice:deadlines",
        subject_type="notices", subject_id="deadlines", why="deadline reminders (cron)", at=now,
        details={"deadlines": len(rows), "notices": added, "within_days": within_days},
    )  # fmt: skip
    return {"deadlines": len(rows), "notices": added}


# --- reading in the app -------------------------------------------------------------------


def notices_for(session: Session, principal: Principal, *, limit: int = 100) -> list[dict]:
    rows = session.scalars(
        select(NotificationRow)
        .where(NotificationRow.user_id == principal.user_id)
        .order_by(NotificationRow.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": r.id, "kind": r.kind, "request_id": r.request_id, "reference": r.reference,
         "at": r.created_at.isoformat(), "read": r.read_at is not None}
        for r in rows
    ]  # fmt: skip


def unread_count(session: Session, principal: Principal) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                NotificationRow.user_id == principal.user_id, NotificationRow.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(
    session: Session, principal: Principal, notice_id: int | None, *, now: datetime, why: str
) -> int:
    """Mark one of my notices (or all, with None) as read; another's is never touched."""
    query = update(NotificationRow).where(
        NotificationRow.user_id == principal.user_id, NotificationRow.read_at.is_(None)
    )
    if notice_id is not None:
        query = query.where(NotificationRow.id == notice_id)
    changed = session.execute(query.values(read_at=now)).rowcount or 0
    if changed:
        record(
            session, actor=principal.username, action=AuditAction.ALTERATION,
            tag=f"{principal.role.value}:notice:read", subject_type="user",
            subject_id=principal.user_id, why=why, at=now,
            details={"notice": notice_id, "count": changed},
        )  # fmt: skip
    return changed


def set_address(session: Session, user_id: int, email: str | None, *, actor: str, now: datetime):
    """Where a user's notices are e-mailed; None stops e-mail (notices stay in the app)."""
    row = session.get(NoticeAddressRow, user_id)
    if email is None:
        session.execute(delete(NoticeAddressRow).where(NoticeAddressRow.user_id == user_id))
    elif row is None:
        session.add(NoticeAddressRow(user_id=user_id, email=email))
    else:
        row.email = email
    session.flush()
    record(
        session, actor=actor, action=AuditAction.ALTERATION, tag="admin:notice:address",
        subject_type="user", subject_id=user_id, why="notice e-mail address", at=now,
        details={"set": email is not None},
    )  # fmt: skip


# --- e-mail (the outbox) --------------------------------------------------------------------


def send_pending(session: Session, mailer: Mailer, *, base_url: str, now: datetime) -> dict:
    """E-mail every notice not yet sent to a user with an address: the reference and a
    link only. A failure is counted and retried next time, up to MAX_ATTEMPTS."""
    rows = session.execute(
        select(NotificationRow, NoticeAddressRow.email)
        .join(NoticeAddressRow, NoticeAddressRow.user_id == NotificationRow.user_id)
        .where(NotificationRow.emailed_at.is_(None))
        .where(NotificationRow.email_attempts < MAX_ATTEMPTS)
        .order_by(NotificationRow.id)
    ).all()
    sent = failed = 0
    for notice, email in rows:
        link = f"{base_url.rstrip('/')}/requests/{notice.request_id}"
        notice.email_attempts += 1
        try:
            mailer.send(compose(notice.kind, notice.reference, link, email))
        except OSError:  # the SMTP server refused or is down (smtplib errors are OSErrors)
            failed += 1
            continue
        notice.emailed_at = now
        sent += 1
    session.flush()
    if rows:
        record(
            session, actor="system", action=AuditAction.DISCLOSURE, tag="system:notice:email",
            subject_type="notices", subject_id="email", why="notices by e-mail", at=now,
            details={"sent": sent, "failed": failed},
        )  # fmt: skip
    return {"sent": sent, "failed": failed}
