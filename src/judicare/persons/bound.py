"""An upper bound of the name score (`scoring.score_names`) that costs a fraction of it.

Screening scores every entry with a protected status that shares any blocking key with the
query, common keys included (up to `service.PROTECTED_SHORTLIST`, 200): most of them share
one given name and nothing else, and score below the cutoff. Scoring them in full was about
40 % of the screening page's CPU on 100,000 requests (issue 17). The bound below proves, for
most of them, that the score cannot reach the cutoff, from the similarity of each pair of
parts alone (cached, `compare.part_similarity`): no alignment, no joined parts, no costs
spelt out. Where it cannot prove it, the name is scored in full, so the answer is always
the same as scoring every name.

Why it holds. `score_names` is N / (D + C + E): N sums each aligned pair's similarity times
its weight (the mean of its two parts' weights), D the same weights, C the cost of parts
left facing each other on both sides (`conflict_cost` times their mean weight, the heaviest
facing the heaviest), E that of the parts left over on the longer side (at least
`PATRONYMIC_EXTRA_COST` of their weight, more for most parts and in organisations).
- N and D: with n pairs, each pair has one part of each side (in a join, the window's
  heaviest part stands for it), so 2D is the weights of n parts of each side, and 2N at
  most the sum of each such part's best similarity to any part (1 in a join) times its
  weight. So 2N is at most the n largest such products of each side, and 2D at least the
  n lightest weights of each side; n is at most the number of parts of either side that
  have a partner at least `min_part` alike (or may be in a join): A.
- C + E: the parts with no possible partner (U) are left unpaired, whatever the alignment.
  C + E is at least G(left parts): C, plus the least cost of a part on one side only times
  the lightest weights of as many parts as are left over. G never falls when one more part
  is left unpaired, as long as two facing parts cost at least twice that least cost (a part
  moving from "left over" to "facing" then gains at least what it loses); so C + E is at
  least G(U).
So the score is at most the largest, over n, of (2N's bound) / (2D's bound + 2 G(U)). A part
that may be paired with two or three parts of the other name written as one word (a join,
`scoring._joins`: by the lengths alone, more than can pair) or be one of them counts as
having a partner as alike as can be. The bound is not given (None: score in full) for a
`conflict_cost` below twice the least cost. What else the score does (the initials-only
cap, the kin rule that forbids some pairs, the higher costs of some parts) can only lower
it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from .compare import part_similarity
from .names import ParsedName, Part
from .scoring import (
    _JOINABLE,
    DOUBLED_SIMILARITY,
    EXTRA_COST,
    ORGANISATION_EXTRA_COST,
    PATRONYMIC_EXTRA_COST,
    ROLE_WEIGHT,
    _spelt_alike,
)

# The least share of its weight that a part left on one side only costs
# (`scoring._unpaired_cost`: a patronymic or a father's name; others cost more).
LEAST_ONE_SIDE_COST = min(EXTRA_COST, PATRONYMIC_EXTRA_COST, ORGANISATION_EXTRA_COST)
# Two facing parts must cost at least twice that, for leaving a part unpaired to never
# lower the cost (see the module's docstring).
LEAST_CONFLICT_COST = 2 * LEAST_ONE_SIDE_COST
JOIN_SLACK = 3  # `scoring._joins`: a window within this many letters of the single part
SHORT_PART = 5  # `scoring._joins`: a part shorter than this is never joined to


@lru_cache(maxsize=200_000)
def _shape(
    parts: tuple[Part, ...],
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int, int], ...]]:
    """What the join test needs of one name's parts: those that may be joined to
    (`scoring._joins`: a name or patronymic of five letters or more), as (position, length),
    and its windows of two and three adjacent parts, as (first position, width, length run
    together)."""
    lengths = [len(p.forms[0]) for p in parts]
    singles = tuple((i, n) for i, (p, n) in enumerate(zip(parts, lengths, strict=True))
                    if p.role in _JOINABLE and n >= SHORT_PART)  # fmt: skip
    windows = tuple(
        (j, width, sum(lengths[j : j + width]))
        for width in (2, 3)
        for j in range(len(parts) - width + 1)
    )
    return singles, windows


def _mark_joins(
    single_parts: tuple[Part, ...],
    window_parts: tuple[Part, ...],
    best_single: list[float] | None,
    single_side: list[bool],
    window_side: list[bool],
) -> None:
    """Mark as possibly paired every part that a join could use, as `scoring._joins` finds
    its candidates: a single part, not already paired as well as a doubled letter
    (`best_single`, None when the kin rule may have lowered it: every part is tried), and
    the parts of a window of the other name whose lengths run together are within
    `JOIN_SLACK` letters of it and that are spelt nearly alike (`scoring._spelt_alike`).
    Whether the joined part is then alike enough is left out: more are marked than pair."""
    singles, _ = _shape(single_parts)
    _, windows = _shape(window_parts)
    for i, n in singles:
        if best_single is not None and best_single[i] >= DOUBLED_SIMILARITY:
            continue
        for j, width, total in windows:
            if abs(total - n) <= JOIN_SLACK and _spelt_alike(
                single_parts[i], window_parts[j : j + width]
            ):
                single_side[i] = True
                window_side[j : j + width] = [True] * width


def name_score_bound(
    q: ParsedName, r: ParsedName, min_part: float, conflict_cost: float
) -> float | None:
    """At least `score_names(q, r, min_part=..., conflict_cost=...)[0]`, or None where no
    bound is given (see the module's docstring)."""
    if conflict_cost < LEAST_CONFLICT_COST:
        return None
    best_q, best_r = _best_similarities(q.parts, r.parts, min_part)
    return _bound(q, r, best_q, best_r, conflict_cost)


def _best_similarities(
    q_parts: tuple[Part, ...], r_parts: tuple[Part, ...], min_part: float
) -> tuple[list[float], list[float]]:
    """Each part's best similarity to a part of the other name it may pair with (at least
    `min_part`; 0 when none), as `scoring._align` finds them."""
    best_q = [0.0] * len(q_parts)
    best_r = [0.0] * len(r_parts)
    for i, a in enumerate(q_parts):
        for j, b in enumerate(r_parts):
            sim = part_similarity(a, b)
            if sim >= min_part:
                if sim > best_q[i]:
                    best_q[i] = sim
                if sim > best_r[j]:
                    best_r[j] = sim
    return best_q, best_r


def _bound(
    q: ParsedName,
    r: ParsedName,
    best_q: list[float],
    best_r: list[float],
    conflict_cost: float,
) -> float:
    """The bound from the parts' best similarities and the joins they may make."""
    q_parts, r_parts = q.parts, r.parts
    joined_q = [False] * len(q_parts)
    joined_r = [False] * len(r_parts)
    kin = bool(q.fathers and r.fathers)  # `scoring._align` forbade some pairs
    _mark_joins(q_parts, r_parts, None if kin else best_q, joined_q, joined_r)
    _mark_joins(r_parts, q_parts, None if kin else best_r, joined_r, joined_q)
    q_gains, q_weights, q_left = _side(q_parts, best_q, joined_q)
    r_gains, r_weights, r_left = _side(r_parts, best_r, joined_r)
    pairs = min(len(q_gains), len(r_gains))
    if not pairs:
        return 0.0  # nothing can pair: `score_names` says 0
    k = min(len(q_left), len(r_left))
    facing = conflict_cost * sum((q_left[i] + r_left[i]) / 2 for i in range(k))
    one_side = LEAST_ONE_SIDE_COST * sum(q_left[k:] + r_left[k:])  # the lightest left over
    costs = 2 * (facing + one_side)
    most = 0.0
    for n in range(1, pairs + 1):  # n pairs: one part of each side stands for each
        gained = sum(q_gains[:n]) + sum(r_gains[:n])
        weighed = sum(q_weights[-n:]) + sum(r_weights[-n:])
        most = max(most, gained / (weighed + costs))
    return min(1.0, most)


def _side(
    parts: tuple[Part, ...], best: list[float], joined: list[bool]
) -> tuple[list[float], list[float], list[float]]:
    """One side of a pair of names, for the bound: of the parts that may pair (directly, or
    in a join: similarity at most 1), the most each may bring (its best similarity times its
    weight, largest first) and their weights (heaviest first); and the weights of the parts
    that cannot pair (heaviest first)."""
    gains: list[float] = []
    weights: list[float] = []
    left: list[float] = []
    for part, sim, in_join in zip(parts, best, joined, strict=True):
        weight = ROLE_WEIGHT[part.role]
        if in_join:
            sim = 1.0
        if sim:
            gains.append(sim * weight)
            weights.append(weight)
        else:
            left.append(weight)
    gains.sort(reverse=True)
    weights.sort(reverse=True)
    left.sort(reverse=True)
    return gains, weights, left


def cannot_reach(
    query_parsed: tuple[ParsedName, ...],
    record_name: ParsedName,
    min_part: float,
    conflict_cost: float,
    below: Callable[[float], bool],
) -> bool:
    """Whether `below` holds for a bound of `scoring.best_name_score(query_parsed,
    (record_name,), ...)` (the largest `name_score_bound` over the query's names), and so
    for the score itself: `below` must hold for a value only if it holds for every smaller
    one ("cannot reach the cutoff"). Stops at the first name of the query whose bound
    fails it; False where no bound is given."""
    if not record_name.parts:
        return below(0.0)
    for q in query_parsed:
        if not q.parts:
            continue
        bound = name_score_bound(q, record_name, min_part, conflict_cost)
        if bound is None or not below(bound):
            return False
    return below(0.0)  # every name's bound is below (or the query has no name with parts)
