"""Issue 20 in a real browser (Chromium driven by Playwright, the loopback server and demo
data of `test_browser.py`): the victims-and-witnesses page of a request, where an officer
records a victim's needs and consent and sends her information in her language; the request
page's competing-requests section, with the stored competition; the obligations dashboard,
where the requesting state's information of the result is drafted, approved by a second
person, its formal notice downloaded and marked sent. No serious or critical axe violation
on any of them, in English, French and Dutch."""

from __future__ import annotations

import re

import pytest

from judicare.demo import DEMO_PASSWORD
from tests.conftest import TODAY
from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    serious_violations,
    shoot,
    sign_in,
    sign_out,
)

server = base.server
page = base.page


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


def _bearer(page, username: str) -> dict:
    token = page.request.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _api_request(page, body: dict) -> dict:
    """A request registered through the API (as another system would), for the pages."""
    made = page.request.post("/api/v1/requests", data=body,
                             headers=_bearer(page, "anna.officer"))  # fmt: skip
    assert made.status == 201, made.text()
    return made.json()


def _refused_on_nationality(page, request: dict) -> int:
    """Through the API: the request reviewed, extradition refused because the person is a
    national (approved by a second person); returns the obligation to prosecute it created."""
    supervisor = _bearer(page, "sofie.supervisor")
    for status in ("registered", "under_review"):
        version = page.request.get(f"/api/v1/requests/{request['id']}",
                                   headers=supervisor).headers["etag"]  # fmt: skip
        moved = page.request.post(f"/api/v1/requests/{request['id']}/transitions",
                                  data={"status": status},
                                  headers={**supervisor, "If-Match": version})  # fmt: skip
        assert moved.ok, moved.text()
    made = page.request.post(f"/api/v1/requests/{request['id']}/decisions", data={
        "outcome": "refuse", "consulted": True, "reasons": "the person is a national",
        "citations": [{"finding": "nationality"}]}, headers=_bearer(page, "louis.reviewer"))  # fmt: skip
    assert made.ok, made.text()
    approved = page.request.post(f"/api/v1/decisions/{made.json()['id']}/approval",
                                 data={"approve": True, "note": "browser test: four-eyes"},
                                 headers=supervisor)  # fmt: skip
    assert approved.ok, approved.text()
    duties = page.request.get(f"/api/v1/requests/{request['id']}/obligations",
                              headers=_bearer(page, "anna.officer")).json()  # fmt: skip
    return next(o["id"] for o in duties if o["trigger"] == "ece_nationality")


def _in_language(page, code: str, heading: str) -> None:
    page.get_by_label(re.compile("^(Language|Langue|Taal)$")).select_option(code)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^(Change|Changer|Wijzigen)$")).click()
    page.get_by_role("heading", name=heading).first.wait_for()
    assert page.locator("html").get_attribute("lang") == code


BASE = {
    "direction": "incoming", "requesting_state": "FR", "requested_state": "BE",
    "requesting_authority": "Parquet national antiterroriste (fictional)",
    "facts_summary": "Fictional facts for the browser test of issue 20.",
    "received_on": "2026-11-01", "requested_execution_date": "2026-12-20",
}  # fmt: skip


def test_victims_page_needs_consent_and_information_in_her_language(page):
    request = _api_request(page, {**BASE, "kind": "mla", "measures": [{"measure": "hearing_witness"}],
                                  "persons": [{"role": "victim", "names": [{"name": "Amina Browsertest"}]}]})  # fmt: skip
    sign_in(page, "anna.officer")
    page.goto(f"/requests/{request['id']}")
    page.get_by_role("link", name=re.compile("Rights and needs, protection measures")).click()
    page.wait_for_url(re.compile(r"/victims$"))
    assert serious_violations(page) == []
    page.get_by_text("Record the rights and needs").click()
    page.get_by_label(re.compile(r"^Language the person understands")).fill("fr")
    page.get_by_label("Consent to be contacted").check()
    page.get_by_label("Channel the person chose").select_option("email")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The rights and needs were recorded.").wait_for()
    page.get_by_label("Step").select_option("request_received")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("The information was sent and logged.").wait_for()
    sent = page.locator("span[lang=fr]").first.inner_text()
    assert sent.startswith("Nous avons reçu une demande d'un autre pays")
    page.get_by_text("Log a victim's question").click()
    page.get_by_label("Question").fill("Quand saurai-je la suite ?")
    page.get_by_role("button", name="Log the question").click()
    page.get_by_text("question was logged, with its deadline").wait_for()
    page.get_by_label("Answer, in plain words").fill("la demande est en cours")
    page.get_by_role("button", name="Send the answer").click()
    page.get_by_text("The information was sent and logged.").wait_for()
    page.get_by_text("Request a measure").click()
    page.get_by_label("Measure", exact=True).select_option("anonymity")
    page.get_by_label("Reasons").fill("threats after the first hearing")
    page.get_by_role("button", name="Request the measure").click()
    page.get_by_text("The measure was requested.").wait_for()
    shoot(page, "issue20-victims")
    assert serious_violations(page) == []


def test_competing_requests_and_the_obligations_dashboard(page):
    sought = {"role": "person_sought", "names": [{"name": "Pieter Browsertestjans"}]}
    body = {**BASE, "kind": "extradition", "measures": [], "persons": [sought]}
    first = _api_request(page, body)
    second = _api_request(page, {**body, "requesting_state": "CH"})
    sign_in(page, "louis.reviewer")
    page.goto(f"/requests/{first['id']}")
    section = page.locator("section[aria-labelledby=competing]")
    assert second["reference"] in section.inner_text()
    assert serious_violations(page) == []
    page.goto("/obligations")
    page.get_by_role("heading", name="Obligations to prosecute").wait_for()
    assert serious_violations(page) == []
    shoot(page, "issue20-obligations")
    page.get_by_label("Language").select_option("fr")
    with page.expect_navigation():
        page.get_by_role("button", name="Change").click()
    page.get_by_role("heading", name="Obligations de poursuivre").wait_for()
    assert serious_violations(page) == []
    _in_language(page, "en", "Obligations to prosecute")  # the user's language as before


