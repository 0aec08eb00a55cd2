"""Refusals of unauthenticated input, recorded so that a flood can neither write in a
peer's name nor bury the audit trail.

Anyone on the network can post to the inbox, and until an envelope's (or an upload's)
signature has checked out, the sender it names is anyone's word. An audit entry "node
BEL-CA sent a malformed envelope" for each such post let anyone put acts in BEL-CA's name,
and let a flood of junk (200 posts in about a second) bury the entries an investigator
needs under its own.

So a refusal made before the signature checked out is counted, not written one by one:
table `exchange_refusals` holds one row per window (`exchange_refusal_window_seconds`),
channel (envelope or attachment) and refusal code, whose count is updated in place. The
audit trail gets, in the name of this node's inbox (`node:inbox`), never in the claimed
sender's:

- at once, the first refusal of a code in a window (an attack shows as it starts);
- once the window has closed, its total, when it counted more than that first one (the
  totals of closed windows are written by the next refusal counted, in any window).

That is at most two entries per code, channel and window whatever the rate, and the
totals live in the hash-linked trail, where they cannot be altered unseen; between two
windows the counter rows are the live view. The sender claimed is not kept: it is nobody's
word. (A bounded log beside the chain would also bound a flood, but its entries would be
outside the chain and could be edited unseen.)

A refusal of an envelope or upload whose signature checked out (a known peer's own
message, refused for being expired, a replay, about a conversation it is not part of...)
is still audited one by one, in that peer's name (`service.record_rejection`): the peer
signed what was refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.exchange.models import RefusalCountRow

INBOX_ACTOR = "node:inbox"
CHANNELS = ("envelope", "attachment")


def count_refusal(
    session: Session, *, channel: str, code: str, now: datetime, window_seconds: int
) -> None:
    """Count one refusal of unauthenticated input, in the caller's transaction. Two
    concurrent first refusals of a code in a window collide on the table's unique key: the
    loser's commit fails (IntegrityError) and the caller counts it again."""
    if channel not in CHANNELS:
        raise ValueError(f"refusal channel {channel!r} is not one of {CHANNELS}")
    start = int(now.timestamp()) // window_seconds * window_seconds
    _close_windows(session, before=start, now=now, window_seconds=window_seconds)
    counted = session.execute(
        update(RefusalCountRow)
        .where(
            RefusalCountRow.window == start,
            RefusalCountRow.channel == channel,
            RefusalCountRow.code == code[:40],
        )
        .values(count=RefusalCountRow.count + 1, last_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted:
        return
    row = RefusalCountRow(
        window=start, channel=channel, code=code[:40], count=1, first_at=now, last_at=now,
        closed=False,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, row, now, window_seconds, final=False)


def _close_windows(session: Session, *, before: int, now: datetime, window_seconds: int) -> None:
    """Write the totals of the windows that closed before `before`, once each: the row is
    marked closed by a conditional update, which only one transaction can win."""
    open_ids = session.scalars(
        select(RefusalCountRow.id).where(
            RefusalCountRow.window < before, RefusalCountRow.closed.is_(False)
        )
    ).all()
    for row_id in open_ids:
        won = session.execute(
            update(RefusalCountRow)
            .where(RefusalCountRow.id == row_id, RefusalCountRow.closed.is_(False))
            .values(closed=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            continue
        row = session.get(RefusalCountRow, row_id, populate_existing=True)
        if row.count > 1:
            _audit(session, row, now, window_seconds, final=True)


def _audit(session: Session, row: RefusalCountRow, now: datetime, window_seconds: int, *, final):
    started = datetime.fromtimestamp(row.window, UTC)
    record(
        session, actor=INBOX_ACTOR, action=AuditAction.COLLECTION,
        tag=f"node:{row.channel}:refusals", subject_type="inbox",
        subject_id=f"{row.channel}:{row.code}",
        why="refused at the inbox before any signature checked out", at=now,
        details={"reason": row.code, "count": row.count, "final": final,
                 "window_start": started.isoformat(), "window_seconds": window_seconds},
    )  # fmt: skip


def refusal_counts(session: Session) -> list[dict]:
    """The counter rows, newest window first (for operators and tests)."""
    rows = session.scalars(
        select(RefusalCountRow).order_by(RefusalCountRow.window.desc(), RefusalCountRow.code)
    )
    return [
        {"window": r.window, "channel": r.channel, "code": r.code, "count": r.count,
         "closed": r.closed}
        for r in rows
    ]  # fmt: skip
