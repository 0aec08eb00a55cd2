"""The officers' tools of issue 17, on SQLite and PostgreSQL (a copy of the demo database):
notices (made by assignment, approval needed and given, deadlines near; read/unread; only
one's own), e-mailed through a real SMTP server on loopback (aiosmtpd) with the reference
and a link only; the calendar feed (RFC 5545, parsed with `icalendar`) and its revocation;
the list's sorting, deadline and assignee filters and CSV export within need-to-know; the
legal-basis lookup page; the audit view's filters, newest first."""

from __future__ import annotations

import csv
import io
import re

import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from typer.testing import CliRunner

from judicare.auth.permissions import Principal, Role
from judicare.cli import app as cli
from judicare.notifications import service as notices
from judicare.notifications.mailer import SmtpMailer
from judicare.notifications.models import NotificationRow
from tests.integration.api_support import OTHER, OWN, demo_database
from tests.integration.web_support import WebUser
from tests.serving import free_port


@pytest.fixture
def api(request, database_url):
    demo = demo_database(request, database_url)
    yield demo
    demo.app.dispose()


def _notices(api, user_id: int) -> list[tuple[str, str]]:
    with api.app.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(NotificationRow).where(NotificationRow.user_id == user_id)
            .order_by(NotificationRow.id)
        ).all()  # fmt: skip
        return [(r.kind, r.reference) for r in rows]


def _principal(api, role: str, authority: str = OWN) -> Principal:
    return Principal(
        api.user_ids[(role, authority)], f"t.{role}.{authority}", Role(role), authority
    )


def test_assignment_and_four_eyes_notify_the_right_people_only(api):
    request = api.under_review()
    reviewer, supervisor = api.user_ids[("legal_reviewer", OWN)], api.user_ids[("supervisor", OWN)]
    assigned = api.client.post(f"/api/v1/requests/{request['id']}/assignments",
                               json={"user_id": reviewer}, headers=api.headers("supervisor"))  # fmt: skip
    assert assigned.status_code == 201, assigned.text
    assert _notices(api, reviewer) == [("assignment", request["reference"])]

    proposed = api.decide(request["id"], "refuse")
    assert proposed.status_code == 201 and proposed.json()["status"] == "pending_approval"
    assert ("approval_needed", request["reference"]) in _notices(api, supervisor)
    assert ("approval_needed", request["reference"]) not in _notices(api, reviewer)  # proposer
    assert _notices(api, api.user_ids[("supervisor", OTHER)]) == []  # another authority
    assert api.approve(proposed.json()["id"]).status_code == 200
    assert _notices(api, reviewer)[-1] == ("approval_given", request["reference"])

    web = WebUser(api, "t.legal_reviewer.BEL-CA")
    assert web.get("/notifications/badge").text == "Notices (2 unread)"
    page = web.get("/notifications").text
    ids = re.findall(r'action="/notifications/(\d+)/read"', page)
    assert len(ids) == 2
    other = WebUser(api, "t.supervisor.BEL-CA")
    other.post(f"/notifications/{ids[0]}/read")  # not hers: nothing changes
    assert web.get("/notifications/badge").text == "Notices (2 unread)"
    assert web.post(f"/notifications/{ids[0]}/read").status_code == 303
    assert web.get("/notifications/badge").text == "Notices (1 unread)"
    web.post("/notifications/read")
    assert web.get("/notifications/badge").text == "Notices"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_deadline_reminders_once_each_then_emailed_with_reference_and_link_only(api):
    request = api.create(received_on="2026-11-20", requested_execution_date="2026-11-25")
    officer = api.user_ids[("officer", OWN)]
    with api.app.unit_of_work() as uow:
        notices.set_address(uow.session, officer, "officer@example.org", actor="test",
                            now=api.app.now())  # fmt: skip
        first = notices.notify_deadlines(uow.session, today=api.app.clock.today(),
                                         now=api.app.now(), within_days=7)  # fmt: skip
        again = notices.notify_deadlines(uow.session, today=api.app.clock.today(),
                                         now=api.app.now(), within_days=7)  # fmt: skip
        uow.commit()
    assert first["notices"] >= 1 and again["notices"] == 0  # once per deadline and user
    assert ("deadline_near", request["reference"]) in _notices(api, officer)

    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with api.app.unit_of_work() as uow:
            sent = notices.send_pending(uow.session, SmtpMailer("127.0.0.1", port, "j@localhost"),
                                        base_url="https://judicare.example", now=api.app.now())  # fmt: skip
            uow.commit()
        with api.app.unit_of_work() as uow:
            resent = notices.send_pending(uow.session, SmtpMailer("127.0.0.1", port, "j@localhost"),
                                          base_url="https://judicare.example", now=api.app.now())  # fmt: skip
            uow.commit()
    finally:
        server.stop()
    assert sent["sent"] >= 1 and sent["failed"] == 0 and resent == {"sent": 0, "failed": 0}
    mine = [m for m in inbox.messages if m.rcpt_tos == ["officer@example.org"]]
    text = next(m.content.decode() for m in mine if request["reference"] in m.content.decode())
    assert f"https://judicare.example/requests/{request['id']}" in text
    for private in ("Тестбаева", "Testbayeva", "Test facts", "witness"):
        assert private not in text  # no personal data, no facts


