"""Issue 13 §2, four-eyes cannot be bypassed: each test is an attack that succeeded before
the fix, on SQLite and PostgreSQL.

Accepted, refused and postponed are what a decision produces. A legal reviewer or a
supervisor must not reach them by the generic status change (API, web page), however
complete the reasons; only a recorded decision that took effect (approved by a second
person where required) moves the request there. A withdrawal needs its reason. A decision
outside the user's need-to-know answers as a decision that does not exist.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from judicare.exchange.canonical import STATUS_NOTICE
from judicare.exchange.models import InboxRow
from judicare.exchange.service import send_message
from judicare.requests.models import RequestRow, TransitionRow
from judicare.screening.models import DecisionRow
from tests.integration.api_support import OTHER
from tests.integration.exchange_nodes import _deliver, _officer, _outgoing, _send
from tests.integration.web_support import WebUser, under_review

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
CITED = {"reasons": "complete reasons", "citations": [{"instrument": "be-mla-2004",
                                                       "article": "4 §2"}]}  # fmt: skip
MISSING_DECISION = 2_147_483_000


@pytest.fixture
def api(demo_api):
    return demo_api


def _status(api, request_id: int) -> str:
    response = api.client.get(f"/api/v1/requests/{request_id}", headers=api.headers("supervisor"))
    return response.json()["status"]


# --- the generic status change cannot produce a decision's status -----------------------


@pytest.mark.parametrize("role", ["legal_reviewer", "supervisor"])
@pytest.mark.parametrize("status", ["refused", "accepted", "postponed"])
def test_a_decision_status_cannot_be_set_through_the_transitions_endpoint(api, role, status):
    request = api.under_review()
    attack = api.move(request["id"], status, role=role, **CITED)
    assert attack.status_code == 409, attack.text
    error = attack.json()["error"]
    assert error["code"] == "decision_required"
    assert f"/api/v1/requests/{request['id']}/decisions" in error["message"]
    assert _status(api, request["id"]) == "under_review"


def test_a_pending_refusal_with_a_high_finding_cannot_be_overtaken_by_a_direct_acceptance(api):
    # The witness is on the refugee register: a high finding, so every decision waits.
    request = api.under_review()
    refusal = api.decide(request["id"], "refuse")
    assert refusal.status_code == 201 and refusal.json()["status"] == "pending_approval"
    assert any(f["severity"] == "high" for f in refusal.json()["findings"])
    attack = api.move(request["id"], "accepted", role="supervisor", **CITED)
    assert attack.status_code == 409 and attack.json()["error"]["code"] == "decision_required"
    assert _status(api, request["id"]) == "under_review"


def test_a_postponed_request_cannot_be_accepted_or_refused_without_a_new_decision(api):
    request = api.under_review()
    assert api.decided(request["id"], "postpone")["status"] == "postponed"
    for status in ("accepted", "refused"):
        attack = api.move(request["id"], status, role="supervisor", **CITED)
        assert attack.status_code == 409, attack.text
    assert _status(api, request["id"]) == "postponed"


def test_a_refusal_takes_effect_only_through_its_approved_decision_which_it_cites(api):
    request = api.under_review()
    proposed = api.decide(request["id"], "refuse")
    assert _status(api, request["id"]) == "under_review"  # nothing before the approval
    own = api.approve(proposed.json()["id"], role="legal_reviewer")
    assert own.status_code == 403  # a reviewer cannot approve
    assert api.approve(proposed.json()["id"]).status_code == 200
    detail = api.client.get(
        f"/api/v1/requests/{request['id']}", headers=api.headers("supervisor")
    ).json()
    assert detail["status"] == "refused"
    assert detail["transitions"][-1]["decision"] == proposed.json()["id"]


def test_a_change_of_the_request_cannot_carry_a_status(api):
    """Guard (held before the fix too): PATCH knows no `status` field."""
    request = api.under_review()
    attack = api.client.patch(
        f"/api/v1/requests/{request['id']}", json={"status": "refused"},
        headers=api.headers("supervisor", **{"If-Match": f'"{request["version"]}"'}),
    )  # fmt: skip
    assert attack.status_code == 422
    assert _status(api, request["id"]) == "under_review"


def test_the_web_status_form_cannot_refuse_or_accept(demo_api):
    request_id = under_review(WebUser(demo_api, "anna.officer"))
    for username in ("louis.reviewer", "sofie.supervisor"):
        user = WebUser(demo_api, username)
        for status in ("refused", "accepted", "postponed"):
            page = user.post(f"/requests/{request_id}/transitions",
                             {"status": status, "version": "3", "reasons": "complete reasons"})  # fmt: skip
            assert page.status_code == 409, (username, status, page.text[:500])
            assert "use the decision form" in page.text
    assert _status(demo_api, request_id) == "under_review"


def test_a_stored_decision_opens_only_its_own_status_once_in_effect():
    """The rule every path meets (requests.domain.check_decided), on plain values."""
    # Imported here, so that the suite also runs against the code before the fix.
    from judicare.requests.domain import (
        DecisionRequired,
        RecordedDecision,
        RequestStatus,
        check_decided,
    )

    effective = RecordedDecision(1, RequestStatus.REFUSED, "effective", True, 10, 11)
    check_decided(RequestStatus.REFUSED, effective)

    def stored(status: str, approved_by: int | None = 11, **more) -> RecordedDecision:
        return RecordedDecision(1, RequestStatus.REFUSED, status, True, 10, approved_by, **more)

    attacks = [
        (RequestStatus.REFUSED, None),  # no decision at all
        (RequestStatus.ACCEPTED, effective),  # a refusal offered to accept
        (RequestStatus.REFUSED, stored("pending_approval", None)),  # not approved yet
        (RequestStatus.REFUSED, stored("rejected")),  # the supervisor said no
        (RequestStatus.REFUSED, stored("effective", 10)),  # approved by its proposer
        (RequestStatus.REFUSED, stored("effective", already_applied=True)),  # used twice
    ]
    for target, decision in attacks:
        with pytest.raises(DecisionRequired):
            check_decided(target, decision)


def test_the_demo_data_reaches_every_decision_status_through_a_decision_in_effect(api):
    with api.app.unit_of_work() as uow:
        moves = uow.session.scalars(
            select(TransitionRow).where(TransitionRow.to_status.in_(
                ["accepted", "refused", "postponed"]))
        ).all()  # fmt: skip
        assert moves
        for move in moves:
            decision = uow.session.get(DecisionRow, move.decision_id)
            assert decision is not None and decision.request_id == move.request_id
            assert decision.status == "effective"


# --- withdrawal ----------------------------------------------------------------------------


@pytest.mark.parametrize("reasons", ["", "   "])
def test_a_withdrawal_without_a_reason_is_refused(api, reasons):
    request = api.create()
    attack = api.move(request["id"], "withdrawn", role="officer", reasons=reasons)
    assert attack.status_code == 422, attack.text
    assert attack.json()["error"]["code"] == "withdrawal_needs_reason"
    assert _status(api, request["id"]) == "received"


def test_a_withdrawal_keeps_its_reason_in_the_request_and_the_audit_trail(api):
    request = api.create()
    reason = "withdrawn by the requesting state's letter of 20 November"
    done = api.move(request["id"], "withdrawn", role="officer", reasons=reason)
    assert done.status_code == 200 and done.json()["transitions"][-1]["reasons"] == reason
    trail = api.client.get(
        f"/api/v1/audit?subject_type=request&subject_id={request['id']}",
        headers=api.headers("auditor"),
    ).json()["items"]
    withdrawn = [e for e in trail if e["tag"].endswith("request:withdrawn")]
    assert withdrawn and withdrawn[-1]["details"]["reasons"] == reason


def test_the_web_status_form_does_not_withdraw_without_a_reason(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = under_review(officer)
    page = officer.post(f"/requests/{request_id}/transitions",
                        {"status": "withdrawn", "version": "3", "reasons": " "})  # fmt: skip
    assert page.status_code == 422 and "this step cannot be undone" in page.text
    assert _status(demo_api, request_id) == "under_review"


# --- need-to-know on decisions ----------------------------------------------------------


def _same_answer(hidden, missing, hidden_id: int) -> None:
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {
        "error": {**missing.json()["error"],
                  "message": missing.json()["error"]["message"].replace(
                      str(MISSING_DECISION), str(hidden_id))}
    }  # fmt: skip


def test_approving_another_authoritys_decision_answers_as_a_missing_decision(api):
    request = api.under_review()
    pending = api.decide(request["id"], "refuse").json()
    hidden = api.approve(pending["id"], authority=OTHER)
    missing = api.approve(MISSING_DECISION, authority=OTHER)
    _same_answer(hidden, missing, pending["id"])
    assert f"decision {pending['id']} not found" == hidden.json()["error"]["message"]
    assert _status(api, request["id"]) == "under_review"


def test_deciding_on_another_authoritys_request_answers_as_a_missing_request(api):
    """Guard (held before the fix too): proposing a decision is need-to-know as well."""
    request = api.under_review()
    hidden = api.decide(request["id"], "grant", role="supervisor", authority=OTHER)
    missing = api.decide(MISSING_DECISION, "grant", role="supervisor", authority=OTHER)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"] == f"request {request['id']} not found"
    assert missing.json()["error"]["message"] == f"request {MISSING_DECISION} not found"


def test_the_web_approval_of_another_authoritys_decision_looks_like_a_missing_one(demo_api):
    request = demo_api.under_review()
    pending = demo_api.decide(request["id"], "refuse").json()
    stranger = WebUser(demo_api, f"t.supervisor.{OTHER}")
    pages = []
    for decision_id in (pending["id"], MISSING_DECISION):
        page = stranger.post(f"/decisions/{decision_id}/approval",
                             {"request_id": str(request["id"]), "approve": "yes",
                              "note": "approved from elsewhere"})  # fmt: skip
        assert page.status_code == 404
        pages.append(re.sub(r"decisions?[ /]\d+", "decision N", page.text))
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])
    assert _status(demo_api, request["id"]) == "under_review"


# --- the exchange ---------------------------------------------------------------------------


def test_a_status_notice_from_the_requesting_node_cannot_decide_the_request_received(pair):
    """The requesting state's node (or anyone holding its keys) reports "accepted" about
    the request it sent: the requested state's copy, which only its officers decide, stays
    where it is; the notice is kept as correspondence. (Guard: held before the fix too, as
    no received message sets a status.)"""
    a, b, transport = pair
    who_a = _officer(a)
    sent = _outgoing(a, who_a)
    message_id = _send(a, who_a, sent, b.id)
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        first = uow.session.get(InboxRow, message_id)
        incoming, conversation = first.request_id, first.conversation_id
    for status in ("accepted", "refused", "postponed", "withdrawn", "closed"):
        with a.app.unit_of_work() as uow:
            send_message(uow.session, a.node, peer_id=b.id, kind=STATUS_NOTICE,
                         body={"status": status, "previous_status": "under_review",
                               "changed_at": "2026-11-23T10:00:00+00:00",
                               "reference": "forged"},
                         actor=who_a.username, why="attack", now=a.clock[0],
                         conversation_id=conversation, request_id=sent)  # fmt: skip
            uow.commit()
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        notices = uow.session.scalars(
            select(InboxRow).where(InboxRow.message_type == STATUS_NOTICE.key)
        ).all()
        assert len(notices) == 5  # received and kept as correspondence
        assert uow.session.get(RequestRow, incoming).status == "received"
        assert not uow.session.scalars(
            select(TransitionRow).where(TransitionRow.request_id == incoming)
        ).all()
