"""Issue 19, end to end over the exchange, on SQLite and PostgreSQL (two nodes in process):
node BEL-CA keeps the depositary's desk; node NLD-CA is the node of a signatory. Each act the
desk accepts (a ratification with and without full powers, a reservation, objections within
and after the period of VCLT art. 20(5), a withdrawal) gets its numbered notification, which
a second officer issues; the Netherlands' node receives it over the exchange, once, and
every state without a node is sent the PDF."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from judicare.auth.permissions import Principal, Role
from judicare.exchange.depositary import deliverer
from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
from judicare.treaties import desk_service as desk
from judicare.treaties.desk import Capacity, FullPowers
from judicare.treaties.models import ReceivedNotificationRow
from judicare.treaties.notification_pdf import notification_pdf
from tests.integration.exchange_nodes import _deliver

EVA = Principal(1, "eva.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
MARC = Principal(2, "marc.depositary", Role.DEPOSITARY_OFFICER, "BEL-CA")
READER = Principal(3, "nina.depositary", Role.DEPOSITARY_OFFICER, "NLD-CA")
MINISTER = {"signatory": "Minister for Foreign Affairs", "capacity": "minister_for_foreign_affairs"}


def _receive(n, **fields) -> dict:
    receipt = desk.parse_receipt(instrument_id="lhc-2023", **fields)
    with n.app.unit_of_work() as uow:
        result = desk.receive(
            uow.session, n.app.file_store, EVA, receipt, ("instrument.pdf", b"%PDF-1.7 scan"),
            location="Treaty vault", now=n.clock[0], today=n.clock[0].date(),
        )  # fmt: skip
        uow.commit()
    return result


def _issue(n, transport, number: int) -> dict:
    with n.app.unit_of_work() as uow:
        result = desk.issue(
            uow.session, n.app.file_store, MARC, "lhc-2023", number, now=n.clock[0],
            deliver=deliverer(n.node, MARC.username),
        )  # fmt: skip
        uow.commit()
    _deliver(n, transport)
    return result


def _received(n) -> dict[str, dict]:
    with n.app.unit_of_work() as uow:
        return {r["reference"]: r for r in desk.received_notifications(uow.session, READER)}


def _sent(n, number: int) -> dict:
    with n.app.unit_of_work() as uow:
        return desk.issued_form(uow.session, "lhc-2023", number)


def test_every_act_reaches_the_signatorys_node_with_the_right_notification(pair):
    a, b, transport = pair
    # 1. A ratification signed by an ambassador waits for full powers, then is accepted.
    pending = _receive(a, state="DEU", kind="ratification", deposited_on="2026-03-02",
                       signatory="Ambassador of Germany", capacity="other")  # fmt: skip
    assert pending["status"] == "pending" and pending["notification"] is None
    powers = FullPowers(Capacity.MINISTER_FOR_FOREIGN_AFFAIRS, date(2026, 2, 20), True, True)
    with a.app.unit_of_work() as uow:
        done = desk.complete_full_powers(uow.session, EVA, pending["deposit"], powers,
                                         now=a.clock[0], today=a.clock[0].date())  # fmt: skip
        uow.commit()
    assert done["notification"] == "LHC-2023/1"
    issued = _issue(a, transport, 1)
    assert issued["channels"]["NLD"] == "exchange"  # the Netherlands' node is a peer
    assert issued["channels"]["DEU"] == "pdf" and issued["channels"]["LVA"] == "pdf"
    assert "do not say who is notified" in issued["recipients_rule"]
    got = _received(b)["LHC-2023/1"]
    assert (got["sender"], got["state"], got["action"], got["number"]) == (
        "BEL-CA", "DEU", "ratification", 1,
    )  # fmt: skip
    assert got["action_date"] == "2026-03-02"
    assert "Germany deposited its instrument of ratification" in got["text_en"]
    assert "instrument de ratification" in got["text_fr"]
    assert got["entry_into_force"] == _sent(a, 1)["entry_into_force"]

    # 2. A ratification by a head of state needs no full powers.
    head = _receive(a, state="BEL", kind="ratification", deposited_on="2026-03-03",
                    signatory="The King", capacity="head_of_state")  # fmt: skip
    assert head["notification"] == "LHC-2023/2"
    _issue(a, transport, 2)
    assert (
        "Belgium deposited its instrument of ratification" in _received(b)["LHC-2023/2"]["text_en"]
    )

    # 3. A reservation: its notification opens the period to object (VCLT art. 20(5)).
    reservation = _receive(a, state="FRA", kind="reservation", deposited_on="2026-03-04",
                           article="8(3)", text="Habitual residents only.", **MINISTER)  # fmt: skip
    assert reservation["notification"] == "LHC-2023/3"
    _issue(a, transport, 3)
    got = _received(b)["LHC-2023/3"]
    assert got["action"] == "reservation" and got["objection_deadline"] == "2027-11-23"
    assert (
        "whichever is later" in got["text_en"] and "Reservation to article 8(3)" in got["text_en"]
    )

    # 4. An objection within the twelve months.
    within = _receive(a, state="NLD", kind="objection", deposited_on="2026-11-23",
                      objection_to=reservation["deposit"], text="Incompatible.", **MINISTER)  # fmt: skip
    assert within["objection_late"] is False and within["notification"] == "LHC-2023/4"
    _issue(a, transport, 4)
    assert (
        "received within the twelve-month period, which ends on November 23, 2027"
        in _received(b)["LHC-2023/4"]["text_en"]
    )

    # 5. After the twelve months: Germany's objection is late, and says so.
    a.clock[0] = datetime(2027, 11, 25, 9, 0, tzinfo=UTC)
    late = _receive(a, state="DEU", kind="objection", deposited_on="2027-11-24",
                    objection_to=reservation["deposit"], text="Incompatible.", **MINISTER)  # fmt: skip
    assert late["objection_late"] is True and late["notification"] == "LHC-2023/5"
    _issue(a, transport, 5)
    got = _received(b)["LHC-2023/5"]
    assert (
        "received after the twelve-month period, which ended on November 23, 2027"
        in (got["text_en"])
    )
    assert "après l'expiration du délai de douze mois" in got["text_fr"]

    # 6. ...but a state that consents to be bound after the twelve months may object until
    # then: the later of the two dates (art. 20(5), "whichever is later").
    czech = _receive(a, state="CZE", kind="ratification", deposited_on="2027-11-25", **MINISTER)
    assert czech["notification"] == "LHC-2023/6"
    _issue(a, transport, 6)
    with a.app.unit_of_work() as uow:
        [stored] = [d for d in desk.list_deposits(uow.session, EVA) if d["act"] == "reservation"]
    assert stored["objection_periods"]["CZE"] == {"until": "2027-11-25", "ends_with": "consent"}
    assert stored["objection_periods"]["ALB"] == {"until": "2027-11-23",
                                                  "ends_with": "twelve_months"}  # fmt: skip
    in_time = _receive(a, state="CZE", kind="objection", deposited_on="2027-11-25",
                       objection_to=reservation["deposit"], text="Incompatible.", **MINISTER)  # fmt: skip
    assert in_time["objection_late"] is False and in_time["notification"] == "LHC-2023/7"
    _issue(a, transport, 7)
    assert (
        "expressed its consent to be bound, later than the end of the twelve months"
        in (_received(b)["LHC-2023/7"]["text_en"])
    )

    # 7. A withdrawal.
    withdrawal = _receive(a, state="BEL", kind="withdrawal", deposited_on="2027-11-25", **MINISTER)
    assert withdrawal["notification"] == "LHC-2023/8"
    _issue(a, transport, 8)
    got = _received(b)["LHC-2023/8"]
    assert got["action"] == "withdrawal" and "Belgium notified its withdrawal" in got["text_en"]
    assert "withdrawal clause has not been verified" in got["text_en"]

    # Every notification arrived once; delivering again adds nothing.
    _deliver(a, transport)
    assert sorted(_received(b)) == [f"LHC-2023/{n}" for n in range(1, 9)]
    with a.app.unit_of_work() as uow:
        sent = desk.dispatches(uow.session, "lhc-2023", 8)
    assert {d["channel"] for d in sent if d["state"] == "NLD"} == {"exchange"}
    assert {d["channel"] for d in sent if d["state"] != "NLD"} == {"pdf"}


def test_the_same_notification_received_again_changes_nothing(pair):
    a, b, transport = pair
    _receive(a, state="BEL", kind="ratification", deposited_on="2026-03-03",
             signatory="The King", capacity="head_of_state")  # fmt: skip
    _issue(a, transport, 1)
    wire = _sent(a, 1)
    with a.app.unit_of_work() as uow:  # the same notification, in a second message
        again = deliverer(a.node, MARC.username)(uow.session, wire, ["NLD"], a.clock[0])
        uow.commit()
    _deliver(a, transport)
    with b.app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ReceivedNotificationRow)) == 1
        assert uow.session.scalar(
            select(func.count()).where(InboxRow.message_type == "depositary_notification/1")
        ) == 2  # fmt: skip
    with a.app.unit_of_work() as uow:
        outcome = uow.session.scalar(
            select(ReceiptRow.outcome).where(ReceiptRow.message_id == again["NLD"][0][1])
        )
    assert outcome["already_received"] == "LHC-2023/1"
    # Another text under the same number is refused: a number is used once.
    forged = {**wire, "text_en": wire["text_en"] + " Altered."}
    with a.app.unit_of_work() as uow:
        deliverer(a.node, MARC.username)(uow.session, forged, ["NLD"], a.clock[0])
        uow.commit()
    _deliver(a, transport)
    with a.app.unit_of_work() as uow:
        last = uow.session.execute(
            select(OutboxRow.status, OutboxRow.last_error).order_by(OutboxRow.id.desc())
        ).first()
    assert last.status == "dead" and "already received" in last.last_error
    assert _received(b)["LHC-2023/1"]["text_en"] == wire["text_en"]


def test_a_state_without_a_node_gets_the_pdf_in_english_and_french(pair, tmp_path):
    a, _, transport = pair
    _receive(a, state="DEU", kind="ratification", deposited_on="2026-03-02", **MINISTER)
    issued = _issue(a, transport, 1)
    assert issued["channels"]["DEU"] == "pdf"
    wire = _sent(a, 1)
    for lang, words in (("en", ("Germany", "ratification")), ("fr", ("Allemagne", "ratification"))):
        pdf = notification_pdf(wire, lang)
        assert pdf.startswith(b"%PDF-")
        assert notification_pdf(wire, lang) == pdf  # the same notification, the same bytes
        path = tmp_path / f"n-{lang}.pdf"
        path.write_bytes(pdf)
        attached = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True,
                                  text=True, check=True).stdout  # fmt: skip
        assert "notification.json" in attached
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        assert "LHC-2023/1" in text
        for word in words:
            assert word in text
