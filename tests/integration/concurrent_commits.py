"""Transactions committed at the same instant, for the tests of what two writers racing
each other must still get right (competing requests found once, status counts kept)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.waiting import PATIENCE


def committed_at_once(app, *works: Callable[[Any], Any]) -> list[Any]:
    """Each `work(session)` in a thread and a transaction of its own, all committed at once:
    on PostgreSQL each waits at a barrier just before COMMIT, so none has seen another's
    writes when it commits. SQLite serialises writers (a second transaction cannot begin
    before the first commits), so there is no barrier there. Returns each work's answer in
    order; a work that fails breaks the barrier and its error is raised here."""
    postgres = app.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(len(works), timeout=PATIENCE)
    answers: dict[int, Any] = {}
    failures: list[BaseException] = []

    def commit(n: int, work: Callable[[Any], Any]) -> None:
        try:
            with app.unit_of_work() as uow:
                answer = work(uow.session)
                if postgres:
                    barrier.wait()
                uow.commit()
            answers[n] = answer
        except BaseException as error:  # raised by the test's thread, below
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=commit, args=pair) for pair in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * PATIENCE)
    if failures:
        raise failures[0]
    assert not any(thread.is_alive() for thread in threads), "a transaction never ended"
    return [answers[n] for n in range(len(works))]
