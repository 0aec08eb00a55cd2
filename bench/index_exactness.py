"""Check: the in-memory index of one commit answers exactly as another's (issue 22).

Builds a `PersonIndex` of `--size` synthetic persons (those of `bench.matching`, in three
loads: a bulk load, records added one by one, another bulk load), then writes, for
`--queries` fresh perturbed queries at each operating point (none, identification,
safeguard), the shortlist and n-gram slots and every candidate with its score and
explanation, one JSON line per query. Then it removes and replaces records (some filed
in bulk, some one by one), re-adds some, and queries again. Run it with each commit's
code and `cmp` the files:

    PYTHONPATH=/work/base-compact/src .venv/bin/python -m bench.index_exactness old.jsonl
    .venv/bin/python -m bench.index_exactness new.jsonl
    cmp old.jsonl new.jsonl

`--chunk N` files the bulk loads' postings in segments of N records (where the index has
segments), so that a small register also reads keys across several segments.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace

from bench.matching import perturb, synthetic_records
from judicare.persons import index as index_module
from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.scoring import OPERATING_POINTS


def dump_queries(index: PersonIndex, queries: list[PersonQuery], out, phase: str) -> None:
    points = [None, *(OPERATING_POINTS[p] for p in sorted(OPERATING_POINTS))]
    for i, query in enumerate(queries):
        row = {
            "phase": phase,
            "query": i,
            "names": query.names,
            "shortlist": index.candidates(query),
            "ngrams": index.ngram_candidates(query),
        }
        for point in points:
            found = index.query(query, point=point)
            row[point.name if point else "default"] = [c.as_dict() for c in found]
        out.write(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def make_queries(records: list[PersonRecord], n: int, rng: random.Random) -> list[PersonQuery]:
    queries = []
    for record in rng.sample(records, n):
        name = perturb(record.names[0], rng)
        kind = rng.random()
        if kind < 0.6:
            queries.append(PersonQuery((name,), record.birth_date))
        elif kind < 0.8:
            queries.append(PersonQuery((name,), record.birth_date, record.nationality))
        elif kind < 0.9:
            queries.append(PersonQuery((name, record.names[0])))
        else:
            queries.append(PersonQuery((name,), registers=("synthetic",)))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1_400)
    parser.add_argument("--chunk", type=int, default=0)
    args = parser.parse_args()
    if args.chunk and hasattr(index_module, "CHUNK"):
        index_module.CHUNK = args.chunk  # type: ignore[attr-defined]
    records = list(synthetic_records(args.size, random.Random(5)))
    first, second = int(args.size * 0.6), int(args.size * 0.7)
    index = PersonIndex()
    index.add_all(records[:first])
    for record in records[first:second]:
        index.add(record)
    index.add_all(records[second:])
    rng = random.Random(2026)  # not the latency runs' queries (random.Random(5))
    with open(args.out, "w", encoding="utf-8") as out:
        dump_queries(index, make_queries(records, args.queries, rng), out, "loaded")
        # Removed, replaced and re-added: from the first bulk load, the records added one
        # by one and the second bulk load alike.
        changed = rng.sample(records, args.size // 20)
        for k, record in enumerate(changed):
            if k % 3 == 0:
                assert index.remove(record.register, record.id)
            elif k % 3 == 1:
                names = (perturb(record.names[0], rng), *record.names)
                index.add(replace(record, names=names))  # replaced: a new slot
            else:
                assert index.remove(record.register, record.id)
                index.add(record)  # re-added: a new slot
        index.add_all(replace(r, id=f"again-{r.id}") for r in rng.sample(records, args.size // 50))
        out.write(json.dumps({"size": len(index)}) + "\n")
        queries = make_queries(records, args.queries // 2, rng)
        queries += make_queries(changed, args.queries // 4, rng)
        dump_queries(index, queries, out, "changed")


if __name__ == "__main__":
    main()
