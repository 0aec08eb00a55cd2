"""Reads and writes of the treaty register. Maps table rows to domain values; never commits."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from judicare.treaties.catalogue import data_root
from judicare.treaties.domain import Action, ActionKind, Instrument, Origin
from judicare.treaties.models import (
    DepositaryActionRow,
    DepositaryNotificationRow,
    InstrumentRow,
    ReferenceDatasetRow,
    TreatyRegisterVersionRow,
)
from judicare.treaties.reference import Dataset


def to_action(row: DepositaryActionRow) -> Action:
    return Action(
        instrument_id=row.instrument_id,
        state=row.state,
        kind=ActionKind(row.action),
        date=row.action_date,
        source_url=row.source_url,
        notes=row.notes or "",
        origin=Origin(row.origin),
        dataset=row.dataset,
        row_number=row.row_number,
        date_is_effective=row.date_is_effective,
        id=row.id,
    )


def to_row(action: Action) -> DepositaryActionRow:
    return DepositaryActionRow(
        instrument_id=action.instrument_id,
        state=action.state,
        action=action.kind.value,
        action_date=action.date,
        date_is_effective=action.date_is_effective,
        source_url=action.source_url,
        notes=action.notes,
        origin=action.origin.value,
        dataset=action.dataset,
        row_number=action.row_number,
    )


def instrument_fingerprint(instrument: Instrument, datasets: Iterable[Dataset]) -> str:
    """Changes whenever the instrument's data file or one of its datasets changes."""
    digest = hashlib.sha256()
    digest.update((data_root() / "instruments" / f"{instrument.id}.yaml").read_bytes())
    for dataset in datasets:
        digest.update(f"{dataset.name}:{dataset.sha256}".encode())
    return digest.hexdigest()


def register_version(session: Session) -> int:
    """The stored register's version: it moves, in the writing transaction, on every change
    of the depositary actions (triggers of migration 0052), so two reads that return the same
    version saw the same actions. One row read by its key: cheap enough for every request
    registered (counting the actions cost about 0.5 ms of PostgreSQL's time each)."""
    return session.connection().execute(_VERSION).scalar_one()


_VERSION = select(TreatyRegisterVersionRow.version).where(TreatyRegisterVersionRow.id == 1)


def stored_fingerprints(session: Session) -> dict[str, str]:
    return dict(session.execute(select(InstrumentRow.id, InstrumentRow.catalogue_sha256)).all())


def replace_reference_actions(
    session: Session,
    instrument: Instrument,
    actions: list[Action],
    datasets: list[Dataset],
    fingerprint: str,
) -> None:
    row = session.get(InstrumentRow, instrument.id)
    if row is None:
        session.add(
            InstrumentRow(
                id=instrument.id,
                title=instrument.title,
                role=instrument.role,
                catalogue_sha256=fingerprint,
            )
        )
        session.flush()
    else:
        row.title, row.role, row.catalogue_sha256 = instrument.title, instrument.role, fingerprint
    session.execute(
        delete(DepositaryActionRow).where(
            DepositaryActionRow.instrument_id == instrument.id,
            DepositaryActionRow.origin == Origin.REFERENCE.value,
        )
    )
    session.add_all(to_row(a) for a in actions)
    for dataset in datasets:
        stored = session.get(ReferenceDatasetRow, dataset.name)
        if stored is None:
            session.add(
                ReferenceDatasetRow(name=dataset.name, sha256=dataset.sha256, rows=dataset.rows)
            )
        else:
            stored.sha256, stored.rows = dataset.sha256, dataset.rows


def actions_for(session: Session, instrument_id: str) -> list[Action]:
    rows = session.scalars(
        select(DepositaryActionRow)
        .where(DepositaryActionRow.instrument_id == instrument_id)
        .order_by(DepositaryActionRow.id)
    )
    return [to_action(r) for r in rows]


def all_actions(session: Session) -> dict[str, list[Action]]:
    result: dict[str, list[Action]] = defaultdict(list)
    for row in session.scalars(select(DepositaryActionRow).order_by(DepositaryActionRow.id)):
        result[row.instrument_id].append(to_action(row))
    return result


def add_action(session: Session, action: Action) -> int:
    row = to_row(action)
    session.add(row)
    session.flush()
    return row.id


def next_notification_number(session: Session, instrument_id: str) -> int:
    current = session.scalar(
        select(func.max(DepositaryNotificationRow.number)).where(
            DepositaryNotificationRow.instrument_id == instrument_id
        )
    )
    return (current or 0) + 1


def add_notification(
    session: Session,
    instrument_id: str,
    number: int,
    action_id: int,
    text_en: str,
    text_fr: str,
    *,
    drafted_by: str,
) -> DepositaryNotificationRow:
    """Every notification starts as a draft in its drafter's name: only another depositary
    officer issues it (`desk_service.issue`, four eyes)."""
    if not drafted_by:
        raise ValueError("a depositary notification is drafted by a named officer")
    row = DepositaryNotificationRow(
        instrument_id=instrument_id,
        number=number,
        action_id=action_id,
        text_en=text_en,
        text_fr=text_fr,
        status="draft",
        issued_at=None,
        drafted_by=drafted_by,
    )
    session.add(row)
    session.flush()
    return row


def notifications_for(session: Session, instrument_id: str):
    return session.execute(
        select(DepositaryNotificationRow, DepositaryActionRow)
        .join(DepositaryActionRow, DepositaryNotificationRow.action_id == DepositaryActionRow.id)
        .where(DepositaryNotificationRow.instrument_id == instrument_id)
        .order_by(DepositaryNotificationRow.number)
    ).all()


def issued_notifications_of(session: Session, instrument_ids: list[str]):
    """(notification, action) of these instruments but drafts, by instrument and number."""
    return session.execute(
        select(DepositaryNotificationRow, DepositaryActionRow)
        .join(DepositaryActionRow, DepositaryNotificationRow.action_id == DepositaryActionRow.id)
        .where(
            DepositaryNotificationRow.instrument_id.in_(instrument_ids),
            DepositaryNotificationRow.status != "draft",
        )
        .order_by(DepositaryNotificationRow.instrument_id, DepositaryNotificationRow.number)
    ).all()


def datasets(session: Session) -> dict[str, ReferenceDatasetRow]:
    return {r.name: r for r in session.scalars(select(ReferenceDatasetRow))}
