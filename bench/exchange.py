"""Benchmark: signed and encrypted envelopes between two nodes over loopback, with a
durable outbox, against plain unsigned unencrypted POSTs of the same size, round by round
in the same run.

- Exchange: two `judicare serve` processes (sender with its delivery worker, receiver), each
  on a fresh PostgreSQL database (or SQLite with --sqlite). Several queueing processes
  (`--queuers`, as several officers' servers would queue) write status notices of --bytes
  bytes into the sender's outbox, sealed and signed, each transaction (`--per-transaction`
  messages) committed with its audit entries and checkpoint; a round is timed from the
  first message queued to the last signed receipt stored at the sender: envelopes per
  second. The queueing runs while the worker delivers (the worker is woken by `NOTIFY`).
- Plain: the same number of plain POSTs of a body of the envelope's size to a minimal
  uvicorn server (no signature, no encryption, no database), from as many clients at once
  as the delivery worker has senders, one body per POST: the yardstick of issue 22.
- Warm-up: one untimed round of `--warmup` messages on each side, the same number, before
  the timed rounds (connections, caches, the servers' first requests).
- Rounds: `--rounds` of each, alternating which goes first (exchange, plain, plain,
  exchange, ...), so that a change in the machine's load falls on both; each round's ratio
  is printed with the load average, and the median ratio is the figure, printed with the
  rounds' spread (lowest to highest, and the middle half). The CPU time the processes of
  each side used (servers, queuers, the bench's clients; PostgreSQL apart) is printed per
  message, with its median and spread: unlike the rates, it hardly depends on the load.
- After the rounds: end-to-end latency (`--latency-messages` one at a time at --rate per
  second), plain POSTs grouped as the worker groups envelopes (`MAX_GROUP` bodies a POST,
  for reference), and seal + verify + open in process.

Run: `.venv/bin/python -m bench.exchange [--messages 1000] [--rounds 6] [--queuers 4]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def node_app(url: str, home: Path):
    from judicare.app import create_app
    from judicare.settings import Settings

    return create_app(
        Settings(database_url=url, environment="test", data_dir=home,
                 node_keys_dir=home / "node-keys")
    )  # fmt: skip


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
        return node_app(self.url, self.home)

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


def pool_pids(pool) -> list[int]:
    """Every process of a `multiprocessing` pool, those that have run no task yet as well
    (the ids its first tasks returned missed them, and their CPU went uncounted)."""
    return sorted(process.pid for process in pool._pool)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes so far (Linux `/proc`)."""
    return sum(process_cpu(pid) or 0.0 for pid in pids)


