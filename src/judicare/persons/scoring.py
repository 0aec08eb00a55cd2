"""Score one query against one record, and say why.

The name score aligns the parts of two names (any order), each pair scored by the best of
its romanised forms: same form, edit similarity (optimal string alignment, so a swapped pair
of letters costs one edit), or the same consonant skeleton. Unpaired parts cost according
to what they are:
- a part present on one side only (a dropped patronymic, a middle name, a grandfather's name
  on an Afghan list) costs little: registers often hold shorter or longer forms of a name;
- two parts that face each other and disagree (Sergey *Ivanovich* Lavrov against Sergey
  *Viktorovich* Lavrov, Habibullah *Safi* against Habibullah *Reshad*) cost a full part:
  that is evidence of two different people.

Birth dates and nationality then move the score a little: a compatible partial date does
not penalise, a swapped day/month or a date off by one is a weaker match, a conflicting
date lowers the score. The person's best pair of names gives the score.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from .compare import (
    DOUBLED_SIMILARITY,
    KEY_SIMILARITY,
    NICKNAME_SIMILARITY,
    PartMatch,
    compare_parts,
    part_similarity,
)
from .domain import Candidate, PartialDate, PersonQuery, PersonRecord
from .names import ParsedName, Part, aliases, make_part, parse_name, skeleton
from .points import (
    CONFLICT_COST,
    DEFAULT_THRESHOLD,
    IDENTIFICATION,
    MIN_PART_SIMILARITY,
    OPERATING_POINTS,
    SAFEGUARD,
    OperatingPoint,
)

__all__ = [
    "CONFLICT_COST",
    "DEFAULT_THRESHOLD",
    "DOUBLED_SIMILARITY",
    "IDENTIFICATION",
    "KEY_SIMILARITY",
    "MIN_PART_SIMILARITY",
    "NICKNAME_SIMILARITY",
    "OPERATING_POINTS",
    "SAFEGUARD",
    "OperatingPoint",
    "PartMatch",
    "best_name_pair",
    "best_name_score",
    "compare_parts",
    "evidence_effect",
    "parse_names",
    "part_similarity",
    "quick_score",
    "score_names",
    "score_pair",
]

EXTRA_COST = 0.2  # a part present on one side only
PATRONYMIC_EXTRA_COST = 0.1  # a patronymic present on one side only
JOINED_SIMILARITY = 0.85  # one part against adjacent parts of the other name run together
JOINED_PREFILTER_LATIN = 0.8  # below this, two Latin spellings cannot reach it
JOINED_PREFILTER = 0.6  # a romanisation may reach it by its skeleton alone
# two different legal forms (Deutsche Bank AG, Deutsche Bank GmbH) are two companies
LEGAL_FORM_CONFLICT_COST = 1.0
INITIALS_ONLY_CAP = 0.6  # nothing but initials agree (N.N. and Nursultan Nazarbayev)
ORGANISATION_EXTRA_COST = 0.75  # a word present in one organisation's name only
ROLE_WEIGHT = {
    "name": 1.0,
    "patronymic": 1.0,
    "initial": 0.4,
    "title": 0.3,
    "particle": 0.2,
    "legal_form": 0.2,
}
DATE_EFFECT = {
    "exact": 0.05,
    "compatible": 0.0,
    "near": -0.05,
    "swapped": -0.05,
    "conflict": -0.2,
}
NATIONALITY_EFFECT = {"same": 0.02, "different": -0.03}


@lru_cache(maxsize=200_000)
def _joined(parts: tuple[Part, ...]) -> Part:
    n = min(len(p.forms) for p in parts)
    forms = tuple("".join(p.forms[i] for p in parts) for i in range(n))
    return make_part(" ".join(p.original for p in parts), forms, parts[0].systems[:n], "name")


# a candidate pairing: its similarity, the query's parts and the record's parts
Pairing = tuple[float, tuple[int, ...], tuple[int, ...]]


def _weight(part: Part) -> float:
    return ROLE_WEIGHT[part.role]


def _align(
    q: ParsedName, r: ParsedName, min_part: float = MIN_PART_SIMILARITY
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """Pair the parts, best pairs first. A part may also be two or three adjacent parts of
    the other name written as one word (FridrichBuchenberg, Vanderbilt). When both names
    say whose son the person is (bin, bint), the person's own name never pairs with the
    other's father's name: Salman bin Muhammad is not Muhammad bin Salman."""
    fathers_q, fathers_r = q.fathers, r.fathers
    kin = bool(fathers_q and fathers_r)
    scored: list[Pairing] = []
    best_q = [0.0] * len(q.parts)
    best_r = [0.0] * len(r.parts)
    for i, a in enumerate(q.parts):
        for j, b in enumerate(r.parts):
            if kin and ((i == q.own and j in fathers_r) or (j == r.own and i in fathers_q)):
                continue
            sim = part_similarity(a, b)
            if sim >= min_part:
                scored.append((sim, (i,), (j,)))
                best_q[i] = max(best_q[i], sim)
                best_r[j] = max(best_r[j], sim)
    scored += _joins(q.parts, r.parts, best_q, False)
    scored += _joins(r.parts, q.parts, best_r, True)
    scored.sort(key=lambda c: (-c[0], -len(c[1]) - len(c[2])))
    used_q: set[int] = set()
    used_r: set[int] = set()
    out: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    for sim, iq, ir in scored:
        if used_q.isdisjoint(iq) and used_r.isdisjoint(ir):
            used_q.update(iq)
            used_r.update(ir)
            out.append((iq, ir, sim))
    return out


_JOINABLE = frozenset({"name", "patronymic"})  # Plat Ono Vich: Platonovich


def _joins(
    side_a: tuple[Part, ...], side_b: tuple[Part, ...], best: list[float], flip: bool
) -> list[Pairing]:
    """Candidate pairs of one long part of `side_a` with two or three adjacent parts of
    `side_b` that, run together, have about its length. A part that already has a partner
    as good as a doubled letter (`best`) is not tried."""
    out: list[Pairing] = []
    if len(side_b) < 2:
        return out
    lengths = [len(p.forms[0]) for p in side_b]
    for i, single in enumerate(side_a):
        n = len(single.forms[0])
        if single.role not in _JOINABLE or n < 5 or best[i] >= DOUBLED_SIMILARITY:
            continue
        for width in (2, 3):
            for j in range(len(side_b) - width + 1):
                if abs(sum(lengths[j : j + width]) - n) > 3:
                    continue
                if not _spelt_alike(single, side_b[j : j + width]):
                    continue
                sim = part_similarity(single, _joined(side_b[j : j + width]))
                if sim >= JOINED_SIMILARITY:
                    window = tuple(range(j, j + width))
                    out.append((sim, window, (i,)) if flip else (sim, (i,), window))
    return out


def _spelt_alike(single: Part, window: tuple[Part, ...]) -> bool:
    """A cheap test before a joined part is built: some reading of `single` is spelt
    nearly like the same reading of the window's parts run together (nearly enough that
    the same consonant skeleton could lift it to `JOINED_SIMILARITY`)."""
    runs, latin_window = _runs(window)
    cutoff = JOINED_PREFILTER_LATIN if single.latin and latin_window else JOINED_PREFILTER
    sim = OSA.normalized_similarity
    least = cutoff - 1e-9  # below it, rapidfuzz answers 0 without finishing the distance
    return any(sim(f, run, score_cutoff=least) >= least for f in single.forms for run in runs)


@lru_cache(maxsize=200_000)
def _runs(window: tuple[Part, ...]) -> tuple[tuple[str, ...], bool]:
    """A window's readings, its parts' same readings run together, and whether all its
    parts are written in Latin: a name's windows meet every part of the other names
    compared with it (a protected person's, those of every query that shares a key)."""
    n = min(len(p.forms) for p in window)
    return tuple("".join(p.forms[k] for p in window) for k in range(n)), all(
        p.latin for p in window
    )


def name_similarity(q: ParsedName, r: ParsedName) -> float:
    """The name score of two parsed names in [0, 1], without the explanation."""
    return score_names(q, r, explain=False)[0]


def score_names(
    q: ParsedName,
    r: ParsedName,
    *,
    explain: bool = True,
    min_part: float = MIN_PART_SIMILARITY,
    conflict_cost: float = CONFLICT_COST,
) -> tuple[float, dict[str, Any]]:
    """The name score of two parsed names in [0, 1], and the alignment that gave it. Parts
    less alike than `min_part` are not paired, and two parts left facing each other cost
    `conflict_cost` (the operating point's choices)."""
    pairs = _align(q, r, min_part)
    if not pairs:
        return 0.0, {"pairs": [], "why": "no name part matches"}
    used_q = {i for iq, _, _ in pairs for i in iq}
    used_r = {j for _, ir, _ in pairs for j in ir}
    num = den = 0.0
    for iq, ir, sim in pairs:
        w = (max(_weight(q.parts[i]) for i in iq) + max(_weight(r.parts[j]) for j in ir)) / 2
        num += sim * w
        den += w
    left_q = [p for i, p in enumerate(q.parts) if i not in used_q]
    left_r = [p for i, p in enumerate(r.parts) if i not in used_r]
    organisation = q.organisation or r.organisation
    lineage = {id(q.parts[i]) for i in q.fathers if i not in used_q}
    lineage |= {id(r.parts[j]) for j in r.fathers if j not in used_r}
    # "President Erdoğan": a title in place of the given names, which are not missing
    if _title_and_one_name(q):
        lineage |= {id(p) for p in left_r}
    if _title_and_one_name(r):
        lineage |= {id(p) for p in left_q}
    qualifiers = {id(q.parts[i]) for i in q.qualifiers if i not in used_q}
    qualifiers |= {id(r.parts[j]) for j in r.qualifiers if j not in used_r}
    conflicts, extras = _unpaired_cost(
        left_q, left_r, organisation, lineage, qualifiers, conflict_cost
    )
    score = num / (den + conflicts + extras)
    initials_only = all(
        any(q.parts[i].role == "initial" for i in iq)
        or any(r.parts[j].role == "initial" for j in ir)
        for iq, ir, _ in pairs
    )
    if initials_only:
        score = min(score, INITIALS_ONLY_CAP)
    if not explain:
        return score, {}
    order = [ir[0] for _, ir, _ in sorted(pairs, key=lambda p: p[0][0])]
    explanation = {
        "pairs": [_explain_pair(q, r, iq, ir, m) for iq, ir, m in pairs],
        "unmatched_query": [p.original for p in left_q],
        "unmatched_record": [p.original for p in left_r],
        "conflicting_parts_cost": round(conflicts, 3),
        "missing_parts_cost": round(extras, 3),
        "order": "same" if order == sorted(order) else "different",
        "patronymic_dropped": [p.original for p in left_q + left_r if p.role == "patronymic"],
        "initials_only": initials_only,
    }
    return score, explanation


def _title_and_one_name(name: ParsedName) -> bool:
    return bool(name.dropped_titles) and len(name.parts) == 1


def _has_legal_form(parts: list[Part]) -> bool:
    return any(p.role == "legal_form" for p in parts)


def _unpaired_cost(
    left_q: list[Part],
    left_r: list[Part],
    organisation: bool = False,
    lineage: set[int] | None = None,
    qualifiers: set[int] | None = None,
    conflict_cost: float = CONFLICT_COST,
) -> tuple[float, float]:
    """Parts left on both sides face each other and disagree; parts left on one side only
    are missing there. Particles and titles cost only their small weight, and a father's
    name after bin or ibn, or a given name where the other says President or General
    (`lineage`, ids of parts), costs what a patronymic costs. A
    register may leave out a person's middle names, but a word more in an organisation's
    name (Deutsche Bank *Trust Company*, Banco Santander *México*) usually names another
    entity, and so does another legal form; a word in brackets (`qualifiers`: Deutsche
    Bank (Schweiz) AG) costs what a person's middle name costs."""
    extra_cost = ORGANISATION_EXTRA_COST if organisation else EXTRA_COST
    wq = sorted((_weight(p) for p in left_q), reverse=True)
    wr = sorted((_weight(p) for p in left_r), reverse=True)
    n = min(len(wq), len(wr))
    conflicts = conflict_cost * sum((wq[k] + wr[k]) / 2 for k in range(n))
    if _has_legal_form(left_q) and _has_legal_form(left_r):
        conflicts += LEGAL_FORM_CONFLICT_COST
    rest = left_q[n:] if len(wq) > n else left_r[n:]
    rest_sorted = sorted(rest, key=_weight, reverse=True)
    lineage, qualifiers = lineage or set(), qualifiers or set()

    def cost(p: Part) -> float:
        if p.role == "patronymic" or id(p) in lineage:
            return PATRONYMIC_EXTRA_COST
        return EXTRA_COST if id(p) in qualifiers else extra_cost

    extras = sum(_weight(p) * cost(p) for p in rest_sorted)
    return conflicts, extras


def _explain_pair(
    q: ParsedName, r: ParsedName, iq: tuple[int, ...], ir: tuple[int, ...], sim: float
) -> dict[str, Any]:
    qp = q.parts[iq[0]] if len(iq) == 1 else _joined(tuple(q.parts[i] for i in iq))
    rp = r.parts[ir[0]] if len(ir) == 1 else _joined(tuple(r.parts[j] for j in ir))
    m = compare_parts(qp, rp)
    return {
        "query": " ".join(q.parts[i].original for i in iq),
        "record": " ".join(r.parts[j].original for j in ir),
        "similarity": round(sim, 3),
        "how": m.how + (" (written as one word)" if len(iq) + len(ir) > 2 else ""),
        "query_reading": {"form": m.query_form, "system": m.query_system},
        "record_reading": {"form": m.record_form, "system": m.record_system},
        "phonetic_keys": [_key(m.query_form), _key(m.record_form)],
    }


def _key(form: str) -> str:
    return skeleton(form)


def date_evidence(q: PartialDate | None, r: PartialDate | None) -> dict[str, Any] | None:
    if q is None or r is None:
        return None
    relation = q.compare(r)
    return {
        "query": str(q),
        "record": str(r),
        "relation": relation,
        "effect": DATE_EFFECT[relation],
    }


def nationality_evidence(q: str | None, r: str | None) -> dict[str, Any] | None:
    if not q or not r:
        return None
    relation = "same" if q.upper() == r.upper() else "different"
    return {"query": q, "record": r, "relation": relation, "effect": NATIONALITY_EFFECT[relation]}


def best_name_score(
    query_parsed: tuple[ParsedName, ...],
    record_parsed: tuple[ParsedName, ...],
    min_part: float = MIN_PART_SIMILARITY,
    conflict_cost: float = CONFLICT_COST,
) -> float:
    """The name score of the best pair of names, without the explanation (the query path)."""
    best = 0.0
    for pq in query_parsed:
        if not pq.parts:
            continue
        for pr in record_parsed:
            if pr.parts:
                s = score_names(
                    pq, pr, explain=False, min_part=min_part, conflict_cost=conflict_cost
                )[0]
                if s > best:
                    best = s
    return best


def evidence_effect(query: PersonQuery, record: PersonRecord) -> float:
    """What the birth date and nationality add to a non-zero name score."""
    effect = 0.0
    if query.birth_date is not None and record.birth_date is not None:
        effect += DATE_EFFECT[query.birth_date.compare(record.birth_date)]
    if query.nationality and record.nationality:
        same = query.nationality.upper() == record.nationality.upper()
        effect += NATIONALITY_EFFECT["same" if same else "different"]
    return effect


def quick_score(
    query: PersonQuery,
    query_parsed: tuple[ParsedName, ...],
    record: PersonRecord,
    record_parsed: tuple[ParsedName, ...],
    min_part: float = MIN_PART_SIMILARITY,
    conflict_cost: float = CONFLICT_COST,
) -> float:
    """`score_pair(query, record, point).score` from names already parsed, without
    explanation (`min_part` and `conflict_cost`: the operating point's)."""
    name_score = best_name_score(query_parsed, record_parsed, min_part, conflict_cost)
    score = name_score + evidence_effect(query, record) if name_score > 0 else name_score
    return round(min(1.0, max(0.0, score)), 4)


def parse_names(names: tuple[str, ...]) -> tuple[ParsedName, ...]:
    return tuple(parse_name(a) for n in names if n and n.strip() for a in aliases(n))


def best_name_pair(
    query_names: Iterable[str],
    record_names: Iterable[str],
    min_part: float = MIN_PART_SIMILARITY,
    conflict_cost: float = CONFLICT_COST,
) -> tuple[float, dict[str, Any]]:
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    query_names = [a for n in query_names if n and n.strip() for a in aliases(n)]
    record_names = [a for n in record_names if n and n.strip() for a in aliases(n)]
    for qn in query_names:
        pq = parse_name(qn)
        for rn in record_names:
            pr = parse_name(rn)
            if not pq.parts or not pr.parts:
                continue
            s, why = score_names(pq, pr, min_part=min_part, conflict_cost=conflict_cost)
            if s > best[0]:
                best = (s, {"query_name": qn, "record_name": rn, **_scripts(pq, pr), **why})
    return (max(best[0], 0.0), best[1])


def _scripts(pq: ParsedName, pr: ParsedName) -> dict[str, Any]:
    return {
        "query_script": pq.script,
        "record_script": pr.script,
        "titles_dropped": list(pq.dropped_titles + pr.dropped_titles),
        "surname_first_reordered": pq.reordered or pr.reordered,
    }


def score_pair(
    query: PersonQuery, record: PersonRecord, point: OperatingPoint | None = None
) -> Candidate:
    """Score one record for one query: the best pair of names, then the birth date and
    nationality evidence. Pure; the explanation says why. At an operating point, parts are
    paired down to its `min_part_similarity`, and two parts that disagree cost its
    `conflict_cost` (default: the identification point's)."""
    min_part = point.min_part_similarity if point else MIN_PART_SIMILARITY
    conflict_cost = point.conflict_cost if point else CONFLICT_COST
    name_score, name_why = best_name_pair(query.names, record.names, min_part, conflict_cost)
    score = name_score
    explanation: dict[str, Any] = {"name_score": round(name_score, 4), "name": name_why}
    for label, evidence in (
        ("birth_date", date_evidence(query.birth_date, record.birth_date)),
        ("nationality", nationality_evidence(query.nationality, record.nationality)),
    ):
        explanation[label] = evidence
        if evidence and name_score > 0:
            score += evidence["effect"]
    score = round(min(1.0, max(0.0, score)), 4)
    explanation["score"] = score
    if point is not None:
        explanation["operating_point"] = point.name
    return Candidate(record.register, record.id, score, explanation)
