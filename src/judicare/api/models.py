"""The API's answers as Pydantic models: each operation declares one as its
`response_model`, so the OpenAPI document describes every answer, and Schemathesis checks
the answers against it. A request's own read model lives with the register
(`judicare.requests.read_models`); the exchange's in `judicare.exchange.routes`.

Fields are added, never renamed or removed: the JSON is a contract. Nested parts owned by
another package's own types (a legal-basis resolution, screening findings, a treaty's
parties) are described as objects here and documented where they are built.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judicare.requests.read_models import ReadModel, RequestSummary

Json = dict[str, Any]


class Answer(ReadModel):
    """Base of every answer (extra keys are kept, never dropped)."""


# --- errors ------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="a stable machine code, e.g. not_found, validation_error")
    message: str = Field(description="what was wrong and how to fix it")
    details: list[Json] | Json | None = Field(
        default=None, description="for validation_error: one entry per field (field, problem)"
    )


class ErrorOut(BaseModel):
    """Every error the API answers, whatever its status."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for an operation: each status given answers an `ErrorOut`."""
    descriptions = {
        400: "Bad request", 401: "Not signed in (no, or an expired, token)",
        403: "Not allowed for this role", 404: "Not found, or not yours to see (need-to-know)",
        409: "Conflict with the current state", 412: "If-Match does not match: read again",
        413: "Body too large", 415: "Unsupported media type", 422: "Invalid input",
        425: "Too early", 428: "If-Match required", 429: "Too many attempts (Retry-After)",
        503: "Busy or a dependency unavailable (Retry-After)",
    }  # fmt: skip
    return {s: {"model": ErrorOut, "description": descriptions.get(s, "Error")} for s in statuses}


# Every operation may answer these (bad input, a body too large or of a type refused by the
# guard, an unexpected error logged by the server).
COMMON_ERRORS = errors(400, 413, 415, 422) | {
    500: {"model": ErrorOut, "description": "An unexpected error (logged)"}
}
SIGNED_IN_ERRORS = COMMON_ERRORS | errors(401, 403, 404)


# --- system and auth -------------------------------------------------------------------------


class HealthOut(Answer):
    status: str
    version: str


class TokenOut(Answer):
    token: str
    username: str
    role: str


class PasswordChangedOut(Answer):
    username: str
    tokens_revoked: int = Field(description="how many other tokens and sessions ended")


# --- requests --------------------------------------------------------------------------------


class RequestListItem(RequestSummary):
    person_match: Json | None = Field(
        default=None,
        description="with the `person` filter, why the request matched: `how` (person engine, "
        "or name contains), `score`, `pairs` (the name parts paired, with the reading used), "
        "`unmatched` (other parts of the name), `reasons` (the same in short English "
        "sentences); null without that filter",
    )


class RequestPage(Answer):
    items: list[RequestListItem]
    total: int
    limit: int
    offset: int


class DocumentAddedOut(Answer):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


# --- screening and decisions ----------------------------------------------------------------


class RequestRef(Answer):
    id: int
    reference: str
    status: str


class ScreeningOut(Answer):
    findings: list[Json] = Field(description="each with code, severity, text, citations")
    completeness: Json = Field(
        description="the contents the instrument requires, those missing, and a draft request "
        "for further information"
    )
    legal_basis: Json = Field(description="the legal-basis resolution (as GET /api/v1/basis)")
    requires_supervisor: bool
    consultation_before_refusal: list[Json]
    request: RequestRef


class DecisionOut(Answer):
    id: int
    request_id: int
    outcome: str
    reasons: str
    citations: list[Any]
    conditions: str | None = None
    consulted: bool | None = None
    requires_approval: bool
    status: str = Field(description="pending_approval, effective or rejected")
    findings: list[Any] | None = None
    proposed_by: int
    approved_by: int | None = None


class DecisionDraftOut(Answer):
    """A draft decision prepared by an officer for a reviewer or supervisor."""

    id: int
    request_id: int
    outcome: str
    reasons: str
    citations: list[Any]
    conditions: str | None = None
    consulted: bool | None = None
    status: str = Field(description="awaiting_review, proposed or returned")
    drafted_by: int
    drafted_at: str
    reviewed_by: int | None = None
    review_note: str | None = Field(default=None, description="why it was sent back, if so")
    decision_id: int | None = Field(default=None, description="the decision it became")


class FollowUpOut(Answer):
    id: int
    kind: str
    description: str
    citations: list[Any] | None = None
    status: str


# --- audit, treaties, legal basis ------------------------------------------------------------


class AuditEventOut(Answer):
    seq: int
    at: str
    actor: str
    action: str
    tag: str
    subject_type: str | None = None
    subject_id: str | None = None
    why: str | None = None
    details: Any = None
    hash: str | None = None


class AuditPage(Answer):
    items: list[AuditEventOut]
    limit: int
    offset: int


class InstrumentOut(Answer):
    id: str
    title: str
    short_title: str | None = None
    depositary: str | None = None
    depositary_source: str | None = None
    kinds: list[str]
    role: str | None = None
    adopted: str | None = None
    opened_for_signature: str | None = None
    participation_data: str | None = None


class TreatyStatusOut(Answer):
    instrument: str
    on: str
    in_force: bool
    in_force_status: str = Field(description="in_force, not_in_force or unknown")
    entry_into_force: str | None = None
    entry_into_force_basis: Any = None
    entry_into_force_rule_verified: Any = None
    participation_data: str | None = None
    participation_as_of: Any = None
    unlisted_states: Any = None
    counts: dict[str, int]
    parties: list[Json]
    disagreements: list[Any]
    caveats: list[Any]


class BasisOut(Answer):
    requesting: str
    requested: str
    kind: str
    on: str
    conduct_date: str | None = None
    crimes: list[str]
    bases: list[Json] = Field(description="instruments that serve, with their citations")
    fallback: Json | None = Field(description="the requested state's national law, if any")
    no_basis_reasons: list[Json]
    unknowns: list[Json] = Field(description='questions the data cannot answer (never "no")')
    conflicts: list[Json]
    conditional_bases: list[Json]
    context: list[Json]
    notes: list[str]
