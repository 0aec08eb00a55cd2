"""The application's clock: the one source of the date and the moment. Every component
(API, web, CLI, node, receiver, delivery worker) is handed it; nothing else reads the wall
clock, so a test that fixes the clock fixes time for the whole node."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol

NOON = clock_time(12)


class Clock(Protocol):
    """The one source of time: every component (API, web, CLI, node, receiver, delivery
    worker) reads the date and the moment from the application's clock, never the wall."""

    def today(self) -> date: ...

    def now(self) -> datetime: ...


class SystemClock:
    def today(self) -> date:
        return self.now().date()

    def now(self) -> datetime:
        return datetime.now(UTC)


# Every fixed clock of a process counts from the same origin, so two nodes in one test
# agree on the moment as two real nodes with synchronised clocks would.
_FIXED_ORIGIN = time.monotonic()


@dataclass
class FixedClock:
    """A clock for tests and reproducible runs: the day never changes, and the moment starts
    at noon (UTC) of that day and advances with the process's monotonic clock, so it is
    independent of the wall clock (a test run a year from now sees the same dates) while
    later events still come after earlier ones."""

    fixed: date

    def today(self) -> date:
        return self.fixed

    def now(self) -> datetime:
        elapsed = timedelta(seconds=time.monotonic() - _FIXED_ORIGIN)
        return datetime.combine(self.fixed, NOON, tzinfo=UTC) + elapsed
