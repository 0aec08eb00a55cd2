"""Competing requests (issue 20): the person engine finds other requests at this node for
the same person (its identification operating point: precision first) or holding the same
evidence (a document with the same SHA-256 digest); the request page says so within
need-to-know; the decision between two requests is a person's, with reasons, four-eyes,
audited.

Need-to-know: a request the reader may see is shown with its details; a request of another
authority is never named. Its bare existence ("another request exists at this node") is told
only to a role that decides on requests (`Permission.REQUEST_DECIDE`), and nothing more: no
reference, state, count or score."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import NotFound, Permission, Principal, authorize, can
from judicare.competing import rules
from judicare.competing.detection import stored_for, stored_pair
from judicare.competing.models import CompetingDecisionRow
from judicare.db.base import as_utc
from judicare.errors import Conflict, InvalidInput
from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.keys import blocking_keys
from judicare.persons.models import PersonEntryRow, PersonKeyRow
from judicare.persons.points import IDENTIFICATION
from judicare.persons.scoring import score_pair
from judicare.persons.service import request_person_roles
from judicare.requests.access import audit_request_act, load_for
from judicare.requests.domain import OPEN_STATUSES
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.registration import REQUESTS_REGISTER
from judicare.screening.binding import binding_status
from judicare.screening.safeguards import SOUGHT_ROLES
from judicare.states import COURT
from judicare.treaties.service import participation_for

MAX_ID = 2_147_483_647
COURT_INSTRUMENT = "rome-1998"
ECE = "coe-extradition-1957"


def _partial(value: str | None) -> PartialDate | None:
    try:
        return PartialDate.parse(value) if value else None
    except ValueError:
        return None


def matches(session: Session, row: RequestRow) -> dict[int, dict]:
    """Other open requests at this node for the same person or the same evidence, whatever
    their authority: {request id: {"person_score": best score or None, "same_evidence": bool}}.
    For internal use: what a reader is told of them is `competing_view`'s."""
    found: dict[int, dict] = {}
    prefix = f"{row.reference}#"
    for person in row.persons:
        if person.role not in SOUGHT_ROLES or not person.names:
            continue
        names = tuple(n.name for n in person.names)
        query = PersonQuery(names, _partial(person.birth_date), person.nationality)
        keys = sorted(blocking_keys(names))
        if not keys:
            continue
        entries = session.scalars(
            select(PersonEntryRow)
            .where(
                PersonEntryRow.register == REQUESTS_REGISTER,
                PersonEntryRow.id.in_(
                    select(PersonKeyRow.entry_id).where(PersonKeyRow.key.in_(keys))
                ),
            )
            .order_by(PersonEntryRow.id)
        ).all()
        # only the persons sought in the other requests: their role is the request's
        # person's (the entry's status is a protected status, not a role)
        roles = request_person_roles(session, (e.external_id for e in entries))
        entries = [e for e in entries if roles.get(e.external_id) in SOUGHT_ROLES]
        scored: dict[str, float] = {}  # the other request's reference -> best score
        evidence: dict[str, list[dict]] = {}  # the other request's reference -> persons matched
        # The same person in many requests is the same entry content many times: scored once
        # (the score depends on the names, birth date and nationality only).
        known: dict[str, float] = {}
        for entry in entries:
            if entry.external_id.startswith(prefix):
                continue
            same = json.dumps([entry.names, entry.birth_date, entry.nationality],
                              ensure_ascii=False, sort_keys=True)  # fmt: skip
            if same not in known:
                record = PersonRecord(
                    register=entry.register, id=entry.external_id, names=tuple(entry.names),
                    birth_date=_partial(entry.birth_date), nationality=entry.nationality,
                )  # fmt: skip
                known[same] = score_pair(query, record, IDENTIFICATION).score
            score = known[same]
            if score < IDENTIFICATION.threshold:
                continue
            reference = entry.external_id.split("#", 1)[0]
            scored[reference] = max(scored.get(reference, 0.0), score)
            evidence.setdefault(reference, []).append(
                {"person": person.id, "matched": entry.external_id, "score": round(score, 4)}
            )
        for other, reference in _open_requests(session, sorted(scored)):
            if other != row.id:
                slot = found.setdefault(other, _slot())
                slot["person_score"] = max(slot["person_score"] or 0.0, round(scored[reference], 4))
                slot["persons"].extend(evidence[reference])
    digests = select(DocumentRow.sha256).where(DocumentRow.request_id == row.id)
    for other, digest in session.execute(
        select(DocumentRow.request_id, DocumentRow.sha256)
        .join(RequestRow, RequestRow.id == DocumentRow.request_id)
        .where(
            DocumentRow.sha256.in_(digests),
            DocumentRow.request_id != row.id,
            RequestRow.status.in_(sorted(OPEN_STATUSES)),
        )
        .distinct()
        .order_by(DocumentRow.request_id, DocumentRow.sha256)
    ):
        slot = found.setdefault(other, _slot())
        slot["same_evidence"] = True
        slot["digests"].append(digest)
    return found


