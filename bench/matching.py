"""Benchmark: person matching on the labelled name data in ../shared/data/names/.

One table. For each dataset (and each script where the data allows): precision, recall and
F1 of the engine at `DEFAULT_THRESHOLD`, beside OpenSanctions' logic-v2 from its frozen
run (same rows only) and a plain baseline, rapidfuzz `token_sort_ratio` >= 85 on
ASCII-folded names. Then query latency, index build time and peak memory on a synthetic
register of `--size` persons (default 1,000,000) drawn from the real name distributions in
the same data. The latency is measured in `--runs` passes of fresh queries, as wall-clock
time and as the CPU time of the query (which leaves out waiting for a core on a shared
machine); the table gives the range over the passes.
Run: `.venv/bin/python -m bench.matching [--size 1000000] [--queries 2000] [--runs 3]`.

Datasets:
- nomenklatura `cases.csv`: labelled name pairs, per case group, Person rows, cross-script;
- yente UN positives: the untreated list is the register (with the 1,254 members of
  Congress as distractors); each treated row, with its noisy name and birth date, is a
  query, and the other way round. Recall = the right person is returned above threshold;
- yente `negatives_global`: each row is a query on the same register; the share that
  returns any UN person above threshold is the false-match rate, by script;
- rigour `putin_names.txt`: every pair of the 80 spellings is a positive;
- Wikidata transliteration pairs (Latin and Russian / Arabic tokens): a sample of pairs as
  positives, the same tokens paired with another row's token as negatives.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz
from rich.console import Console
from rich.table import Table

from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.names import script_of
from judicare.persons.scoring import (
    DEFAULT_THRESHOLD,
    OPERATING_POINTS,
    OperatingPoint,
    score_pair,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "names"
OS = DATA / "opensanctions_name_bench"
WD = DATA / "wikidata_translit_coling2018"
BASELINE_THRESHOLD = 85


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth:
            self.tp += predicted
            self.fn += not predicted
        else:
            self.fp += predicted
            self.tn += not predicted

    def cells(self) -> list[str]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f = 2 * p * r / (p + r) if p and r else None
        return [_f(p), _f(r), _f(f)]


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def ascii_fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def baseline(a: str, b: str) -> bool:
    return fuzz.token_sort_ratio(ascii_fold(a), ascii_fold(b)) >= BASELINE_THRESHOLD


def engine(a: str, b: str) -> bool:
    return name_score(a, b) >= DEFAULT_THRESHOLD


def name_score(a: str, b: str) -> float:
    return score_pair(PersonQuery((a,)), PersonRecord("pairs", "1", (b,))).score


def lenient_date(text: str) -> PartialDate | None:
    """The noisy copies hold impossible dates (1974-01-32): keep what is valid."""
    while text:
        try:
            return PartialDate.parse(text)
        except ValueError:
            text = text.rsplit("-", 1)[0] if "-" in text else ""
    return None


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


Row = list[str]


def pair_rows(label: str, pairs: list[tuple[str, str, bool]], v2: list[bool | None]) -> Row:
    """A table row for labelled pairs: engine, logic-v2 (where frozen) and baseline."""
    ours, base, theirs, ours_same = Counts(), Counts(), Counts(), Counts()
    for (a, b, truth), v2_pred in zip(pairs, v2, strict=True):
        predicted = engine(a, b)
        ours.add(truth, predicted)
        base.add(truth, baseline(a, b))
        if v2_pred is not None:
            theirs.add(truth, v2_pred)
            ours_same.add(truth, predicted)
    v2_cells = theirs.cells() if any(p is not None for p in v2) else ["—"] * 3
    v2_f1 = f"{v2_cells[2]} (ours {ours_same.cells()[2]})" if v2_cells[2] != "—" else "—"
    return [label, f"{len(pairs):,}", *ours.cells(), v2_f1, base.cells()[2]]


def nomenklatura_rows() -> list[Row]:
    cases = read_csv(OS / "nomenklatura" / "cases.csv")
    frozen = {
        (r["case_group"], r["schema"], r["name1"], r["name2"]): r["predicted_match"] == "true"
        for r in read_csv(OS / "nomenklatura" / "logicv2-frozen.csv")
    }

    def rows(label: str, keep: Callable[[dict[str, str]], bool]) -> Row:
        sel = [c for c in cases if keep(c)]
        pairs = [(c["name1"], c["name2"], c["is_match"] == "true") for c in sel]
        v2 = [frozen.get((c["case_group"], c["schema"], c["name1"], c["name2"])) for c in sel]
        return pair_rows(label, pairs, v2)

    def cross(c: dict[str, str]) -> str | None:
        scripts = {script_of(c["name1"]), script_of(c["name2"])} - {"LATIN"}
        return min(scripts) if scripts else None

    out = [rows("cases.csv: all rows", lambda c: True)]
    out.append(rows("  Person rows", lambda c: c["schema"] == "Person"))
    for group in sorted({c["case_group"] for c in cases}):
        out.append(rows(f"  group {group}", lambda c, g=group: c["case_group"] == g))
    out.append(rows("  non-Latin script (any)", lambda c: cross(c) is not None))
    return out


def putin_rows() -> list[Row]:
    names = [n.strip() for n in (OS / "rigour" / "putin_names.txt").read_text().splitlines()]
    names = [n for n in names if n]
    pairs = [(a, b, True) for a, b in combinations(names, 2)]
    out = [pair_rows("putin_names: all pairs", pairs, [None] * len(pairs))]
    by_script: dict[str, list[tuple[str, str, bool]]] = {}
    for a, b, t in pairs:
        scripts = {script_of(a), script_of(b)}
        if scripts == {"LATIN"}:
            by_script.setdefault("LATIN", []).append((a, b, t))
        elif len(scripts - {"LATIN"}) == 1 and "LATIN" in scripts:
            by_script.setdefault((scripts - {"LATIN"}).pop(), []).append((a, b, t))
    for script in sorted(by_script, key=lambda s: -len(by_script[s]))[:10]:
        sel = by_script[script]
        out.append(pair_rows(f"  Latin vs {script}", sel, [None] * len(sel)))
    return out


def wikidata_rows(sample: int, rng: random.Random) -> list[Row]:
    out = []
    for file, script in (("wd_russian_80", "Cyrillic"), ("wd_arabic_80", "Arabic")):
        rows = []
        with (WD / file).open(encoding="utf-8") as f:
            for line in f:
                latin, target, _count = line.rstrip("\n").split("\t")
                rows.append((latin, target.replace(" ", "")))
        picked = rng.sample(rows, min(sample, len(rows)))
        others = rng.sample(rows, len(picked))
        pairs = [(lat, tgt, True) for lat, tgt in picked]
        pairs += [(lat, o[1], False) for (lat, _), o in zip(picked, others, strict=True)]
        out.append(pair_rows(f"wikidata tokens: Latin vs {script}", pairs, [None] * len(pairs)))
    return out


def _record(register: str, i: int, row: dict[str, str]) -> PersonRecord:
    return PersonRecord(
        register,
        str(i),
        (row["full_name"],),
        lenient_date(row["date_of_birth"]),
        row["nationality"] or None,
    )


def un_rows() -> list[Row]:
    yente = OS / "yente"
    untreated = read_csv(yente / "positives_un_untreated.csv")
    treated = read_csv(yente / "positives_un_treated.csv")
    congress = read_csv(yente / "positives_us_congress_untreated.csv")
    negatives = read_csv(yente / "negatives_global.csv")
    out = []
    for label, listed, queries in (
        ("UN: treated query -> untreated list", untreated, treated),
        ("UN: untreated query -> treated list", treated, untreated),
    ):
        index = PersonIndex()
        index.add_all(_record("un", i, r) for i, r in enumerate(listed))
        index.add_all(_record("congress", i, r) for i, r in enumerate(congress))
        ours, base = Counts(), Counts()
        for i, row in enumerate(queries):
            q = _record("q", i, row)
            found = index.query(PersonQuery(q.names, q.birth_date, q.nationality))
            ours.add(True, any(c.register == "un" and c.id == str(i) for c in found))
            base.add(True, baseline(row["full_name"], listed[i]["full_name"]))
        out.append([label, f"{len(queries):,}", *ours.cells(), "—", base.cells()[2]])
        if label.startswith("UN: treated"):
            out.extend(_negative_rows(index, negatives, untreated))
    return out


def _negative_rows(index: PersonIndex, negatives, listed) -> list[Row]:
    by_script: dict[str, list[bool]] = {}
    base_hits: dict[str, list[bool]] = {}
    folded = [ascii_fold(r["full_name"]) for r in listed]
    for i, row in enumerate(negatives):
        q = _record("q", i, row)
        found = index.query(PersonQuery(q.names, q.birth_date, q.nationality))
        hit = any(c.register == "un" for c in found)
        script = "Latin" if script_of(row["full_name"]) == "LATIN" else "non-Latin"
        by_script.setdefault(script, []).append(hit)
        name = ascii_fold(row["full_name"])
        base_hits.setdefault(script, []).append(
            any(fuzz.token_sort_ratio(name, f) >= BASELINE_THRESHOLD for f in folded)
        )
    rows = []
    for script in ("Latin", "non-Latin"):
        hits, bh = by_script.get(script, []), base_hits.get(script, [])
        rows.append(
            [
                f"  negatives_global ({script}): share matched",
                f"{len(hits):,}",
                "—",
                "—",
                f"{sum(hits) / len(hits):.2%}",
                "—",
                f"{sum(bh) / len(bh):.2%}",
            ]
        )
    return rows


def name_pools(rng: random.Random) -> dict[str, list[list[str]]]:
    """Given names and surnames of the real lists, and Wikidata tokens by script."""
    yente = OS / "yente"
    given: list[str] = []
    family: list[str] = []
    for file in (
        "positives_un_untreated.csv",
        "positives_us_congress_untreated.csv",
        "negatives_global.csv",
    ):
        for row in read_csv(yente / file):
            parts = row["full_name"].replace(",", " ").split()
            if len(parts) >= 2:
                given.extend(parts[:-1])
                family.append(parts[-1])
    pools = {"list": [given, family]}
    for file, script in (("wd_russian_80", "cyrillic"), ("wd_arabic_80", "arabic")):
        latin: list[str] = []
        target: list[str] = []
        with (WD / file).open(encoding="utf-8") as f:
            for line in f:
                lat, tgt, count = line.rstrip("\n").split("\t")
                n = min(int(count), 50)  # the real frequency, capped
                latin.extend([lat.capitalize()] * n)
                target.extend([tgt.replace(" ", "").capitalize()] * n)
        pools[script] = [target, target]
        pools[f"latin-{script}"] = [latin, latin]
    return pools


def synthetic_records(size: int, rng: random.Random) -> Iterable[PersonRecord]:
    pools = name_pools(rng)
    mix = [("list", 0.45), ("cyrillic", 0.15), ("arabic", 0.15)]
    mix += [("latin-cyrillic", 0.15), ("latin-arabic", 0.10)]
    kinds, weights = zip(*mix, strict=True)
    nationalities = ("AFG", "RUS", "UKR", "KAZ", "SYR", "IRQ", "IRN", "USA", "BEL", "GEO")
    for i in range(size):
        given, family = pools[rng.choices(kinds, weights)[0]]
        n_given = rng.choice((1, 1, 2, 2, 3))
        name = " ".join([rng.choice(given) for _ in range(n_given)] + [rng.choice(family)])
        year = rng.randint(1935, 2010)
        precision = rng.random()
        if precision < 0.3:
            dob = PartialDate(year)
        elif precision < 0.4:
            dob = PartialDate(year, rng.randint(1, 12))
        else:
            dob = PartialDate(year, rng.randint(1, 12), rng.randint(1, 28))
        yield PersonRecord("synthetic", str(i), (name,), dob, rng.choice(nationalities))


def perturb(name: str, rng: random.Random) -> str:
    parts = name.split()
    what = rng.random()
    if what < 0.25 and len(parts) > 2:
        parts.pop(rng.randrange(1, len(parts) - 1))  # a middle name or patronymic dropped
    elif what < 0.5:
        parts = [*parts[-1:], *parts[:-1]]  # surname first
    elif what < 0.75:
        k = rng.randrange(len(parts))
        w = parts[k]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            parts[k] = w[:j] + w[j + 1 :]  # a letter dropped
    return " ".join(parts)


def scale_rows(
    size: int, n_queries: int, runs: int, console: Console, point: OperatingPoint | None = None
) -> list[Row]:
    rng = random.Random(5)
    records = list(synthetic_records(size, rng))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    index = PersonIndex()
    with console.status(f"Building the index of {size:,} synthetic persons…"):
        index.add_all(records)
    build = time.perf_counter() - started
    build_cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    walls, cpus, found = [], [], 0
    base_walls, base_cpus, base_found = [], [], 0
    for _ in range(runs):  # each run a fresh sample of queries: the tail is noisy
        same = random.Random()
        same.setstate(rng.getstate())
        wall, cpu, hits = latency_run(index, records, n_queries, rng, point)
        walls.append(wall)
        cpus.append(cpu)
        found += hits
        if point is not None and point.fallback:
            # The baseline, in the same run on the same queries: the index without its
            # character n-gram retrieval (the fallback's pool from blocking evidence only).
            top, index.ngram_top = index.ngram_top, 0
            wall, cpu, base_hits = latency_run(index, records, n_queries, same, point)
            base_found += base_hits
            index.ngram_top = top
            base_walls.append(wall)
            base_cpus.append(cpu)
    baseline: list[Row] = []
    if base_cpus:
        ratio = statistics.median(c[1] for c in cpus) / statistics.median(c[1] for c in base_cpus)
        baseline = [
            _note_row(
                f"  baseline without the n-gram retrieval: CPU p50 "
                f"{_range([c[0] for c in base_cpus])} ms, p99 {_range([c[1] for c in base_cpus])}"
                f" ms, wall p99 {_range([w[1] for w in base_walls])} ms; "
                f"CPU p99 ratio (with / without) {ratio:.2f}; perturbed queries found "
                f"{base_found / (n_queries * runs):.3f}"
            )
        ]
    return [
        [
            f"synthetic register, {size:,} persons: perturbed queries found"
            f" ({point.name if point else 'identification'} point)",
            f"{n_queries * runs:,}",
            "—",
            f"{found / (n_queries * runs):.3f}",
            "—",
            "—",
            "—",
        ],
        _note_row(
            f"  latency (wall) p50 {_range([w[0] for w in walls])} ms, "
            f"p99 {_range([w[1] for w in walls])} ms over {runs} runs of {n_queries:,}"
        ),
        _note_row(
            f"  latency (CPU time of the query) p50 {_range([c[0] for c in cpus])} ms, "
            f"p99 {_range([c[1] for c in cpus])} ms"
        ),
        _note_row(
            f"  build {build:.1f} s (CPU {build_cpu:.1f} s); peak RSS {peak_mb:,.0f} MB "
            f"(records alone {before / 1024:,.0f} MB; the index about "
            f"{(peak_mb - before / 1024) * 1024 / max(size, 1):.2f} KB a record)"
        ),
        *baseline,
    ]


def latency_run(
    index: PersonIndex,
    records: list[PersonRecord],
    n_queries: int,
    rng: random.Random,
    point: OperatingPoint | None = None,
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """One pass of perturbed queries: (p50, p99) of wall-clock and of CPU time, and how
    many found their record. CPU time leaves out the time the process waited for a core
    (the machine is shared), wall-clock time does not."""
    walls, cpus, found = [], [], 0
    for record in rng.sample(records, n_queries):
        query = PersonQuery((perturb(record.names[0], rng),), record.birth_date)
        c0, t0 = time.process_time(), time.perf_counter()
        result = index.query(query, point=point)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
        found += any(c.id == record.id for c in result)
    return _p50_p99(walls), _p50_p99(cpus), found


def _p50_p99(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(0.99 * len(values)))]


def _range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}"


def _note_row(text: str) -> Row:
    return [text, "", "", "", "", "", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="synthetic register size")
    parser.add_argument("--queries", type=int, default=2_000, help="latency queries per run")
    parser.add_argument("--runs", type=int, default=3, help="latency runs (fresh queries each)")
    parser.add_argument(
        "--labelled",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="score the labelled data first (--no-labelled: speed only)",
    )
    parser.add_argument("--wikidata-sample", type=int, default=3_000)
    parser.add_argument(
        "--point",
        choices=sorted(OPERATING_POINTS),
        default="identification",
        help="the operating point of the latency queries",
    )
    args = parser.parse_args()
    console = Console(width=150)
    rng = random.Random(5)
    rows: list[Row] = []
    if args.labelled:
        with console.status("Scoring the labelled data…"):
            rows += nomenklatura_rows()
            rows += un_rows()
            rows += putin_rows()
            rows += wikidata_rows(args.wikidata_sample, rng)
    if args.size:
        rows += scale_rows(
            args.size, args.queries, args.runs, console, OPERATING_POINTS[args.point]
        )
    table = Table(title=f"Person matching at threshold {DEFAULT_THRESHOLD}")
    for column in ("dataset", "items", "precision", "recall", "F1", "logic-v2 F1", "baseline F1"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(
        "logic-v2: OpenSanctions' frozen run, on the rows it covers (our F1 on the same rows "
        f"in brackets). Baseline: rapidfuzz token_sort_ratio >= {BASELINE_THRESHOLD} on "
        "ASCII-folded names. For negatives_global the F1 column holds the share matched."
    )


if __name__ == "__main__":
    main()
