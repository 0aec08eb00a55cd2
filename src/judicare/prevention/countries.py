"""EWP country codes (Correlates of War `ccode`, with EWP adjustments) → ISO 3166-1 alpha-3.

An explicit table (`data/countries.csv`), checked against pycountry by a test; entities with no
ISO code (East Germany, Czechoslovakia, Kosovo, North and South Yemen, South Vietnam) are kept as
named exceptions with an empty code and a note.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "countries.csv"


@dataclass(frozen=True)
class Country:
    ccode: int
    ewp_name: str
    iso3: str | None
    note: str


@cache
def table() -> dict[int, Country]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return {
            int(row["ccode"]): Country(
                ccode=int(row["ccode"]),
                ewp_name=row["ewp_name"],
                iso3=row["iso3"] or None,
                note=row["note"],
            )
            for row in csv.DictReader(handle)
        }


def iso3_of(ccode: int) -> str | None:
    country = table().get(int(ccode))
    return country.iso3 if country else None


def ccode_of(iso3: str) -> int | None:
    wanted = iso3.strip().upper()
    for country in table().values():
        if country.iso3 == wanted:
            return country.ccode
    return None