def _slot() -> dict:
    return {"person_score": None, "same_evidence": False, "persons": [], "digests": []}


CHUNK = 1000  # ids or references in one IN (...)


def _open_requests(session: Session, references: list[str]) -> list[tuple[int, str]]:
    """(id, reference) of the open requests among these references, in a few statements."""
    found: list[tuple[int, str]] = []
    for start in range(0, len(references), CHUNK):
        found.extend(
            (request_id, reference)
            for request_id, reference in session.execute(
                select(RequestRow.id, RequestRow.reference).where(
                    RequestRow.reference.in_(references[start : start + CHUNK]),
                    RequestRow.status.in_(sorted(OPEN_STATUSES)),
                )
            )
        )
    return found


def _binding(session: Session, instrument: str, state: str, on, cache: dict | None = None) -> str:
    """Whether `instrument` binds `state` on `on`; `cache` keeps each instrument's
    participation for the caller's many requests (it is read once per instrument)."""
    if cache is None:
        participation = participation_for(session, instrument)
    else:
        if instrument not in cache:
            cache[instrument] = participation_for(session, instrument)
        participation = cache[instrument]
    return str(binding_status(participation, state, on))


def _court(row: RequestRow) -> bool:
    """A request of the International Criminal Court (requesting "state" XIC)."""
    return row.requesting_state == COURT


class FactsIn(BaseModel):
    """What a person establishes before deciding (unknown facts stay None)."""

    model_config = ConfigDict(extra="forbid")
    same_conduct: bool | None = None
    court_admissibility: str | None = Field(
        default=None, pattern="^(admissible|inadmissible|pending)$"
    )
    obligation_to_extradite: bool | None = None


def facts_of(
    session: Session,
    one: RequestRow,
    other: RequestRow,
    given: FactsIn,
    on,
    cache: dict | None = None,
):
    court = _court(one) or _court(other)
    if court:
        state = other if _court(one) else one
        party = _binding(session, COURT_INSTRUMENT, state.requesting_state, on, cache)
        return rules.CompetingFacts(
            court=True,
            state_is_rome_party={"yes": True, "no": False}.get(party),
            same_conduct=given.same_conduct,
            court_admissibility=given.court_admissibility,
            obligation_to_extradite=given.obligation_to_extradite,
        )
    states = {one.requesting_state, other.requesting_state, one.requested_state}
    bound = {_binding(session, ECE, s, on, cache) for s in states}
    binds = None if "unknown" in bound else bound == {"yes"}
    return rules.CompetingFacts(court=False, ece_binds_all=binds)


def _readable(session: Session, principal: Principal, ids: list[int]) -> list[int]:
    """The ids among `ids` of the requests the principal may read (need-to-know, as
    `load_for`), in a few narrow statements rather than one per request."""
    from judicare.requests.queries import visible_to

    authorize(principal, Permission.REQUEST_READ)
    readable: list[int] = []
    for start in range(0, len(ids), CHUNK):
        readable.extend(
            session.scalars(
                select(RequestRow.id)
                .where(RequestRow.id.in_(ids[start : start + CHUNK]))
                .where(visible_to(principal))
            )
        )
    return readable


