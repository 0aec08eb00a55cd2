"""Use case: resolve the legal basis for a request, from the register's data. Used by the
CLI now and by the REST API later. Loads every instrument's participation once; builds the
per-date index once per date asked."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from judicare.errors import InvalidInput
from judicare.legal_basis.domain import CooperationKind, Query, Resolution
from judicare.legal_basis.index import DateIndex, build_index
from judicare.legal_basis.resolver import resolve
from judicare.legal_basis.rules import Rulebook, load_rulebook
from judicare.states import resolve_state
from judicare.treaties import repository as repo
from judicare.treaties.participation import Participation, build_participation


def parse_query(
    requesting: str,
    requested: str,
    kind: str,
    on: str | date,
    crimes: list[str] | tuple[str, ...] = (),
    conduct_date: str | date | None = None,
) -> Query:
    """User input to a query, or an error naming the bad value."""
    try:
        cooperation = CooperationKind(kind.strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in CooperationKind)
        raise InvalidInput(f"unknown kind {kind!r}: use one of {allowed}") from None
    book = load_rulebook()
    codes = tuple(dict.fromkeys(c.strip().lower() for c in crimes))
    for code in codes:
        if code not in book.crimes:
            raise InvalidInput(f"unknown crime {code!r}: use one of {', '.join(book.crimes)}")
    from_state, to_state = resolve_state(requesting).alpha3, resolve_state(requested).alpha3
    if from_state == to_state:
        raise InvalidInput(
            f"the requesting and the requested state are both {from_state}: a request for "
            "international cooperation goes between two different states"
        )
    day = _date(on, "--on")
    conduct = _date(conduct_date, "--conduct-date") if conduct_date is not None else None
    if conduct is not None and conduct > day:
        raise InvalidInput(
            f"--conduct-date {conduct} is after the date of the request {day}: "
            "the conduct must come first"
        )
    return Query(
        requesting=from_state,
        requested=to_state,
        kind=cooperation,
        on=day,
        crimes=codes,
        conduct_date=conduct,
    )


def _date(value: str | date, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a valid date: use YYYY-MM-DD") from None


class LegalBasisService:
    """Resolves queries against one snapshot of the register's data."""

    def __init__(
        self, participations: dict[str, Participation], actions: dict[str, Any], book: Rulebook
    ):
        self.participations = participations
        self.actions = actions
        self.book = book
        self._indexes: dict[date, DateIndex] = {}

    @classmethod
    def from_session(cls, session: Session) -> LegalBasisService:
        book = load_rulebook()
        actions = repo.all_actions(session)
        participations = {
            i.id: build_participation(i, actions.get(i.id, [])) for i in book.instruments.values()
        }
        return cls(participations, actions, book)

    def index_for(self, on: date) -> DateIndex:
        index = self._indexes.get(on)
        if index is None:
            index = self._indexes[on] = build_index(self.participations, self.actions, on)
        return index

    def resolve(self, query: Query) -> Resolution:
        return resolve(self.book, self.index_for(query.on), query)


class LegalBasisProvider:
    """One `LegalBasisService` per state of the treaty register, reused until the register
    changes: its fingerprint is the register's version, which the database moves on every
    change of the depositary actions, whichever process or transaction makes it
    (`treaties.repository.register_version`)."""

    def __init__(self) -> None:
        # (version, service), replaced as one value: threads of a server building it at
        # once never leave a service paired with a version it was not built for
        self._cached: tuple[int, LegalBasisService] | None = None

    def get(self, session: Session) -> LegalBasisService:
        version = repo.register_version(session)
        cached = self._cached
        if cached is None or cached[0] != version:
            cached = self._cached = (version, LegalBasisService.from_session(session))
        return cached[1]
