"""Benchmark: where the in-memory person index's memory goes, per component.

Builds a `PersonIndex` of `--size` synthetic persons (those of `bench.matching`) and walks
each of its attributes with `sys.getsizeof`, every object counted once (the first
component that reaches it owns it: the records first, so the names and dates they hold are
theirs), then the parse caches that grow with the register (`cache_info().currsize`, and
what `tracemalloc` sees freed when each is cleared, with `--caches`). Works on the index of
any commit (run the old one with `PYTHONPATH=<other worktree>/src`).
Run: `.venv/bin/python -m bench.index_memory [--size 200000] [--caches]`.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import tracemalloc
from array import array
from typing import Any

import numpy as np

from bench.matching import synthetic_records
from judicare.persons import compare, fallback, keys, names, parts, romanise, scoring
from judicare.persons.index import PersonIndex

CACHES = {
    "names.parse_name": names.parse_name,
    "parts.read_part": parts.read_part,
    "keys._part_keys": keys._part_keys,
    "fallback.whole_name_form": fallback.whole_name_form,
    "fallback.word_grams": fallback.word_grams,
    "romanise.skeleton": romanise.skeleton,
    "scoring._joined": scoring._joined,
    "compare.compare_parts": compare.compare_parts,
    "compare.part_similarity": compare.part_similarity,
}


def deep_size(root: Any, seen: set[int]) -> int:
    """Bytes of `root` and of everything it reaches that `seen` does not hold yet."""
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (bool, type)):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += sys.getsizeof(obj) if obj.base is None else obj.nbytes
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, (str, bytes, int, float, array, range)):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        else:
            for cls in type(obj).__mro__:
                for name in getattr(cls, "__slots__", ()):
                    if hasattr(obj, name):
                        stack.append(getattr(obj, name))
            if hasattr(obj, "__dict__"):
                stack.append(vars(obj))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--caches", action="store_true", help="tracemalloc the caches (slow)")
    args = parser.parse_args()
    if args.caches:
        tracemalloc.start()
    records = list(synthetic_records(args.size, random.Random(5)))
    rss_records = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    index = PersonIndex()
    index.add_all(records)
    build = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(index)
    print(f"{n:,} records; build {build:.1f} s; peak RSS {rss:,.0f} MB", end=" ")
    print(f"(records alone {rss_records:,.0f} MB)")
    seen: set[int] = set()
    for name in ("synthetic", *{r.nationality for r in records}):
        seen.add(id(name))  # shared constants: nobody's
    rows = [("records (the PersonRecord objects)", deep_size(records, seen))]
    # the parts of names (`Part`), a register's vocabulary, shared by its records' names
    by_slot = index.parsed if hasattr(index, "parsed") else index._parsed.__getitem__
    vocabulary = {id(p): p for s in range(len(records)) for n in by_slot(s) for p in n.parts}
    held = list(vocabulary.values())
    parts_size = deep_size(held, seen) - sys.getsizeof(held)
    rows.append((f"parts of names ({len(held):,} Part objects)", parts_size))
    attrs = vars(index) if hasattr(index, "__dict__") else {}
    order = ["_records", "_parsed", "_folded", "_slots", "_postings", "_grams"]
    for attr in [a for a in order if a in attrs] + [a for a in attrs if a not in order]:
        value = attrs[attr]
        if isinstance(value, (int, float, str)) or value is None:
            continue
        rows.append((f"index.{attr}", deep_size(value, seen)))
    total = 0
    print(f"{'component':<48} {'MB':>9} {'B/record':>9}")
    for label, size in rows:  # the first to reach an object owns it
        total += size if not label.startswith("records") else 0
        print(f"{label:<48} {size / 2**20:>9.1f} {size / max(n, 1):>9.1f}")
    print(f"{'index total (without the records)':<48} {total / 2**20:>9.1f} {total / n:>9.1f}")
    for label, fn in CACHES.items():
        info = fn.cache_info()
        freed = ""
        if args.caches:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            fn.cache_clear()
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
            freed = f"; freed on clearing {(before - after) / 2**20:.1f} MB"
        print(f"cache {label}: {info.currsize:,} of {info.maxsize:,}{freed}")


if __name__ == "__main__":
    main()
