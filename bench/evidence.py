"""Benchmark: hashing and packaging one large evidence file, beside `sha256sum` on the same
file in the same run, with peak memory.

A file of --size random bytes (default 2 GB) is written to a temporary directory and read
once so that every step below reads it from the page cache. Then, each step --rounds times
(best round kept, as the machine is shared):
- baseline: `sha256sum FILE` (coreutils, in a child process);
- digests: what Judicare computes when an item is added: SHA-256 and SHA-512 in one
  streaming pass (`evidence.digests`, SHA-512 in a helper thread);
- packaging: the bag made from the file (`evidence.bags.build`: copied into `data/` while
  both digests are taken, manifests, custody log, bag-info and tag manifests by bagit);
- validation: the full check of that bag on receipt (`evidence.bags.verify`, bagit's
  `validate(fast=False)`: every file hashed again, both algorithms).
The rounds are interleaved (a busy spell of the shared machine hits every step alike) and
the best of each step is kept. Throughput is bytes per wall-clock second; the ratio is
against `sha256sum` (the issue asks ≥ 0.9); the CPU seconds (this process with its threads,
and its child `sha256sum`) are printed beside, less sensitive to other load. Memory: the
process's peak resident set (`resource.getrusage`) before and after, and the peak of Python
allocations during packaging (`tracemalloc`): constant memory means neither grows with the
file.

Run: `.venv/bin/python -m bench.evidence [--size 2G] [--rounds 2] [--dir /tmp]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from judicare.evidence import bags, custody
from judicare.evidence.custody import EventKind, NewEvent
from judicare.evidence.digests import CHUNK, Digests, of_file

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NAMES = (
    "sha256sum (baseline)",
    "SHA-256 + SHA-512, one pass",
    "packaging into a bag (copy + both digests)",
    "full validation of the bag (bagit, once)",
)


def size_of(text: str) -> int:
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    text = text.strip().upper()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def write_file(path: Path, size: int) -> None:
    block = os.urandom(CHUNK)  # random once, varied per chunk: incompressible, fast to write
    with path.open("wb") as out:
        written = 0
        while written < size:
            n = min(CHUNK, size - written)
            out.write(os.urandom(16) + block[16:n] if n > 16 else block[:n])
            written += n


def read_through(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def timed(step: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process and its children, result)."""

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    wall, used = time.perf_counter(), cpu()
    result = step()
    return time.perf_counter() - wall, cpu() - used, result


def sha256sum(path: Path) -> str:
    done = subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, text=True)
    return done.stdout.split()[0]


def packed(path: Path, digests: Digests) -> bags.PackedItem:
    events: list[custody.CustodyEvent] = []
    for kind in (EventKind.COLLECTED, EventKind.SEALED):
        events.append(custody.follow(events, "bench", NewEvent(kind, "bench", AT, "here", "b")))

    def chunks():
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    return bags.PackedItem(
        uid="bench", kind="original", derived_from=None, description="benchmark file",
        filename=path.name, media_type="application/octet-stream", size=digests.size,
        sha256=digests.sha256, sha512=digests.sha512, events=events, chunks=chunks,
    )  # fmt: skip


def package(work: Path, item: bags.PackedItem) -> Path:
    target = work / "bag"
    if target.exists():
        shutil.rmtree(target)
    return bags.build(target, [item], reference="BENCH-1", organisation="bench", at=AT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2G", help="file size: bytes, or with K, M, G")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", default=None, help="where the temporary files go")
    args = parser.parse_args()
    size = size_of(args.size)
    console = Console(width=130)
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory(prefix="judicare-bench-", dir=args.dir) as temp:
        work = Path(temp)
        path = work / "evidence.bin"
        console.print(f"Writing {size:,} random bytes to {path} …")
        write_file(path, size)
        read_through(path)
        steps: dict[str, list[tuple[float, float]]] = {name: [] for name in NAMES}
        tracemalloc.start()
        for _ in range(args.rounds):  # interleaved: a busy spell hits every step alike
            wall, cpu, expected = timed(lambda: sha256sum(path))
            steps[NAMES[0]].append((wall, cpu))
            wall, cpu, digests = timed(lambda: of_file(path))
            steps[NAMES[1]].append((wall, cpu))
            assert digests.sha256 == expected, "the digests disagree with sha256sum"
            item = packed(path, digests)
            wall, cpu, bag = timed(lambda item=item: package(work, item))
            steps[NAMES[2]].append((wall, cpu))
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        wall, cpu, report = timed(lambda: bags.verify(bag))
        steps[NAMES[3]].append((wall, cpu))
        assert report.valid, report.errors
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    table = Table(title=f"Evidence: one file of {size:,} bytes, best of {args.rounds}")
    for column in ("step", "wall s", "MB/s", "× sha256sum", "CPU s", "× sha256sum (CPU)"):
        table.add_column(column, justify="right" if column != "step" else "left")
    base_wall = min(w for w, _ in steps[NAMES[0]])
    base_cpu = min(c for _, c in steps[NAMES[0]])
    for name in NAMES:
        wall, cpu = min(w for w, _ in steps[name]), min(c for _, c in steps[name])
        table.add_row(name, f"{wall:.2f}", f"{size / wall / 1e6:,.0f}",
                      f"{base_wall / wall:.2f}", f"{cpu:.2f}", f"{base_cpu / cpu:.2f}")  # fmt: skip
    console.print(table)
    console.print(f"Peak resident memory: {rss_start / 1024:,.1f} MiB before, "
                  f"{rss_end / 1024:,.1f} MiB after (file: {size / 2**20:,.0f} MiB)")  # fmt: skip
    console.print(f"Peak Python allocations while packaging: {traced_peak / 2**20:,.1f} MiB")


if __name__ == "__main__":
    main()
