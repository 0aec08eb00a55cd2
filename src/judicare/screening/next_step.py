"""Who takes a request's next step, and whether the current user can: the request page
says it in words, and never invites an action the user's role cannot take. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from judicare.auth.permissions import Permission, Principal, can
from judicare.requests.domain import DECISIONS, TRANSITIONS, RequestStatus
from judicare.screening.decisions import DECIDABLE


@dataclass(frozen=True, slots=True)
class NextStep:
    """`step` is what the request waits for: approve_decision, review_draft, decide,
    transition or none. `you_can` says whether the current user can take it; `you_prepare`
    whether they can prepare a draft decision instead; `yours` that they may not act
    because they proposed or drafted it themselves (four-eyes)."""

    step: str
    you_can: bool
    you_prepare: bool = False
    yours: bool = False


def next_step(
    principal: Principal,
    status: str,
    pending_decisions: list[dict[str, Any]],
    drafts_awaiting: list[dict[str, Any]],
    drafted_by_of: dict[int, int] | None = None,
) -> NextStep:
    """`pending_decisions` are the decisions awaiting approval (views of
    `decisions.decision_view`), `drafts_awaiting` the drafts awaiting review, and
    `drafted_by_of` the author of the draft each decision came from (decision id -> user)."""
    me = principal.user_id
    if pending_decisions:
        decision = pending_decisions[0]
        mine = me in (decision["proposed_by"], (drafted_by_of or {}).get(decision["id"]))
        allowed = can(principal, Permission.DECISION_APPROVE)
        return NextStep("approve_decision", allowed and not mine, yours=allowed and mine)
    if drafts_awaiting:
        mine = drafts_awaiting[0]["drafted_by"] == me
        allowed = can(principal, Permission.REQUEST_DECIDE)
        return NextStep("review_draft", allowed and not mine, yours=mine)
    current = RequestStatus(status)
    if current in DECIDABLE:
        return NextStep(
            "decide",
            can(principal, Permission.REQUEST_DECIDE),
            you_prepare=can(principal, Permission.DECISION_DRAFT)
            and not can(principal, Permission.REQUEST_DECIDE),
        )
    if TRANSITIONS[current] - DECISIONS:
        return NextStep("transition", can(principal, Permission.REQUEST_TRANSITION))
    return NextStep("none", False)
