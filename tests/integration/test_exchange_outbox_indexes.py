"""The outbox's partial indexes (migration 0054): the claim reads the pending messages only,
takes the same messages in the same order as before, and the migration goes down and up on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text, update

from judicare.exchange.canonical import STATUS_NOTICE
from judicare.exchange.delivery import Deliverer, _due_query
from judicare.exchange.models import OutboxRow, OutboxStatus
from judicare.exchange.service import send_message
from tests.integration.exchange_nodes import T0, NodeUnderTest

PARTIAL = {
    "ix_exchange_outbox_pending": "pending",
    "ix_exchange_outbox_pending_conversation": "pending",
    "ix_exchange_outbox_dead": "dead",
}


def _outbox_indexes(engine) -> dict[str, str]:
    """Each index of the outbox and its definition, as the database keeps it."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": "exchange_outbox"},
            )
        else:
            rows = connection.execute(
                text("SELECT name, coalesce(sql, '') FROM sqlite_master "
                     "WHERE type = 'index' AND tbl_name = :t"),
                {"t": "exchange_outbox"},
            )  # fmt: skip
        return {name: " ".join(definition.split()) for name, definition in rows}


def _assert_partial(indexes: dict[str, str]) -> None:
    assert "ix_exchange_outbox_due" not in indexes
    for name, status in PARTIAL.items():
        assert name in indexes, sorted(indexes)
        where = indexes[name].split(" WHERE ", 1)[1]
        assert where.replace("(", "").replace(")", "").replace("::text", "") == (
            f"status = '{status}'"
        ), indexes[name]


def test_the_outbox_indexes_hold_the_pending_and_the_dead_messages_only(app):
    _assert_partial(_outbox_indexes(app.engine))


def test_the_migration_goes_down_and_up_again(app):
    """Down: the partial indexes are gone and the full one on (status, next_attempt_at) is
    back, as 0053 left it. Up again: the partial ones, and not the full one."""
    from alembic import command

    from judicare.db.migrate import alembic_config

    config = alembic_config(app.engine)
    command.downgrade(config, "0053")
    down = _outbox_indexes(app.engine)
    assert not set(PARTIAL) & set(down)
    assert " WHERE " not in down["ix_exchange_outbox_due"]
    assert "status, next_attempt_at" in down["ix_exchange_outbox_due"]
    command.upgrade(config, "0054")
    _assert_partial(_outbox_indexes(app.engine))


def _queue(node: NodeUnderTest, conversation: str, count: int) -> list[int]:
    with node.app.unit_of_work() as uow:
        rows = []
        for n in range(count):
            row = send_message(uow.session, node.node, peer_id="NLD-CA", kind=STATUS_NOTICE,
                               body={"status": f"s{n}"}, actor="test", why="test", now=T0,
                               conversation_id=conversation)  # fmt: skip
            rows.append(row)
        uow.commit()
        return [row.id for row in rows]


def _set(node: NodeUnderTest, ids: list[int], **values) -> None:
    with node.app.unit_of_work() as uow:
        uow.session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(**values))
        uow.commit()


def test_the_claim_takes_the_first_pending_message_of_each_conversation(pair):
    """Delivered and dead messages hold nothing back; a pending message holds back the later
    ones of its conversation even while it is not due itself (its retry is later); the due
    ones come in the order of their next attempt, then of their id."""
    a, _, transport = pair
    settled = _queue(a, "c1000000-0000-0000-0000-000000000000", 4)  # delivered, dead, 2 pending
    _set(a, settled[:1], status=OutboxStatus.DELIVERED)
    _set(a, settled[1:2], status=OutboxStatus.DEAD)
    retried = _queue(a, "c2000000-0000-0000-0000-000000000000", 2)  # first not due yet
    _set(a, retried[:1], next_attempt_at=T0 + timedelta(minutes=5))
    earlier = _queue(a, "c3000000-0000-0000-0000-000000000000", 1)
    _set(a, earlier, next_attempt_at=T0 - timedelta(minutes=1))  # due before the others
    worker = Deliverer(a.app, a.node, transport)
    try:
        assert [job.id for job in worker._due(T0)] == [earlier[0], settled[2]]
        assert worker._due(T0) == []  # claimed
        _set(a, [earlier[0], settled[2]], status=OutboxStatus.DELIVERED)
        later = T0 + timedelta(minutes=10)  # every claim and retry has run out
        assert [job.id for job in worker._due(later)] == [settled[3], retried[0]]
    finally:
        worker.close()


def test_the_claim_reads_the_partial_indexes(pair):
    """The claim's plan (PostgreSQL after ANALYZE, as autovacuum would; SQLite's own) reads
    the pending messages through their partial indexes, among a thousand delivered."""
    a, _, _ = pair
    delivered = _queue(a, "c4000000-0000-0000-0000-000000000000", 1)
    _set(a, delivered, status=OutboxStatus.DELIVERED)
    with a.app.unit_of_work() as uow:
        row = uow.session.get(OutboxRow, delivered[0])
        copied = {c.key: getattr(row, c.key) for c in OutboxRow.__table__.columns}
        for n in range(1000):
            uow.session.add(OutboxRow(**{**copied, "id": None, "message_id": f"m-{n}",
                                         "conversation_id": f"d-{n % 300}",
                                         "status": OutboxStatus.DELIVERED}))  # fmt: skip
        uow.commit()
    _queue(a, "c5000000-0000-0000-0000-000000000000", 3)
    engine = a.app.engine
    postgresql = engine.dialect.name == "postgresql"
    statement = _due_query(postgresql).params(now=T0, limit=64)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        if postgresql:
            connection.execute(text("ANALYZE exchange_outbox"))
            plan = "\n".join(connection.execute(text(f"EXPLAIN {sql}")).scalars())
        else:
            plan = "\n".join(
                str(r[-1]) for r in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            )
        found = connection.execute(statement).all()
    assert len(found) == 1  # the first of the three; the others wait behind it
    assert re.search(r"\bix_exchange_outbox_pending\b(?!_)", plan), plan  # the due ones
    assert "ix_exchange_outbox_pending_conversation" in plan, plan
    assert "ix_exchange_outbox_due" not in plan
    if postgresql:
        assert "Anti Join" not in plan, plan  # no join of every pending message
