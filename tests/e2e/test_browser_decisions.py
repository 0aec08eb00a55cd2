"""Issue 17 §1 and §8 in a real browser (Debian's Chromium, Playwright), on the same live
loopback server and checks as `test_browser.py` (nothing outside loopback, the
Content-Security-Policy, axe finds nothing serious or critical).

§1: an officer is told who decides and prepares a draft decision; a legal reviewer proposes
it; it then waits for a supervisor. §8: a withdrawal takes a reason and an explicit
confirmation, and the decision's outcome has no default.
"""

from __future__ import annotations

import re

import pytest

from judicare.web.i18n import Translator
from tests.e2e import test_browser as base
from tests.e2e.test_browser import (
    AXE,
    CHROMIUM,
    SCREENSHOTS,
    page,  # noqa: F401 - the fixture, on this module's browser and server
    register_incoming_request,
    serious_violations,
    server,  # noqa: F401
    shoot,
    sign_in,
    sign_out,
)

assert CHROMIUM.exists() and AXE.exists()


@pytest.fixture(scope="module")
def browser():
    """Chromium, adding to the screenshots of the other browser tests."""
    with base.chromium() as launched:
        yield launched


def _to_review(page) -> str:  # noqa: F811
    url = register_incoming_request(page)
    for step in ("Registered", "Under review"):
        page.get_by_label("Move the request to").select_option(label=step)
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()
    return url


def test_an_officer_prepares_a_draft_and_a_reviewer_proposes_it(page):  # noqa: F811
    sign_in(page, "anna.officer")
    url = _to_review(page)
    hint = page.locator("#next-step")
    assert "A reviewer or supervisor must decide on this request." in hint.inner_text()
    assert "You can prepare a draft decision for them below." in hint.inner_text()
    assert page.get_by_text("use the decision form").count() == 0
    assert page.get_by_role("button", name="Record the decision").count() == 0
    page.locator("#finding-choices").get_by_label(re.compile("^Protected status")).check()
    page.get_by_label("Outcome").select_option("refuse")
    page.get_by_label("Reasons").fill("The witness is a refugee who fears the requesting state.")
    page.get_by_role("button", name="Hand the draft to a reviewer").click()
    page.wait_for_url(re.compile(r"#decision$"))
    assert "Your draft decision awaits review" in page.locator("#next-step").inner_text()
    assert page.get_by_role("button", name="Propose as the decision").count() == 0
    assert page.locator("h1 .badge").inner_text() == "Under review"
    shoot(page, "17-1-draft-awaiting-review")
    page.locator("#next-step").screenshot(path=str(SCREENSHOTS / "17-1-next-step-officer.png"))
    assert not serious_violations(page)
    sign_out(page)

    sign_in(page, "louis.reviewer")
    page.goto(url)
    assert "you can propose it as the decision" in page.locator("#next-step").inner_text()
    page.get_by_role("button", name="Propose as the decision").click()
    page.wait_for_url(re.compile(r"#decision$"))
    assert page.get_by_text("Awaiting a supervisor's approval").first.is_visible()
    assert "A supervisor who did not propose or draft" in page.locator("#next-step").inner_text()
    assert page.locator("h1 .badge").inner_text() == "Under review"
    assert not serious_violations(page)
    sign_out(page)

    sign_in(page, "sofie.supervisor")
    page.goto(url)
    assert "you can approve or reject it below" in page.locator("#next-step").inner_text()
    page.get_by_label("Note on the approval").fill("Agreed: non-refoulement.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"#decision$"))
    assert page.locator("h1 .badge").inner_text() == "Refused"


def test_a_withdrawal_needs_a_reason_and_a_confirmation(page):  # noqa: F811
    sign_in(page, "anna.officer")
    register_incoming_request(page)
    page.get_by_label("Move the request to").select_option(label="Withdrawn")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.locator("h1 .badge").inner_text() == "Received"  # nothing happened
    assert page.locator("#transition-reasons-error").is_visible()
    assert page.locator("#transition-confirm-error").is_visible()
    shoot(page, "17-8-withdrawal-refused")
    page.locator("form.transition-form").screenshot(
        path=str(SCREENSHOTS / "17-8-withdrawal-refused-form.png")
    )
    assert not serious_violations(page)
    page.get_by_label("Move the request to").select_option(label="Withdrawn")
    page.get_by_label(re.compile(r"^Reason \(required to withdraw")).fill(
        "The requesting state withdrew it by letter."
    )
    page.get_by_label(re.compile("I confirm this step")).check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.locator("h1 .badge").inner_text() == "Withdrawn"


def test_the_outcome_of_a_decision_has_no_default(page):  # noqa: F811
    sign_in(page, "anna.officer")
    url = _to_review(page)
    sign_out(page)
    sign_in(page, "louis.reviewer")
    page.goto(url)
    outcome = page.get_by_label("Outcome")
    assert outcome.input_value() == ""
    assert outcome.locator("option:checked").inner_text() == "Choose an outcome"
    page.get_by_label("Reasons").fill("Reasons typed before choosing the outcome.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    assert page.locator("#outcome-error").inner_text() == "Choose the outcome of the decision."
    assert page.get_by_label("Reasons").input_value() == (
        "Reasons typed before choosing the outcome."
    )
    assert page.locator("h1 .badge").inner_text() == "Under review"
    assert not serious_violations(page)


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_the_next_step_and_the_draft_in_french_and_dutch(page, language):  # noqa: F811
    sign_in(page, "anna.officer")
    url = _to_review(page)
    page.goto(f"{url}?lang={language}")
    words = Translator(language)
    assert page.locator("html").get_attribute("lang") == language
    expected = words.gettext(
        "A reviewer or supervisor must decide on this request. You can prepare a draft "
        "decision for them below."
    )
    assert expected in page.locator("#next-step").inner_text()
    outcome = page.locator("#outcome")
    assert outcome.locator("option:checked").inner_text() == words.gettext("Choose an outcome")
    assert page.get_by_role("button", name=words.gettext("Hand the draft to a reviewer")).count()
    shoot(page, f"17-1-officer-next-step-{language}")
    page.locator("#decision").screenshot(path=str(SCREENSHOTS / f"17-1-draft-form-{language}.png"))
    assert not serious_violations(page)
