"""Waiting in tests for something to happen, never for a fixed time: a condition checked
until it holds, with a deadline only a broken system reaches (a loaded machine is slow, not
wrong). The deadline is read on the monotonic clock, which `--wall-clock-ahead-days` leaves
alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE = 60.0  # seconds: far beyond what the slowest machine needs, short of a hung run


def eventually(
    check: Callable[[], T],
    what: str,
    timeout: float = PATIENCE,
    every: float = 0.02,
    explain: Callable[[], str] | None = None,
) -> T:
    """`check()`'s first true answer, asked every `every` seconds; an AssertionError naming
    `what` (and `explain()`, for the state that was found) if none came within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            said = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"not within {timeout:g} s: {what}{said}")
        time.sleep(every)
