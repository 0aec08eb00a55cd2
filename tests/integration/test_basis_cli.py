"""`judicare basis`: the CLI contract of the legal-basis issue, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from judicare.cli import app
from tests.integration.depositary_support import add_depositaries

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_the_json_contract(migrated_database_url):
    result = run("basis", "--from", "KZ", "--to", "BEL", "--kind", "mla", "--on", "2024-05-01",
                 "--crime", "torture", "--db", migrated_database_url, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert {"requesting", "requested", "kind", "on", "bases", "fallback", "no_basis_reasons",
            "unknowns"} <= set(answer)  # fmt: skip
    assert (answer["requesting"], answer["requested"], answer["kind"], answer["on"]) == (
        "KAZ", "BEL", "mla", "2024-05-01",
    )  # fmt: skip
    base = answer["bases"][0]
    assert {"instrument", "in_force_since", "citations", "conditions", "precedence"} <= set(base)
    assert base["instrument"] == "cat-1984"
    assert all({"instrument", "article"} <= set(c) for c in base["citations"])


def test_the_seed_case_falls_back_on_belgian_law(migrated_database_url):
    result = run("basis", "--from", "KAZ", "--to", "BE", "--kind", "mla", "--on", "2024-05-01",
                 "--db", migrated_database_url, "--json")  # fmt: skip
    answer = json.loads(result.stdout)
    assert answer["bases"] == []
    assert answer["fallback"]["law"] == "be-mla-2004"
    assert answer["fallback"]["reciprocity"] is True
    assert any(u["instrument"] == "coe-mla-1959" for u in answer["unknowns"])
    # ...but it says that a convention whose participation is unknown may bind both.
    assert answer["fallback"]["conditions"][0]["code"] == "treaty_may_apply"


def test_a_recorded_ratification_changes_the_answer(app, migrated_database_url):
    """The resolver reads the register: record enough ratifications and the Ljubljana–The
    Hague Convention becomes a basis (on its unverified timing rule)."""
    states = ["ALB", "AUT", "BEL", "BGR", "CHL", "HRV", "CZE", "FIN", "FRA", "DEU", "GHA",
              "IRL", "LTU", "LUX"]  # fmt: skip
    add_depositaries(app)
    for state in states:
        done = run(
            "treaty",
            "record",
            "lhc-2023",
            state,
            "ratification",
            "2026-03-02",
            "--db",
            migrated_database_url,
            "--as",
            "eva.depositary",
        )
        assert done.exit_code == 0, done.output
    result = run("basis", "--from", "BEL", "--to", "FRA", "--kind", "mla", "--on", "2026-07-01",
                 "--crime", "genocide", "--db", migrated_database_url, "--json")  # fmt: skip
    bases = {b["instrument"]: b for b in json.loads(result.stdout)["bases"]}
    assert bases["lhc-2023"]["in_force_since"] == "2026-07-01"
    assert "unverified_citation" in {c["code"] for c in bases["lhc-2023"]["conditions"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "XX1", "--to", "BEL", "--kind", "mla", "--on", "2024-01-01"), "unknown state"),
        (
            ("--from", "KAZ", "--to", "BEL", "--kind", "rendition", "--on", "2024-01-01"),
            "unknown kind",
        ),
        (
            ("--from", "KAZ", "--to", "BEL", "--kind", "mla", "--on", "2024-02-30"),
            "not a valid date",
        ),
        (
            (
                "--from",
                "KAZ",
                "--to",
                "BEL",
                "--kind",
                "mla",
                "--on",
                "2024-01-01",
                "--crime",
                "theft",
            ),
            "unknown crime",
        ),
        (
            (
                "--from",
                "KAZ",
                "--to",
                "BEL",
                "--kind",
                "mla",
                "--on",
                "2024-01-01",
                "--conduct-date",
                "yesterday",
            ),
            "not a valid date",
        ),
    ],
)
def test_invalid_input_exits_non_zero_with_one_line(migrated_database_url, args, message):
    result = run("basis", *args, "--db", migrated_database_url, "--json")
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_human_output(migrated_database_url):
    result = run("basis", "--from", "MLT", "--to", "PRT", "--kind", "mla", "--on", "2017-06-01",
                 "--db", migrated_database_url)  # fmt: skip
    assert result.exit_code == 0
    assert "coe-mla-1959" in result.stdout and "conflict" in result.stdout


def test_the_plain_output_leads_with_what_a_person_must_check(database_url):
    result = run("basis", "--from", "KAZ", "--to", "BE", "--kind", "mla", "--on", "2024-05-01",
                 "--db", database_url)  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout
    checks = text.index("To check before relying on this answer")
    assert checks < text.index("No treaty basis is established on this data")
    assert "national law governs only where no instrument binds both states" in text
    assert "where each state stands" in text and "rome-1998" in text
    assert "No treaty basis applies." not in text
    for technical in (".csv", "[UNSURE]", " row "):
        assert technical not in text
