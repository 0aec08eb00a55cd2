"""The batch inbox: several envelopes from one peer in one HTTP request, applied in one
transaction, so that a busy pair of nodes commits (and appends to the audit chain) once
per group instead of once per message.

Nothing about each envelope is weakened: each is verified, checked against the duplicate
store and its replay window, decrypted, applied, receipted and audited exactly as the
single inbox does (`service.receive`), and every receipt is answered only after the one
commit that stores them all. If any envelope of the batch is refused, or loses a race with
a concurrent copy, the whole transaction rolls back and each envelope is then received on
its own (`http.handle_envelope`), with the single inbox's answers, refusal records and
retries: a batch never applies part of itself silently.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from judicare.app import App
from judicare.exchange.envelopes import parse_signed
from judicare.exchange.errors import ConcurrentFirstUse, ExchangeError, Rejected
from judicare.exchange.models import InboxRow
from judicare.exchange.payloads import read_conversations
from judicare.exchange.service import ABSENT, Node, receive, small_inserts

log = logging.getLogger("judicare.exchange")

Answer = tuple[int, bytes, dict | None]


def handle_batch(app: App, node: Node, envelopes: list[bytes], one) -> list[Answer]:
    """Each envelope's (HTTP status, receipt, error), in order; `one` receives a single
    envelope (`http.handle_envelope`), for the envelopes of a batch that did not go
    through whole."""
    try:
        with app.unit_of_work() as uow:
            now = node.clock.now()
            small_inserts(uow.session, InboxRow.__table__)
            parsed = _parsed(envelopes)
            headers = [item[0] for item in parsed if item is not None]
            uow.session.info[ABSENT] = _absent(uow.session, headers)
            read_conversations(uow.session, {str(h.get("conversation_id")) for h in headers})
            received = [
                receive(uow.session, node, raw, now=now, parsed=item)
                for raw, item in zip(envelopes, parsed, strict=True)
            ]
            uow.commit()
    except OperationalError:
        log.exception("database unavailable while receiving a batch")
        return [(503, b"", {"code": "busy", "message": "try again later"})] * len(envelopes)
    except (ExchangeError, IntegrityError, ConcurrentFirstUse):
        return [_alone(one, app, node, raw) for raw in envelopes]
    except Exception:  # a fault in one envelope's handling must not hold back the others
        log.exception("a batch failed: receiving its envelopes one by one")
        return [_alone(one, app, node, raw) for raw in envelopes]
    if node.principal is None and not all(r.duplicate for r in received):
        from judicare.exchange.http import system_principal_of

        node.principal = system_principal_of(app, node)
    return [(200, r.receipt, None) for r in received]


def _alone(one, app: App, node: Node, raw: bytes) -> Answer:
    """One envelope as the single inbox receives it; a fault answers 500 for it alone (the
    sender retries it later), as the single inbox's server would."""
    try:
        return one(app, node, raw)
    except Exception:
        log.exception("receiving an envelope of a batch failed")
        return 500, b"", {"code": "internal_error", "message": "try again later"}


def _parsed(envelopes: list[bytes]) -> list[tuple[dict, bytes, bytes] | None]:
    """Each envelope parsed once (`parse_signed`; None for one that does not parse, refused
    when its turn comes, as `receive` parses it again). Not yet verified: the headers are
    read ahead here, and each envelope's signature is checked when its turn comes."""
    parsed: list[tuple[dict, bytes, bytes] | None] = []
    for raw in envelopes:
        try:
            parsed.append(parse_signed(raw))
        except Rejected:
            parsed.append(None)
    return parsed


def _absent(session, headers: list[dict]) -> set[str]:
    """The batch's message ids not yet in the duplicate store, in one statement."""
    ids = {str(header.get("message_id")) for header in headers}
    if not ids:
        return set()
    query = select(InboxRow.message_id).where(InboxRow.message_id.in_(ids))
    return ids - set(session.scalars(query))
