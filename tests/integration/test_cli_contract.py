"""The CLI contract written in the foundation issue: JSON shapes and exit codes. External
checks rely on these; they run here on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from judicare.cli import app
from tests.integration.depositary_support import add_depositaries

runner = CliRunner()


@pytest.fixture
def db(app, migrated_database_url) -> str:
    add_depositaries(app)
    return migrated_database_url


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def run_json(*args: str):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_db_upgrade_then_treaty_list(database_url):
    db = database_url  # empty: `db upgrade` builds it
    assert run("db", "upgrade", "--db", db).exit_code == 0
    instruments = run_json("treaty", "list", "--db", db)
    ids = {i["id"] for i in instruments}
    required = {
        "lhc-2023", "rome-1998", "genocide-1948", "cat-1984", "ced-2006", "refugee-1951",
        "refugee-protocol-1967", "iccpr-op2-1989", "echr-p6", "echr-p13", "coe-mla-1959",
        "coe-mla-1959-p2", "coe-extradition-1957", "eu-eio-2014", "eu-eaw-2002",
    }  # fmt: skip
    assert required <= ids
    for instrument in instruments:
        assert {"id", "title", "depositary", "kinds"} <= set(instrument)
        assert isinstance(instrument["kinds"], list)


def test_treaty_status_shape_and_the_rome_statute_on_its_first_day(db):
    before = run_json("treaty", "status", "rome-1998", "--on", "2002-06-30", "--db", db)
    after = run_json("treaty", "status", "rome-1998", "--on", "2002-07-01", "--db", db)
    assert set(after) >= {"instrument", "on", "in_force", "entry_into_force", "parties"}
    assert (before["in_force"], after["in_force"]) == (False, True)
    assert after["entry_into_force"] == "2002-07-01" and after["on"] == "2002-07-01"
    statuses = {"party", "ratified_pending", "signatory", "withdrawn", "unknown"}
    for party in after["parties"]:
        assert {"state", "status", "in_force_from"} <= set(party)
        assert len(party["state"]) == 3 and party["status"] in statuses
    assert {p["status"] for p in before["parties"]} <= {"ratified_pending", "signatory"}


def test_withdrawals_from_the_rome_statute(db):
    report = run_json("treaty", "status", "rome-1998", "--on", "2019-03-17", "--db", db)
    by_state = {p["state"]: p for p in report["parties"]}
    assert by_state["BDI"]["status"] == "withdrawn"
    assert by_state["PHL"]["status"] == "withdrawn"
    earlier = run_json("treaty", "status", "rome-1998", "--on", "2019-03-16", "--db", db)
    assert {p["state"]: p["status"] for p in earlier["parties"]}["PHL"] == "party"


def test_status_accepts_alpha2_and_the_default_date(db):
    result = run("treaty", "status", "lhc-2023", "--db", db, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["in_force"] is False


def test_participation_unknown_is_said_not_guessed(db):
    report = run_json("treaty", "status", "gc-i-1949", "--on", "2020-01-01", "--db", db)
    assert report["participation_data"] == "unknown"
    assert report["unlisted_states"] == "unknown"
    partial = run_json("treaty", "status", "coe-extradition-1957", "--on", "2020-01-01", "--db", db)
    assert partial["unlisted_states"] == "unknown"


EVA = ("--as", "eva.depositary")


def test_record_prints_the_notification_number(db):
    result = run("treaty", "record", "lhc-2023", "BE", "ratification", "2026-01-10", "--db", db,
                 *EVA)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "notification no. 1" in result.stdout and "draft" in result.stdout
    again = run("treaty", "record", "lhc-2023", "DE", "ratification", "2026-01-11", "--db", db,
                "--json", *EVA)  # fmt: skip
    assert json.loads(again.stdout)["number"] == 2
    assert json.loads(again.stdout)["issued_at"] is None
    # drafts until another depositary officer issues them (four eyes)
    assert run_json("treaty", "notifications", "lhc-2023", "--db", db) == []
    refused = run("treaty", "issue", "lhc-2023", "1", "--db", db, *EVA)
    assert refused.exit_code != 0 and "four eyes" in refused.stderr
    for number in ("1", "2"):
        issued = run("treaty", "issue", "lhc-2023", number, "--db", db, "--as", "jan.depositary")
        assert issued.exit_code == 0, issued.output
    notifications = run_json("treaty", "notifications", "lhc-2023", "--db", db)
    assert [n["number"] for n in notifications] == [1, 2]
    assert all(n["text_en"] and n["text_fr"] for n in notifications)


def test_record_needs_a_depositary_officer(db, app):
    from judicare.auth.service import create_user

    missing = run("treaty", "record", "lhc-2023", "BE", "ratification", "2026-01-10", "--db", db)
    assert missing.exit_code != 0 and "--as" in missing.output
    with app.unit_of_work() as uow:
        create_user(uow.session, username="olga.officer", password="x" * 12, role="officer",
                    authority_id="BEL-DEP")  # fmt: skip
        uow.commit()
    refused = run("treaty", "record", "lhc-2023", "BE", "ratification", "2026-01-10", "--db", db,
                  "--as", "olga.officer")  # fmt: skip
    assert refused.exit_code != 0
    assert run_json("treaty", "notifications", "lhc-2023", "--db", db) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lhc-2023", "ZZZ", "signature", "2025-01-01"), "unknown state 'ZZZ'"),
        (("no-such-treaty", "BE", "signature", "2025-01-01"), "unknown instrument"),
        (("lhc-2023", "BE", "signing", "2025-01-01"), "unknown action 'signing'"),
        (("lhc-2023", "BE", "signature", "2023-02-30"), "not a valid date"),
        (("lhc-2023", "KAZ", "ratification", "2025-01-01"), "without a prior signature"),
        (("lhc-2023", "BE", "signature", "2024-02-14"), "duplicate"),
        (("lhc-2023", "BE", "signature", "2023-01-01"), "before lhc-2023 opened for signature"),
        (("lhc-2023", "KAZ", "accession", "2099-01-01"), "in the future"),
        (
            ("rome-1998", "BDI", "declaration", "2020-01-01", "--note", "x"),
            "withdrawal took effect",
        ),
    ],
)
def test_an_invalid_action_exits_non_zero_with_one_line(db, args, message):
    result = run("treaty", "record", *args, "--db", db, *EVA)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]


@pytest.mark.parametrize(
    ("word", "stored"), [("denunciation", "withdrawal"), ("Full-Powers", "full_powers")]
)
def test_officers_words_for_actions_are_understood(db, word, stored):
    args = ("rome-1998", "DEU", word, "2026-01-10", "--db", db, "--json", *EVA)
    result = run("treaty", "record", *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == stored


def test_import_is_all_or_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "instrument,iso3,action,date,source_url,notes\n"
        "lhc-2023,BE,ratification,2026-01-10,https://example.org/1,\n"
        "lhc-2023,KAZ,ratification,2026-01-10,https://example.org/2,\n"
    )
    result = run("treaty", "import", str(bad), "--db", db, *EVA)
    assert result.exit_code != 0
    assert "row 3" in result.stderr and "without a prior signature" in result.stderr
    assert run_json("treaty", "notifications", "lhc-2023", "--db", db) == []
    good = tmp_path / "good.csv"
    good.write_text(
        "instrument,iso3,action,date,source_url,notes\n"
        ",BE,ratification,2026-01-10,https://example.org/1,\n"
    )
    result = run("treaty", "import", str(good), "--instrument", "lhc-2023", "--db", db, *EVA)
    assert result.exit_code == 0, result.output
    assert run_json("treaty", "notifications", "lhc-2023", "--db", db) == []  # a draft
    issued = run("treaty", "issue", "lhc-2023", "1", "--db", db, "--as", "jan.depositary")
    assert issued.exit_code == 0, issued.output
    assert len(run_json("treaty", "notifications", "lhc-2023", "--db", db)) == 1


def test_import_names_a_wrong_header(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("iso3,action,date\nBE,signature,2025-01-01\n")
    result = run("treaty", "import", str(bad), "--db", db, *EVA)
    assert result.exit_code != 0 and "header" in result.stderr


def test_sources_show_where_every_fact_came_from(db):
    report = run_json("treaty", "sources", "rome-1998", "--db", db)
    assert report["entry_into_force_rule"]["article"] == "126"
    assert all(f["source_url"] or f["note"] for f in report["facts"])
    assert report["participation"]["files"][0]["sha256"]
    assert any("MNE" in d for d in report["disagreements"])
    human = run("treaty", "sources", "lhc-2023", "--db", db)
    assert human.exit_code == 0 and "UNVERIFIED" in human.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("treaty", "status", "rome-1998", "--on", "2002-13-01"),
        ("treaty", "status", "nope"),
        ("treaty", "notifications", "nope"),
    ],
)
def test_bad_queries_fail_with_one_line(db, args):
    result = run(*args, "--db", db)
    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_is_named():
    result = run("treaty", "list", "--db", "postgresql://postgres@127.0.0.1:1/none")
    assert result.exit_code != 0
    assert "cannot connect to the database" in result.stderr


def test_after_the_data_ends_an_unlisted_state_is_unknown_not_not_party(db):
    before = run_json("treaty", "status", "rome-1998", "--on", "2025-06-01", "--db", db)
    assert before["unlisted_states"] == "not_party"
    after = run_json("treaty", "status", "rome-1998", "--on", "2026-06-02", "--db", db)
    assert after["unlisted_states"] == "unknown"
    assert "may have joined since" in after["unlisted_states_note"]
    hungary = {p["state"]: p["status"] for p in after["parties"]}["HUN"]
    assert hungary == "withdrawn"
    for caveat in after["caveats"]:
        assert ".csv" not in caveat and "UNSURE" not in caveat


def test_before_an_instrument_existed_it_was_not_yet_open(db):
    report = run_json("treaty", "status", "lhc-2023", "--on", "2020-01-01", "--db", db)
    assert report["unlisted_states"] == "not_party"  # the contract's value is kept
    assert "not yet open for signature" in report["unlisted_states_note"]
