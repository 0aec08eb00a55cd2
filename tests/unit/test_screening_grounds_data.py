"""The screening engine takes its grounds and exceptions from data: a ground added to
`grounds.yaml` (here in memory) is screened with no change to the code; participation that
the data cannot tell stays unknown."""

from __future__ import annotations

import copy
from datetime import date

from judicare.screening import grounds, rules
from judicare.screening.binding import binding_status
from judicare.screening.domain import RequestFacts
from judicare.treaties.catalogue import load_catalogue
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions


def _facts(**values) -> RequestFacts:
    base = dict(
        requesting="NLD", requested="BEL", kind="extradition", crimes=(), measures=(),
        persons=(), instruments=frozenset({"coe-extradition-1957"}),
    )  # fmt: skip
    return RequestFacts(**{**base, **values})


def test_a_ground_added_as_data_is_screened_without_code(monkeypatch):
    data = copy.deepcopy(grounds.grounds_data())
    data["grounds"]["fiscal_offence"] = {
        "title": "Fiscal offence",
        "rule": "generic",
        "text": "Extradition for fiscal offences follows the Convention's own rule",
        "provisions": [
            {"instrument": "coe-extradition-1957", "article": "5", "kinds": ["extradition"],
             "character": "question", "verified": True, "source": "ece_text",
             "text": "offences in connection with taxes, duties, customs and exchange"},
        ],
        "exceptions": [
            {"name": "a_protocol", "instrument": "coe-extradition-1957-p2", "article": "2",
             "crimes": ["fraud"], "kinds": ["extradition"], "verified": True,
             "requires": {"instrument": "coe-extradition-1957-p2", "who": "both"},
             "text": "the Protocol's rule applies instead"},
        ],
    }  # fmt: skip
    monkeypatch.setattr(grounds, "grounds_data", lambda: data)
    monkeypatch.setattr(rules, "grounds_data", lambda: data)
    table = rules.rules()
    assert "fiscal_offence" in table
    found = table["fiscal_offence"](_facts(crimes=("fraud",)))
    assert found[0].category == "attention" and "cannot tell" in found[0].explanation
    bound = {"coe-extradition-1957-p2": {"requesting": "yes", "requested": "yes"}}
    found = table["fiscal_offence"](_facts(crimes=("fraud",), binding=bound))
    assert found[0].evidence["excepted"] is True


def test_a_ground_without_a_rule_is_refused_loudly(monkeypatch):
    data = copy.deepcopy(grounds.grounds_data())
    data["grounds"]["nameless"] = {"title": "x", "provisions": []}
    monkeypatch.setattr(rules, "grounds_data", lambda: data)
    try:
        rules.rules()
    except ValueError as exc:
        assert "nameless" in str(exc) and "rule: generic" in str(exc)
    else:
        raise AssertionError("a ground with no rule must be refused")


def test_binding_is_unknown_without_data_and_never_not_a_party_by_absence():
    assert binding_status(None, "BEL", date(2020, 1, 1)) == "unknown"
    instrument = load_catalogue()["coe-extradition-1957-p1"]  # partial data
    participation = build_participation(instrument, load_actions(instrument)[0])
    assert binding_status(participation, "BEL", date(1998, 2, 15)) == "no"  # its own rows
    assert binding_status(participation, "BEL", date(1998, 2, 16)) == "yes"
    assert binding_status(participation, "KAZ", date(2020, 1, 1)) == "unknown"  # no row
