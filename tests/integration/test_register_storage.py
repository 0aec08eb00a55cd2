"""The treaty register on a real database: SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from judicare.auth.permissions import Principal, Role
from judicare.bootstrap import prepare_database, upgrade_database
from judicare.db import migrate
from judicare.errors import ActionRefused, DatabaseNotReady, ImportRejected
from judicare.files.store import MemoryFileStore
from judicare.treaties import desk_service, service
from judicare.treaties.models import (
    DepositaryActionRow,
    DepositaryNotificationRow,
    InstrumentRow,
)
from tests.conftest import TODAY

EVA = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
JAN = Principal(2, "jan.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _count(app, model) -> int:
    with app.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def _record(app, *args, note: str = ""):
    proposed = service.parse_action(*args, note=note)
    with app.unit_of_work() as uow:
        result = service.record_action(uow.session, proposed, TODAY, who=EVA)
        uow.commit()
    return result


def _import(app, lines: list[str], instrument: str | None = None):
    text = "instrument,iso3,action,date,source_url,notes\n" + "\n".join(lines) + "\n"
    rows = service.read_import_file(text)
    with app.unit_of_work() as uow:
        result = service.import_actions(uow.session, rows, TODAY, instrument, who=EVA)
        uow.commit()
    return result


def test_upgrade_builds_the_schema_and_loads_the_reference_data(empty_app):
    changed = upgrade_database(empty_app)
    assert "lhc-2023" in changed and "rome-1998" in changed
    assert migrate.current_revision(empty_app.engine) == migrate.head_revision(empty_app.engine)
    assert _count(empty_app, DepositaryActionRow) > 1500
    assert upgrade_database(empty_app) == []  # a second run finds nothing to load


def test_migrations_go_down_and_up_again(app):
    migrate.downgrade(app.engine, "base")
    assert migrate.current_revision(app.engine) is None
    with pytest.raises(DatabaseNotReady, match="run `judicare db upgrade`"):
        prepare_database(app)
    upgrade_database(app)
    assert _count(app, InstrumentRow) >= 15


def test_a_new_empty_database_is_set_up_on_first_use(empty_app):
    prepare_database(empty_app)
    assert _count(empty_app, InstrumentRow) >= 15


def test_recording_actions_numbers_notifications_per_instrument(app):
    first = _record(app, "lhc-2023", "BE", "ratification", "2026-01-10")
    second = _record(app, "lhc-2023", "DEU", "ratification", "2026-02-11")
    assert (first["number"], second["number"]) == (1, 2)
    assert first["reference"] == "LHC-2023/1"
    assert "Belgium" in first["text_en"] and "Belgique" in first["text_fr"]
    assert "10 janvier 2026" in first["text_fr"]
    assert first["issued_at"] is None  # a draft: another officer issues it (four eyes)
    with app.unit_of_work() as uow:
        assert service.list_notifications(uow.session, "lhc-2023") == []
        for number in (1, 2):
            desk_service.issue(uow.session, MemoryFileStore(), JAN, "lhc-2023", number,
                               now=NOW)  # fmt: skip
        uow.commit()
    with app.unit_of_work() as uow:
        listed = service.list_notifications(uow.session, "lhc-2023")
    assert [n["number"] for n in listed] == [1, 2]
    assert listed[0]["state"] == "BEL"


def test_a_refused_action_writes_nothing(app):
    actions_before = _count(app, DepositaryActionRow)
    with pytest.raises(ActionRefused, match="without a prior signature"):
        _record(app, "lhc-2023", "KAZ", "ratification", "2026-01-10")
    with pytest.raises(ActionRefused, match="duplicate"):
        _record(app, "lhc-2023", "BEL", "signature", "2024-02-14")
    assert _count(app, DepositaryActionRow) == actions_before
    assert _count(app, DepositaryNotificationRow) == 0


def test_an_import_with_one_bad_row_is_rejected_whole(app):
    actions_before = _count(app, DepositaryActionRow)
    with pytest.raises(ImportRejected) as rejected:
        _import(
            app,
            [
                "lhc-2023,BEL,ratification,2026-01-10,https://example.org/a,",
                "lhc-2023,KAZ,ratification,2026-01-11,https://example.org/b,",
                "lhc-2023,XXX,signature,2026-01-11,https://example.org/c,",
                "lhc-2023,DEU,ratification,2023-02-30,https://example.org/d,",
            ],
        )
    problems = rejected.value.problems
    assert any(p.startswith("row 3:") and "without a prior signature" in p for p in problems)
    assert any(p.startswith("row 4:") and "unknown state" in p for p in problems)
    assert any(p.startswith("row 5:") and "not a valid date" in p for p in problems)
    assert not any(p.startswith("row 2:") for p in problems)
    assert _count(app, DepositaryActionRow) == actions_before


def test_an_import_is_checked_in_date_order_against_its_own_rows(app):
    notifications = _import(
        app,
        [
            ",KAZ,ratification,2026-03-01,https://example.org/r,",
            ",KAZ,signature,2026-02-01,https://example.org/s,",
        ],
        instrument="lhc-2023",
    )
    assert [(n["action"], n["number"]) for n in notifications] == [
        ("signature", 1),
        ("ratification", 2),
    ]


def test_an_import_row_for_another_instrument_is_refused_under_instrument(app):
    with pytest.raises(ImportRejected, match="does not match --instrument"):
        _import(app, ["cat-1984,KAZ,signature,2026-02-01,https://example.org/s,"], "lhc-2023")


def test_fifteen_instruments_bring_the_convention_into_force(app):
    signatories = ["ALB", "AUT", "BEL", "BGR", "CHL", "HRV", "CZE", "FIN", "FRA", "DEU"]
    signatories += ["GHA", "IRL", "LTU", "LUX"]  # Latvia ratified in the reference data
    _import(
        app,
        [
            f"lhc-2023,{s},ratification,2026-03-0{1 + i % 5},https://example.org/{s},"
            for i, s in enumerate(signatories)
        ],
    )
    with app.unit_of_work() as uow:
        participation = service.participation_for(uow.session, "lhc-2023")
    # 15th instrument on 2026-03-05; the convention's (unverified) timing gives 1 July 2026.
    assert participation.entry.threshold_deposit == date(2026, 3, 5)
    assert participation.entry_into_force == date(2026, 7, 1)
    report = service.status_report(participation, date(2026, 7, 1))
    assert report["in_force"] is True
    latvia = next(p for p in report["parties"] if p["state"] == "LVA")
    assert latvia == latvia | {"status": "party", "in_force_from": "2026-07-01"}


def test_reloading_reference_data_keeps_the_register(app):
    _record(app, "lhc-2023", "BEL", "ratification", "2026-01-10")
    with app.unit_of_work() as uow:
        uow.session.get(InstrumentRow, "lhc-2023").catalogue_sha256 = "stale"
        uow.commit()
    with app.unit_of_work() as uow:
        assert service.sync_reference(uow.session) == ["lhc-2023"]
        uow.commit()
    with app.unit_of_work() as uow:
        register = uow.session.execute(
            select(DepositaryActionRow.state, DepositaryActionRow.action).where(
                DepositaryActionRow.origin == "register"
            )
        ).all()
    assert [tuple(r) for r in register] == [("BEL", "ratification")]


def test_nothing_is_written_unless_the_unit_of_work_commits(app):
    proposed = service.parse_action("lhc-2023", "BEL", "ratification", "2026-01-10")
    with app.unit_of_work() as uow:
        service.record_action(uow.session, proposed, TODAY, who=EVA)
    assert _count(app, DepositaryNotificationRow) == 0
