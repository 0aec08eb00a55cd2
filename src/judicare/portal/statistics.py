"""The cooperation statistics of the public portal (issue 19), and how aut-dedere
obligations end (issue 20), read from every authority at this node and passed through the
disclosure rule before they leave this module.

What is read, column by column, and nothing else: of each incoming request its two states,
kind, legal basis instrument and date of receipt; of its status history the statuses and
their times; of each prosecution obligation its status and outcome. Never a name, a
reference, an authority, a person or a fact.

Definitions:
- **Requests** are the incoming requests recorded at this node: the requested state's record,
  where the decision and the execution happen. An outgoing request is counted by the node of
  the state that received it, so that a request recorded at both ends is counted once.
- **Year** is the year the request was received.
- **Days to decision**: from the date of receipt to the first decision on the merits, the
  first change of status to `accepted` or `refused` (a postponement is not a decision on
  the merits), in whole days, dates taken in UTC.
- **Days to execution**: from the date of receipt to the first change of status to
  `executed` or `partially_executed`.
A duration that would be negative (a status recorded before the date of receipt) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.db.base import as_utc
from judicare.portal.disclosure import Count
from judicare.portal.tables import NO_INSTRUMENT, Observed, Row, outcome_rows, suppress
from judicare.prosecution import rules as prosecution_rules
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.requests.models import RequestRow, TransitionRow

DECIDED = frozenset({"accepted", "refused"})
EXECUTED = frozenset({"executed", "partially_executed"})
OPEN = "open"  # an obligation not yet closed


@dataclass(frozen=True)
class Statistics:
    """Everything the portal publishes about cooperation: already suppressed."""

    requests: list[Row]
    obligations: list[tuple[str, Count]]
    withheld: tuple[str, ...] = ()  # request tables not published (only in tiny tables)


def load(session: Session) -> Statistics:
    publication = suppress(observed_requests(session))
    return Statistics(
        publication.rows, outcome_rows(obligation_counts(session)), publication.withheld
    )


def observed_requests(session: Session) -> list[Observed]:
    firsts = _first_times(session)
    rows = session.execute(
        select(
            RequestRow.id, RequestRow.requesting_state, RequestRow.requested_state,
            RequestRow.kind, RequestRow.legal_basis_instrument, RequestRow.received_on,
        ).where(RequestRow.direction == "incoming")
    ).all()  # fmt: skip
    out = []
    for request_id, requesting, requested, kind, instrument, received in rows:
        decided, executed = firsts.get(request_id, (None, None))
        out.append(
            Observed(
                requesting_state=requesting, requested_state=requested, kind=kind,
                instrument=instrument or NO_INSTRUMENT, year=received.year,
                days_to_decision=_days(received, decided),
                days_to_execution=_days(received, executed),
            )
        )  # fmt: skip
    return out


def _first_times(session: Session) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Per request, when it was first decided on the merits and first executed."""
    firsts: dict[int, tuple[datetime | None, datetime | None]] = {}
    rows = session.execute(
        select(TransitionRow.request_id, TransitionRow.to_status, TransitionRow.decided_at)
        .where(TransitionRow.to_status.in_(DECIDED | EXECUTED))
        .order_by(TransitionRow.decided_at, TransitionRow.id)
    )
    for request_id, status, at in rows:
        decided, executed = firsts.get(request_id, (None, None))
        if status in DECIDED and decided is None:
            decided = as_utc(at)
        if status in EXECUTED and executed is None:
            executed = as_utc(at)
        firsts[request_id] = (decided, executed)
    return firsts


def _days(received: date, moment: datetime | None) -> int | None:
    if moment is None:
        return None
    days = (moment.astimezone(UTC).date() - received).days
    return days if days >= 0 else None


def obligation_counts(session: Session) -> dict[str, int]:
    """Obligations still open, and closed ones by outcome, at every authority."""
    counts = {OPEN: 0, **{name: 0 for name in prosecution_rules.outcomes()}}
    rows = session.execute(
        select(ProsecutionObligationRow.status, ProsecutionObligationRow.outcome)
    )
    for status, outcome in rows:
        key = OPEN if status != "closed" else outcome
        if key not in counts:
            raise ValueError(f"an obligation closed with an unknown outcome: {outcome!r}")
        counts[key] += 1
    return counts
