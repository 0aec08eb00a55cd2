"""Matching quality on names never tuned on: tuning and held-out splits side by side.

The data are the frozen files in `bench/data/names/` (made by `bench/names_split.py`, whose
docstring gives the split rule: sha256 of each entity's id, 40 % held out). Every query is
run against one register of 4,747 records (both sides, and 1,254 members of Congress as
distractors) through `PersonIndex`, at both operating points:
- *safeguard* (protected registers): R@1 and recall within the candidates shown (at most
  20, down to the safeguard threshold), and the mean number shown;
- *identification*: precision and recall of the top candidate at its threshold.
Beside them, in the same run, a plain baseline: rapidfuzz `token_sort_ratio` on names
folded to ASCII by ICU (`Any-Latin; Latin-ASCII; Lower`), every record scored; its R@1 is
the best record, its "shown" the top 20 at or above 70, its precision that of the best
record at or above 85. Per language/script, per side; then the cases.csv Person pairs
scored pairwise (P/R at the identification threshold); then the misses of one side.

Exit status 1 when, on any category of the held-out side, the engine's recall within the
candidates shown at the safeguard point is below the baseline's.

`--path db` measures the database's screening instead (`persons.service.match`, what
`judicare persons match --json`, `screen` and the web read): the same register stored in a
fresh SQLite database (every migration, then `index_person` per record), once as a register
of protected persons (the safeguard figures) and once as a register screened at the
identification point (its figures). Its candidates are those of the in-memory index (the
same retrieval: tests/integration/test_persons_db_retrieval.py); its query times are the
database's.

Run: `.venv/bin/python -m bench.matching_quality [--misses tuning|heldout|none] [--path
memory|db] [--split tuning|heldout|both]`. Tuning work looks at tuning misses only (the
default) and runs `--split tuning`, which neither runs nor prints the held-out side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import icu
from rapidfuzz import fuzz, process

from judicare.persons import service
from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.registers import EVERY_AUTHORITY
from judicare.persons.scoring import score_pair

try:  # the operating points (issue 16); absent in the engine measured before them
    from judicare.persons.scoring import IDENTIFICATION, SAFEGUARD, OperatingPoint
except ImportError:  # pragma: no cover
    IDENTIFICATION = SAFEGUARD = OperatingPoint = None  # type: ignore[assignment,misc]

FROZEN = Path(__file__).resolve().parent / "data" / "names"
BASE_SHOWN = 70
BASE_ACCEPT = 85
SHOWN = 20
_FOLD = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")


def fold(name: str) -> str:
    return _FOLD.transliterate(name)


def lenient_date(text: str | None) -> PartialDate | None:
    while text:
        try:
            return PartialDate.parse(text)
        except ValueError:
            text = text.rsplit("-", 1)[0] if "-" in text else ""
    return None


def load(name: str) -> list[dict[str, Any]]:
    with (FROZEN / f"{name}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def to_record(row: dict[str, Any]) -> PersonRecord:
    return PersonRecord(
        row["register"],
        row["id"],
        tuple(row["names"]),
        lenient_date(row.get("birth_date")),
        (row.get("nationality") or "").upper() or None,
    )


@dataclass
class Tally:
    n: int = 0
    r1: int = 0
    shown: int = 0
    n_shown: int = 0
    id_tp: int = 0
    id_fp: int = 0
    b_r1: int = 0
    b_shown: int = 0
    b_tp: int = 0
    b_fp: int = 0
    misses: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        def r(x: int) -> str:
            return f"{x / self.n:.3f}" if self.n else "—"

        def p(tp: int, fp: int) -> str:
            return f"{tp / (tp + fp):.3f}" if tp + fp else "—"

        mean = f"{self.n_shown / self.n:.1f}" if self.n else "—"
        return [str(self.n), r(self.r1), r(self.shown), mean, p(self.id_tp, self.id_fp),
                r(self.id_tp), r(self.b_r1), r(self.b_shown), p(self.b_tp, self.b_fp)]  # fmt: skip


def run_engine(index: Any, q: PersonQuery, point: str) -> list[Any]:
    if SAFEGUARD is None:  # the engine before issue 16: one threshold for everything
        return index.query(q, limit=SHOWN)
    return index.query(q, point=SAFEGUARD if point == "safeguard" else IDENTIFICATION)


@dataclass(frozen=True)
class Shown:
    register: str
    id: str
    score: float


class DatabaseRegister:
    """The register in SQLite, screened by `persons.service.match` (the database's path):
    one database whose register is protected ("refugees": the safeguard point), one whose
    register is not ("persons": the identification point). Each record's register and id
    are kept in its external id."""

    def __init__(self, records: list[PersonRecord], directory: Path) -> None:
        from judicare.app import FixedClock, create_app
        from judicare.db import migrate
        from judicare.settings import Settings

        self.apps = {}
        for point, register in (("safeguard", "refugees"), ("identification", "persons")):
            url = f"sqlite:///{directory / f'{point}.db'}"
            app = create_app(Settings(database_url=url, environment="test"), clock=FixedClock(
                date(2026, 1, 1)))  # fmt: skip
            migrate.upgrade(app.engine)
            with app.unit_of_work() as uow:
                for r in records:
                    stored = replace(r, register=register, id=f"{r.register}\x1f{r.id}")
                    service.index_person(uow.session, stored, now=app.now())
                uow.commit()
            self.apps[point] = app

    def query(self, q: PersonQuery, point: Any) -> list[Shown]:
        app = self.apps[point.name]
        with app.unit_of_work() as uow:
            rows = service.match(uow.session, q, authority_id=EVERY_AUTHORITY)
        return [Shown(*row["id"].split("\x1f", 1), row["score"]) for row in rows]

    def dispose(self) -> None:
        for app in self.apps.values():
            app.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=("tuning", "heldout", "none"), default="tuning")
    parser.add_argument("--max-misses", type=int, default=80)
    parser.add_argument("--path", choices=("memory", "db"), default="memory")
    parser.add_argument(
        "--split",
        choices=("tuning", "heldout", "both"),
        default="both",
        help="the side(s) to run (tuning while developing: the held-out side is not looked at)",
    )
    args = parser.parse_args()
    sides = ("tuning", "heldout") if args.split == "both" else (args.split,)
    if args.misses != "none" and args.misses not in sides:
        parser.error(f"--misses {args.misses} needs that side in --split")
    register = load("register")
    records = [to_record(r) for r in register]
    started = time.perf_counter()
    index: Any
    if args.path == "db":
        directory = Path(tempfile.mkdtemp(prefix="matching-quality-"))
        index = DatabaseRegister(records, directory)
    else:
        index = PersonIndex()
        index.add_all(records)
    build = time.perf_counter() - started
    folded = [fold(" ".join(r.names)) for r in records]
    ident = {(r.register, r.id): k for k, r in enumerate(records)}
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    timings: list[float] = []
    cpu: list[float] = []  # the query's CPU time: leaves out waiting for a core (or the disk)
    for where in sides:
        queries = [q for q in load(where) if q["expect"]]
        for row in queries:
            q = PersonQuery(
                tuple(row["names"]),
                lenient_date(row.get("birth_date")),
                (row.get("nationality") or "").upper() or None,
            )
            want = tuple(row["expect"])
            same = {want, *(tuple(a) for a in row.get("also", ()))}  # the same person
            t0, c0 = time.perf_counter(), time.process_time()
            safe = run_engine(index, q, "safeguard")
            timings.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            ids = run_engine(index, q, "identification")
            target = ident[want]
            targets = {ident[s] for s in same}
            base = process.extract(
                fold(" ".join(row["names"])), folded, scorer=fuzz.token_sort_ratio, limit=SHOWN
            )
            for cat in (row["category"], f"all {row['kind']}"):
                t = tallies[(where, cat)]
                t.n += 1
                hit = [(c.register, c.id) for c in safe]
                t.r1 += bool(hit) and hit[0] in same
                t.shown += not same.isdisjoint(hit)
                t.n_shown += len(hit)
                if ids:
                    top = (ids[0].register, ids[0].id)
                    t.id_tp += top in same
                    t.id_fp += top not in same
                best, best_score = base[0][2], base[0][1]
                base_found = any(i in targets and s >= BASE_SHOWN for _, s, i in base)
                t.b_r1 += best in targets
                t.b_shown += base_found
                if best_score >= BASE_ACCEPT:
                    t.b_tp += best in targets
                    t.b_fp += best not in targets
                if cat == row["category"] and same.isdisjoint(hit):
                    got = f"{safe[0].register}/{safe[0].id} {safe[0].score:.2f}" if safe else "none"
                    t.misses.append(
                        f"[{row['dataset']}] {row['names'][0]!r} -> "
                        f"{records[target].names[0]!r} (engine top: {got}; "
                        f"baseline {'found' if base_found else 'missed'})"
                    )
    head = ["category", "side", "n", "R@1", "R@shown", "shown", "id P", "id R",
            "base R@1", "base R@shown", "base P"]  # fmt: skip
    cats = sorted({c for _, c in tallies}, key=lambda c: (c.startswith("all"), c))
    widths = [22, 8, 5, 6, 8, 6, 6, 6, 9, 12, 7]
    print(" ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    failed = []
    for cat in cats:
        for where in sides:
            t = tallies.get((where, cat))
            if t is None:
                continue
            cells = [cat, where, *t.cells()]
            print(" ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
            if where == "heldout" and t.shown < t.b_shown:
                failed.append(f"{cat}: engine {t.shown}/{t.n} < baseline {t.b_shown}/{t.n}")
    print()
    for where in sides:
        tp = fp = fn = 0
        for row in load(where):
            if not row["dataset"].startswith("cases.csv"):
                continue
            names = tuple(row["names"])
            rec = records[ident[tuple(row["pair"])]]
            threshold = IDENTIFICATION.threshold if IDENTIFICATION else 0.75
            hit = score_pair(PersonQuery(names), rec).score >= threshold
            truth = row["expect"] is not None
            tp += hit and truth
            fp += hit and not truth
            fn += truth and not hit
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        print(f"cases.csv Person pairs ({where}), identification point: P {p:.3f}  R {r:.3f}")
    timings.sort()
    p99 = timings[int(0.99 * (len(timings) - 1))] * 1000
    p50 = timings[len(timings) // 2] * 1000
    cpu.sort()
    cpu50, cpu99 = cpu[len(cpu) // 2] * 1000, cpu[int(0.99 * (len(cpu) - 1))] * 1000
    where = "SQLite, both databases" if args.path == "db" else "in memory"
    print(f"\npath {args.path}: index build ({where}) {build:.1f} s for {len(records):,} "
          f"records; safeguard query p50 {p50:.1f} ms, p99 {p99:.1f} ms wall "
          f"(CPU p50 {cpu50:.1f} ms, p99 {cpu99:.1f} ms)")  # fmt: skip
    if args.path == "db":
        index.dispose()
        shutil.rmtree(directory, ignore_errors=True)
    if args.misses != "none":
        print(f"\nMisses at the safeguard point ({args.misses} side):")
        shown = 0
        for (where, cat), t in sorted(tallies.items()):
            if where != args.misses or cat.startswith("all"):
                continue
            for miss in t.misses:
                if shown < args.max_misses:
                    print(f"  {cat}: {miss}")
                shown += 1
        print(f"  ({shown} misses)")
    if failed:
        print("\nFAIL: engine below the rapidfuzz baseline on the held-out side:")
        for f in failed:
            print(f"  {f}")
        sys.exit(1)


if __name__ == "__main__":
    main()
