"""Benchmark: `judicare audit verify` throughput beside hashing the same bytes raw, in one run.

A fresh SQLite database (migrated) gets N audit entries, linked as the app links them, in
transactions of --per-commit entries, each followed by its signed checkpoint in the journal
(as after every commit). Then, in the same process:
- baseline: SHA-256 of each entry's canonical bytes (the exact text `entry_hash` hashes),
  prepared beforehand, so only hashing is timed;
- verify: the whole check of `judicare audit verify` — load every entry, recompute every
  hash and link, check every checkpoint's signature and the database against it (head and
  Merkle root, the roots recomputed in one pass);
- of which the chain alone (load and hash, no checkpoints).
Then the cost per commit of appending a checkpoint, and of the Merkle frontier within it.

Run: `.venv/bin/python -m bench.audit_verify [--entries 50000] [--per-commit 10]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from judicare.app import FixedClock, create_app
from judicare.audit.chain import GENESIS, canonical_time, entry_hash
from judicare.audit.merkle import Frontier, entry_leaf
from judicare.audit.models import AuditEventRow
from judicare.audit.service import verify_log
from judicare.audit.trail import verify_trail
from judicare.bootstrap import upgrade_database
from judicare.settings import Settings

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def canonical(values: dict) -> bytes:
    body = {**values, "at": canonical_time(values["at"])}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build(app, entries: int, per_commit: int) -> tuple[list[bytes], list[str], float]:
    """Entries as the app links them, a signed checkpoint (with its Merkle root) after each
    transaction; returns each entry's canonical bytes for the baseline, the entries'
    hashes, and the seconds spent appending checkpoints."""
    texts, hashes, previous, appending = [], [], GENESIS, 0.0
    for start in range(1, entries + 1, per_commit):
        rows = []
        for seq in range(start, min(start + per_commit, entries + 1)):
            values = {
                "seq": seq, "at": T0 + timedelta(seconds=seq), "actor": "anna.officer",
                "action": "consultation", "tag": "officer:request:read",
                "subject_type": "request", "subject_id": str(seq % 977),
                "why": "preparing the reply to the requesting authority",
                "details": {"request": seq % 977, "fields": ["persons", "facts"]},
                "prev_hash": previous,
            }  # fmt: skip
            previous = entry_hash(**values)
            rows.append({**values, "hash": previous})
            texts.append(canonical(values))
            hashes.append(previous)
        with app.engine.begin() as connection:
            connection.execute(insert(AuditEventRow.__table__), rows)
        started = time.perf_counter()
        app.audit_anchor.append(
            rows[-1]["seq"], previous, known={row["seq"]: row["hash"] for row in rows}
        )
        appending += time.perf_counter() - started
    return texts, hashes, appending


def frontier_cost(hashes: list[str], per_commit: int) -> float:
    """Seconds per commit to extend the frontier with the commit's entries and fold the
    root — what the Merkle tree adds to each checkpoint (the journal's JSON of the
    frontier aside)."""
    frontier, started = Frontier(), time.perf_counter()
    commits = 0
    for start in range(0, len(hashes), per_commit):
        frontier.extend(entry_leaf(h) for h in hashes[start : start + per_commit])
        frontier.root()
        commits += 1
    return (time.perf_counter() - started) / max(commits, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--per-commit", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="judicare-bench-audit-") as home:
        settings = Settings(
            database_url=f"sqlite:///{Path(home) / 'judicare.db'}", environment="test",
            data_dir=Path(home), node_keys_dir=Path(home) / "node-keys",
        )  # fmt: skip
        app = create_app(settings, clock=FixedClock(T0.date()))
        try:
            with console.status("Migrating and writing the entries…"):
                upgrade_database(app)
                texts, hashes, appending = build(app, args.entries, args.per_commit)
            raw, chain, full = best(
                args.rounds,
                lambda: [hashlib.sha256(t).hexdigest() for t in texts],
                lambda: check_chain(app),
                lambda: check_all(app),
            )
            checkpoints = len(app.audit_anchor.lines())
            extending = min(frontier_cost(hashes, args.per_commit) for _ in range(args.rounds))
        finally:
            app.dispose()
    show(console, args.entries, checkpoints, raw, chain, full)
    per_append = appending / max(checkpoints, 1) * 1e6
    console.print(
        f"Per commit of {args.per_commit} entries: appending the signed checkpoint (Merkle "
        f"root from the frontier, Ed25519 signature, write, fsync) {per_append:,.0f} µs on "
        f"average, of which extending the frontier and folding the root {extending * 1e6:,.1f} µs."
    )


def best(rounds: int, *runs) -> list[float]:
    """The best time of each run over `rounds`, the runs taking turns in each round (so a
    busy moment on the shared machine does not fall on one of them only)."""
    times = [[] for _ in runs]
    for _ in range(rounds):
        for run, kept in zip(runs, times, strict=True):
            started = time.perf_counter()
            run()
            kept.append(time.perf_counter() - started)
    return [min(kept) for kept in times]


def check_chain(app) -> None:
    with app.unit_of_work() as uow:
        _, problems = verify_log(uow.session)
    assert problems == [], problems[:3]


def check_all(app) -> None:
    with app.unit_of_work() as uow:
        report = verify_trail(uow.session, app.audit_anchor)
    assert report.problems == [] and report.after_latest == 0, report.problems[:3]


def show(console, entries: int, checkpoints: int, raw: float, chain: float, full: float):
    table = Table(title=f"Audit verify: {entries:,} entries, {checkpoints:,} signed checkpoints")
    table.add_column("method")
    table.add_column("seconds", justify="right")
    table.add_column("entries/s", justify="right")
    table.add_column("vs raw hashing", justify="right")
    for name, seconds in (
        ("baseline: SHA-256 of the canonical bytes, raw", raw),
        ("verify: chain only (load + rehash + links)", chain),
        ("verify: chain + every signed checkpoint", full),
    ):
        table.add_row(name, f"{seconds:.3f}", f"{entries / seconds:,.0f}", f"{raw / seconds:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
