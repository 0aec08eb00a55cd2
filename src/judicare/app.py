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
from judicare.db.freshness import PRIMARY, Fallback, Freshness, ReadFrom
from judicare.db.replica import ReplicaReport, inspect, where_to_read
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
    # A streaming replica for read-only pages and exports (settings.read_database_url).
    read_engine: Engine | None = None
    read_session_factory: sessionmaker[Session] | None = None

    def now(self) -> datetime:
        return self.clock.now()

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def reading(self, writes: bool = False) -> tuple[UnitOfWork, Freshness]:
        """A unit of work for a read-only page, on the replica when one is configured and
        no further behind than `read_max_lag_seconds`, else on the primary; and where it
        reads, for the page to say. `writes`: the page writes (an audited search), so it
        reads from the primary."""
        if self.read_engine is None or self.read_session_factory is None:
            return self.unit_of_work(), PRIMARY
        bound = self.settings.read_max_lag_seconds
        if writes:
            return self.unit_of_work(), Freshness(ReadFrom.PRIMARY, None, Fallback.WRITES, bound)
        freshness = where_to_read(self.read_engine, bound)
        if freshness.source is ReadFrom.REPLICA:
            return UnitOfWork(self.read_session_factory), freshness
        return self.unit_of_work(), freshness

    def replica_report(self) -> ReplicaReport | None:
        """How the read replica is doing now (for `/health/ready` and `/metrics`), measured as
        a read-only page measures it; None when no replica is configured."""
        if self.read_engine is None:
            return None
        return inspect(self.read_engine, self.settings.read_max_lag_seconds)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()


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
    origin = settings.audit_origin or log_origin(engine.url)
    anchor = AuditAnchor(settings.effective_node_keys_dir / "audit", origin, now=_unset_clock)
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
    read_url = settings.effective_read_database_url
    if read_url:
        app.read_engine = make_engine(read_url, read_only=True)
        use_clock(app.read_engine, clock)
        app.read_session_factory = sessionmaker(app.read_engine, expire_on_commit=False)
    anchor.now = app.now  # checkpoints are dated by the app's clock
    return app


def _unset_clock() -> datetime:
    raise RuntimeError("the audit anchor is used before the app's clock is set")


__all__ = ["App", "Clock", "FixedClock", "SystemClock", "create_app"]
