"""Issue 17 §1: an officer prepares a draft decision, a reviewer or supervisor proposes it
or sends it back; four-eyes stays as strict (the draft's author never approves), on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest

from judicare.auth.service import create_user, issue_token, principal_of
from judicare.demo import DEMO_PASSWORD
from tests.integration.api_support import OTHER, OWN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
REFUSAL = {
    "outcome": "refuse",
    "reasons": "The witness is a recognised refugee from the requesting state.",
    "consulted": True,
    "citations": [{"instrument": "be-mla-2004", "article": "4 §2"}],
}


@pytest.fixture
def api(demo_api):
    return demo_api


def _draft(api, request_id, role="officer", authority=OWN, **changes):
    return api.client.post(
        f"/api/v1/requests/{request_id}/decision-drafts",
        json={**REFUSAL, **changes},
        headers=api.headers(role, authority),
    )


def _review(api, draft_id, action, role="legal_reviewer", note="", authority=OWN):
    return api.client.post(
        f"/api/v1/decision-drafts/{draft_id}/review",
        json={"action": action, "note": note},
        headers=api.headers(role, authority),
    )


def _status(api, request_id):
    got = api.client.get(f"/api/v1/requests/{request_id}", headers=api.headers("supervisor"))
    return got.json()["status"]


def test_an_officer_drafts_and_a_reviewer_proposes_then_a_supervisor_approves(api):
    request = api.under_review()
    assert api.decide(request["id"], "refuse", role="officer").status_code == 403
    drafted = _draft(api, request["id"])
    assert drafted.status_code == 201, drafted.text
    draft = drafted.json()
    assert draft["status"] == "awaiting_review"
    assert draft["drafted_by"] == api.user_ids[("officer", OWN)]
    assert _status(api, request["id"]) == "under_review"  # a draft changes nothing
    listed = api.client.get(
        f"/api/v1/requests/{request['id']}/decision-drafts", headers=api.headers("auditor")
    )
    assert [d["id"] for d in listed.json()] == [draft["id"]]

    proposed = _review(api, draft["id"], "propose")
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "proposed"
    decision_id = proposed.json()["decision_id"]
    assert _status(api, request["id"]) == "under_review"  # a refusal waits for a supervisor
    assert api.approve(decision_id).status_code == 200
    assert _status(api, request["id"]) == "refused"


def test_a_draft_is_checked_as_a_decision_is(api):
    request = api.under_review()
    no_reasons = _draft(api, request["id"], reasons="  ")
    assert no_reasons.status_code == 422
    no_citation = _draft(api, request["id"], citations=[])
    assert no_citation.status_code == 422
    unknown = _draft(api, request["id"], citations=[{"finding": "no_such_ground"}])
    assert unknown.status_code == 422 and "no_such_ground" in unknown.text
    no_outcome = _draft(api, request["id"], outcome="")
    assert no_outcome.status_code == 422


def test_only_one_draft_waits_and_a_returned_draft_needs_a_reason(api):
    request = api.under_review()
    first = _draft(api, request["id"]).json()
    again = _draft(api, request["id"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "draft_awaiting_review"
    silent = _review(api, first["id"], "return")
    assert silent.status_code == 422 and "note" in silent.text
    returned = _review(api, first["id"], "return", note="Cite the refugee finding instead.")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["review_note"] == "Cite the refugee finding instead."
    assert _review(api, first["id"], "propose").status_code == 409  # already answered
    assert _draft(api, request["id"]).status_code == 201  # the officer may draft again


def test_an_officer_cannot_review_and_need_to_know_hides_other_drafts(api):
    request = api.under_review()
    draft = _draft(api, request["id"]).json()
    assert _review(api, draft["id"], "propose", role="officer").status_code == 403
    hidden = _review(api, draft["id"], "propose", authority=OTHER)
    missing = _review(api, 2_147_483_000, "propose", authority=OTHER)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace(str(draft["id"]), "N") == missing.json()[
        "error"
    ]["message"].replace("2147483000", "N")
    assert _draft(api, request["id"], authority=OTHER).status_code == 404
    assert _draft(api, request["id"], role="auditor").status_code == 403


def test_four_eyes_the_drafts_author_neither_reviews_nor_approves(api):
    request = api.under_review()
    drafted = _draft(api, request["id"], role="supervisor").json()
    own_review = _review(api, drafted["id"], "propose", role="supervisor")
    assert own_review.status_code == 409 and "drafted" in own_review.text
    proposed = _review(api, drafted["id"], "propose").json()
    own_approval = api.approve(proposed["decision_id"])  # the supervisor who drafted it
    assert own_approval.status_code == 409 and "drafted" in own_approval.text
    assert _status(api, request["id"]) == "under_review"
    with api.app.unit_of_work() as uow:
        other = create_user(
            uow.session, username="t.supervisor2", password=DEMO_PASSWORD,
            role="supervisor", authority_id=OWN,
        )  # fmt: skip
        token = issue_token(uow.session, principal_of(other), now=api.app.now())
        uow.commit()
    approved = api.client.post(
        f"/api/v1/decisions/{proposed['decision_id']}/approval",
        json={"approve": True, "note": "second pair of eyes"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert approved.status_code == 200, approved.text
    assert _status(api, request["id"]) == "refused"


def test_drafting_and_review_are_audited(api):
    request = api.under_review()
    draft = _draft(api, request["id"]).json()
    _review(api, draft["id"], "return", note="more reasons")
    trail = api.client.get(
        f"/api/v1/audit?subject_type=request&subject_id={request['id']}&limit=500",
        headers=api.headers("auditor"),
    )
    assert trail.status_code == 200, trail.text
    tags = [e.get("tag") for e in trail.json()["items"]]
    assert "officer:decision:draft" in tags, tags
    assert "legal_reviewer:decision:draft_return" in tags, tags
