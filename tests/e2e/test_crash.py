"""Crash test: kill -9 the API server during 500 concurrent creates.

After a restart, every request acknowledged with 201 is present and complete, none is
half-written, and retrying every create with its idempotency key adds no duplicate.
Runs a real server process (uvicorn) on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from judicare.app import create_app
from judicare.audit.models import AuditEventRow
from judicare.audit.service import verify_log
from judicare.auth.service import issue_token, principal_of
from judicare.bootstrap import upgrade_database
from judicare.demo import load_demo
from judicare.requests.models import MeasureRow, RequestPersonRow, RequestRow
from judicare.settings import Settings
from tests.integration.api_support import request_body
from tests.serving import free_port, wait_answering

TOTAL, CLIENTS, KILL_AFTER = 500, 32, 120


def _start(url: str, port: int, log) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "judicare.cli", "serve", "--db", url, "--port", str(port)],
        stdout=log, stderr=log, env={**os.environ, "JUDICARE_ENVIRONMENT": "test"},
    )  # fmt: skip
    try:
        wait_answering(f"http://127.0.0.1:{port}/api/v1/health", process)
    except AssertionError:
        process.kill()
        raise
    return process


def _create(port: int, token: str, number: int):
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/requests",
            json=request_body(facts_summary=f"crash test request {number}"),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"crash-test-{number:04d}"},
            timeout=60,
        )  # fmt: skip
    except httpx.HTTPError:
        return number, None
    return number, response


def _create_until_answered(port: int, token: str, number: int, attempts: int = 6):
    """A retrying client, as a real one is: on no answer (a timeout on a loaded machine) or
    a busy answer it sends the same create again with the same idempotency key, which is
    exactly what the key is for. The proof is unchanged: every retry must land on the one
    request its key names."""
    for attempt in range(attempts):
        number, response = _create(port, token, number)
        if response is not None and response.status_code not in (429, 503):
            return number, response
        time.sleep(min(0.5 * 2**attempt, 8))
    return number, response


@pytest.fixture
def crash_app(database_url):
    app = create_app(Settings(database_url=database_url, environment="test"))
    upgrade_database(app)
    load_demo(app)
    from judicare.auth.models import UserRow

    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
        token = issue_token(uow.session, principal_of(user), now=app.now())
        uow.commit()
    yield app, database_url, token
    app.dispose()


def test_kill_9_during_concurrent_creates(crash_app, tmp_path):
    app, url, token = crash_app
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = _start(url, port, log)
    acknowledged: dict[int, int] = {}
    lock, killed = threading.Lock(), threading.Event()

    def create_and_maybe_kill(number: int) -> None:
        # The client that receives the KILL_AFTER-th acknowledgement kills the server at
        # once, while at most CLIENTS - 1 other creates are in flight: the kill always
        # falls during the run, however fast the server is.
        _, response = _create(port, token, number)
        if response is None or response.status_code != 201:
            return
        with lock:
            acknowledged[number] = response.json()["id"]
            if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                os.kill(server.pid, signal.SIGKILL)
                server.wait()
                killed.set()

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(create_and_maybe_kill, range(TOTAL)))
        assert killed.is_set()
        assert KILL_AFTER <= len(acknowledged) < KILL_AFTER + CLIENTS <= TOTAL
        server = _start(url, port, log)
        # Every acknowledged request survived the crash, whole.
        with app.unit_of_work() as uow:
            for number, request_id in acknowledged.items():
                row = uow.session.get(RequestRow, request_id)
                assert row is not None, f"acknowledged request {number} lost"
                assert row.facts_summary == f"crash test request {number}"
        # Retry everything with the same keys: nothing is created twice.
        with ThreadPoolExecutor(CLIENTS) as pool:
            retried = list(pool.map(lambda n: _create_until_answered(port, token, n), range(TOTAL)))
        assert all(r is not None and r.status_code == 201 for _, r in retried), [
            (n, r.status_code if r is not None else None, r.text[:200] if r is not None else "")
            for n, r in retried if r is None or r.status_code != 201
        ][:3]  # fmt: skip
        for number, response in retried:
            if number in acknowledged:
                assert response.json()["id"] == acknowledged[number]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    with app.unit_of_work() as uow:
        session = uow.session
        crash_rows = session.scalars(
            select(RequestRow).where(RequestRow.facts_summary.like("crash test request %"))
        ).all()
        assert len(crash_rows) == TOTAL  # exactly one request per key: no duplicate
        assert len({r.facts_summary for r in crash_rows}) == TOTAL
        ids = [r.id for r in crash_rows]
        # None is half-written: each has its person, its measure and its audit entry.
        persons = session.scalar(select(func.count()).where(RequestPersonRow.request_id.in_(ids)))
        measures = session.scalar(select(func.count()).where(MeasureRow.request_id.in_(ids)))
        audited = session.scalar(
            select(func.count()).where(
                AuditEventRow.tag == "officer:request:create",
                AuditEventRow.subject_id.in_([str(i) for i in ids]),
            )
        )
        assert persons == measures == audited == TOTAL
        _, problems = verify_log(session)
        assert problems == [], problems[:3]
