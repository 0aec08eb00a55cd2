"""Issue 17 §1 and §8 on the web, as a browser sends the forms (SQLite and PostgreSQL):
every request page says who takes the next step, and never invites an action the user's
role cannot take; an officer prepares a draft decision, a reviewer proposes it or sends it
back; the outcome has no default; a refusal, a withdrawal and a closing need a reason and
an explicit confirmation."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_web_forms import field_refused
from tests.integration.web_support import WebUser, new_request, under_review

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
DRAFT = [
    ("outcome", "refuse"),
    ("reasons", "The witness is a recognised refugee fearing the requesting state."),
    ("finding", "protected_status"),
]


def _status(api, request_id):
    got = api.client.get(f"/api/v1/requests/{request_id}", headers=api.headers("supervisor"))
    return got.json()["status"]


def test_the_officer_is_told_who_decides_and_is_not_offered_the_decision_form(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = under_review(officer)
    page = officer.get(f"/requests/{request_id}").text
    assert "A reviewer or supervisor must decide on this request." in page
    assert "You can prepare a draft decision for them below." in page
    assert "use the decision form" not in page
    assert f'action="/requests/{request_id}/decisions"' not in page
    assert f'action="/requests/{request_id}/decision-drafts"' in page
    reviewer = WebUser(demo_api, "louis.reviewer")
    page = reviewer.get(f"/requests/{request_id}").text
    assert "you can record it with the decision form below" in page
    assert f'action="/requests/{request_id}/decisions"' in page
    auditor = WebUser(demo_api, "marc.auditor").get(f"/requests/{request_id}").text
    hint = re.search(r'<p class="next-step".*?</p>', auditor, re.S).group(0)
    assert "A reviewer or supervisor must decide on this request." in hint
    assert "you can" not in hint.lower()
    assert "decision-form" not in auditor


def test_a_draft_goes_from_officer_to_reviewer_to_supervisor(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = under_review(officer)
    drafted = officer.post(f"/requests/{request_id}/decision-drafts", DRAFT)
    page = officer.follow(drafted).text
    assert "Draft decision handed to a reviewer." in page
    assert "Your draft decision awaits review" in page
    assert "/review" not in page  # the officer cannot review it
    assert _status(demo_api, request_id) == "under_review"

    reviewer = WebUser(demo_api, "louis.reviewer")
    dashboard = reviewer.get("/").text
    assert "Draft decisions awaiting your review" in dashboard
    assert f'href="/requests/{request_id}#decision"' in dashboard
    assert "Draft decisions awaiting your review" not in officer.get("/").text
    page = reviewer.get(f"/requests/{request_id}").text
    assert "A draft decision awaits review: you can propose it" in page
    draft_id = re.search(r"/decision-drafts/(\d+)/review", page).group(1)
    silent = reviewer.post(
        f"/decision-drafts/{draft_id}/review",
        {"request_id": str(request_id), "action": "return", "note": " "},
    )
    assert silent.status_code == 422 and field_refused(silent.text, f"review-note-{draft_id}")
    proposed = reviewer.post(
        f"/decision-drafts/{draft_id}/review",
        {"request_id": str(request_id), "action": "propose", "note": ""},
    )
    page = reviewer.follow(proposed).text
    assert "The draft was proposed as the decision." in page
    assert "A supervisor who did not propose or draft the decision must approve" in page

    supervisor = WebUser(demo_api, "sofie.supervisor")
    page = supervisor.get(f"/requests/{request_id}").text
    assert "A decision awaits approval: you can approve or reject it below." in page
    decision_id = re.search(r"/decisions/(\d+)/approval", page).group(1)
    supervisor.post(
        f"/decisions/{decision_id}/approval",
        {"request_id": str(request_id), "approve": "yes", "note": "Agreed."},
    )
    assert _status(demo_api, request_id) == "refused"


def test_a_draft_is_checked_next_to_its_fields(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = under_review(officer)
    refused = officer.post(
        f"/requests/{request_id}/decision-drafts", [("outcome", ""), ("reasons", " ")]
    )
    assert refused.status_code == 422
    assert field_refused(refused.text, "outcome") and field_refused(refused.text, "reasons")
    assert "Choose the outcome of the decision." in refused.text
    assert 'id="citations-error"' in refused.text


def test_the_outcome_has_no_default(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    reviewer = WebUser(demo_api, "louis.reviewer")
    page = reviewer.get(f"/requests/{request_id}").text
    outcome = re.search(r'<select id="outcome".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="">Choose an outcome</option>', outcome)
    assert " selected" not in outcome
    response = reviewer.post(
        f"/requests/{request_id}/decisions",
        [("outcome", ""), ("reasons", "Reasons."), ("finding", "protected_status")],
    )
    assert response.status_code == 422 and field_refused(response.text, "outcome")
    assert "Choose the outcome of the decision." in response.text


def test_a_refusal_needs_its_confirmation(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    reviewer = WebUser(demo_api, "louis.reviewer")
    response = reviewer.post(f"/requests/{request_id}/decisions", DRAFT)
    assert response.status_code == 422 and field_refused(response.text, "confirm-refusal")
    assert "Tick the box to confirm the refusal" in response.text
    assert "recognised refugee" in response.text  # what was typed is kept
    done = reviewer.post(f"/requests/{request_id}/decisions", [*DRAFT, ("confirm-refusal", "yes")])
    assert done.status_code == 303


@pytest.mark.parametrize(
    ("reasons", "confirm", "problems"),
    [
        ("", "", ["transition-reasons", "transition-confirm"]),
        ("The requesting state withdrew it.", "", ["transition-confirm"]),
        ("", "yes", ["transition-reasons"]),
    ],
)
def test_a_withdrawal_needs_a_reason_and_a_confirmation(demo_api, reasons, confirm, problems):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    response = officer.post(
        f"/requests/{request_id}/transitions",
        {"status": "withdrawn", "version": "1", "reasons": reasons, "confirm": confirm},
    )
    assert response.status_code == 422
    for field in problems:
        assert field_refused(response.text, field), field
    assert _status(demo_api, request_id) == "received"


def test_a_confirmed_withdrawal_then_closing(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    page = officer.get(f"/requests/{request_id}").text
    assert '<option value="">Choose a step</option>' in page
    none = officer.post(f"/requests/{request_id}/transitions", {"version": "1"})
    assert none.status_code == 422 and field_refused(none.text, "next-status")
    done = officer.post(
        f"/requests/{request_id}/transitions",
        {"status": "withdrawn", "version": "1", "reasons": "Letter of 20 Nov.", "confirm": "yes"},
    )
    assert done.status_code == 303 and _status(demo_api, request_id) == "withdrawn"
    closing = officer.post(
        f"/requests/{request_id}/transitions",
        {"status": "closed", "version": "2", "reasons": "", "confirm": "yes"},
    )
    assert closing.status_code == 422 and field_refused(closing.text, "transition-reasons")
    closed = officer.post(
        f"/requests/{request_id}/transitions",
        {"status": "closed", "version": "2", "reasons": "Nothing left.", "confirm": "yes"},
    )
    page = officer.follow(closed).text
    assert "The request is closed: no step remains." in page
