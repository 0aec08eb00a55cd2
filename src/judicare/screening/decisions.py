"""The decision on a request: a person's, with reasons that cite the findings or another
provision. Refusals and decisions taken despite a high-severity finding need a second
person, a supervisor, to approve them (four-eyes); until then nothing changes. Where the
instrument requires it, the requesting state is consulted before a refusal."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.errors import Conflict, InvalidInput
from judicare.legal_basis.service import LegalBasisService
from judicare.notifications import service as notices
from judicare.requests.domain import DecisionStatus, RequestStatus
from judicare.requests.models import RequestRow
from judicare.requests.schemas import TransitionIn
from judicare.requests.service import audit_request_act, load_for, transition_request
from judicare.screening.models import DecisionDraftRow, DecisionRow, FollowUpRow
from judicare.screening.service import screen_stored


class Outcome(enum.StrEnum):
    GRANT = "grant"
    GRANT_WITH_CONDITIONS = "grant_with_conditions"
    POSTPONE = "postpone"
    REQUEST_MORE_INFORMATION = "request_more_information"
    REFUSE = "refuse"


STATUS_OF = {
    Outcome.GRANT: RequestStatus.ACCEPTED,
    Outcome.GRANT_WITH_CONDITIONS: RequestStatus.ACCEPTED,
    Outcome.POSTPONE: RequestStatus.POSTPONED,
    Outcome.REQUEST_MORE_INFORMATION: RequestStatus.NEEDS_INFORMATION,
    Outcome.REFUSE: RequestStatus.REFUSED,
}

# The statuses in which a request waits for a decision (the decision form is offered).
DECIDABLE = (RequestStatus.UNDER_REVIEW, RequestStatus.NEEDS_INFORMATION, RequestStatus.POSTPONED)


class ReasonCitation(BaseModel):
    """Either a finding of the screening report (its ground) or an instrument's article."""

    model_config = ConfigDict(extra="forbid")
    finding: str | None = Field(default=None, max_length=64)
    instrument: str | None = Field(default=None, max_length=64)
    article: str | None = Field(default=None, max_length=40)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Outcome
    reasons: str = Field(min_length=1, max_length=20000)
    citations: list[ReasonCitation] = Field(min_length=1, max_length=50)
    conditions: str = Field(default="", max_length=8000)
    consulted: bool = Field(default=False, description="the requesting state was consulted")


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    approve: bool
    note: str = Field(min_length=1, max_length=8000)


class NeedsApproval(Conflict):
    code = "awaiting_supervisor"
    http_status = 409


def propose(
    session: Session,
    principal: Principal,
    basis: LegalBasisService,
    request_id: int,
    decision: DecisionIn,
    *,
    now: datetime,
    why: str,
) -> dict:
    row = load_for(session, principal, request_id, Permission.REQUEST_DECIDE)
    pending = session.scalar(
        select(DecisionRow.id).where(
            DecisionRow.request_id == row.id,
            DecisionRow.status == DecisionStatus.PENDING_APPROVAL.value,
        )
    )
    if pending:
        raise NeedsApproval(f"decision {pending} on this request awaits a supervisor's approval")
    report, citations = _checked(session, basis, principal, row.id, decision, now=now)
    high = [f for f in report["findings"] if f["severity"] == "high"]
    requires_approval = decision.outcome is Outcome.REFUSE or bool(high)
    entry = DecisionRow(
        request_id=row.id,
        outcome=decision.outcome.value,
        reasons=decision.reasons,
        citations=citations,
        conditions=decision.conditions,
        consulted=decision.consulted,
        requires_approval=requires_approval,
        status=DecisionStatus.PENDING_APPROVAL.value
        if requires_approval
        else DecisionStatus.EFFECTIVE.value,
        findings=[
            {
                "ground": f["ground"],
                "severity": f["severity"],
                "category": f["category"],
                "follow_up": f.get("follow_up"),
            }
            for f in report["findings"]
        ],
        proposed_by=principal.user_id,
        proposed_at=now,
    )
    session.add(entry)
    session.flush()
    audit_request_act(
        session,
        principal,
        row.id,
        AuditAction.ALTERATION,
        "decision:propose",
        why=why,
        now=now,
        details={
            "decision": entry.id,
            "outcome": entry.outcome,
            "requires_approval": requires_approval,
            "high_findings": [f["ground"] for f in high],
        },
    )
    if requires_approval:
        notices.on_decision_proposed(session, row.id, entry.id, principal.user_id, now)
    if not requires_approval:
        _apply(session, principal, entry, now=now, why=why)
    return decision_view(entry)


