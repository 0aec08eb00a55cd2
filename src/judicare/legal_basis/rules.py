"""Loads the legal-basis rule data: crimes, national-law fallbacks and precedence rules,
each with its citations, and checks them against the instrument catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

import yaml

from judicare.errors import DataError
from judicare.legal_basis.domain import Citation, CooperationKind, Crime
from judicare.treaties.catalogue import load_catalogue
from judicare.treaties.domain import Instrument


@dataclass(frozen=True)
class NationalLaw:
    id: str
    state: str
    title: str
    kinds: frozenset[str]
    reciprocity: bool
    citations: tuple[Citation, ...]
    gaps: tuple[str, ...]


@dataclass(frozen=True)
class PrecedenceRule:
    superseding: str
    superseded: frozenset[str]
    kinds: frozenset[str]
    text: str
    citation: Citation


@dataclass(frozen=True)
class Rulebook:
    instruments: dict[str, Instrument]
    crimes: dict[str, Crime]
    laws: tuple[NationalLaw, ...]
    precedence: tuple[PrecedenceRule, ...]

    def law_for(self, state: str, kind: str) -> NationalLaw | None:
        return next((law for law in self.laws if law.state == state and kind in law.kinds), None)


def _read(name: str) -> dict[str, Any]:
    path = resources.files("judicare.legal_basis") / "data" / name
    try:
        return cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise DataError(f"{name}: not valid YAML: {exc}") from exc


def citation(raw: dict[str, Any], where: str) -> Citation:
    if not raw.get("instrument"):
        raise DataError(f"{where}: a citation needs its instrument")
    if not raw.get("source_url"):
        raise DataError(
            f"{where}: citation {raw.get('instrument')} art. {raw.get('article')} has no source_url"
        )
    return Citation(
        instrument=raw["instrument"],
        article=None if raw.get("article") is None else str(raw["article"]),
        verified=bool(raw.get("verified", False)),
        source_url=raw["source_url"],
        note=raw.get("note") or "",
    )


@cache
def load_rulebook() -> Rulebook:
    instruments = load_catalogue()
    crimes = {}
    for raw in _read("crimes.yaml")["crimes"]:
        where = f"crimes.yaml {raw.get('code')}"
        crimes[raw["code"]] = Crime(
            code=raw["code"],
            title=raw["title"],
            defined_by=tuple(citation(c, where) for c in raw["defined_by"]),
            ljhc=raw["ljhc"],
            annex=raw.get("annex"),
            annex_note=raw.get("annex_note") or "",
            annex_source=raw.get("annex_source"),
        )
    for instrument in instruments.values():
        scope = instrument.scope or {}
        listed = scope.get("crimes")
        if isinstance(listed, list) and not set(listed) <= set(crimes):
            unknown = sorted(set(listed) - set(crimes))
            raise DataError(f"{instrument.id}.yaml: scope names unknown crimes {unknown}")
        if instrument.supplements and instrument.supplements not in instruments:
            raise DataError(f"{instrument.id}.yaml: supplements unknown {instrument.supplements!r}")
    kinds = {k.value for k in CooperationKind}
    laws = []
    for raw in _read("national_law.yaml")["laws"]:
        where = f"national_law.yaml {raw.get('id')}"
        if not set(raw["kinds"]) <= kinds:
            raise DataError(f"{where}: unknown kinds {raw['kinds']}")
        laws.append(
            NationalLaw(
                id=raw["id"],
                state=raw["state"],
                title=raw["title"],
                kinds=frozenset(raw["kinds"]),
                reciprocity=bool(raw["reciprocity"]),
                citations=tuple(citation(c, where) for c in raw["citations"]),
                gaps=tuple(raw.get("gaps") or ()),
            )
        )
    rules = []
    for raw in _read("precedence.yaml")["rules"]:
        where = f"precedence.yaml {raw.get('superseding')}"
        named = {raw["superseding"], *raw["superseded"]}
        if not named <= set(instruments):
            raise DataError(f"{where}: unknown instruments {sorted(named - set(instruments))}")
        rules.append(
            PrecedenceRule(
                superseding=raw["superseding"],
                superseded=frozenset(raw["superseded"]),
                kinds=frozenset(raw["kinds"]),
                text=raw["text"],
                citation=citation(
                    {"instrument": raw["superseding"], **raw, "note": raw.get("note")}, where
                ),
            )
        )
    return Rulebook(instruments, crimes, tuple(laws), tuple(rules))
