"""PostgreSQL clusters of a test's own, on loopback (issue 22): a primary made with
`initdb`, a streaming standby made from it with `pg_basebackup -R`, each on a free port,
started and stopped with `pg_ctl`, removed with their directory even when the test fails.
The shared server on 5432 is never touched.

PostgreSQL refuses to run as root: as root (CI), the cluster commands run as the
`postgres` OS user (`runuser -u postgres --`) in a directory it owns. Without the server
binaries the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.serving import free_port
from tests.waiting import eventually

PG_BIN = Path(os.environ.get("JUDICARE_PG_BIN", "/usr/lib/postgresql/15/bin"))
STANDBY_NAME = "judicare_standby"  # the standby's cluster_name, so its application_name
SUPERUSER = "postgres"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the replica tests must run, not skip)")
    pytest.skip(reason)


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


def _run(*command: str) -> str:
    done = subprocess.run(_as_cluster_owner(list(command)), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


@dataclass
class Cluster:
    directory: Path
    port: int
    running: bool = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.directory),
             "-l", str(self.directory / "server.log"))  # fmt: skip
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """`immediate`: the processes are killed, as a machine that fails."""
        if self.running:
            _run(str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.directory))
            self.running = False

    def promote(self) -> None:
        _run(str(PG_BIN / "pg_ctl"), "promote", "-w", "-t", "60", "-D", str(self.directory))

    def configure(self, **settings: str | int) -> None:
        with (self.directory / "postgresql.conf").open("a") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = {value!r}\n" if isinstance(value, str) else
                           f"{name} = {value}\n")  # fmt: skip

    def execute(self, *statements: str, database: str = "postgres") -> list:
        """Each statement in its own transaction; the rows of each (None: no rows)."""
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT")
        answers = []
        try:
            with engine.connect() as connection:
                for statement in statements:
                    result = connection.execute(text(statement))
                    answers.append(result.all() if result.returns_rows else None)
        finally:
            engine.dispose()
        return answers


@dataclass
class Pair:
    primary: Cluster
    standby: Cluster
    root: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def wait_streaming(self) -> None:
        """Until the primary sees the standby streaming (so synchronous commits can wait)."""

        def streaming() -> bool:
            rows = self.primary.execute(
                "SELECT state, sync_state FROM pg_stat_replication "
                f"WHERE application_name = '{STANDBY_NAME}'"
            )[0]
            return bool(rows) and rows[0][0] == "streaming"

        eventually(streaming, "the standby streams from the primary", every=0.1)


@contextmanager
def primary_and_standby(synchronous: bool) -> Iterator[Pair]:
    """A primary and a standby streaming from it, both running. `synchronous`: the primary
    waits, for every commit, until the standby has applied it (`synchronous_standby_names`
    names the standby, `synchronous_commit = remote_apply`)."""
    if not (PG_BIN / "initdb").exists():
        _unavailable(f"the PostgreSQL server binaries are not in {PG_BIN} (set JUDICARE_PG_BIN)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SUPERUSER)
        except KeyError:
            _unavailable("running as root and there is no `postgres` OS user to run initdb as")
        if shutil.which("runuser") is None:
            _unavailable("running as root and `runuser` is missing")
    root = Path(tempfile.mkdtemp(prefix="judicare-clusters-"))
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    pair = Pair(Cluster(root / "primary", free_port()), Cluster(root / "standby", free_port()),
                root)  # fmt: skip
    try:
        _run(str(PG_BIN / "initdb"), "-D", str(pair.primary.directory), "-U", SUPERUSER,
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (pair.primary.directory / "pg_hba.conf").open("a") as hba:
            hba.write(f"host replication {SUPERUSER} 127.0.0.1/32 trust\n")
        pair.primary.configure(
            port=pair.primary.port, listen_addresses="127.0.0.1",
            unix_socket_directories=str(root), wal_level="replica", max_wal_senders=4,
            hot_standby="on", max_connections=100,
        )  # fmt: skip
        pair.primary.start()
        _run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pair.primary.port),
             "-U", SUPERUSER, "-D", str(pair.standby.directory), "-R", "-X", "stream",
             "--no-sync")  # fmt: skip
        # Set on the primary after the copy, so that the standby, once promoted, does not
        # wait for a standby of its own that does not exist.
        if synchronous:
            pair.primary.execute(
                f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({STANDBY_NAME})'",
                "ALTER SYSTEM SET synchronous_commit = 'remote_apply'",
                "SELECT pg_reload_conf()",
            )
        pair.standby.configure(port=pair.standby.port, cluster_name=STANDBY_NAME)
        pair.standby.start()
        pair.wait_streaming()
        yield pair
    finally:
        for process in pair.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        for cluster in (pair.standby, pair.primary):
            with suppress(AssertionError):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
