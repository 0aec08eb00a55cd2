"""Which formal document fits which request, and the articles that say what it must contain.
Pure: plain values in, plain values out; the rules are data in `kinds.yaml`, with citations.

A document is written by one side: the requesting state's central authority writes the
letter of request, the extradition request and the request for provisional arrest (outgoing
requests); the requested state's writes the acknowledgement, the request for further
information, the decision notice, the execution report and the notice of the result of a
submission for prosecution (incoming requests).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from judicare.errors import InvalidInput

DATA = Path(__file__).with_name("kinds.yaml")


class DocumentKind(enum.StrEnum):
    LETTER_OF_REQUEST = "letter_of_request"
    EXTRADITION_REQUEST = "extradition_request"
    PROVISIONAL_ARREST_REQUEST = "provisional_arrest_request"
    REQUEST_FOR_INFORMATION = "request_for_information"
    ACKNOWLEDGEMENT = "acknowledgement"
    DECISION_NOTICE = "decision_notice"
    EXECUTION_REPORT = "execution_report"
    PROSECUTION_OUTCOME_NOTICE = "prosecution_outcome_notice"


KINDS = tuple(k.value for k in DocumentKind)


class UnknownKind(InvalidInput):
    code = "unknown_document_kind"


class KindDoesNotFit(InvalidInput):
    code = "document_kind_does_not_fit"
    exit_code = 3
    http_status = 409


@dataclass(frozen=True)
class Citation:
    instrument: str
    article: str
    verified: bool
    text: str
    source_title: str
    source_url: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument, "article": self.article, "verified": self.verified,
            "text": self.text, "source": self.source_title, "source_url": self.source_url,
        }  # fmt: skip


@dataclass(frozen=True)
class RequestShape:
    """What the rule reads of a request."""

    direction: str
    kind: str
    status: str
    legal_basis: str | None = None
    missing: tuple[str, ...] = ()  # the completeness report's missing items
    has_effective_decision: bool = False
    outcome: str | None = None  # of the decision in effect
    documents: int = 0  # documents held with the request
    information_approved: bool = False  # an obligation's result approved for the state


@dataclass(frozen=True)
class Fit:
    kind: str
    fits: bool
    reason: str
    citations: tuple[Citation, ...] = field(default=())


@cache
def rules() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    if set(data["kinds"]) != set(KINDS):
        raise ValueError(f"{DATA}: the kinds must be exactly {', '.join(KINDS)}")
    for name, rule in data["kinds"].items():
        for c in rule["citations"]:
            if c["source"] not in data["sources"] or "verified" not in c:
                raise ValueError(f"{DATA}: {name}: a citation without a known source")
    return data


def parse_kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        raise UnknownKind(
            f"unknown document kind {value!r}: use one of {', '.join(KINDS)}"
        ) from None


def citations_for(
    kind: DocumentKind | str, legal_basis: str | None, outcome: str | None = None
) -> tuple[Citation, ...]:
    """The articles on the document's contents, of the request's chosen legal basis only
    (and for the decision's outcome, where the article names one)."""
    data = rules()
    return tuple(
        Citation(
            c["instrument"],
            c["article"],
            bool(c["verified"]),
            c["text"],
            data["sources"][c["source"]]["title"],
            data["sources"][c["source"]]["url"],
        )
        for c in data["kinds"][str(kind)]["citations"]
        if c["instrument"] == legal_basis and outcome in c.get("outcomes", [outcome])
    )


def fit(kind: DocumentKind | str, request: RequestShape) -> Fit:
    """Whether the document can be produced for the request, and why not."""
    rule = rules()["kinds"][str(kind)]
    name = str(kind)
    if request.direction != rule["direction"]:
        side = "an outgoing" if rule["direction"] == "outgoing" else "an incoming"
        return Fit(
            name,
            False,
            f"a {name} is written for {side} request; this request is {request.direction}",
        )
    if request.kind not in rule["request_kinds"]:
        return Fit(
            name,
            False,
            f"a {name} is for a request of kind "
            f"{' or '.join(rule['request_kinds'])}, not {request.kind}",
        )
    statuses = rule.get("statuses")
    if statuses and request.status not in statuses:
        return Fit(
            name,
            False,
            f"a {name} is for a request that is "
            f"{' or '.join(statuses)}; this one is {request.status}",
        )
    needs = rule.get("needs")
    if needs == "missing_items" and not request.missing:
        return Fit(
            name,
            False,
            "the completeness report finds nothing missing: "
            "there is no further information to ask for",
        )
    if needs == "annexed_document" and not request.documents:
        return Fit(name, False, "it must state that a warrant of arrest or an enforceable "
                                "judgment exists (ECE art. 16(2)): add it to the request's "
                                "documents first")  # fmt: skip
    if needs == "effective_decision" and not request.has_effective_decision:
        return Fit(
            name,
            False,
            "no decision on the request is in effect yet "
            "(a refusal waits for a supervisor's approval)",
        )
    if needs == "approved_information" and not request.information_approved:
        return Fit(name, False, "no result of a submission for prosecution has been approved "
                                "for the requesting state (draft it on the obligation, and "
                                "have a second person approve it)")  # fmt: skip
    return Fit(name, True, "fits", citations_for(name, request.legal_basis, request.outcome))


def fitting(request: RequestShape) -> list[str]:
    """The kinds that fit the request, in the catalogue's order."""
    return [k for k in KINDS if fit(k, request).fits]
