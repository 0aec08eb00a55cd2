"""The audit trail's hash chain (judicare.audit.chain), pure: entries in, problems out.
Each way of tampering with a trail is one row of the table, with the problems `verify`
must name."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest

from judicare.audit.chain import GENESIS, canonical_time, entry_hash, verify

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor: str
    action: str
    tag: str
    subject_type: str
    subject_id: str
    why: str
    details: dict = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def _sealed(entry: Entry) -> Entry:
    content = {
        f.name: getattr(entry, f.name) for f in dataclasses.fields(entry) if f.name != "hash"
    }
    return dataclasses.replace(entry, hash=entry_hash(**content))


def _trail(n: int) -> list[Entry]:
    entries, previous = [], GENESIS
    for seq in range(1, n + 1):
        entry = _sealed(Entry(seq=seq, at=T0 + timedelta(minutes=seq), actor=f"user{seq % 2}",
                              action="request.create", tag="mla", subject_type="request",
                              subject_id=str(seq), why="intake", details={"n": seq, "name": "Жанар"},
                              prev_hash=previous))  # fmt: skip
        entries.append(entry)
        previous = entry.hash
    return entries


def _alter(trail, index, **changes):
    trail[index] = dataclasses.replace(trail[index], **changes)
    return trail


def _reseal(trail, index, **changes):
    """An attacker who changes an entry and recomputes its own hash (not the later links)."""
    trail[index] = _sealed(dataclasses.replace(trail[index], **changes))
    return trail


TAMPERING = [
    # (name, what is done to a trail of five entries, the problems (seq, kind) named)
    ("untouched", lambda t: t, []),
    ("a detail changed", lambda t: _alter(t, 2, details={"n": 99}), [(3, "altered")]),
    ("the reason changed", lambda t: _alter(t, 0, why="other"), [(1, "altered")]),
    ("the time moved", lambda t: _alter(t, 4, at=T0), [(5, "altered")]),
    ("changed and resealed", lambda t: _reseal(t, 1, actor="mallory"), [(3, "broken_link")]),
    ("the last entry removed", lambda t: t[:4], []),  # the checkpoints catch this one
    ("the first entry removed", lambda t: t[1:], [(1, "missing"), (2, "broken_link")]),
    ("a middle entry removed", lambda t: t[:2] + t[3:], [(3, "missing"), (4, "broken_link")]),
    ("two entries removed", lambda t: t[:1] + t[3:], [(2, "missing"), (4, "broken_link")]),
    ("two entries swapped", lambda t: [t[0], t[2], t[1], t[3], t[4]],
     [(2, "missing"), (3, "broken_link"), (2, "out_of_order"), (2, "broken_link"),
      (3, "missing"), (4, "broken_link")]),
    ("a forged first link", lambda t: _reseal(t, 0, prev_hash="f" * 64), [(1, "broken_link"), (2, "broken_link")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "problems"), [(t, p) for _, t, p in TAMPERING], ids=[n for n, _, _ in TAMPERING]
)
def test_verify_names_each_tampering(tamper, problems):
    found = verify(tamper(_trail(5)))
    assert [(p.seq, p.kind) for p in found] == problems
    for problem in found:
        assert str(problem.seq) in problem.message


def test_an_empty_trail_is_sound():
    assert verify([]) == []


def test_the_message_names_the_range_of_missing_entries():
    (missing, _) = verify(_trail(6)[:1] + _trail(6)[4:])
    assert missing.message == "entries 2 to 4 missing: the sequence jumps to 5"


def test_the_hash_covers_every_field():
    entry = _trail(1)[0]
    content = {
        f.name: getattr(entry, f.name) for f in dataclasses.fields(entry) if f.name != "hash"
    }
    original = entry_hash(**content)
    for name, other in [("seq", 2), ("at", T0 + timedelta(microseconds=1)), ("actor", "x"),
                        ("action", "x"), ("tag", "x"), ("subject_type", "x"), ("subject_id", "x"),
                        ("why", "x"), ("details", {"n": 2}), ("prev_hash", "1" * 64)]:  # fmt: skip
        assert entry_hash(**{**content, name: other}) != original, name


def test_the_hash_does_not_depend_on_key_order_or_the_time_zone_given():
    entry = _trail(1)[0]
    content = {
        f.name: getattr(entry, f.name) for f in dataclasses.fields(entry) if f.name != "hash"
    }
    reordered = {**content, "details": {"name": "Жанар", "n": 1}}
    brussels = {**content, "at": entry.at.astimezone(timezone(timedelta(hours=1)))}
    naive = {**content, "at": entry.at.replace(tzinfo=None)}  # SQLite: naive means UTC
    assert entry_hash(**reordered) == entry_hash(**brussels) == entry_hash(**naive) == entry.hash


def test_canonical_time_is_utc_with_microseconds():
    moment = datetime(2026, 1, 2, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=3)))
    assert canonical_time(moment) == "2026-01-02T01:05:06.000007Z"
