"""`judicare demo`: clearly fictional demo data, loaded through the same services as real
work (so every step is audited). Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

import typer
from sqlalchemy import select

from judicare.auth.models import UserRow
from judicare.auth.permissions import Permission
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.cli_support import DbOption, command_app, err_console, out_console
from judicare.persons.domain import PartialDate, PersonRecord
from judicare.persons.service import index_person
from judicare.requests import service
from judicare.requests.domain import DECISIONS, RequestStatus
from judicare.requests.schemas import RequestCreate, TransitionIn
from judicare.screening import decisions
from judicare.screening.decisions import ApprovalIn, DecisionIn

DEMO_PASSWORD = "demo-password-not-for-production"
AUTHORITIES = [
    ("BEL-CA", "BEL", "DEMO Central Authority, Federal Public Service Justice (fictional)"),
    ("NLD-CA", "NLD", "DEMO Central Authority, Ministry of Justice and Security (fictional)"),
]
USERS = [
    ("anna.officer", "officer", "BEL-CA"),
    ("louis.reviewer", "legal_reviewer", "BEL-CA"),
    ("sofie.supervisor", "supervisor", "BEL-CA"),
    ("marc.auditor", "auditor", "BEL-CA"),
    ("eva.depositary", "depositary_officer", "BEL-CA"),
    ("jan.depositary", "depositary_officer", "BEL-CA"),  # the desk's second pair of eyes
    ("admin", "admin", "BEL-CA"),
    ("pieter.officer", "officer", "NLD-CA"),
    # The node's own roles (for every authority it hosts): its national registers, its trail.
    ("nina.nodeadmin", "node_admin", "BEL-CA"),
    ("hugo.nodeauditor", "node_auditor", "BEL-CA"),
]
PERSONS = [
    # Fictional: "Тестбаева" and "المثال" ("the example") mark them as demo names.
    {
        "role": "witness",
        "names": [
            {"name": "Жанар Нурланқызы Тестбаева", "form": "original"},
            {"name": "Zhanar Nurlankyzy Testbayeva", "form": "romanisation", "system": "BGN/PCGN"},
            {"name": "Janar Nourlankyzy Testbaieva", "form": "romanisation", "system": "French"},
        ],
        "birth_date": "1984-03",
        "nationality": "KAZ",
        "protected_status": "refugee",
    },
    {
        "role": "suspect",
        "names": [
            {"name": "Олег Петрович Примеров", "form": "original"},
            {"name": "Oleg Petrovich Primerov", "form": "romanisation", "system": "BGN/PCGN"},
        ],
        "birth_date": "1971",
        "nationality": "UKR",
    },
    {
        "role": "person_sought",
        "names": [
            {"name": "سامي عبد الله المثال", "form": "original"},
            {"name": "Sami Abdallah al-Mithal", "form": "romanisation"},
        ],
        "birth_date": "1979-11-02",
        "nationality": "SYR",
    },
    {
        "role": "victim",
        "names": [{"name": "Ліна Демченко-Зразок", "form": "original"}],
        "nationality": "UKR",
    },
]
# A path through the lifecycle to each status, with reasons and citations for decisions.
CITE = [{"instrument": "be-mla-2004", "article": "4 §1"}]
PATHS: dict[str, list[tuple[str, str, list]]] = {
    "received": [],
    "registered": [("registered", "", [])],
    "under_review": [("registered", "", []), ("under_review", "", [])],
    "needs_information": [
        ("registered", "", []),
        ("under_review", "", []),
        ("needs_information", "facts summary too thin", []),
    ],
    "accepted": [
        ("registered", "", []),
        ("under_review", "", []),
        ("accepted", "reciprocity undertaking received", CITE),
    ],
    "in_execution": [
        ("registered", "", []),
        ("under_review", "", []),
        ("accepted", "reciprocity undertaking received", CITE),
        ("in_execution", "", []),
    ],
    "executed": [
        ("registered", "", []),
        ("under_review", "", []),
        ("accepted", "basis confirmed", CITE),
        ("in_execution", "", []),
        ("executed", "", []),
    ],
    "partially_executed": [
        ("registered", "", []),
        ("under_review", "", []),
        ("accepted", "basis confirmed", CITE),
        ("in_execution", "", []),
        ("partially_executed", "one witness could not be traced", []),
    ],
    "closed": [
        ("registered", "", []),
        ("under_review", "", []),
        ("accepted", "basis confirmed", CITE),
        ("in_execution", "", []),
        ("executed", "", []),
        ("closed", "", []),
    ],
    "refused": [
        ("registered", "", []),
        ("under_review", "", []),
        (
            "refused",
            "persecution motive: art. 4 §2 3°",
            [{"instrument": "be-mla-2004", "article": "4 §2"}],
        ),
    ],
    "postponed": [
        ("registered", "", []),
        ("under_review", "", []),
        ("postponed", "domestic investigation under way", CITE),
    ],
    "withdrawn": [("withdrawn", "withdrawn by the requesting state", [])],
}


def load_demo(judicare) -> int:
    """Load the demo; returns the number of requests created (0 when already loaded)."""
    with judicare.unit_of_work() as uow:
        session = uow.session
        if session.scalar(select(UserRow.id).where(UserRow.username == "anna.officer")):
            return 0
        for authority_id, state, name in AUTHORITIES:
            ensure_authority(session, authority_id, state, name)
        users = {
            username: create_user(
                session,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                authority_id=authority,
                display_name=f"{username} (demo)",
            )
            for username, role, authority in USERS
        }
        officer = principal_of(users["anna.officer"])
        supervisor = principal_of(users["sofie.supervisor"])
        reviewer = principal_of(users["louis.reviewer"])
        today, now = judicare.clock.today(), judicare.now()
        basis = judicare.basis.get(session)
        created = 0
        for number, (status, path) in enumerate(PATHS.items()):
            data = _request(number, status, today)
            _, body, _ = service.create_request(
                session, officer, data, now=now, basis=basis, why="demo data"
            )
            for target, reasons, citations in path:
                if RequestStatus(target) in DECISIONS:  # proposed, then approved if need be
                    body = _decide(session, (reviewer, supervisor), basis, body["id"],
                                   DemoStep(target, reasons, citations), now)  # fmt: skip
                    continue
                move = TransitionIn(
                    status=RequestStatus(target), reasons=reasons, citations=citations
                )
                body = service.transition_request(
                    session,
                    supervisor,
                    body["id"],
                    move,
                    if_match=f'"{body["version"]}"',
                    now=now,
                    why="demo data",
                )
            created += 1
        _demo_register(session, now)
        uow.commit()
        return created


@dataclass(frozen=True, slots=True)
class DemoStep:
    status: str
    reasons: str
    citations: list


OUTCOME_OF = {"accepted": "grant", "refused": "refuse", "postponed": "postpone"}


def _decide(session, people, basis, request_id: int, step: DemoStep, now) -> dict:
    """A decision in the demo goes the way a real one does: the legal reviewer proposes it,
    the supervisor approves it where four-eyes requires (a refusal, a high finding)."""
    reviewer, supervisor = people
    proposal = DecisionIn(
        outcome=OUTCOME_OF[step.status], reasons=step.reasons, citations=step.citations,
        consulted=True,
    )  # fmt: skip
    made = decisions.propose(session, reviewer, basis, request_id, proposal, now=now,
                             why="demo data")  # fmt: skip
    if made["status"] == "pending_approval":
        decisions.approve(session, supervisor, made["id"],
                          ApprovalIn(approve=True, note="demo data: four-eyes approval"),
                          now=now, why="demo data")  # fmt: skip
    row = service.load_for(session, supervisor, request_id, Permission.REQUEST_READ)
    return {"id": row.id, "version": row.version}


def _demo_register(session, now) -> None:
    """A fictional refugee register, where the first demo request's witness appears under
    another romanisation (the seed case of a refugee asked about by the state she fled)."""
    index_person(
        session,
        PersonRecord(
            register="refugees",
            id="DEMO-R-0001",
            names=("Janar Nourlankyzy Testbaieva", "Zhanar Testbayeva"),
            birth_date=PartialDate.parse("1984-03-17"),
            nationality="KAZ",
            status="refugee",
            country_of_feared_persecution="KAZ",
        ),
        now=now,
    )


def _request(number: int, status: str, today: date) -> RequestCreate:
    incoming = number % 3 != 2
    seed_case = number == 0
    return RequestCreate.model_validate(
        {
            "direction": "incoming" if incoming else "outgoing",
            "kind": "extradition" if number % 4 == 3 else "mla",
            "requesting_state": "KAZ" if seed_case else ("UKR" if incoming else "BEL"),
            "requested_state": "BEL" if incoming else "NLD",
            "requesting_authority": "DEMO Prosecutor's Office (fictional)",
            "urgency": "urgent" if number % 5 == 0 else "normal",
            "crimes": []
            if seed_case
            else (["war_crimes"] if number % 2 else ["crimes_against_humanity"]),
            "facts_summary": f"FICTIONAL DEMO request {number + 1} (ends {status}): hearing of "
            "witnesses and production of records about events in a fictional town.",
            "received_on": (today - timedelta(days=60 - number)).isoformat(),
            # Open requests with a date already past show as overdue.
            "requested_execution_date": (
                today + timedelta(days=(-10 if number % 2 else 30))
            ).isoformat(),
            "measures": [{"measure": "hearing_witness"}, {"measure": "production_of_records"}],
            "persons": [PERSONS[number % len(PERSONS)], PERSONS[(number + 1) % len(PERSONS)]],
        }
    )


def demo(
    db: DbOption = None,
    scale: Annotated[
        int | None,
        typer.Option(
            "--scale", min=1, max=10_000_000, show_default=False,
            help="Also add this many synthetic requests (fictional names in many scripts, "
            "every kind and status, documents, audit entries), written in bulk.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data (--scale).")] = 22,
) -> None:  # fmt: skip
    """Load clearly fictional demo data: authorities, one user per role, requests in every
    status, persons in Cyrillic and Arabic, overdue deadlines. With --scale N, N synthetic
    requests more (see judicare.scale)."""
    with command_app(db) as judicare:
        created = load_demo(judicare)
        if scale:
            _load_scale(judicare, scale, seed)
    if created == 0:
        out_console.print("The demo data is already loaded.")
    else:
        out_console.print(f"Loaded {created} fictional requests, in every status.")
    out_console.print(
        f"Demo users (password '{DEMO_PASSWORD}'): " + ", ".join(f"{u} ({r})" for u, r, _ in USERS),
        highlight=False,
    )


def _load_scale(judicare, count: int, seed: int) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from judicare.scale import generate

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("Synthetic requests", total=count)
        result = generate(judicare, count, seed=seed, progress=lambda n: bar.advance(task, n))
    out_console.print(
        f"Added {result.requests:,} synthetic requests: {result.persons:,} persons, "
        f"{result.documents:,} documents, {result.audit_entries:,} audit entries.",
        highlight=False,
    )
