"""The request register's API shapes (Pydantic). Unknown fields are refused; dates must be
real dates (2023-02-30 is refused)."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from judicare.legal_basis.domain import CooperationKind
from judicare.requests.domain import (
    Confidentiality,
    Direction,
    LinkType,
    Measure,
    PersonRole,
    RequestStatus,
    Urgency,
)

_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NameIn(Strict):
    name: str = Field(min_length=1, max_length=300)
    form: str = Field(default="original", pattern="^(original|romanisation)$")
    system: str = Field(default="", max_length=40, description="e.g. BGN/PCGN, ICAO 9303")


class IdentityDocumentIn(Strict):
    kind: str = Field(min_length=1, max_length=40)
    number: str = Field(min_length=1, max_length=80)
    issuing_state: str | None = Field(default=None, min_length=2, max_length=3)


class PersonIn(Strict):
    role: PersonRole
    names: list[NameIn] = Field(min_length=1, max_length=20)
    birth_date: str | None = Field(
        default=None, description="YYYY, YYYY-MM or YYYY-MM-DD", max_length=10
    )
    nationality: str | None = Field(default=None, min_length=2, max_length=3)
    protected_status: str | None = Field(default=None, max_length=40)
    identity_documents: list[IdentityDocumentIn] = Field(default_factory=list, max_length=10)

    @field_validator("birth_date")
    @classmethod
    def _partial_date(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not _PARTIAL_DATE.match(value):
            raise ValueError("birth_date must be YYYY, YYYY-MM or YYYY-MM-DD")
        if len(value) == 10:
            date.fromisoformat(value)  # refuses 2023-02-30
        return value


class MeasureIn(Strict):
    measure: Measure
    details: str = Field(default="", max_length=4000)


class ExtraditionIn(Strict):
    """What an extradition or provisional-arrest request carries beyond an MLA request:
    European Convention on Extradition art. 12(2) (the warrant or judgment; the statement of
    the offences with their time, place and legal provisions; the enactments; a description
    of the person), art. 16 (provisional arrest in case of urgency: that a warrant or
    judgment exists and that extradition will be requested), and between Member States the
    European arrest warrant's contents (Framework Decision 2002/584/JHA art. 8(1))."""

    warrant_kind: str = Field(
        default="", pattern="^(|arrest_warrant|enforceable_judgment)$",
        description="ECE art. 12(2)(a): arrest_warrant or enforceable_judgment",
    )  # fmt: skip
    warrant_issued_by: str = Field(default="", max_length=500)
    warrant_issued_on: date | None = None
    warrant_reference: str = Field(default="", max_length=120)
    offence_time: str = Field(default="", max_length=500, description="when committed")
    offence_place: str = Field(default="", max_length=500, description="where committed")
    enactments: str = Field(
        default="", max_length=8000, description="ECE art. 12(2)(c): the relevant enactments"
    )
    person_description: str = Field(default="", max_length=4000)
    whereabouts: str = Field(default="", max_length=1000, description="where the person is")
    provisional_arrest: bool = Field(default=False, description="ECE art. 16 asked for")
    urgency_reason: str = Field(default="", max_length=4000)
    warrant_exists: bool = Field(default=False, description="ECE art. 16(2) statement")
    extradition_will_follow: bool = Field(default=False, description="ECE art. 16(2)")
    issuing_authority_address: str = Field(default="", max_length=500)
    issuing_authority_phone: str = Field(default="", max_length=40)
    issuing_authority_fax: str = Field(default="", max_length=40)
    issuing_authority_email: str = Field(default="", max_length=254)
    participation: str = Field(
        default="", max_length=4000, description="FD art. 8(1)(e): degree of participation"
    )
    penalty: str = Field(
        default="", max_length=4000, description="FD art. 8(1)(f): penalty or scale of penalties"
    )
    other_consequences: str = Field(
        default="", max_length=4000, description="FD art. 8(1)(g), if possible"
    )


class RequestCreate(Strict):
    direction: Direction
    kind: CooperationKind
    requesting_state: str = Field(min_length=2, max_length=3)
    requested_state: str = Field(min_length=2, max_length=3)
    requesting_authority: str = Field(min_length=1, max_length=500)
    requesting_central_authority: str = Field(default="", max_length=500)
    requested_central_authority: str = Field(default="", max_length=500)
    case_reference: str | None = Field(default=None, max_length=120)
    requesting_reference: str = Field(
        default="", max_length=120, description="the requesting authority's own case reference"
    )
    urgency: Urgency = Urgency.NORMAL
    confidentiality: Confidentiality = Confidentiality.NORMAL
    crimes: list[str] = Field(default_factory=list, max_length=20)
    facts_summary: str = Field(min_length=1, max_length=20000)
    subject_and_nature: str = Field(default="", max_length=4000)
    legal_provisions: str = Field(
        default="", max_length=8000, description="legal qualification and penalties"
    )
    purpose: str = Field(default="", max_length=4000)
    procedure_wished: str = Field(default="", max_length=4000)
    person_to_serve: str = Field(
        default="", max_length=2000,
        description="ECMA art. 14(1)(d): where necessary, the name and address of the person "
        "to be served",
    )  # fmt: skip
    legal_basis_instrument: str | None = Field(default=None, max_length=64)
    received_on: date
    request_date: date | None = Field(default=None, description="the date written on it")
    requested_execution_date: date | None = None
    measures: list[MeasureIn] = Field(default_factory=list, max_length=50)
    persons: list[PersonIn] = Field(default_factory=list, max_length=50)
    extradition: ExtraditionIn | None = Field(
        default=None, description="extradition and provisional arrest: what they also carry"
    )


class RequestUpdate(Strict):
    urgency: Urgency | None = None
    confidentiality: Confidentiality | None = None
    facts_summary: str | None = Field(default=None, min_length=1, max_length=20000)
    requested_execution_date: date | None = None
    legal_basis_instrument: str | None = Field(default=None, max_length=64)
    crimes: list[str] | None = Field(default=None, max_length=20)
    requesting_reference: str | None = Field(default=None, max_length=120)
    request_date: date | None = None
    person_to_serve: str | None = Field(
        default=None, max_length=2000, description="ECMA art. 14(1)(d), see RequestCreate"
    )


class BasisChoiceIn(Strict):
    """The legal basis chosen among those resolved for the request, and why (audited)."""

    instrument: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=4000)


class CitationIn(Strict):
    instrument: str = Field(min_length=1, max_length=64)
    article: str | None = Field(default=None, max_length=40)


class TransitionIn(Strict):
    status: RequestStatus
    reasons: str = Field(default="", max_length=20000)
    citations: list[CitationIn] = Field(default_factory=list, max_length=50)


class LinkIn(Strict):
    to_request_id: int = Field(ge=1, le=2_147_483_647)
    link_type: LinkType
    note: str = Field(default="", max_length=2000)


class AssignIn(Strict):
    user_id: int = Field(ge=1, le=2_147_483_647)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class TokenIn(Strict):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1000)
    totp: str | None = Field(
        default=None, max_length=12, description="the 6-digit code, for users with a second factor"
    )
