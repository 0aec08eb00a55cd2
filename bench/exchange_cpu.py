"""CPU per envelope of the node exchange, in one process and so independent of how loaded
the machine is (CPU time, not wall time): two nodes on fresh PostgreSQL databases, the
receiver's real ASGI app reached through a TestClient, N status notices queued (sealed,
signed, `--per-transaction` a transaction, 100 by default) and then delivered by
`Deliverer.run_once` rounds (claim, post to the batch inbox, verify, apply, receipt, audit,
settle). Prints the process CPU time per envelope of each phase (sender and receiver
together for delivery), and apart the CPU of the PostgreSQL backends serving the two
databases (on this machine, from `/proc`).

Run: `.venv/bin/python -m bench.exchange_cpu [--messages 512] [--per-transaction 100]`. To
compare with an older version, run this file with that version's sources first on
PYTHONPATH.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from bench.exchange import (
    BenchNode,
    backends_cpu,
    befriend,
    database_cpu,
    drop_database,
    fresh_database,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=512)
    parser.add_argument("--per-transaction", type=int, default=100, help="messages queued in one")
    args = parser.parse_args()
    from judicare.asgi import create_api
    from judicare.exchange.canonical import STATUS_NOTICE
    from judicare.exchange.delivery import Deliverer
    from judicare.exchange.http import node_for
    from judicare.exchange.keys import FileKeyStore
    from judicare.exchange.service import send_message
    from judicare.exchange.transport import HttpTransport

    work = Path(tempfile.mkdtemp(prefix="judicare-bench-exchange-cpu-"))
    urls = [fresh_database(None, "sender"), fresh_database(None, "receiver")]
    sender = BenchNode("BEL-CA", "BEL", urls[0], work / "sender")
    receiver = BenchNode("NLD-CA", "NLD", urls[1], work / "receiver")
    try:
        sender.prepare()
        receiver.prepare()
        befriend(sender, receiver)
        sender_app, receiver_app = sender.app(), receiver.app()
        node = node_for(sender_app, FileKeyStore(sender.home / "node-keys"))

        class Client(TestClient):
            def post(self, url, **kwargs):  # type: ignore[override]
                return super().post(httpx.URL(str(url)).path, **kwargs)

        api = create_api(receiver_app, FileKeyStore(receiver.home / "node-keys"))
        deliverer = Deliverer(sender_app, node, HttpTransport(client=Client(api)))

        def enqueue(count: int) -> None:
            per = args.per_transaction
            for start in range(0, count, per):
                with sender_app.unit_of_work() as uow:
                    for _ in range(min(per, count - start)):
                        send_message(uow.session, node, peer_id=receiver.node_id,
                                     kind=STATUS_NOTICE, body={"status": "bench",
                                     "note": "x" * 2000}, actor="bench", why="benchmark",
                                     now=datetime.now(UTC))  # fmt: skip
                    uow.commit()

        enqueue(40)  # warm up (the inbox user is made by the first delivery)
        while deliverer.run_once().attempted:
            pass
        databases = [url.rsplit("/", 1)[1] for url in urls]
        db0 = backends_cpu(databases, set())
        cpu0, wall0 = time.process_time(), time.perf_counter()
        enqueue(args.messages)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        db1 = backends_cpu(databases, set())
        delivered = 0
        while report := deliverer.run_once():
            if not report.attempted:
                break
            delivered += report.delivered
        cpu2, wall2 = time.process_time(), time.perf_counter()
        db2 = backends_cpu(databases, set())
        deliverer.close()
        sender_app.dispose()
        receiver_app.dispose()
    finally:
        for url in urls:
            drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    n = args.messages
    print(
        f"{n} envelopes ({delivered} delivered): queueing {1000 * (cpu1 - cpu0) / n:.2f} ms "
        f"CPU per envelope ({1000 * (wall1 - wall0) / n:.2f} ms wall); delivery, sender and "
        f"receiver together, {1000 * (cpu2 - cpu1) / n:.2f} ms CPU per envelope "
        f"({1000 * (wall2 - wall1) / n:.2f} ms wall); PostgreSQL's backends "
        f"{1000 * database_cpu(db0, db1) / n:.2f} ms queueing and "
        f"{1000 * database_cpu(db1, db2) / n:.2f} ms delivering"
    )


if __name__ == "__main__":
    main()
