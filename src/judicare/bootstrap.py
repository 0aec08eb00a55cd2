"""Bringing a database to the state the code expects: schema migrations, then the
shipped reference data."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import OperationalError

from judicare.app import App
from judicare.db import migrate
from judicare.errors import DatabaseNotReady
from judicare.treaties.service import reference_is_current, sync_reference


def upgrade_database(app: App, progress: Callable[[str], None] | None = None) -> list[str]:
    """`judicare db upgrade`: migrate to the newest schema and load changed reference data."""
    _reachable(app)
    migrate.upgrade(app.engine)
    with app.unit_of_work() as uow:
        changed = sync_reference(uow.session, progress)
        uow.commit()
    return changed


def prepare_database(app: App, progress: Callable[[str], None] | None = None) -> None:
    """Before a command: a new, empty database is set up on the spot; a database at an older
    schema is never migrated behind the user's back."""
    _reachable(app)
    if migrate.is_empty(app.engine):
        upgrade_database(app, progress)
        return
    current, head = migrate.current_revision(app.engine), migrate.head_revision(app.engine)
    if current != head:
        raise DatabaseNotReady(
            f"the database is at schema revision {current or 'none'}, this version needs {head}: "
            "run `judicare db upgrade` (with the same --db)"
        )
    with app.unit_of_work() as uow:
        if not reference_is_current(uow.session):
            sync_reference(uow.session, progress)
            uow.commit()


def _reachable(app: App) -> None:
    try:
        with app.engine.connect():
            pass
    except OperationalError as exc:
        url = app.engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseNotReady(f"cannot connect to the database {url}: {reason}") from None
