"""The safeguard's fallback: never silent where a plain whole-name comparison finds a person.

The engine's rules read a name part by part. Where they run out (a foreign name written
phonetically in Cyrillic or Arabic, two parts that the rules pair with neither each other
nor anything else), a plain comparison of the whole names may still see that they are
alike. At the safeguard point a record is therefore also shown when the rapidfuzz
`token_sort_ratio` of the two names is at least `FALLBACK_RATIO` (the query folded to ASCII
by ICU, `Any-Latin; Latin-ASCII`; the record likewise if written in ASCII, else in the
engine's first reading of each part, made when it was filed); its score is then
`FALLBACK_WEIGHT` times the ratio (so it ranks below what the rules find surely), and its
explanation says so.

Pure: ICU and rapidfuzz only.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

import icu  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process

from .domain import Candidate, PersonQuery, PersonRecord
from .names import ParsedName, aliases, parse_name

FALLBACK_RATIO = 70  # rapidfuzz token_sort_ratio (0-100) at or above which a record is shown
FALLBACK_WEIGHT = 0.75  # a fallback candidate's score: this times the ratio / 100
METHOD = "rapidfuzz token_sort_ratio of the whole names, folded to ASCII"
NGRAM = 3  # the character n-grams of the fallback's retrieval (trigrams)
FOUND_BY_NGRAMS = "found by character n-grams"


def char_ngrams(form: str, n: int = NGRAM) -> set[str]:
    """The character n-grams of a folded form, each word padded with a space at both ends
    (so that a word's first and last letters make grams of their own): "ughi" gives " ug",
    "ugh", "ghi", "hi ". The safeguard's retrieval finds records by these when they share no
    blocking key with the query."""
    grams: set[str] = set()
    for word in form.split():
        padded = f" {word} "
        grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@cache
def _folder() -> icu.Transliterator:
    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")


@lru_cache(maxsize=200_000)
def whole_name_form(name: str) -> str:
    """A whole name folded to lower-case ASCII, any script: one generic reading (ICU's
    transform leaves ASCII as it is but for the case, so that is done without it)."""
    folded = name.lower() if name.isascii() else str(_folder().transliterate(name))
    return " ".join(folded.replace(",", " ").split())


def sorted_tokens(form: str) -> str:
    """A folded form with its words in order, as `token_sort_ratio` compares them: the
    index sorts each record's once, when it is filed, and compares with a plain `ratio`."""
    return " ".join(sorted(form.split()))


def record_reading(parsed: ParsedName) -> str:
    """A record's name as the fallback reads it: folded like a query's when written in ASCII,
    else the engine's first reading of each part (read when the record was filed, so that
    no transform runs at query time)."""
    if parsed.original.isascii():
        return whole_name_form(parsed.original)
    return " ".join(p.forms[0] for p in parsed.parts)


def query_readings(name: str) -> tuple[str, ...]:
    """A query's name as the fallback reads it: folded to ASCII by ICU, and, when it is not
    written in ASCII, also as a record written like it is read (`record_reading`)."""
    generic = whole_name_form(name)
    if name.isascii():
        return (generic,)
    return tuple(dict.fromkeys((generic, record_reading(parse_name(name)))))


def record_forms(names: tuple[str, ...]) -> tuple[str, ...]:
    """Every reading of a record's names (aliases included) as the fallback compares them,
    token-sorted, each once: what the in-memory index files for a record and the database
    stores as character trigrams (`grams_of`)."""
    return tuple(
        dict.fromkeys(
            sorted_tokens(record_reading(parse_name(a)))
            for n in names
            if n and n.strip()
            for a in aliases(n)
        )
    )


def query_forms(names: tuple[str, ...]) -> set[str]:
    """Every reading of a query's names as the fallback compares them, token-sorted."""
    return {
        sorted_tokens(reading)
        for name in names
        for alias in (aliases(name) if name.strip() else ())
        for reading in query_readings(alias)
    }


def grams_of(forms: Iterable[str]) -> set[str]:
    """The character trigrams of every form (as `char_ngrams`): each word's made once
    (`word_grams`), since the same words recur in many names."""
    grams: set[str] = set()
    for form in forms:
        for word in form.split():
            grams.update(word_grams(word))
    return grams


@lru_cache(maxsize=400_000)
def word_grams(word: str) -> tuple[str, ...]:
    """The character trigrams of one word, padded with a space at both ends."""
    padded = f" {word} "
    return tuple({padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1)})


def record_grams(names: tuple[str, ...]) -> list[str]:
    """The character trigrams of a record's names as stored in the database, sorted."""
    return sorted(grams_of(record_forms(names)))


