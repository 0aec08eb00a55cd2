"""The app factory: wires settings, the database and the clock. Nothing heavy happens at
import; every adapter (CLI now, HTTP API later) builds one `App` at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from judicare.audit.journal import AuditAnchor, log_origin
from judicare.audit.service import ANCHOR
from judicare.auth.passwords import use_fast_hashing_for_tests
from judicare.clock import Clock, FixedClock, SystemClock
from judicare.db.engine import UnitOfWork, make_engine, use_clock
from judicare.files.store import FileStore, LocalFileStore
from judicare.legal_basis.service import LegalBasisProvider
from judicare.requests.events import LISTENERS, StatusListener
from judicare.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock  # the one clock of the process: every component reads time from it
    file_store: FileStore | None = None
    basis: LegalBasisProvider = field(default_factory=LegalBasisProvider)
    # Called in the transaction of every change of a request's status (requests.events);
    # the same list is in every session's `info`, so a listener added later is seen.
    status_listeners: list[StatusListener] = field(default_factory=list)
    # Signs the head of the audit trail after each commit, outside the database (audit.journal).
    audit_anchor: AuditAnchor | None = None

    def now(self) -> datetime:
        return self.clock.now()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def dispose(self) -> None:
        self.engine.dispose()


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    file_store: FileStore | None = None,
) -> App:
    settings = settings or Settings()
    clock = clock or SystemClock()
    use_fast_hashing_for_tests(settings.environment == "test")
    engine = make_engine(settings.effective_database_url)
    use_clock(engine, clock)
    listeners: list[StatusListener] = []
    anchor = AuditAnchor(
        settings.effective_node_keys_dir / "audit", log_origin(engine.url), now=_unset_clock
    )
    factory = sessionmaker(
        engine, expire_on_commit=False, info={LISTENERS: listeners, ANCHOR: anchor}
    )
    app = App(
        settings=settings,
        engine=engine,
        session_factory=factory,
        clock=clock,
        file_store=file_store or LocalFileStore(settings.effective_files_dir),
        status_listeners=listeners,
        audit_anchor=anchor,
    )
    anchor.now = app.now  # checkpoints are dated by the app's clock
    return app


def _unset_clock() -> datetime:
    raise RuntimeError("the audit anchor is used before the app's clock is set")


__all__ = ["App", "Clock", "FixedClock", "SystemClock", "create_app"]
