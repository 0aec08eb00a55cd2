"""Learn the engine's back-transliteration tables (issue 16) from the tuning split only.

A foreign name written in Cyrillic or Arabic (Кауи, جويس) is read back into the Latin
spellings that registers use (Cowie, Joyce) by a joint-sequence ("graphone") model: each
(script token, Latin token) pair of the Wikidata slices in `../shared/data/names/
wikidata_translit_coling2018/` is cut into aligned chunks (one or two letters of the script
against zero to `MAX_LATIN` Latin letters), the chunks' probabilities are learned by
expectation maximisation over every possible cut (forward-backward), each pair is then cut
its most likely way, and a bigram model over the chunks, interpolated with their unigram
(Witten-Bell), is counted. `judicare.persons.learned` reads the counts and generates the most
likely Latin readings of a token by beam search.

Which pairs: the token clusters that `bench/names_split.py` puts on the *tuning* side (its
hash rule, `held_out`), less the clusters that the tuning queries themselves are made of
(the tokens of `bench/data/names/tuning.jsonl`'s Wikidata queries), so that the tuning
figures of the bench stay out of sample; no held-out cluster is read. The Latin side is
folded as the engine folds (`judicare.persons.romanise.fold`), each pair counted once.

Run `.venv/bin/python -m bench.learn_readings` to (re)write
`src/judicare/persons/data/readings-{ru,ar}.json`; the output is deterministic (same data,
same files: no randomness, ties broken by the chunks' text). `--check` only verifies that
the committed tables are what the data give.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.names_split import WD, held_out
from judicare.persons.romanise import fold

OUT = Path(__file__).resolve().parents[1] / "src" / "judicare" / "persons" / "data"
TUNING = Path(__file__).resolve().parent / "data" / "names" / "tuning.jsonl"
MAX_SOURCE = 2  # letters of the script in one chunk
ITERATIONS = 5  # of expectation maximisation
EM_PAIRS = 12_000  # pairs the chunks' probabilities are learned on (every k-th, in order)
MIN_PROBABILITY = 1e-7  # chunks less likely are dropped between iterations
MIN_CHUNK_COUNT = 2  # chunks seen fewer times in the best cuts are left out of the table
MIN_BIGRAM_COUNT = 2
# per language: the Wikidata slice, the split's key prefix, the most Latin letters one
# chunk may give (Arabic writes no short vowels: ب is often "ba", "bu", "be")
LANGUAGES = {
    "ru": ("wd_russian_80", "wd-ru", "CYRILLIC", 3),
    "ar": ("wd_arabic_80", "wd-ar", "ARABIC", 4),
}
_LATIN = re.compile(r"[^a-z]")


def source_form(token: str) -> str:
    """A token of the script as the model reads it (also `judicare.persons.learned`)."""
    text = unicodedata.normalize("NFC", token).lower()
    return "".join(c for c in text if c.isalpha())


def latin_form(token: str) -> str:
    return _LATIN.sub("", fold(token))


def tuning_query_clusters(prefix: str) -> set[str]:
    """The clusters that the tuning queries are made of: kept out of training."""
    out: set[str] = set()
    with TUNING.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["dataset"].startswith("wikidata"):
                out.update(
                    k.split(":", 1)[1] for k in row["key"].split("|") if k.startswith(prefix)
                )
    return out


def training_pairs(language: str) -> tuple[list[tuple[str, str]], dict[str, int]]:
    file, prefix, _, _ = LANGUAGES[language]
    excluded = tuning_query_clusters(prefix + ":")
    pairs: set[tuple[str, str]] = set()
    stats = {"rows": 0, "held_out": 0, "tuning_queries": 0, "same_letters_as_held_out": 0,
             "unreadable": 0}  # fmt: skip
    with (WD / file).open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    # A tuning cluster spelt with the letters of a held-out one (о'нил, онил) is left out too:
    # the model reads letters only, and would have learned the held-out token. The same for
    # the tuning queries' clusters.
    clusters = {t.replace(" ", "") for _, t, _ in rows}
    held_letters = {source_form(c) for c in clusters if held_out(f"{prefix}:{c}")}
    excluded_letters = {source_form(c) for c in excluded}
    for latin, target, _count in rows:
        stats["rows"] += 1
        cluster = target.replace(" ", "")
        if held_out(f"{prefix}:{cluster}"):
            stats["held_out"] += 1
            continue
        x, y = source_form(cluster), latin_form(latin)
        if cluster in excluded or x in excluded_letters:  # kept out of sample, likewise
            stats["tuning_queries"] += 1
            continue
        if x in held_letters:
            stats["same_letters_as_held_out"] += 1
            continue
        if not x or not y:
            stats["unreadable"] += 1
            continue
        pairs.add((x, y))
    return sorted(pairs), stats


def _arcs(x: str, y: str, max_latin: int) -> list[tuple[int, int, int, int]]:
    """Every chunk of a cut of (x, y): (i, j, source length, Latin length)."""
    out = []
    n, m = len(x), len(y)
    for i in range(n):
        for j in range(m + 1):
            for a in range(1, MAX_SOURCE + 1):
                if i + a > n:
                    break
                for b in range(0 if a == 1 else 1, max_latin + 1):
                    if j + b > m:
                        break
                    out.append((i, j, a, b))
    return out


def expectation_maximisation(
    pairs: list[tuple[str, str]], max_latin: int, log: Any
) -> dict[tuple[str, str], float]:
    prob: dict[tuple[str, str], float] = {}
    for iteration in range(ITERATIONS):
        counts: dict[tuple[str, str], float] = defaultdict(float)
        total_ll = 0.0
        for x, y in pairs:
            n, m = len(x), len(y)
            arcs = _arcs(x, y, max_latin)
            chunks = [(x[i : i + a], y[j : j + b]) for i, j, a, b in arcs]
            if iteration == 0:  # every cut alike
                weights = [1.0] * len(arcs)
            else:  # only the chunks still likely
                weights = [prob.get(c, 0.0) for c in chunks]
                kept = [k for k, w in enumerate(weights) if w > 0.0]
                arcs = [arcs[k] for k in kept]
                chunks = [chunks[k] for k in kept]
                weights = [weights[k] for k in kept]
            alpha = [[0.0] * (m + 1) for _ in range(n + 1)]
            alpha[0][0] = 1.0
            for (i, j, a, b), w in zip(arcs, weights, strict=True):  # arcs are in (i, j) order
                if alpha[i][j]:
                    alpha[i + a][j + b] += alpha[i][j] * w
            z = alpha[n][m]
            if z <= 0.0:
                continue
            beta = [[0.0] * (m + 1) for _ in range(n + 1)]
            beta[n][m] = 1.0
            for k in range(len(arcs) - 1, -1, -1):
                i, j, a, b = arcs[k]
                beta[i][j] += weights[k] * beta[i + a][j + b]
            for (i, j, a, b), c, w in zip(arcs, chunks, weights, strict=True):
                posterior = alpha[i][j] * w * beta[i + a][j + b] / z
                if posterior > 1e-6:
                    counts[c] += posterior
            total_ll += _log(z)
        total = sum(counts.values())
        prob = {c: v / total for c, v in counts.items() if v / total > MIN_PROBABILITY}
        log(f"  iteration {iteration + 1}: log-likelihood {total_ll:.1f}, {len(prob):,} chunks")
    return prob


def _log(v: float) -> float:
    import math

    return math.log(v)


def best_cut(
    x: str, y: str, prob: dict[tuple[str, str], float], max_latin: int
) -> list[tuple[str, str]] | None:
    n, m = len(x), len(y)
    best: list[list[tuple[float, tuple[int, int, int, int] | None]]] = [
        [(0.0, None)] * (m + 1) for _ in range(n + 1)
    ]
    best[0][0] = (1.0, None)
    for i, j, a, b in _arcs(x, y, max_latin):
        if best[i][j][0] <= 0.0:
            continue
        p = prob.get((x[i : i + a], y[j : j + b]), 0.0)
        v = best[i][j][0] * p
        if v > best[i + a][j + b][0]:
            best[i + a][j + b] = (v, (i, j, a, b))
    if best[n][m][0] <= 0.0:
        return None
    cut = []
    i, j = n, m
    while (i, j) != (0, 0):
        back = best[i][j][1]
        assert back is not None
        pi, pj, a, b = back
        cut.append((x[pi : pi + a], y[pj : pj + b]))
        i, j = pi, pj
    return cut[::-1]


def learn(language: str, log: Any) -> dict[str, Any]:
    file, _, script, max_latin = LANGUAGES[language]
    pairs, stats = training_pairs(language)
    log(f"{language}: {len(pairs):,} training pairs ({stats})")
    step = max(1, len(pairs) // EM_PAIRS)
    prob = expectation_maximisation(pairs[::step], max_latin, log)
    unigram: dict[tuple[str, str], int] = defaultdict(int)
    bigram: dict[tuple[tuple[str, str], tuple[str, str]], int] = defaultdict(int)
    start = end = ("", "")
    cut_pairs = 0
    for x, y in pairs:
        cut = best_cut(x, y, prob, max_latin)
        if cut is None:
            continue
        cut_pairs += 1
        for c in cut:
            unigram[c] += 1
        for h, g in zip([start, *cut], [*cut, end], strict=True):
            bigram[(h, g)] += 1
    kept = sorted(c for c, v in unigram.items() if v >= MIN_CHUNK_COUNT)
    ids = {c: k + 1 for k, c in enumerate(kept)}  # 0 is the word's start and end
    ids[start] = 0
    history: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # count, distinct followers
    table = []
    for (h, g), v in sorted(bigram.items()):
        if h not in ids or g not in ids:
            continue
        hist = history[ids[h]]
        hist[0] += v
        hist[1] += 1
        if v >= MIN_BIGRAM_COUNT:
            table.append([ids[h], ids[g], v])
    return {
        "format": "judicare graphone bigram, Witten-Bell interpolated with the unigram, v1",
        "script": script,
        "language": language,
        "provenance": {
            "source": f"../shared/data/names/wikidata_translit_coling2018/{file} (CC0, "
            "Merhav & Ash, COLING 2018)",
            "split": "tuning side of bench/names_split.py (its sha256 rule; the 40 % held out are "
            "skipped unread), less the clusters of the tuning queries in "
            "bench/data/names/tuning.jsonl",
            "command": ".venv/bin/python -m bench.learn_readings",
            "pairs": len(pairs),
            "pairs_cut": cut_pairs,
            "rows": stats,
            "iterations": ITERATIONS,
            "em_pairs": len(pairs[::step]),
            "max_source": MAX_SOURCE,
            "max_latin": max_latin,
            "min_chunk_count": MIN_CHUNK_COUNT,
            "min_bigram_count": MIN_BIGRAM_COUNT,
        },
        "chunks": [[s, t, unigram[(s, t)]] for s, t in kept],
        "histories": sorted([h, c, d] for h, (c, d) in history.items()),
        "bigrams": table,
    }


def dump(table: dict[str, Any]) -> str:
    return json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed tables only")
    parser.add_argument("--language", choices=sorted(LANGUAGES), action="append")
    args = parser.parse_args()
    bad = []
    for language in args.language or sorted(LANGUAGES):
        text = dump(learn(language, lambda s: print(s, file=sys.stderr)))
        path = OUT / f"readings-{language}.json"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                bad.append(path.name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(OUT.parents[3])}: {len(text):,} bytes")
    if bad:
        sys.exit(f"tables differ from what the data give: {', '.join(bad)}")
    if args.check:
        print("tables match the data")


if __name__ == "__main__":
    main()