def _checked(
    session: Session,
    basis: LegalBasisService,
    principal: Principal,
    request_id: int,
    decision: DecisionIn,
    *,
    now: datetime,
) -> tuple[dict, list[dict]]:
    """The screening report and the decision's citations, once they are found valid: each
    cites a finding of the report, or an instrument (and article); a refusal where the
    instrument requires consulting the requesting state first records that consultation."""
    report = screen_stored(session, basis, principal, request_id, now=now,
                           why="decision: screening")  # fmt: skip
    grounds = {f["ground"] for f in report["findings"]}
    citations = [c.model_dump(exclude_none=True) for c in decision.citations]
    for cited in citations:
        if "finding" in cited and cited["finding"] not in grounds:
            raise InvalidInput(
                f"the reasons cite the finding {cited['finding']!r}, which the screening report "
                f"does not contain (findings: {', '.join(sorted(grounds)) or 'none'})"
            )
        if "finding" not in cited and not cited.get("instrument"):
            raise InvalidInput("each citation names a finding, or an instrument and article")
    if (
        decision.outcome is Outcome.REFUSE
        and report["consultation_before_refusal"]
        and not decision.consulted
    ):
        names = ", ".join(c["instrument"] for c in report["consultation_before_refusal"])
        raise Conflict(
            f"consult the requesting state before refusing ({names} requires it; citation "
            "unverified): record the consultation, then decide with consulted=true"
        )
    return report, citations


def approve(
    session: Session,
    principal: Principal,
    decision_id: int,
    approval: ApprovalIn,
    *,
    now: datetime,
    why: str,
) -> dict:
    """A supervisor, not the person who proposed it, approves or rejects a decision."""
    entry = _decision_for(session, principal, decision_id, Permission.DECISION_APPROVE)
    if entry.status != DecisionStatus.PENDING_APPROVAL.value:
        raise Conflict(f"decision {decision_id} is {entry.status}, not awaiting approval")
    if entry.proposed_by == principal.user_id:
        raise Conflict("four-eyes: the person who proposed a decision cannot approve it")
    drafted_by = session.scalar(
        select(DecisionDraftRow.drafted_by).where(DecisionDraftRow.decision_id == entry.id)
    )
    if drafted_by == principal.user_id:
        raise Conflict("four-eyes: the person who drafted a decision cannot approve it")
    entry.approved_by, entry.approved_at, entry.approval_note = (
        principal.user_id,
        now,
        approval.note,
    )
    entry.status = (
        DecisionStatus.EFFECTIVE.value if approval.approve else DecisionStatus.REJECTED.value
    )
    session.flush()
    verdict = "approve" if approval.approve else "reject"
    audit_request_act(
        session, principal, entry.request_id, AuditAction.ALTERATION, f"decision:{verdict}",
        why=why, now=now, details={"decision": entry.id, "note": approval.note},
    )  # fmt: skip
    if approval.approve:
        _apply(session, principal, entry, now=now, why=why)
        notices.on_decision_approved(session, entry.request_id, entry.id, entry.proposed_by, now)
    return decision_view(entry)


def _decision_for(
    session: Session, principal: Principal, decision_id: int, permission: Permission
) -> DecisionRow:
    """The decision, if the principal may act on its request. A decision on a request out
    of the principal's need-to-know answers exactly as a decision that does not exist
    (same error, same message), so that its existence is not disclosed."""
    return _on_a_request(session, principal, DecisionRow, decision_id, permission, "decision")


def _on_a_request(session, principal: Principal, row_type, row_id: int, permission, what: str):
    """A row that belongs to a request (a decision, a draft), if the principal may act on
    that request; else the same 404 as a row that does not exist."""
    authorize(principal, permission)
    entry = session.get(row_type, row_id)
    hidden = NotFound(f"{what} {row_id} not found")
    if entry is None:
        raise hidden
    try:
        load_for(session, principal, entry.request_id, permission)
    except NotFound:
        raise hidden from None
    return entry


def _apply(session, principal, entry: DecisionRow, *, now, why) -> None:
    """Carry an effective decision into the request's lifecycle, and open its follow-ups
    (a refusal on nationality obliges the requested state to prosecute instead)."""
    row = session.get(RequestRow, entry.request_id)
    move = TransitionIn(
        status=STATUS_OF[Outcome(entry.outcome)],
        reasons=entry.reasons + (f"\nConditions: {entry.conditions}" if entry.conditions else ""),
        citations=[
            {
                "instrument": c.get("instrument") or f"finding:{c['finding']}",
                "article": c.get("article"),
            }
            for c in entry.citations
        ],
    )
    transition_request(
        session, principal, row.id, move, if_match=f'"{row.version}"', now=now, why=why,
        decision_id=entry.id,
    )  # fmt: skip
    if Outcome(entry.outcome) is Outcome.REFUSE:
        for finding in entry.findings:
            follow = finding.get("follow_up")
            if follow:
                session.add(
                    FollowUpRow(
                        request_id=row.id,
                        decision_id=entry.id,
                        kind=follow["kind"],
                        description=follow["description"],
                        citations=follow["citations"],
                    )
                )
        session.flush()
        # aut dedere aut judicare: the duty to prosecute the refusal creates, tracked to its end
        from judicare.prosecution.service import create_for_refusal

        create_for_refusal(session, principal, row, entry, now=now, why=why)


