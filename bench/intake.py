"""Benchmark: concurrent request creation through the API against PostgreSQL, beside raw
INSERTs of a row of the same size, measured in the same run.

- API: a real `judicare serve` process on a fresh PostgreSQL database; N clients each POST
  requests (with an Idempotency-Key) as fast as they can.
- Raw: the same number of clients, each with its own connection, INSERT one row holding the
  same JSON body into a plain table, one transaction per row.

Prints throughput and p50/p99 latency for both and the ratio API / raw.
Both sides are timed after a few unmeasured calls per client (steady state). After the API
run the audit trail is verified: concurrent creates must leave one unbroken hash chain.
Run: `.venv/bin/python -m bench.intake [--clients 32] [--requests 1500] [--workers 2]`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text

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


def prepare(url: str) -> str:
    """Schema, reference data, the demo users; returns an officer's API token."""
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
        token = issue_token(uow.session, principal_of(user), now=app.now())
        uow.commit()
    app.dispose()
    return token


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


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "judicare.cli", "serve", "--db", url, "--port", str(port),
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "JUDICARE_ENVIRONMENT": "test"},
    )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


WARM_UP = 10_000_000  # numbers of the warm-up calls, apart from the measured ones


def run_clients(clients: int, total: int, one, warm_up: int = 0) -> tuple[float, list[float]]:
    """`clients` threads share `total` calls of `one(number, state)`; each thread keeps its own
    `state` (its HTTP client or database connection), closed when the thread is done. Each
    thread first makes `warm_up` unmeasured calls, so that both sides are measured in their
    steady state (connections open, pools grown, statements prepared), not while starting."""
    latencies: list[float] = []
    ready = threading.Barrier(clients + 1)

    def worker(thread, indexes):
        local = []
        state = {}
        try:
            try:
                for n in range(warm_up):
                    one(WARM_UP + thread * warm_up + n, state)
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

    chunks = [range(i, total, clients) for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(worker, i, chunk) for i, chunk in enumerate(chunks)]
        ready.wait()
        started = time.perf_counter()
        for future in futures:
            latencies.extend(future.result())
    return time.perf_counter() - started, latencies


def http_client() -> httpx.Client:
    """A keep-alive client that, like browsers and libpq, sends each write at once (no
    Nagle delay on the request body)."""
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    return httpx.Client(timeout=60, transport=httpx.HTTPTransport(socket_options=nodelay))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument(
        "--warm-up", type=int, default=3, help="unmeasured calls per client before timing"
    )
    args = parser.parse_args()
    console = Console()
    url = fresh_database()
    try:
        with console.status("Preparing a fresh PostgreSQL database…"):
            token = prepare(url)
        server, port = start_server(url, args.workers)
        try:
            headers = {"Authorization": f"Bearer {token}"}

            def create(number, state):
                if "client" not in state:  # one client per thread, reused
                    state["client"] = http_client()
                client = state["client"]
                response = client.post(
                    f"http://127.0.0.1:{port}/api/v1/requests",
                    json=body(number),
                    headers={**headers, "Idempotency-Key": f"bench-{number:07d}"},
                )
                assert response.status_code == 201, response.text[:200]

            api_seconds, api_latencies = run_clients(
                args.clients, args.requests, create, warm_up=args.warm_up
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        audit_entries = verify_audit(url)

        raw_url = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(raw_url, autocommit=True) as connection:
            connection.execute(
                "CREATE TABLE raw_rows (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
            )

        def insert(number, state):
            if "connection" not in state:  # one connection per thread, reused
                state["connection"] = psycopg.connect(raw_url, autocommit=True)
            connection = state["connection"]
            connection.execute(
                "INSERT INTO raw_rows (body) VALUES (%s)", (json.dumps(body(number)),)
            )

        raw_seconds, raw_latencies = run_clients(
            args.clients, args.requests, insert, warm_up=args.warm_up
        )
    finally:
        drop_database(url)

    def row(name, seconds, latencies):
        ordered = sorted(latencies)
        p99 = ordered[int(len(ordered) * 0.99) - 1]
        return (
            name,
            f"{len(latencies) / seconds:,.0f}",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
        )

    table = Table(
        title=f"Request intake on PostgreSQL: {args.requests} creates, {args.clients} clients"
    )
    for column in ("method", "per second", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "method" else "right")
    table.add_row(*row(f"API create ({args.workers} worker processes)", api_seconds, api_latencies))
    table.add_row(*row("raw INSERT of the same body", raw_seconds, raw_latencies))
    console.print(table)
    ratio = (args.requests / api_seconds) / (args.requests / raw_seconds)
    console.print(f"Audit trail after the API run: {audit_entries} entries, one valid chain")
    console.print(f"API / raw throughput = {ratio:.2f} (aim: at least 0.25 at 32 clients)")


if __name__ == "__main__":
    main()
