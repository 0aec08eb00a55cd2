"""Benchmark: how list, filter, search, dashboard and request pages grow with the register.

One command builds a fresh PostgreSQL database (or SQLite with --sqlite), adds synthetic
requests with `judicare.scale.generate` (the generator behind `judicare demo --scale N`) up
to each size in turn (10,000 then 100,000; 1,000,000 with --million), and at each size
starts `judicare serve` on it and times, one request at a time over loopback:

    list        GET /api/v1/requests?limit=20
    filter      GET /api/v1/requests?status=in_execution&kind=mla&state=UA
    search      GET /api/v1/requests?person=<a generated name, in its script or romanised>
    dashboard   GET /            (the officer's web dashboard, signed in)
    page        GET /requests/ID (the web request page)
    api detail  GET /api/v1/requests/ID

Before timing, the audit trail is padded with officers' reads (`judicare.scale.pad_audit`, the
chain stays valid) up to `--audit-per-request` entries per request (10: issue 22's 1,000,000
requests with 10,000,000 entries), and `VACUUM ANALYZE` runs as autovacuum would after a
bulk load.

It prints p50 and p95 per view and size, the growth factor against the first size (in the
same run: the baseline), and the time the bulk load took. Aim (issue 22): p95 <= 200 ms.
At each size it also times `audit verify` over the whole trail against
`audit verify --incremental` after 100 more requests (about 700 entries): what a daily
check costs once the mark is set.

Run: `.venv/bin/python -m bench.scale [--sizes 10000,100000] [--million] [--samples 40]
[--audit-per-request 10] [--verify-up-to N] [--json] [--keep | --reuse URL HOME]`.
`--reuse` grows a database an earlier `--keep` run left (printed at its end) to the larger
sizes; with `--remeasure` it adds nothing and times the views (and, within `--verify-up-to`,
the audit checks) at the size the database holds: the same figures again after a change of
code, or in a quieter moment, without building anew.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from bench.exchange import free_port, wait_for_health

ADMIN = os.environ.get(
    "JUDICARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "demo-password-not-for-production"
VIEWS = ("list", "filter", "search", "dashboard", "page", "api detail")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def drop_database(database: str) -> None:
    """Drop a database the bench made, whoever is still connected to it."""
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str, home: Path):
    from judicare.app import create_app
    from judicare.settings import Settings

    return create_app(
        Settings(database_url=url, environment="test", data_dir=home,
                 node_keys_dir=home / "keys"),
    )  # fmt: skip


def grow(
    url: str,
    home: Path,
    target: int,
    have: int,
    seed: int,
    per_request: int,
    until: float | None = None,
) -> tuple[float, float, int, int, int]:
    """Add requests up to `target` (fewer if the clock passes `until`, a time.time()), pad
    the trail to `per_request` entries a request, and vacuum. Returns (seconds for the
    requests, seconds for the padding, entries padded, entries in the trail, requests
    now)."""  # fmt: skip
    from judicare.bootstrap import upgrade_database
    from judicare.scale import generate, pad_audit

    app = make_app(url, home)
    try:
        if have == 0:
            upgrade_database(app)
        started = time.perf_counter()
        stop = (lambda: time.time() > until) if until is not None else None
        made = generate(app, target - have, seed=seed + have, stop=stop).requests
        load = time.perf_counter() - started
        target = have + made
        with app.engine.connect() as connection:
            entries = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        started = time.perf_counter()
        wanted = target * per_request
        padded = pad_audit(app, wanted - entries, seed=seed + target) if wanted > entries else 0
        pad = time.perf_counter() - started
        if app.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        return load, pad, padded, entries + padded, target
    finally:
        app.dispose()


def audit_checks(url: str, home: Path, seed: int) -> tuple[int, float, int, float]:
    """(entries, seconds for the full verification that sets the mark, entries read by the
    incremental one after 100 more requests, its seconds)."""
    from judicare.audit.incremental import verify_incremental
    from judicare.scale import generate

    app = make_app(url, home)
    try:
        with app.unit_of_work() as uow:
            started = time.perf_counter()
            full = verify_incremental(uow.session, app.audit_anchor, reset=True)
            full_seconds = time.perf_counter() - started
        assert not full.problems, full.problems
        generate(app, 100, seed=seed)
        with app.unit_of_work() as uow:
            started = time.perf_counter()
            daily = verify_incremental(uow.session, app.audit_anchor)
            daily_seconds = time.perf_counter() - started
        assert not daily.problems and daily.mode == "incremental", daily.problems
        return full.entries, full_seconds, daily.checked, daily_seconds
    finally:
        app.dispose()


def audit_entries(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    engine.dispose()
    return int(count)


def synthetic_requests(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM requests WHERE facts_summary LIKE 'SYNTHETIC request %'")
        ).scalar_one()
    engine.dispose()
    return int(count)


def samples_for(url: str) -> tuple[list[str], list[int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        names = list(
            connection.execute(
                text(
                    "SELECT n.name FROM person_names n JOIN request_persons p ON p.id = n.person_id"
                    " JOIN requests r ON r.id = p.request_id WHERE r.authority_id = 'BEL-CA'"
                    " ORDER BY n.id DESC LIMIT 2000"
                )
            ).scalars()
        )
        ids = list(
            connection.execute(
                text("SELECT id FROM requests WHERE authority_id = 'BEL-CA' "
                     "ORDER BY id DESC LIMIT 2000")
            ).scalars()
        )  # fmt: skip
    engine.dispose()
    return names, ids


def signed_in(base: str) -> tuple[httpx.Client, dict]:
    web = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    token = CSRF.search(web.get("/login").text)
    assert token, "no CSRF token on /login"
    answer = web.post("/login", data={"username": "anna.officer", "password": PASSWORD,
                                      "next": "/", "csrf_token": token.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text[:300]
    credentials = {"username": "anna.officer", "password": PASSWORD}
    api = httpx.post(f"{base}/api/v1/auth/token", json=credentials, timeout=60)
    assert api.status_code in (200, 201), api.text[:300]
    return web, {"Authorization": f"Bearer {api.json()['token']}", "X-Purpose": "benchmark"}


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used (Linux: /proc), None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, *, window: float = 1.0, busy: float = 0.05, most: float = 180.0):
    """Wait (at most `most` seconds) until the process uses under `busy` of a core over
    `window` seconds; five seconds where its CPU time cannot be read."""
    started = time.monotonic()
    used = cpu_seconds(pid)
    if used is None:
        time.sleep(5)
        return
    while time.monotonic() - started < most:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now is None or now - used < busy * window:
            return
        used = now


def measure(
    base: str, url: str, samples: int, rng: random.Random, server: int | None = None
) -> dict[str, list[float]]:
    names, ids = samples_for(url)
    web, headers = signed_in(base)
    api = httpx.Client(base_url=base, timeout=60, headers=headers)
    views = {
        "list": lambda: api.get("/api/v1/requests", params={"limit": 20}),
        "filter": lambda: api.get("/api/v1/requests", params={"status": "in_execution",
                                                              "kind": "mla", "state": "UA"}),
        "search": lambda: api.get("/api/v1/requests", params={"person": rng.choice(names)}),
        "dashboard": lambda: web.get("/"),
        "page": lambda: web.get(f"/requests/{rng.choice(ids)}"),
        "api detail": lambda: api.get(f"/api/v1/requests/{rng.choice(ids)}"),
    }  # fmt: skip
    timings: dict[str, list[float]] = {}
    # every view's warm-ups first, then until the server is idle: what a server does once
    # when it starts (the pools, the reference data, the protected persons' names read
    # ahead by a thread: some 50,000 entries at 1,000,000 requests) is not in the samples
    for call in views.values():
        for _ in range(3):
            call()
    if server is not None:
        wait_until_idle(server)
    for name, call in views.items():
        seen = []
        for _ in range(samples):
            started = time.perf_counter()
            response = call()
            seen.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
        timings[name] = seen
    web.close()
    api.close()
    return timings


def serve(url: str, home: Path):
    port = free_port()
    env = {**os.environ, "JUDICARE_ENVIRONMENT": "test", "JUDICARE_DATA_DIR": str(home),
           "JUDICARE_NODE_KEYS_DIR": str(home / "keys")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "judicare.cli", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    wait_for_health(f"http://127.0.0.1:{port}/health/ready")
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--million", action="store_true", help="Add 1,000,000 to the sizes.")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--audit-per-request",
        type=int,
        default=10,
        help="Pad the audit trail to this many entries a request (0: no padding).",
    )
    parser.add_argument(
        "--verify-up-to",
        type=int,
        default=0,
        help="Time `audit verify` only at sizes up to this many requests (0: at every size); "
        "the whole trail's verification reads every entry once (about 30 minutes for "
        "10,000,000 on a busy 2-core machine).",
    )
    parser.add_argument(
        "--build-until",
        metavar="HH:MM",
        help="Stop adding requests at this time (UTC, today) and measure the size reached "
        "(the last size run).",
    )
    parser.add_argument("--json", action="store_true", help="Print each size's figures as JSON.")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--reuse",
        nargs=2,
        metavar=("URL", "HOME"),
        help="Grow a database and data directory kept by an earlier --keep run "
        "(sizes it already has are skipped; it is kept afterwards).",
    )
    parser.add_argument(
        "--remeasure",
        action="store_true",
        help="With --reuse: add no requests; time the views (and the audit checks) at the "
        "size the database holds.",
    )
    options = parser.parse_args()
    if options.remeasure and not options.reuse:
        parser.error("--remeasure times a kept database: give it with --reuse URL HOME")
    sizes = sorted({int(s) for s in options.sizes.split(",") if s} | (
        {1_000_000} if options.million else set()))  # fmt: skip
    console = Console()
    database: str | None = None
    if options.reuse:
        url, home = options.reuse[0], Path(options.reuse[1])
        options.keep = True
    elif options.sqlite:
        home = Path(tempfile.mkdtemp(prefix="judicare-bench-scale-"))
        url = f"sqlite:///{home / 'judicare.db'}"
    else:
        home = Path(tempfile.mkdtemp(prefix="judicare-bench-scale-"))
        database = f"judicare_bench_scale_{uuid.uuid4().hex[:8]}"
        admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = ADMIN.rsplit("/", 1)[0] + f"/{database}"
    rng = random.Random(options.seed)
    results: dict[int, dict[str, list[float]]] = {}
    loads: dict[int, tuple[float | None, float | None, int | None, int]] = {}
    audits: dict[int, tuple[int, float, int, float]] = {}
    have = synthetic_requests(url) if options.reuse else 0
    sizes = [have] if options.remeasure else [size for size in sizes if size > have]
    until = None
    if options.build_until:
        hours, minutes = (int(part) for part in options.build_until.split(":"))
        now = datetime.now(UTC)
        until = now.replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp()
    try:
        for size in sizes:
            kind = "SQLite" if options.sqlite else "PostgreSQL"
            doing = "timing the kept" if options.remeasure else "building"
            console.print(f"{time.strftime('%H:%M:%S')} {doing} {size:,} synthetic "
                          f"requests ({kind}), load average {os.getloadavg()[0]:.1f}…")  # fmt: skip
            if options.remeasure:
                built = (None, None, None, audit_entries(url), have)
            else:
                built = grow(url, home, size, have, options.seed, options.audit_per_request,
                             until)  # fmt: skip
            if built[4] != size:  # stopped by --build-until: measured at the size reached
                console.print(f"{time.strftime('%H:%M:%S')} stopped at {built[4]:,} requests "
                              f"(--build-until {options.build_until})")  # fmt: skip
                sizes[sizes.index(size)] = size = built[4]
                del sizes[sizes.index(size) + 1 :]
            loads[size] = built[:4]
            have = size
            if not options.remeasure:
                console.print(f"{time.strftime('%H:%M:%S')} built in {loads[size][0]:.0f} s, "
                              f"padded {loads[size][2]:,} entries in {loads[size][1]:.0f} s; "
                              f"timing the views, load average "
                              f"{os.getloadavg()[0]:.1f}")  # fmt: skip
            process, base = serve(url, home)
            try:
                results[size] = measure(base, url, options.samples, rng, process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)
            report(console, sizes, results, loads, audits)
            if not options.verify_up_to or size <= options.verify_up_to:
                console.print(f"{time.strftime('%H:%M:%S')} verifying the audit trail, "
                              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
                audits[size] = audit_checks(url, home, options.seed + size + 1)
                have += 100
                report(console, sizes, results, loads, audits)
            if options.json:
                print(json.dumps({"requests": size, "load": loads[size],
                                  "audit": audits.get(size),
                                  "load_average": os.getloadavg(), "views": {
                                      view: {"p50": statistics.median(results[size][view]),
                                             "p95": percentile(results[size][view], 0.95)}
                                      for view in VIEWS}}))  # fmt: skip
    finally:
        if database and not options.keep:
            drop_database(database)
        if not options.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            console.print(f"kept: {url} {home}")


def report(console: Console, sizes, results, loads, audits) -> None:
    done = [s for s in sizes if s in results]
    first = done[0]
    table = Table(title="p50 / p95 in ms (growth of p95 against the first size)")
    table.add_column("view")
    for size in done:
        table.add_column(f"{size:,} requests", justify="right")
    for view in VIEWS:
        cells = []
        for size in done:
            p50 = statistics.median(results[size][view])
            p95 = percentile(results[size][view], 0.95)
            base = percentile(results[first][view], 0.95)
            growth = f" ({p95 / base:.1f}x)" if size != first else ""
            flag = "" if p95 <= 200 else " !"
            cells.append(f"{p50:.0f} / {p95:.0f}{growth}{flag}")
        table.add_row(view, *cells)
    table.add_row("bulk load (s)",
                  *[f"{loads[s][0]:.0f}" if loads[s][0] is not None else "kept"
                    for s in done])  # fmt: skip
    table.add_row("audit padding (s)",
                  *[f"{loads[s][1]:.0f} ({loads[s][2]:,} entries)"
                    if loads[s][1] is not None else "kept" for s in done])  # fmt: skip
    table.add_row("audit entries", *[f"{loads[s][3]:,}" for s in done])
    table.add_row("audit verify, full (s)",
                  *[f"{audits[s][1]:.1f} ({audits[s][0]:,} entries)" if s in audits else "…"
                    for s in done])  # fmt: skip
    table.add_row("audit verify --incremental (s)",
                  *[f"{audits[s][3]:.2f} ({audits[s][2]:,} entries)" if s in audits else "…"
                    for s in done])  # fmt: skip
    console.print(table)
    console.print("'!' marks a p95 above the 200 ms aim.")


if __name__ == "__main__":
    main()
