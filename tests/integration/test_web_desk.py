"""The depositary's desk in the browser's forms, on SQLite and PostgreSQL: receive an
instrument with its scanned original, complete the full powers of a pending one, issue the
notification as a second officer; nobody else reaches the desk."""

from __future__ import annotations

import pytest

from tests.integration.api_support import demo_database
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def node(request, database_url):
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def _receive(user: WebUser, **changes):
    fields = {"instrument": "lhc-2023", "state": "BEL", "act": "ratification",
              "deposited_on": "2026-03-02", "signatory": "The King",
              "capacity": "head_of_state", "location": "Treaty vault"}  # fmt: skip
    fields.update(changes)
    files = {"original": ("instrument.pdf", b"%PDF-1.7 scanned", "application/pdf")}
    return user.post("/treaties/desk/receive", fields, files=files)


def test_receive_then_issue_by_another_officer(node):
    eva = WebUser(node, "eva.depositary")
    desk = eva.get("/treaties/desk")
    assert desk.status_code == 200 and "Receive an instrument" in desk.text
    page = eva.follow(_receive(eva))
    assert "Deposit 1 accepted; notification LHC-2023/1 drafted for review." in page.text
    assert "Issue LHC-2023/1" in page.text
    refused = eva.follow(
        eva.post("/treaties/desk/issue", {"instrument": "lhc-2023", "number": "1"})
    )
    assert "four eyes" in refused.text
    jan = WebUser(node, "jan.depositary")
    issued = jan.follow(jan.post("/treaties/desk/issue", {"instrument": "lhc-2023", "number": "1"}))
    assert "Notification LHC-2023/1 issued and sent to" in issued.text
    assert "Issue LHC-2023/1" not in issued.text
    public = WebUser(node).get("/public/en/instruments/lhc-2023.html").text
    assert "LHC-2023/1" in public


def test_pending_without_full_powers_then_completed(node):
    eva = WebUser(node, "eva.depositary")
    page = eva.follow(_receive(eva, state="DEU", capacity="other", signatory="Ambassador"))
    assert "Deposit 1 is pending." in page.text and "waits for full powers" in page.text
    done = eva.follow(eva.post("/treaties/desk/1/full-powers",
                               {"issued_by": "minister_for_foreign_affairs",
                                "issued_on": "2026-02-20"}))  # fmt: skip
    assert "Deposit 1 accepted; notification LHC-2023/1 drafted for review." in done.text


def test_bad_input_is_named_and_nothing_is_written(node):
    eva = WebUser(node, "eva.depositary")
    response = _receive(eva, capacity="king")
    assert response.status_code == 422
    assert "capacity &#39;king&#39; is not known" in response.text
    assert "No instrument has been received at this desk." in response.text


def test_only_a_depositary_officer_reaches_the_desk(node):
    anna = WebUser(node, "anna.officer")
    assert anna.get("/treaties/desk").status_code == 403
    assert _receive(anna).status_code == 403


def test_the_desk_speaks_french(node):
    eva = WebUser(node, "eva.depositary")
    page = eva.get("/treaties/desk?lang=fr").text
    assert "Recevoir un instrument" in page and "Bureau du dépositaire" in page


def test_the_rome_statute_page_shows_the_joint_statements_beside_it(node):
    page = WebUser(node, "eva.depositary").get("/treaties/rome-1998").text
    assert "Joint statement in support of the International Criminal Court (June 2024)" in page
    assert "68 of the 68 recorded signatories were parties to the Rome Statute" in page
    assert "(partial list)" in page
    assert "Joint statements" not in WebUser(node, "eva.depositary").get("/treaties/lhc-2023").text


def test_a_notification_received_from_another_node_is_on_the_desk(node):
    from datetime import UTC, date, datetime

    from judicare.treaties.models import ReceivedNotificationRow

    with node.app.unit_of_work() as uow:
        uow.session.add(ReceivedNotificationRow(
            sender="BEL-DEP", message_id="00000000-0000-4000-8000-000000000009",
            instrument_id="lhc-2023", number=7, reference="LHC-2023/7", state="DEU",
            action="ratification", action_date=date(2026, 3, 2),
            issued_at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC), text_en="Germany ratified.",
            text_fr="L'Allemagne a ratifié.", received_at=datetime(2026, 3, 5, 9, 1, tzinfo=UTC),
        ))  # fmt: skip
        uow.commit()
    eva = WebUser(node, "eva.depositary")
    page = eva.get("/treaties/desk").text
    assert "LHC-2023/7" in page and "from node BEL-DEP" in page and "Germany ratified." in page
    french = eva.get("/treaties/desk?lang=fr").text
    assert "du nœud BEL-DEP" in french and "L&#39;Allemagne a ratifié." in french
