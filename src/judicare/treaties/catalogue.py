"""The instrument catalogue: one YAML file per instrument under `data/instruments/`.

The loader refuses a file that breaks the rules of legal data: a value without a source,
a date that is not a date, an unknown key, a kind or action outside the vocabulary, or a
participation file that is not shipped. It reads files, so it sits at the edge; what it
returns are the pure values of `domain`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from judicare.errors import DataError, UnknownInstrument
from judicare.treaties.domain import (
    ActionKind,
    Anchor,
    Completeness,
    Delay,
    EntryIntoForceRule,
    Instrument,
    Sourced,
    StateOverride,
    TemporalLimit,
    TimingRule,
    WithdrawalRule,
)

COOPERATION_KINDS = (
    "mla",
    "extradition",
    "provisional_arrest",
    "transfer_of_proceedings",
    "transfer_of_sentenced_person",
    "jit",
)
ROLES = ("cooperation", "safeguard", "court")
_TOP_KEYS = {
    "id", "title", "short_title", "role", "adopted", "opened_for_signature", "depositary",
    "known_entry_into_force", "kinds", "entry_into_force", "withdrawal", "participation",
    "sources", "gaps", "state_overrides", "bound_at_latest", "row_interpretations",
    "cross_check", "scope", "supplements", "channels", "time_limits",
    "provisional_application", "temporal_limits", "one_side",
}  # fmt: skip


def data_root() -> Path:
    return Path(str(resources.files("judicare.treaties") / "data"))


def participation_dir() -> Path:
    return data_root() / "participation"


@cache
def load_catalogue(directory: Path | None = None) -> dict[str, Instrument]:
    """Every instrument in the catalogue, by id, in id order."""
    directory = directory or data_root() / "instruments"
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DataError(f"no instrument files in {directory}")
    instruments = [parse_instrument(path) for path in files]
    return {i.id: i for i in sorted(instruments, key=lambda i: i.id)}


def get_instrument(instrument_id: str) -> Instrument:
    catalogue = load_catalogue()
    try:
        return catalogue[instrument_id.strip().lower()]
    except KeyError:
        raise UnknownInstrument(
            f"unknown instrument {instrument_id!r}: known ids are {', '.join(catalogue)}"
        ) from None


def parse_instrument(path: Path) -> Instrument:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"{path.name}: not valid YAML: {exc}") from exc
    where = path.name
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a mapping at the top")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise DataError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    if raw.get("id") != path.stem:
        raise DataError(f"{where}: id {raw.get('id')!r} must match the file name {path.stem!r}")
    role = _require(raw, "role", where)
    if role not in ROLES:
        raise DataError(f"{where}: role {role!r} must be one of {ROLES}")
    participation = _require(raw, "participation", where)
    files = tuple(participation.get("files") or ())
    for name in files:
        if not (participation_dir() / name).is_file():
            raise DataError(f"{where}: participation file {name!r} is not shipped in the package")
    cross = raw.get("cross_check") or {}
    for name in cross.get("files") or ():
        if not (participation_dir() / name).is_file():
            raise DataError(f"{where}: cross-check file {name!r} is not shipped in the package")
    try:
        completeness = Completeness(participation.get("completeness"))
    except ValueError:
        raise DataError(
            f"{where}: participation.completeness must be one of {[c.value for c in Completeness]}"
        ) from None
    return Instrument(
        id=raw["id"],
        title=_require(raw, "title", where),
        short_title=raw.get("short_title") or raw["title"],
        role=role,
        adopted=_sourced(raw, "adopted", where, date),
        opened_for_signature=_sourced(raw, "opened_for_signature", where, date),
        depositary=_sourced(raw, "depositary", where, str),
        known_entry_into_force=_sourced(raw, "known_entry_into_force", where, date),
        kinds=tuple(_kinds(raw.get("kinds") or [], where)),
        entry_into_force=_eif_rule(_require(raw, "entry_into_force", where), where),
        withdrawal=_withdrawal_rule(_require(raw, "withdrawal", where), where),
        completeness=completeness,
        participation_files=files,
        participation_as_of=_as_text(participation.get("as_of")),
        participation_note=participation.get("note") or "",
        sources=tuple(raw.get("sources") or ()),
        gaps=tuple(_gap_text(g) for g in raw.get("gaps") or ()),
        state_overrides=tuple(_overrides(raw.get("state_overrides") or [], where)),
        bound_at_latest=(
            _sourced(raw, "bound_at_latest", where, date) if raw.get("bound_at_latest") else None
        ),
        row_interpretations=tuple(_interpretations(raw.get("row_interpretations") or [], where)),
        cross_check_files=tuple(cross.get("files") or ()),
        scope=_scope(raw.get("scope"), where),
        supplements=raw.get("supplements"),
        channels=tuple(_channels(raw.get("channels") or [], where)),
        provisional_application=(
            _sourced(raw, "provisional_application", where, date)
            if raw.get("provisional_application")
            else None
        ),
        temporal_limits=tuple(_temporal_limits(raw.get("temporal_limits") or [], where)),
        one_side=_one_side(raw.get("one_side"), where),
        raw=raw,
    )


def _require(raw: dict[str, Any], key: str, where: str) -> Any:
    if raw.get(key) in (None, ""):
        raise DataError(f"{where}: {key!r} is required")
    return raw[key]


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _sourced(raw: dict[str, Any], key: str, where: str, kind: type) -> Sourced:
    block = raw.get(key)
    if not isinstance(block, dict) or "value" not in block:
        raise DataError(f"{where}: {key!r} must be a mapping with value, source_url, citation")
    value = block.get("value")
    if value is not None:
        if kind is date and not isinstance(value, date):
            raise DataError(f"{where}: {key}.value {value!r} is not a date (YYYY-MM-DD)")
        if not block.get("source_url"):
            raise DataError(f"{where}: {key} has a value but no source_url; a fact needs a source")
    elif not block.get("note"):
        raise DataError(f"{where}: {key} has no value and no note saying why")
    return Sourced(
        value=value,
        source_url=block.get("source_url"),
        citation=block.get("citation"),
        note=block.get("note"),
        disagreements=tuple(block.get("disagreements") or ()),
    )


def _kinds(items: list[Any], where: str) -> Iterator[Any]:
    for item in items:
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in COOPERATION_KINDS:
            raise DataError(f"{where}: kind {kind!r} must be one of {COOPERATION_KINDS}")
        if not item.get("source_url"):
            raise DataError(f"{where}: kind {kind!r} has no source_url")
        yield item


def _delay(block: Any, where: str) -> Delay | None:
    if block is None:
        return None
    if not isinstance(block, dict) or len(block) != 1:
        raise DataError(
            f"{where}: a delay is exactly one of {{days: N}}, {{months: N}}, {{years: N}}"
        )
    ((unit, amount),) = block.items()
    if unit not in ("days", "months", "years") or not isinstance(amount, int) or amount < 0:
        raise DataError(f"{where}: bad delay {block!r}")
    return Delay(**{unit: amount})


def _timing(block: dict[str, Any], where: str) -> TimingRule | None:
    delay = _delay(block.get("delay"), where)
    anchor = block.get("anchor")
    if delay is None and anchor is None:
        return None
    if delay is None or anchor is None:
        raise DataError(f"{where}: a timing rule needs both delay and anchor")
    try:
        return TimingRule(delay=delay, anchor=Anchor(anchor))
    except ValueError:
        raise DataError(
            f"{where}: anchor {anchor!r} must be one of {[a.value for a in Anchor]}"
        ) from None


def _eif_rule(block: dict[str, Any], where: str) -> EntryIntoForceRule:
    where = f"{where}: entry_into_force"
    counted = block.get("counted_actions") or []
    try:
        counted_kinds = frozenset(ActionKind(a) for a in counted)
    except ValueError as exc:
        raise DataError(f"{where}: {exc}") from None
    required = block.get("instruments_required")
    if required is not None and (not isinstance(required, int) or required < 1):
        raise DataError(f"{where}: instruments_required must be a positive integer or null")
    timing = _timing(block, where)
    later = block.get("later_states")
    _need_source(block, where)
    return EntryIntoForceRule(
        instruments_required=required,
        counted_actions=counted_kinds,
        timing=timing,
        later_states=_timing(later, f"{where}.later_states") if later else None,
        article=_as_text(block.get("article")),
        source_url=block.get("source_url"),
        verified=bool(block.get("verified")),
        summary=block.get("summary") or "",
    )


def _withdrawal_rule(block: dict[str, Any], where: str) -> WithdrawalRule:
    where = f"{where}: withdrawal"
    _need_source(block, where)
    return WithdrawalRule(
        delay=_delay(block.get("delay"), where),
        article=_as_text(block.get("article")),
        source_url=block.get("source_url"),
        verified=bool(block.get("verified")),
        summary=block.get("summary") or "",
    )


def _need_source(block: dict[str, Any], where: str) -> None:
    has_rule = block.get("delay") is not None or block.get("instruments_required") is not None
    if has_rule and not block.get("source_url"):
        raise DataError(f"{where}: a rule needs a source_url")


def _overrides(items: list[Any], where: str) -> Iterator[Any]:
    for item in items:
        if not item.get("source_url"):
            raise DataError(f"{where}: state override for {item.get('iso3')!r} has no source_url")
        value = item.get("in_force_from")
        if value is not None and not isinstance(value, date):
            raise DataError(f"{where}: in_force_from {value!r} is not a date")
        until = item.get("in_force_until")
        if until is not None and not isinstance(until, date):
            raise DataError(f"{where}: in_force_until {until!r} is not a date")
        yield StateOverride(
            state=item["iso3"],
            bound=bool(item.get("bound", True)),
            in_force_from=value,
            source_url=item["source_url"],
            note=item.get("note") or "",
            in_force_until=until,
        )


def _one_side(block: Any, where: str) -> str | None:
    if block is None:
        return None
    if not isinstance(block, dict) or not block.get("iso3") or not block.get("source_url"):
        raise DataError(f"{where}: one_side needs iso3 and a source_url")
    return str(block["iso3"])


def _temporal_limits(items: list[Any], where: str) -> Iterator[Any]:
    for item in items:
        state = item.get("iso3") if isinstance(item, dict) else None
        if not state:
            raise DataError(f"{where}: a temporal limit needs its iso3")
        if not item.get("source_url"):
            raise DataError(f"{where}: temporal limit for {state!r} has no source_url")
        dates = {}
        for key in ("acts_before", "not_later_than"):
            value = item.get(key)
            if value is not None and not isinstance(value, date):
                raise DataError(f"{where}: temporal limit {state} {key} {value!r} is not a date")
            dates[key] = value
        if dates["acts_before"] is None and not item.get("note"):
            raise DataError(f"{where}: temporal limit {state} has no date and no note saying why")
        yield TemporalLimit(
            state=state,
            acts_before=dates["acts_before"],
            not_later_than=dates["not_later_than"],
            article=_as_text(item.get("article")),
            source_url=item["source_url"],
            note=item.get("note") or "",
        )


def _interpretations(items: list[Any], where: str) -> Iterator[Any]:
    for item in items:
        if item.get("meaning") != "effective_date" or item.get("action") != "withdrawal":
            raise DataError(
                f"{where}: row_interpretations support only withdrawal rows whose date is "
                "the effective date (meaning: effective_date)"
            )
        if not item.get("reason"):
            raise DataError(f"{where}: a row interpretation needs its reason")
        yield item


def _scope(block: Any, where: str) -> dict[str, Any] | None:
    """Which crimes the instrument covers: "all", or a list of crime codes (checked against
    the crime catalogue by the legal-basis loader)."""
    if block is None:
        return None
    crimes = block.get("crimes")
    if crimes != "all" and not (isinstance(crimes, list) and crimes):
        raise DataError(f"{where}: scope.crimes must be 'all' or a list of crime codes")
    if not block.get("source_url"):
        raise DataError(f"{where}: scope needs a source_url")
    return dict(block)


def _channels(items: list[Any], where: str) -> Iterator[Any]:
    for item in items:
        if item.get("kind") not in COOPERATION_KINDS:
            raise DataError(f"{where}: channel kind {item.get('kind')!r} is not a cooperation kind")
        if not item.get("source_url") or not item.get("channel"):
            raise DataError(f"{where}: a channel needs its text and a source_url")
        yield dict(item)


def _gap_text(gap: object) -> str:
    """A gap is a sentence; YAML reads "- Partial data: ..." as a one-key mapping."""
    if isinstance(gap, dict):
        return "; ".join(f"{key}: {value}" for key, value in gap.items())
    return str(gap)
