"""Readings learned from data where the rules run out (issue 16): a foreign name written in
Cyrillic or Arabic read back into the Latin spellings that registers use.

ICU's transforms and the engine's rules read a Cyrillic or Arabic name letter by letter, as
the script's own names are romanised; a foreign name written phonetically in it (Кауи for
Cowie, Нотон for Naughton, جويس for Joyce) is not spelt back that way. A joint-sequence
model learned from Wikidata's pairs of labels (`bench/learn_readings.py`, on the tuning
split only; the table's `provenance` says which files, which split and the command that
made it) cuts a token into chunks of one or two letters, each read as zero to a few Latin
letters, and scores a reading by a bigram model over the chunks, interpolated with their
unigram (Witten-Bell). The `READINGS` most likely readings within `MARGIN` (natural log) of
the best are kept, each an extra form of the name part, named by the system
`LEARNED_SYSTEMS[script]` ("learned reading of the Cyrillic name") in every explanation.

The tables are data files in the package (`persons/data/readings-*.json`), read once. The
readings are a pure function of the token and the table, so the in-memory index and the
database (whose blocking keys are made by the same `blocking_keys`) read them alike.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from operator import itemgetter

LEARNED_SYSTEMS = {
    "CYRILLIC": "learned reading of the Cyrillic name",
    "ARABIC": "learned reading of the Arabic name",
}
_TABLES = {"CYRILLIC": "readings-ru.json", "ARABIC": "readings-ar.json"}
_SCRIPT_OF_SYSTEM = {v: k for k, v in LEARNED_SYSTEMS.items()}
READINGS = 5  # learned readings kept per token, at most
MARGIN = 6.0  # natural log: readings less likely than the best by more are not kept
BEAM = 8  # partial readings kept at each letter
OPTIONS = 6  # readings of one chunk tried, the commonest first
MAX_TOKEN = 24  # longer tokens are not read (a run of letters, not a name)
_LIKELIHOOD = itemgetter(1)  # of a partial reading: ((last chunk, reading), log P)


@dataclass(frozen=True)
class Table:
    """A learned table, ready to decode: each chunk's readings, the bigram log-probabilities
    seen in training and the backoff to the unigram for the others."""

    options: dict[str, tuple[tuple[int, str], ...]]  # source chunk -> (chunk id, Latin)
    bigram: dict[tuple[int, int], float]  # (previous chunk, chunk) -> log P
    backoff: dict[int, float]  # previous chunk -> log of the unigram's share
    unigram: dict[int, float]  # chunk -> log P (0: the end of the word)
    alphabet: frozenset[str]
    # the same, ready for the decoder: previous chunk -> {chunk: log P}, and each source
    # chunk's readings with their unigram log P
    following: dict[int, dict[int, float]]
    steps: dict[str, tuple[tuple[int, str, float], ...]]


@cache
def table(script: str) -> Table:
    """The learned table of a script, read from the package once."""
    name = _TABLES[script]
    text = resources.files("judicare.persons").joinpath("data", name).read_text("utf-8")
    data = json.loads(text)
    chunks = data["chunks"]
    histories = {h: (c, d) for h, c, d in data["histories"]}
    words = histories[0][0]  # every word starts once and ends once
    total = sum(c for _, _, c in chunks) + words
    unigram = {0: math.log(words / total)}
    for k, (_, _, c) in enumerate(chunks, start=1):
        unigram[k] = math.log(c / total)
    by_source: dict[str, list[tuple[int, int, str]]] = {}
    for k, (source, latin, c) in enumerate(chunks, start=1):
        by_source.setdefault(source, []).append((-c, k, latin))
    options = {
        s: tuple((k, latin) for _, k, latin in sorted(v)[:OPTIONS]) for s, v in by_source.items()
    }
    backoff = {h: math.log(d / (c + d)) for h, (c, d) in histories.items()}
    bigram = {}
    for h, g, c in data["bigrams"]:
        seen, distinct = histories[h]
        p = (c + distinct * math.exp(unigram[g])) / (seen + distinct)
        bigram[(h, g)] = math.log(p)
    alphabet = frozenset(ch for s in by_source for ch in s)
    following: dict[int, dict[int, float]] = {}
    for (h, g), lp in bigram.items():
        following.setdefault(h, {})[g] = lp
    steps = {s: tuple((g, latin, unigram[g]) for g, latin in o) for s, o in options.items()}
    return Table(options, bigram, backoff, unigram, alphabet, following, steps)


def source_form(token: str) -> str:
    """A token as the model reads it: NFC, lower case, letters only."""
    text = unicodedata.normalize("NFC", token).lower()
    return "".join(c for c in text if c.isalpha())


@lru_cache(maxsize=300_000)
def learned_readings(token: str, system: str) -> tuple[str, ...]:
    """The most likely Latin readings of one token (lower-case ASCII), best first; none when
    the token has a letter the table never saw."""
    script = _SCRIPT_OF_SYSTEM[system]
    t = table(script)
    x = source_form(token)
    if not x or len(x) > MAX_TOKEN or not t.alphabet.issuperset(x):
        return ()
    steps, following, backoff, bigram, unigram = (
        t.steps,
        t.following,
        t.backoff,
        t.bigram,
        t.unigram,
    )
    none: dict[int, float] = {}
    n = len(x)
    # at each letter: (last chunk, reading so far) -> log P
    hyps: list[dict[tuple[int, str], float]] = [{} for _ in range(n + 1)]
    hyps[0][(0, "")] = 0.0
    for i in range(n):
        here = hyps[i]
        if not here:
            continue
        # most likely first, equally likely ones in the order they were made
        beam = sorted(here.items(), key=_LIKELIHOOD, reverse=True)[:BEAM]
        for a in (1, 2):
            if i + a > n:
                break
            chunk_steps = steps.get(x[i : i + a])
            if not chunk_steps:
                continue
            nxt = hyps[i + a]
            get = nxt.get
            for (last, reading), lp in beam:
                back = backoff.get(last, 0.0)
                seen = following.get(last, none)
                for g, latin, uni in chunk_steps:
                    p = seen.get(g)
                    score = lp + (p if p is not None else back + uni)
                    key = (g, reading + latin)
                    if score > get(key, -math.inf):
                        nxt[key] = score
    final: dict[str, float] = {}
    for (last, reading), lp in hyps[n].items():
        if not reading:
            continue
        p = bigram.get((last, 0))
        score = lp + (p if p is not None else backoff.get(last, 0.0) + unigram[0])
        if score > final.get(reading, -math.inf):
            final[reading] = score
    if not final:
        return ()
    ranked = sorted(final.items(), key=lambda r: (-r[1], r[0]))
    best = ranked[0][1]
    return tuple(r for r, s in ranked[:READINGS] if s >= best - MARGIN)
