"""The frozen evaluation split (bench/data/names) is what its documented rule gives."""

from __future__ import annotations

import pytest

from bench import names_split


def test_the_rule_is_a_fixed_hash_of_the_entity_id():
    assert names_split.held_out("wd-ru:путин") == names_split.held_out("wd-ru:путин")
    sides = [names_split.side(f"cases:{n}") for n in range(1000)]
    assert 300 < sides.count("heldout") < 500  # about 40 %


@pytest.mark.skipif(not names_split.DATA.exists(), reason="the shared name data is not here")
def test_the_frozen_files_are_what_the_rule_gives():
    built = names_split.build()
    for name, rows in built.items():
        frozen = (names_split.OUT / f"{name}.jsonl").read_text(encoding="utf-8")
        assert frozen == names_split._lines(rows), name
    keys = {q["key"] for q in built["tuning"]} & {q["key"] for q in built["heldout"]}
    assert not keys  # no entity on both sides
