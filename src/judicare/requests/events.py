"""What other parts of the system may react to when a request changes, inside the same
transaction: a listener's writes (an outgoing status notice for the other state's node,
say) commit with the change of status or not at all.

The listeners travel with the database session (`Session.info`), put there by the app
factory, so that every caller of `transition_request` (the API, the web pages, decisions
taking effect) reaches them without the register knowing who listens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from judicare.auth.permissions import Principal

LISTENERS = "judicare.status_listeners"


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A request moved from one status to another, decided by `principal` at `at`."""

    request_id: int
    from_status: str
    to_status: str
    principal: Principal
    at: datetime
    why: str


StatusListener = Callable[[Session, StatusChanged], None]


def announce(session: Session, event: StatusChanged) -> None:
    """Tell every listener, in the caller's transaction (a listener that fails fails the
    change of status with it)."""
    for listener in tuple(session.info.get(LISTENERS, ())):
        listener(session, event)
