"""Benchmark: concurrent request creation through Judicare's API against PostgreSQL, beside
a plain FastAPI + SQLAlchemy peer that inserts the same rows, measured in the same run.

- API: a real `judicare serve` process on a fresh PostgreSQL database; N clients each POST
  requests (with an Idempotency-Key) as fast as they can. Each create is signed in, checked
  (need to know, dates, legal basis), audited in the hash chain, indexed for person matching,
  idempotent, and looks for competing requests, all in one transaction.
- Peer (`bench.intake_peer`): a minimal FastAPI app served by uvicorn exactly as `judicare
  serve` is (same worker count, uvloop and httptools) on a second fresh database migrated and
  loaded the same way; it takes the same JSON body and inserts the same rows (request,
  measure, deadline, person, names) in one transaction with the SQLAlchemy ORM, with no
  sign-in, audit, index or idempotency.

Same clients, same warm-up (a few unmeasured calls per client), same number of requests, in
alternating rounds (API, peer, API, peer…; the servers restarted for each, untimed).
Prints throughput and p50/p99 latency for both and the ratio API / peer, and the CPU time
each side used per measured create (read from /proc, after the warm-up calls): the server's
processes, and PostgreSQL's backends serving its database (those still connected at the end
of the round). On a shared
machine the CPU figures move far less with the load than throughput does. After the API run
the audit trail is verified: concurrent creates must leave one unbroken hash chain, with one
entry per create.
Run: `.venv/bin/python -m bench.intake [--clients 32] [--requests 1500] [--workers 2]`.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

ADMIN = os.environ.get(
    "JUDICARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def body(number: int) -> dict:
    return {
        "direction": "incoming", "kind": "mla", "requesting_state": "KAZ", "requested_state": "BEL",
        "requesting_authority": "Benchmark prosecutor's office",
        "facts_summary": f"Benchmark request {number}: hearing of a witness, fictional town.",
        "received_on": "2026-11-01", "requested_execution_date": "2026-12-01",
        "persons": [{"role": "witness", "birth_date": "1984-03", "nationality": "KAZ",
                     "names": [{"name": "Жанар Тестбаева"},
                               {"name": "Zhanar Testbayeva", "form": "romanisation"}]}],
        "measures": [{"measure": "hearing_witness"}],
    }  # fmt: skip


def fresh_database() -> str:
    name = f"judicare_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


class Prepared(NamedTuple):
    token: str  # an officer's API token
    authority: str  # the officer's authority
    user: int  # the officer's user id


def prepare(url: str) -> Prepared:
    """Schema, reference data, the demo users, an officer's API token."""
    from judicare.app import create_app
    from judicare.auth.models import UserRow
    from judicare.auth.service import issue_token, principal_of
    from judicare.bootstrap import upgrade_database
    from judicare.demo import load_demo
    from judicare.settings import Settings

    app = create_app(Settings(database_url=url, environment="test"))
    upgrade_database(app)
    load_demo(app)
    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
        assert user is not None
        principal = principal_of(user)
        token = issue_token(uow.session, principal, now=app.now())
        uow.commit()
    app.dispose()
    return Prepared(token, principal.authority_id, principal.user_id)


