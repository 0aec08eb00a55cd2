"""The protected entries' statement of the screening page and the name search (issue 17):
`persons.service._protected_query` under PostgreSQL's plan cache, three ways side by side.

psycopg prepares a statement on the server once a connection has run it five times
(`prepare_threshold`); PostgreSQL then plans each execution for its parameters (a custom
plan) five times more, and afterwards may keep a generic plan, made without knowing the
array of keys nor its length.

    auto        the statement as the application sends it (PostgreSQL chooses)
    custom      the same, with `plan_cache_mode = force_custom_plan` for the transaction
                (set once, before the clock): what a custom plan alone would gain
    custom+set  the same, with the setting put on and back around each execution by two
                `set_config` statements (timed): what forcing it in the application costs

This runs the statement for `--samples` persons' names (as `bench.pages` picks them) on one
connection, as a server's pooled connection meets them, in rounds that alternate the ways,
each round on a fresh connection (nothing prepared at its start). It prints, per way, the
wall time of each execution (p50, p95, and the mean past the tenth execution, where a
generic plan may have set in), the client's CPU time and the load.

Run: `.venv/bin/python -m bench.pages_protected_plan --url postgresql+psycopg://... [--samples 60]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.pages import samples_for
from bench.scale import percentile

WAYS = ("auto", "custom", "custom+set")
MODE = "plan_cache_mode"


def _one_round(url: str, names: list[str], way: str) -> list[float]:
    from judicare.persons import service
    from judicare.persons.keys import blocking_keys
    from judicare.persons.registers import scopes_visible_to

    scopes = scopes_visible_to("BEL-CA")
    engine = create_engine(url)
    seen = []
    try:
        with Session(engine) as session:
            session.execute(select(1))  # the connection, before the clock
            if way == "custom":
                session.execute(select(func.set_config(MODE, "force_custom_plan", True)))
            for name in names:
                keys = sorted(blocking_keys((name,)))
                if not keys:
                    continue
                started = time.perf_counter()
                if way == "custom+set":
                    before = session.scalar(
                        select(
                            func.current_setting(MODE),
                            func.set_config(MODE, "force_custom_plan", True),
                        )
                    )
                    service._protected_sharing(session, keys, scopes)
                    session.execute(select(func.set_config(MODE, before, True)))
                else:
                    service._protected_sharing(session, keys, scopes)
                seen.append((time.perf_counter() - started) * 1000)
            session.rollback()
    finally:
        engine.dispose()
    return seen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="A PostgreSQL database bench.pages built.")
    parser.add_argument("--samples", type=int, default=60, help="Names per round.")
    parser.add_argument("--rounds", type=int, default=4, help="Rounds of each way, alternated.")
    parser.add_argument("--seed", type=int, default=17)
    options = parser.parse_args(argv)
    picks = samples_for(options.url)
    rng = random.Random(options.seed)
    pool = picks["LATIN"] + picks["CYRILLIC"]
    names = [rng.choice(pool) for _ in range(options.samples)]
    print(f"{options.samples} names x {options.rounds} rounds a way; "
          f"load {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    times: dict[str, list[float]] = {w: [] for w in WAYS}
    late: dict[str, list[float]] = {w: [] for w in WAYS}
    cpu: dict[str, float] = dict.fromkeys(WAYS, 0.0)
    for _ in range(options.rounds):
        for way in WAYS:
            started = time.process_time()
            seen = _one_round(options.url, names, way)
            cpu[way] += time.process_time() - started
            times[way] += seen
            late[way] += seen[10:]
    for way in WAYS:
        print(f"{way:<18} p50 {statistics.median(times[way]):7.1f} ms  "
              f"p95 {percentile(times[way], 0.95):7.1f} ms  "
              f"mean past the 10th {statistics.fmean(late[way]):7.1f} ms  "
              f"(client CPU {cpu[way]:.2f} s)")  # fmt: skip
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
