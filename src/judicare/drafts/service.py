"""Saved drafts of the outgoing wizard.

An officer may save the wizard at any step, leave, and resume it later at that step with
every field and every chosen document. A draft is need-to-know in the strictest sense: only
the user who saved it, in the authority he saved it in, sees it (anyone else gets "not
found"). It holds only the wizard's own fields, as typed, and the files chosen; it expires
`DRAFT_DAYS` days after it was last saved and is then deleted with its files. Saving and
discarding are audited without the personal data: the entry names the draft, the step and
the number of files, never a name, a fact or a file name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.drafts.models import WizardDraftFileRow, WizardDraftRow
from judicare.errors import InvalidInput

DRAFT_DAYS = 30  # a draft not saved again for this long is deleted, with its documents
MAX_DRAFTS = 20  # per user: a draft more is refused, with what to do
TITLE_LENGTH = 200


class NewFile(Protocol):
    filename: str
    media_type: str | None
    content: bytes


@dataclass(frozen=True)
class DraftSummary:
    id: int
    title: str
    step: int
    updated_at: datetime
    expires_at: datetime
    files: int
    content: dict


@dataclass(frozen=True)
class HeldFile:
    id: int
    filename: str
    media_type: str | None
    size: int
    content: bytes


@dataclass(frozen=True)
class SavedDraft:
    id: int
    step: int
    content: dict
    expires_at: datetime
    files: list[HeldFile]


def _mine(session: Session, principal: Principal, draft_id: int, now: datetime):
    row = session.get(WizardDraftRow, draft_id)
    if (
        row is None
        or row.user_id != principal.user_id
        or row.authority_id != principal.authority_id
        or _aware(row.expires_at) <= now
    ):
        raise NotFound(f"no draft {draft_id} of yours")  # another's draft is never confirmed
    return row


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete every draft past its expiry, with its documents."""
    expired = select(WizardDraftRow.id).where(WizardDraftRow.expires_at <= now)
    ids = list(session.scalars(expired))
    if not ids:
        return 0
    session.execute(delete(WizardDraftFileRow).where(WizardDraftFileRow.draft_id.in_(ids)))
    session.execute(delete(WizardDraftRow).where(WizardDraftRow.id.in_(ids)))
    record(
        session, actor="system", action=AuditAction.ERASURE, tag="system:draft:expire",
        subject_type="draft", subject_id=",".join(map(str, ids))[:200],
        why=f"drafts are kept {DRAFT_DAYS} days after they were last saved", at=now,
        details={"count": len(ids)},
    )  # fmt: skip
    return len(ids)


def save_draft(
    session: Session,
    principal: Principal,
    *,
    draft_id: int | None,
    step: int,
    content: dict,
    title: str,
    files: Sequence[NewFile] = (),
    max_bytes: int,
    now: datetime,
    why: str,
) -> SavedDraft:
    """Create or update the user's draft; add the files chosen (a file the draft holds
    already, by SHA-256, is not added twice). `max_bytes` bounds the draft's files together."""
    authorize(principal, Permission.REQUEST_CREATE)
    purge_expired(session, now=now)
    if draft_id is None:
        count = session.scalar(
            select(func.count()).where(WizardDraftRow.user_id == principal.user_id)
        )
        if (count or 0) >= MAX_DRAFTS:
            raise InvalidInput(
                f"you have {MAX_DRAFTS} saved drafts, the most one may keep: "
                "resume or discard one first"
            )
        row = WizardDraftRow(user_id=principal.user_id, authority_id=principal.authority_id,
                             created_at=now, content={})  # fmt: skip
        session.add(row)
    else:
        row = _mine(session, principal, draft_id, now)
    row.title = title[:TITLE_LENGTH]
    row.step = step
    row.content = content
    row.updated_at = now
    row.expires_at = now + timedelta(days=DRAFT_DAYS)
    session.flush()
    _hold(session, row.id, files, max_bytes)
    record(
        session, actor=principal.username, action=AuditAction.COLLECTION,
        tag=f"{principal.role.value}:draft:save", subject_type="draft", subject_id=row.id,
        why=why, at=now, details={"step": step, "files": len(held_files(session, row.id))},
    )  # fmt: skip
    return load_draft(session, principal, row.id, now=now)


