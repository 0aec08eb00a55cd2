"""Equal scores are ranked by the birth date and nationality (issue 16, rank 1): of two
records with the same name (a list's entry and a copy without its facts), the one whose
facts agree with the query's comes first, whatever the records' ids. The names are those of
tuning-side ties of the frozen split (UN list against cases.csv)."""

from __future__ import annotations

import pytest

from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.index import PersonIndex
from judicare.persons.scoring import IDENTIFICATION, SAFEGUARD

FACTS = dict(birth_date=PartialDate.parse("1965"), nationality="AFG")


@pytest.mark.parametrize("point", [SAFEGUARD, IDENTIFICATION], ids=lambda p: p.name)
@pytest.mark.parametrize("with_facts_id", ["a", "z"])
def test_the_record_whose_facts_agree_comes_first(point, with_facts_id):
    other_id = "z" if with_facts_id == "a" else "a"
    index = PersonIndex()
    index.add(PersonRecord("un", with_facts_id, ("ABDULHAI SALEK",), **FACTS))
    index.add(PersonRecord("cases", other_id, ("ABDULHAI SALEK",)))
    found = index.query(PersonQuery(("SALEK, ABDULHAI",), **FACTS), point=point)
    assert [(c.register, c.id) for c in found][:2] == [("un", with_facts_id), ("cases", other_id)]
    assert found[0].score == found[1].score == 1.0  # a tie of scores, broken by the facts


def test_a_conflicting_date_ranks_below_no_date():
    index = PersonIndex()
    index.add(PersonRecord("a", "1", ("MOHAMMAD AZAM ELMI",), birth_date=PartialDate.parse("1940")))
    index.add(PersonRecord("b", "2", ("MOHAMMAD AZAM ELMI",)))
    query = PersonQuery(("AZAM ELMI, MOHAMMAD",), birth_date=PartialDate.parse("1968"))
    found = index.query(query, point=SAFEGUARD)
    assert [c.id for c in found] == ["2", "1"]


def test_without_facts_the_order_is_by_register_and_id():
    index = PersonIndex()
    index.add(PersonRecord("un", "1", ("ABDULHAI SALEK",), **FACTS))
    index.add(PersonRecord("cases", "2", ("ABDULHAI SALEK",)))
    found = index.query(PersonQuery(("ABDULHAI SALEK",)), point=SAFEGUARD)
    assert [c.register for c in found] == ["cases", "un"]
