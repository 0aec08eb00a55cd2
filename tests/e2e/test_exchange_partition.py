"""A network partition between two of three nodes, on a network the test builds itself:
each node runs in a network namespace of its own, joined to the others through a bridge in
a fourth ("hub"). Cutting the link between WEST and EAST, in both directions, partitions
them (their packets to each other vanish) while both still reach THIRD. Messages WEST queues for EAST during the partition wait
(retried with backoff, never dropped) and arrive once it heals, each exactly once; those for
THIRD go on arriving meanwhile. Needs root for `ip netns`; skips otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from judicare.exchange.canonical import STATUS_NOTICE
from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
from judicare.exchange.service import send_message
from tests.e2e.test_exchange_support import RealNode, count, node_of, running, wait_until

# Behind a partition a connection attempt fails or hangs until its timeout: keep it short.
FAST_FAILURE = {"JUDICARE_EXCHANGE_TIMEOUT_SECONDS": "0.5", "JUDICARE_EXCHANGE_SENDERS": "20"}
NAMES = ("WEST", "EAST", "THIRD")
NOWHERE = "02:00:00:00:00:01"  # a locally administered address no interface here has


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


def _in(namespace: str, *args: str) -> None:
    done = _ip("netns", "exec", namespace, "ip", *args)
    assert done.returncode == 0, f"ip {' '.join(args)} in {namespace}: {done.stderr}"


@pytest.fixture
def network():
    """{node: (namespace, address, device)} on one bridged subnet; all removed afterwards."""
    if shutil.which("ip") is None:
        pytest.skip("the `ip` command (iproute2) is not installed: cannot create namespaces")
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root (ip netns add)")
    tag = uuid.uuid4().hex[:6]
    hub, made = f"jxh{tag}", []
    try:
        for name in (hub, *(f"jx{n[0].lower()}{tag}" for n in NAMES)):
            added = _ip("netns", "add", name)
            if added.returncode != 0:
                pytest.skip(f"ip netns add failed here: {added.stderr.strip()}")
            made.append(name)
            _in(name, "link", "set", "lo", "up")
        bridge = _ip("netns", "exec", hub, "ip", "link", "add", "br0", "type", "bridge")
        if bridge.returncode != 0:
            pytest.skip(f"no bridge device here: {bridge.stderr.strip()}")
        _in(hub, "link", "set", "br0", "up")
        nodes = {}
        for number, (node, namespace) in enumerate(zip(NAMES, made[1:], strict=True), start=1):
            _in(hub, "link", "add", f"h{number}", "type", "veth", "peer", "name", f"n{number}")
            _in(hub, "link", "set", f"n{number}", "netns", namespace)
            _in(hub, "link", "set", f"h{number}", "master", "br0", "up")
            address = f"10.77.0.{number}"
            _in(namespace, "addr", "add", f"{address}/24", "dev", f"n{number}")
            _in(namespace, "link", "set", f"n{number}", "up")
            nodes[node] = (namespace, address, f"n{number}")
        yield nodes
    finally:
        for name in made:
            _ip("netns", "del", name)


def _cut(network, a: str, b: str, heal: bool = False) -> None:
    """Cut (or heal) the link between two nodes, both ways, silently: each sends the other's
    packets to a hardware address nobody has, so they vanish on the bridge and a connection
    attempt hangs until its timeout, as behind a real partition. The others are untouched."""
    for here, there in ((a, b), (b, a)):
        namespace, _, device = network[here]
        address = network[there][1]
        if heal:
            _in(namespace, "neigh", "del", address, "dev", device)
        else:
            _in(namespace, "neigh", "replace", address, "lladdr", NOWHERE, "nud", "permanent",
                "dev", device)  # fmt: skip


def _enqueue(app, node, peer: str, start: int, total: int) -> None:
    with app.unit_of_work() as uow:
        for n in range(start, start + total):
            send_message(uow.session, node, peer_id=peer, kind=STATUS_NOTICE,
                         body={"status": f"partition {n}"}, actor="e2e", why="e2e",
                         now=datetime.now(UTC))  # fmt: skip
        uow.commit()


def _outbox(app) -> str:
    with app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(OutboxRow.peer_id, OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error)
            .order_by(OutboxRow.id)
        ).all()  # fmt: skip
    return "\n".join(f"{r.peer_id} {r.status} {r.attempts} {r.last_error[:120]}"
                     for r in rows[-20:])  # fmt: skip


def _to(peer: str, *where):
    return (OutboxRow.peer_id == peer, *where)


def test_partition_between_two_nodes_then_heal_loses_nothing(network, tmp_path):
    nodes = {
        name: RealNode(
            name,
            state,
            f"sqlite:///{tmp_path / name / 'j.db'}",
            tmp_path / name,
            prefix=("ip", "netns", "exec", network[name][0]),
            host=network[name][1],
            port=8000,
            extra_env=FAST_FAILURE,
        )
        for name, state in zip(NAMES, ("BEL", "NLD", "DEU"), strict=True)
    }
    real = list(nodes.values())
    apps = {}
    try:
        with running(real):
            apps = {name: n.app() for name, n in nodes.items()}
            _partition_then_heal(network, nodes, apps)
    finally:
        for app in apps.values():
            app.dispose()


def _partition_then_heal(network, nodes: dict, apps: dict) -> None:
    real = list(nodes.values())
    west, east, third = apps["WEST"], apps["EAST"], apps["THIRD"]
    sender = node_of(west, nodes["WEST"])
    _enqueue(west, sender, "EAST", 0, 10)
    wait_until(
        lambda: count(west, OutboxRow, *_to("EAST", OutboxRow.status == "delivered")) == 10,
        60, "10 delivered before the partition", real, lambda: _outbox(west),
    )  # fmt: skip

    _cut(network, "WEST", "EAST")
    _enqueue(west, sender, "EAST", 10, 20)
    _enqueue(west, sender, "THIRD", 0, 20)
    wait_until(lambda: count(third, InboxRow) == 20, 60, "THIRD during the partition", real)
    wait_until(
        lambda: count(west, OutboxRow, *_to("EAST", OutboxRow.attempts >= 2,
                                            OutboxRow.status == "pending")) == 20,
        120, "retries towards EAST during the partition", real, lambda: _outbox(west),
    )  # fmt: skip
    # No pause to "let things settle": each of the 20 was posted twice and is still pending,
    # so one that crossed would be in EAST's inbox already (stored before it is answered).
    assert count(east, InboxRow) == 10  # nothing crossed the partition
    assert count(west, OutboxRow, OutboxRow.status == "dead") == 0

    _cut(network, "WEST", "EAST", heal=True)
    wait_until(
        lambda: count(west, OutboxRow, OutboxRow.status != "delivered") == 0,
        90, "delivery after healing", real, lambda: _outbox(west),
    )  # fmt: skip
    assert count(east, InboxRow) == 30 and count(third, InboxRow) == 20
    assert count(west, ReceiptRow) == 50
