"""The depositary's desk: the formal checks an instrument passes before the depositary accepts
it. Pure: plain values in, a `DeskOutcome` out (accepted, pending or refused, each with its
reasons and the articles it rests on). No I/O; the final clauses come in as data.

The rules, under the articles they implement:

* Full powers, Vienna Convention on the Law of Treaties (VCLT) art. 7(2)(a): heads of state,
  heads of government and ministers for foreign affairs represent their state without having
  to produce full powers; anyone else must produce them (art. 7(1)(a)). For a withdrawal, the
  instrument is signed by the same three or its bearer produces full powers (art. 67(2)).
  Missing full powers leave the instrument *pending*; defective ones are *refused*. Never a
  silent acceptance.
* Final clauses (who may sign and when, which reservations and declarations are allowed) come
  from the instrument's own data file; a clause marked unverified can only warn.
* Objections, VCLT art. 20(5): a reservation is considered accepted by a state that raised no
  objection by the end of twelve months after it was notified of it, or by the date on which
  it expressed its consent to be bound, whichever is later (per state: `ObjectionRule`, held
  as data in data/vclt.yaml). The desk records an objection made after that period and says,
  in the notification, that it was late.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from judicare.treaties.domain import ActionKind

# The VCLT's text is not in ../shared/reference: the articles are those named in issue 19;
# the source is a stored copy of the UN text. Kept unverified until read in the UNTS text.
VCLT_SOURCE = "https://studylib.net/doc/26037981/vienna-convention-on-the-law-of-treaties"


@dataclass(frozen=True, slots=True)
class Citation:
    instrument: str
    article: str
    source_url: str | None
    verified: bool
    note: str = ""

    def describe(self) -> str:
        flag = "" if self.verified else ", text not verified"
        return f"{self.instrument} art. {self.article}{flag}"


VCLT_7_2_A = Citation(
    "VCLT", "7(2)(a)", VCLT_SOURCE, False, "heads of state and government, foreign ministers"
)
VCLT_7_1_A = Citation("VCLT", "7(1)(a)", VCLT_SOURCE, False, "others produce full powers")
VCLT_67_2 = Citation("VCLT", "67(2)", VCLT_SOURCE, False, "instruments of withdrawal")
VCLT_20_5 = Citation(
    "VCLT", "20(5)", VCLT_SOURCE, False,
    "twelve months to object, or until consent to be bound if later",
)  # fmt: skip
OBJECTION_PERIOD = relativedelta(months=12)


@dataclass(frozen=True, slots=True)
class ObjectionRule:
    """VCLT art. 20(5) as data (`final_clauses.objection_rule` reads data/vclt.yaml): the
    months after the notification of a reservation, and whether a state's own consent to be
    bound, when later, ends its period instead."""

    months: int = 12
    or_consent_if_later: bool = True
    citation: Citation = VCLT_20_5


class PeriodEnd(enum.StrEnum):
    """What ends one state's period to object."""

    TWELVE_MONTHS = "twelve_months"
    CONSENT = "consent"  # the state expressed its consent to be bound after the twelve months


# Acts the desk receives as instruments (the register's other kinds stay with `treaty record`).
DESK_KINDS = frozenset(
    {
        ActionKind.SIGNATURE,
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
        ActionKind.WITHDRAWAL,
        ActionKind.RESERVATION,
        ActionKind.DECLARATION,
        ActionKind.OBJECTION,
    }
)


class Capacity(enum.StrEnum):
    """The signatory's capacity, as the instrument states it."""

    HEAD_OF_STATE = "head_of_state"
    HEAD_OF_GOVERNMENT = "head_of_government"
    MINISTER_FOR_FOREIGN_AFFAIRS = "minister_for_foreign_affairs"
    OTHER = "other"  # an ambassador, a permanent representative, another minister...

    @property
    def needs_no_full_powers(self) -> bool:
        return self is not Capacity.OTHER


class Status(enum.StrEnum):
    ACCEPTED = "accepted"
    PENDING = "pending"  # held until the missing piece arrives (full powers, legal review)
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class FullPowers:
    """The document of full powers as the officer checked it."""

    issued_by: Capacity  # who signed the full powers
    issued_on: date
    names_signatory: bool  # designates the person who signed the instrument
    names_instrument: bool  # covers this instrument and this act


