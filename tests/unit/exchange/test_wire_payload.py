"""The request on the wire is a SIGNED format other nodes read: built now from the request's
read model, it must stay field for field what the hand-written serialiser gave (kept below
as the reference), including NULL texts travelling as ""."""

from __future__ import annotations

from datetime import date

import pytest

from judicare.exchange.payloads import request_payload
from judicare.requests.models import (
    IdentityDocumentRow,
    MeasureRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
)
from judicare.requests.read_models import request_detail, screening_facts


def _reference_payload(row: RequestRow) -> dict:
    """`exchange.payloads.request_payload` as written before the read model (wire v1)."""
    return {
        "kind": row.kind, "requesting_state": row.requesting_state,
        "requested_state": row.requested_state, "requesting_authority": row.requesting_authority,
        "requesting_central_authority": row.requesting_central_authority or "",
        "requested_central_authority": row.requested_central_authority or "",
        "urgency": row.urgency, "confidentiality": row.confidentiality,
        "crimes": list(row.crimes or []), "facts_summary": row.facts_summary,
        "subject_and_nature": row.subject_and_nature or "",
        "legal_provisions": row.legal_provisions or "", "purpose": row.purpose or "",
        "procedure_wished": row.procedure_wished or "",
        "legal_basis_instrument": row.legal_basis_instrument,
        "requested_execution_date": row.requested_execution_date.isoformat()
        if row.requested_execution_date else None,
        "measures": [{"measure": m.measure, "details": m.details or ""} for m in row.measures],
        "persons": [
            {
                "role": p.role, "birth_date": p.birth_date, "nationality": p.nationality,
                "protected_status": p.protected_status,
                "names": [{"name": n.name, "form": n.form, "system": n.system or ""}
                          for n in p.names],
                "identity_documents": [
                    {"kind": d.kind, "number": d.number, "issuing_state": d.issuing_state}
                    for d in p.documents
                ],
            }
            for p in row.persons
        ],
    }  # fmt: skip


def _row(blank: bool) -> RequestRow:
    text = None if blank else "x"
    person = RequestPersonRow(
        id=7, role="suspect", birth_date="1970-03", nationality="UKR", protected_status=None,
        names=[
            PersonNameRow(name="Іван Петренко", form="original", script="CYRILLIC",
                          system=text),
            PersonNameRow(name="Ivan Petrenko", form="romanisation", script="LATIN",
                          system="BGN/PCGN"),
        ],
        documents=[IdentityDocumentRow(kind="passport", number="FA123", issuing_state=None)],
    )  # fmt: skip
    return RequestRow(
        id=3, reference="IN-2026-0003", authority_id="BEL-CA", direction="incoming",
        kind="mla", requesting_state="UKR", requested_state="BEL",
        requesting_authority="Prosecutor General", requesting_central_authority=text,
        requested_central_authority=text, urgency="urgent", confidentiality="normal",
        crimes=["war_crime"], facts_summary="Facts.", subject_and_nature=text,
        legal_provisions=text, purpose=text, procedure_wished=text,
        legal_basis_instrument=None, legal_basis_answer=None, status="received",
        received_on=date(2026, 1, 5), requested_execution_date=None if blank else date(2026, 3, 1),
        version=1, measures=[MeasureRow(measure="hearing_witness", details=text)],
        persons=[person], deadlines=[],
    )  # fmt: skip


@pytest.mark.parametrize("blank", [False, True], ids=["filled", "null-texts"])
def test_the_wire_payload_keeps_its_fields_and_values(blank):
    row = _row(blank)
    assert request_payload(row) == _reference_payload(row)


def test_protection_measures_travel_only_as_given():
    """The sender decides which measures the recipient may know (victims.rules.disclosure);
    the payload carries exactly those, and none when none is given."""
    row = _row(False)
    measure = {"person": 0, "measure": "anonymity", "status": "granted", "data": {},
               "withhold_from": ["KAZ"], "reasons": "r", "decided_by": "x",
               "decision_reasons": "d"}  # fmt: skip
    assert request_payload(row, protection_measures=[measure])["protection_measures"] == [measure]
    assert "protection_measures" not in request_payload(row)  # as before issue 20


def test_screening_reads_a_projection_of_the_same_detail():
    row = _row(False)
    detail = request_detail(row)
    facts = screening_facts(row)
    assert facts["persons"] == [
        {"role": "suspect", "names": [{"name": "Іван Петренко"}, {"name": "Ivan Petrenko"}],
         "birth_date": "1970-03", "nationality": "UKR", "protected_status": None}
    ]  # fmt: skip
    assert facts["measures"] == [{"measure": "hearing_witness"}]
    for field in ("requesting_state", "received_on", "facts_summary", "crimes"):
        assert facts[field] == detail[field]