def verify_audit(url: str) -> int:
    """The number of audit entries; exits if concurrent writers broke the hash chain."""
    from judicare.app import create_app
    from judicare.audit.service import verify_log
    from judicare.settings import Settings

    app = create_app(Settings(database_url=url, environment="test"))
    try:
        with app.unit_of_work() as uow:
            entries, problems = verify_log(uow.session)
    finally:
        app.dispose()
    if problems:
        raise SystemExit(f"the audit chain is broken: {problems[:3]}")
    return entries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(arguments: list[str], port: int, health: str) -> subprocess.Popen:
    """Start `python -m <arguments>` and wait until GET `health` answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", *arguments],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "JUDICARE_ENVIRONMENT": "test"},
    )  # fmt: skip
    deadline = time.monotonic() + 300  # importing the app takes 20 s on a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server {arguments[0]} stopped (exit {process.returncode})")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server {arguments[0]} did not start")


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each process still running, from /proc."""
    used = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        used[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return used


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (the server and its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def backends(url: str) -> list[int]:
    """PostgreSQL's server processes connected to the database of `url` (not this one)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            query = text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return list(connection.execute(query).scalars())
    finally:
        engine.dispose()


class CpuMeter:
    """CPU seconds used by a server's processes and its database's backends between
    `start` and `stop` (a backend that connected meanwhile counts from its start; one that
    disconnected before `stop` is not counted)."""

    def __init__(self, server: subprocess.Popen, url: str) -> None:
        self.server, self.url = server, url
        self.before = (cpu_seconds(process_tree(server.pid)), cpu_seconds(backends(url)))

    def stop(self) -> tuple[float, float]:
        after = (cpu_seconds(process_tree(self.server.pid)), cpu_seconds(backends(self.url)))
        return tuple(  # type: ignore[return-value]
            sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
            for before, now in zip(self.before, after, strict=True)
        )


class Round(NamedTuple):
    seconds: float
    latencies: list[float]
    server_cpu: float  # seconds, the server's processes
    database_cpu: float  # seconds, PostgreSQL's backends


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


WARM_UP = 10_000_000  # numbers of the warm-up calls, apart from the measured ones


def run_clients(
    clients: int, total: int, one, warm_up: int = 0, first: int = 0, measured=None
) -> tuple[float, list[float]]:
    """`clients` threads share `total` calls of `one(number, state)`; each thread keeps its own
    `state` (its HTTP client or database connection), closed when the thread is done. Each
    thread first makes `warm_up` unmeasured calls, so that both sides are measured in their
    steady state (connections open, pools grown, statements prepared), not while starting.
    `measured()`, if given, is called once the warm-up calls are done, before the timing."""
    latencies: list[float] = []
    ready = threading.Barrier(clients + 1)

    def worker(thread, indexes):
        local = []
        state = {}
        try:
            try:
                for n in range(warm_up):
                    one(WARM_UP + first + thread * warm_up + n, state)
            finally:
                ready.wait()
            for number in indexes:
                started = time.perf_counter()
                one(number, state)
                local.append(time.perf_counter() - started)
        finally:
            for resource in state.values():
                resource.close()
        return local

    chunks = [range(first + i, first + total, clients) for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(worker, i, chunk) for i, chunk in enumerate(chunks)]
        ready.wait()
        if measured is not None:
            measured()
        started = time.perf_counter()
        for future in futures:
            latencies.extend(future.result())
    return time.perf_counter() - started, latencies


def http_client() -> httpx.Client:
    """A keep-alive client that, like browsers and libpq, sends each write at once (no
    Nagle delay on the request body)."""
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    return httpx.Client(timeout=60, transport=httpx.HTTPTransport(socket_options=nodelay))


def run_api(url: str, prepared: Prepared, args, first: int) -> Round:
    """Judicare's own server: `judicare serve` with `args.workers` processes."""
    port = free_port()
    arguments = ["judicare.cli", "serve", "--db", url, "--port", str(port)]
    server = start_server([*arguments, "--workers", str(args.workers)], port, "/api/v1/health")
    headers = {"Authorization": f"Bearer {prepared.token}"}

    def create(number, state):
        if "client" not in state:  # one client per thread, reused
            state["client"] = http_client()
        response = state["client"].post(
            f"http://127.0.0.1:{port}/api/v1/requests",
            json=body(number),
            headers={**headers, "Idempotency-Key": f"bench-{number:07d}"},
        )
        assert response.status_code == 201, response.text[:200]

    return timed_round(server, url, args, first, create)


def run_peer(url: str, prepared: Prepared, args, first: int) -> Round:
    """The plain peer (`bench.intake_peer`), served the same way."""
    port = free_port()
    arguments = ["bench.intake_peer", "--db", url, "--port", str(port)]
    arguments += ["--authority", prepared.authority, "--user", str(prepared.user)]
    server = start_server([*arguments, "--workers", str(args.workers)], port, "/docs")

    def create(number, state):
        if "client" not in state:
            state["client"] = http_client()
        response = state["client"].post(f"http://127.0.0.1:{port}/requests", json=body(number))
        assert response.status_code == 201, response.text[:200]

    return timed_round(server, url, args, first, create)


def timed_round(server, url: str, args, first: int, create) -> Round:
    """One round of `create` calls against `server`, its CPU measured from the end of the
    warm-up; the server is stopped at the end, whatever happens."""
    try:
        meters: list[CpuMeter] = []

        def measured() -> None:
            meters.append(CpuMeter(server, url))

        seconds, latencies = run_clients(
            args.clients, args.requests, create, args.warm_up, first, measured
        )
        return Round(seconds, latencies, *meters[0].stop())
    finally:
        stop(server)


def count_rows(url: str) -> dict[str, int]:
    """Rows in the tables both sides write, to check that they wrote the same."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ROW_TABLES
            }
    finally:
        engine.dispose()


ROW_TABLES = ("requests", "request_measures", "request_deadlines", "request_persons",
              "person_names")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (both)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds of each side (both summed)"
    )
    parser.add_argument(
        "--warm-up", type=int, default=3, help="unmeasured calls per client before timing"
    )
    args = parser.parse_args()
    for name in ("clients", "requests", "workers", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warm_up < 0:
        parser.error("--warm-up cannot be negative")
    console = Console()
    api_url, peer_url = fresh_database(), fresh_database()
    try:
        with console.status("Preparing two fresh PostgreSQL databases…"):
            api_prepared, peer_prepared = prepare(api_url), prepare(peer_url)
            api_before, peer_before = count_rows(api_url), count_rows(peer_url)
            audit_before = verify_audit(api_url)
        api_rounds: list[Round] = []
        peer_rounds: list[Round] = []
        for round_ in range(args.rounds):  # alternating, so that a change of load hits both
            first = round_ * (args.requests + args.clients * args.warm_up)
            with console.status(f"Round {round_ + 1}: Judicare's API…"):
                api_rounds.append(run_api(api_url, api_prepared, args, first))
            with console.status(f"Round {round_ + 1}: the plain peer…"):
                peer_rounds.append(run_peer(peer_url, peer_prepared, args, first))
        with console.status("Verifying the audit chain…"):
            audit_entries = verify_audit(api_url)
        api_rows, peer_rows = count_rows(api_url), count_rows(peer_url)
    finally:
        drop_database(api_url)
        drop_database(peer_url)
    creates = (args.requests + args.clients * args.warm_up) * args.rounds
    written = {t: (api_rows[t] - api_before[t], peer_rows[t] - peer_before[t]) for t in ROW_TABLES}
    if any(api != peer for api, peer in written.values()) or written["requests"][0] != creates:
        raise SystemExit(f"the two sides did not write the same rows: {written}")
    if audit_entries - audit_before < creates:
        raise SystemExit(
            f"{creates} creates left only {audit_entries - audit_before} new audit entries"
        )

    def totals(rounds: list[Round]) -> tuple[float, list[float], float, float]:
        """Seconds and latencies of the measured calls, and their CPU ms per create."""
        measured = sum(len(r.latencies) for r in rounds)
        return (
            sum(r.seconds for r in rounds),
            [latency for r in rounds for latency in r.latencies],
            sum(r.server_cpu for r in rounds) * 1000 / measured,
            sum(r.database_cpu for r in rounds) * 1000 / measured,
        )

    api_seconds, api_latencies, api_server_cpu, api_database_cpu = totals(api_rounds)
    peer_seconds, peer_latencies, peer_server_cpu, peer_database_cpu = totals(peer_rounds)

    def row(name, seconds, latencies, server_cpu, database_cpu):
        ordered = sorted(latencies)
        p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
        return (
            name,
            f"{len(latencies) / seconds:,.0f}",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
            f"{server_cpu:.1f}",
            f"{database_cpu:.1f}",
        )

    table = Table(
        title=f"Request intake on PostgreSQL: {args.rounds} x {args.requests} creates, "
        f"{args.clients} clients, {args.workers} server processes each"
    )
    columns = ("server", "per second", "p50 ms", "p99 ms", "server CPU ms", "PostgreSQL CPU ms")
    for column in columns:
        table.add_column(column, justify="left" if column == "server" else "right")
    table.add_row(
        *row("Judicare API create", api_seconds, api_latencies, api_server_cpu, api_database_cpu)
    )
    table.add_row(*row("plain FastAPI + SQLAlchemy peer", peer_seconds, peer_latencies,
                       peer_server_cpu, peer_database_cpu))  # fmt: skip
    console.print(table)
    per_request = ", ".join(f"{t} {api // creates}" for t, (api, _) in written.items())
    console.print(f"Rows per create, both sides: {per_request}")
    console.print(
        f"Audit trail after the API run: {audit_entries} entries "
        f"({audit_entries - audit_before} new), one valid chain"
    )
    ratio = (len(api_latencies) / api_seconds) / (len(peer_latencies) / peer_seconds)
    console.print(f"API / peer throughput = {ratio:.2f} (aim: at least 0.5)")
    per_round = ", ".join(
        f"{len(a.latencies) / a.seconds:.0f}/{len(p.latencies) / p.seconds:.0f}"
        for a, p in zip(api_rounds, peer_rounds, strict=True)
    )
    console.print(f"Each round, API/peer creates per second: {per_round}")
    cpu_ratio = (peer_server_cpu + peer_database_cpu) / (api_server_cpu + api_database_cpu)
    console.print(
        f"CPU per create (server + PostgreSQL), peer / API = {cpu_ratio:.2f}: the throughput "
        "ratio where CPU alone limits both (measured calls only, after the warm-up)"
    )
    console.print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
