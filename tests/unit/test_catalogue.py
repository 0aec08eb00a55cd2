"""The instrument catalogue: every instrument loads, every fact has a source, and the
loader refuses data that breaks the rules."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from judicare.errors import DataError, UnknownInstrument
from judicare.treaties.catalogue import get_instrument, load_catalogue, parse_instrument

REQUIRED = (
    "lhc-2023", "rome-1998", "genocide-1948", "cat-1984", "ced-2006", "refugee-1951",
    "refugee-protocol-1967", "iccpr-op2-1989", "echr-p6", "echr-p13", "coe-mla-1959",
    "coe-mla-1959-p2", "coe-extradition-1957", "eu-eio-2014", "eu-eaw-2002",
)  # fmt: skip


def test_every_required_instrument_is_in_the_catalogue():
    assert set(REQUIRED) <= set(load_catalogue())


@pytest.mark.parametrize("instrument_id", sorted(load_catalogue()))
def test_every_value_carries_its_source(instrument_id):
    instrument = get_instrument(instrument_id)
    for fact in (instrument.adopted, instrument.opened_for_signature, instrument.depositary,
                 instrument.known_entry_into_force):  # fmt: skip
        assert fact.source_url or fact.note
    for kind in instrument.kinds:
        assert kind["source_url"]
    rule = instrument.entry_into_force
    if rule.instruments_required is not None:
        assert rule.source_url
    if not rule.verified:
        assert rule.summary, "an unverified rule must say what is known"


def test_the_ljubljana_the_hague_rule_follows_the_reference_file():
    """reference/convention.md §3.12: 15 instruments (confirmed); timing [UNSURE]."""
    lhc = get_instrument("lhc-2023")
    assert lhc.entry_into_force.instruments_required == 15
    assert lhc.entry_into_force.verified is False
    assert lhc.opened_for_signature.value == date(2024, 2, 14)
    assert lhc.adopted.value == date(2023, 5, 26)
    assert len(lhc.depositary.disagreements) >= 1


def test_participation_without_data_is_unknown():
    assert get_instrument("gc-i-1949").completeness.value == "unknown"
    assert get_instrument("coe-extradition-1957").completeness.value == "partial"


def test_an_unknown_instrument_lists_the_known_ones():
    with pytest.raises(UnknownInstrument, match="lhc-2023"):
        get_instrument("ljubljana")


def _valid() -> dict:
    return yaml.safe_load(
        load_catalogue()["cat-1984"].raw and yaml.safe_dump(load_catalogue()["cat-1984"].raw)
    )


BROKEN = [
    ("a date value without a source", lambda d: d["adopted"].update(source_url=None), "no source_url"),
    ("a date that is not a date", lambda d: d["adopted"].update(value="10 Dec 1984"), "not a date"),
    ("an unknown key", lambda d: d.update(parties=[]), "unknown keys"),
    ("a kind outside the vocabulary", lambda d: d["kinds"].append({"kind": "rendition", "source_url": "x"}), "kind 'rendition'"),
    ("a rule with two delays", lambda d: d["entry_into_force"].update(delay={"days": 1, "months": 1}), "exactly one"),
    ("an unknown anchor", lambda d: d["entry_into_force"].update(anchor="sometime"), "anchor"),
    ("a missing participation file", lambda d: d["participation"].update(files=["nope.csv"]), "not shipped"),
    ("an id that differs from the file name", lambda d: d.update(id="other"), "must match the file name"),
    ("an empty value without a note", lambda d: d["opened_for_signature"].update(value=None, note=None), "no note"),
    ("a rule without a source", lambda d: d["entry_into_force"].update(source_url=None), "needs a source_url"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "breaks", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_loader_refuses(tmp_path, name, breaks, message):
    document = _valid()
    breaks(document)
    path = tmp_path / "cat-1984.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(DataError, match=message):
        parse_instrument(path)
