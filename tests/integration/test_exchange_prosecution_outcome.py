"""The requesting state informed of the result of a submission for prosecution over the
node exchange (issue 20, aut dedere aut judicare): BEL-CA asks NLD-CA to extradite a Dutch
national; NLD-CA refuses on nationality, the obligation is tracked to its outcome, the
information is drafted at closing, approved by a second person (four-eyes) and sent to
BEL-CA as an answer in the request's conversation, audited on both sides. Two in-process
nodes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from judicare.auth.service import create_user, principal_of
from judicare.errors import Conflict
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.prosecution import service as prosecution
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.requests.registration import create_request
from judicare.requests.schemas import RequestCreate
from tests.integration.api_support import request_body
from tests.integration.exchange_nodes import T0, _decided, _deliver, _officer, _send, _tags
from tests.integration.test_exchange_correspondence import _move, _received_id

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _supervisor(n, name: str):
    with n.app.unit_of_work() as uow:
        user = create_user(uow.session, username=name, password="x" * 12, role="supervisor",
                           authority_id=n.id)  # fmt: skip
        uow.commit()
        return principal_of(user)


def test_the_result_reaches_the_requesting_states_node_after_four_eyes(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    national = {"role": "person_sought", "names": [{"name": "Joost Testvermeulen"}],
                "birth_date": "1969-09-09", "nationality": "NL"}  # fmt: skip
    body = request_body(direction="outgoing", kind="extradition", requesting_state="BE",
                        requested_state="NL", persons=[national], measures=[],
                        crimes=["war_crimes"])  # fmt: skip
    with a.app.unit_of_work() as uow:
        _, sent, _ = create_request(uow.session, who_a, RequestCreate.model_validate(body),
                                    now=T0, basis=None, why="test")  # fmt: skip
        uow.commit()
    message = _send(a, who_a, sent["id"], "NLD-CA")
    _deliver(a, transport)
    incoming = _received_id(b, message)
    _move(b, who_b, incoming, "registered")
    _move(b, who_b, incoming, "under_review")
    _decided(b, incoming, "refuse", "The Netherlands does not extradite its nationals.",
             [{"finding": "nationality"}])  # fmt: skip
    with b.app.unit_of_work() as uow:
        duty = uow.session.scalar(
            select(ProsecutionObligationRow).where(
                ProsecutionObligationRow.request_id == incoming,
                ProsecutionObligationRow.trigger == "ece_nationality",
            )
        )
        assert duty is not None and duty.inform_requesting_state
        duty_id = duty.id
    with b.app.unit_of_work() as uow:
        for status in ("submitted_to_prosecutors", "investigation_opened", "decision_taken"):
            prosecution.advance(uow.session, who_b, duty_id,
                                prosecution.StepIn(status=status, note=status),
                                now=b.clock[0], why="test")  # fmt: skip
        closed = prosecution.advance(
            uow.session, who_b, duty_id,
            prosecution.StepIn(status="closed", outcome="convicted", note="judgment"),
            now=b.clock[0], why="test",
        )  # fmt: skip
        uow.commit()
    assert closed["information"]["status"] == "pending_approval"
    assert closed["information"]["channel"] == "exchange"
    assert closed["informed_on"] is None

    first, second = _supervisor(b, "sup.one.nld"), _supervisor(b, "sup.two.nld")
    text = "Your request: the person was convicted by the District Court on the facts."
    with b.app.unit_of_work() as uow:  # the first supervisor redrafts; she cannot approve it
        prosecution.draft_information(uow.session, first, duty_id,
                                      prosecution.InformDraftIn(text=text), now=b.clock[0],
                                      why="test")  # fmt: skip
        uow.commit()
    yes = prosecution.InformApprovalIn(approve=True, note="outcome checked")
    with b.app.unit_of_work() as uow, pytest.raises(Conflict, match="four-eyes"):
        prosecution.approve_information(uow.session, b.node, first, duty_id, yes,
                                        now=b.clock[0], why="test")  # fmt: skip
    assert _outbox_answers(b) == []
    with b.app.unit_of_work() as uow:
        informed = prosecution.approve_information(uow.session, b.node, second, duty_id, yes,
                                                   now=b.clock[0], why="test")  # fmt: skip
        uow.commit()
    assert informed["information"]["status"] == "sent"
    assert informed["informed_on"] == b.clock[0].date().isoformat()
    [answer] = _outbox_answers(b)
    assert informed["information"]["message_id"] == answer.message_id
    assert answer.peer_id == "BEL-CA" and answer.request_id == incoming
    [sent_audit] = [d for d in _tags(b, "supervisor:prosecution:obligation:inform")
                    if d["obligation"] == duty_id]  # fmt: skip
    assert sent_audit["channel"] == "exchange" and sent_audit["message_id"] == answer.message_id
    with b.app.unit_of_work() as uow, pytest.raises(Conflict, match="already informed"):
        prosecution.draft_information(uow.session, first, duty_id,
                                      prosecution.InformDraftIn(text="again"), now=b.clock[0],
                                      why="test")  # fmt: skip

    _deliver(b, transport)
    with a.app.unit_of_work() as uow:
        arrived = uow.session.scalar(select(InboxRow).where(InboxRow.message_id ==
                                                            answer.message_id))  # fmt: skip
        assert arrived is not None and arrived.request_id == sent["id"]
        outcome = arrived.body_summary["prosecution_outcome"]
        assert outcome["outcome"] == "convicted" and outcome["trigger"] == "ece_nationality"
        assert {"instrument": "coe-extradition-1957", "article": "6(2)"} in outcome["citations"]
        assert arrived.body_summary["text"] == text
    assert any(answer.message_id in str(d) for d in _tags(a, "node:answer:receive"))


def _outbox_answers(n) -> list[OutboxRow]:
    with n.app.unit_of_work() as uow:
        rows = list(uow.session.scalars(
            select(OutboxRow).where(OutboxRow.message_type.like("answer%"))))  # fmt: skip
        uow.session.expunge_all()
        return rows
