"""Issue 17, points 2-4, through the API and the web forms on both databases (the `app`
fixture): the legal basis chosen among those resolved and changed with a reason, the
requesting authority's reference shown and searchable, the dates checked against each other
and today (the app's clock), and the person filter through the person engine."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from judicare.asgi import create_api
from judicare.audit.models import AuditEventRow
from judicare.auth.service import create_user, ensure_authority, issue_token, principal_of
from judicare.demo import DEMO_PASSWORD
from tests.conftest import TODAY
from tests.integration.api_support import request_body
from tests.integration.web_support import WebUser, incoming_form

OWN, OTHER = "BEL-CA", "NLD-CA"


class Api:
    def __init__(self, app) -> None:
        self.app = app
        self.client = TestClient(create_api(app))
        self.tokens = {}
        with app.unit_of_work() as uow:
            ensure_authority(uow.session, OWN, "BEL", "test")
            ensure_authority(uow.session, OTHER, "NLD", "test")
            for role in ("officer", "supervisor"):
                for authority in (OWN, OTHER):
                    user = create_user(
                        uow.session, username=f"c.{role}.{authority}", password=DEMO_PASSWORD,
                        role=role, authority_id=authority,
                    )  # fmt: skip
                    self.tokens[(role, authority)] = issue_token(
                        uow.session, principal_of(user), now=app.now()
                    )
            uow.commit()

    def headers(self, role="officer", authority=OWN, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[(role, authority)]}", **extra}

    def post(self, authority=OWN, **changes):
        return self.client.post(
            "/api/v1/requests",
            json=request_body(**changes),
            headers=self.headers("officer", authority),
        )

    def create(self, authority=OWN, **changes) -> dict:
        response = self.post(authority, **changes)
        assert response.status_code == 201, response.text
        return response.json()

    def listed(self, query: str, authority=OWN) -> dict:
        response = self.client.get(
            f"/api/v1/requests?{query}", headers=self.headers("officer", authority)
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(app):
    return Api(app)


# --- point 2: the legal basis and the requesting authority's reference ----------------------


def test_the_basis_is_chosen_among_those_resolved_and_changed_with_a_reason(api):
    created = api.create(crimes=["torture", "enforced_disappearance"])
    choices = created["legal_basis_choices"]
    assert len(choices) >= 2, created["legal_basis_answer"]
    assert created["legal_basis_instrument"] is None
    url = f"/api/v1/requests/{created['id']}/legal-basis"
    no_etag = api.client.put(url, json={"instrument": choices[0], "reason": "the treaty applies"},
                             headers=api.headers())  # fmt: skip
    assert no_etag.status_code == 428
    no_reason = api.client.put(url, json={"instrument": choices[0]},
                               headers=api.headers(**{"If-Match": '"1"'}))  # fmt: skip
    assert no_reason.status_code == 422
    not_resolved = api.client.put(
        url, json={"instrument": "coe-mla-1959", "reason": "wrong one"},
        headers=api.headers(**{"If-Match": '"1"'}),
    )  # fmt: skip
    assert not_resolved.status_code == 422, not_resolved.text
    assert "not a legal basis resolved for this request" in not_resolved.json()["error"]["message"]
    chosen = api.client.put(
        url, json={"instrument": choices[0], "reason": "the general convention applies"},
        headers=api.headers(**{"If-Match": '"1"'}),
    )  # fmt: skip
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["legal_basis_instrument"] == choices[0]
    assert chosen.headers["etag"] == '"2"'
    stale = api.client.put(url, json={"instrument": choices[1], "reason": "again"},
                           headers=api.headers(**{"If-Match": '"1"'}))  # fmt: skip
    assert stale.status_code == 412
    changed = api.client.put(url, json={"instrument": choices[1], "reason": "the other one fits"},
                             headers=api.headers(**{"If-Match": '"2"'}))  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["legal_basis_instrument"] == choices[1]
    read = api.client.get(f"/api/v1/requests/{created['id']}", headers=api.headers()).json()
    assert read["legal_basis_instrument"] == choices[1]
    with api.app.unit_of_work() as uow:
        entries = uow.session.scalars(
            select(AuditEventRow.details)
            .where(AuditEventRow.tag.like("%request:legal_basis"))
            .order_by(AuditEventRow.seq)
        ).all()
    assert [(e["from"], e["to"], e["reason"]) for e in entries] == [
        (None, choices[0], "the general convention applies"),
        (choices[0], choices[1], "the other one fits"),
    ]


def test_a_basis_not_resolved_is_refused_at_registration(api):
    refused = api.post(crimes=["torture"], legal_basis_instrument="coe-mla-1959")
    assert refused.status_code == 422, refused.text
    assert "choose one of" in refused.json()["error"]["message"]


def test_the_requesting_authoritys_reference_is_stored_listed_and_found(api):
    created = api.create(requesting_reference="2-1907-26-00123/KZ")
    other = api.create()
    assert created["requesting_reference"] == "2-1907-26-00123/KZ"
    found = api.listed("requesting_reference=00123")
    assert [i["id"] for i in found["items"]] == [created["id"]]
    assert found["items"][0]["requesting_reference"] == "2-1907-26-00123/KZ"
    words = api.listed("q=1907-26-00123")
    assert created["id"] in {i["id"] for i in words["items"]}
    assert other["id"] not in {i["id"] for i in words["items"]}
    assert api.listed("requesting_reference=00123", authority=OTHER)["total"] == 0


# --- point 3: dates ---------------------------------------------------------------------------


def test_impossible_dates_are_refused_with_one_detail_per_field(api):
    refused = api.post(received_on="2099-01-01", requested_execution_date="2001-01-01")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_dates"
    assert {d["field"]: d["code"] for d in error["details"]} == {
        "received_on": "received_after_today",
        "requested_execution_date": "execution_before_received",
    }
    assert f"cannot be after today ({TODAY.isoformat()})" in error["message"]


def test_a_change_of_date_is_checked_too(api):
    created = api.create()
    changed = api.client.patch(
        f"/api/v1/requests/{created['id']}", json={"requested_execution_date": "2020-01-01"},
        headers=api.headers(**{"If-Match": '"1"'}),
    )  # fmt: skip
    assert changed.status_code == 422, changed.text
    assert changed.json()["error"]["details"][0]["field"] == "requested_execution_date"


def test_the_web_form_shows_the_date_problems_next_to_their_fields(api):
    officer = WebUser(api, "c.officer.BEL-CA")
    page = officer.post(
        "/requests/new",
        incoming_form(received_on="2099-01-01", requested_execution_date="2001-01-01"),
    )
    assert page.status_code == 422
    assert (
        f'id="received_on-error">The date received cannot be after today ({TODAY.isoformat()})'
        in page.text
    )
    assert (
        'id="requested_execution_date-error">Execution wished by must be on or after the date '
        "received" in page.text
    )


# --- point 4: the person filter -----------------------------------------------------------


def test_the_person_filter_finds_shortened_and_cross_script_names(api):
    cyrillic_only = request_body()["persons"][0] | {"names": [{"name": "Жанар Тестбаева"}]}
    created = api.create(persons=[cyrillic_only])
    unrelated = api.create(persons=[{"role": "witness", "names": [{"name": "Pieter de Vries"}]}])
    for name in ("Testbayeva", "Zhanar Testbayeva", "тестбаева"):
        found = api.listed(f"person={name}")
        ids = {i["id"] for i in found["items"]}
        assert created["id"] in ids and unrelated["id"] not in ids, name
        item = next(i for i in found["items"] if i["id"] == created["id"])
        assert item["person_match"]["reasons"], item
        assert "persons" not in item  # lists carry no personal data beyond why it matched
    engine = next(i for i in api.listed("person=Testbayeva")["items"] if i["id"] == created["id"])[
        "person_match"
    ]
    assert engine["how"] == "person engine" and engine["score"] >= 0.75
    assert any(p["record"] == "Тестбаева" for p in engine["pairs"])
    # The closest names first: the full name before a request about a namesake's relative.
    relative = api.create(persons=[{"role": "witness", "names": [{"name": "Айгерим Тестбаева"}]}])
    full = api.listed("person=Zhanar+Testbayeva")["items"]
    ids = [i["id"] for i in full]
    if relative["id"] in ids:
        assert ids.index(created["id"]) < ids.index(relative["id"])
    assert full[0]["person_match"]["score"] == max(i["person_match"]["score"] or 0 for i in full)
    # Need-to-know: another authority's officer finds nothing of ours.
    assert created["id"] not in {
        i["id"] for i in api.listed("person=Testbayeva", authority=OTHER)["items"]
    }


def test_the_web_list_explains_why_a_request_matched(api):
    cyrillic_only = request_body()["persons"][0] | {"names": [{"name": "Жанар Тестбаева"}]}
    created = api.create(persons=[cyrillic_only], requesting_reference="KZ-REF-77")
    officer = WebUser(api, "c.officer.BEL-CA")
    page = officer.get("/requests?person=Zhanar+Testbayeva")
    assert page.status_code == 200
    assert f'href="/requests/{created["id"]}"' in page.text
    assert "Why it matched" in page.text and "Тестбаева" in page.text
    assert "KZ-REF-77" in page.text


def test_the_web_form_chooses_the_basis_with_a_reason(api):
    created = api.create(crimes=["torture", "enforced_disappearance"])
    choice = created["legal_basis_choices"][0]
    officer = WebUser(api, "c.officer.BEL-CA")
    url = f"/requests/{created['id']}"
    page = officer.get(url)
    assert 'id="legal-basis"' in page.text and f'<option value="{choice}"' in page.text
    refused = officer.post(f"{url}/legal-basis", {"version": "1", "basis-instrument": choice})
    assert refused.status_code == 422
    assert 'id="basis-reason-error"' in refused.text
    done = officer.post(
        f"{url}/legal-basis",
        {"version": "1", "basis-instrument": choice, "basis-reason": "both states are bound"},
    )
    shown = officer.follow(done)
    assert f'class="legal-basis-chosen"><strong>{choice}</strong>' in shown.text
    stale = officer.post(
        f"{url}/legal-basis",
        {"version": "1", "basis-instrument": choice, "basis-reason": "again, from an old page"},
    )
    assert stale.status_code == 422 and "changed meanwhile" in stale.text


def test_the_wizard_holds_a_request_dated_after_today_at_its_first_step(api):
    officer = WebUser(api, "c.officer.BEL-CA")
    form = dict(incoming_form(direction="outgoing", step="0", go="next"))
    form.update(requesting_state="BEL", requested_state="KAZ", received_on="2099-01-01")
    page = officer.post("/requests/new", list(form.items()))
    assert page.status_code == 422
    assert re.search(r'name="step" value="0"', page.text)
    assert (
        f'id="received_on-error">The date of the request cannot be after today '
        f"({TODAY.isoformat()})" in page.text
    )
