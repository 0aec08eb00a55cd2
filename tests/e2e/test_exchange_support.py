"""Real nodes for the exchange's end-to-end tests: each a `judicare serve` process with its
own database, key directory and file store, running its delivery worker; the test process
writes to their outboxes through the same services and reads their databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from judicare.app import App, create_app
from judicare.bootstrap import upgrade_database
from judicare.exchange.envelopes import make_card
from judicare.exchange.http import node_for
from judicare.exchange.keys import FileKeyStore, NodeIdentity, new_ring
from judicare.exchange.peers import add_peer
from judicare.settings import Settings
from tests.serving import SERVER_START_SECONDS, free_port, wait_answering
from tests.waiting import eventually


@dataclass
class RealNode:
    node_id: str
    state: str
    url: str
    home: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    prefix: tuple[str, ...] = ()  # e.g. ("ip", "netns", "exec", "ns") to run elsewhere
    host: str = "127.0.0.1"
    extra_env: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def keys_dir(self) -> Path:
        return self.home / "node-keys"

    def environment(self) -> dict:
        return {
            **os.environ,
            "JUDICARE_ENVIRONMENT": "test",
            "JUDICARE_DATA_DIR": str(self.home),
            "JUDICARE_NODE_KEYS_DIR": str(self.keys_dir),
            "JUDICARE_EXCHANGE_DELIVER_IN_SERVER": "true",
            "JUDICARE_EXCHANGE_BACKOFF_BASE_SECONDS": "0.05",
            "JUDICARE_EXCHANGE_BACKOFF_MAX_SECONDS": "0.5",
            "JUDICARE_EXCHANGE_TIMEOUT_SECONDS": "5",
            "JUDICARE_EXCHANGE_MAX_ATTEMPTS": "1000",
            **self.extra_env,
        }

    def app(self) -> App:
        settings = Settings(
            database_url=self.url, environment="test", data_dir=self.home,
            node_keys_dir=self.keys_dir,
        )  # fmt: skip
        return create_app(settings)

    def prepare(self) -> None:
        """A migrated database and keys (the CLI path is tested separately)."""
        app = self.app()
        upgrade_database(app)
        app.dispose()
        identity = NodeIdentity(self.node_id, self.state, f"{self.node_id} (e2e)", self.endpoint)
        FileKeyStore(self.keys_dir).save(new_ring(identity, datetime.now(UTC)))

    def start(self, wait: bool = True) -> None:
        log = (self.home / "server.log").open("ab")
        self.process = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "judicare.cli", "serve", "--db", self.url,
             "--port", str(self.port), "--host", self.host],
            stdout=log, stderr=log, env=self.environment(),
        )  # fmt: skip
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = SERVER_START_SECONDS) -> None:
        """Until the node answers (inside a network namespace: until its log says so)."""
        if not self.prefix:
            wait_answering(f"{self.endpoint}/api/v1/health", self.process, timeout, self.log_tail)
            return

        def started() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.node_id} exited: {self.log_tail()}")
            return b"Application startup complete" in (self.home / "server.log").read_bytes()

        eventually(started, f"{self.node_id} starts", timeout, every=0.1,
                   explain=self.log_tail)  # fmt: skip

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def befriend(nodes: list[RealNode]) -> None:
    """Every node adds every other, confirming the fingerprint (as an operator would)."""
    now = datetime.now(UTC)
    rings = {n.node_id: FileKeyStore(n.keys_dir).load() for n in nodes}
    for me in nodes:
        app = me.app()
        with app.unit_of_work() as uow:
            for other in nodes:
                if other is not me:
                    ring = rings[other.node_id]
                    add_peer(uow.session, rings[me.node_id], make_card(ring, now),
                             ring.fingerprint, now=now, actor="e2e")  # fmt: skip
            uow.commit()
        app.dispose()


def count(app: App, model, *where) -> int:
    with app.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def officer(app: App, authority: str, state: str):
    """An officer of `authority` (made with its state if new) on a node's database."""
    from judicare.auth.service import create_user, ensure_authority, principal_of

    with app.unit_of_work() as uow:
        ensure_authority(uow.session, authority, state, "e2e")
        who = principal_of(create_user(uow.session, username=f"e2e.{authority}",
                                       password="x" * 12, role="officer",
                                       authority_id=authority))  # fmt: skip
        uow.commit()
    return who


def node_of(app: App, real: RealNode):
    return node_for(app, FileKeyStore(real.keys_dir))


def wait_until(predicate, timeout: float, what: str, nodes=(), explain=None) -> None:
    """Until `predicate()` holds; else fail with the nodes' log tails (and `explain()`)."""

    def state() -> str:
        tails = "\n".join(f"--- {n.node_id}\n{n.log_tail()[-1500:]}" for n in nodes)
        return tails + (f"\n--- state\n{explain()}" if explain is not None else "")

    eventually(predicate, what, timeout, every=0.1, explain=state)


@contextmanager
def running(made: list[RealNode]) -> Iterator[list[RealNode]]:
    """The nodes prepared, introduced to each other, started together and ready; stopped
    afterwards whatever happens."""
    try:
        for n in made:
            n.home.mkdir()
            n.prepare()
        befriend(made)
        for n in made:
            n.start(wait=False)
        for n in made:
            n.wait_ready()
        yield made
    finally:
        for n in made:
            n.stop()
