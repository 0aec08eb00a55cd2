"""Benchmark: an evidence bag of gigabytes between two `judicare serve` nodes on loopback,
beside a plain streaming upload of the same file in the same run, with peak memory.

Two nodes (BEL-CA requesting, NLD-CA requested), each a `judicare serve` process with its
own SQLite database, keys and file store under a temporary directory, its delivery worker
running in the server (as in `tests/e2e/test_exchange_chunked.py`). BEL sends NLD a request;
NLD adds one evidence item of --size random bytes (written to disk in 1 MiB pieces, never
held in memory), seals it and sends the evidence as an answer: the bag is built and
encrypted by this process (the officer's command), then NLD's server sends it in chunks to
BEL, which reassembles, decrypts and validates it in full and takes the item into custody.

Printed:
- preparing: adding the item and building + encrypting the bag (this process);
- transfer: from the answer's commit until BEL holds every chunk (chunk uploads, loopback);
- applied: from the commit until the item is in BEL's custody (transfer, reassembly,
  decryption, full validation of the bag, the item stored): the wall time and throughput;
- baselines in the same run: `cp` of the file, and a plain httpx streaming upload of the
  file to a trivial loopback sink (uvicorn, the body read and dropped), with the ratios;
- peak resident memory (VmHWM) of the sending and the receiving server and of this process.

The sender's claim on a message is raised to an hour (`JUDICARE_EXCHANGE_CLAIM_SECONDS`) and
its HTTP timeout to 10 minutes: the default claim (30 s) is shorter than a multi-gigabyte
transfer, after which another delivery round would take the same message again.

Run: `.venv/bin/python -m bench.evidence_transfer [--size 2G] [--dir /tmp]`. Needs about
seven times --size of free disk; everything is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.evidence import size_of, write_file

PIECE = 1 << 20
SERVER_ENV = {
    "JUDICARE_EXCHANGE_CLAIM_SECONDS": "3600",
    "JUDICARE_EXCHANGE_TIMEOUT_SECONDS": "600",
    "JUDICARE_LOG_LEVEL": "WARNING",
}


async def sink(scope, receive, send) -> None:
    """A trivial ASGI app: reads a request's body and drops it (the upload baseline)."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})  # fmt: skip
    await send({"type": "http.response.body", "body": str(size).encode()})


def pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece


def peak_rss_mib(pid: int) -> float:
    """The peak resident set of a running process (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rows(database: Path, table: str) -> int | None:
    """The rows of a table, read without a write lock (the node's own sessions begin
    IMMEDIATE, and the receiver holds its lock while it applies the bag); None when busy."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return None


def upload_baseline(path: Path, work: Path) -> float:
    """Seconds to stream the file over HTTP to the sink on loopback (uvicorn, as a node)."""
    from tests.e2e.test_exchange_support import free_port

    port = free_port()
    log = (work / "sink.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.evidence_transfer:sink", "--port", str(port),
         "--log-level", "warning"], stdout=log, stderr=log,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 120
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("the sink did not start") from None
                time.sleep(0.1)
        with httpx.Client(timeout=600) as client:
            start = time.perf_counter()
            response = client.put(url, content=pieces(path))
            took = time.perf_counter() - start
        assert int(response.text) == path.stat().st_size, response.text
        return took
    finally:
        server.terminate()
        server.wait(timeout=20)


def copy_baseline(path: Path) -> float:
    target = path.with_suffix(".copy")
    start = time.perf_counter()
    subprocess.run(["cp", str(path), str(target)], check=True)
    os.sync()
    took = time.perf_counter() - start
    target.unlink()
    return took


