"""The treaty register's version (migration 0052): the database moves it on every change of
the depositary actions, whoever makes it, and the legal-basis provider of every process
rebuilds its resolver when it moved, and only then. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, delete, select, text

from judicare.legal_basis.service import LegalBasisProvider
from judicare.treaties.models import DepositaryActionRow
from judicare.treaties.repository import register_version


def _version(app) -> int:
    with app.unit_of_work() as uow:
        return register_version(uow.session)


def _provided(app, provider: LegalBasisProvider):
    with app.unit_of_work() as uow:
        return provider.get(uow.session)


def test_each_kind_of_change_moves_the_version_and_a_rollback_does_not(app):
    with app.unit_of_work() as uow:
        first = uow.session.scalars(select(DepositaryActionRow).order_by(DepositaryActionRow.id))
        action = first.first()
        assert action is not None  # the reference data is loaded
        copied = {c.key: getattr(action, c.key) for c in DepositaryActionRow.__table__.columns}
    first_id = copied["id"]
    versions = [_version(app)]
    with app.unit_of_work() as uow:  # corrected in place: count and highest id unchanged
        uow.session.get(DepositaryActionRow, first_id).notes = "corrected (test)"
        uow.commit()
    versions.append(_version(app))
    with app.unit_of_work() as uow:
        uow.session.add(DepositaryActionRow(**{**copied, "id": None, "notes": "added (test)"}))
        uow.commit()
    versions.append(_version(app))
    with app.unit_of_work() as uow:
        uow.session.execute(
            delete(DepositaryActionRow).where(DepositaryActionRow.notes == "added (test)")
        )
        uow.commit()
    versions.append(_version(app))
    assert versions == sorted(set(versions)), versions  # each change moved it forward
    with app.unit_of_work() as uow:  # rolled back: never seen
        uow.session.get(DepositaryActionRow, first_id).notes = "not kept"
        uow.session.flush()
        uow.session.rollback()
    assert _version(app) == versions[-1]


def test_the_provider_rebuilds_when_another_connection_changes_the_register(app):
    provider = LegalBasisProvider()
    first = _provided(app, provider)
    assert _provided(app, provider) is first  # unchanged register: the same resolver
    # another process (here: another engine, plain SQL) corrects an action in place
    other = create_engine(app.settings.effective_database_url)
    try:
        with other.begin() as connection:
            connection.execute(
                text("UPDATE depositary_actions SET notes = 'corrected elsewhere' "
                     "WHERE id = (SELECT min(id) FROM depositary_actions)")
            )  # fmt: skip
    finally:
        other.dispose()
    second = _provided(app, provider)
    assert second is not first
    assert _provided(app, provider) is second


def test_the_migration_goes_down_and_up_again(app):
    """Down: the counter and its triggers are gone, and actions are written as before.
    Up again: the counter counts from one again."""
    from alembic import command
    from sqlalchemy import inspect

    from judicare.db.migrate import alembic_config

    config = alembic_config(app.engine)
    command.downgrade(config, "0050")
    assert "treaty_register_version" not in inspect(app.engine).get_table_names()
    with app.unit_of_work() as uow:  # no trigger left to write to the dropped table
        uow.session.execute(
            text(
                "UPDATE depositary_actions SET notes = 'down' WHERE id = (SELECT min(id) FROM depositary_actions)"
            )
        )
        uow.commit()
    command.upgrade(config, "0052")
    assert _version(app) == 1
    with app.unit_of_work() as uow:
        uow.session.execute(
            text(
                "UPDATE depositary_actions SET notes = 'up' WHERE id = (SELECT min(id) FROM depositary_actions)"
            )
        )
        uow.commit()
    assert _version(app) == 2
