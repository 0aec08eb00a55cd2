"""The shipped participation data, read as it stands: real facts the engine must get right,
and the loader's refusals of rows that break the rules."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from judicare.errors import DataError
from judicare.treaties import reference
from judicare.treaties.catalogue import get_instrument, load_catalogue, participation_dir
from judicare.treaties.participation import build_participation
from judicare.treaties.service import status_report
from judicare.treaties.sources import cross_check

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _participation(instrument_id: str):
    instrument = get_instrument(instrument_id)
    actions, _ = reference.load_actions(instrument)
    return build_participation(instrument, actions)


def _status(instrument_id: str, on: date) -> dict[str, str]:
    report = status_report(_participation(instrument_id), on)
    return {p["state"]: p["status"] for p in report["parties"]}


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared folder is not beside this checkout")
def test_the_shipped_files_are_unchanged_copies_of_the_shared_data():
    """Every file the package ships is a byte-for-byte copy of its source in shared/. Files
    added to shared/ later (e.g. the December 2026 additions) are not shipped until they are
    loaded with their provenance; that is a gap in coverage, not a changed copy."""
    digest = hashlib.sha256
    compared = 0
    for folder in ("treaties", "safeguards"):
        for shipped in (participation_dir() / folder).iterdir():
            source = SHARED / folder / shipped.name
            assert source.is_file(), f"{shipped.name} is shipped but has no source in shared/"
            assert digest(shipped.read_bytes()).digest() == digest(source.read_bytes()).digest()
            compared += 1
    assert compared > 0


@pytest.mark.parametrize("instrument_id", sorted(load_catalogue()))
def test_every_row_keeps_its_source(instrument_id):
    actions, _ = reference.load_actions(get_instrument(instrument_id))
    assert all(a.source_url and a.dataset and a.row_number for a in actions)


def test_the_rome_statute_entry_into_force_computed_from_the_deposits():
    participation = _participation("rome-1998")
    assert participation.entry.threshold_deposit == date(2002, 4, 11)
    assert participation.entry.date == date(2002, 7, 1)
    assert participation.disagreements == ()


def test_the_engine_agrees_with_the_second_rome_statute_list_except_montenegro():
    """rome-statute-parties-with-eif.csv computes art. 126 independently; the only
    difference is Montenegro's succession, whose date was set by hand there."""
    participation = _participation("rome-1998")
    findings = cross_check(participation.instrument, participation)
    assert len(findings) == 1 and findings[0].startswith("MNE:")


def test_burundi_and_the_philippines_left_the_rome_statute():
    assert _status("rome-1998", date(2017, 10, 26))["BDI"] == "party"
    assert _status("rome-1998", date(2017, 10, 27))["BDI"] == "withdrawn"
    assert _status("rome-1998", date(2019, 3, 16))["PHL"] == "party"
    assert _status("rome-1998", date(2019, 3, 17))["PHL"] == "withdrawn"


def test_ukraine_and_armenia_joined_the_rome_statute():
    assert _status("rome-1998", date(2024, 12, 31))["UKR"] == "ratified_pending"
    assert _status("rome-1998", date(2025, 1, 1))["UKR"] == "party"
    assert _status("rome-1998", date(2024, 2, 1))["ARM"] == "party"


def test_the_ljubljana_the_hague_convention_has_one_ratification_and_is_not_in_force():
    report = status_report(_participation("lhc-2023"), date(2026, 11, 23))
    assert report["in_force"] is False
    statuses = {p["state"]: p["status"] for p in report["parties"]}
    assert statuses["LVA"] == "ratified_pending"
    assert sum(1 for s in statuses.values() if s == "signatory") == 39
    assert statuses["XKX"] == "signatory"  # Kosovo, user-assigned code


def test_eio_opt_outs_and_brexit():
    statuses = _status("eu-eio-2014", date(2019, 1, 1))
    assert "DNK" not in statuses and "IRL" not in statuses
    assert statuses["FRA"] == "party" and statuses["GBR"] == "party"
    assert _status("eu-eio-2014", date(2017, 6, 1))["FRA"] == "unknown"
    # EU law applied to the United Kingdom until the end of the transition period.
    assert _status("eu-eio-2014", date(2020, 12, 31))["GBR"] == "party"
    assert _status("eu-eio-2014", date(2021, 1, 1))["GBR"] == "withdrawn"


def test_a_deposit_row_binds_rather_than_the_domestic_ratification():
    record = _participation("achr-dp-1990").states["ARG"]
    assert record.consent_kind.value == "deposit"


