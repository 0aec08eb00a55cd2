"""Benchmark: what finding competing requests at registration costs (issue 20).

On a fresh SQLite database (the demo's users), registers the same N extradition requests
twice in alternating rounds: once with the detection that stores competing requests
(`competing.detection.detect`, run by `create_request`), once with it switched off; every
k-th request names a person an earlier one named, so competitions are found and stored.
Prints the time per registration of each and the ratio (with / without), and how many
competitions were stored. Run: `.venv/bin/python -m bench.competing [--requests 200]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SURNAMES = ("Petrović", "Hadžić", "Kovačenko", "Mirzoyan", "Okafor", "Lindqvist",
            "Ferreira", "Tanaka", "Nowakowski", "Haddad", "Moreau", "Öztürk", "Van Acker",
            "Dimitrov")  # fmt: skip
GIVEN = ("Marko", "Amira", "Taras", "Lusine", "Chidi", "Sven", "Inês", "Kenji", "Agata",
         "Rami", "Élise", "Emre", "Pieter", "Stoyan")  # fmt: skip


def body(number: int, repeat_every: int) -> dict:
    who = number - 1 if number % repeat_every == 0 else number  # every k-th: the same person
    name = f"{GIVEN[who % len(GIVEN)]} {SURNAMES[(who // len(GIVEN)) % len(SURNAMES)]}-{who}"
    return {
        "direction": "incoming", "kind": "extradition", "requesting_state": "FR",
        "requested_state": "BE", "requesting_authority": "Benchmark prosecutor's office",
        "facts_summary": f"Benchmark request {number}.", "received_on": "2026-11-01",
        "persons": [{"role": "person_sought", "nationality": "RS",
                     "birth_date": f"19{50 + who % 40}-0{1 + who % 9}-1{who % 10}",
                     "names": [{"name": name}]}],
        "measures": [], "crimes": ["war_crimes"],
    }  # fmt: skip


def run(app, principal, numbers, repeat_every: int, detect: bool) -> float:
    from judicare.requests import registration
    from judicare.requests.schemas import RequestCreate

    original = registration._find_competing
    if not detect:
        registration._find_competing = lambda *a, **k: None  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for number in numbers:
            with app.unit_of_work() as uow:
                data = RequestCreate.model_validate(body(number, repeat_every))
                registration.create_request(uow.session, principal, data, now=T0, basis=None,
                                            why="benchmark")  # fmt: skip
                uow.commit()
        return time.perf_counter() - started
    finally:
        registration._find_competing = original  # type: ignore[assignment]


def read_paths(session, count: int) -> tuple[float, float]:
    """Per request: the person engine's search the pages ran at each read before, and the
    stored record they read now (ms each, over the last `count` requests)."""
    from judicare.competing.detection import stored_for
    from judicare.competing.service import matches
    from judicare.requests.models import RequestRow

    rows = session.scalars(select(RequestRow).order_by(RequestRow.id.desc()).limit(count)).all()
    started = time.perf_counter()
    for row in rows:
        matches(session, row)
    searched = time.perf_counter() - started
    started = time.perf_counter()
    for row in rows:
        stored_for(session, row.id)
    read = time.perf_counter() - started
    return searched / len(rows) * 1000, read / len(rows) * 1000


def main() -> None:
    from judicare.app import FixedClock, create_app
    from judicare.auth.models import UserRow
    from judicare.auth.service import principal_of
    from judicare.bootstrap import upgrade_database
    from judicare.competing.models import CompetingRequestRow
    from judicare.demo import load_demo
    from judicare.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="per side, in total")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat-every", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="judicare-bench-competing-") as home:
        settings = Settings(database_url=f"sqlite:///{Path(home) / 'judicare.db'}",
                            environment="test", data_dir=Path(home),
                            node_keys_dir=Path(home) / "node-keys")  # fmt: skip
        app = create_app(settings, clock=FixedClock(T0.date()))
        try:
            upgrade_database(app)
            load_demo(app)
            with app.unit_of_work() as uow:
                user = uow.session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
                principal = principal_of(user)
            per_round = args.requests // args.rounds
            timed = {True: 0.0, False: 0.0}
            start = 1_000_000
            for index in range(args.rounds):  # the two sides take turns, on fresh numbers
                for detect in (index % 2 == 0, index % 2 != 0):
                    numbers = range(start, start + per_round)
                    start += per_round
                    timed[detect] += run(app, principal, numbers, args.repeat_every, detect)
            with app.unit_of_work() as uow:
                stored = uow.session.scalar(select(func.count()).select_from(CompetingRequestRow))
                reading = read_paths(uow.session, per_round * args.rounds)
        finally:
            app.dispose()
    total = per_round * args.rounds
    with_ms, without_ms = timed[True] / total * 1000, timed[False] / total * 1000
    print(f"registrations per side: {total}; every {args.repeat_every}th names an earlier person")
    print(f"with detection:    {with_ms:.2f} ms per registration")
    print(f"without detection: {without_ms:.2f} ms per registration")
    print(f"ratio with / without: {with_ms / without_ms:.2f}")
    print(f"competitions stored: {stored}")
    search_ms, stored_ms = reading
    print(
        f"a request page's competing requests, searched at each read (before): "
        f"{search_ms:.2f} ms; read from the store (now): {stored_ms:.2f} ms; "
        f"ratio {search_ms / stored_ms:.1f}"
    )


if __name__ == "__main__":
    main()
