"""The depositary's desk end to end, on SQLite and PostgreSQL (the `app` fixture): an
instrument received with and without full powers, a reservation, objections within and after
the twelve months of VCLT art. 20(5), a withdrawal; each with the right notification."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.auth.permissions import Forbidden, Principal, Role
from judicare.errors import ActionRefused, InvalidInput, JudicareError
from judicare.files.store import MemoryFileStore
from judicare.treaties import desk_service as desk
from judicare.treaties import service as register
from judicare.treaties.desk import Capacity, FullPowers
from judicare.treaties.models import DepositaryActionRow
from tests.conftest import TODAY

EVA = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
MARC = Principal(2, "marc.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
OFFICER = Principal(3, "olga.officer", Role.OFFICER, "BEL-CA")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def store() -> MemoryFileStore:
    return MemoryFileStore()


def _receive(app, store, who=EVA, now=NOW, original=b"%PDF-1.7 scanned instrument", **fields):
    receipt = desk.parse_receipt(instrument_id="lhc-2023", **fields)
    with app.unit_of_work() as uow:
        result = desk.receive(
            uow.session, store, who, receipt, ("instrument.pdf", original),
            location="Treaty vault, shelf 4", now=now, today=TODAY,
        )  # fmt: skip
        uow.commit()
    return result


def _issue(app, store, number, who=MARC, now=NOW):
    with app.unit_of_work() as uow:
        result = desk.issue(uow.session, store, who, "lhc-2023", number, now=now)
        uow.commit()
    return result


def _notification(app, number) -> dict:
    with app.unit_of_work() as uow:
        rows = register.list_notifications(uow.session, "lhc-2023", include_drafts=True)
    return next(n for n in rows if n["number"] == number)


def _register_actions(app) -> int:
    with app.unit_of_work() as uow:
        return uow.session.scalar(
            select(func.count()).where(DepositaryActionRow.origin == "register")
        )


def test_a_head_of_states_ratification_is_accepted_drafted_and_issued_by_another(app, store):
    result = _receive(
        app, store, state="BEL", kind="ratification", deposited_on="2026-03-02",
        signatory="Head of State of Belgium", capacity="head_of_state",
    )  # fmt: skip
    assert result["status"] == "accepted", result
    assert result["notification"] == "LHC-2023/1"
    assert len(result["original_sha256"]) == 64
    assert store.exists(f"sha256/{result['original_sha256']}")
    draft = _notification(app, 1)
    assert draft["issued_at"] is None
    assert "deposited its instrument of ratification" in draft["text_en"]
    assert "instrument de ratification" in draft["text_fr"]
    with app.unit_of_work() as uow:  # a draft is not published
        assert register.list_notifications(uow.session, "lhc-2023") == []
    with pytest.raises(ActionRefused, match="four eyes"):
        _issue(app, store, 1, who=EVA)
    issued = _issue(app, store, 1)
    assert "BEL" in issued["sent_to"] and "LVA" in issued["sent_to"]
    with app.unit_of_work() as uow:
        published = register.list_notifications(uow.session, "lhc-2023")
        sent = desk.dispatches(uow.session, "lhc-2023", 1)
        tags = set(uow.session.scalars(select(AuditEventRow.tag)))
    assert [n["reference"] for n in published] == ["LHC-2023/1"]
    assert {d["channel"] for d in sent} == {"pdf"} and len(sent) == len(issued["sent_to"])
    assert {"depositary:instrument:receive", "depositary:notification:issue"} <= tags
    with pytest.raises(ActionRefused, match="already issued"):
        _issue(app, store, 1)


def test_an_ambassador_without_full_powers_is_pending_until_they_arrive(app, store):
    result = _receive(
        app, store, state="DEU", kind="ratification", deposited_on="2026-03-02",
        signatory="Ambassador of Germany", capacity="other",
    )  # fmt: skip
    assert result["status"] == "pending" and result["notification"] is None
    assert "waits for full powers" in result["reasons"][0]
    assert _register_actions(app) == 0
    powers = FullPowers(Capacity.MINISTER_FOR_FOREIGN_AFFAIRS, date(2026, 2, 20), True, True)
    with app.unit_of_work() as uow:
        done = desk.complete_full_powers(
            uow.session, EVA, result["deposit"], powers, now=NOW, today=TODAY
        )
        uow.commit()
    assert done["status"] == "accepted" and done["notification"] == "LHC-2023/1"
    assert _register_actions(app) == 1


def test_defective_full_powers_are_refused_and_nothing_is_recorded(app, store):
    result = _receive(
        app, store, state="DEU", kind="ratification", deposited_on="2026-03-02",
        signatory="Ambassador of Germany", capacity="other",
        full_powers_by="minister_for_foreign_affairs", full_powers_on="2026-03-05",
    )  # fmt: skip
    assert result["status"] == "refused"
    assert "after the deposit" in result["reasons"][0]
    assert _register_actions(app) == 0
    with app.unit_of_work() as uow:
        custody = desk.custody_register(uow.session, EVA, result["deposit"])
    assert custody[0]["event"] == "received"  # the original stays in custody all the same


def test_a_reservation_and_objections_within_and_after_twelve_months(app, store):
    reservation = _receive(
        app, store, state="FRA", kind="reservation", deposited_on="2025-03-02",
        signatory="Minister for Europe and Foreign Affairs", capacity="minister_for_foreign_affairs",
        article="8(3)", text="French courts exercise jurisdiction only over habitual residents.",
    )  # fmt: skip
    assert reservation["status"] == "accepted", reservation
    text = _notification(app, 1)
    assert "twelve months after the date of this notification" in text["text_en"]
    assert "douze mois" in text["text_fr"]
    notified = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
    _issue(app, store, 1, now=notified)
    with app.unit_of_work() as uow:
        [stored] = desk.list_deposits(uow.session, EVA, "lhc-2023")
    assert stored["objection_deadline"] == "2026-03-05"

    objection = {"kind": "objection", "capacity": "minister_for_foreign_affairs",
                 "objection_to": reservation["deposit"], "signatory": "Foreign minister",
                 "text": "The reservation is incompatible with the object and purpose."}  # fmt: skip
    within = _receive(app, store, state="NLD", deposited_on="2026-03-05", **objection)
    assert within["status"] == "accepted" and within["objection_late"] is False
    assert (
        "received within the twelve-month period, which ends on March 5, 2026"
        in (_notification(app, 2)["text_en"])
    )
    late = _receive(app, store, state="BEL", deposited_on="2026-03-06", **objection)
    assert late["status"] == "accepted" and late["objection_late"] is True
    assert any("considered accepted" in w for w in late["warnings"])
    late_text = _notification(app, 3)
    assert (
        "received after the twelve-month period, which ended on March 5, 2026"
        in (late_text["text_en"])
    )
    assert "après l'expiration du délai de douze mois" in late_text["text_fr"]


def test_an_objection_before_the_reservation_is_notified_waits(app, store):
    reservation = _receive(
        app, store, state="FRA", kind="reservation", deposited_on="2025-03-02",
        signatory="Minister", capacity="minister_for_foreign_affairs", article="8(3)",
        text="Habitual residence.",
    )  # fmt: skip
    early = _receive(
        app, store, state="NLD", kind="objection", deposited_on="2025-04-01",
        signatory="Minister", capacity="minister_for_foreign_affairs",
        objection_to=reservation["deposit"], text="Objection.",
    )  # fmt: skip
    assert early["status"] == "pending" and "not been notified" in early["reasons"][0]


def test_a_withdrawal_says_its_effective_date_is_unknown(app, store):
    _receive(
        app, store, state="BEL", kind="ratification", deposited_on="2026-03-02",
        signatory="King", capacity="head_of_state",
    )  # fmt: skip
    withdrawal = _receive(
        app, store, state="BEL", kind="withdrawal", deposited_on="2026-06-01",
        signatory="Foreign minister", capacity="minister_for_foreign_affairs",
    )  # fmt: skip
    assert withdrawal["status"] == "accepted"
    assert any("withdrawal clause is not verified" in w for w in withdrawal["warnings"])
    text = _notification(app, 2)
    assert "notified its withdrawal" in text["text_en"]
    assert "withdrawal clause has not been verified" in text["text_en"]
    assert "clause de retrait" in text["text_fr"]


def test_a_withdrawal_without_consent_is_refused_by_the_register_rules(app, store):
    refused = _receive(
        app, store, state="DEU", kind="withdrawal", deposited_on="2026-06-01",
        signatory="Foreign minister", capacity="minister_for_foreign_affairs",
    )  # fmt: skip
    assert refused["status"] == "refused"
    assert "cannot withdraw" in refused["reasons"][0]
    assert _register_actions(app) == 0


def test_custody_and_certified_true_copies_are_registered(app, store):
    deposit = _receive(
        app, store, state="BEL", kind="ratification", deposited_on="2026-03-02",
        signatory="King", capacity="head_of_state",
    )["deposit"]  # fmt: skip
    with app.unit_of_work() as uow:
        desk.record_custody(uow.session, EVA, deposit, "moved", location="Archive B", now=NOW)
        desk.record_custody(uow.session, MARC, deposit, "certified_copy",
                            recipient="Permanent Mission of Latvia", now=NOW)  # fmt: skip
        desk.record_custody(uow.session, MARC, deposit, "certified_copy",
                            recipient="Secretariat", now=NOW)  # fmt: skip
        uow.commit()
    with app.unit_of_work() as uow:
        events = desk.custody_register(uow.session, EVA, deposit)
    assert [e["event"] for e in events] == ["received", "moved", "certified_copy", "certified_copy"]
    assert [e["copy_number"] for e in events[2:]] == [1, 2]
    assert events[1]["location"] == "Archive B" and events[2]["handled_by"] == "marc.depositary"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"capacity": "king"}, "capacity 'king' is not known"),
        ({"deposited_on": "2026-13-01"}, "deposited-on '2026-13-01' is not a valid date"),
        ({"signatory": " "}, "signatory is empty"),
        ({"full_powers_by": "head_of_state"}, "need both --full-powers-by and --full-powers-on"),
        ({"kind": "objection"}, "must name the reservation"),
    ],
)
def test_bad_input_names_the_field(fields, message):
    base = {"state": "BEL", "kind": "ratification", "deposited_on": "2026-03-02",
            "signatory": "King", "capacity": "head_of_state"}  # fmt: skip
    with pytest.raises(InvalidInput, match=message):
        desk.parse_receipt(instrument_id="lhc-2023", **{**base, **fields})


def test_only_a_depositary_officer_receives_instruments(app, store):
    with pytest.raises(Forbidden):
        _receive(app, store, who=OFFICER, state="BEL", kind="ratification",
                 deposited_on="2026-03-02", signatory="King", capacity="head_of_state")  # fmt: skip
    assert _register_actions(app) == 0


def test_the_final_clauses_may_name_who_is_notified(app, store, monkeypatch):
    """With `notifications.recipients` in the final clauses, only those groups are sent the
    notification; without it, every state with an action, and the rule says so."""
    from judicare.treaties.catalogue import get_instrument

    with app.unit_of_work() as uow:
        everyone, rule = desk.concerned_states(uow.session, get_instrument("lhc-2023"))
    assert {"LVA", "NLD", "FRA"} <= set(everyone) and "do not say who is notified" in rule
    clauses = {"notifications": {"recipients": ["contracting_states"], "citation": "test"}}
    monkeypatch.setattr(desk, "final_clauses", lambda _id: clauses)
    with app.unit_of_work() as uow:
        parties, rule = desk.concerned_states(uow.session, get_instrument("lhc-2023"))
    assert parties == ["LVA"] and rule == "final clauses: contracting_states (test)"
    clauses["notifications"]["recipients"] = ["everybody"]
    with app.unit_of_work() as uow, pytest.raises(JudicareError, match="not known"):
        desk.concerned_states(uow.session, get_instrument("lhc-2023"))