def _proposal_view(entry: DecisionRow | DecisionDraftRow) -> dict:
    """What a decision and a draft both say: the outcome, its reasons and citations."""
    return {
        "id": entry.id,
        "request_id": entry.request_id,
        "outcome": entry.outcome,
        "reasons": entry.reasons,
        "citations": entry.citations,
        "conditions": entry.conditions,
        "consulted": entry.consulted,
    }


def decision_view(entry: DecisionRow) -> dict:
    return {
        **_proposal_view(entry),
        "requires_approval": entry.requires_approval,
        "status": entry.status,
        "findings": entry.findings,
        "proposed_by": entry.proposed_by,
        "approved_by": entry.approved_by,
    }


def decisions_on(session: Session, principal: Principal, request_id: int) -> list[dict]:
    """Every decision proposed on a request, oldest first, with its approval."""
    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.scalars(
        select(DecisionRow).where(DecisionRow.request_id == request_id).order_by(DecisionRow.id)
    ).all()
    return [
        {
            **decision_view(r),
            "proposed_at": r.proposed_at.isoformat(),
            "approval_note": r.approval_note,
        }
        for r in rows
    ]


def follow_ups(session: Session, principal: Principal, request_id: int) -> list[dict]:
    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.scalars(select(FollowUpRow).where(FollowUpRow.request_id == request_id)).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "description": r.description,
            "citations": r.citations,
            "status": r.status,
        }
        for r in rows
    ]


def awaiting_approval(session: Session, principal: Principal) -> list[dict]:
    """Decisions on requests of my authority that wait for a supervisor (not my own)."""
    authorize(principal, Permission.DECISION_APPROVE)
    rows = session.execute(
        select(DecisionRow, RequestRow.reference)
        .join(RequestRow, RequestRow.id == DecisionRow.request_id)
        .where(RequestRow.authority_id == principal.authority_id)
        .where(DecisionRow.status == DecisionStatus.PENDING_APPROVAL.value)
        .order_by(DecisionRow.proposed_at)
        .limit(50)
    ).all()
    return [
        {**decision_view(row), "reference": reference, "mine": row.proposed_by == principal.user_id}
        for row, reference in rows
    ]


# --- drafts: prepared by an officer, proposed (or sent back) by a reviewer or supervisor ---


