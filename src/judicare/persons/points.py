"""The two operating points of person screening (issue 16), and the thresholds they use."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.75
MIN_PART_SIMILARITY = 0.7  # below this, two parts are not the same name part
# Two parts facing each other that disagree (Sergey *Ivanovich* Lavrov, Sergey *Viktorovich*
# Lavrov): at the identification point evidence of two people, counted as two parts; at
# the safeguard point as one pair of parts with nothing alike (the mean over the aligned
# parts), so that a person known by one other name (a translation, a nickname, a name taken
# later) is still shown for a human to review.
CONFLICT_COST = 2.0
SAFEGUARD_CONFLICT_COST = 1.0


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """How a register is screened (issue 16): the lowest score shown, how many candidates
    at most, how alike two name parts must be to pair (below, they conflict) and what two
    such conflicting parts cost."""

    name: str
    threshold: float
    limit: int
    min_part_similarity: float
    fallback: bool  # also show what a plain whole-name comparison finds
    why: str
    conflict_cost: float = CONFLICT_COST  # two facing parts that disagree (see above)


# Protected registers (refugees, persons granted protection): recall first. A human reviews
# every candidate, so candidates are shown ranked, with the evidence, down to a lower score,
# parts half alike still pair (a weaker pair, not a conflict), and a record that a plain
# whole-name comparison finds is never left out.
SAFEGUARD = OperatingPoint(
    "safeguard",
    threshold=0.5,
    limit=20,
    min_part_similarity=0.5,
    fallback=True,
    why="protected persons: recall first, ranked candidates for a human to review",
    conflict_cost=SAFEGUARD_CONFLICT_COST,
)
# Linking requests about the same person, competing requests: precision first.
IDENTIFICATION = OperatingPoint(
    "identification",
    threshold=DEFAULT_THRESHOLD,
    limit=20,
    min_part_similarity=MIN_PART_SIMILARITY,
    fallback=False,
    why="the same person across requests: precision first",
)
OPERATING_POINTS = {p.name: p for p in (SAFEGUARD, IDENTIFICATION)}