def test_a_failed_delivery_is_kept_and_retried(api):
    api.create(received_on="2026-11-20", requested_execution_date="2026-11-25")
    officer = api.user_ids[("officer", OWN)]
    with api.app.unit_of_work() as uow:
        notices.set_address(uow.session, officer, "o@example.org", actor="test", now=api.app.now())
        notices.notify_deadlines(uow.session, today=api.app.clock.today(), now=api.app.now(),
                                 within_days=7)  # fmt: skip
        down = notices.send_pending(uow.session, SmtpMailer("127.0.0.1", free_port(), "j@l",
                                    timeout=2), base_url="http://x", now=api.app.now())  # fmt: skip
        uow.commit()
        pending = uow.session.scalars(
            select(NotificationRow).where(NotificationRow.emailed_at.is_(None),
                                          NotificationRow.user_id == officer)).all()  # fmt: skip
    assert down["sent"] == 0 and down["failed"] >= 1
    assert pending and all(n.email_attempts == 1 for n in pending)


def test_send_without_an_smtp_server_says_how_to_configure_it(api, database_url):
    result = CliRunner().invoke(cli, ["notify", "send", "--db", str(api.app.settings.database_url)])
    assert result.exit_code == 2
    assert "JUDICARE_SMTP_HOST" in result.output


def test_the_calendar_feed_is_rfc5545_secret_and_revocable(api):
    api.create(received_on="2026-11-20", requested_execution_date="2026-12-01")
    web = WebUser(api, "t.officer.BEL-CA")
    page = web.post("/deadlines/feed").text
    url = re.search(r'id="feed-url" readonly value="([^"]+)"', page).group(1)
    path = "/calendar/" + url.rsplit("/calendar/", 1)[1]
    feed = api.client.get(path)  # no session: the token is the key
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(feed.content)
    assert str(parsed["version"]) == "2.0" and parsed["prodid"]
    events = list(parsed.walk("VEVENT"))
    assert events and all(e["uid"] and e["dtstamp"] and e["dtstart"] for e in events)
    assert any(e.decoded("dtstart").isoformat() == "2026-12-01" for e in events)
    assert "Тестбаева" not in feed.text and "Test facts" not in feed.text
    assert "My deadlines" in web.get("/deadlines").text
    assert web.post("/deadlines/feed/revoke").status_code == 303
    assert api.client.get(path).status_code == 404
    assert api.client.get("/calendar/guess.ics").status_code == 404


