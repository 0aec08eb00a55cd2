"""Competing requests found at registration (issue 20): when a request is registered (API,
web intake, exchange receipt), or its file gains a document, the person engine looks for
other open requests at this node for the same person or evidence (`service.matches`), and
each pair found is stored once (`CompetingRequestRow`, the earlier request first) with the
evidence and score, audited on both requests. A request registered later that competes with
an earlier one thus marks both: the two pages read the same record.

Need-to-know holds in the audit trail too: the entry on a request names the other request
only when both are of the same authority; otherwise it says only that another request
exists at this node.

Two registrations committed at the same instant cannot see each other's persons (each
transaction reads before the other commits). So detection runs again for the new request
once its transaction is committed, in a fresh transaction (`after_commit_work`): by then at
least one of the two sees the other's committed persons. A pair is keyed by its two ids
(unique, the earlier first), so when both find it, one insert wins and the other is rolled
back to its savepoint: the pair is stored, and audited, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import Principal
from judicare.competing.models import CompetingRequestRow
from judicare.db.engine import after_commit_work
from judicare.requests.access import audit_request_act
from judicare.requests.domain import OPEN_STATUSES
from judicare.requests.models import RequestRow


def stored_pair(session: Session, one: int, other: int) -> CompetingRequestRow | None:
    first, second = sorted((one, other))
    return session.scalar(
        select(CompetingRequestRow).where(
            CompetingRequestRow.request_id == first,
            CompetingRequestRow.other_request_id == second,
        )
    )


def stored_for(session: Session, request_id: int) -> list[CompetingRequestRow]:
    """The competitions stored for a request, whichever side of the pair it is."""
    return list(
        session.scalars(
            select(CompetingRequestRow)
            .where(
                (CompetingRequestRow.request_id == request_id)
                | (CompetingRequestRow.other_request_id == request_id)
            )
            .order_by(CompetingRequestRow.id)
        )
    )


def may_compete_by_person(row: RequestRow) -> bool:
    """Whether `row` names a sought person with a name (the persons `service.matches`
    compares; a witness or a victim never makes a request compete)."""
    from judicare.screening.safeguards import SOUGHT_ROLES

    return any(person.role in SOUGHT_ROLES and person.names for person in row.persons)


def detect(
    session: Session, principal: Principal, row: RequestRow, *, now: datetime, why: str,
    found_by: str, again_after_commit: bool = True,
) -> list[CompetingRequestRow]:  # fmt: skip
    """Find the requests competing with `row` and store each pair not stored yet (or update
    its evidence when more is found); returns the pairs new or changed. Unless
    `again_after_commit` is false, the detection runs again after the commit (see above)."""
    from judicare.competing.service import matches

    if row.status not in OPEN_STATUSES:
        return []
    if again_after_commit:
        request_id = row.id

        def again(fresh: Session) -> None:
            current = fresh.get(RequestRow, request_id)
            if current is not None:
                detect(fresh, principal, current, now=now, why=why, found_by=found_by,
                       again_after_commit=False)  # fmt: skip

        again.__qualname__ = f"competing detection for request {request_id}"
        after_commit_work(session, again)
    changed = []
    for other_id, how in sorted(matches(session, row).items()):
        evidence = {"persons": how["persons"], "digests": how["digests"]}
        entry = stored_pair(session, row.id, other_id)
        if entry is None:
            first, second = sorted((row.id, other_id))
            entry = CompetingRequestRow(
                request_id=first, other_request_id=second, person_score=how["person_score"],
                same_evidence=how["same_evidence"], evidence=evidence, found_at=now,
                found_by=found_by, status="open",
            )  # fmt: skip
            try:
                with session.begin_nested():
                    session.add(entry)
            except IntegrityError:  # stored meanwhile by a concurrent registration or backfill
                continue
            act = "competing:found"
        elif _more(entry, how):
            entry.person_score = max(entry.person_score or 0.0, how["person_score"] or 0.0) or None
            entry.same_evidence = entry.same_evidence or how["same_evidence"]
            entry.evidence = {
                "persons": _union(entry.evidence.get("persons", []), how["persons"]),
                "digests": sorted(set(entry.evidence.get("digests", [])) | set(how["digests"])),
            }
            act = "competing:evidence"
        else:
            continue
        session.flush()
        _audit(session, principal, entry, act, now=now, why=why, found_by=found_by)
        changed.append(entry)
    return changed


def _more(entry: CompetingRequestRow, how: dict) -> bool:
    return (
        (how["person_score"] or 0.0) > (entry.person_score or 0.0)
        or (how["same_evidence"] and not entry.same_evidence)
        or not set(how["digests"]) <= set(entry.evidence.get("digests", []))
    )


def _union(old: list[dict], new: list[dict]) -> list[dict]:
    seen = {(p["person"], p["matched"]): p for p in old}
    for p in new:
        key = (p["person"], p["matched"])
        if key not in seen or p["score"] > seen[key]["score"]:
            seen[key] = p
    return sorted(seen.values(), key=lambda p: (p["person"], p["matched"]))


def _audit(session, principal, entry: CompetingRequestRow, act: str, *, now, why, found_by):
    authorities = dict(
        session.execute(
            select(RequestRow.id, RequestRow.authority_id).where(
                RequestRow.id.in_((entry.request_id, entry.other_request_id))
            )
        ).all()
    )
    same = authorities[entry.request_id] == authorities[entry.other_request_id]
    for subject, other in ((entry.request_id, entry.other_request_id),
                           (entry.other_request_id, entry.request_id)):  # fmt: skip
        details: dict = {"competition": entry.id, "found_by": found_by}
        if same:
            details |= {"other_request": other, "person_score": entry.person_score,
                        "same_evidence": entry.same_evidence}  # fmt: skip
        else:
            details["another_request_at_node"] = True
        audit_request_act(session, principal, subject, AuditAction.COMBINATION, act, why=why,
                          now=now, details=details)  # fmt: skip


def backfill(session: Session, principal: Principal, *, now: datetime, why: str) -> dict:
    """Run the detection over every open request in order of registration (for data
    registered before detection was stored); what is stored already is left as it is."""
    ids = session.scalars(
        select(RequestRow.id)
        .where(RequestRow.status.in_(sorted(OPEN_STATUSES)))
        .order_by(RequestRow.id)
    ).all()
    found = 0
    for request_id in ids:
        row = session.get(RequestRow, request_id)
        assert row is not None
        found += len(detect(session, principal, row, now=now, why=why, found_by="backfill",
                            again_after_commit=False))  # fmt: skip
    return {"requests_examined": len(ids), "competitions_stored_or_updated": found}
