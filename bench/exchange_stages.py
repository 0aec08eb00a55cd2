"""What bounds a round of `bench.exchange`: its stages timed apart, on the same two nodes.

- Queueing alone: `--queuers` processes (then one) write `--messages` status notices into
  the sender's outbox, `--per-transaction` a transaction, while no worker delivers. If four
  queuers queue no faster than one, queueing is serialised (the audit chain's lock, the
  checkpoint journal's fsync).
- Delivery alone: the outbox holds those messages; a delivery worker (`Deliverer.run`,
  pipelined, as in a server, in this process) with `--senders` senders (then one) posts them
  to the receiving server (`judicare serve`) until every receipt is stored.
- Together: queueing while the worker delivers (as `bench.exchange` does).

Each stage prints messages/s, wall seconds, and the CPU ms a message of the queuers, this
process (the worker), the receiving server and PostgreSQL's backends, with the load average.

Run: `nice -n 5 .venv/bin/python -m bench.exchange_stages [--messages 2000]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.exchange import (
    CLOCK_TICKS,
    BenchNode,
    _queue_transaction,
    _queuer_start,
    backends_cpu,
    befriend,
    cpu_seconds,
    database_cpu,
    drop_database,
    fresh_database,
    pool_pids,
)


def machine_idle() -> float:
    """Seconds of CPU the whole machine has left idle so far (all cores; Linux `/proc/stat`):
    a stage that leaves cores idle is bound by something other than the CPU."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()
    return (int(fields[4]) + int(fields[5])) / CLOCK_TICKS  # idle, iowait


class Stages:
    def __init__(self, args) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="judicare-bench-exchange-stages-"))
        self.urls = [fresh_database(None, "sender"), fresh_database(None, "receiver")]
        self.sender = BenchNode("BEL-CA", "BEL", self.urls[0], self.work / "sender")
        self.receiver = BenchNode("NLD-CA", "NLD", self.urls[1], self.work / "receiver")
        self.databases = [url.rsplit("/", 1)[1] for url in self.urls]
        self.pools: dict[int, multiprocessing.pool.Pool] = {}
        self.queuer_pids: dict[int, list[int]] = {}
        self.expected = 0

    def start(self) -> None:
        from judicare.exchange.models import ReceiptRow

        self.sender.prepare()
        self.receiver.prepare()
        befriend(self.sender, self.receiver)
        self.receiver.start(deliver=False)
        self.poll = create_engine(self.sender.url, pool_size=1, max_overflow=0)
        self.receipts = select(func.count()).select_from(ReceiptRow)

    def pool(self, queuers: int):
        if queuers not in self.pools:
            pool = multiprocessing.get_context("spawn").Pool(
                queuers, _queuer_start,
                (self.sender.url, str(self.sender.home), self.receiver.node_id, self.args.bytes),
            )  # fmt: skip
            self.pools[queuers] = pool
            pool.map(_queue_transaction, [1] * 4 * queuers)
            self.queuer_pids[queuers] = pool_pids(pool)
            self.expected += 4 * queuers
        return self.pools[queuers]

    def stored(self) -> int:
        with self.poll.connect() as connection:
            return int(connection.scalar(self.receipts) or 0)

    def queue(self, queuers: int, messages: int) -> None:
        per = self.args.per_transaction
        sizes = [min(per, messages - start) for start in range(0, messages, per)]
        list(self.pool(queuers).imap_unordered(_queue_transaction, sizes))
        self.expected += messages

    def deliverer(self, senders: int):
        from judicare.exchange.delivery import Deliverer
        from judicare.exchange.http import node_for
        from judicare.exchange.keys import FileKeyStore
        from judicare.exchange.transport import HttpTransport

        os.environ["JUDICARE_EXCHANGE_SENDERS"] = str(senders)
        os.environ["JUDICARE_EXCHANGE_POLL_SECONDS"] = "0.01"
        app = self.sender.app()
        node = node_for(app, FileKeyStore(self.sender.home / "node-keys"))
        return app, Deliverer(app, node, HttpTransport())

    def wait(self) -> None:
        while self.stored() < self.expected:
            time.sleep(0.01)

    def measure(self, name: str, body, messages: int, pids: list[int]) -> None:
        load0 = os.getloadavg()[0]
        mine = [os.getpid(), self.receiver.process.pid]
        cpu0 = [cpu_seconds([p]) for p in mine] + [cpu_seconds(pids)]
        db0 = backends_cpu(self.databases, set())
        idle0 = machine_idle()
        started = time.perf_counter()
        body()
        seconds = time.perf_counter() - started
        cpu1 = [cpu_seconds([p]) for p in mine] + [cpu_seconds(pids)]
        idle = (machine_idle() - idle0) / seconds
        db = database_cpu(db0, backends_cpu(self.databases, set()))
        worker, receiver, queuers = (
            1000 * (b - a) / messages for a, b in zip(cpu0, cpu1, strict=True)
        )
        print(
            f"{name:<44} {messages / seconds:7,.0f}/s {seconds:6.2f} s  CPU ms a message: "
            f"queuers {queuers:.2f}, worker {worker:.2f}, receiver {receiver:.2f}, "
            f"PostgreSQL {1000 * db / messages:.2f}; machine idle {idle:.2f} of "
            f"{os.cpu_count()} cores; load {load0:.1f} to {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
            pool.join()
        self.receiver.stop()
        self.poll.dispose()
        for url in self.urls:
            drop_database(url)
        shutil.rmtree(self.work, ignore_errors=True)


def run(args) -> None:
    stages = Stages(args)
    n, q = args.messages, args.queuers
    try:
        stages.start()
        for queuers in sorted({1, q}):
            stages.pool(queuers)
        workers = {}
        for senders in sorted({1, args.senders}, reverse=True):
            workers[senders] = stages.deliverer(senders)

        def deliver(senders: int) -> None:
            _, deliverer = workers[senders]
            stop = threading.Event()
            thread = threading.Thread(target=deliverer.run, args=(stop,))
            thread.start()
            try:
                stages.wait()
            finally:
                stop.set()
                thread.join()

        deliver(args.senders)  # warm-up: the queuers' first messages, untimed
        for _ in range(args.repeats):
            # Each queueing stage fills the outbox that the next delivery stage empties.
            for queuers, senders in ((q, args.senders), (1, 1)):
                stages.measure(f"queueing alone, {queuers} queuer(s)",
                               lambda queuers=queuers: stages.queue(queuers, n), n,
                               stages.queuer_pids[queuers])  # fmt: skip
                stages.measure(f"delivery alone, {senders} sender(s)",
                               lambda senders=senders: deliver(senders), n,
                               stages.queuer_pids[q])  # fmt: skip

            def together() -> None:
                _, deliverer = workers[args.senders]
                stop = threading.Event()
                thread = threading.Thread(target=deliverer.run, args=(stop,))
                thread.start()
                try:
                    stages.queue(q, n)
                    stages.wait()
                finally:
                    stop.set()
                    thread.join()

            stages.measure(f"together, {q} queuers, {args.senders} senders", together, n,
                           stages.queuer_pids[q])  # fmt: skip
        for app, deliverer in workers.values():
            deliverer.close()
            app.dispose()
    finally:
        stages.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--queuers", type=int, default=4)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--per-transaction", type=int, default=10)
    parser.add_argument("--bytes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
