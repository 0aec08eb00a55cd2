"""The Evidence section of the request page (SQLite and PostgreSQL): items, their custody
events, the bag to download, in three languages, under need-to-know."""

from __future__ import annotations

import io
import zipfile

from judicare.cli_support import acting_user
from judicare.evidence import bags, service
from judicare.evidence.custody import EventKind
from tests.integration.web_support import WebUser, new_request

HERE = service.Custody(where="Brussels, evidence room", why="hearing of the witness")


def _evidence(app, request_id: int) -> None:
    with app.unit_of_work() as uow:
        who = acting_user(uow.session, "anna.officer")
        item = service.add_item(
            uow.session, app.file_store, who, request_id, chunks=[b"recording"],
            filename="hearing.wav", media_type="audio/wav", description="Recording of the hearing",
            custody_of=HERE, now=app.now(), limit=1_000_000,
        )  # fmt: skip
        service.record_event(uow.session, who, request_id, item["id"], EventKind.SEALED,
                             custody_of=HERE, now=app.now())  # fmt: skip
        uow.commit()


def test_the_request_page_lists_the_evidence_and_its_custody(demo_api, tmp_path):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    page = officer.get(f"/requests/{request_id}")
    assert 'id="evidence"' not in page.text  # no section while there is no item
    _evidence(demo_api.app, request_id)
    page = officer.get(f"/requests/{request_id}")
    assert page.status_code == 200
    assert "hearing.wav" in page.text and "Recording of the hearing" in page.text
    assert "sealed original" in page.text and "Brussels, evidence room" in page.text
    officer.post("/language", {"lang": "fr", "next": "/"})
    assert "Éléments de preuve" in officer.get(f"/requests/{request_id}").text
    officer.post("/language", {"lang": "nl", "next": "/"})
    assert "Bewijsmateriaal" in officer.get(f"/requests/{request_id}").text
    officer.post("/language", {"lang": "en", "next": "/"})

    download = officer.get(f"/requests/{request_id}/evidence.bag.zip")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path / "bag")
    report = bags.verify(tmp_path / "bag")
    assert report.valid, report.errors
    assert [i["filename"] for i in report.items] == ["hearing.wav"]


def test_another_authority_gets_no_evidence(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    request_id = new_request(officer)
    _evidence(demo_api.app, request_id)
    stranger = WebUser(demo_api, "pieter.officer")
    assert stranger.get(f"/requests/{request_id}/evidence.bag.zip").status_code == 404
    assert "hearing.wav" not in stranger.get(f"/requests/{request_id}").text


def test_the_api_lists_the_items_with_their_chains_under_need_to_know(demo_api):
    created = demo_api.create()
    request_id = created["id"]
    with demo_api.app.unit_of_work() as uow:
        from judicare.auth.permissions import Principal, Role

        who = Principal(user_id=demo_api.user_ids[("officer", "BEL-CA")], username="t",
                        role=Role.OFFICER, authority_id="BEL-CA")  # fmt: skip
        service.add_item(
            uow.session, demo_api.app.file_store, who, request_id, chunks=[b"scan"],
            filename="scan.pdf", media_type="application/pdf", description="Scan",
            custody_of=HERE, now=demo_api.app.now(), limit=1_000_000,
        )  # fmt: skip
        uow.commit()
    url = f"/api/v1/requests/{request_id}/evidence"
    mine = demo_api.client.get(url, headers=demo_api.headers("officer"))
    assert mine.status_code == 200
    [item] = mine.json()
    assert item["filename"] == "scan.pdf" and item["chain_intact"] is True
    assert [e["kind"] for e in item["events"]] == ["collected"]
    other = demo_api.client.get(url, headers=demo_api.headers("officer", "NLD-CA"))
    assert other.status_code == 404
