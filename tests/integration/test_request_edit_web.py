"""Issue 17, points 7 and 9, through the web forms on both databases (the `app` fixture):
a registered request is edited (the version checked: a stale form is refused, nothing is
written, the stored values are shown and what was typed is kept), assigned and linked, and
the timeline says who changed which field from what to what, with reads folded."""

from __future__ import annotations

import re

from sqlalchemy import select

from judicare.audit.models import AuditEventRow
from judicare.auth.service import create_user
from judicare.demo import DEMO_PASSWORD
from tests.integration.test_request_casefile import OTHER, OWN, Api
from tests.integration.web_support import WebUser

VERSION = re.compile(r'name="version" value="(\d+)"')


def _form(page_text: str, **changes) -> dict:
    values = {
        "version": VERSION.search(page_text).group(1),
        "urgency": "normal",
        "confidentiality": "normal",
        "requesting_reference": "",
        "request_date": "",
        "requested_execution_date": "",
        "facts_summary": "Fictional facts for a test: hearing of a witness.",
    }
    return values | changes


def _api(app) -> Api:
    api = Api(app)
    with app.unit_of_work() as uow:
        create_user(uow.session, username="c.reviewer.BEL-CA", password=DEMO_PASSWORD,
                    role="legal_reviewer", authority_id=OWN)  # fmt: skip
        uow.commit()
    return api


def test_an_edit_is_versioned_audited_and_shown_field_by_field(app):
    api = _api(app)
    created = api.create(requesting_reference="KZ-OLD")
    rid = created["id"]
    anna, bert = WebUser(api, "c.officer.BEL-CA"), WebUser(api, "c.supervisor.BEL-CA")
    anna_form, bert_form = anna.get(f"/requests/{rid}/edit"), bert.get(f"/requests/{rid}/edit")
    assert anna_form.status_code == 200 and 'value="KZ-OLD"' in anna_form.text

    done = anna.post(f"/requests/{rid}/edit", _form(
        anna_form.text, urgency="urgent", requesting_reference="KZ-NEW",
        requested_execution_date="2027-01-10",
    ))  # fmt: skip
    assert done.status_code == 303, done.text[:2000]

    stale = bert.post(f"/requests/{rid}/edit", _form(bert_form.text, urgency="very_urgent",
                                                      facts_summary="Bert's own summary"))  # fmt: skip
    assert stale.status_code == 409
    assert "Someone changed this request while you were editing it" in stale.text
    assert 'class="stored-requesting_reference">KZ-NEW<' in stale.text  # what is stored now
    assert "Bert&#39;s own summary" in stale.text  # what he typed, kept in the form
    stored = api.client.get(f"/api/v1/requests/{rid}", headers=api.headers()).json()
    assert (stored["urgency"], stored["requesting_reference"]) == ("urgent", "KZ-NEW")
    assert stored["version"] == created["version"] + 1  # the stale form wrote nothing
    again = bert.post(f"/requests/{rid}/edit", _form(stale.text, urgency="very_urgent",
                                                      requesting_reference="KZ-NEW"))  # fmt: skip
    assert again.status_code == 303  # the refused form carries the version now stored

    with app.unit_of_work() as uow:
        details = uow.session.scalars(
            select(AuditEventRow.details).where(AuditEventRow.tag.like("%request:update"))
            .order_by(AuditEventRow.seq)
        ).all()  # fmt: skip
    assert details[0]["changes"]["requesting_reference"] == {"from": "KZ-OLD", "to": "KZ-NEW"}
    assert details[1]["changes"]["urgency"] == {"from": "urgent", "to": "very_urgent"}

    page = anna.get(f"/requests/{rid}?timeline=change")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "c.supervisor.BEL-CA edited the request." in text
    assert "Urgency Urgent Very urgent" in text
    assert "Reference of the requesting authority KZ-OLD KZ-NEW" in text
    assert "Read " not in text  # the filter keeps changes only
    fr = anna.get(f"/requests/{rid}?timeline=change&lang=fr").text
    assert "c.officer.BEL-CA a modifié la demande." in fr


def test_reads_are_folded_and_an_unknown_kind_is_refused(app):
    api = _api(app)
    rid = api.create()["id"]
    anna, bert = WebUser(api, "c.officer.BEL-CA"), WebUser(api, "c.supervisor.BEL-CA")
    for user in (anna, bert, anna):
        user.get(f"/requests/{rid}")
    page = anna.get(f"/requests/{rid}?timeline=read").text
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.index("timeline-section") :]))
    assert "Read 3 times by 2 people." in page, shown  # the reads above (this one is not yet)
    assert anna.get(f"/requests/{rid}?timeline=nonsense").status_code == 422


def test_assign_and_link_from_the_web_within_need_to_know(app):
    api = _api(app)
    rid, other = api.create()["id"], api.create(requesting_reference="SECOND")["id"]
    foreign = api.create(authority=OTHER)
    supervisor, officer = WebUser(api, "c.supervisor.BEL-CA"), WebUser(api, "c.officer.BEL-CA")
    page = supervisor.get(f"/requests/{rid}/edit").text
    users = dict(re.findall(r'<option value="(\d+)">([^<]+)</option>', page))
    assert not any("NLD-CA" in name for name in users.values())  # only the own authority
    reviewer = next(i for i, name in users.items() if "c.reviewer.BEL-CA" in name)
    assert supervisor.post(f"/requests/{rid}/assign", {"assign-user": reviewer}).status_code == 303
    assert "c.reviewer.BEL-CA" in supervisor.get(f"/requests/{rid}/edit").text
    assert officer.post(f"/requests/{rid}/assign", {"assign-user": reviewer}).status_code == 403

    other_ref = api.client.get(f"/api/v1/requests/{other}", headers=api.headers()).json()
    none = officer.post(f"/requests/{rid}/links", {"link-reference": foreign["reference"],
                                                   "link-type": "related"})  # fmt: skip
    assert none.status_code == 422 and "No other request you may see" in none.text
    linked = officer.post(f"/requests/{rid}/links", {
        "link-reference": other_ref["reference"], "link-type": "competing", "link-note": "same man",
    })  # fmt: skip
    assert linked.status_code == 303
    twice = officer.post(f"/requests/{rid}/links", {"link-reference": other_ref["reference"],
                                                    "link-type": "competing"})  # fmt: skip
    assert twice.status_code == 422 and "already linked" in twice.text
    timeline = officer.get(f"/requests/{rid}?timeline=change").text
    assert f"linked this request to request {other_ref['reference']} (competing)" in timeline
    assert "assigned the request to c.reviewer.BEL-CA" in timeline
    outsider = WebUser(api, "c.officer.NLD-CA")
    assert outsider.get(f"/requests/{rid}/edit").status_code == 404
