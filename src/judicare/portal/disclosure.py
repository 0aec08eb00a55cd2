"""The disclosure rule of the public statistics (issue 19): which counts and medians may be
published, and how a hidden one is shown. Pure: numbers in, published values out.

The rule, in the words a statistician would use:

1. **Primary suppression.** A count of 1 to 4 is shown as "<5". A published count is never
   a number under 5 other than 0.
2. **Zeros.** A zero is shown as 0 only where it says nothing about a person: where the
   categories describe the request between two states (states, kind, instrument, year), a
   combination with no request is simply absent from the detailed table. Where the
   categories describe what happened to a person (how an aut-dedere obligation ended), a zero
   is hidden like a small count ("<5" then means 0 to 4), because "no one was acquitted"
   beside "<5 closed" tells whoever knows one of those persons how his or her case ended
   (group attribute disclosure). When the whole group is empty there is no one to single
   out, and every category is 0 (a structural zero).
3. **Exact totals, protected by complementary suppression** (`suppression.py`, used by
   `tables.py`). Every table of requests shares its margins with the others, and the totals
   are published exact. The breakdown of a total under 5 is not published (its rows would
   tell how many combinations are non-empty). Where a "<5" could be worked out by
   subtracting exact figures from an exact total, further figures of 5 or more are hidden
   as "x" ("5 or more": all such a mark can honestly say). The rule, checked by linear
   programming over every published table at once: for every "<5", the least value that
   agrees with everything published is 1 and the greatest is 4; and so for every
   combination of 1 to 4 requests that no row shows (one under a "<5" pair, say). Counts of
   how obligations end are protected the same way (`tables.outcome_rows`), "<5" there
   meaning 0 to 4. (`total` works out a total from shown counts alone.)
4. **Medians.** A median of a few cases is nearly one case's own value, so a median is
   published only over at least five observations, in whole days (half a day rounds up). A
   margin's median is taken over the observations of the cells below it that publish their
   own median, and of no other: no observation of a small ("<5") or withheld group ever
   enters a published median, and which cells count is itself public. (The margin's median
   therefore leaves the small groups out; the schema says so.) A count hidden as "x" keeps
   its median: the median says nothing of the count beyond the "5 or more" of its mark.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

THRESHOLD = 5  # counts 1..THRESHOLD-1 are hidden
MEDIAN_MIN_OBSERVATIONS = 5  # a median needs at least this many observations
SMALL = f"<{THRESHOLD}"
SUPPRESSED = "x"  # a count of THRESHOLD or more, hidden so that no "<5" can be worked out


@dataclass(frozen=True, slots=True)
class Count:
    """A count as published: exact (`low == high`), or the bounds its mark states (`high`
    None: no upper bound, a count hidden to protect a small one)."""

    low: int
    high: int | None

    def __post_init__(self) -> None:
        if not self.low >= 0 or (self.high is not None and self.low > self.high):
            raise ValueError(f"a published count needs 0 <= low <= high, not {self}")

    @property
    def exact(self) -> int | None:
        return self.low if self.low == self.high else None

    @property
    def hidden(self) -> bool:
        return self.low != self.high

    def shown(self) -> str:
        """The words of the table cell: "12", "<5", "x" (5 or more, hidden to protect a
        small count) or "6–9" (an en dash)."""
        if self.exact is not None:
            return str(self.exact)
        if self.high is None:
            return SUPPRESSED
        if self.high == THRESHOLD - 1 and self.low <= 1:
            return SMALL
        return f"{self.low}–{self.high}"


def cell(count: int, *, zero_discloses: bool = False) -> Count:
    """Primary suppression of one cell (rules 1 and 2). `zero_discloses` is true where the
    categories describe what happened to a person and the group is not empty."""
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if count == 0:
        return Count(0, THRESHOLD - 1) if zero_discloses else Count(0, 0)
    if count < THRESHOLD:
        return Count(1, THRESHOLD - 1)
    return Count(count, count)


def secondary() -> Count:
    """A count of THRESHOLD or more hidden to protect a small one (rule 3)."""
    return Count(THRESHOLD, None)


def total(parts: Iterable[Count]) -> Count:
    """A total worked out from the shown counts only: exact when they all are."""
    low, high = 0, 0
    unbounded = False
    for part in parts:
        low += part.low
        if part.high is None:
            unbounded = True
        else:
            high += part.high
    return Count(low, None if unbounded else high)


def outcome_counts(counts: dict[str, int]) -> dict[str, Count]:
    """Counts over categories that describe what happened to persons (rule 2): zeros are
    hidden unless the whole group is empty."""
    empty = sum(counts.values()) == 0
    return {k: cell(v, zero_discloses=not empty) for k, v in counts.items()}


def median_days(days: Sequence[int]) -> int | None:
    """The median in whole days over at least five observations (rule 4), else None."""
    if len(days) < MEDIAN_MIN_OBSERVATIONS:
        return None
    if any(d < 0 for d in days):
        raise ValueError("a duration in days cannot be negative")
    return math.floor(median(days) + 0.5)


def margin_median(groups: Sequence[Sequence[int]]) -> int | None:
    """A margin's median (rule 4): over the observations of the cells that publish their
    own median only."""
    kept = [d for days in groups if len(days) >= MEDIAN_MIN_OBSERVATIONS for d in days]
    return median_days(kept)
