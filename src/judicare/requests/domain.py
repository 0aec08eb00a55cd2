"""Pure values and rules of the request register: the catalogues, the lifecycle and the
deadlines. No I/O."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from judicare.errors import JudicareError


class Direction(enum.StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    UNDER_REVIEW = "under_review"
    NEEDS_INFORMATION = "needs_information"
    ACCEPTED = "accepted"
    IN_EXECUTION = "in_execution"
    EXECUTED = "executed"
    PARTIALLY_EXECUTED = "partially_executed"
    CLOSED = "closed"
    REFUSED = "refused"
    POSTPONED = "postponed"
    WITHDRAWN = "withdrawn"


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    VERY_URGENT = "very_urgent"


class Confidentiality(enum.StrEnum):
    NORMAL = "normal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"


class Measure(enum.StrEnum):
    """What a request asks for (the catalogue of the request-register issue)."""

    HEARING_WITNESS = "hearing_witness"
    HEARING_SUSPECT = "hearing_suspect"
    HEARING_EXPERT = "hearing_expert"
    VIDEOCONFERENCE_HEARING = "videoconference_hearing"
    SERVICE_OF_DOCUMENTS = "service_of_documents"
    SEARCH_AND_SEIZURE = "search_and_seizure"
    PRODUCTION_OF_RECORDS = "production_of_records"
    IDENTIFICATION_OF_PERSONS = "identification_of_persons"
    TRACING_OF_ASSETS = "tracing_of_assets"
    FREEZING = "freezing"
    SEIZURE_OF_ASSETS = "seizure_of_assets"
    CONFISCATION = "confiscation"
    TEMPORARY_TRANSFER_OF_DETAINED_PERSON = "temporary_transfer_of_detained_person"
    EXHUMATION_AND_FORENSIC_EXAMINATION = "exhumation_and_forensic_examination"
    SPONTANEOUS_INFORMATION = "spontaneous_information"
    JOINT_INVESTIGATION_TEAM = "joint_investigation_team"


class PersonRole(enum.StrEnum):
    SUSPECT = "suspect"
    ACCUSED = "accused"
    PERSON_SOUGHT = "person_sought"
    WITNESS = "witness"
    VICTIM = "victim"
    EXPERT = "expert"


class LinkType(enum.StrEnum):
    SUPPLEMENTARY = "supplementary"  # the linked request supplements this one
    RELATED = "related"
    COMPETING = "competing"  # competing requests for the same person


S = RequestStatus
# The lifecycle: from each status, where a request may go next.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.RECEIVED: frozenset({S.REGISTERED, S.WITHDRAWN}),
    S.REGISTERED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN}),
    S.UNDER_REVIEW: frozenset(
        {S.NEEDS_INFORMATION, S.ACCEPTED, S.REFUSED, S.POSTPONED, S.WITHDRAWN}
    ),
    S.NEEDS_INFORMATION: frozenset({S.UNDER_REVIEW, S.REFUSED, S.WITHDRAWN}),
    S.POSTPONED: frozenset({S.UNDER_REVIEW, S.ACCEPTED, S.REFUSED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.IN_EXECUTION, S.POSTPONED, S.WITHDRAWN}),
    S.IN_EXECUTION: frozenset({S.EXECUTED, S.PARTIALLY_EXECUTED, S.POSTPONED, S.WITHDRAWN}),
    S.EXECUTED: frozenset({S.CLOSED}),
    S.PARTIALLY_EXECUTED: frozenset({S.IN_EXECUTION, S.CLOSED}),
    S.REFUSED: frozenset({S.CLOSED}),
    S.WITHDRAWN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
# Decisions: a person decides, with reasons and citations, and (for a refusal, or despite a
# high finding) a second person approves. These statuses are reached only by applying such a
# decision (`check_decided`), never by an operational step.
DECISIONS = frozenset({S.ACCEPTED, S.REFUSED, S.POSTPONED})
OPEN_STATUSES = frozenset(set(S) - {S.CLOSED, S.REFUSED, S.WITHDRAWN, S.EXECUTED})
DECISION_ROUTE = "POST /api/v1/requests/{id}/decisions (the decision form on the request page)"


class TransitionNotAllowed(JudicareError):
    code = "transition_not_allowed"
    exit_code = 3
    http_status = 409


class DecisionIncomplete(JudicareError):
    code = "decision_needs_reasons"
    exit_code = 3
    http_status = 422


class DecisionRequired(JudicareError):
    """A decision's status asked for without a decision that has taken effect."""

    code = "decision_required"
    exit_code = 3
    http_status = 409


class WithdrawalNeedsReason(JudicareError):
    code = "withdrawal_needs_reason"
    exit_code = 2
    http_status = 422


