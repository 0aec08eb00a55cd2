"""The limits of the officers' forms, read from where they are enforced: the Pydantic schema a
form is validated against, or the `Form(max_length=...)` of the route it posts to. Templates
ask `limit(source, field)` and state the number next to the field (`maxlength`, a hint in the
user's language tied with `aria-describedby`); no number is copied into a template. A source
or field that does not exist is a programming error: the page fails loudly, in tests."""

from __future__ import annotations

from functools import cache

from annotated_types import MaxLen
from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel

from judicare.requests.schemas import BasisChoiceIn, CitationIn, RequestUpdate, TransitionIn
from judicare.screening.decisions import ApprovalIn, DecisionIn
from judicare.web.labels import N_

# The schemas the web forms are validated against, by the name templates use.
SCHEMAS: dict[str, type[BaseModel]] = {
    "RequestUpdate": RequestUpdate,
    "BasisChoiceIn": BasisChoiceIn,
    "CitationIn": CitationIn,
    "TransitionIn": TransitionIn,
    "DecisionIn": DecisionIn,
    "ApprovalIn": ApprovalIn,
}


def _max_length(metadata) -> int | None:
    for rule in metadata:
        if isinstance(rule, MaxLen):
            return int(rule.max_length)
    return None


@cache
def schema_limits(name: str) -> dict[str, int]:
    model = SCHEMAS[name]
    found = {}
    for field, info in model.model_fields.items():
        most = _max_length(info.metadata)
        if most is not None:
            found[field] = most
    return found


class FormLimits:
    """`(route path, form field) -> max_length` of the app's POST routes, collected once the
    routes are installed."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], int] = {}

    def collect(self, router: APIRouter) -> None:
        """Read the limits of a web module's router (included without a prefix)."""
        for route in router.routes:
            if not isinstance(route, APIRoute) or "POST" not in route.methods:
                continue
            for param in route.dependant.body_params:
                most = _max_length(param.field_info.metadata)
                if most is not None:
                    self.routes[(route.path, param.alias)] = most

    def __call__(self, source: str, field: str) -> int:
        """The most characters `field` of `source` (a schema name or a route path) takes."""
        if source in SCHEMAS:
            return schema_limits(source)[field]
        return self.routes[(source, field)]


LIMITS = FormLimits()

# The officers' page forms' fields (outside the intake form), by the name they are posted
# under: a refused field is named in the problem ("Reason: This text is too long: …").
PAGE_FIELD_LABELS = {
    "reasons": N_("Reasons"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "link-note": N_("Note"),
    "link-reference": N_("Reference of the other request"),
    "basis-reason": N_("Reason for the choice"),
    "basis-instrument": N_("Legal basis chosen"),
    "answer": N_("Answer, in plain words"),
    "question": N_("Question"),
    "data": N_("Data of the measure"),
    "withhold_from": N_("States that must never learn of it"),
    "language": N_("Language the person understands"),
    "contact": N_("Contact"),
    "text": N_("Text of the act"),
    "signatory": N_("Signatory"),
    "location": N_("Where the original is kept"),
    "article": N_("Article"),
    "annexes": N_("Annexes (letters)"),
    "objection_to": N_("Deposit number of the reservation objected to"),
    "declaration": N_("Declaration"),
}