def test_the_requesting_state_is_informed_of_the_result_with_four_eyes(page):
    sought = {"role": "person_sought", "names": [{"name": "Joris Browsertestnational"}],
              "nationality": "BE"}  # fmt: skip
    request = _api_request(page, {**BASE, "kind": "extradition", "measures": [],
                                  "crimes": ["genocide"], "persons": [sought]})  # fmt: skip
    duty = _refused_on_nationality(page, request)
    row = page.locator("tr", has=page.locator(f"a[href='/requests/{request['id']}']"))
    sign_in(page, "anna.officer")  # the officer follows the obligation to its end
    page.goto("/obligations")
    for status in ("submitted_to_prosecutors", "investigation_opened", "decision_taken"):
        row.locator(f"form[action='/obligations/{duty}/steps'] input[name=note]").fill(status)
        with page.expect_navigation():
            row.locator(f"form[action='/obligations/{duty}/steps'] button").click()
        page.get_by_text("The obligation moved to its next step.").wait_for()
    row.get_by_label("Outcome").select_option("acquitted")
    row.get_by_label("What was done").fill("judgment of the court of assizes")
    row.locator(f"form[action='/obligations/{duty}/steps'] button").click()
    row.get_by_text("The information awaits a second person's approval.").wait_for()
    sign_out(page)
    sign_in(page, "sofie.supervisor")  # sent back: the officer words it herself
    page.goto("/obligations")
    row.get_by_label("Your note").fill("say which court")
    row.get_by_role("button", name="Send back").click()
    page.get_by_text("The information was sent back to be drafted again.").wait_for()
    sign_out(page)
    sign_in(page, "anna.officer")
    page.goto("/obligations")
    told = "The court of assizes of Brussels acquitted the person (browser test)."
    row.get_by_label("What the requesting state is told of the result").fill(told)
    # the row is read below: wait for the whole next page, not only for its message at the top
    with page.expect_navigation():
        row.get_by_role("button", name="Draft the information").click()
    page.get_by_text("The information awaits a second person's approval.").first.wait_for()
    assert row.get_by_role("button", name="Approve and send").count() == 0  # not her own
    assert "a second person allowed to approve decisions (a supervisor)" in row.inner_text()
    assert serious_violations(page) == []
    sign_out(page)
    sign_in(page, "sofie.supervisor")
    page.goto("/obligations")
    assert told in row.locator("blockquote").inner_text()
    for code, heading in (("fr", "Obligations de poursuivre"), ("nl", "Verplichtingen")):
        _in_language(page, code, re.compile(heading))
        assert serious_violations(page) == [], code
    _in_language(page, "en", "Obligations to prosecute")  # the user's language as before
    row.get_by_label("Your note").fill("checked against the judgment")
    row.get_by_role("button", name="Approve and send").click()
    page.get_by_text("Approved: download the notice, send it, and mark it sent.").wait_for()
    sign_out(page)
    sign_in(page, "anna.officer")
    page.goto("/obligations")
    row.get_by_role("link", name="Download the notice from the request page").click()
    page.wait_for_url(re.compile(rf"/requests/{request['id']}#formal-documents-section$"))
    link = page.locator(
        "a[href$='/formal-documents/prosecution_outcome_notice?lang=fr&format=docx']"
    )
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".docx")
    assert serious_violations(page) == []
    page.goto("/obligations")
    row.get_by_text("The notice was produced: mark it sent once sent.").wait_for()
    row.get_by_label("Sent on").fill(TODAY.isoformat())
    row.get_by_label("How it was sent").fill("by diplomatic post")
    with page.expect_navigation():  # the board is counted below, all of it
        row.get_by_role("button", name="Mark the notice sent").click()
    page.get_by_text("The notice was marked sent.").wait_for()
    assert page.locator(f"a[href='/requests/{request['id']}']").count() == 0  # off the board
    informed = page.request.get(f"/api/v1/requests/{request['id']}/obligations",
                                headers=_bearer(page, "anna.officer")).json()  # fmt: skip
    [mine] = [o for o in informed if o["id"] == duty]
    assert mine["information"]["status"] == "sent" and mine["informed_on"] == TODAY.isoformat()
    shoot(page, "issue20-obligation-informed")


def test_the_request_page_shows_the_stored_competition_in_three_languages(page):
    sought = {"role": "person_sought", "names": [{"name": "Karel Browsertestconcurrent"}]}
    body = {**BASE, "kind": "extradition", "measures": [], "persons": [sought]}
    first = _api_request(page, body)
    second = _api_request(page, {**body, "requesting_state": "CH"})
    sign_in(page, "louis.reviewer")
    page.goto(f"/requests/{first['id']}")
    if page.locator("html").get_attribute("lang") != "en":  # whatever a test before left
        _in_language(page, "en", first["reference"])
    section = page.locator("section[aria-labelledby=competing]")
    shown = section.inner_text()
    assert second["reference"] in shown
    assert f"found on {TODAY.isoformat()}, at registration" in shown
    assert serious_violations(page) == []
    for code, words in (("fr", "à l'enregistrement"), ("nl", "bij de registratie")):
        _in_language(page, code, first["reference"])
        assert words in section.inner_text(), code
        assert serious_violations(page) == [], code
    _in_language(page, "en", first["reference"])  # the user's language as before