ROWS = "iso3,state,action,date,source_url,notes\n"
BAD_ROWS = [
    ("an unknown state", "QQQ,Nowhere,signature,2020-01-01,https://x.test,\n", "unknown state"),
    ("a bad date", "BEL,Belgium,signature,2020-02-30,https://x.test,\n", "not an ISO date"),
    ("an unknown action", "BEL,Belgium,signing,2020-01-01,https://x.test,\n", "unknown action"),
    ("no source", "BEL,Belgium,signature,2020-01-01,,\n", "no source_url"),
    ("a duplicate row", "BEL,Belgium,signature,2020-01-01,https://x.test,\n" * 2, "duplicate"),
]


@pytest.mark.parametrize(("name", "rows", "message"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_the_reference_loader_refuses(monkeypatch, tmp_path, name, rows, message):
    (tmp_path / "bad.csv").write_text(ROWS + rows)
    monkeypatch.setattr(reference, "participation_dir", lambda: tmp_path)
    from dataclasses import replace

    instrument = replace(get_instrument("cat-1984"), participation_files=("bad.csv",))
    with pytest.raises(DataError, match=message) as error:
        reference.load_actions(instrument)
    assert "bad.csv row" in str(error.value)


@pytest.mark.parametrize("instrument_id", sorted(load_catalogue()))
def test_no_state_is_bound_before_its_own_deposit(instrument_id):
    """Whatever the rule and the sources say, an instrument never enters into force for a
    state before that state's own act of consent, except by succession (a successor is bound
    from independence, before its notification: Montenegro and ECHR Protocol 13)."""
    from judicare.treaties.domain import ActionKind

    for state, record in _participation(instrument_id).states.items():
        if record.consent_kind is ActionKind.SUCCESSION:
            continue
        if record.in_force_from and record.consent_date and record.consent_kind:
            assert record.in_force_from >= record.consent_date, (state, record.explanation)


def test_a_stated_date_that_contradicts_the_deposits_does_not_backdate_a_later_state():
    """ICCPR-OP2: the data counts 10 deposits by 1991-09-05 (Norway), a source states entry
    into force on 1991-07-11; Norway is bound three months after its own deposit."""
    norway = _participation("iccpr-op2-1989").states["NOR"]
    assert norway.in_force_from == date(1991, 12, 5)


def test_a_successor_state_is_unknown_before_its_notification_not_absent():
    assert _status("rome-1998", date(2006, 7, 1))["MNE"] == "unknown"


def test_eu_instruments_list_no_state_before_they_existed():
    assert _status("eu-eaw-2002", date(1960, 1, 1)) == {}


def test_a_withdrawal_is_not_shown_before_it_was_notified():
    report = status_report(_participation("rome-1998"), date(2006, 7, 1))
    philippines = next(p for p in report["parties"] if p["state"] == "PHL")
    assert philippines["withdrawal_effective"] is None


def test_status_shows_where_a_second_source_disagrees():
    report = status_report(_participation("rome-1998"), date(2010, 1, 1))
    assert any(d.startswith("MNE:") for d in report["disagreements"])


def test_after_the_data_ends_a_threshold_not_reached_is_unknown():
    lhc = _participation("lhc-2023")
    assert lhc.in_force_on(date(2025, 8, 28)) is False
    assert lhc.in_force_on(date(2026, 11, 23)) is None
    assert status_report(lhc, date(2026, 11, 23))["in_force_status"] == "unknown"


def test_no_complete_label_is_older_than_its_own_rows():
    """A file marked complete speaks up to its date; a row after that date (Hungary's
    withdrawal notice in 2025 against a 2024 label) means the label is stale."""
    from judicare.treaties.participation import data_as_of

    for instrument in load_catalogue().values():
        if instrument.completeness.value != "complete":
            continue
        as_of = data_as_of(instrument)
        assert as_of is not None, instrument.id
        actions, _ = reference.load_actions(instrument)
        latest = max((a.date for a in actions if a.date), default=None)
        assert latest is None or latest <= as_of, (instrument.id, latest, as_of)


def test_hungary_withdraws_from_the_rome_statute_one_year_after_its_notice():
    rome = _participation("rome-1998")
    assert rome.state_status_on("HUN", date(2026, 6, 1)).value == "party"
    assert rome.state_status_on("HUN", date(2026, 6, 2)).value == "withdrawn"
