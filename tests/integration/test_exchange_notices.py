"""A message received over the exchange notifies the holders of its request on the
receiving node (issue 17, notices), in the transaction that records the message, once per
message: here an answer reaching the requesting node, and the request itself reaching the
requested node (SQLite and PostgreSQL, two nodes)."""

from __future__ import annotations

from sqlalchemy import select

from judicare.exchange.correspondence import send_answer
from judicare.notifications.models import NotificationRow
from tests.integration.test_exchange import _deliver, _officer
from tests.integration.test_exchange_correspondence import _travelled


def _notices(node, user_id: int) -> list[tuple[str, int]]:
    with node.app.unit_of_work() as uow:
        return [
            (n.kind, n.request_id)
            for n in uow.session.scalars(
                select(NotificationRow).where(NotificationRow.user_id == user_id)
                .order_by(NotificationRow.id)
            )
        ]  # fmt: skip


def test_a_message_received_notifies_the_holders_on_the_receiving_node(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)
    assert ("message_received", incoming) in _notices(b, who_b.user_id)  # the request arrived
    assert _notices(a, who_a.user_id) == []
    with b.app.unit_of_work() as uow:
        send_answer(uow.session, b.node, who_b, incoming, "The witness was heard.",
                    document_ids=(), now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    _deliver(b, transport)  # a second delivery run adds nothing
    assert _notices(a, who_a.user_id) == [("message_received", sent)]