class DraftReviewIn(BaseModel):
    """A reviewer's or supervisor's answer to a draft: propose it as the decision (it then
    follows the decision's rules, four-eyes included), or send it back with a reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: Literal["propose", "return"]
    note: str = Field(
        default="", max_length=8000, description="required when sending the draft back"
    )


class DraftAwaitingReview(Conflict):
    code = "draft_awaiting_review"
    http_status = 409


def prepare_draft(
    session: Session,
    principal: Principal,
    basis: LegalBasisService,
    request_id: int,
    draft: DecisionIn,
    *,
    now: datetime,
    why: str,
) -> dict:
    """An officer prepares a decision for a reviewer or supervisor: checked as a decision
    is (reasons, citations of the report's findings or of an article), changing nothing on
    the request until someone who may decide proposes it."""
    row = load_for(session, principal, request_id, Permission.DECISION_DRAFT)
    _no_pending(session, row.id)
    current = RequestStatus(row.status)
    if current not in DECIDABLE:
        raise Conflict(
            f"a request that is {current.value} is not to be decided now (a decision is taken "
            f"on a request that is {', '.join(s.value for s in DECIDABLE)})"
        )
    _report, citations = _checked(session, basis, principal, row.id, draft, now=now)
    entry = DecisionDraftRow(
        request_id=row.id,
        outcome=draft.outcome.value,
        reasons=draft.reasons,
        citations=citations,
        conditions=draft.conditions,
        consulted=draft.consulted,
        status="awaiting_review",
        drafted_by=principal.user_id,
        drafted_at=now,
        review_note="",
    )
    session.add(entry)
    session.flush()
    audit_request_act(
        session, principal, row.id, AuditAction.ALTERATION, "decision:draft", why=why, now=now,
        details={"draft": entry.id, "outcome": entry.outcome},
    )  # fmt: skip
    return draft_view(entry)


def review_draft(
    session: Session,
    principal: Principal,
    basis: LegalBasisService,
    draft_id: int,
    review: DraftReviewIn,
    *,
    now: datetime,
    why: str,
) -> dict:
    """A reviewer or supervisor, never the draft's author, proposes the draft as the
    decision (which then needs a supervisor's approval exactly as any decision does, and
    the draft's author may not give it) or sends it back with a reason."""
    entry = _draft_for(session, principal, draft_id, Permission.REQUEST_DECIDE)
    if entry.status != "awaiting_review":
        raise Conflict(f"draft {draft_id} is {entry.status}, not awaiting review")
    if entry.drafted_by == principal.user_id:
        raise Conflict("four-eyes: the person who drafted a decision cannot review it")
    if review.action == "return" and not review.note:
        raise InvalidInput("say why the draft is sent back (note)")
    if review.action == "propose":
        body = DecisionIn(
            outcome=Outcome(entry.outcome), reasons=entry.reasons,
            citations=[ReasonCitation(**c) for c in entry.citations],
            conditions=entry.conditions, consulted=entry.consulted,
        )  # fmt: skip
        decision = propose(session, principal, basis, entry.request_id, body, now=now, why=why)
        entry.decision_id = decision["id"]
    entry.status = "proposed" if review.action == "propose" else "returned"
    entry.reviewed_by, entry.reviewed_at, entry.review_note = principal.user_id, now, review.note
    session.flush()
    audit_request_act(
        session, principal, entry.request_id, AuditAction.ALTERATION,
        f"decision:draft_{'propose' if review.action == 'propose' else 'return'}",
        why=why, now=now,
        details={"draft": entry.id, "decision": entry.decision_id, "note": review.note},
    )  # fmt: skip
    return draft_view(entry)


def drafts_on(session: Session, principal: Principal, request_id: int) -> list[dict]:
    """Every draft decision prepared on a request, oldest first."""
    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.scalars(
        select(DecisionDraftRow)
        .where(DecisionDraftRow.request_id == request_id)
        .order_by(DecisionDraftRow.id)
    ).all()
    return [draft_view(r) for r in rows]


def draft_authors(session: Session, principal: Principal, request_id: int) -> dict[int, int]:
    """decision id -> the user who drafted it, for the decisions that came from a draft."""
    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.execute(
        select(DecisionDraftRow.decision_id, DecisionDraftRow.drafted_by).where(
            DecisionDraftRow.request_id == request_id, DecisionDraftRow.decision_id.is_not(None)
        )
    ).all()
    return {decision: author for decision, author in rows}


def draft_view(entry: DecisionDraftRow) -> dict:
    return {
        **_proposal_view(entry),
        "status": entry.status,
        "drafted_by": entry.drafted_by,
        "drafted_at": entry.drafted_at.isoformat(),
        "reviewed_by": entry.reviewed_by,
        "review_note": entry.review_note,
        "decision_id": entry.decision_id,
    }


def _no_pending(session: Session, request_id: int) -> None:
    draft = session.scalar(
        select(DecisionDraftRow.id).where(
            DecisionDraftRow.request_id == request_id,
            DecisionDraftRow.status == "awaiting_review",
        )
    )
    if draft:
        raise DraftAwaitingReview(f"draft {draft} on this request awaits a reviewer")
    pending = session.scalar(
        select(DecisionRow.id).where(
            DecisionRow.request_id == request_id,
            DecisionRow.status == DecisionStatus.PENDING_APPROVAL.value,
        )
    )
    if pending:
        raise NeedsApproval(f"decision {pending} on this request awaits a supervisor's approval")


def _draft_for(
    session: Session, principal: Principal, draft_id: int, permission: Permission
) -> DecisionDraftRow:
    """The draft, if the principal may act on its request; else the same 404 as a draft
    that does not exist."""
    return _on_a_request(session, principal, DecisionDraftRow, draft_id, permission, "draft")


def drafts_awaiting_review(session: Session, principal: Principal) -> list[dict]:
    """Draft decisions on requests of my authority that wait for a reviewer (not my own)."""
    authorize(principal, Permission.REQUEST_DECIDE)
    rows = session.execute(
        select(DecisionDraftRow, RequestRow.reference)
        .join(RequestRow, RequestRow.id == DecisionDraftRow.request_id)
        .where(RequestRow.authority_id == principal.authority_id)
        .where(DecisionDraftRow.status == "awaiting_review")
        .where(DecisionDraftRow.drafted_by != principal.user_id)
        .order_by(DecisionDraftRow.drafted_at)
        .limit(50)
    ).all()
    return [{**draft_view(row), "reference": reference} for row, reference in rows]