def transfer(path: Path, work: Path, console: Console) -> dict:
    """Send the file as an evidence bag between two served nodes: the timings and peaks."""
    from judicare.app import create_app
    from judicare.evidence import service
    from judicare.evidence.custody import EventKind
    from judicare.evidence.models import EvidenceItemRow
    from judicare.evidence.transmission import send_evidence
    from judicare.exchange.models import ChunkRow, InboxRow
    from judicare.exchange.service import send_request
    from judicare.requests.schemas import RequestCreate
    from judicare.requests.service import create_request
    from judicare.settings import Settings
    from tests.e2e.test_exchange_support import (
        RealNode,
        count,
        node_of,
        officer,
        running,
        wait_until,
    )
    from tests.integration.api_support import request_body

    here = service.Custody(where="The Hague, forensic lab", why="benchmark")
    made = [
        RealNode("BEL-CA", "BEL", f"sqlite:///{work / 'bel' / 'judicare.db'}", work / "bel",
                 extra_env=SERVER_ENV),
        RealNode("NLD-CA", "NLD", f"sqlite:///{work / 'nld' / 'judicare.db'}", work / "nld",
                 extra_env=SERVER_ENV),
    ]  # fmt: skip

    def app_of(real: RealNode):
        return create_app(Settings(database_url=real.url, environment="test",
                                   data_dir=real.home, node_keys_dir=real.keys_dir))  # fmt: skip

    size = path.stat().st_size
    with running(made) as (bel, nld):
        bel_app, nld_app = app_of(bel), app_of(nld)
        try:
            who_bel = officer(bel_app, "BEL-CA", "BEL")
            who_nld = officer(nld_app, "NLD-CA", "NLD")
            body = request_body(direction="outgoing", requesting_state="BE",
                                requested_state="NL", facts_summary="benchmark")  # fmt: skip
            with bel_app.unit_of_work() as uow:
                _, detail, _ = create_request(
                    uow.session, who_bel, RequestCreate.model_validate(body),
                    now=datetime.now(UTC), basis=None, why="benchmark",
                )  # fmt: skip
                message_id = send_request(uow.session, node_of(bel_app, bel), who_bel,
                                          detail["id"], "NLD-CA", now=datetime.now(UTC),
                                          why="benchmark").message_id  # fmt: skip
                uow.commit()
            wait_until(lambda: count(nld_app, InboxRow) == 1, 120, "the request", made)
            with nld_app.unit_of_work() as uow:
                incoming = uow.session.get(InboxRow, message_id).request_id
            idle = peak_rss_mib(nld.process.pid), peak_rss_mib(bel.process.pid)

            console.print("Adding the item and sending the evidence …")
            start = time.perf_counter()
            with nld_app.unit_of_work() as uow:
                item = service.add_item(
                    uow.session, nld_app.file_store, who_nld, incoming, chunks=pieces(path),
                    filename="exhibit.bin", media_type="application/octet-stream",
                    description="Benchmark file", custody_of=here, now=datetime.now(UTC),
                    limit=size + 1,
                )  # fmt: skip
                service.record_event(uow.session, who_nld, incoming, item["id"],
                                     EventKind.SEALED, custody_of=here,
                                     now=datetime.now(UTC))  # fmt: skip
                out = send_evidence(uow.session, node_of(nld_app, nld), who_nld, incoming,
                                    "Evidence.", where="The Hague", now=datetime.now(UTC),
                                    why="benchmark")  # fmt: skip
                (attachment,) = out.attachments
                uow.commit()
            committed = time.perf_counter()
            chunks, most, last_chunk = attachment.get("chunks", 1), 0, None
            database = bel.home / "judicare.db"
            while not rows(database, EvidenceItemRow.__tablename__):
                held = rows(database, ChunkRow.__tablename__) or 0
                if held > most:  # the last chunk's arrival, to within a poll
                    most, last_chunk = held, time.perf_counter()
                if nld.process.poll() is not None or bel.process.poll() is not None:
                    raise RuntimeError(f"a server died: {nld.log_tail()}\n{bel.log_tail()}")
                if time.perf_counter() - committed > 3600:
                    raise RuntimeError(f"no arrival within an hour: {nld.log_tail()}")
                time.sleep(0.1)
            applied = time.perf_counter()
            with bel_app.unit_of_work() as uow:
                listed = service.list_items(uow.session, who_bel, detail["id"],
                                            now=datetime.now(UTC), why="benchmark")  # fmt: skip
                uow.commit()
            assert [i["sha256"] for i in listed] == [item["sha256"]], listed
            assert listed[0]["chain_intact"], listed[0]["chain_problems"]
            return {
                "prepare": committed - start,
                "chunks": last_chunk - committed if last_chunk and most >= chunks else None,
                "idle_rss": idle,
                "applied": applied - committed, "count": chunks,
                "chunk_bytes": attachment.get("chunk_bytes"),
                "bag": attachment["size"], "sender_rss": peak_rss_mib(nld.process.pid),
                "receiver_rss": peak_rss_mib(bel.process.pid),
            }  # fmt: skip
        finally:
            bel_app.dispose()
            nld_app.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2G", help="file size: bytes, or with K, M, G")
    parser.add_argument("--dir", default=None, help="where the temporary files go")
    args = parser.parse_args()
    size = size_of(args.size)
    console = Console(width=130)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="judicare-transfer-", dir=args.dir) as temp:
        work = Path(temp)
        path = work / "evidence.bin"
        console.print(f"Writing {size:,} random bytes to {path} …")
        write_file(path, size)
        console.print("Baselines: cp, and a streaming upload to a loopback sink …")
        copied = copy_baseline(path)
        uploaded = upload_baseline(path, work)
        console.print("Two nodes, the request, the evidence …")
        got = transfer(path, work, console)
        free = shutil.disk_usage(work).free
    load_after = os.getloadavg()
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(title=f"Evidence over the exchange: one file of {size:,} bytes "
                        f"(bag ciphertext {got['bag']:,} bytes, {got['count']} chunks of "
                        f"{got['chunk_bytes']:,} bytes)")  # fmt: skip
    for column in ("step", "wall s", "MB/s", "× upload", "× cp"):
        table.add_column(column, justify="right" if column != "step" else "left")

    def row(name: str, seconds: float | None) -> None:
        if seconds is None:
            table.add_row(name, "n/a", "", "", "")
            return
        table.add_row(name, f"{seconds:.1f}", f"{size / seconds / 1e6:,.0f}",
                      f"{uploaded / seconds:.2f}", f"{copied / seconds:.2f}")  # fmt: skip

    row("cp of the file (baseline)", copied)
    row("httpx streaming upload to a loopback sink (baseline)", uploaded)
    row("preparing: item added, bag built and encrypted", got["prepare"])
    row("transfer: every chunk at the receiver (±0.1 s)", got["chunks"])
    row("sent and applied: bag validated, item in custody", got["applied"])
    console.print(table)
    console.print(
        f"Peak resident memory: sending server {got['sender_rss']:,.0f} MiB, receiving server "
        f"{got['receiver_rss']:,.0f} MiB (before the evidence: {got['idle_rss'][0]:,.0f} and "
        f"{got['idle_rss'][1]:,.0f} MiB), this process (item, bag, encryption) "
        f"{rss_self:,.0f} MiB; file {size / 2**20:,.0f} MiB"
    )
    before, after = (" ".join(f"{x:.2f}" for x in v) for v in (load, load_after))
    console.print(f"Load average (1, 5, 15 min): {before} before, {after} after; "
                  f"{free / 1e9:,.0f} GB free before the files were deleted")  # fmt: skip


if __name__ == "__main__":
    main()
