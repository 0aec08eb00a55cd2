"""What a notice says, pure: its kind, the occasion that makes it unique, and the e-mail
that carries it. An e-mail holds no personal data: only the request's reference and a
link to the request in the application (where need-to-know applies)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class NoticeKind(enum.StrEnum):
    ASSIGNMENT = "assignment"  # a request was assigned to me
    APPROVAL_NEEDED = "approval_needed"  # a decision waits for a supervisor (four eyes)
    APPROVAL_GIVEN = "approval_given"  # my decision was approved
    DEADLINE_NEAR = "deadline_near"  # a deadline of a request I hold is near or missed
    MESSAGE_RECEIVED = "message_received"  # the other node sent a message about a request


# The e-mail's subject and first line, per kind (English: e-mail goes out from cron, with
# no user's language at hand; the link opens the page in the user's own language).
SUBJECTS = {
    NoticeKind.ASSIGNMENT: "Request {reference} was assigned to you",
    NoticeKind.APPROVAL_NEEDED: "A decision on request {reference} needs approval",
    NoticeKind.APPROVAL_GIVEN: "Your decision on request {reference} was approved",
    NoticeKind.DEADLINE_NEAR: "A deadline of request {reference} is near",
    NoticeKind.MESSAGE_RECEIVED: "A message about request {reference} arrived",
}


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def compose(kind: str, reference: str, link: str, to: str) -> Email:
    """The e-mail for one notice: the reference and the link, nothing else."""
    subject = SUBJECTS[NoticeKind(kind)].format(reference=reference)
    body = (
        f"{subject}.\n\n"
        f"Open it in Judicare: {link}\n\n"
        "This message holds no case details; they are in the application.\n"
    )
    return Email(to=to, subject=f"[Judicare] {subject}", body=body)


def deadline_occasion(request_id: int, kind: str, due: date) -> str:
    """One reminder per deadline (a moved deadline is a new occasion)."""
    return f"deadline:{request_id}:{kind}:{due.isoformat()}"
