"""Benchmark: every main web page on a large register (issues 17 "Speed" and 22 "page p95").

One command builds a fresh PostgreSQL database with a unique name (dropped at the end unless
--keep), adds --size synthetic requests with `judicare.scale.generate` (the generator behind
`judicare demo --scale N`), pads the audit trail with officers' reads up to --audit-entries
(`judicare.scale.pad_audit`), starts `judicare serve` on loopback, signs in as the demo
officer and times each page one request at a time: every page's warm-ups first, then --samples
requests of each page.
After the bulk load it runs `VACUUM ANALYZE`, as autovacuum would on a live database.

    baseline         GET /health/live (the round trip itself: no database)
    api detail       GET /api/v1/requests/ID
    dashboard        GET /
    list             GET /requests
    list filtered    GET /requests?status=in_execution&kind=mla&state=UKR
    list sorted      GET /requests?sort=deadline&dir=asc
    search latin     GET /requests?person=<a generated name in Latin letters>
    search cyrillic  GET /requests?person=<a generated name in Cyrillic>
    request page     GET /requests/ID
    screening        GET /requests/ID/screening
    audit            GET /audit (signed in as the authority's auditor)
    deadlines        GET /deadlines
    treaty           GET /treaties/lhc-2023 (the Ljubljana-The Hague Convention)
    basis lookup     GET /basis?from=UKR&to=BEL&kind=mla&on=2026-11-23&crimes=torture
    portal           GET /public/en/index.html (the public portal's home)

It prints p50 and p95 per page, the ratio of each p95 to the baseline's p95 (measured in the
same run: compare ratios, not milliseconds, between runs on a shared machine) and whether
the aim is met: p95 <= 200 ms for the pages of issue 22 (list, filter, search, dashboard,
request page), p95 <= 300 ms for the others (issue 17).

Run: `.venv/bin/python -m bench.pages [--size 100000] [--audit-entries 1000000]
[--samples 30]`; `--size 2000 --audit-entries 0` is a smoke test of a few minutes.
`--url postgresql+psycopg://...` times an existing database (built with --keep) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.scale import (
    ADMIN,
    CSRF,
    PASSWORD,
    drop_database,
    make_app,
    percentile,
    serve,
    signed_in,
)

ISSUE_22 = {"dashboard", "list", "list filtered", "list sorted", "search latin",
            "search cyrillic", "request page"}  # fmt: skip
AIM_22_MS = 200.0
AIM_17_MS = 300.0


def aim_of(page: str) -> float | None:
    if page in ("baseline", "api detail"):
        return None
    return AIM_22_MS if page in ISSUE_22 else AIM_17_MS


def build(url: str, home: Path, size: int, audit_entries: int, seed: int) -> dict:
    """The register: `size` synthetic requests, the trail padded to `audit_entries`."""
    from judicare.bootstrap import upgrade_database
    from judicare.scale import generate, pad_audit

    app = make_app(url, home)
    try:
        upgrade_database(app)
        started = time.perf_counter()
        generate(app, size, seed=seed)
        load = time.perf_counter() - started
        with app.engine.connect() as connection:
            have = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        started = time.perf_counter()
        padded = pad_audit(app, audit_entries - have, seed=seed) if audit_entries > have else 0
        pad = time.perf_counter() - started
        if app.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load:
            # the visibility map lets a count be read from an index alone
            with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        return {"load_s": load, "pad_s": pad, "padded": padded}
    finally:
        app.dispose()


def samples_for(url: str) -> dict[str, list]:
    """Request ids and persons' names of the officer's authority (BEL-CA), by script."""
    engine = create_engine(url)
    out: dict[str, list] = {}
    with engine.connect() as connection:
        for script in ("LATIN", "CYRILLIC"):
            out[script] = list(
                connection.execute(
                    text(
                        "SELECT n.name FROM person_names n"
                        " JOIN request_persons p ON p.id = n.person_id"
                        " JOIN requests r ON r.id = p.request_id"
                        " WHERE r.authority_id = 'BEL-CA' AND n.form = 'original'"
                        " AND n.script = :script ORDER BY n.id DESC LIMIT 500"
                    ),
                    {"script": script},
                ).scalars()
            )
        out["ids"] = list(
            connection.execute(
                text("SELECT id FROM requests WHERE authority_id = 'BEL-CA' "
                     "ORDER BY id DESC LIMIT 2000")
            ).scalars()
        )  # fmt: skip
        out["counts"] = [
            connection.execute(text("SELECT count(*) FROM requests")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one(),
        ]
    engine.dispose()
    for key in ("LATIN", "CYRILLIC", "ids"):
        if not out[key]:
            raise SystemExit(f"no {key} to sample in the register")
    return out


def web_session(base: str, username: str) -> httpx.Client:
    """A signed-in web session of a demo user."""
    web = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    token = CSRF.search(web.get("/login").text)
    assert token, "no CSRF token on /login"
    answer = web.post("/login", data={"username": username, "password": PASSWORD,
                                      "next": "/", "csrf_token": token.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text[:300]
    return web


def pages_of(
    web: httpx.Client, auditor: httpx.Client, api: httpx.Client, picks: dict, rng: random.Random
) -> dict:
    def request_id() -> int:
        return rng.choice(picks["ids"])

    return {
        "baseline": lambda: web.get("/health/live"),
        "api detail": lambda: api.get(f"/api/v1/requests/{request_id()}"),
        "dashboard": lambda: web.get("/"),
        "list": lambda: web.get("/requests"),
        "list filtered": lambda: web.get("/requests", params={"status": "in_execution",
                                                              "kind": "mla", "state": "UKR"}),
        "list sorted": lambda: web.get("/requests", params={"sort": "deadline", "dir": "asc"}),
        "search latin": lambda: web.get("/requests", params={"person": rng.choice(picks["LATIN"])}),
        "search cyrillic": lambda: web.get("/requests",
                                           params={"person": rng.choice(picks["CYRILLIC"])}),
        "request page": lambda: web.get(f"/requests/{request_id()}"),
        "screening": lambda: web.get(f"/requests/{request_id()}/screening"),
        "audit": lambda: auditor.get("/audit"),  # the authority's auditor
        "deadlines": lambda: web.get("/deadlines"),
        "treaty": lambda: web.get("/treaties/lhc-2023"),
        "basis lookup": lambda: web.get("/basis", params={"from": "UKR", "to": "BEL", "kind": "mla",
                                                          "on": "2026-11-23",
                                                          "crimes": "torture"}),
        "portal": lambda: web.get("/public/en/index.html"),
    }  # fmt: skip


def time_pages(
    base: str,
    url: str,
    samples: int,
    warmups: int,
    seed: int,
    only: set[str] | None = None,
    settle: float = 0.0,
) -> tuple[dict[str, list[float]], list[int]]:
    picks = samples_for(url)
    rng = random.Random(seed)
    web, headers = signed_in(base)
    api = httpx.Client(base_url=base, timeout=120, headers=headers)
    web.timeout = httpx.Timeout(120)
    auditor = web_session(base, "marc.auditor")
    timings: dict[str, list[float]] = {}
    try:
        chosen = {name: call for name, call in pages_of(web, auditor, api, picks, rng).items()
                  if not only or name in only or name == "baseline"}  # fmt: skip
        # every page's warm-ups first: what a server does once when it starts (the pools,
        # the reference data, the person engine's protected names read ahead by a thread)
        # is done before any page is timed, not in the first page's samples
        for name, call in chosen.items():
            for _ in range(warmups):
                _check(name, call())
        time.sleep(settle)  # the server's work begun by the warm-ups ends before the clock
        for name, call in chosen.items():
            timings[name] = _time(name, call, samples, 0)
    finally:
        web.close()
        auditor.close()
        api.close()
    return timings, picks["counts"]


def _time(name: str, call: Callable[[], httpx.Response], samples: int, warmups: int) -> list:
    for _ in range(warmups):  # warm the caches and the connection pool
        _check(name, call())
    seen = []
    for _ in range(samples):
        started = time.perf_counter()
        response = call()
        seen.append((time.perf_counter() - started) * 1000)
        _check(name, response)
    return seen


def _check(name: str, response: httpx.Response) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:300]}")


def summary(timings: dict[str, list[float]]) -> list[dict]:
    base = percentile(timings["baseline"], 0.95)
    rows = []
    for page, seen in timings.items():
        p95 = percentile(seen, 0.95)
        aim = aim_of(page)
        rows.append({"page": page, "p50_ms": round(statistics.median(seen), 1),
                     "p95_ms": round(p95, 1), "ratio": round(p95 / base, 1),
                     "aim_ms": aim, "met": None if aim is None else p95 <= aim})  # fmt: skip
    return rows


def print_table(rows: list[dict], counts: list[int]) -> None:
    print(f"{counts[0]:,} requests, {counts[1]:,} audit entries; "
          f"load {os.getloadavg()[0]:.1f} (1 min)")  # fmt: skip
    print(f"{'page':<16} {'p50 ms':>8} {'p95 ms':>8} {'x base':>8}  aim (p95)")
    for row in rows:
        aim = "" if row["aim_ms"] is None else (
            f"<= {row['aim_ms']:.0f} ms: {'met' if row['met'] else 'NOT met'}")  # fmt: skip
        print(f"{row['page']:<16} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} "
              f"{row['ratio']:>8.1f}  {aim}")  # fmt: skip


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="Synthetic requests.")
    parser.add_argument(
        "--audit-entries",
        type=int,
        default=1_000_000,
        help="Pad the audit trail with reads up to this many entries.",
    )
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="Seconds to wait after the warm-ups, before the first sample (the server's "
        "threads begun by them, such as the protected names read ahead, end first).",
    )
    parser.add_argument("--url", help="Time this existing database (nothing built or dropped).")
    parser.add_argument("--only", help="Comma-separated pages to time (and the baseline).")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON too.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    options = parser.parse_args(argv)
    if options.size < 1 or options.samples < 1 or options.warmups < 0:
        parser.error("--size and --samples must be at least 1, --warmups at least 0")
    home = Path(tempfile.mkdtemp(prefix="judicare-bench-pages-"))
    database = None
    url = options.url
    try:
        if url is None:
            database = f"judicare_bench_pages_{uuid.uuid4().hex[:8]}"
            admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
            admin.dispose()
            url = ADMIN.rsplit("/", 1)[0] + f"/{database}"
            print(f"Building {options.size:,} synthetic requests, audit trail padded to "
                  f"{options.audit_entries:,} entries…", flush=True)  # fmt: skip
            built = build(url, home, options.size, options.audit_entries, options.seed)
            print(f"bulk load {built['load_s']:.0f} s; {built['padded']:,} reads added to the "
                  f"trail in {built['pad_s']:.0f} s", flush=True)  # fmt: skip
        process, base = serve(url, home)
        try:
            only = {p.strip() for p in options.only.split(",")} if options.only else None
            timings, counts = time_pages(
                base, url, options.samples, options.warmups, options.seed, only, options.settle
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # busy with a slow page: stop it all the same
                process.kill()
                process.wait(timeout=30)
        rows = summary(timings)
        print_table(rows, counts)
        if options.json:
            print(json.dumps({"requests": counts[0], "audit_entries": counts[1], "pages": rows}))
        return rows
    finally:
        if database and not options.keep:
            drop_database(database)
        elif database:
            print(f"kept: {url} and {home}")
        if not options.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
