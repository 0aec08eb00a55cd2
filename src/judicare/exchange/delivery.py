"""The delivery worker: posts due outbox messages, keeps the receipts, retries failures
with exponential backoff and jitter (always the same bytes under the same message id), and
moves a message that keeps failing, or that a peer refuses, to the dead-letter state.

At least once on the wire, exactly once in effect: the receiver's duplicate store answers a
retry with the original receipt, so a crash anywhere here costs at most one more post.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, literal_column, select, update
from sqlalchemy.orm import Session, aliased, defer

from judicare.audit.service import AuditAction, record
from judicare.db.base import as_utc
from judicare.errors import InvalidInput, JudicareError
from judicare.exchange import chunked
from judicare.exchange.attachments import upload_headers
from judicare.exchange.envelopes import sha256_hex
from judicare.exchange.models import OutboxRow, OutboxStatus, PeerRow, ReceiptRow
from judicare.exchange.service import (
    OUTBOX_CHANNEL,
    REQUEST_TYPES,
    Node,
    open_receipt,
    small_inserts,
    wake_deliverers,
)
from judicare.exchange.transport import (
    MAX_BATCH_ENVELOPES,
    Delivered,
    Refused,
    Transport,
    TransportFailure,
)


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of min(cap, base * 2^(n-1)),
    so that many senders recovering together do not retry in step."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


# Envelopes posted together to one peer (`HttpTransport.post_batch`): as many as a batch
# inbox takes. The claimed messages are spread over the senders first, so a few go in
# small groups at once and a backlog in groups of up to this many (`_groups`).
MAX_GROUP = MAX_BATCH_ENVELOPES


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead


@dataclass(frozen=True, slots=True)
class _Job:
    id: int
    message_id: str
    peer_id: str
    endpoint: str | None
    envelope: bytes
    envelope_sha256: str
    attachments: tuple = ()
    orphaned: bool = False  # the request it follows died undelivered


class Deliverer:
    """Delivers one node's outbox. Several may run at once (in several servers or
    `judicare node deliver` processes): each round claims the messages it posts (PostgreSQL:
    `FOR UPDATE SKIP LOCKED`; SQLite: its one writer at a time) by moving their next attempt
    `exchange_claim_seconds` ahead, so no message is posted by two workers at once. A worker
    that dies mid-round leaves its messages to be taken again once the claim runs out; the
    receiver applies a message once whatever the number of posts."""

    def __init__(self, app, node: Node, transport: Transport, seed: int | None = None) -> None:
        self.app, self.node, self.transport = app, node, transport
        self.settings = node.settings
        self.rng = random.Random(seed)
        self.pool = ThreadPoolExecutor(self.settings.exchange_senders, "judicare-deliver")
        self.wake = node.outbox_signal  # set when this process queues a message
        self.listener: OutboxListener | None = None  # PostgreSQL, while `run` runs

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def run_once(self) -> DeliveryReport:
        """One round: claim what is due, post it concurrently, settle it in one transaction."""
        jobs = self._due(self.node.clock.now())
        report = DeliveryReport()
        if jobs:
            groups = self._groups(jobs)
            answered = [
                pair
                for group, results in zip(
                    groups, self.pool.map(self._post_group, groups), strict=True
                )
                for pair in zip(group, results, strict=True)
            ]
            self._settle_all(answered, report)
        return report

    def run(self, stop: threading.Event) -> None:
        """Deliver until told to stop. The posts are pipelined rather than taken in rounds:
        while the senders post, the worker claims more (when half of what it holds is
        done) and settles whatever has been answered, in one transaction for all the
        answers that came in meanwhile (so a slow post never holds the others back, and
        the database commits once per group, not once per message). When nothing is due
        it waits for `wake` or for `exchange_poll_seconds`. `wake` is set when a message is
        queued in this process and, on PostgreSQL, when one is queued in any process (a
        `LISTEN` on `service.OUTBOX_CHANNEL`, `OutboxListener`); on SQLite a message queued
        by another process waits for the poll."""
        ended = threading.Event()  # the listener stops with this loop, however it ends
        self.listener = OutboxListener.start_for(self.app.engine, self.wake, ended)
        try:
            self._pipeline(stop)
        finally:
            ended.set()
            if self.listener is not None:
                self.listener.join(timeout=5)

    def _pipeline(self, stop: threading.Event) -> None:
        in_flight: dict[Future, list[_Job]] = {}
        capacity = max(self.settings.exchange_batch_size, 2 * self.settings.exchange_senders)

        def held() -> int:
            return sum(len(group) for group in in_flight.values())

        def answered(futures) -> list:
            return [
                pair for f in futures for pair in zip(in_flight.pop(f), f.result(), strict=True)
            ]

        def post(due: list[_Job], flying: set[int]) -> None:
            # A message still being posted (a bag of gigabytes outlasts the claim) is
            # claimed again, which renews its claim, but not posted a second time.
            for group in self._groups([job for job in due if job.id not in flying]):
                in_flight[self.pool.submit(self._post_group, group)] = group

        def flying() -> set[int]:
            return {job.id for group in in_flight.values() for job in group}

        claimed = False  # the settlement just claimed: the loop does not claim again at once
        while not stop.is_set():
            try:
                if not claimed and held() <= capacity // 2:
                    self.wake.clear()
                    post(self._due(self.node.clock.now(), capacity - held()), flying())
                claimed = False
                if not in_flight:
                    self._idle(stop)
                    continue
                done, _ = wait(in_flight, timeout=1.0, return_when=FIRST_COMPLETED)
                if not done:
                    continue
                settled = answered(done)
                if held() <= capacity // 2:  # settle and claim more in one transaction
                    self.wake.clear()
                    post(self._settle_and_claim(settled, capacity - held()), flying())
                    claimed = True
                else:
                    self._settle_all(settled)
            except Exception:  # a database hiccup: log, pause, go on (nothing is lost: a
                # message whose answer was not settled is taken again when its claim ends)
                logging.getLogger("judicare.exchange").exception("delivery round failed")
                stop.wait(1.0)
        if in_flight:  # let the posts under way finish and keep their receipts
            try:
                self._settle_all(answered(list(in_flight)))
            except Exception:
                logging.getLogger("judicare.exchange").exception("last settlement failed")

    def _idle(self, stop: threading.Event) -> None:
        """Wait for a queued message (`wake`), the next poll, or the order to stop."""
        deadline = time.monotonic() + self.settings.exchange_poll_seconds
        while not (stop.is_set() or self.wake.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.wake.wait(min(left, 0.25))

    def _groups(self, jobs: list[_Job]) -> list[list[_Job]]:
        """The claimed messages in groups to post together: to one endpoint, without
        attachments (those go alone, after their uploads), at most `MAX_GROUP` envelopes
        and the peer's envelope size cap in all, spread over the senders. With the
        in-process mock transport (no `post_batch`) every message goes alone."""
        if not hasattr(self.transport, "post_batch"):
            return [[job] for job in jobs]
        size = max(1, min(MAX_GROUP, -(-len(jobs) // self.settings.exchange_senders)))
        limit = self.settings.exchange_max_envelope_bytes
        groups: list[list[_Job]] = []
        open_groups: dict[str, tuple[list[_Job], int]] = {}
        for job in jobs:
            if job.endpoint is None or job.orphaned or job.attachments:
                groups.append([job])
                continue
            group, total = open_groups.get(job.endpoint, ([], 0))
            if group and (len(group) >= size or total + len(job.envelope) + 4 > limit):
                group, total = [], 0
            if not group:
                groups.append(group)
            group.append(job)
            open_groups[job.endpoint] = (group, total + len(job.envelope) + 4)
        return groups

    def _post_group(self, jobs: list[_Job]) -> list:
        """Each job's outcome: a group to one peer in one request (`post_batch`), else one
        by one (a peer without a batch inbox, or that would not take this batch whole)."""
        endpoint = jobs[0].endpoint
        if len(jobs) == 1 or endpoint is None:
            return [self._post(job) for job in jobs]
        try:
            results = self.transport.post_batch(endpoint, [job.envelope for job in jobs])  # type: ignore[attr-defined]
        except TransportFailure as exc:
            return [exc] * len(jobs)
        except Exception as exc:  # a fault in a transport must not stop the round: retry
            return [TransportFailure(f"unexpected {type(exc).__name__}: {exc}")] * len(jobs)
        if results is None:
            return [self._post(job) for job in jobs]
        return results

    def _settle_all(self, answered: list, report: DeliveryReport | None = None) -> DeliveryReport:
        """Record the outcome of each post (receipt, retry or dead letter) in one transaction,
        the outbox rows read in one statement."""
        report = report if report is not None else DeliveryReport()
        with self.app.unit_of_work() as uow:
            self._settle_in(uow.session, answered, report, self.node.clock.now())
            uow.commit()
        return report

    def _settle_and_claim(self, answered: list[tuple[_Job, Any]], limit: int) -> list[_Job]:
        """Settle the answered posts (`_settle_all`) and claim the next due messages (`_due`)
        in one transaction: one commit, one round trip fewer for each group the pipelined
        worker settles. The claim comes after the settlement's writes, so a message waiting
        behind one just delivered in its conversation is due at once. Nothing is posted
        before the commit: a transaction that fails claims nothing."""
        with self.app.unit_of_work() as uow:
            now = self.node.clock.now()
            self._settle_in(uow.session, answered, DeliveryReport(), now)
            jobs = self._claim(uow.session, now, limit)
            uow.commit()
        return jobs

    def _settle_in(
        self, session: Session, answered: list[tuple[_Job, Any]], report: DeliveryReport,
        now: datetime,
    ) -> None:  # fmt: skip
        small_inserts(session, ReceiptRow.__table__)
        ids = [job.id for job, _ in answered]
        query = select(OutboxRow).where(OutboxRow.id.in_(ids)).options(*_UNREAD)
        rows = {row.id: row for row in session.scalars(query)}
        # Read the peers once: held here, the rows stay in the session's identity map
        # for every receipt checked below (each still checked against its endorsement).
        peers = session.scalars(  # noqa: F841
            select(PeerRow).where(PeerRow.node_id.in_({job.peer_id for job, _ in answered}))
        ).all()
        for job, result in answered:
            self._settle(session, rows.get(job.id), job, result, now, report)

    def _due(self, now: datetime, limit: int | None = None) -> list[_Job]:
        """Due messages, in order within each conversation: a message waits while an earlier
        one of its conversation is still pending (a supplementary request never overtakes
        the request it supplements); a dead letter no longer holds the others back. Claimed
        by one UPDATE of the rows read (the statements are built once: see `_due_query`)."""
        with self.app.unit_of_work() as uow:
            jobs = self._claim(uow.session, now, limit)
            uow.commit()
            return jobs

    def _claim(self, session: Session, now: datetime, limit: int | None) -> list[_Job]:
        postgresql = session.get_bind().dialect.name == "postgresql"
        rows = session.execute(
            _due_query(postgresql),
            {"now": now, "limit": limit or self.settings.exchange_batch_size},
        ).all()
        if rows:  # taken: no other worker posts them now
            claimed_until = now + timedelta(seconds=self.settings.exchange_claim_seconds)
            session.execute(_CLAIM, {"ids": [row.id for row in rows], "until": claimed_until})
        return [
            _Job(r.id, r.message_id, r.peer_id, r.endpoint if r.active else None,
                 r.envelope, r.envelope_sha256, tuple(r.attachments or ()),
                 bool(r.orphaned))
            for r in rows
        ]  # fmt: skip

    def _post(self, job: _Job):
        if job.endpoint is None:
            return Refused("peer_removed", f"peer {job.peer_id} was removed", True)
        if job.orphaned:
            return Refused(
                "request_not_delivered",
                "the request this message follows was not delivered: requeue the request "
                "first, then this message",
                True,
            )
        try:
            refused = self._upload(job)
            if refused is not None:
                return refused
            return self.transport.post(job.endpoint, job.envelope)
        except TransportFailure as exc:
            return exc
        except Exception as exc:  # a fault in a transport must not stop the round: retry
            return TransportFailure(f"unexpected {type(exc).__name__}: {exc}")

    def _upload(self, job: _Job) -> Refused | None:
        """Stream each encrypted attachment from the file store before the envelope (again
        on a retry: the receiver stores by content, so a second copy changes nothing)."""
        ring = self.node.ring()
        for item in job.attachments:
            if chunked.is_chunked(item):  # larger than one chunk: resumable, chunk by chunk
                refused = chunked.upload(self.transport, self.node, job.endpoint,
                                         job.message_id, item)  # fmt: skip
                if refused is not None:
                    return refused
                continue
            headers = upload_headers(ring, job.message_id, item["id"], item["sha256"])
            chunks = self.node.file_store.open_chunks(item["storage_key"])
            refused = self.transport.upload(
                job.endpoint, job.message_id, item["id"], chunks, headers
            )
            if refused is not None:
                return refused
        return None

    def _settle(
        self, session, row: OutboxRow | None, job: _Job, result, now: datetime,
        report: DeliveryReport,
    ) -> None:  # fmt: skip
        if row is None or row.status != OutboxStatus.PENDING:
            return
        if isinstance(result, Delivered):
            try:
                body = open_receipt(
                    session, self.node, job.peer_id, result.receipt, job.message_id,
                    job.envelope_sha256,
                )  # fmt: skip
            except JudicareError as exc:
                result = TransportFailure(f"the receipt was refused: {exc.message}")
            else:
                self._delivered(session, row, result.receipt, body, now)
                report.delivered += 1
                return
        if isinstance(result, Refused) and result.permanent:
            self._dead(session, row, f"refused by the peer: {result.code}: {result.message}", now)
            report.dead += 1
            return
        row.attempts += 1
        row.last_error = str(result)[:2000]
        if row.attempts >= self.settings.exchange_max_attempts:
            self._dead(session, row, f"gave up after {row.attempts} attempts: {result}", now)
            report.dead += 1
        elif now >= as_utc(row.expires_at):
            self._dead(session, row, f"expired before delivery: {result}", now)
            report.dead += 1
        else:
            delay = backoff_seconds(
                row.attempts, self.settings.exchange_backoff_base_seconds,
                self.settings.exchange_backoff_max_seconds, self.rng,
            )  # fmt: skip
            row.next_attempt_at = now + timedelta(seconds=delay)
            report.retried += 1

    def _delivered(self, session, row: OutboxRow, receipt: bytes, body: dict, now) -> None:
        row.status, row.delivered_at, row.last_error = OutboxStatus.DELIVERED, now, ""
        row.attempts += 1
        session.add(
            ReceiptRow(
                message_id=row.message_id, peer_id=row.peer_id, receipt=receipt,
                receipt_sha256=sha256_hex(receipt), outcome=body.get("outcome", {}),
                received_at=now,
            )
        )  # fmt: skip
        record(
            session, actor="node:delivery", action=AuditAction.DISCLOSURE,
            tag="node:message:deliver", subject_type="message", subject_id=row.message_id,
            why="delivery evidence", at=now,
            details={"recipients": [row.peer_id], "receipt_sha256": sha256_hex(receipt)},
        )  # fmt: skip

    def _dead(self, session, row: OutboxRow, reason: str, now) -> None:
        row.status, row.dead_at, row.last_error = OutboxStatus.DEAD, now, reason[:2000]
        record(
            session, actor="node:delivery", action=AuditAction.DISCLOSURE,
            tag="node:message:dead-letter", subject_type="message", subject_id=row.message_id,
            why="delivery failed", at=now, details={"recipients": [row.peer_id], "reason": reason},
        )  # fmt: skip


class OutboxListener(threading.Thread):
    """PostgreSQL: sets `wake` whenever any process commits a transaction that queued a
    message (`service.wake_deliverers` sends `NOTIFY` on `OUTBOX_CHANNEL`), so a worker
    never waits for its poll for a message queued by another server. It holds one
    connection of its own, outside the pool, in autocommit (`LISTEN` needs no transaction);
    if the connection fails it reconnects after a pause, and sets `wake` on each (re)connect
    so that nothing queued while it was not listening waits for the poll either."""

    RETRY_SECONDS = 1.0

    def __init__(self, conninfo: str, wake: threading.Event, stop: threading.Event) -> None:
        super().__init__(name="judicare-outbox-listen", daemon=True)
        self.conninfo, self.wake, self.stop = conninfo, wake, stop
        self.listening = threading.Event()  # set while LISTEN is in force (tests wait on it)

    @classmethod
    def start_for(cls, engine, wake: threading.Event, stop: threading.Event):
        """A started listener for a PostgreSQL engine; None for SQLite (which polls)."""
        if engine.dialect.name != "postgresql":
            return None
        url = engine.url.set(drivername="postgresql")
        listener = cls(url.render_as_string(hide_password=False), wake, stop)
        listener.start()
        return listener

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    self.listening.set()
                    self.wake.set()
                    while not self.stop.is_set():
                        for _ in connection.notifies(timeout=0.5):
                            self.wake.set()
            except psycopg.Error:
                logging.getLogger("judicare.exchange").warning(
                    "outbox listener lost its connection: polling until it is back",
                    exc_info=True,
                )
            finally:
                self.listening.clear()
            self.stop.wait(self.RETRY_SECONDS)


# `status = 'pending'` in the statement's text, not a bound parameter: the partial indexes of
# the pending messages (migration 0054) serve a query only where its condition is theirs,
# which SQLite, and a plan PostgreSQL prepares once for any value, cannot know of a parameter.
_PENDING = literal_column(f"'{OutboxStatus.PENDING.value}'")


@functools.cache
def _due_query(postgresql: bool) -> Select:
    """The due messages' query (`Deliverer._due`), built once per dialect: a round builds no
    SQL expression, only binds `now` and `limit`. On PostgreSQL the rows are locked (`FOR
    UPDATE SKIP LOCKED`), so concurrent workers take different messages.

    A due message is taken when it is the first pending one of its conversation (the
    lowest id): one look-up per due message in `ix_exchange_outbox_pending_conversation`.
    (Written as NOT EXISTS, PostgreSQL joined it to every pending message, reading each
    pending row, and each superseded version of one that no vacuum had yet removed, on
    every claim.)"""
    earlier = aliased(OutboxRow)
    first_pending = (
        select(func.min(earlier.id))
        .where(earlier.conversation_id == OutboxRow.conversation_id, earlier.status == _PENDING)
        .scalar_subquery()
    )
    columns = (
        OutboxRow.id, OutboxRow.message_id, OutboxRow.peer_id, OutboxRow.envelope,
        OutboxRow.envelope_sha256, OutboxRow.attachments, PeerRow.endpoint, PeerRow.active,
    )  # fmt: skip
    query = (
        select(*columns, _orphaned())
        .join(PeerRow, PeerRow.node_id == OutboxRow.peer_id)
        .where(OutboxRow.status == _PENDING)
        .where(OutboxRow.next_attempt_at <= bindparam("now"))
        .where(OutboxRow.id == first_pending)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(bindparam("limit", type_=Integer))
    )
    return query.with_for_update(of=OutboxRow, skip_locked=True) if postgresql else query


# Claims the messages read (`Deliverer._due`): their next attempt is moved past the claim.
_CLAIM = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("ids", expanding=True)))
    .values(next_attempt_at=bindparam("until"))
    .execution_options(synchronize_session=False)
)
# What settling a message does not read back: its bytes, attachments and summary.
_UNREAD = (defer(OutboxRow.envelope), defer(OutboxRow.attachments), defer(OutboxRow.summary))


def _orphaned():
    """Whether a message follows a request of its conversation that died undelivered (and
    none was delivered): a status notice or supplement about a request the peer never got
    must not reach it alone."""
    earlier = aliased(OutboxRow)

    def request_before(status: str):
        return (
            select(earlier.id)
            .where(
                earlier.conversation_id == OutboxRow.conversation_id,
                earlier.id < OutboxRow.id,
                earlier.message_type.in_(REQUEST_TYPES),
                earlier.status == status,
            )
            .exists()
        )

    orphaned = request_before(OutboxStatus.DEAD) & ~request_before(OutboxStatus.DELIVERED)
    return orphaned.label("orphaned")


def requeue(session, message_id: str, *, now: datetime, actor: str) -> OutboxRow:
    """Put a dead letter back in the queue (same bytes, same message id)."""
    row = session.scalar(select(OutboxRow).where(OutboxRow.message_id == message_id))
    if row is None or row.status != OutboxStatus.DEAD:
        raise InvalidInput(f"no dead letter {message_id}: see `judicare node outbox --status dead`")
    if now >= as_utc(row.expires_at):
        raise InvalidInput(
            f"message {message_id} expired at {as_utc(row.expires_at):%Y-%m-%d %H:%M} UTC: "
            "send the request again instead (a new message)"
        )
    row.status, row.attempts, row.next_attempt_at, row.dead_at = OutboxStatus.PENDING, 0, now, None
    wake_deliverers(session)
    record(
        session, actor=actor, action=AuditAction.DISCLOSURE, tag="node:message:requeue",
        subject_type="message", subject_id=message_id, why="retry a dead letter", at=now,
        details={"recipients": [row.peer_id]},
    )  # fmt: skip
    return row


def list_outbox(session, *, status: str | None = None, limit: int = 100) -> list[dict]:
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxRow.status == status)
    return [
        {
            "message_id": r.message_id, "peer": r.peer_id, "type": r.message_type,
            "request": r.request_id, "status": r.status, "attempts": r.attempts,
            "created_at": as_utc(r.created_at).isoformat(), "last_error": r.last_error,
        }
        for r in session.scalars(query)
    ]  # fmt: skip
