"""Benchmark: signed and encrypted envelopes between two nodes over loopback, with a
durable outbox, beside plain unsigned unencrypted POSTs of the same size, in the same run.

- Exchange: two `judicare serve` processes (sender with its delivery worker, receiver), each
  on a fresh PostgreSQL database (or SQLite with --sqlite). The benchmark writes N status
  notices of --bytes bytes into the sender's outbox (sealed and signed, committed with their
  audit entries) and times until every signed receipt is stored: envelopes per second.
  Then it sends --latency-messages one at a time at --rate per second and reports p50/p99
  end to end (outbox commit at the sender -> receipt stored at the sender; and -> applied at
  the receiver).
- Baseline: the same number of plain POSTs of a body of the envelope's size to a minimal
  HTTP server (no signature, no encryption, no database), with as many clients as the
  delivery worker has senders, one body per POST: the yardstick of issue 22. The delivery
  worker posts up to `MAX_GROUP` envelopes in one request to the peer's batch inbox, so a
  second baseline posts plain bodies grouped the same way (like for like: the same bytes per
  request); both ratios are printed.
- Crypto only: seal + verify + open of one envelope, in process, one thread.

Run: `.venv/bin/python -m bench.exchange [--messages 2000] [--bytes 2000] [--sqlite]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text

from judicare.exchange.delivery import MAX_GROUP

ADMIN = os.environ.get(
    "JUDICARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SENDERS = 4
BASELINE_SERVER = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")]})
    await send({"type": "http.response.body", "body": b"ok"})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(sqlite_dir: Path | None, name: str) -> str:
    if sqlite_dir is not None:
        return f"sqlite:///{sqlite_dir / name / 'judicare.db'}"
    database = f"judicare_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return ADMIN.rsplit("/", 1)[0] + f"/{database}"


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


class BenchNode:
    def __init__(self, node_id: str, state: str, url: str, home: Path) -> None:
        self.node_id, self.state, self.url, self.home = node_id, state, url, home
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        home.mkdir(parents=True, exist_ok=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self):
        from judicare.app import create_app
        from judicare.settings import Settings

        return create_app(
            Settings(database_url=self.url, environment="test", data_dir=self.home,
                     node_keys_dir=self.home / "node-keys")
        )  # fmt: skip

    def prepare(self) -> None:
        from judicare.bootstrap import upgrade_database
        from judicare.exchange.keys import FileKeyStore, NodeIdentity, new_ring

        app = self.app()
        upgrade_database(app)
        app.dispose()
        identity = NodeIdentity(self.node_id, self.state, f"{self.node_id} (bench)", self.endpoint)
        FileKeyStore(self.home / "node-keys").save(new_ring(identity, datetime.now(UTC)))

    def start(self, deliver: bool) -> None:
        env = {
            **os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(self.home),
            "JUDICARE_NODE_KEYS_DIR": str(self.home / "node-keys"),
            "JUDICARE_EXCHANGE_DELIVER_IN_SERVER": "true" if deliver else "false",
            "JUDICARE_EXCHANGE_POLL_SECONDS": "0.01",
            "JUDICARE_EXCHANGE_SENDERS": str(SENDERS),
        }  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "-m", "judicare.cli", "serve", "--db", self.url,
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        wait_for_health(self.endpoint + "/api/v1/health")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def wait_for_health(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def befriend(a: BenchNode, b: BenchNode) -> None:
    from judicare.exchange.envelopes import make_card
    from judicare.exchange.keys import FileKeyStore
    from judicare.exchange.peers import add_peer

    now = datetime.now(UTC)
    for me, other in ((a, b), (b, a)):
        mine, theirs = (FileKeyStore(n.home / "node-keys").load() for n in (me, other))
        app = me.app()
        with app.unit_of_work() as uow:
            add_peer(uow.session, mine, make_card(theirs, now), theirs.fingerprint, now=now,
                     actor="bench")  # fmt: skip
            uow.commit()
        app.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def run_exchange(sender: BenchNode, receiver: BenchNode, args) -> dict:
    from judicare.db.base import as_utc
    from judicare.exchange.canonical import STATUS_NOTICE
    from judicare.exchange.http import node_for
    from judicare.exchange.keys import FileKeyStore
    from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
    from judicare.exchange.service import send_message

    filler = "x" * args.bytes
    sender_app, receiver_app = sender.app(), receiver.app()
    node = node_for(sender_app, FileKeyStore(sender.home / "node-keys"))

    def enqueue(count: int, per_transaction: int) -> None:
        for start in range(0, count, per_transaction):
            with sender_app.unit_of_work() as uow:
                for _ in range(min(per_transaction, count - start)):
                    send_message(uow.session, node, peer_id=receiver.node_id, kind=STATUS_NOTICE,
                                 body={"status": "bench", "note": filler}, actor="bench",
                                 why="benchmark", now=datetime.now(UTC))  # fmt: skip
                uow.commit()

    def pending() -> int:
        with sender_app.unit_of_work() as uow:
            return uow.session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
            )

    enqueue(20, 20)  # warm up
    while pending():
        time.sleep(0.05)
    started = time.perf_counter()
    enqueue(args.messages, 100)
    queued = time.perf_counter() - started
    while pending():
        time.sleep(0.02)
    throughput = args.messages / (time.perf_counter() - started)
    with sender_app.unit_of_work() as uow:
        envelope_size = len(uow.session.scalar(select(OutboxRow.envelope).limit(1)))
        # "not pending" must mean delivered: a dead letter would count as throughput
        dead = uow.session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "dead")
        )
        receipts = uow.session.scalar(select(func.count()).select_from(ReceiptRow))
    if dead or receipts != args.messages + 20:
        raise SystemExit(
            f"delivery failed during the run: {dead} dead letters, {receipts} receipts for "
            f"{args.messages + 20} messages; the figures would be wrong"
        )

    mark = datetime.now(UTC)
    for _ in range(args.latency_messages):
        enqueue(1, 1)
        time.sleep(1 / args.rate)
    while pending():
        time.sleep(0.02)
    with sender_app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(OutboxRow.message_id, OutboxRow.created_at, ReceiptRow.received_at)
            .join(ReceiptRow, ReceiptRow.message_id == OutboxRow.message_id)
            .where(OutboxRow.created_at >= mark - timedelta(seconds=0))
        ).all()
    with receiver_app.unit_of_work() as uow:
        applied = dict(
            uow.session.execute(
                select(InboxRow.message_id, InboxRow.received_at).where(
                    InboxRow.message_id.in_([r.message_id for r in rows])
                )
            ).all()
        )
    round_trip = [(as_utc(r.received_at) - as_utc(r.created_at)).total_seconds() for r in rows]
    one_way = [(as_utc(applied[r.message_id]) - as_utc(r.created_at)).total_seconds() for r in rows]
    sender_app.dispose()
    receiver_app.dispose()
    return {"throughput": throughput, "round_trip": round_trip, "one_way": one_way,
            "envelope_size": envelope_size, "queueing": args.messages / queued}  # fmt: skip


def run_baseline(total: int, size: int, group: int = 1) -> tuple[float, list[float]]:
    """Plain POSTs/s (bodies per second) and each POST's latency; `group` bodies per POST."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)])
    try:
        wait_for_health(f"http://127.0.0.1:{port}/")
        body = os.urandom(size // 2).hex().encode()[:size] * group
        clients = [httpx.Client(timeout=30) for _ in range(SENDERS)]

        def post(number: int) -> float:
            begun = time.perf_counter()
            client = clients[number % SENDERS]
            response = client.post(f"http://127.0.0.1:{port}/inbox", content=body)
            assert response.status_code == 200
            return time.perf_counter() - begun

        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(post, range(50)))
            started = time.perf_counter()
            latencies = list(pool.map(post, range(max(1, total // group))))
            seconds = time.perf_counter() - started
        for client in clients:
            client.close()
        return len(latencies) * group / seconds, latencies
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_crypto_only(size: int, rounds: int = 500) -> float:
    from judicare.exchange.canonical import STATUS_NOTICE
    from judicare.exchange.envelopes import (
        card_keys,
        check_window,
        make_card,
        open_payload,
        parse,
        seal,
        verify,
    )  # fmt: skip
    from judicare.exchange.keys import NodeIdentity, new_ring

    now = datetime.now(UTC)
    a = new_ring(NodeIdentity("A", "BEL", "A", "http://a"), now)
    b = new_ring(NodeIdentity("B", "NLD", "B", "http://b"), now)
    a_keys, b_keys = card_keys(make_card(a, now)), card_keys(make_card(b, now))
    started = time.perf_counter()
    for n in range(rounds):
        body = {"status": "bench", "note": "x" * size}
        raw = seal(a, b_keys, STATUS_NOTICE, body, message_id=str(n), conversation_id="c",
                   now=now, lifetime=timedelta(hours=1))  # fmt: skip
        header, signature = parse(raw)
        verified = verify(raw, header, signature, "B", a_keys)
        check_window(verified, now, timedelta(minutes=5), timedelta(days=7))
        open_payload(verified, b)
    return rounds / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--bytes", type=int, default=2000, help="payload text per message")
    parser.add_argument("--latency-messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="messages/s, latency phase")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    console = Console()
    workdir = Path(tempfile.mkdtemp(prefix="judicare-bench-exchange-"))
    sqlite_dir = workdir if args.sqlite else None
    urls = [fresh_database(sqlite_dir, "sender"), fresh_database(sqlite_dir, "receiver")]
    sender = BenchNode("BEL-CA", "BEL", urls[0], workdir / "sender")
    receiver = BenchNode("NLD-CA", "NLD", urls[1], workdir / "receiver")
    try:
        with console.status("Preparing two nodes…"):
            sender.prepare()
            receiver.prepare()
            befriend(sender, receiver)
            receiver.start(deliver=False)
            sender.start(deliver=True)
        with console.status(f"Exchanging {args.messages} envelopes…"):
            result = run_exchange(sender, receiver, args)
    finally:
        sender.stop()
        receiver.stop()
        for url in urls:
            drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)
    with console.status("Baseline: plain POSTs…"):
        base_rate, base_latencies = run_baseline(args.messages, result["envelope_size"])
        grouped_rate, grouped_latencies = run_baseline(
            args.messages, result["envelope_size"] + 4, MAX_GROUP
        )
    crypto_rate = run_crypto_only(args.bytes)

    backend = "SQLite" if args.sqlite else "PostgreSQL"
    table = Table(
        title=f"Node exchange over loopback ({backend}, durable outbox): {args.messages} "
        f"envelopes of {result['envelope_size']} bytes, {SENDERS} senders"
    )
    for column in ("method", "per second", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "method" else "right")

    def ms(values, share):
        return f"{percentile(values, share) * 1000:.1f}"

    table.add_row("signed+encrypted envelopes, outbox -> receipt stored",
                  f"{result['throughput']:,.0f}",
                  ms(result["round_trip"], 0.5), ms(result["round_trip"], 0.99))  # fmt: skip
    table.add_row(
        "  of which queueing (seal, sign, outbox and audit commit; 100 a "
        "transaction, the bench's own process)",
        f"{result['queueing']:,.0f}",
        "",
        "",
    )
    table.add_row(f"  same, outbox -> applied at receiver ({args.rate:.0f}/s)", "",
                  ms(result["one_way"], 0.5), ms(result["one_way"], 0.99))  # fmt: skip
    base_p50 = f"{statistics.median(base_latencies) * 1000:.1f}"
    table.add_row("plain unsigned POST of the same size (no database)", f"{base_rate:,.0f}",
                  base_p50, ms(base_latencies, 0.99))  # fmt: skip
    table.add_row(f"plain POSTs of {MAX_GROUP} such bodies each (bodies/s; ms per POST)",
                  f"{grouped_rate:,.0f}", f"{statistics.median(grouped_latencies) * 1000:.1f}",
                  ms(grouped_latencies, 0.99))  # fmt: skip
    table.add_row("seal + verify + open only, in process, 1 thread", f"{crypto_rate:,.0f}", "", "")
    console.print(table)
    console.print(
        f"exchange / plain POST throughput = {result['throughput'] / base_rate:.3f} "
        f"(aim 0.25); against plain POSTs grouped {MAX_GROUP} a request, as the worker "
        f"groups envelopes: {result['throughput'] / grouped_rate:.3f}; "
        f"p99 end to end (to receipt) = {percentile(result['round_trip'], 0.99) * 1000:.1f} ms "
        f"at {args.rate:.0f} messages/s; load average {os.getloadavg()[0]:.2f} at the end"
    )


if __name__ == "__main__":
    main()
