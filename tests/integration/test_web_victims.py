"""Issue 20 on the web pages (both databases): the victims page records needs and sends a
victim information in her language only with consent; the request page tells of competing
requests within need-to-know; the obligations dashboard lists and moves an obligation."""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from tests.integration.api_support import OTHER, OWN
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VICTIM = {"role": "victim", "names": [{"name": "Olena Webtestenko"}], "nationality": "UA"}


def test_the_victims_page_records_needs_and_sends_only_with_consent(demo_api):
    request = demo_api.create(persons=[VICTIM])
    victim = next(p["id"] for p in request["persons"] if p["role"] == "victim")
    web = WebUser(demo_api, f"t.officer.{OWN}")
    page = web.get(f"/requests/{request['id']}/victims")
    assert page.status_code == 200 and "Olena Webtestenko" in page.text
    step = {"person_id": str(victim), "step": "request_received"}
    refused = web.follow(web.post(f"/requests/{request['id']}/victim-notices", step))
    assert "Not saved" in refused.text and "no rights-and-needs record" in refused.text
    saved = web.follow(web.post(
        f"/requests/{request['id']}/victims/{victim}/needs",
        [("language", "nl"), ("channel", "post"), ("flags", "consent_to_contact"),
         ("flags", "sgbv")],
    ))  # fmt: skip
    assert "The rights and needs were recorded." in saved.text
    sent = web.follow(web.post(f"/requests/{request['id']}/victim-notices", step))
    assert "The information was sent and logged." in sent.text
    assert "We hebben een verzoek van een ander land ontvangen" in sent.text
    asked = web.follow(web.post(f"/requests/{request['id']}/victim-information-requests",
                                {"person_id": str(victim), "question": "Wanneer hoor ik meer?",
                                 "received_on": "2026-11-22"}))  # fmt: skip
    assert "question was logged, with its deadline." in asked.text
    assert "due 2026-12-22" in asked.text
    measure = web.follow(web.post(f"/requests/{request['id']}/protection-measures", {
        "person_id": str(victim), "measure": "temporary_transfer", "reasons": "in custody",
        "data": "place_of_detention: Haren\nhearing_place: Kyiv\nperson_consents: no",
        "withhold_from": "RU"}))  # fmt: skip
    assert "The measure was requested." in measure.text
    assert "Missing: return_by, person_consents" in measure.text
    stranger = WebUser(demo_api, f"t.officer.{OTHER}")
    assert stranger.get(f"/requests/{request['id']}/victims").status_code == 404


def test_the_request_page_and_the_obligations_dashboard(demo_api):
    sought = {"role": "person_sought", "names": [{"name": "Jan Webtestpeeters"}],
              "nationality": "BE"}  # fmt: skip
    body = {"kind": "extradition", "requesting_state": "FR", "persons": [sought],
            "measures": [], "crimes": ["genocide"]}  # fmt: skip
    first, second = demo_api.create(**body), demo_api.create(**body)
    web = WebUser(demo_api, f"t.legal_reviewer.{OWN}")
    page = web.get(f"/requests/{first['id']}")
    assert page.status_code == 200 and second["reference"] in page.text
    assert "Competing requests" in page.text
    demo_api.refused_as_national(first["id"])
    officer = WebUser(demo_api, f"t.officer.{OWN}")
    board = officer.get("/obligations")
    assert board.status_code == 200 and first["reference"] in board.text
    assert "Extradition of a national refused" in board.text
    obligation = demo_api.client.get(f"/api/v1/requests/{first['id']}/obligations",
                                     headers=demo_api.headers("officer")).json()[0]  # fmt: skip
    moved = officer.follow(officer.post(f"/obligations/{obligation['id']}/steps",
                                        {"status": "submitted_to_prosecutors",
                                         "note": "sent to the federal prosecutor"}))  # fmt: skip
    assert "The obligation moved to its next step." in moved.text
    nl = officer.follow(officer.post("/language", {"lang": "nl", "next": "/obligations"}))
    officer.post("/language", {"lang": "en", "next": "/"})  # the demo API is shared: as before
    assert "Verplichtingen" in nl.text


def test_the_result_is_approved_and_its_notice_marked_sent_from_the_dashboard(demo_api):
    sought = {"role": "person_sought", "names": [{"name": "Wim Webtestdevos"}],
              "nationality": "BE"}  # fmt: skip
    request = demo_api.create(kind="extradition", requesting_state="FR", persons=[sought],
                              measures=[], crimes=["genocide"])  # fmt: skip
    demo_api.refused_as_national(request["id"])
    duty = next(o for o in demo_api.client.get(
        f"/api/v1/requests/{request['id']}/obligations", headers=demo_api.headers("officer")
    ).json() if o["trigger"] == "ece_nationality")  # fmt: skip
    officer = WebUser(demo_api, f"t.officer.{OWN}")
    for status in ("submitted_to_prosecutors", "investigation_opened", "decision_taken"):
        officer.post(f"/obligations/{duty['id']}/steps", {"status": status, "note": status})
    officer.post(f"/obligations/{duty['id']}/steps",
                 {"status": "closed", "outcome": "acquitted", "note": "judgment"})  # fmt: skip
    board = officer.get("/obligations").text
    assert "The information awaits a second person&#39;s approval." in board
    assert "Approve and send" not in board  # an officer does not approve
    supervisor = WebUser(demo_api, f"t.supervisor.{OWN}")
    assert "Approve and send" in supervisor.get("/obligations").text
    done = supervisor.follow(supervisor.post(f"/obligations/{duty['id']}/information/approval",
                                             {"verdict": "approve", "note": "checked"}))  # fmt: skip
    assert "Approved: download the notice, send it, and mark it sent." in done.text
    page = officer.get(f"/requests/{request['id']}").text
    assert "Notice of the result of the submission for prosecution" in page
    notice = officer.get(f"/requests/{request['id']}/formal-documents/"
                         "prosecution_outcome_notice?lang=nl&format=docx")  # fmt: skip
    assert notice.status_code == 200
    sent = officer.follow(officer.post(f"/obligations/{duty['id']}/informed",
                                       {"informed_on": TODAY.isoformat(), "note": "by post"}))  # fmt: skip
    assert "The notice was marked sent." in sent.text
    informed = demo_api.client.get(f"/api/v1/requests/{request['id']}/obligations",
                                   headers=demo_api.headers("officer")).json()  # fmt: skip
    assert [o["information"]["status"] for o in informed if o["id"] == duty["id"]] == ["sent"]
