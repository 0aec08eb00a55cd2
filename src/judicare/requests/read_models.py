"""The one read model of a request (Pydantic): a summary (no personal data) for lists, and
the full detail (reading it is audited). The API declares them as its response models; the
screening facts (`screening_facts`) and the exchange's signed wire payload
(`exchange.payloads.request_payload`) are projections of the same detail.

Values are JSON-plain (dates as ISO strings) so that the stored idempotent answer and the
live one are the same bytes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judicare.requests.domain import is_overdue
from judicare.requests.models import RequestRow


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def etag(row: RequestRow) -> str:
    return f'"{row.version}"'


class ReadModel(BaseModel):
    # Fields are added, never renamed or removed (the JSON is a contract); unknown extra
    # keys of an older stored answer are kept rather than dropped.
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def as_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class RequestSummary(ReadModel):
    id: int
    reference: str
    direction: str
    kind: str
    requesting_state: str
    requested_state: str
    status: str
    urgency: str
    received_on: str | None = Field(description="ISO date")
    next_deadline: str | None = Field(description="ISO date of the earliest deadline")
    overdue: bool = Field(description="open, with a deadline already past (requests.domain)")
    version: int = Field(description="the ETag; send it back in If-Match to change the request")
    requesting_reference: str = Field(
        default="", description="the requesting authority's own case reference"
    )
    request_date: str | None = Field(default=None, description="ISO date written on the request")

    @classmethod
    def of(cls, row: RequestRow, today: date | None = None) -> RequestSummary:
        dues = [d.due for d in row.deadlines]
        return cls(
            id=row.id,
            reference=row.reference,
            direction=row.direction,
            kind=row.kind,
            requesting_state=row.requesting_state,
            requested_state=row.requested_state,
            status=row.status,
            urgency=row.urgency,
            received_on=_iso(row.received_on),
            next_deadline=_iso(min(dues, default=None)),
            overdue=today is not None and is_overdue(row.status, dues, today),
            version=row.version,
            requesting_reference=row.requesting_reference or "",
            request_date=_iso(row.request_date),
        )


class MeasureOut(ReadModel):
    measure: str
    details: str | None = None


class NameOut(ReadModel):
    name: str
    form: str | None = None
    script: str | None = None
    system: str | None = None


class IdentityDocumentOut(ReadModel):
    kind: str
    number: str
    issuing_state: str | None = None


class PersonOut(ReadModel):
    id: int | None = None
    role: str
    birth_date: str | None = None
    nationality: str | None = None
    protected_status: str | None = None
    names: list[NameOut]
    identity_documents: list[IdentityDocumentOut] = []


class DeadlineOut(ReadModel):
    kind: str
    due: str | None
    citation: str | None = None
    source_url: str | None = None
    note: str | None = None


class TransitionOut(ReadModel):
    from_status: str = Field(alias="from")
    to: str
    reasons: str | None = None
    citations: list[Any] | None = None
    decision: int | None = None
    decided_by: int | None = None
    at: str | None = None


class LinkOut(ReadModel):
    from_request: int = Field(alias="from")
    to: int
    link_type: str
    note: str | None = None


class DocumentOut(ReadModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: str | None = None


class RequestDetail(RequestSummary):
    authority_id: str
    requesting_authority: str
    requesting_central_authority: str | None = None
    requested_central_authority: str | None = None
    confidentiality: str
    crimes: list[str]
    facts_summary: str
    subject_and_nature: str | None = None
    legal_provisions: str | None = None
    purpose: str | None = None
    procedure_wished: str | None = None
    person_to_serve: str | None = Field(
        default=None, description="ECMA art. 14(1)(d): the name and address of the person "
        "to be served, where necessary",
    )  # fmt: skip
    legal_basis_instrument: str | None = None
    legal_basis_answer: dict[str, Any] | None = None
    legal_basis_choices: list[str] = Field(
        default=[], description="the instruments resolved for the request: the basis is one"
    )
    requested_execution_date: str | None = None
    extradition: dict[str, Any] | None = Field(
        default=None, description="extradition and provisional arrest contents, as registered"
    )
    measures: list[MeasureOut]
    persons: list[PersonOut]
    deadlines: list[DeadlineOut]
    transitions: list[TransitionOut]
    links: list[LinkOut]
    documents: list[DocumentOut]

    @classmethod
    def of(  # type: ignore[override]
        cls, row: RequestRow, transitions=(), links=(), documents=()
    ) -> RequestDetail:
        summary = RequestSummary.of(row)  # the detail is not dated: overdue only in lists
        return cls(
            **summary.model_dump(),
            authority_id=row.authority_id,
            requesting_authority=row.requesting_authority,
            requesting_central_authority=row.requesting_central_authority,
            requested_central_authority=row.requested_central_authority,
            confidentiality=row.confidentiality,
            crimes=list(row.crimes or []),
            facts_summary=row.facts_summary,
            subject_and_nature=row.subject_and_nature,
            legal_provisions=row.legal_provisions,
            purpose=row.purpose,
            procedure_wished=row.procedure_wished,
            person_to_serve=row.person_to_serve or "",
            legal_basis_instrument=row.legal_basis_instrument,
            legal_basis_answer=row.legal_basis_answer,
            legal_basis_choices=[
                b["instrument"] for b in (row.legal_basis_answer or {}).get("bases") or []
            ],
            requested_execution_date=_iso(row.requested_execution_date),
            extradition=row.extradition,
            measures=[MeasureOut(measure=m.measure, details=m.details) for m in row.measures],
            persons=[_person(p) for p in row.persons],
            deadlines=[
                DeadlineOut(
                    kind=d.kind,
                    due=_iso(d.due),
                    citation=d.citation,
                    source_url=d.source_url,
                    note=d.note,
                )
                for d in row.deadlines
            ],
            transitions=[
                TransitionOut(
                    from_status=t.from_status,
                    to=t.to_status,
                    reasons=t.reasons,
                    citations=t.citations,
                    decision=t.decision_id,
                    decided_by=t.decided_by,
                    at=_iso(t.decided_at),
                )
                for t in transitions
            ],
            links=[
                LinkOut(
                    from_request=k.from_request_id,
                    to=k.to_request_id,
                    link_type=k.link_type,
                    note=k.note,
                )
                for k in links
            ],
            documents=[
                DocumentOut(
                    id=d.id,
                    filename=d.filename,
                    media_type=d.media_type,
                    size=d.size,
                    sha256=d.sha256,
                    uploaded_at=_iso(d.uploaded_at),
                )
                for d in documents
            ],
        )


def _person(p) -> PersonOut:
    return PersonOut(
        id=p.id,
        role=p.role,
        birth_date=p.birth_date,
        nationality=p.nationality,
        protected_status=p.protected_status,
        names=[
            NameOut(name=n.name, form=n.form, script=n.script, system=n.system) for n in p.names
        ],
        identity_documents=[
            IdentityDocumentOut(kind=d.kind, number=d.number, issuing_state=d.issuing_state)
            for d in p.documents
        ],
    )


def request_summary(row: RequestRow, today: date | None = None) -> dict:
    return RequestSummary.of(row, today).as_json()


def request_detail(row: RequestRow, transitions=(), links=(), documents=()) -> dict:
    return RequestDetail.of(row, transitions, links, documents).as_json()


# The facts the screening rules read: a projection of the detail (no ids, no documents).
SCREENING_FACTS = {
    "requesting_state": True, "requested_state": True, "kind": True, "received_on": True,
    "crimes": True, "requesting_authority": True, "subject_and_nature": True,
    "facts_summary": True, "legal_provisions": True, "purpose": True, "procedure_wished": True,
    "person_to_serve": True, "requested_execution_date": True, "measures": {"__all__": {"measure"}},
    "extradition": True,
    "persons": {"__all__": {
        "role": True, "names": {"__all__": {"name"}}, "birth_date": True, "nationality": True,
        "protected_status": True,
    }},
}  # fmt: skip


def screening_facts(row: RequestRow) -> dict:
    """The request as the screening rules read it (`screening.service.screen_stored`)."""
    return RequestDetail.of(row).model_dump(mode="json", include=SCREENING_FACTS)
