"""The delivery worker: posts due outbox messages, keeps the receipts, retries failures
with exponential backoff and jitter (always the same bytes under the same message id), and
moves a message that keeps failing, or that a peer refuses, to the dead-letter state.

At least once on the wire, exactly once in effect: the receiver's duplicate store answers a
retry with the original receipt, so a crash anywhere here costs at most one more post.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from judicare.audit.service import AuditAction, record
from judicare.db.base import as_utc
from judicare.errors import InvalidInput, JudicareError
from judicare.exchange import chunked
from judicare.exchange.attachments import upload_headers
from judicare.exchange.envelopes import sha256_hex
from judicare.exchange.models import OutboxRow, OutboxStatus, PeerRow, ReceiptRow
from judicare.exchange.service import REQUEST_TYPES, Node, open_receipt
from judicare.exchange.transport import Delivered, Refused, Transport, TransportFailure


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of min(cap, base * 2^(n-1)),
    so that many senders recovering together do not retry in step."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


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

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def run_once(self) -> DeliveryReport:
        jobs = self._due(self.node.clock.now())
        report = DeliveryReport()
        if not jobs:
            return report
        results = list(self.pool.map(self._post, jobs))
        with self.app.unit_of_work() as uow:
            now = self.node.clock.now()
            for job, result in zip(jobs, results, strict=True):
                self._settle(uow.session, job, result, now, report)
            uow.commit()
        return report

    def run(self, stop: threading.Event) -> None:
        """Deliver until told to stop; wait a little when nothing is due."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:  # a database hiccup: log, pause, go on (nothing is lost)
                logging.getLogger("judicare.exchange").exception("delivery round failed")
                report = DeliveryReport()
                stop.wait(1.0)
            if report.attempted == 0:
                stop.wait(self.settings.exchange_poll_seconds)

    def _due(self, now: datetime) -> list[_Job]:
        """Due messages, in order within each conversation: a message waits while an earlier
        one of its conversation is still pending (a supplementary request never overtakes
        the request it supplements); a dead letter no longer holds the others back."""
        earlier = aliased(OutboxRow)
        waiting = (
            select(earlier.id)
            .where(
                earlier.conversation_id == OutboxRow.conversation_id,
                earlier.status == OutboxStatus.PENDING,
                earlier.id < OutboxRow.id,
            )
            .exists()
        )
        query = (
            select(OutboxRow, PeerRow.endpoint, PeerRow.active, _orphaned())
            .join(PeerRow, PeerRow.node_id == OutboxRow.peer_id)
            .where(OutboxRow.status == OutboxStatus.PENDING, OutboxRow.next_attempt_at <= now)
            .where(~waiting)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(self.settings.exchange_batch_size)
        )
        with self.app.unit_of_work() as uow:
            if uow.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=OutboxRow, skip_locked=True)
            rows = uow.session.execute(query).all()
            claimed_until = now + timedelta(seconds=self.settings.exchange_claim_seconds)
            for row, *_ in rows:
                row.next_attempt_at = claimed_until  # taken: no other worker posts it now
            uow.commit()
            return [
                _Job(r.id, r.message_id, r.peer_id, endpoint if active else None, r.envelope,
                     r.envelope_sha256, tuple(r.attachments or ()), bool(orphaned))
                for r, endpoint, active, orphaned in rows
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

    def _settle(self, session, job: _Job, result, now: datetime, report: DeliveryReport) -> None:
        row = session.get(OutboxRow, job.id)
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
