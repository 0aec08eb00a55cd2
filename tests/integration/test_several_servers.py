"""Several servers, one truth (issue 22): three `judicare serve` processes on one PostgreSQL
database the test creates, and two delivery workers on one outbox.

- No duplicate create: the same Idempotency-Key sent to the three servers at once gives one
  request, and every answer names it.
- No lost update: concurrent changes with the same ETag (If-Match) through the three
  servers: one wins, the others get 412, the version moves by one.
- No message posted twice: two delivery workers racing on one outbox post each message
  once (each round claims its messages), and the receiver applies each once.
- The audit trail written by the three processes is one intact chain, and the checkpoints
  they signed (one journal, locked with flock) all verify.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from judicare.app import FixedClock, create_app
from judicare.audit.trail import verify_trail
from judicare.bootstrap import upgrade_database
from judicare.demo import DEMO_PASSWORD, load_demo
from judicare.exchange.delivery import Deliverer
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.requests.models import RequestRow
from judicare.settings import Settings
from tests.conftest import TODAY, _create_postgres_database, _drop_postgres_database
from tests.integration.api_support import request_body
from tests.integration.exchange_nodes import _count, _officer, _outgoing, _send
from tests.serving import Served, start_judicare, wait_judicare


@pytest.fixture
def three_servers(tmp_path):
    url = _create_postgres_database()
    env = {**os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(tmp_path),
           "JUDICARE_NODE_KEYS_DIR": str(tmp_path / "keys")}  # fmt: skip
    app = create_app(
        Settings(database_url=url, environment="test", data_dir=tmp_path,
                 node_keys_dir=tmp_path / "keys"),
        clock=FixedClock(TODAY),
    )  # fmt: skip
    upgrade_database(app)
    load_demo(app)
    arguments = ["--db", url]
    servers: list[Served] = []
    try:
        for number in range(3):  # started at once, then waited for
            servers.append(start_judicare(arguments, env, tmp_path / f"server-{number}.log"))
        for number, served in enumerate(servers):
            servers[number] = wait_judicare(served, arguments, env)
        yield app, [served.base for served in servers]
    finally:
        for served in servers:
            served.process.terminate()
        for served in servers:
            served.process.wait(timeout=30)
        app.dispose()
        _drop_postgres_database(url)


def _token(base: str, username: str) -> dict:
    answer = httpx.post(f"{base}/api/v1/auth/token",
                        json={"username": username, "password": DEMO_PASSWORD}, timeout=30)  # fmt: skip
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.mark.postgres
def test_three_servers_one_create_per_idempotency_key_and_no_lost_update(three_servers):
    app, bases = three_servers
    officer = _token(bases[0], "anna.officer")
    supervisor = _token(bases[1], "sofie.supervisor")
    with app.unit_of_work() as uow:
        before = uow.session.scalar(select(func.count()).select_from(RequestRow))

    # 24 creates with one Idempotency-Key, eight through each server, at once.
    body = request_body(facts_summary="Fictional: one create, sent to three servers at once.")
    barrier = threading.Barrier(24)

    def create(number: int):
        barrier.wait()
        return httpx.post(f"{bases[number % 3]}/api/v1/requests", json=body, timeout=60,
                          headers={**officer, "Idempotency-Key": "one-create-three-servers"})  # fmt: skip

    with ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(create, range(24)))
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, statuses  # 409: "retry", never a second request
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1, ids
    with app.unit_of_work() as uow:
        after = uow.session.scalar(select(func.count()).select_from(RequestRow))
    assert after == before + 1
    # A retry after the race gets the same request from any server.
    (request_id,) = ids
    for base in bases:
        again = httpx.post(f"{base}/api/v1/requests", json=body, timeout=60,
                           headers={**officer, "Idempotency-Key": "one-create-three-servers"})  # fmt: skip
        assert again.status_code == 201 and again.json()["id"] == request_id

    # 12 moves with the same ETag through the three servers: one wins.
    etag = httpx.get(f"{bases[2]}/api/v1/requests/{request_id}", headers=supervisor,
                     timeout=30).headers["etag"]  # fmt: skip
    moves = threading.Barrier(12)

    def move(number: int):
        moves.wait()
        return httpx.post(f"{bases[number % 3]}/api/v1/requests/{request_id}/transitions",
                          json={"status": "registered"}, timeout=60,
                          headers={**supervisor, "If-Match": etag})  # fmt: skip

    with ThreadPoolExecutor(12) as pool:
        moved = Counter(a.status_code for a in pool.map(move, range(12)))
    assert moved[200] == 1, moved
    assert set(moved) <= {200, 409, 412}, moved
    detail = httpx.get(f"{bases[0]}/api/v1/requests/{request_id}", headers=supervisor, timeout=30)
    assert detail.json()["status"] == "registered"
    assert detail.headers["etag"] != etag

    # One chain, written by three processes, with every signed checkpoint verified.
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, app.audit_anchor)
    assert report.problems == [], report.problems
    assert report.signed >= 1


def test_two_delivery_workers_post_each_message_once(pair):
    a, b, transport = pair
    who = _officer(a)
    _officer(b)
    messages = [_send(a, who, _outgoing(a, who, number), "NLD-CA") for number in range(12)]
    workers = [Deliverer(a.app, a.node, transport, seed=n) for n in range(2)]
    start = threading.Barrier(2)

    def work(deliverer: Deliverer) -> int:
        start.wait()
        delivered = 0
        for _ in range(10):
            delivered += deliverer.run_once().delivered
        return delivered

    try:
        with ThreadPoolExecutor(2) as pool:
            delivered = list(pool.map(work, workers))
    finally:
        for worker in workers:
            worker.close()
    assert sum(delivered) == len(messages)
    posts = Counter(envelope for _, envelope in transport.sent)
    assert len(posts) == len(messages) and set(posts.values()) == {1}, posts.values()
    assert _count(a, OutboxRow, OutboxRow.status == "delivered") == len(messages)
    assert _count(b, InboxRow) == len(messages)