def gram_walk(grams: Iterable[tuple[str, int]], budget: int) -> list[str]:
    """The grams (with their number of postings) that the n-gram retrieval reads: rarest
    first, each whole, stopping before the gram that would take it past `budget` postings
    (the rare grams, which say most, come first). Ties between equally rare grams are read
    in the grams' order, so that every store reads the same ones."""
    chosen: list[str] = []
    read = 0
    for gram, df in sorted(grams, key=lambda g: (g[1], g[0])):
        if read + df > budget:
            break
        chosen.append(gram)
        read += df
    return chosen


def gram_scores(postings: dict[str, list[int]], size: int) -> dict[int, float]:
    """Each record's evidence from the grams read: the sum of their inverse document
    frequencies (`postings`: gram -> the records that hold it; `size`: the records in all)."""
    n = max(size, 1)
    scores: dict[int, float] = {}
    for bucket in postings.values():
        weight = math.log(1 + n / len(bucket))
        get = scores.get
        for slot in bucket:
            scores[slot] = get(slot, 0.0) + weight
    return scores


def top_by_grams(scores: dict[int, float], top: int) -> list[int]:
    """The `top` records with the most n-gram evidence, ties by the lower slot or id."""
    return top_by_score(scores, top)


def top_by_score(scores: dict[int, float], k: int) -> list[int]:
    """The `k` records with the highest score, ties by the lower slot or id: `nlargest` with
    the key looked up in C, the ties at the cut (records scored as the last one taken, some
    of them left out) settled by the slot, and the `k` taken put in order."""
    top = heapq.nlargest(k, scores, key=scores.__getitem__)
    if top and len(top) < len(scores):
        cut = scores[top[-1]]
        if list(scores.values()).count(cut) > sum(scores[s] == cut for s in top):
            top = [s for s in top if scores[s] > cut]
            top += heapq.nsmallest(k - len(top), (s for s, e in scores.items() if e == cut))
    top.sort(key=lambda s: (-scores[s], s))
    return top


def fallback_ratios(
    forms: Iterable[str], records: Iterable[tuple[int, Iterable[str]]]
) -> dict[int, float]:
    """The safeguard's wider net: of `records` (each a slot or id with its `record_forms`),
    those that a plain whole-name comparison with a reading of the query (`query_forms`)
    finds alike (`ratio` of the token-sorted forms at least `FALLBACK_RATIO`, which is
    `token_sort_ratio`), with their best ratio: one `ratio` call per reading over the lot,
    in C."""
    choices: list[str] = []
    owners: list[int] = []
    for owner, folded in records:
        for form in folded:
            choices.append(form)
            owners.append(owner)
    found: dict[int, float] = {}
    if not choices:
        return found
    for reading in forms:
        for _, ratio, k in process.extract(
            reading, choices, scorer=fuzz.ratio, score_cutoff=FALLBACK_RATIO, limit=None
        ):
            owner = owners[k]
            if ratio > found.get(owner, 0.0):
                found[owner] = ratio
    return found


def best_whole_name_ratio(
    query_names: tuple[str, ...], record_names: tuple[str, ...]
) -> tuple[float, str, str]:
    """The best ratio over every pair of names, and the two folded forms that gave it."""
    best = (0.0, "", "")
    for qn in query_names:
        for qa in aliases(qn) if qn.strip() else ():
            for fq in query_readings(qa):
                for rn in record_names:
                    for ra in aliases(rn) if rn.strip() else ():
                        fr = record_reading(parse_name(ra))
                        ratio = fuzz.token_sort_ratio(fq, fr)
                        if ratio > best[0]:
                            best = (ratio, fq, fr)
    return best


def fallback_finds(query: PersonQuery, record: PersonRecord) -> bool:
    """Whether the fallback would show `record` (the cheap test before an explanation)."""
    return best_whole_name_ratio(query.names, record.names)[0] >= FALLBACK_RATIO


def with_fallback(
    query: PersonQuery,
    record: PersonRecord,
    candidate: Candidate,
    threshold: float,
    *,
    found_by: str | None = None,
) -> Candidate:
    """`candidate` (below `threshold` by the rules) lifted by the fallback, if it finds the
    names alike; otherwise unchanged. `found_by` says how the record was retrieved when not
    by its blocking keys (`FOUND_BY_NGRAMS`)."""
    ratio, fq, fr = best_whole_name_ratio(query.names, record.names)
    if ratio < FALLBACK_RATIO:
        return candidate
    score = round(max(candidate.score, FALLBACK_WEIGHT * ratio / 100), 4)
    if score < threshold:
        return candidate
    evidence: dict[str, Any] = {
        "method": METHOD,
        "query_form": fq,
        "record_form": fr,
        "ratio": round(ratio, 1),
        "rules_score": candidate.score,
        "why": "the name rules paired too little of the names; compared whole, they are alike",
    }
    if found_by:
        evidence["retrieval"] = found_by
    explanation = {**candidate.explanation, "fallback": evidence, "score": score}
    return replace(candidate, score=score, explanation=explanation)
