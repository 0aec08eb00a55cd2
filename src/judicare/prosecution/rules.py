"""Aut dedere aut judicare (issue 20): which refusals of extradition oblige the requested
state to submit the case for prosecution, and the steps the obligation goes through. Pure.

A trigger applies when the refusal meets its condition (refused on nationality; a crime the
instrument covers) and its instrument binds both states ("yes" in the register; "unknown"
is reported, never taken as "no", so that a person checks it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
EXTRADITION_KINDS = ("extradition", "provisional_arrest")


@cache
def rules_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "rules.yaml").read_text(encoding="utf-8"))
    for name, trigger in data["triggers"].items():
        for cite in trigger["citations"]:
            if cite.get("source") not in data["sources"] or "verified" not in cite:
                raise ValueError(f"trigger {name}: every citation needs a source and verified")
    return data


def trigger_instruments() -> set[str]:
    return {c["instrument"] for t in rules_data()["triggers"].values() for c in t["citations"]}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal of extradition as the rule sees it. `binding` maps an instrument to
    {"requesting": yes|no|unknown, "requested": ...} on the date of the decision."""

    kind: str
    grounds: frozenset[str]  # the findings the refusal cites (nationality, ...)
    crimes: frozenset[str]
    binding: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Duty:
    trigger: str
    citations: tuple[dict[str, Any], ...]
    inform: bool
    on_request: bool
    binding: str  # yes | unknown (both states bound; or one of them unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "citations": list(self.citations),
            "inform_requesting_state": self.inform,
            "on_request_of_requesting_state": self.on_request,
            "binding": self.binding,
        }


def duties(refusal: Refusal) -> list[Duty]:
    """Every duty to submit for prosecution that the refusal creates."""
    if refusal.kind not in EXTRADITION_KINDS:
        return []
    data = rules_data()
    out = []
    for name, trigger in data["triggers"].items():
        when = trigger["when"]
        if "refused_on" in when and when["refused_on"] not in refusal.grounds:
            continue
        if "crimes" in when and not set(when["crimes"]) & refusal.crimes:
            continue
        held = []
        for cite in trigger["citations"]:
            both = refusal.binding.get(cite["instrument"], {})
            states = {both.get("requesting", "unknown"), both.get("requested", "unknown")}
            if "no" in states:
                continue
            held.append(("unknown" if "unknown" in states else "yes", cite))
        if not held:
            continue
        status = "yes" if any(s == "yes" for s, _ in held) else "unknown"
        out.append(
            Duty(
                trigger=name,
                citations=tuple(_cited(c, s, data) for s, c in held),
                inform=bool(trigger.get("inform")),
                on_request=bool(trigger.get("on_request_of_requesting_state")),
                binding=status,
            )
        )
    return out


def _cited(cite: dict[str, Any], binding: str, data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in cite.items() if k != "source"}
    return {**out, "source_url": data["sources"][cite["source"]], "binding": binding}


def due_date(decided_on: date) -> date:
    return decided_on + timedelta(days=int(rules_data()["target_days"]))


def statuses() -> list[str]:
    return list(rules_data()["statuses"])


def outcomes() -> list[str]:
    return list(rules_data()["outcomes"])


def check_step(current: str, new: str, outcome: str | None) -> None:
    """The obligation moves one step forward at a time; it closes only with an outcome."""
    order = statuses()
    if new not in order:
        raise ValueError(f"status {new!r} is not one of {', '.join(order)}")
    if current == "closed":
        raise ValueError("the obligation is closed; its outcome stays as recorded")
    if order.index(new) != order.index(current) + 1:
        raise ValueError(
            f"the obligation is {current}: the next step is {order[order.index(current) + 1]}"
        )
    if new == "closed" and outcome not in outcomes():
        raise ValueError(f"closing needs an outcome: one of {', '.join(outcomes())}")
    if new != "closed" and outcome is not None:
        raise ValueError("an outcome is given only when the obligation closes")


def is_overdue(status: str, due: date, today: date) -> bool:
    return status != "closed" and due < today


SUPPRESS_BELOW = 5  # counts under this are shown as "<5" (small-count suppression)


def suppressed(counts: Mapping[str, int]) -> dict[str, int | str]:
    """Aggregate counts with small numbers hidden, so that no one case can be singled out."""
    return {
        k: (v if v == 0 or v >= SUPPRESS_BELOW else f"<{SUPPRESS_BELOW}") for k, v in counts.items()
    }