def process_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # it has ended
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def backends_cpu(databases: list[str], leave_out: set[int]) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend serving these databases on this machine (its
    process title names the database), but those in `leave_out` (the bench's own)."""
    names = [name.encode() for name in databases]
    found: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in leave_out:
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as title:
                process_title = title.read()
        except OSError:
            continue
        if process_title.startswith(b"postgres: ") and any(
            b" " + n + b" " in process_title for n in names
        ):
            cpu = process_cpu(int(entry.name))
            if cpu is not None:
                found[int(entry.name)] = cpu
    return found


def database_cpu(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends used between two readings (one that ended meanwhile is lost)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- queueing processes --------------------------------------------------------------------

_QUEUER: dict = {}


def _queuer_start(url: str, home: str, peer_id: str, size: int) -> None:
    """A queueing process: its own app (engine, audit anchor) on the sender's database and
    keys, as one more server of the sending node."""
    from judicare.exchange.http import node_for
    from judicare.exchange.keys import FileKeyStore

    app = node_app(url, Path(home))
    _QUEUER.update(app=app, node=node_for(app, FileKeyStore(Path(home) / "node-keys")),
                   peer=peer_id, filler="x" * size)  # fmt: skip


def _queue_transaction(count: int) -> int:
    """One transaction queueing `count` status notices; returns this process's id."""
    from judicare.exchange.canonical import STATUS_NOTICE
    from judicare.exchange.service import send_message

    app, node = _QUEUER["app"], _QUEUER["node"]
    with app.unit_of_work() as uow:
        for _ in range(count):
            send_message(uow.session, node, peer_id=_QUEUER["peer"], kind=STATUS_NOTICE,
                         body={"status": "bench", "note": _QUEUER["filler"]}, actor="bench",
                         why="benchmark", now=app.now())  # fmt: skip
        uow.commit()
    return os.getpid()


# --- one round of each side ----------------------------------------------------------------


@dataclass
class Round:
    rate: float  # messages (exchange) or bodies (plain) per second
    seconds: float
    cpu_ms: float  # CPU per message of the side's processes, PostgreSQL's not counted
    load: tuple[float, float]  # 1-minute load average at the start and the end
    queueing: float = 0.0  # exchange: messages/s queued
    database_cpu_ms: float = 0.0  # exchange: PostgreSQL's backends, per message
    # exchange: CPU ms per message of the sending server (its delivery worker), the
    # receiving server and the queueing processes, the parts of `cpu_ms`
    sides_ms: tuple[float, ...] = (0.0, 0.0, 0.0)


class ExchangeSide:
    def __init__(self, sender: BenchNode, receiver: BenchNode, args) -> None:
        from judicare.exchange.models import OutboxRow, ReceiptRow

        self.sender, self.receiver, self.args = sender, receiver, args
        self.app = sender.app()
        # The bench polls for receipts on one connection, whose backend is not counted.
        self.poll = create_engine(sender.url, pool_size=1, max_overflow=0)
        self.databases = [url.rsplit("/", 1)[1] for url in (sender.url, receiver.url)]
        self.own: set[int] = set()
        if not sender.url.startswith("sqlite"):
            with self.poll.connect() as connection:
                self.own.add(int(connection.scalar(text("SELECT pg_backend_pid()"))))
        self.expected = 0
        self.pool = multiprocessing.get_context("spawn").Pool(
            args.queuers, _queuer_start,
            (sender.url, str(sender.home), receiver.node_id, args.bytes),
        )  # fmt: skip
        self.pool.map(_queue_transaction, [1] * 4 * args.queuers)
        self.queuer_pids = pool_pids(self.pool)
        self.expected += 4 * args.queuers
        self._count = {
            "receipts": select(func.count()).select_from(ReceiptRow),
            "dead": select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "dead"),
        }
        self.wait_delivered()

    def scalar(self, name: str) -> int:
        with self.poll.connect() as connection:
            return int(connection.scalar(self._count[name]) or 0)

    def wait_delivered(self) -> None:
        while self.scalar("receipts") < self.expected:
            if self.scalar("dead"):
                break
            time.sleep(0.02)
        receipts, dead = self.scalar("receipts"), self.scalar("dead")
        if dead or receipts != self.expected:  # a dead letter must not count as throughput
            raise SystemExit(
                f"delivery failed during the run: {dead} dead letters, {receipts} receipts "
                f"for {self.expected} messages; the figures would be wrong"
            )

    def pids(self) -> list[int]:
        servers = [n.process.pid for n in (self.sender, self.receiver) if n.process]
        return servers + self.queuer_pids

    def run(self, messages: int) -> Round:
        per = self.args.per_transaction
        sizes = [min(per, messages - start) for start in range(0, messages, per)]
        load0, cpu0 = os.getloadavg()[0], cpu_seconds(self.pids())
        sides0 = self.sides_cpu()
        db0 = backends_cpu(self.databases, self.own)
        started = time.perf_counter()
        list(self.pool.imap_unordered(_queue_transaction, sizes))
        queued = time.perf_counter() - started
        self.expected += messages
        self.wait_delivered()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(self.pids()) - cpu0
        sides = tuple(
            1000 * (b - a) / messages for a, b in zip(sides0, self.sides_cpu(), strict=True)
        )
        db = database_cpu(db0, backends_cpu(self.databases, self.own))
        return Round(messages / seconds, seconds, 1000 * cpu / messages,
                     (load0, os.getloadavg()[0]), messages / queued,
                     1000 * db / messages, sides)  # fmt: skip

    def sides_cpu(self) -> tuple[float, float, float]:
        """CPU so far of the sending server, the receiving server and the queuers."""
        servers = [cpu_seconds([n.process.pid]) if n.process else 0.0
                   for n in (self.sender, self.receiver)]  # fmt: skip
        return servers[0], servers[1], cpu_seconds(self.queuer_pids)

    def envelope_size(self) -> int:
        from judicare.exchange.models import OutboxRow

        with self.app.unit_of_work() as uow:
            return len(uow.session.scalar(select(OutboxRow.envelope).limit(1)))

    def close(self) -> None:
        self.pool.close()
        self.pool.join()
        self.app.dispose()
        self.poll.dispose()


class PlainSide:
    """Plain POSTs to a minimal uvicorn server, `SENDERS` clients at once."""

    def __init__(self, size: int, group: int = 1) -> None:
        self.port = free_port()
        self.server = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(self.port)])
        wait_for_health(f"http://127.0.0.1:{self.port}/")
        self.group = group
        self.body = os.urandom(size // 2 + 1).hex().encode()[:size] * group
        self.clients = [httpx.Client(timeout=30) for _ in range(SENDERS)]
        self.threads = ThreadPoolExecutor(SENDERS)
        self.latencies: list[float] = []

    def post(self, number: int) -> float:
        begun = time.perf_counter()
        response = self.clients[number % SENDERS].post(
            f"http://127.0.0.1:{self.port}/inbox", content=self.body
        )
        assert response.status_code == 200
        return time.perf_counter() - begun

    def run(self, bodies: int) -> Round:
        pids = [self.server.pid, os.getpid()]  # the server, and the clients in this process
        load0, cpu0 = os.getloadavg()[0], cpu_seconds(pids)
        started = time.perf_counter()
        posts = max(1, bodies // self.group)
        self.latencies = list(self.threads.map(self.post, range(posts)))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu0
        done = posts * self.group
        return Round(done / seconds, seconds, 1000 * cpu / done, (load0, os.getloadavg()[0]))

    def close(self) -> None:
        self.threads.shutdown()
        for client in self.clients:
            client.close()
        self.server.terminate()
        self.server.wait(timeout=30)


def alternate(rounds: int, exchange: Callable[[], Round], plain: Callable[[], Round], say):
    """Each round's (exchange, plain), in the order E P, P E, E P, ..."""
    results = []
    for number in range(rounds):
        if number % 2 == 0:
            e, p = exchange(), plain()
        else:
            p, e = plain(), exchange()
        say(
            f"round {number + 1}: exchange {e.rate:,.0f}/s ({e.seconds:.1f} s, queued at "
            f"{e.queueing:,.0f}/s, {e.cpu_ms:.2f} ms CPU a message and {e.database_cpu_ms:.2f} "
            f"in PostgreSQL, load {e.load[0]:.1f} to "
            f"{e.load[1]:.1f}; sender {e.sides_ms[0]:.2f}, receiver {e.sides_ms[1]:.2f}, queuers "
            f"{e.sides_ms[2]:.2f} ms); plain {p.rate:,.0f}/s ({p.cpu_ms:.2f} ms CPU a POST, load "
            f"{p.load[0]:.1f} to {p.load[1]:.1f}); ratio {e.rate / p.rate:.3f}"
        )
        results.append((e, p))
    return results


# --- latency at a steady rate, and crypto alone ---------------------------------------------


def run_latency(side: ExchangeSide, args) -> tuple[list[float], list[float]]:
    """Round trip (outbox commit -> receipt stored at the sender) and one way (-> applied
    at the receiver) of messages queued one at a time at `args.rate` per second."""
    from judicare.db.base import as_utc
    from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow

    mark = datetime.now(UTC)
    for _ in range(args.latency_messages):
        side.pool.apply(_queue_transaction, (1,))
        time.sleep(1 / args.rate)
    side.expected += args.latency_messages
    side.wait_delivered()
    with side.app.unit_of_work() as uow:
        rows = uow.session.execute(
            select(OutboxRow.message_id, OutboxRow.created_at, ReceiptRow.received_at)
            .join(ReceiptRow, ReceiptRow.message_id == OutboxRow.message_id)
            .where(OutboxRow.created_at >= mark - timedelta(seconds=0))
        ).all()
    receiver_app = side.receiver.app()
    with receiver_app.unit_of_work() as uow:
        applied = dict(
            uow.session.execute(
                select(InboxRow.message_id, InboxRow.received_at).where(
                    InboxRow.message_id.in_([r.message_id for r in rows])
                )
            ).all()
        )
    receiver_app.dispose()
    round_trip = [(as_utc(r.received_at) - as_utc(r.created_at)).total_seconds() for r in rows]
    one_way = [(as_utc(applied[r.message_id]) - as_utc(r.created_at)).total_seconds() for r in rows]
    return round_trip, one_way


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


# --- the run ----------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages a round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of each side")
    parser.add_argument("--warmup", type=int, default=200,
                        help="messages of the untimed first round of each side")  # fmt: skip
    parser.add_argument("--queuers", type=int, default=4, help="queueing processes")
    parser.add_argument("--per-transaction", type=int, default=10,
                        help="messages queued in one transaction")  # fmt: skip
    parser.add_argument("--bytes", type=int, default=2000, help="payload text per message")
    parser.add_argument("--latency-messages", type=int, default=150)
    parser.add_argument("--rate", type=float, default=50.0, help="messages/s, latency phase")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    console = Console(width=150)
    workdir = Path(tempfile.mkdtemp(prefix="judicare-bench-exchange-"))
    sqlite_dir = workdir if args.sqlite else None
    urls = [fresh_database(sqlite_dir, "sender"), fresh_database(sqlite_dir, "receiver")]
    sender = BenchNode("BEL-CA", "BEL", urls[0], workdir / "sender")
    receiver = BenchNode("NLD-CA", "NLD", urls[1], workdir / "receiver")
    exchange: ExchangeSide | None = None
    plain: PlainSide | None = None
    console.print(f"load average {os.getloadavg()[0]:.2f} at the start")
    try:
        with console.status("Preparing two nodes and the plain server…"):
            sender.prepare()
            receiver.prepare()
            befriend(sender, receiver)
            receiver.start(deliver=False)
            sender.start(deliver=True)
            exchange = ExchangeSide(sender, receiver, args)
            size = exchange.envelope_size()
            plain = PlainSide(size)
        if args.warmup:
            with console.status("Warming up both sides…"):
                exchange.run(args.warmup)
                plain.run(args.warmup)
        rounds = alternate(args.rounds, lambda: exchange.run(args.messages),
                           lambda: plain.run(args.messages), console.print)  # fmt: skip
        with console.status("Latency at a steady rate…"):
            round_trip, one_way = run_latency(exchange, args)
        plain_latencies = plain.latencies
    finally:
        if exchange is not None:
            exchange.close()
        if plain is not None:
            plain.close()
        sender.stop()
        receiver.stop()
        for url in urls:
            drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)
    grouped = PlainSide(size + 4, MAX_GROUP)
    try:
        grouped.run(args.warmup)
        grouped_round = grouped.run(args.messages)
    finally:
        grouped.close()
    crypto_rate = run_crypto_only(args.bytes)
    report(console, args, size, rounds, round_trip, one_way, plain_latencies, grouped_round,
           grouped.latencies, crypto_rate)  # fmt: skip


def report(console, args, size, rounds, round_trip, one_way, plain_latencies, grouped_round,
           grouped_latencies, crypto_rate) -> None:  # fmt: skip
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    table = Table(
        title=f"Node exchange over loopback ({backend}, durable outbox): {args.rounds} rounds "
        f"of {args.messages} envelopes of {size} bytes; {args.queuers} queueing processes, "
        f"{args.per_transaction} a transaction; {SENDERS} senders and {SENDERS} plain clients"
    )
    for column in ("method", "per second (median)", "CPU ms each", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "method" else "right")

    def ms(values, share):
        return f"{percentile(values, share) * 1000:.1f}"

    def median(values):
        return statistics.median(values)

    exchange_rates = [e.rate for e, _ in rounds]
    plain_rates = [p.rate for _, p in rounds]
    table.add_row(
        "signed+encrypted envelopes, first queued -> last receipt stored",
        f"{median(exchange_rates):,.0f}", f"{median([e.cpu_ms for e, _ in rounds]):.2f}",
        ms(round_trip, 0.5), ms(round_trip, 0.99),
    )  # fmt: skip
    table.add_row("  of which queueing rate (seal, sign, outbox, audit, commit)",
                  f"{median([e.queueing for e, _ in rounds]):,.0f}", "", "", "")  # fmt: skip
    if not args.sqlite:  # SQLite runs inside the nodes' processes, counted above
        table.add_row("  CPU in PostgreSQL's backends for the two nodes", "",
                      f"{median([e.database_cpu_ms for e, _ in rounds]):.2f}", "", "")  # fmt: skip
    table.add_row(f"  same, outbox -> applied at receiver ({args.rate:.0f}/s)", "", "",
                  ms(one_way, 0.5), ms(one_way, 0.99))  # fmt: skip
    table.add_row(
        "plain unsigned POSTs of the same size (no database)", f"{median(plain_rates):,.0f}",
        f"{median([p.cpu_ms for _, p in rounds]):.2f}",
        f"{median(plain_latencies) * 1000:.1f}", ms(plain_latencies, 0.99),
    )  # fmt: skip
    table.add_row(
        f"plain POSTs of {MAX_GROUP} such bodies each (bodies/s; ms per POST)",
        f"{grouped_round.rate:,.0f}", f"{grouped_round.cpu_ms:.3f}",
        f"{median(grouped_latencies) * 1000:.1f}", ms(grouped_latencies, 0.99),
    )  # fmt: skip
    table.add_row("seal + verify + open only, in process, 1 thread", f"{crypto_rate:,.0f}",
                  f"{1000 / crypto_rate:.2f}", "", "")  # fmt: skip
    console.print(table)
    ratios = sorted(e.rate / p.rate for e, p in rounds)
    cpu_ratio = median([p.cpu_ms for _, p in rounds]) / median([e.cpu_ms for e, _ in rounds])
    console.print(
        f"exchange / plain POSTs, median of {len(ratios)} rounds = {median(ratios):.3f} "
        f"(aim 0.25; {spread(ratios, '.3f')}; rounds {', '.join(f'{r:.3f}' for r in ratios)}); "
        f"CPU a plain POST / CPU an envelope = {cpu_ratio:.3f}; p99 end to end (to receipt) "
        f"{percentile(round_trip, 0.99) * 1000:.1f} ms at {args.rate:.0f} messages/s; load "
        f"average {os.getloadavg()[0]:.2f} at the end"
    )
    console.print(
        f"rates, median ({spread_name}): exchange {median(exchange_rates):,.0f}/s "
        f"({spread(exchange_rates, ',.0f')}), plain {median(plain_rates):,.0f}/s "
        f"({spread(plain_rates, ',.0f')})"
    )
    sides = [[e.sides_ms[n] for e, _ in rounds] for n in range(3)]
    cpu = [e.cpu_ms for e, _ in rounds]
    database = "" if args.sqlite else (
        f"; in PostgreSQL {median([e.database_cpu_ms for e, _ in rounds]):.2f} "
        f"({spread([e.database_cpu_ms for e, _ in rounds], '.2f')})"
    )  # fmt: skip
    console.print(
        f"CPU ms an envelope, median ({spread_name}): {median(cpu):.2f} ({spread(cpu, '.2f')}) "
        f"in the nodes' processes: sender {median(sides[0]):.2f} ({spread(sides[0], '.2f')}), "
        f"receiver {median(sides[1]):.2f} ({spread(sides[1], '.2f')}), queuers "
        f"{median(sides[2]):.2f} ({spread(sides[2], '.2f')}){database}; a plain POST "
        f"{median([p.cpu_ms for _, p in rounds]):.2f}"
    )


spread_name = "lowest to highest round; middle half from 4 rounds on"


def spread(values: list[float], form: str) -> str:
    """The rounds' spread: lowest to highest, and the middle half (quartiles)."""
    ordered = sorted(values)
    if len(ordered) < 4:
        return f"{ordered[0]:{form}} to {ordered[-1]:{form}}"
    low, _, high = statistics.quantiles(ordered, n=4)
    return (f"{ordered[0]:{form}} to {ordered[-1]:{form}}; middle half {low:{form}} to "
            f"{high:{form}}")  # fmt: skip


if __name__ == "__main__":
    main()
