"""Analysts' assessments of a country along the UN Framework (2014), with four-eyes review:
an analyst drafts, another person (never the author) approves or sends it back with a reason.
Need-to-know: an authority sees only its own assessments. Every write is audited and commits
whole or not at all (the caller's unit of work)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.errors import Conflict, InvalidInput
from judicare.prevention.framework import FRAMEWORK_ID, compare, parse_ratings
from judicare.prevention.models import AssessmentRow
from judicare.states import resolve_state

AWAITING, APPROVED, RETURNED = "awaiting_review", "approved", "returned"


def _audit(session: Session, principal: Principal, row: AssessmentRow, act: str, *,
           now: datetime, why: str, details: dict[str, Any]) -> None:  # fmt: skip
    record(
        session,
        actor=principal.username,
        action=AuditAction.ALTERATION if act != "draft" else AuditAction.COLLECTION,
        tag=f"{principal.username}:assessment:{act}",
        subject_type="assessment",
        subject_id=row.id,
        why=why,
        at=now,
        details={"state": row.iso3, **details},
    )


def draft(
    session: Session,
    principal: Principal,
    state: str,
    ratings: Sequence[Mapping[str, Any]],
    summary: str,
    *,
    now: datetime,
    why: str = "atrocity-risk assessment",
) -> dict[str, Any]:
    authorize(principal, Permission.ASSESSMENT_DRAFT)
    iso3 = resolve_state(state).alpha3
    parsed = parse_ratings(ratings)
    if not summary.strip():
        raise InvalidInput("summary: give the assessment's overall reading in a few sentences")
    row = AssessmentRow(
        authority_id=principal.authority_id,
        iso3=iso3,
        framework=FRAMEWORK_ID,
        summary=summary.strip(),
        ratings=[r.as_dict() for r in parsed],
        status=AWAITING,
        drafted_by=principal.user_id,
        drafted_at=now,
        review_note="",
    )
    session.add(row)
    session.flush()
    _audit(session, principal, row, "draft", now=now, why=why,
           details={"rated": [r.factor for r in parsed if r.rating != "not_assessed"]})  # fmt: skip
    return view(row)


def _visible(session: Session, principal: Principal, assessment_id: int) -> AssessmentRow:
    row = session.get(AssessmentRow, assessment_id)
    if row is None or row.authority_id != principal.authority_id:
        raise NotFound(f"assessment {assessment_id} not found")
    return row


def review(
    session: Session,
    principal: Principal,
    assessment_id: int,
    action: str,
    note: str = "",
    *,
    now: datetime,
    why: str = "four-eyes review of an assessment",
) -> dict[str, Any]:
    authorize(principal, Permission.ASSESSMENT_REVIEW)
    row = _visible(session, principal, assessment_id)
    if action not in ("approve", "return"):
        raise InvalidInput(f"action {action!r}: use approve or return")
    if row.status != AWAITING:
        raise Conflict(f"assessment {assessment_id} is {row.status}, not awaiting review")
    if row.drafted_by == principal.user_id:
        raise Conflict("four-eyes: the person who drafted an assessment cannot review it")
    if action == "return" and not note.strip():
        raise InvalidInput("note: say why the assessment is sent back")
    row.status = APPROVED if action == "approve" else RETURNED
    row.reviewed_by, row.reviewed_at, row.review_note = principal.user_id, now, note.strip()
    session.flush()
    _audit(session, principal, row, action, now=now, why=why, details={"note": row.review_note})
    return view(row)


def history(session: Session, principal: Principal, state: str) -> list[dict[str, Any]]:
    """The authority's assessments of a state, newest first; each approved one with the factors
    that changed since the approved one before it."""
    authorize(principal, Permission.ASSESSMENT_READ)
    iso3 = resolve_state(state).alpha3
    rows = session.scalars(
        select(AssessmentRow)
        .where(AssessmentRow.authority_id == principal.authority_id, AssessmentRow.iso3 == iso3)
        .order_by(AssessmentRow.drafted_at, AssessmentRow.id)
    ).all()
    out, previous = [], None
    for row in rows:
        entry = view(row)
        if row.status == APPROVED:
            entry["changes"] = compare(previous.ratings, row.ratings) if previous else None
            previous = row
        out.append(entry)
    return list(reversed(out))


def latest_approved(session: Session, principal: Principal, state: str) -> dict[str, Any] | None:
    return next((e for e in history(session, principal, state) if e["status"] == APPROVED), None)


def view(row: AssessmentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": row.iso3,
        "framework": row.framework,
        "summary": row.summary,
        "ratings": row.ratings,
        "status": row.status,
        "drafted_by": row.drafted_by,
        "drafted_at": row.drafted_at.isoformat(),
        "reviewed_by": row.reviewed_by,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_note": row.review_note,
    }
