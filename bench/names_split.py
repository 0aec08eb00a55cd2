"""Split the public name data into a tuning part and a held-out part, and freeze both.

The rule is fixed and needs nothing but the data: an evaluation item (one entity: a Wikidata
name cluster, a cases.csv pair, a UN-listed person, a line of putin_names.txt) is held out
when `sha256("judicare-names-v1:" + key)` read as a number is 0-3 modulo 10 (40 %), else it
is for tuning. Keys (the entity ids) are:
- Wikidata token pairs: the Cyrillic or Arabic spelling of the token (so that every Latin
  spelling of one name falls on the same side); a synthetic person is two such clusters of
  the same side, paired in hash order (`wd-ru:<token>`, `wd-ar:<token>`);
- nomenklatura `cases.csv`: the Person row (`cases:<name1>|<name2>`);
- yente UN positives: the untreated full name (`un:<name>`);
- rigour `putin_names.txt`: the line (`putin:<line>`).

Run `.venv/bin/python -m bench.names_split` to (re)write `bench/data/names/`: `register.jsonl`
(every record, both sides, and the 1,254 members of Congress as distractors), `tuning.jsonl`
and `heldout.jsonl` (queries, each with the record it must find or none). The output is
deterministic; `--check` only verifies that the committed files are what the rule gives.
Synthetic persons built from Wikidata tokens are labelled `synthetic` in the files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "names"
OS = DATA / "opensanctions_name_bench"
WD = DATA / "wikidata_translit_coling2018"
OUT = Path(__file__).resolve().parent / "data" / "names"
SALT = "judicare-names-v1:"
HELD_OUT_SHARE = 4  # of 10
WD_PERSONS = {"tuning": 700, "heldout": 500}  # synthetic persons per language and side


def held_out(key: str) -> bool:
    digest = hashlib.sha256((SALT + key).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 10 < HELD_OUT_SHARE


def side(key: str) -> str:
    return "heldout" if held_out(key) else "tuning"


def _order(key: str) -> str:
    return hashlib.sha256(("order:" + key).encode("utf-8")).hexdigest()


def language_of(text: str) -> str:
    """The evaluation category of a name: its language where the script says it."""
    from judicare.persons.names import cyrillic_language, script_of

    script = script_of(text)
    if script == "CYRILLIC":
        return {"ru": "Russian", "uk": "Ukrainian", "be": "Belarusian", "kk": "Kazakh"}[
            cyrillic_language(text)
        ]
    if script == "ARABIC":
        return "Persian" if any(c in text for c in "پچژگکی") else "Arabic"
    return {
        "LATIN": "Latin",
        "HANGUL": "Korean",
        "CJK": "Chinese",
        "GEORGIAN": "Georgian",
        "ARMENIAN": "Armenian",
        "HEBREW": "Hebrew",
        "GREEK": "Greek",
        "HIRAGANA": "Japanese",
        "KATAKANA": "Japanese",
    }.get(script, script.title())


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _wikidata(file: str, lang: str, label: str) -> tuple[list[dict], list[dict]]:
    clusters: dict[str, list[tuple[int, str]]] = {}
    with (WD / file).open(encoding="utf-8") as f:
        for line in f:
            latin, target, count = line.rstrip("\n").split("\t")
            clusters.setdefault(target.replace(" ", ""), []).append((int(count), latin))
    by_side: dict[str, list[str]] = {"tuning": [], "heldout": []}
    for target in sorted(clusters, key=lambda t: _order(f"wd-{lang}:{t}")):
        by_side[side(f"wd-{lang}:{target}")].append(target)
    records, queries = [], []
    for where, targets in by_side.items():
        for k in range(WD_PERSONS[where]):
            pair = targets[2 * k : 2 * k + 2]
            spellings = [sorted(clusters[t], key=lambda c: (-c[0], c[1])) for t in pair]
            rid = f"wd-{lang}-{k}-{where}"
            latin = " ".join(s[0][1].capitalize() for s in spellings)
            records.append({"register": "wd", "id": rid, "names": [latin], "synthetic": True})
            key = "|".join(f"wd-{lang}:{t}" for t in pair)
            queries.append(
                {
                    "side": where,
                    "key": key,
                    "dataset": f"wikidata {label}",
                    "category": label,
                    "kind": "script",
                    "names": [" ".join(t.capitalize() for t in pair)],
                    "expect": ["wd", rid],
                }
            )
            if any(len(s) > 1 for s in spellings):  # another Latin spelling of the same name
                variant = " ".join(
                    (s[1] if len(s) > 1 else s[0])[1].capitalize() for s in spellings
                )
                queries.append(
                    {
                        "side": where,
                        "key": key,
                        "dataset": f"wikidata {label} (Latin variants)",
                        "category": "Latin alias",
                        "kind": "alias",
                        "names": [variant],
                        "expect": ["wd", rid],
                    }
                )
    return records, queries


def _cases() -> tuple[list[dict], list[dict]]:
    records, queries = [], []
    seen: dict[str, str] = {}
    for k, row in enumerate(_csv(OS / "nomenklatura" / "cases.csv")):
        if row["schema"] != "Person":
            continue
        key = f"cases:{row['name1']}|{row['name2']}"
        rid = seen.get(row["name2"])
        if rid is None:
            rid = seen[row["name2"]] = f"case-{k}"
            records.append({"register": "cases", "id": rid, "names": [row["name2"]]})
        scripts = {language_of(row["name1"]), language_of(row["name2"])} - {"Latin"}
        category = min(scripts) if scripts else "Latin alias"
        queries.append(
            {
                "side": side(key),
                "key": key,
                "dataset": f"cases.csv {row['case_group']}",
                "category": category,
                "kind": "script" if scripts else "alias",
                "names": [row["name1"]],
                "expect": ["cases", rid] if row["is_match"] == "true" else None,
                "pair": ["cases", rid],
                "quality": row["quality"] or "MEDIUM",
            }
        )
    return records, queries


def _un() -> tuple[list[dict], list[dict]]:
    yente = OS / "yente"
    untreated = _csv(yente / "positives_un_untreated.csv")
    treated = _csv(yente / "positives_un_treated.csv")
    records, queries = [], []
    for i, (u, t) in enumerate(zip(untreated, treated, strict=True)):
        records.append(
            {
                "register": "un",
                "id": str(i),
                "names": [u["full_name"]],
                "birth_date": u["date_of_birth"],
                "nationality": u["nationality"],
            }
        )
        if t["full_name"] == u["full_name"]:
            continue  # only the copies whose name was changed
        key = f"un:{u['full_name']}"
        queries.append(
            {
                "side": side(key),
                "key": key,
                "dataset": "UN noisy copies",
                "category": language_of(t["full_name"])
                if language_of(t["full_name"]) != "Latin"
                else "Latin alias",
                "kind": "alias",
                "names": [t["full_name"]],
                "birth_date": t["date_of_birth"],
                "nationality": t["nationality"],
                "expect": ["un", str(i)],
            }
        )
    for i, c in enumerate(_csv(yente / "positives_us_congress_untreated.csv")):
        records.append(
            {
                "register": "congress",
                "id": str(i),
                "names": [c["full_name"]],
                "birth_date": c["date_of_birth"],
                "nationality": c["nationality"],
            }
        )
    return records, queries


def _putin(cases: list[dict]) -> tuple[list[dict], list[dict]]:
    """Every line against the record "PUTIN, Vladimir Vladimirovich". The cases.csv records
    whose name is itself a line (Vladimir Putin, Владимир Путин) are the same person: they
    count as found too (`also`)."""
    lines = [n.strip() for n in (OS / "rigour" / "putin_names.txt").read_text().splitlines()]
    lines = [n for n in dict.fromkeys(lines) if n]
    also = [[c["register"], c["id"]] for c in cases if c["names"][0] in set(lines)]
    record = {"register": "putin", "id": "0", "names": ["PUTIN, Vladimir Vladimirovich"]}
    queries = []
    for line in lines:
        if line == record["names"][0]:
            continue
        category = language_of(line)
        key = f"putin:{line}"
        queries.append(
            {
                "side": side(key),
                "key": key,
                "dataset": "putin_names",
                "category": "Latin alias" if category == "Latin" else category,
                "kind": "alias" if category == "Latin" else "script",
                "names": [line],
                "expect": ["putin", "0"],
                "also": also,
            }
        )
    return [record], queries


def build() -> dict[str, list[dict[str, Any]]]:
    records: list[dict] = []
    queries: list[dict] = []
    cases = _cases()
    for part in (
        _wikidata("wd_russian_80", "ru", "Russian"),
        _wikidata("wd_arabic_80", "ar", "Arabic"),
        cases,
        _un(),
        _putin(cases[0]),
    ):
        records += part[0]
        queries += part[1]
    return {
        "register": records,
        "tuning": [q for q in queries if q["side"] == "tuning"],
        "heldout": [q for q in queries if q["side"] == "heldout"],
    }


def _lines(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the frozen files only")
    args = parser.parse_args()
    built = build()
    if args.check:
        bad = [n for n, rows in built.items() if (OUT / f"{n}.jsonl").read_text() != _lines(rows)]
        if bad:
            sys.exit(f"frozen files differ from the rule: {', '.join(bad)}")
        print("frozen files match the split rule")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in built.items():
        (OUT / f"{name}.jsonl").write_text(_lines(rows), encoding="utf-8")
        print(f"{name}: {len(rows):,} rows")


if __name__ == "__main__":
    main()