def competing_view(
    session: Session,
    principal: Principal,
    request_id: int,
    *,
    now: datetime,
    why: str,
    limit: int | None = None,
) -> dict:
    """What the reader of a request may know of the requests competing with it: all of
    them, or the `limit` closest (`more` says how many others the reader may see)."""
    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    pairs = {  # found at registration, not recomputed here: the other request -> the pair
        (pair.other_request_id if pair.request_id == row.id else pair.request_id): pair
        for pair in stored_for(session, row.id)
    }
    readable = _readable(session, principal, sorted(pairs))
    # Told only while both the competition and that request are open (one statement for
    # all the requests the reader may not see, not one each).
    seen = set(readable)
    unseen = sorted(i for i, pair in pairs.items() if i not in seen and pair.status == "open")
    hidden = any(
        session.scalar(
            select(RequestRow.id)
            .where(RequestRow.id.in_(unseen[start : start + CHUNK]))
            .where(RequestRow.status.in_(sorted(OPEN_STATUSES)))
            .limit(1)
        )
        is not None
        for start in range(0, len(unseen), CHUNK)
    )
    # The closest first (the same person, by score; then the same evidence), `limit` of them.
    ranked = sorted(readable, key=lambda i: (-(pairs[i].person_score or 0.0), i))
    chosen = sorted(ranked if limit is None else ranked[:limit])
    shown = session.scalars(
        select(RequestRow).where(RequestRow.id.in_(chosen)).order_by(RequestRow.id)
    ).all()
    cache: dict = {}  # each instrument's participation, read once for all the requests
    visible = []
    for other in shown:
        pair = pairs[other.id]
        governing = rules.governing(facts_of(session, row, other, FactsIn(), now.date(), cache))
        visible.append({
            "request_id": other.id, "reference": other.reference, "kind": other.kind,
            "requesting_state": other.requesting_state, "status": other.status,
            "court": _court(other), "person_score": pair.person_score,
            "same_evidence": pair.same_evidence, "governing": governing.as_dict(),
            "competition": {"id": pair.id, "status": pair.status,
                            "found_at": as_utc(pair.found_at).isoformat(),
                            "found_by": pair.found_by, "evidence": pair.evidence},
        })  # fmt: skip
    told_hidden = hidden and can(principal, Permission.REQUEST_DECIDE)
    if visible or told_hidden:  # what was disclosed of other requests (the page's own read
        # is audited with the request; nothing found, nothing more to record)
        audit_request_act(
            session, principal, row.id, AuditAction.CONSULTATION, "competing:read", why=why,
            now=now, details={"shown": [v["request_id"] for v in visible],
                              "another_at_node": told_hidden},
        )  # fmt: skip
    decisions = [
        decision_view(d)
        for d in session.scalars(
            select(CompetingDecisionRow)
            .where(
                (CompetingDecisionRow.request_id == row.id)
                | (CompetingDecisionRow.other_request_id == row.id)
            )
            .order_by(CompetingDecisionRow.id)
        )
        if d.request_id in {row.id, *(v["request_id"] for v in visible)}
        and d.other_request_id in {row.id, *(v["request_id"] for v in visible)}
    ]
    return {
        "request_id": row.id,
        "competing": visible,
        "another_request_exists_at_this_node": told_hidden,
        "decisions": decisions,
        "more": len(readable) - len(visible),
    }


class CompetingDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    other_request_id: int = Field(ge=1, le=MAX_ID)
    priority_to: int = Field(ge=1, le=MAX_ID)
    reasons: str = Field(min_length=1, max_length=20000)
    facts: FactsIn = Field(default_factory=FactsIn)
    criteria: dict[str, str] = Field(
        default_factory=dict,
        description="for each criterion the governing rule names, how it was weighed",
    )


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    approve: bool
    note: str = Field(min_length=1, max_length=8000)


