"""Issue 20 in a real browser (Chromium driven by Playwright, the loopback server and demo
data of `test_browser.py`): the victims-and-witnesses page of a request, where an officer
records a victim's needs and consent and sends her information in her language; the request
page's competing-requests section; the obligations dashboard. No serious or critical axe
violation on any of them, in English and in French."""

from __future__ import annotations

import re

import pytest

from judicare.demo import DEMO_PASSWORD
from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    serious_violations,
    shoot,
    sign_in,
)

server = base.server
page = base.page


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


def _api_request(page, body: dict) -> dict:
    """A request registered through the API (as another system would), for the pages."""
    token = page.request.post(
        "/api/v1/auth/token", data={"username": "anna.officer", "password": DEMO_PASSWORD}
    ).json()["token"]
    made = page.request.post("/api/v1/requests", data=body,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert made.status == 201, made.text()
    return made.json()


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
    page.get_by_role("button", name="Change").click()
    page.get_by_role("heading", name="Obligations de poursuivre").wait_for()
    assert serious_violations(page) == []
