"""What a document addressed to the requesting state may say: the disclosure rule. Pure.

It extends the rule the status notices already follow (`exchange.correspondence`: a status
notice carries the new status only, never the reasons recorded for it) to every document
the requested state sends (acknowledgement, request for further information, decision
notice, execution report), including the JSON embedded in them:

- the reasons recorded with a decision are internal: they may name what the requested state
  knows about a person, so they are withheld, exactly as from a status notice;
- a person's protected status (refugee, subsidiary protection, asylum seeker, protected) is
  never disclosed, to the requesting state nor, in an outgoing request's documents, to the
  requested state (a document is read by more people than the exchange's recipient, and
  the status is what puts the person at risk from a state), neither as the field nor
  through a citation of the instruments that protect such a person (the instruments of
  the screening ground `protected_status`, `screening/grounds.yaml`), nor through a
  citation of a screening finding;
- the screening findings themselves stay with the requested state;
- the outcome, the conditions of a grant and the articles relied on are disclosed (ECMA
  art. 19 and ECE art. 18(2) require reasons for a refusal: the articles are those reasons).

A document kept on the requested state's own file (recipient `own_file`) discloses all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any

from judicare.screening.grounds import grounds_data


class Recipient(enum.StrEnum):
    REQUESTING_STATE = "requesting_state"
    REQUESTED_STATE = "requested_state"  # an outgoing request's documents
    OWN_FILE = "own_file"


class Item(enum.StrEnum):
    OUTCOME = "outcome"
    CONDITIONS = "conditions"
    REASONS = "reasons"  # the reasons recorded with a decision
    CITATION = "citation"  # an article relied on (instrument, article), or a finding cited
    FINDING = "finding"  # a screening finding
    PROTECTED_STATUS = "protected_status"  # a person's
    REQUEST_FIELD = "request_field"  # any other field of the request as registered


@dataclass(frozen=True)
class Disclosure:
    disclose: bool
    reason: str


@cache
def protected_status_instruments() -> frozenset[str]:
    """The instruments whose citation would reveal that a person is protected."""
    ground = grounds_data()["grounds"]["protected_status"]
    cited = [*ground.get("provisions", []), *ground.get("questions", [])]
    return frozenset(c["instrument"] for c in cited)


WHY_REASONS = (
    "the reasons recorded with a decision are internal, as they are withheld from status "
    "notices: they may name what the requested state knows about a person"
)


def decide(
    item: Item | str,
    recipient: Recipient | str,
    *,
    instrument: str | None = None,
    finding: str | None = None,
) -> Disclosure:
    item, recipient = Item(item), Recipient(recipient)
    if item is Item.PROTECTED_STATUS and recipient is not Recipient.OWN_FILE:
        return Disclosure(False, "a person's protected status is never disclosed")
    if recipient is not Recipient.REQUESTING_STATE:
        return Disclosure(True, "not addressed to the requesting state")
    if item is Item.REASONS:
        return Disclosure(False, WHY_REASONS)
    if item is Item.FINDING:
        return Disclosure(False, "screening findings stay with the requested state")
    if item is Item.CITATION:
        if finding:
            return Disclosure(False, "a citation of a screening finding would disclose it")
        if instrument in protected_status_instruments():
            return Disclosure(
                False, f"citing {instrument} would disclose a person's protected status"
            )
        return Disclosure(True, "the article relied on is the reason the notice gives")
    return Disclosure(True, "written for the requesting state")


def disclosed_citations(
    citations: list[dict[str, Any]], recipient: Recipient
) -> list[dict[str, Any]]:
    """The citations of a decision the recipient may read."""
    return [
        c
        for c in citations
        if decide(
            Item.CITATION, recipient, instrument=c.get("instrument"), finding=c.get("finding")
        ).disclose
    ]


def disclosed_request(payload: dict[str, Any], recipient: Recipient) -> dict[str, Any]:
    """A request's payload without what the recipient may not read (a copy)."""
    keep = decide(Item.PROTECTED_STATUS, recipient).disclose
    persons = [
        {k: v for k, v in p.items() if keep or k != "protected_status"}
        for p in payload.get("persons", [])
    ]
    return {**payload, "persons": persons}
