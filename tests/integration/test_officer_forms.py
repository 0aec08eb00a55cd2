"""Issue 17, the officer's forms: the extradition contents on the one-page incoming form
(ECE art. 12(2), art. 16), saved drafts of the outgoing wizard, and limits stated next to the
fields, through the forms a browser sends, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_web_extradition import EXTRADITION
from tests.integration.web_support import WebUser, incoming_form

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _incoming_extradition(**changes) -> list[tuple[str, str]]:
    fields = dict(incoming_form(kind="extradition", requesting_state="AUT",
                                requested_state="BEL"))  # fmt: skip
    fields.update({k: v for k, v in EXTRADITION.items() if k != "requested_state"})
    fields.pop("measures", None)
    fields.update(changes)
    return list(fields.items())


def test_the_incoming_form_asks_for_the_extradition_contents(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    page = officer.get("/requests/new").text
    entry = re.search(r'<fieldset class="extradition-entry"[^>]*>', page).group(0)
    assert " hidden" in entry  # an MLA request by default: shown when the kind is chosen
    for name in (
        "warrant_kind",
        "warrant_issued_on",
        "offence_time",
        "offence_place",
        "enactments",
        "person_description",
        "urgency_reason",
        "warrant_exists",
    ):
        assert f'id="{name}"' in page, name  # fmt: skip
    # without JavaScript: the page drawn again for the kind chosen, nothing checked
    redrawn = officer.post("/requests/new", _incoming_extradition(go="refresh")).text
    entry = re.search(r'<fieldset class="extradition-entry"[^>]*>', redrawn).group(0)
    assert " hidden" not in entry and 'value="AW-2026-0001"' in redrawn
    assert "field needs your attention" not in redrawn
    mla = re.search(r'<fieldset class="mla-entry"[^>]*>', redrawn).group(0)
    assert " hidden" in mla


def test_the_live_panel_counts_the_incoming_extradition_contents(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    empty = dict(_incoming_extradition(requesting_state="KAZ"))  # not the EAW: ECE 12(2)
    for name in (
        "warrant_kind",
        "offence_time",
        "offence_place",
        "enactments",
        "person_description",
        "warrant_issued_by",
        "warrant_reference",
    ):
        empty[name] = ""  # fmt: skip
    panel = officer.post("/requests/new/check", list(empty.items())).text
    missing = re.search(r'<ul class="missing">(.*?)</ul>', panel, re.S).group(1)
    assert "The arrest warrant or enforceable judgment" in missing
    assert "When and where the offences were committed" in missing
    assert "A description of the person sought" in missing
    full = officer.post("/requests/new/check", _incoming_extradition(requesting_state="KAZ")).text
    missing = re.search(r'<ul class="missing">(.*?)</ul>', full, re.S)
    listed = missing.group(1) if missing else ""
    assert "When and where the offences were committed" not in listed
    assert "A description of the person sought" not in listed


def test_an_incoming_extradition_is_registered_with_its_contents(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    done = officer.post("/requests/new", _incoming_extradition(
        provisional_arrest="on", urgency_reason="He may leave (fictional).",
        warrant_exists="on"))  # fmt: skip
    assert done.status_code == 303, done.text[:3000]
    request_id = int(re.search(r"/requests/(\d+)$", done.headers["location"]).group(1))
    stored = demo_api.client.get(
        f"/api/v1/requests/{request_id}", headers=demo_api.headers("officer")
    ).json()
    assert stored["direction"] == "incoming" and stored["measures"] == []
    ex = stored["extradition"]
    assert ex["warrant_reference"] == "AW-2026-0001" and ex["provisional_arrest"] is True
    assert ex["offence_time"] == EXTRADITION["offence_time"] and ex["warrant_exists"] is True
    # a text over its limit is refused, named, with the limit
    refused = officer.post("/requests/new", _incoming_extradition(warrant_reference="W" * 121))
    assert refused.status_code == 422
    assert "Reference of the warrant or judgment:" in refused.text and "120" in refused.text