def _hold(session: Session, draft_id: int, files: Iterable[NewFile], max_bytes: int) -> None:
    held = {f.sha256 for f in session.scalars(
        select(WizardDraftFileRow).where(WizardDraftFileRow.draft_id == draft_id))}  # fmt: skip
    total = session.scalar(
        select(func.coalesce(func.sum(WizardDraftFileRow.size), 0)).where(
            WizardDraftFileRow.draft_id == draft_id
        )
    )
    total = int(total or 0)
    for new in files:
        digest = hashlib.sha256(new.content).hexdigest()
        if digest in held:
            continue
        total += len(new.content)
        if total > max_bytes:
            raise InvalidInput(
                f"a draft holds at most {max_bytes} bytes of documents: "
                "remove a document from the draft or register the request"
            )
        held.add(digest)
        session.add(WizardDraftFileRow(draft_id=draft_id, filename=new.filename[:255],
                                       media_type=new.media_type, sha256=digest,
                                       size=len(new.content), content=new.content))  # fmt: skip
    session.flush()


def held_files(session: Session, draft_id: int) -> list[HeldFile]:
    rows = session.scalars(
        select(WizardDraftFileRow)
        .where(WizardDraftFileRow.draft_id == draft_id)
        .order_by(WizardDraftFileRow.id)
    )
    return [HeldFile(r.id, r.filename, r.media_type, r.size, r.content) for r in rows]


def load_draft(session: Session, principal: Principal, draft_id: int, *, now: datetime):
    """The user's own draft, or NotFound (another user's, another authority's, expired)."""
    authorize(principal, Permission.REQUEST_CREATE)
    row = _mine(session, principal, draft_id, now)
    return SavedDraft(row.id, row.step, dict(row.content), _aware(row.expires_at),
                      held_files(session, row.id))  # fmt: skip


def my_drafts(session: Session, principal: Principal, *, now: datetime) -> list[DraftSummary]:
    """The user's drafts in his authority, the last saved first (expired ones are gone)."""
    authorize(principal, Permission.REQUEST_CREATE)
    files = (
        select(func.count(WizardDraftFileRow.id))
        .where(WizardDraftFileRow.draft_id == WizardDraftRow.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(WizardDraftRow, files)
        .where(
            WizardDraftRow.user_id == principal.user_id,
            WizardDraftRow.authority_id == principal.authority_id,
            WizardDraftRow.expires_at > now,
        )
        .order_by(WizardDraftRow.updated_at.desc(), WizardDraftRow.id.desc())
    ).all()
    return [
        DraftSummary(
            r.id, r.title, r.step, _aware(r.updated_at), _aware(r.expires_at), n, dict(r.content)
        )
        for r, n in rows
    ]


def drop_file(
    session: Session, principal: Principal, draft_id: int, file_id: int, *, now: datetime
) -> None:
    """Remove one document from the user's draft."""
    authorize(principal, Permission.REQUEST_CREATE)
    _mine(session, principal, draft_id, now)
    session.execute(
        delete(WizardDraftFileRow).where(
            WizardDraftFileRow.draft_id == draft_id, WizardDraftFileRow.id == file_id
        )
    )


def discard_draft(
    session: Session,
    principal: Principal,
    draft_id: int,
    *,
    now: datetime,
    why: str,
    registered: bool = False,
) -> None:
    """Delete the user's draft and its documents (discarded, or registered as a request)."""
    authorize(principal, Permission.REQUEST_CREATE)
    _mine(session, principal, draft_id, now)
    session.execute(delete(WizardDraftFileRow).where(WizardDraftFileRow.draft_id == draft_id))
    session.execute(delete(WizardDraftRow).where(WizardDraftRow.id == draft_id))
    record(
        session, actor=principal.username, action=AuditAction.ERASURE,
        tag=f"{principal.role.value}:draft:discard", subject_type="draft", subject_id=draft_id,
        why=why, at=now, details={"reason": "registered" if registered else "discarded"},
    )  # fmt: skip
