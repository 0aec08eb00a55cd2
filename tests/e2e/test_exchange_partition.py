"""A network partition between two nodes, in a network namespace the test creates: both
nodes run inside it and talk over its own loopback; taking that loopback down cuts them
apart. Messages queued during the partition wait (retried with backoff, never dropped)
and arrive once it heals, each exactly once. Needs root for `ip netns`; skips otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from judicare.exchange.canonical import STATUS_NOTICE
from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
from judicare.exchange.service import send_message
from tests.e2e.test_exchange_support import RealNode, befriend, count, node_of, wait_until

# Behind a partition a connection attempt hangs until its timeout: keep it short here.
FAST_FAILURE = {"JUDICARE_EXCHANGE_TIMEOUT_SECONDS": "0.5", "JUDICARE_EXCHANGE_SENDERS": "20"}


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespace():
    if shutil.which("ip") is None:
        pytest.skip("the `ip` command (iproute2) is not installed: cannot create a namespace")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root (ip netns add)")
    name = f"jx{uuid.uuid4().hex[:10]}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"ip netns add failed here: {made.stderr.strip()}")
    try:
        up = _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        yield name
    finally:
        _ip("netns", "del", name)


def _enqueue(app, node, start: int, total: int) -> None:
    with app.unit_of_work() as uow:
        for n in range(start, start + total):
            send_message(uow.session, node, peer_id="EAST", kind=STATUS_NOTICE,
                         body={"status": f"partition {n}"}, actor="e2e", why="e2e",
                         now=datetime.now(UTC))  # fmt: skip
        uow.commit()


def _outbox(app) -> str:
    with app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(
                OutboxRow.status,
                OutboxRow.attempts,
                OutboxRow.next_attempt_at,
                OutboxRow.last_error,
            ).order_by(OutboxRow.id)
        ).all()
    return "\n".join(f"{r.status} {r.attempts} {r.next_attempt_at} {r.last_error[:120]}"
                     for r in rows[-20:])  # fmt: skip


def test_partition_then_heal_loses_nothing_and_applies_nothing_twice(namespace, tmp_path):
    prefix = ("ip", "netns", "exec", namespace)
    west = RealNode("WEST", "BEL", f"sqlite:///{tmp_path / 'w' / 'j.db'}", tmp_path / "w",
                    prefix=prefix, extra_env=FAST_FAILURE)  # fmt: skip
    east = RealNode("EAST", "NLD", f"sqlite:///{tmp_path / 'e' / 'j.db'}", tmp_path / "e",
                    prefix=prefix, extra_env=FAST_FAILURE)  # fmt: skip
    nodes = [west, east]
    apps = []
    try:
        for n in nodes:
            n.home.mkdir()
            n.prepare()
        befriend(nodes)
        for n in nodes:
            n.start(wait=False)
        for n in nodes:
            n.wait_ready()
        west_app, east_app = west.app(), east.app()
        apps = [west_app, east_app]
        node = node_of(west_app, west)
        _enqueue(west_app, node, 0, 20)
        wait_until(lambda: count(east_app, InboxRow) == 20, 60, "20 before the partition", nodes)
        # ...and their receipts home: a receipt lost to the cut would leave a 21st message
        # pending (delivered, but not known to be), which the count below would not expect.
        wait_until(
            lambda: count(west_app, OutboxRow, OutboxRow.status == "delivered") == 20,
            60, "receipts before the partition", nodes, lambda: _outbox(west_app),
        )  # fmt: skip

        cut = _ip("netns", "exec", namespace, "ip", "link", "set", "lo", "down")
        assert cut.returncode == 0, cut.stderr
        _enqueue(west_app, node, 20, 20)
        wait_until(
            lambda: count(west_app, OutboxRow, OutboxRow.attempts >= 2,
                          OutboxRow.status == "pending") == 20,
            120, "retries during the partition", nodes, lambda: _outbox(west_app),
        )  # fmt: skip
        time.sleep(1)
        assert count(east_app, InboxRow) == 20  # nothing crossed the partition
        assert count(west_app, OutboxRow, OutboxRow.status == "dead") == 0

        heal = _ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        assert heal.returncode == 0, heal.stderr
        wait_until(
            lambda: count(west_app, OutboxRow, OutboxRow.status != "delivered") == 0,
            60, "delivery after healing", nodes,
        )  # fmt: skip
        assert count(east_app, InboxRow) == 40
        assert count(west_app, ReceiptRow) == 40
    finally:
        for app in apps:
            app.dispose()
        for n in nodes:
            n.stop()
