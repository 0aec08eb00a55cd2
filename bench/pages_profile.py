"""In-process profile of the name search and the screening page (issue 17), on a database
`bench.pages --keep` (or `judicare demo --scale N`) built.

What `bench.pages` times over HTTP, this runs in one process without the server: for each
sample, in its own unit of work, the screening page's work (`web.request_pages.
screening_context`: the report and each person's candidates) or the list's search by a
person's name (`requests.queries.list_requests` with `person`), for the demo officer of
BEL-CA, on requests and names picked as `bench.pages` picks them. It prints per sample
the CPU time of the process (what the engine costs, less sensitive to other jobs on the
machine than wall time), the wall time, the statements and their time (timed with a
SQLAlchemy event listener), p50 and p95 of each, and the load; with `--profile`, the
functions that took the most time under cProfile.

Run: `.venv/bin/python -m bench.pages_profile --url postgresql+psycopg://... --page
screening --samples 20 [--profile]`; `--page search-latin` or `search-cyrillic` for the
search. `--repeat 2` asks each sample twice, in two units of work (the second meets the
process's caches warm). The garbage collector is settled as `judicare serve` settles it
(`judicare.collector`) unless `--unsettled`; `--each` prints every sample, slowest first.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

from bench.pages import samples_for
from bench.scale import make_app, percentile

PAGES = ("screening", "search-latin", "search-cyrillic")
OFFICER = "anna.officer"


def _principal(app):
    from judicare.auth.models import UserRow
    from judicare.auth.service import principal_of

    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == OFFICER))
        if user is None:
            raise SystemExit(f"no user {OFFICER!r}: build the database with bench.pages --keep")
        return principal_of(user)


def _call(app, who, page: str, pick):
    from judicare.requests import queries
    from judicare.web.request_lists import WHY, filters_of
    from judicare.web.request_pages import COUNTED_AHEAD, PAGE_SIZE, screening_context

    if page == "screening":
        return lambda: screening_context(app, who, pick)

    def search():
        chosen = {"status": "", "state": "", "kind": "", "overdue": "", "due_within": "",
                  "assignee": "", "person": pick, "q": "", "sort": "", "dir": ""}  # fmt: skip
        filters = filters_of(chosen, who, PAGE_SIZE, 0, COUNTED_AHEAD)  # as the list page
        with app.unit_of_work() as uow:
            queries.list_requests(uow.session, who, filters, today=app.clock.today(),
                                  now=app.now(), why=WHY)  # fmt: skip
            uow.commit()

    return search


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="The database (PostgreSQL or SQLite).")
    parser.add_argument("--page", choices=PAGES, default="screening")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="Ask each sample this often.")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--profile", action="store_true", help="cProfile the samples.")
    parser.add_argument("--top", type=int, default=30, help="Functions shown by --profile.")
    parser.add_argument("--each", action="store_true", help="Print each sample, slowest first.")
    parser.add_argument("--unsettled", action="store_true",
                        help="Leave the garbage collector as Python sets it (a server settles it: "
                        "judicare.collector).")  # fmt: skip
    options = parser.parse_args(argv)
    picks = samples_for(options.url)
    rng = random.Random(options.seed)
    pool = {"screening": picks["ids"], "search-latin": picks["LATIN"],
            "search-cyrillic": picks["CYRILLIC"]}[options.page]  # fmt: skip
    chosen = [rng.choice(pool) for _ in range(options.samples)]
    home = Path(tempfile.mkdtemp(prefix="judicare-bench-profile-"))
    app = make_app(options.url, home)
    sql = {"n": 0, "s": 0.0}

    def before(conn, _cursor, _statement, _params, _context, _many):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn, _cursor, _statement, _params, _context, _many):
        started = conn.info.get("bench_started")
        if started:  # (a statement sent with the COMMIT is timed with it: not here)
            sql["n"] += 1
            sql["s"] += time.perf_counter() - started.pop()

    event.listen(app.engine, "before_cursor_execute", before)
    event.listen(app.engine, "after_cursor_execute", after)
    who = _principal(app)
    _call(app, who, options.page, chosen[0])()  # warm: imports, reference data, pools
    from judicare.persons.service import protected_names_read

    # and the protected entries' names, read ahead by a thread of the process (as in a
    # server): its CPU time is not a sample's
    protected_names_read(timeout=600)
    if not options.unsettled:  # as `judicare serve` does once composed
        from judicare.collector import settle_for_serving

        settle_for_serving()
    profiler = cProfile.Profile() if options.profile else None
    rows = []
    print(f"{options.page}, {options.samples} samples x {options.repeat}"
          f"{', collector unsettled' if options.unsettled else ''}; "
          f"load {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    for pick in chosen:
        for _ in range(options.repeat):
            call = _call(app, who, options.page, pick)
            sql["n"], sql["s"] = 0, 0.0
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            call()
            if profiler:
                profiler.disable()
            rows.append((time.process_time() - cpu, time.perf_counter() - wall,
                         sql["n"], sql["s"], pick))  # fmt: skip
    app.dispose()
    shutil.rmtree(home, ignore_errors=True)
    for name, index in (("CPU ms", 0), ("wall ms", 1), ("SQL ms", 3)):
        seen = [r[index] * 1000 for r in rows]
        print(f"{name:<8} p50 {statistics.median(seen):8.1f}  p95 {percentile(seen, 0.95):8.1f}"
              f"  mean {statistics.fmean(seen):8.1f}")  # fmt: skip
    print(f"statements p50 {statistics.median(r[2] for r in rows):.0f}, "
          f"max {max(r[2] for r in rows)}; load {os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    if options.each:
        for cpu_s, wall_s, statements, sql_s, pick in sorted(rows, key=lambda r: -r[0]):
            print(f"  {pick!s:<24} CPU {cpu_s * 1000:7.1f} ms  wall {wall_s * 1000:7.1f} ms  "
                  f"SQL {sql_s * 1000:6.1f} ms in {statements} statements")  # fmt: skip
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
        stats.print_stats(options.top)
        stats.sort_stats("cumulative").print_stats(options.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