@dataclass(frozen=True, slots=True)
class Subject:
    """What a reservation, declaration or objection is about."""

    article: str = ""  # the article reserved (e.g. "8(3)")
    declaration: str = ""  # "annex" or "interpretative"
    annexes: tuple[str, ...] = ()  # annex letters for an annex declaration
    reservation_notified_on: date | None = None  # for an objection: when it was notified
    consented_on: date | None = None  # for an objection: when the objecting state consented


@dataclass(frozen=True, slots=True)
class Received:
    kind: ActionKind
    deposited_on: date
    capacity: Capacity
    full_powers: FullPowers | None = None
    subject: Subject = field(default_factory=Subject)


@dataclass(frozen=True, slots=True)
class DeskOutcome:
    status: Status
    reasons: tuple[str, ...] = ()  # why pending or refused
    warnings: tuple[str, ...] = ()  # accepted, but the officer must read these
    citations: tuple[Citation, ...] = ()
    objection_deadline: date | None = None
    objection_late: bool | None = None
    objection_period_end: PeriodEnd | None = None


def check_full_powers(received: Received) -> DeskOutcome:
    """VCLT art. 7(2)(a) (art. 67(2) for a withdrawal): who needs full powers, and whether
    the ones produced are in order."""
    cite = VCLT_67_2 if received.kind is ActionKind.WITHDRAWAL else VCLT_7_2_A
    if received.capacity.needs_no_full_powers:
        return DeskOutcome(Status.ACCEPTED, citations=(cite,))
    powers = received.full_powers
    if powers is None:
        return DeskOutcome(
            Status.PENDING,
            (
                f"the signatory is not a head of state or government or a minister for foreign "
                f"affairs ({cite.describe()}): the instrument waits for full powers; record "
                "them with --full-powers-by and --full-powers-on",
            ),
            citations=(cite, VCLT_7_1_A),
        )
    defects = []
    if not powers.issued_by.needs_no_full_powers:
        defects.append(
            "the full powers are not signed by a head of state or government or a minister "
            "for foreign affairs"
        )
    if powers.issued_on > received.deposited_on:
        defects.append(
            f"the full powers are dated {powers.issued_on}, after the deposit of "
            f"{received.deposited_on}"
        )
    if not powers.names_signatory:
        defects.append("the full powers do not designate the person who signed the instrument")
    if not powers.names_instrument:
        defects.append("the full powers do not cover this instrument and this act")
    if defects:
        return DeskOutcome(Status.REFUSED, tuple(defects), citations=(cite, VCLT_7_1_A))
    return DeskOutcome(Status.ACCEPTED, citations=(cite, VCLT_7_1_A))


def objection_deadline(reservation_notified_on: date, rule: ObjectionRule | None = None) -> date:
    """VCLT art. 20(5): twelve months after the state was notified of the reservation."""
    months = (rule or ObjectionRule()).months
    result: date = reservation_notified_on + relativedelta(months=months)
    return result


def objection_period(
    reservation_notified_on: date,
    consented_on: date | None,
    rule: ObjectionRule | None = None,
) -> tuple[date, PeriodEnd]:
    """One state's last day to object (VCLT art. 20(5)): the end of the twelve months, or
    the date on which the state expressed its consent to be bound, whichever is later. For
    a state that has not consented yet, the twelve months (its consent, if it comes later,
    moves the day: ask again then)."""
    rule = rule or ObjectionRule()
    twelve = objection_deadline(reservation_notified_on, rule)
    if rule.or_consent_if_later and consented_on is not None and consented_on > twelve:
        return consented_on, PeriodEnd.CONSENT
    return twelve, PeriodEnd.TWELVE_MONTHS


def objection_is_late(
    objected_on: date,
    reservation_notified_on: date,
    consented_on: date | None = None,
    rule: ObjectionRule | None = None,
) -> bool:
    """An objection deposited after the state's last day (VCLT art. 20(5))."""
    return objected_on > objection_period(reservation_notified_on, consented_on, rule)[0]


