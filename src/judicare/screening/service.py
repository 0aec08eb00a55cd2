"""Screening a request: gather the facts (legal basis, person matches, death-penalty
status), run the rules, check completeness. A request is given as the API's create schema
(not stored) or by its id (stored; reading it is audited)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judicare.auth.permissions import Permission, Principal
from judicare.errors import InvalidInput
from judicare.legal_basis.service import LegalBasisService, parse_query
from judicare.persons.domain import PartialDate, PersonQuery
from judicare.persons.registers import REQUESTS as REQUESTS_REGISTER
from judicare.persons.service import OnRequest, adjudicate, match, request_person_roles
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.read_models import screening_facts
from judicare.requests.schemas import RequestCreate
from judicare.screening.binding import binding_table
from judicare.screening.completeness import PROVISIONAL_ARREST_ASKED
from judicare.screening.domain import PersonFacts, RequestFacts
from judicare.screening.grounds import named_instruments
from judicare.screening.rules import completeness, consultation_required, screen
from judicare.states import resolve_state
from judicare.treaties import repository as treaty_repo
from judicare.treaties.catalogue import participation_dir
from judicare.treaties.domain import ActionKind

DEATH_PENALTY_FILES = {
    "amnesty_2022": "safeguards/death_penalty_status.csv",
    "cdpd_2022": "safeguards/death_penalty_status_cdpd_2022.csv",
}


@cache
def death_penalty_table() -> dict[str, dict[str, dict]]:
    """source -> iso3 -> row, from the shipped safeguard files (unchanged, with sources)."""
    table: dict[str, dict[str, dict]] = {}
    for name, path in DEATH_PENALTY_FILES.items():
        with (participation_dir() / path).open(encoding="utf-8", newline="") as handle:
            table[name] = {row["iso3"]: row for row in csv.DictReader(handle)}
    return table


def _death_penalty(state: str) -> dict:
    found = {}
    for name, rows in death_penalty_table().items():
        row = rows.get(state)
        if row:
            found[name] = {
                "status": row["status"],
                "as_of": row["as_of"],
                "source_url": row["source_url"],
                "notes": row["notes"][:300],
            }
    return found


def completeness_fields(data: dict, documents: int) -> dict:
    persons = data["persons"]
    identified = bool(persons) and all(
        p["names"] and (p.get("birth_date") or p.get("nationality")) for p in persons
    )
    return {
        "requesting_authority": bool(data["requesting_authority"].strip()),
        "subject_and_nature": bool(data["subject_and_nature"].strip()),
        "facts_summary": len(data["facts_summary"].strip()) >= 20,
        "legal_qualification": bool(data["crimes"]) or bool(data["legal_provisions"].strip()),
        "measures": bool(data["measures"]),
        "persons_identification": identified,
        "purpose": bool(data["purpose"].strip()),
        "time_limits": bool(data["requested_execution_date"]),
        "procedure_wished": bool(data["procedure_wished"].strip()),
        "person_to_serve": _person_to_serve(data),
        "warrant_or_judgment": documents > 0,
        **_extradition_fields(data),
    }


def _person_to_serve(data: dict) -> bool:
    """ECMA art. 14(1)(d) asks for the person to be served "where necessary": when the
    request asks for the service of documents."""
    serving = any(m.get("measure") == "service_of_documents" for m in data.get("measures") or [])
    return not serving or bool(str(data.get("person_to_serve") or "").strip())


def _extradition_fields(data: dict) -> dict:
    """The contents of an extradition or provisional-arrest request (`ExtraditionIn`)."""
    ex = data.get("extradition") or {}

    def given(*keys: str) -> bool:
        return all(str(ex.get(k) or "").strip() for k in keys)

    return {
        PROVISIONAL_ARREST_ASKED: bool(ex.get("provisional_arrest")),
        "offence_time_place": given("offence_time", "offence_place"),
        "legal_provisions_cited": bool(data["legal_provisions"].strip()),
        "enactments": given("enactments"),
        "person_description": given("person_description"),
        "urgency_stated": given("urgency_reason"),
        "warrant_exists": bool(ex.get("warrant_exists")),
        "extradition_will_follow": bool(ex.get("extradition_will_follow")),
        "issuing_authority_contact": given(
            "issuing_authority_address", "issuing_authority_phone", "issuing_authority_email"
        ),
        "participation": given("participation"),
        "penalty": given("penalty"),
    }


def screen_payload(
    session: Session,
    basis: LegalBasisService,
    data: dict,
    *,
    reader: Reader,
    exclude_prefix: str | None = None,
    documents: int = 0,
) -> dict:
    """Screen a request given as plain data shaped like the create schema, against the
    registers its reader's authority may read, with the decisions on candidates taken on
    that request."""
    requesting, requested, resolution, instruments = _resolution(basis, data)
    on = date.fromisoformat(str(data["received_on"])[:10])
    persons = tuple(_person(session, p, exclude_prefix, reader) for p in data["persons"])
    facts = RequestFacts(
        requesting=requesting,
        requested=requested,
        kind=data["kind"],
        crimes=tuple(data["crimes"]),
        measures=tuple(m["measure"] for m in data["measures"]),
        persons=persons,
        instruments=frozenset(instruments),
        fields=completeness_fields(data, documents),
        death_penalty=_death_penalty(requesting),
        context={
            c["instrument"]: {"requesting": c["requesting"], "requested": c["requested"]}
            for c in resolution["context"]
        },
        texts={"coe-mla-1959": _reservations(session, "coe-mla-1959", requested)},
        binding=binding_table(basis.participations, named_instruments(), requesting, requested, on),
        on=on,
    )
    findings = [f.as_dict() for f in screen(facts)]
    return {
        "findings": findings,
        "completeness": completeness(facts),
        "legal_basis": resolution,
        "requires_supervisor": any(f["severity"] == "high" for f in findings),
        "consultation_before_refusal": consultation_required(frozenset(instruments)),
    }


def _resolution(basis: LegalBasisService, data: dict) -> tuple[str, str, dict, set[str]]:
    requesting = resolve_state(data["requesting_state"]).alpha3
    requested = resolve_state(data["requested_state"]).alpha3
    query = parse_query(requesting, requested, data["kind"], data["received_on"], data["crimes"])
    resolution = basis.resolve(query).as_dict()
    instruments = {b["instrument"] for b in resolution["bases"]}
    if resolution["fallback"]:
        instruments.add(resolution["fallback"]["law"])
    return requesting, requested, resolution, instruments


def draft_check(basis: LegalBasisService, data: dict, *, documents: int = 0) -> dict:
    """For a request being drafted: the legal basis and what the governing instrument
    requires that is still missing. No register is consulted (nobody is screened yet)."""
    requesting, requested, resolution, instruments = _resolution(basis, data)
    chosen = data.get("legal_basis_instrument")
    if chosen and chosen in instruments:  # the officer's choice governs the contents
        instruments = {chosen}
    facts = RequestFacts(
        requesting=requesting,
        requested=requested,
        kind=data["kind"],
        crimes=tuple(data["crimes"]),
        measures=tuple(m["measure"] for m in data["measures"]),
        persons=(),
        instruments=frozenset(instruments),
        fields=completeness_fields(data, documents),
    )
    return {"legal_basis": resolution, "completeness": completeness(facts)}


def _person(
    session: Session, person: dict, exclude_prefix: str | None, reader: Reader
) -> PersonFacts:
    names = tuple(n["name"] for n in person["names"])
    born = person.get("birth_date")
    query = PersonQuery(
        names=names,
        birth_date=PartialDate.parse(born) if born else None,
        nationality=resolve_state(person["nationality"]).alpha3
        if person.get("nationality")
        else None,
    )
    found = [
        m
        for m in match(session, query, authority_id=reader.authority_id, request=reader.request)
        if not (exclude_prefix and m["id"].startswith(exclude_prefix))
    ]
    # A person named in another request: the role there (witness, suspect...), read from
    # that request's person; the entry's `status` is the person's protected status, if any.
    roles = request_person_roles(
        session, (m["id"] for m in found if m["register"] == REQUESTS_REGISTER)
    )
    for m in found:
        if m["register"] == REQUESTS_REGISTER:
            m["role"] = roles.get(m["id"])
    return PersonFacts(
        role=person["role"],
        names=names,
        nationality=query.nationality,
        birth_date=born,
        protected_status=person.get("protected_status"),
        matches=tuple(found),
    )


def _reservations(session: Session, instrument_id: str, state: str) -> list[str]:
    return [
        a.notes[:300]
        for a in treaty_repo.actions_for(session, instrument_id)
        if a.state == state and a.kind is ActionKind.RESERVATION
    ]


def screen_new(
    session: Session, basis: LegalBasisService, request: RequestCreate, *, authority_id: str | None
) -> dict:
    """Screen a request not stored, as a user of `authority_id` would (None: against the
    node's registers only)."""
    return screen_payload(
        session,
        basis,
        request.model_dump(mode="json"),
        reader=Reader(authority_id, None),
    )


def screen_stored(
    session: Session,
    basis: LegalBasisService,
    principal: Principal,
    request_id: int,
    *,
    now: datetime,
    why: str,
) -> dict:
    """Screen a stored request (reading it is authorised and audited as a consultation)."""
    from judicare.audit.service import AuditAction
    from judicare.requests.service import audit_request_act, load_for

    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    audit_request_act(
        session, principal, row.id, AuditAction.COMBINATION, "request:screen",
        why=why, now=now, details={"reference": row.reference},
    )  # fmt: skip
    documents = session.scalar(select(func.count()).where(DocumentRow.request_id == row.id))
    report = screen_payload(
        session,
        basis,
        screening_facts(row),  # the request's read model, projected
        reader=_reader(principal, row),
        exclude_prefix=f"{row.reference}#",
        documents=documents or 0,
    )
    report["request"] = {"id": row.id, "reference": row.reference, "status": row.status}
    return report


def candidates_for(session: Session, principal: Principal, request_id: int) -> list[dict]:
    """For each person named in a stored request, the register entries that may be the same
    person (its own index entries left out), each with any human decision on the pair.
    The caller records the consultation (the screening report does)."""
    from judicare.requests.service import load_for

    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    people = []
    for number, person in enumerate(row.persons):
        names = tuple(n.name for n in person.names)
        facts = _person(
            session,
            {
                "names": [{"name": n} for n in names],
                "birth_date": person.birth_date,
                "nationality": person.nationality,
                "role": person.role,
                "protected_status": person.protected_status,
            },
            f"{row.reference}#",
            _reader(principal, row),
        )
        people.append(
            {
                "index": number,
                "role": person.role,
                "names": list(names),
                "candidates": list(facts.matches),
            }
        )
    return people


@dataclass(frozen=True, slots=True)
class Reader:
    """Who screens: the authority whose registers are read (None: the node's registers
    only), and the stored request screened, if any, whose decisions on candidates count."""

    authority_id: str | None
    request: OnRequest | None


def _reader(principal: Principal, row: RequestRow) -> Reader:
    """Candidates are read within the reader's own authority (need-to-know: a user of
    another authority assigned to the request does not read its authority's index), and
    the decisions on them are those taken on this request."""
    return Reader(principal.authority_id, OnRequest(row.authority_id, row.id))


def adjudicate_candidate(
    session: Session,
    principal: Principal,
    request_id: int,
    *,
    person: int,
    register: str,
    external_id: str,
    decision: str,
    reason: str,
    now: datetime,
) -> dict:
    """A person's decision on a candidate of the person number `person` named in a stored
    request; it counts on that request only (need-to-know, as for the request itself)."""
    from judicare.requests.service import load_for

    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    if not 0 <= person < len(row.persons):
        raise InvalidInput(f"request {request_id} has no person number {person}")
    return adjudicate(
        session,
        names=tuple(n.name for n in row.persons[person].names),
        register=register,
        external_id=external_id,
        decision=decision,
        reason=reason,
        actor=principal.username,
        authority_id=principal.authority_id,
        request=OnRequest(row.authority_id, row.id),
        now=now,
    )
