"""The lawyer-readable cases of issue 20's rules, next to each rule: who may learn of a
protection measure, what a measure needs, which rule governs competing requests, which
refusals oblige the requested state to prosecute (aut dedere aut judicare)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from judicare.competing import rules as competing
from judicare.prosecution import rules as prosecution
from judicare.victims import rules as victims

SRC = Path(__file__).resolve().parents[2] / "src" / "judicare"


def _cases(path: str) -> list[dict]:
    data = yaml.safe_load((SRC / path).read_text(encoding="utf-8"))
    return [pytest.param(c, id=c["name"]) for c in data["cases"]]


@pytest.mark.parametrize("case", _cases("victims/cases/disclosure.yaml"))
def test_disclosure(case):
    verdict = victims.disclosure(recipient=case["recipient"],
                                 request_states=case["request_states"],
                                 withhold_from=case["withhold_from"])  # fmt: skip
    assert verdict.allowed is case["allowed"], verdict.reason


@pytest.mark.parametrize("case", _cases("victims/cases/completeness.yaml"))
def test_completeness(case):
    got = victims.completeness(case["measure"], case["data"],
                               interpreter_needed=case.get("interpreter_needed", False))  # fmt: skip
    assert [m["field"] for m in got.missing] == case["missing"]
    assert got.complete is (not case["missing"])
    for field, article in case.get("cited", {}).items():
        cite = next(m["citation"] for m in got.missing if m["field"] == field)
        assert cite["article"] == article and cite["verified"] is True and cite["source_url"]


@pytest.mark.parametrize("case", _cases("competing/cases/governing.yaml"))
def test_competing(case):
    got = competing.governing(competing.CompetingFacts(**case["facts"]))
    expect = case["expect"]
    assert (got.rule, got.outcome) == (expect["rule"], expect["outcome"])
    if "article" in expect:
        assert [c["article"] for c in got.citations] == [expect["article"]]
        assert all(c["verified"] and c["source_url"] for c in got.citations)
    assert list(got.criteria) == expect.get("criteria", [])
    assert list(got.questions) == expect.get("questions", [])
    if case["facts"]["court"]:
        assert [d["article"] for d in got.duties] == ["90(1)", "90(8)"]


def _duties_cases():
    data = yaml.safe_load((SRC / "prosecution/cases/duties.yaml").read_text(encoding="utf-8"))
    base = data["defaults"]["binding_all_no"]
    return [pytest.param(c, base, id=c["name"]) for c in data["cases"]]


@pytest.mark.parametrize(("case", "base"), _duties_cases())
def test_duties(case, base):
    binding = {i: {"requesting": a, "requested": b}
               for i, (a, b) in {**base, **case["binding"]}.items()}  # fmt: skip
    refusal = prosecution.Refusal(case["kind"], frozenset(case["grounds"]),
                                  frozenset(case["crimes"]), binding)  # fmt: skip
    got = {d.trigger: d for d in prosecution.duties(refusal)}
    assert {t: [c["article"] for c in d.citations] for t, d in got.items()} == case["expect"]
    for trigger in case.get("inform", []):
        assert got[trigger].inform is True
    for trigger, status in case.get("binding_status", {}).items():
        assert got[trigger].binding == status


def test_every_trigger_cites_a_read_article_and_no_unconfirmed_convention_article():
    for name, trigger in prosecution.rules_data()["triggers"].items():
        assert trigger["citations"], name
        assert all(c["verified"] is True for c in trigger["citations"]), name
        assert all(c["instrument"] != "lhc-2023" for c in trigger["citations"]), name


@pytest.mark.parametrize(
    ("current", "new", "outcome", "error"),
    [
        ("open", "submitted_to_prosecutors", None, None),
        ("open", "investigation_opened", None, "next step is submitted_to_prosecutors"),
        ("decision_taken", "closed", None, "closing needs an outcome"),
        ("decision_taken", "closed", "prosecuted", None),
        ("closed", "closed", "acquitted", "closed"),
        ("open", "submitted_to_prosecutors", "prosecuted", "only when the obligation closes"),
    ],
)
def test_obligation_steps(current, new, outcome, error):
    if error is None:
        prosecution.check_step(current, new, outcome)
    else:
        with pytest.raises(ValueError, match=error):
            prosecution.check_step(current, new, outcome)


def test_overdue_and_small_counts():
    assert prosecution.is_overdue("open", date(2026, 11, 22), date(2026, 11, 23))
    assert not prosecution.is_overdue("open", date(2026, 11, 23), date(2026, 11, 23))
    assert not prosecution.is_overdue("closed", date(2026, 1, 1), date(2026, 11, 23))
    assert prosecution.suppressed({"a": 0, "b": 1, "c": 4, "d": 5}) == {
        "a": 0, "b": "<5", "c": "<5", "d": 5,
    }  # fmt: skip


@pytest.mark.parametrize("language", victims.LANGUAGES)
def test_every_step_has_plain_words_in_every_language(language):
    for step in victims.measures_data()["steps"]:
        text = victims.notice_text(step, language, reference="IN-1", answer="ok")
        assert "IN-1" in text and "{" not in text


def test_no_text_in_another_language_and_no_consent_no_contact():
    with pytest.raises(LookupError, match="en, fr, nl"):
        victims.notice_text("request_received", "uk", reference="IN-1")
    assert not victims.may_contact(consent=False, channel="email").allowed
    assert not victims.may_contact(consent=True, channel=None).allowed
    assert victims.may_contact(consent=True, channel="post").allowed
    assert victims.information_due(date(2026, 11, 1)) == date(2026, 12, 1)


def test_court_only_citations_appear_only_for_the_court():
    ids = {c["article"] for c in victims.citations_of("temporary_transfer", to_court=False)}
    assert ids == {"11"}
    court = {c["article"] for c in victims.citations_of("temporary_transfer", to_court=True)}
    assert court == {"11", "93(7)"}


@pytest.mark.parametrize(
    ("citations", "grounds"),
    [
        ([{"finding": "nationality"}], {"nationality"}),
        ([{"instrument": "coe-extradition-1957", "article": "6"}], {"nationality"}),
        ([{"instrument": "coe-extradition-1957", "article": "6(1)(a)"}], {"nationality"}),
        ([{"instrument": "coe-extradition-1957", "article": "16"}], set()),
        ([{"instrument": "cat-1984", "article": "6"}], set()),
    ],
)
def test_a_refusal_rests_on_nationality_by_the_finding_or_by_ece_art_6(citations, grounds):
    from judicare.prosecution.service import _grounds

    assert _grounds(citations) == grounds
