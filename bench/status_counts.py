"""Benchmark: the dashboard's status counts and the API list's exact total, counted over the
requests (as before issue 22's kept counts) against read from `request_status_counts`, on
one fresh PostgreSQL database of N synthetic requests (`judicare.scale.generate`), the
same run: the ratio, not the milliseconds, is what compares across machines.

Run: `.venv/bin/python -m bench.status_counts [--size 30000] [--samples 30]`."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.scale import ADMIN, make_app
from judicare.auth.models import UserRow
from judicare.auth.permissions import Principal
from judicare.auth.service import principal_of
from judicare.bootstrap import upgrade_database
from judicare.requests import queries
from judicare.requests.models import AssignmentRow, RequestRow
from judicare.scale import generate


def counted(session: Session, who: Principal) -> dict[str, int]:
    """The dashboard's query before the kept counts: the authority's requests counted by
    status, then those of other authorities assigned to the reader."""
    own = RequestRow.authority_id == who.authority_id
    assigned = select(AssignmentRow.request_id).where(AssignmentRow.user_id == who.user_id)
    counts: dict[str, int] = {}
    for condition in (own, ~own & RequestRow.id.in_(assigned)):
        for status, count in session.execute(
            select(RequestRow.status, func.count()).where(condition).group_by(RequestRow.status)
        ).all():
            counts[status] = counts.get(status, 0) + count
    return counts


def _median_ms(call: Callable[[], object], samples: int) -> float:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=30_000)
    parser.add_argument("--samples", type=int, default=30)
    options = parser.parse_args()
    database = f"judicare_bench_counts_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    app = make_app(ADMIN.rsplit("/", 1)[0] + f"/{database}", Path(tempfile.mkdtemp()))
    try:
        upgrade_database(app)
        start = time.perf_counter()
        generate(app, options.size)
        print(f"built {options.size:,} requests in {time.perf_counter() - start:.0f} s")
        with app.unit_of_work() as uow:
            session = uow.session
            user = session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
            assert user is not None
            who = principal_of(user)
            everything = select(RequestRow).where(queries.visible_to(who))
            pairs = {
                "dashboard counts": (
                    lambda: counted(session, who),
                    lambda: queries.status_counts(session, who),
                ),
                "API list total": (
                    lambda: queries._total(session, everything, queries.RequestFilters())[0],
                    lambda: queries._counted(session, who, None),
                ),
            }
            for name, (before, kept) in pairs.items():
                assert before() == kept(), name  # the same answer
                old = _median_ms(before, options.samples)
                new = _median_ms(kept, options.samples)
                print(f"{name}: counted {old:.1f} ms, kept {new:.2f} ms (median of "
                      f"{options.samples}): {old / new:.0f}x faster")  # fmt: skip
    finally:
        app.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
