"""What the public portal shows, read once per page (live) or once per export: the treaty
register (reference and register rows, issued notifications), the joint statements, and the
cooperation statistics. Requests and prosecution obligations are read only by
`portal/statistics.py`, column by column (states, kind, instrument, dates, statuses), and
leave it aggregated and suppressed; nothing is read from persons, screening, exchange or
audit tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from judicare.portal import statistics as cooperation
from judicare.states import state_name
from judicare.treaties import repository as repo
from judicare.treaties import service as register
from judicare.treaties.domain import Action
from judicare.treaties.participation import Participation
from judicare.treaties.statements import Statement, beside_participation, load_statements

ROME = "rome-1998"


@dataclass
class PortalData:
    """Everything the portal publishes, as of `today`."""

    today: date
    instruments: list[dict]
    statements: dict[str, Statement]
    notifications: dict[str, list[dict]]
    _participation: dict[str, Participation] = field(default_factory=dict)
    _session: Session | None = None
    _statistics: cooperation.Statistics | None = None
    _actions: dict[str, list[Action]] | None = None

    @property
    def actions(self) -> dict[str, list[Action]]:
        """Every recorded action, by instrument (read once, when first needed: the home
        page and an instrument's page do not need them all)."""
        if self._actions is None:
            assert self._session is not None
            self._actions = repo.all_actions(self._session)
        return self._actions

    def statistics(self) -> cooperation.Statistics:
        """The cooperation statistics, already suppressed (read once, when first needed)."""
        if self._statistics is None:
            assert self._session is not None
            self._statistics = cooperation.load(self._session)
        return self._statistics

    def participation(self, instrument_id: str) -> Participation:
        if instrument_id not in self._participation:
            assert self._session is not None
            self._participation[instrument_id] = register.participation_for(
                self._session, instrument_id
            )
        return self._participation[instrument_id]

    def instrument(self, instrument_id: str) -> dict:
        for item in self.instruments:
            if item["id"] == instrument_id:
                return item
        from judicare.treaties.catalogue import get_instrument

        return next(i for i in self.instruments if i["id"] == get_instrument(instrument_id).id)

    def states(self) -> list[str]:
        """Every state with an action or a statement row, by code."""
        codes = {a.state for rows in self.actions.values() for a in rows}
        codes |= {s.state for st in self.statements.values() for s in st.signatories}
        return sorted(codes)


def load(session: Session, today: date) -> PortalData:
    """Read the register in the caller's unit of work (kept open while pages render): the
    issued notifications of every instrument in one statement; the actions, the
    participation and the statistics when a page first needs them."""
    instruments = register.list_instruments()
    return PortalData(
        today=today,
        instruments=instruments,
        statements=load_statements(),
        notifications=register.issued_notifications(session, [i["id"] for i in instruments]),
        _session=session,
    )


def all_notifications(data: PortalData) -> list[dict]:
    """Every issued notification, newest first."""
    rows = [n for rows in data.notifications.values() for n in rows]
    return sorted(rows, key=lambda n: (n["issued_at"] or "", n["reference"]), reverse=True)


def state_actions(data: PortalData, state: str) -> list[dict]:
    """One state's actions across instruments, in date order (undated last)."""
    titles = {i["id"]: i["short_title"] for i in data.instruments}
    rows = [
        {
            "instrument": a.instrument_id,
            "instrument_title": titles.get(a.instrument_id, a.instrument_id),
            "action": a.kind.value,
            "date": a.date.isoformat() if a.date else None,
            "source_url": a.source_url,
            "origin": a.origin.value,
        }
        for rows in data.actions.values()
        for a in rows
        if a.state == state
    ]
    return sorted(rows, key=lambda r: (r["date"] is None, r["date"] or "", r["instrument"]))


def state_statements(data: PortalData, state: str) -> list[dict]:
    return [
        {"statement": st.id, "title": st.title, "date": st.date.isoformat(), "unsure": s.unsure}
        for st in data.statements.values()
        for s in st.signatories
        if s.state == state
    ]


def statement_view(data: PortalData, statement: Statement) -> dict:
    """The statement beside the Rome Statute's participation on the statement's date."""
    report = register.status_report(data.participation(ROME), statement.date)
    return beside_participation(statement, report["parties"])


def action_rows(data: PortalData) -> list[dict]:
    """The `actions` dataset: every recorded action of every instrument."""
    rows = []
    for instrument_id in sorted(data.actions):
        for a in data.actions[instrument_id]:
            rows.append(
                {
                    "instrument": instrument_id,
                    "state": a.state,
                    "state_name": state_name(a.state),
                    "action": a.kind.value,
                    "date": a.date.isoformat() if a.date else None,
                    "date_is_effective": a.date_is_effective,
                    "origin": a.origin.value,
                    "source_url": a.source_url,
                }
            )
    return rows


def states_by_status(data: PortalData, instrument_id: str, on: date) -> dict:
    return register.status_report(data.participation(instrument_id), on)


def group_by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped
