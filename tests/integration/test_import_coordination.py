"""Register imports coordinated across servers (issue 22): on PostgreSQL an import holds
its register's advisory lock and one of the node's import slots for its transaction, so a
second server (or `judicare persons import`) refuses at once rather than importing the same
register twice or piling imports up. The locks go with the transaction: a crashed import
frees them."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from judicare.auth.permissions import Principal, Role
from judicare.errors import Conflict
from judicare.persons.models import PersonEntryRow
from judicare.persons.service import (
    IMPORT_LOCK_SPACE,
    IMPORT_SLOT_SPACE,
    IMPORT_SLOTS,
    import_register,
    parse_register_csv,
)

NODE_ADMIN = Principal(0, "test", Role.NODE_ADMIN, "")
CSV = (
    "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"
    "C1,Иван Петренко|Ivan Petrenko,1970,UKR,refugee,RUS,2020-01-01\n"
)


def _import(app, register: str = "refugees") -> None:
    with app.unit_of_work() as uow:
        import_register(uow.session, parse_register_csv(CSV, register),
                        principal=NODE_ADMIN, now=app.now())  # fmt: skip
        uow.commit()


@pytest.fixture
def other_server(app):
    """A connection of "another server", holding advisory locks as its import would."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second import waits for the first")
    engine = create_engine(app.engine.url)
    connection = engine.connect()
    yield connection
    connection.close()
    engine.dispose()


def test_a_register_being_imported_elsewhere_is_refused_then_imported(app, other_server):
    other_server.execute(text("SELECT pg_advisory_lock(:s, hashtext('refugees'))"),
                         {"s": IMPORT_LOCK_SPACE})  # fmt: skip
    with pytest.raises(Conflict, match="'refugees' is being imported already"):
        _import(app)
    _import(app, "stateless-persons")  # another register is not held up
    other_server.execute(text("SELECT pg_advisory_unlock_all()"))
    _import(app)
    with app.unit_of_work() as uow:
        registers = set(uow.session.scalars(select(PersonEntryRow.register)))
    assert {"refugees", "stateless-persons"} <= registers


def test_no_more_imports_at_once_than_the_node_allows(app, other_server):
    for slot in range(IMPORT_SLOTS):
        other_server.execute(text("SELECT pg_advisory_lock(:s, :slot)"),
                             {"s": IMPORT_SLOT_SPACE, "slot": slot})  # fmt: skip
    with pytest.raises(Conflict, match=f"{IMPORT_SLOTS} register imports are running"):
        _import(app)
    other_server.execute(text("SELECT pg_advisory_unlock(:s, 0)"), {"s": IMPORT_SLOT_SPACE})
    _import(app)


def test_the_locks_go_with_the_transaction(app, other_server):
    with app.unit_of_work() as uow:
        import_register(uow.session, parse_register_csv(CSV, "refugees"),
                        principal=NODE_ADMIN, now=app.now())  # fmt: skip
        held = other_server.execute(
            text("SELECT pg_try_advisory_lock(:s, hashtext('refugees'))"),
            {"s": IMPORT_LOCK_SPACE},
        ).scalar()
        assert held is False  # held by the import in progress
        # no commit: the import is abandoned (as by a crash)
    assert other_server.execute(
        text("SELECT pg_try_advisory_lock(:s, hashtext('refugees'))"), {"s": IMPORT_LOCK_SPACE}
    ).scalar()