class DecisionStatus(enum.StrEnum):
    """Where a recorded decision stands (`screening.decisions`)."""

    PENDING_APPROVAL = "pending_approval"  # four-eyes: waits for a second person
    EFFECTIVE = "effective"
    REJECTED = "rejected"  # the second person did not approve it


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision as stored, offered as the ground for a change of status: what it produces
    and where its approval stands (`proposed_by`, `approved_by`: user ids)."""

    decision_id: int
    produces: RequestStatus
    status: str  # a DecisionStatus value, as stored (screening.decisions writes them)
    requires_approval: bool
    proposed_by: int
    approved_by: int | None
    already_applied: bool = False


def check_transition(
    current: RequestStatus,
    target: RequestStatus,
    reasons: str,
    citations: Sequence[object],
    *,
    decision: RecordedDecision | None = None,
    request_id: int | None = None,
) -> None:
    """Refuse a transition the lifecycle does not allow, a decision's status without a
    decision in effect (`check_decided`), a decision without reasons and at least one
    citation, or a withdrawal without its reason."""
    check_lifecycle(current, target)
    check_decided(target, decision, request_id)
    if target in DECISIONS:
        if not reasons.strip():
            raise DecisionIncomplete(
                f"a decision ({target.value}) needs its reasons: give `reasons`"
            )
        if not citations:
            raise DecisionIncomplete(
                f"a decision ({target.value}) needs at least one citation "
                "(instrument and article, or national law)"
            )
    if target is S.WITHDRAWN and not reasons.strip():
        raise WithdrawalNeedsReason(
            "a withdrawal needs its reason (who withdrew the request, and why): give `reasons`"
        )


def check_decided(
    target: RequestStatus, decision: RecordedDecision | None, request_id: int | None = None
) -> None:
    """Four-eyes cannot be bypassed (issue 13 §2): accepted, refused and postponed are
    the statuses a decision produces, so a request reaches them only by applying a recorded
    decision that produces that very status, has taken effect (approved by a second person
    where `screening.decisions.propose` required it: a refusal, or any decision despite a
    high-severity finding) and was not applied before. Every caller of
    `requests.service.transition_request` (API, web pages, demo data) meets this rule here;
    no exchange message sets a status."""
    if target not in DECISIONS:
        return
    route = DECISION_ROUTE.replace("{id}", str(request_id) if request_id else "{id}")
    if decision is None:
        raise DecisionRequired(
            f"{target.value} is the outcome of a decision, not a step of the lifecycle: "
            f"propose the decision with {route}; a refusal, or a decision despite a high "
            "finding, takes effect when a supervisor approves it"
        )
    if decision.produces is not target:
        raise DecisionRequired(
            f"decision {decision.decision_id} produces {decision.produces.value}, "
            f"not {target.value}"
        )
    if decision.status != DecisionStatus.EFFECTIVE:
        raise DecisionRequired(
            f"decision {decision.decision_id} is {decision.status}, not in effect: "
            "it changes nothing until a supervisor approves it"
        )
    if decision.requires_approval and decision.approved_by in (None, decision.proposed_by):
        raise DecisionRequired(
            f"four-eyes: decision {decision.decision_id} needs the approval of a second "
            "person, not of the one who proposed it"
        )
    if decision.already_applied:
        raise DecisionRequired(
            f"decision {decision.decision_id} was already applied: propose a new decision "
            f"with {route}"
        )


def check_lifecycle(current: RequestStatus, target: RequestStatus) -> None:
    """Refuse a transition the lifecycle (`TRANSITIONS`) does not allow."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        nexts = ", ".join(sorted(s.value for s in allowed)) or "none: the request is closed"
        raise TransitionNotAllowed(
            f"a request cannot go from {current.value} to {target.value}; allowed next: {nexts}"
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: str  # requested_execution, provisional_arrest_release_possible, ...
    due: date
    citation: str | None
    source_url: str | None = None
    note: str = ""


# --- overdue: the one rule (lists, dashboard, the SQL filter in requests.queries) ------------


def deadline_missed(due: date, today: date) -> bool:
    """A deadline is missed from the day after its due date."""
    return due < today


def is_overdue(status: str, dues: Iterable[date], today: date) -> bool:
    """A request is overdue while it is open (OPEN_STATUSES) and one of its deadlines is
    missed. `requests.queries` writes the same rule in SQL (`overdue_clause`)."""
    return status in OPEN_STATUSES and any(deadline_missed(due, today) for due in dues)


def time_limits_from_instrument(
    instrument_time_limits: list[dict[str, Any]], kind: str, start: date
) -> list[Deadline]:
    """Deadlines an instrument sets for this kind of request, counted from `start` (the date
    of receipt or of the arrest), as held in the instrument's data with its article."""
    found = []
    for limit in instrument_time_limits:
        if limit.get("kind") != kind:
            continue
        found.append(
            Deadline(
                kind=limit["name"],
                due=start + timedelta(days=int(limit["days"])),
                citation=f"{limit['instrument']} art. {limit['article']}",
                source_url=limit.get("source_url"),
                note=limit.get("note", ""),
            )
        )
    return found