def propose(
    session: Session, principal: Principal, request_id: int, decision: CompetingDecisionIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """Record which request has priority, with reasons; it waits for a second person."""
    row = load_for(session, principal, request_id, Permission.REQUEST_DECIDE)
    other = load_for(session, principal, decision.other_request_id, Permission.REQUEST_DECIDE)
    if stored_pair(session, row.id, other.id) is None:
        raise InvalidInput(
            f"other_request_id {other.id} does not compete with request {row.id} (not the same "
            "person or evidence): check the request numbers"
        )
    if decision.priority_to not in (row.id, other.id):
        raise InvalidInput(f"priority_to must be {row.id} or {other.id}")
    pending = session.scalar(
        select(CompetingDecisionRow.id).where(
            CompetingDecisionRow.status == "pending_approval",
            CompetingDecisionRow.request_id.in_((row.id, other.id)),
            CompetingDecisionRow.other_request_id.in_((row.id, other.id)),
        )
    )
    if pending:
        raise Conflict(f"decision {pending} on these requests awaits a supervisor's approval")
    governing = rules.governing(facts_of(session, row, other, decision.facts, now.date()))
    unweighed = [c for c in governing.criteria if not decision.criteria.get(c, "").strip()]
    if unweighed:
        raise InvalidInput(
            f"{governing.rule} asks to weigh {', '.join(governing.criteria)}: say in criteria "
            f"how each was weighed (missing: {', '.join(unweighed)})"
        )
    extra = sorted(set(decision.criteria) - set(governing.criteria))
    if extra:
        raise InvalidInput(f"criteria {', '.join(extra)} are not criteria of {governing.rule}")
    entry = CompetingDecisionRow(
        request_id=row.id, other_request_id=other.id, priority_to=decision.priority_to,
        reasons=decision.reasons, rule=governing.rule,
        criteria=[{"criterion": c, "weighed": decision.criteria[c]} for c in governing.criteria]
        + [{"governing": governing.as_dict(), "facts": decision.facts.model_dump()}],
        status="pending_approval", proposed_by=principal.user_id, proposed_at=now,
        approval_note="",
    )  # fmt: skip
    session.add(entry)
    session.flush()
    for subject in (row.id, other.id):
        audit_request_act(session, principal, subject, AuditAction.ALTERATION,
                          "competing:propose", why=why, now=now,
                          details={"decision": entry.id, "priority_to": entry.priority_to,
                                   "rule": entry.rule})  # fmt: skip
    return decision_view(entry)


def approve(
    session: Session, principal: Principal, decision_id: int, approval: ApprovalIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    entry = session.get(CompetingDecisionRow, decision_id)
    hidden = NotFound(f"competing-request decision {decision_id} not found")
    if entry is None:
        raise hidden
    try:
        for subject in (entry.request_id, entry.other_request_id):
            load_for(session, principal, subject, Permission.DECISION_APPROVE)
    except NotFound:
        raise hidden from None
    if entry.status != "pending_approval":
        raise Conflict(f"decision {decision_id} is {entry.status}, not awaiting approval")
    if entry.proposed_by == principal.user_id:
        raise Conflict("four-eyes: the person who proposed a decision cannot approve it")
    entry.status = "effective" if approval.approve else "rejected"
    entry.approved_by, entry.approved_at, entry.approval_note = (
        principal.user_id, now, approval.note,
    )  # fmt: skip
    pair = stored_pair(session, entry.request_id, entry.other_request_id)
    if approval.approve and pair is not None:
        pair.status, pair.decision_id, pair.decided_at = "decided", entry.id, now
    session.flush()
    verdict = "approve" if approval.approve else "reject"
    for subject in (entry.request_id, entry.other_request_id):
        audit_request_act(session, principal, subject, AuditAction.ALTERATION,
                          f"competing:{verdict}", why=why, now=now,
                          details={"decision": entry.id, "note": approval.note})  # fmt: skip
    return decision_view(entry)


def decision_view(entry: CompetingDecisionRow) -> dict:
    return {
        "id": entry.id,
        "request_id": entry.request_id,
        "other_request_id": entry.other_request_id,
        "priority_to": entry.priority_to,
        "reasons": entry.reasons,
        "rule": entry.rule,
        "criteria": entry.criteria,
        "status": entry.status,
        "proposed_by": entry.proposed_by,
        "approved_by": entry.approved_by,
        "approval_note": entry.approval_note,
    }