def test_the_list_sorts_filters_by_deadline_and_assignee_and_exports_csv(api):
    soon = api.create(received_on="2026-11-20", requested_execution_date="2026-11-26")
    later = api.create(received_on="2026-11-21", requested_execution_date="2027-03-01")
    foreign = api.create(authority=OTHER, received_on="2026-11-20",
                         requested_execution_date="2026-11-26")  # fmt: skip
    officer = api.user_ids[("officer", OWN)]
    api.client.post(f"/api/v1/requests/{later['id']}/assignments", json={"user_id": officer},
                    headers=api.headers("supervisor"))  # fmt: skip
    web = WebUser(api, "t.officer.BEL-CA")
    due = web.get("/requests?due_within=7").text
    assert soon["reference"] in due and later["reference"] not in due
    mine = web.get("/requests?assignee=me").text
    assert later["reference"] in mine and soon["reference"] not in mine
    assert web.get("/requests?due_within=x").status_code == 200  # the form's field says why
    assert 'id="due_within-error"' in web.get("/requests?due_within=x").text
    listed = web.get("/requests?sort=deadline&dir=desc").text
    assert listed.index(later["reference"]) < listed.index(soon["reference"])
    assert 'aria-sort="descending"' in listed and "Kazakhstan" in listed  # states by name

    exported = web.get("/requests.csv?sort=deadline&dir=asc&due_within=7")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["Reference", "Their reference"]
    references = [r[0] for r in rows[1:]]
    assert soon["reference"] in references and later["reference"] not in references
    assert foreign["reference"] not in references  # need-to-know
    assert all(r[4] in ("Kazakhstan", "Belgium", "Ukraine", "Netherlands") for r in rows[1:])
    assert web.get("/requests.csv?lang=fr").text.lstrip("\ufeff").startswith("Référence,")
    assert web.get("/requests.csv?sort=nonsense").status_code == 422


def test_the_csv_never_starts_a_cell_with_a_formula(api):
    api.create(requesting_reference='=HYPERLINK("http://x")')
    rows = WebUser(api, "t.officer.BEL-CA").get("/requests.csv?q=hyperlink").text
    assert "'=HYPERLINK" in rows


def test_the_legal_basis_lookup(api):
    web = WebUser(api, "t.officer.BEL-CA")
    page = web.get("/basis?from=KAZ&to=BEL&kind=mla&on=2026-11-23&crimes=torture")
    assert page.status_code == 200
    assert "From Kazakhstan to Belgium on" in page.text and "cat-1984" in page.text
    same = web.get("/basis?from=BEL&to=BE&kind=mla&on=2026-11-23")
    assert same.status_code == 422
    assert "Choose a requested state other than the requesting state." in same.text
    assert web.get("/basis?lang=nl").text.count("Rechtsgrondslag opzoeken") >= 1


def test_the_audit_view_newest_first_and_filtered(api):
    request = api.create()
    web = WebUser(api, "t.auditor.BEL-CA")
    page = web.get("/audit").text
    seqs = [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", page)]
    assert seqs == sorted(seqs, reverse=True)
    by_user = web.get("/audit?actor=t.officer.BEL-CA&action=collection").text
    assert "officer:request:create" in by_user and request["reference"] not in "x"
    assert set(re.findall(r"<td>(t\.[a-z_]+\.[A-Z-]+)</td>", by_user)) == {"t.officer.BEL-CA"}
    assert "<tr><td>" not in web.get("/audit?from=2026-11-24").text  # nothing after today
    assert web.get("/audit?from=2026-11-24&to=2026-11-23").status_code == 422
    oldest = web.get("/audit?order=oldest").text
    first = [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", oldest)]
    assert first == sorted(first)


def test_the_notice_address_is_set_and_removed_from_the_command_line(api):
    from judicare.notifications.models import NoticeAddressRow

    db = str(api.app.settings.database_url)
    run = CliRunner().invoke
    assert run(cli, ["notify", "address", "t.officer.BEL-CA", "not-an-address", "--db", db]
               ).exit_code == 2  # fmt: skip
    assert (
        run(cli, ["notify", "address", "nobody.here", "a@example.org", "--db", db]).exit_code == 2
    )
    done = run(cli, ["notify", "address", "t.officer.BEL-CA", "o@example.org", "--db", db])
    assert done.exit_code == 0, done.output
    officer = api.user_ids[("officer", OWN)]
    with api.app.unit_of_work() as uow:
        assert uow.session.get(NoticeAddressRow, officer).email == "o@example.org"
    assert (
        run(cli, ["notify", "address", "t.officer.BEL-CA", "--remove", "--db", db]).exit_code == 0
    )
    with api.app.unit_of_work() as uow:
        assert uow.session.get(NoticeAddressRow, officer) is None
