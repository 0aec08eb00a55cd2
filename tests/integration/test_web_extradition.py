"""Issue 17, point 5 (extradition handled as extradition) and point 10 (errors that name
their field and state limits), through the forms a browser sends and through the API, on
SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_web_intake import outgoing
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXTRADITION = {
    "kind": "extradition",
    "requested_state": "AUT",
    "crimes": "genocide",
    "facts_summary": "Fictional offences for a test: killings in a fictional village.",
    "offence_time": "12 to 14 July 1995",
    "offence_place": "Fictional village, fictional region",
    "legal_provisions": "Art. 136bis of the Criminal Code (fictional citation)",
    "warrant_kind": "arrest_warrant",
    "warrant_issued_by": "Investigating judge, Brussels (fictional)",
    "warrant_issued_on": "2026-10-01",
    "warrant_reference": "AW-2026-0001",
    "enactments": "Text of art. 136bis (fictional): genocide is punished by life imprisonment.",
    "person_description": "About 1.80 m, scar on the left hand (fictional).",
    "whereabouts": "Vienna (fictional)",
    "issuing_authority_address": "Rue des Quatre Bras 13, Brussels (fictional)",
    "issuing_authority_phone": "+32 2 000 00 00",
    "issuing_authority_email": "judge@example.invalid",
    "participation": "Ordered the killings (fictional)",
    "penalty": "Life imprisonment",
}


def _wizard(officer, step: int, **changes):
    form = outgoing(**{**EXTRADITION, **changes})
    form.pop("measures", None)
    form.update(step=str(step), reached=str(step), go="next" if step < 4 else "submit")
    return officer.post("/requests/new", list(form.items()))


def test_the_extradition_step_asks_for_warrant_law_person_and_no_measures(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    page = _wizard(officer, 1).text  # from the offences step to the third
    assert step_of_text(page) == 2
    assert "Warrant, offences and person sought" in page
    assert 'name="measures"' not in page and "Hearing of a witness" not in page
    for name in (
        "warrant_kind",
        "warrant_issued_on",
        "enactments",
        "person_description",
        "whereabouts",
        "urgency_reason",
        "warrant_exists",
        "extradition_will_follow",
    ):
        assert f'id="{name}"' in page, name  # fmt: skip
    # BEL -> AUT: the European arrest warrant governs, so its own fields are asked too
    assert 'id="issuing_authority_email"' in page and "8(1)" in page
    # BEL -> KAZ: no EAW; the same step without its fields
    page = _wizard(officer, 1, requested_state="KAZ").text
    assert 'id="issuing_authority_email"' not in page and 'id="warrant_kind"' in page


def step_of_text(text: str) -> int:
    return int(re.search(r'name="step" value="(\d+)"', text).group(1))


def test_the_live_panel_lists_the_extradition_contents_with_their_paragraphs(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new?direction=outgoing")
    fields = outgoing(kind="extradition", requested_state="KAZ", facts_summary="x")
    fields.pop("measures", None)
    panel = officer.post("/requests/new/check", list(fields.items())).text
    missing = re.search(r'<ul class="missing">(.*?)</ul>', panel, re.S).group(1)
    assert "The arrest warrant or enforceable judgment" in missing
    assert "When and where the offences were committed" in missing
    assert "A description of the person sought" in missing
    assert "assistance sought" not in missing  # no MLA measures for an extradition


def test_a_registered_outgoing_extradition_keeps_its_contents_and_its_date_is_sent(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    done = _wizard(officer, 4, provisional_arrest="on", urgency_reason="He may leave.")
    assert done.status_code == 303, done.text[:3000]
    request_id = int(re.search(r"/requests/(\d+)$", done.headers["location"]).group(1))
    stored = demo_api.client.get(
        f"/api/v1/requests/{request_id}", headers=demo_api.headers("officer")
    ).json()
    assert stored["kind"] == "extradition" and stored["measures"] == []
    ex = stored["extradition"]
    assert ex["warrant_kind"] == "arrest_warrant" and ex["warrant_issued_on"] == "2026-10-01"
    assert ex["offence_place"] == EXTRADITION["offence_place"]
    assert ex["provisional_arrest"] is True and ex["warrant_exists"] is False
    assert ex["issuing_authority_email"] == "judge@example.invalid"
    report = demo_api.client.get(
        f"/api/v1/requests/{request_id}/screening", headers=demo_api.headers("officer")
    ).json()
    contents = report["completeness"]  # the stored request, screened: the EAW's list
    assert contents["rule"] == "eaw" and contents["article"] == "8(1)"
    assert "offence_time_place" not in contents["missing"]
    assert "warrant_or_judgment" in contents["missing"]  # no document was registered
    page = officer.get(f"/requests/{request_id}").text
    assert "Date of the request (sent)" in page and "<dt>Received</dt>" not in page
    assert "AW-2026-0001" in page and "Vienna (fictional)" in page


def test_the_api_takes_and_checks_the_extradition_contents(demo_api):
    body = {"kind": "extradition", "measures": [],
            "extradition": {"warrant_kind": "arrest_warrant", "offence_time": "1995"}}  # fmt: skip
    created = demo_api.create(**body)
    assert created["extradition"]["offence_time"] == "1995"
    assert demo_api.create()["extradition"] is None  # an MLA request: unchanged contract
    from tests.integration.api_support import request_body

    bad = request_body(kind="extradition", extradition={"warrant_kind": "a note"})
    refused = demo_api.client.post(
        "/api/v1/requests", json=bad, headers=demo_api.headers("officer")
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"].endswith("extradition.warrant_kind")


def test_the_error_summary_names_each_field_and_states_the_limit(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    form = dict(outgoing(direction="incoming", go="submit"))
    form.update(requesting_authority="", facts_summary="", received_on="",
                requesting_reference="R" * 121)  # fmt: skip
    page = officer.post("/requests/new", list(form.items())).text
    summary = re.search(r'<div class="problem" role="alert" id="error-summary".*?</div>', page,
                        re.S).group(0)  # fmt: skip
    assert "Requesting authority: This field is required." in summary
    assert "Summary of the facts: This field is required." in summary
    assert "Received on: This field is required." in summary
    assert "Reference of the requesting authority: This text is too long: at most 120" in summary
    assert re.search(r'id="facts_summary-limit">At most 20,000 characters', page)
    assert 'maxlength="20000"' in page


def test_a_warrant_dated_after_today_is_refused_next_to_its_field_and_by_the_api(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    refused = _wizard(officer, 2, warrant_issued_on="2099-01-01")
    assert refused.status_code == 422 and step_of_text(refused.text) == 2
    assert re.search(
        r'id="warrant_issued_on-error">The warrant or judgment cannot be issued after today '
        r"\(2026-11-23\)",
        refused.text,
    )
    from tests.integration.api_support import request_body

    body = request_body(kind="extradition", extradition={"warrant_issued_on": "2099-01-01"})
    answer = demo_api.client.post(
        "/api/v1/requests", json=body, headers=demo_api.headers("officer")
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "extradition.warrant_issued_on"