def assess(
    received: Received, clauses: dict[str, Any] | None, rule: ObjectionRule | None = None
) -> DeskOutcome:
    """Every formal check on one received instrument. Refusals win over pending."""
    if received.kind not in DESK_KINDS:
        allowed = ", ".join(sorted(k.value for k in DESK_KINDS))
        return DeskOutcome(
            Status.REFUSED, (f"the desk does not receive a {received.kind.value}: use {allowed}",)
        )
    powers = check_full_powers(received)
    refused: list[str] = []
    pending: list[str] = []
    warnings: list[str] = []
    (refused if powers.status is Status.REFUSED else pending).extend(powers.reasons)
    citations = list(powers.citations)
    if clauses is None:
        warnings.append("no final clauses are held as data for this instrument: none checked")
    else:
        _final_clauses(received, clauses, refused, pending, warnings)
    deadline = late = period_end = None
    rule = rule or ObjectionRule()
    if received.kind is ActionKind.OBJECTION:
        citations.append(rule.citation)
        notified = received.subject.reservation_notified_on
        if notified is None:
            pending.append(
                "the reservation objected to has not been notified yet: issue its "
                "notification first (the twelve months run from it, VCLT art. 20(5))"
            )
        else:
            consented = received.subject.consented_on
            deadline, period_end = objection_period(notified, consented, rule)
            late = received.deposited_on > deadline
            if late:
                warnings.append(
                    f"the objection is made after the period to object ended on {deadline} "
                    f"({rule.citation.describe()}): the reservation is considered accepted by "
                    "the objecting state; the objection is circulated and says so"
                )
    status = Status.REFUSED if refused else Status.PENDING if pending else Status.ACCEPTED
    return DeskOutcome(
        status,
        tuple(refused or pending),
        tuple(warnings),
        tuple(citations),
        objection_deadline=deadline,
        objection_late=late,
        objection_period_end=period_end,
    )


def _final_clauses(
    received: Received,
    clauses: dict[str, Any],
    refused: list[str],
    pending: list[str],
    warnings: list[str],
) -> None:
    kind, on = received.kind, received.deposited_on
    signature = clauses.get("signature") or {}
    flag = "" if signature.get("verified") else " (clause not verified in the text)"
    if kind is ActionKind.SIGNATURE and signature:
        opens, closes = signature.get("opens"), signature.get("closes")
        if opens and on < opens:
            refused.append(f"signature is open only from {opens}{flag}")
        if closes and on > closes:
            after = signature.get("after_close", "accession")
            refused.append(
                f"the signature period closed on {closes}{flag}: the state may now deposit "
                f"an instrument of {after}"
            )
    if kind is ActionKind.RESERVATION:
        _reservation(received.subject, clauses.get("reservations") or {}, refused, pending)
    if kind is ActionKind.DECLARATION:
        _declaration(received.subject, clauses.get("declarations") or {}, refused, warnings)
    if kind is ActionKind.WITHDRAWAL and not (clauses.get("withdrawal") or {}).get("verified"):
        warnings.append(
            "the withdrawal clause is not verified: the date the withdrawal takes effect is "
            "unknown and the notification says so"
        )


def _reservation(
    subject: Subject, rules: dict[str, Any], refused: list[str], pending: list[str]
) -> None:
    article = subject.article.strip()
    if not article:
        refused.append("a reservation must name the article it concerns: pass --article")
        return
    allowed = {r["article"]: r for r in rules.get("allowed", [])}
    if article in allowed:
        return
    listed = ", ".join(f"art. {a}" for a in allowed) or "none listed"
    if rules.get("only_listed") is True:
        refused.append(f"the instrument allows reservations only to {listed}, not art. {article}")
    else:
        pending.append(
            f"a reservation to art. {article} is not among those the instrument is known to "
            f"allow ({listed}); whether others are allowed is unverified "
            f"({rules.get('only_listed_source', 'no source')}): held for legal review"
        )


def _declaration(
    subject: Subject, rules: dict[str, Any], refused: list[str], warnings: list[str]
) -> None:
    if subject.declaration == "annex":
        annex = rules.get("annex")
        if not annex:
            refused.append("the instrument has no annex declarations in its final clauses")
            return
        letters = {a["letter"]: a for a in annex.get("annexes", [])}
        if not subject.annexes:
            refused.append(f"an annex declaration must name the annexes: use {', '.join(letters)}")
        for letter in subject.annexes:
            if letter not in letters:
                refused.append(f"annex {letter!r} does not exist: use {', '.join(letters)}")
            elif not letters[letter].get("verified"):
                warnings.append(f"annex {letter}: {letters[letter]['content']}")
    elif subject.declaration == "interpretative":
        clause = rules.get("interpretative") or {}
        if clause.get("allowed") is False:
            refused.append("the instrument allows no interpretative declarations")
        elif not clause.get("verified"):
            warnings.append(
                "the clause on interpretative declarations is not verified: "
                + clause.get("citation", "no source")
            )
    else:
        refused.append("say which declaration this is: --declaration annex or interpretative")
