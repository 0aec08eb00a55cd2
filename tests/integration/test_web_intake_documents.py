"""Documents registered with the request at intake: chosen on the incoming form or the
wizard's review step, checked against the upload limit next to the file field, counted by the
live panel, and written in one transaction with the request. On SQLite and PostgreSQL,
through the forms a browser sends."""

from __future__ import annotations

import hashlib
import re
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.auth.models import UserRow
from judicare.auth.service import principal_of
from judicare.requests.documents import add_document
from judicare.requests.models import DocumentRow, RequestRow
from tests.integration.web_support import WebUser, incoming_form

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WARRANT = b"%PDF-1.4 fictional arrest warrant for a test\n" * 20
JUDGMENT = "Fictional enforceable judgment (test), Кириллица.\n".encode() * 10
WARRANT_ITEM = "The arrest warrant or enforceable judgment (a document)"
SOUGHT = "Олександр Вигаданий"  # fictional; not the demo refugee other tests look for
# The person sought, not the witness of `incoming_form`: the demo database is shared, and
# requests naming the refugee of the demo data would crowd her candidates in other tests.
PERSON = {
    "person-0-role": "person_sought",
    "person-0-name": SOUGHT,
    "person-0-birth_date": "1979-05",
    "person-0-nationality": "UKR",
}


def extradition(**changes) -> list[tuple[str, str]]:
    """An incoming extradition request (Ukraine to Belgium), with its own idempotency key."""
    fields = {
        "kind": "extradition",
        "requesting_state": "UKR",
        "requested_state": "BEL",
        "idempotency_key": uuid.uuid4().hex,
        **PERSON,
        **changes,
    }
    return incoming_form(**fields)


def outgoing(**changes) -> list[tuple[str, str]]:
    """An outgoing extradition request at the wizard's review step, every step filled in."""
    fields = {
        "direction": "outgoing",
        "kind": "extradition",
        "requesting_state": "BEL",
        "requested_state": "UKR",
        "requesting_authority": "Federal Prosecutor (fictional test)",
        "step": "4",
        "reached": "4",
        "idempotency_key": uuid.uuid4().hex,
        **PERSON,
        **changes,
    }
    return incoming_form(**fields)


def files(*documents: tuple[str, bytes, str]) -> list:
    return [("documents", document) for document in documents]


def created_id(response) -> int:
    assert response.status_code == 303, response.text[:3000]
    return int(re.search(r"/requests/(\d+)$", response.headers["location"]).group(1))


def count(app, model, **where) -> int:
    with app.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def rows(app, query) -> list[SimpleNamespace]:
    with app.unit_of_work() as uow:
        return [SimpleNamespace(**row) for row in uow.session.execute(query).mappings()]


def documents_of(app, request_id: int) -> list[SimpleNamespace]:
    table = DocumentRow.__table__
    return rows(app, select(table).where(table.c.request_id == request_id).order_by(table.c.id))


def audit_of(app, request_id: int) -> list[SimpleNamespace]:
    table = AuditEventRow.__table__
    subject = (table.c.subject_type == "request") & (table.c.subject_id == str(request_id))
    return rows(app, select(table).where(subject).order_by(table.c.seq))


def field_refused(page: str, field: str) -> str:
    """The problem next to the field, tied to it (aria-describedby, aria-invalid)."""
    control = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', page)
    assert control and f"{field}-error" in control.group(0), page[-3000:]
    assert 'aria-invalid="true"' in control.group(0)
    return re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S).group(1)


def live_check(user: WebUser, fields) -> str:
    response = user.client.post(
        "/requests/new/check", data=dict(fields), headers={"X-CSRF-Token": user.csrf}
    )
    assert response.status_code == 200
    return response.text


def missing_items(panel: str) -> str:
    found = re.search(r'<ul class="missing">(.*?)</ul>', panel, re.S)
    return found.group(1) if found else ""


@pytest.fixture
def upload_limit(demo_api):
    """Lower the limit the form checks each file against (the body guard keeps its own)."""
    settings = demo_api.app.settings
    kept = settings.max_upload_bytes
    settings.max_upload_bytes = 1_000
    yield 1_000
    settings.max_upload_bytes = kept


# --- the form ----------------------------------------------------------------------------------


def test_the_incoming_form_has_a_labelled_file_field_sent_as_multipart(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    page = officer.get("/requests/new").text
    form = re.search(r'<form method="post" action="/requests/new"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert 'hx-params="not documents"' in form  # the live check never re-sends the files
    control = re.search(r'<input type="file" id="documents"[^>]*>', page).group(0)
    assert 'name="documents"' in control and " multiple" in control
    assert '<label for="documents">Documents to register with the request</label>' in page
    assert 'name="documents_chosen"' in page


def test_the_wizard_asks_for_documents_at_the_review_step_only(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    first = officer.get("/requests/new?direction=outgoing").text
    assert 'type="file"' not in first
    review = officer.post("/requests/new", outgoing(step="3", reached="3", go="next"))
    assert review.status_code == 200 and 'name="step" value="4"' in review.text
    section = re.search(r'<section class="review".*?</section>', review.text, re.S).group(0)
    assert '<input type="file" id="documents" name="documents" multiple' in section


# --- registering -------------------------------------------------------------------------------


def test_an_extradition_request_is_registered_with_its_warrant(demo_api):
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    sent = files(
        ("warrant.pdf", WARRANT, "application/pdf"),
        ("judgment-вирок.txt", JUDGMENT, "text/plain"),
    )
    request_id = created_id(officer.post("/requests/new", extradition(), files=sent))

    stored = documents_of(app, request_id)
    assert [(d.filename, d.media_type, d.size, d.sha256) for d in stored] == [
        ("warrant.pdf", "application/pdf", len(WARRANT), hashlib.sha256(WARRANT).hexdigest()),
        ("judgment-вирок.txt", "text/plain", len(JUDGMENT), hashlib.sha256(JUDGMENT).hexdigest()),
    ]
    assert [app.file_store.get(d.storage_key) for d in stored] == [WARRANT, JUDGMENT]
    page = officer.get(f"/requests/{request_id}").text
    link = re.search(rf'href="(/requests/{request_id}/documents/\d+)">warrant.pdf<', page)
    assert link and officer.get(link.group(1)).content == WARRANT

    events = audit_of(app, request_id)
    assert [e.tag for e in events][:3] == [
        "officer:request:create",
        "officer:document:upload",
        "officer:document:upload",
    ]
    uploads = [e for e in events if e.tag == "officer:document:upload"]
    assert [e.details["sha256"] for e in uploads] == [d.sha256 for d in stored]
    assert [e.details["document"] for e in uploads] == [d.id for d in stored]
    assert {e.why for e in events[:3]} == {"registration of a request (web)"}
    assert events[0].at == uploads[0].at  # one act, one moment


def test_the_empty_part_of_a_file_field_left_empty_is_no_document(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    sent = files(("", b"", "application/octet-stream"), ("warrant.pdf", WARRANT, "application/pdf"))
    request_id = created_id(officer.post("/requests/new", extradition(), files=sent))
    assert [d.filename for d in documents_of(demo_api.app, request_id)] == ["warrant.pdf"]


@pytest.mark.parametrize(
    "lang,words",
    [
        ("en", "big.pdf is too large: at most 1,000 bytes. A browser cannot keep chosen files"),
        ("fr", "big.pdf est trop volumineux : 1\u202f000 octets au plus."),
        ("nl", "big.pdf is te groot: hoogstens 1.000 bytes. Een browser kan gekozen"),
    ],
)
def test_an_oversized_file_is_refused_next_to_the_field_and_nothing_is_written(
    demo_api, upload_limit, lang, words
):
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    requests_before, documents_before = count(app, RequestRow), count(app, DocumentRow)
    facts = f"Fictional facts typed before a refused file ({lang}), to be kept."
    small = b"a fictional file within the limit " + uuid.uuid4().bytes
    officer.post("/language", {"lang": lang, "next": "/"})
    try:
        sent = files(
            ("small.pdf", small, "application/pdf"),
            ("big.pdf", b"x" * (upload_limit + 1), "application/pdf"),
        )
        response = officer.post("/requests/new", extradition(facts_summary=facts), files=sent)
    finally:
        officer.post("/language", {"lang": "en", "next": "/"})
    assert response.status_code == 422
    problem = field_refused(response.text, "documents")
    assert words in problem.replace("&#39;", "'"), problem
    assert 'href="#documents"' in response.text  # in the list of problems too
    assert facts in response.text and SOUGHT in response.text
    assert (count(app, RequestRow), count(app, DocumentRow)) == (
        requests_before,
        documents_before,
    )
    assert not app.file_store.exists(f"sha256/{hashlib.sha256(small).hexdigest()}")


def test_an_empty_file_is_refused_next_to_the_field(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    before = count(demo_api.app, RequestRow)
    sent = files(("empty.pdf", b"", "application/pdf"))
    response = officer.post("/requests/new", extradition(), files=sent)
    assert response.status_code == 422
    assert "empty.pdf is empty." in field_refused(response.text, "documents")
    assert count(demo_api.app, RequestRow) == before


def test_files_sent_with_a_refused_form_are_said_not_kept(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    sent = files(("warrant.pdf", WARRANT, "application/pdf"))
    response = officer.post("/requests/new", extradition(facts_summary=""), files=sent)
    assert response.status_code == 422 and 'id="facts_summary-error"' in response.text
    note = re.search(r'<p class="field-note" id="documents-dropped">(.*?)</p>', response.text)
    assert note and "Not kept: warrant.pdf." in note.group(1)
    assert "choose the files again" in note.group(1)
    added = officer.post("/requests/new", extradition(go="add_person"), files=sent)
    assert added.status_code == 200 and 'id="documents-dropped"' in added.text


def test_a_resubmit_with_the_same_key_creates_nothing_new(demo_api):
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    form = extradition()
    sent = files(("warrant.pdf", WARRANT, "application/pdf"))
    first = created_id(officer.post("/requests/new", form, files=sent))
    requests_after_first, documents_after_first = count(app, RequestRow), count(app, DocumentRow)
    again = created_id(officer.post("/requests/new", form, files=sent))
    assert again == first
    assert (count(app, RequestRow), count(app, DocumentRow)) == (
        requests_after_first,
        documents_after_first,
    )
    assert len(documents_of(app, first)) == 1
    tags = [e.tag for e in audit_of(app, first)]
    assert tags.count("officer:request:create") == 1
    assert tags.count("officer:document:upload") == 1


def test_a_document_sent_again_with_the_same_form_is_added_not_lost(demo_api):
    """The officer registered without the statement, went back and sent the form again with
    it: the request is the same, the statement is added, the warrant is not doubled."""
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    form = extradition()
    first = created_id(
        officer.post(
            "/requests/new", form, files=files(("warrant.pdf", WARRANT, "application/pdf"))
        )
    )
    statement = b"a fictional statement " + uuid.uuid4().bytes
    again = officer.post("/requests/new", form, files=files(
        ("warrant.pdf", WARRANT, "application/pdf"), ("statement.txt", statement, "text/plain")))  # fmt: skip
    assert created_id(again) == first
    assert sorted(d.filename for d in documents_of(app, first)) == ["statement.txt", "warrant.pdf"]


def test_a_media_type_that_is_not_a_plain_type_is_stored_as_neutral(demo_api):
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    odd = "application/" + "x" * 200
    created = created_id(officer.post("/requests/new", extradition(),
                                      files=files(("warrant.pdf", WARRANT, odd))))  # fmt: skip
    assert [d.media_type for d in documents_of(app, created)] == ["application/octet-stream"]


def test_the_wizards_review_step_registers_the_documents(demo_api):
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    sent = files(("warrant.pdf", WARRANT, "application/pdf"))
    request_id = created_id(officer.post("/requests/new", outgoing(go="submit"), files=sent))
    (document,) = documents_of(app, request_id)
    assert (document.filename, document.size) == ("warrant.pdf", len(WARRANT))
    assert app.file_store.get(document.storage_key) == WARRANT
    assert "officer:document:upload" in [e.tag for e in audit_of(app, request_id)]


def test_the_wizard_shows_an_oversized_file_at_the_review_step(demo_api, upload_limit):
    officer = WebUser(demo_api, "anna.officer")
    before = count(demo_api.app, RequestRow)
    sent = files(("big.pdf", b"x" * (upload_limit + 1), "application/pdf"))
    response = officer.post("/requests/new", outgoing(go="submit"), files=sent)
    assert response.status_code == 422 and 'name="step" value="4"' in response.text
    assert "too large" in field_refused(response.text, "documents")
    assert count(demo_api.app, RequestRow) == before


# --- the live panel ----------------------------------------------------------------------------


def test_the_live_panel_counts_the_documents_chosen(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    without = live_check(officer, extradition())
    assert WARRANT_ITEM in missing_items(without)
    chosen = live_check(officer, [*extradition(), ("documents_chosen", '["warrant.pdf"]')])
    assert WARRANT_ITEM not in missing_items(chosen)
    assert re.search(r'<ul class="chosen-documents"><li>warrant.pdf</li></ul>', chosen)
    garbled = live_check(officer, [*extradition(), ("documents_chosen", "not json")])
    assert WARRANT_ITEM in missing_items(garbled)


def test_the_wizards_review_step_counts_the_documents_chosen(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new?direction=outgoing")
    chosen = live_check(officer, [*outgoing(), ("documents_chosen", '["a.pdf", "b.pdf"]')])
    assert WARRANT_ITEM not in missing_items(chosen)
    assert "<li>a.pdf</li><li>b.pdf</li>" in chosen


@pytest.mark.parametrize(
    "direction,words",
    [
        ("incoming", "Choose the warrant or judgment under Documents on this form"),
        ("outgoing", "Choose the warrant or judgment under Documents at the review step"),
    ],
)
def test_the_warrant_item_says_where_to_choose_the_document(demo_api, direction, words):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    fields = extradition() if direction == "incoming" else outgoing(step="0")
    note = re.search(r'<p class="hint after-registration">(.*?)</p>', live_check(officer, fields))
    assert note and words in note.group(1)
    assert "cannot be attached" not in note.group(1)


# --- one code path, one transaction -------------------------------------------------------------


def test_a_document_added_in_a_transaction_rolled_back_leaves_only_a_blob(demo_api):
    """The bytes are stored before the commit; without it no row refers to them."""
    app = demo_api.app
    officer = WebUser(demo_api, "anna.officer")
    request_id = created_id(officer.post("/requests/new", extradition()))
    content = b"fictional document that is never committed " + uuid.uuid4().bytes
    with app.unit_of_work() as uow:
        user = uow.session.scalar(select(UserRow).where(UserRow.username == "anna.officer"))
        added = add_document(
            uow.session, app.file_store, principal_of(user), request_id, "never.txt",
            "text/plain", content, now=app.now(), why="test", limit=10_000,
        )  # fmt: skip
        assert added["sha256"] == hashlib.sha256(content).hexdigest()
    assert documents_of(app, request_id) == []
    assert app.file_store.exists(f"sha256/{added['sha256']}")


@pytest.fixture
def small_limit_server(app_with_upload_limit):
    """A server built with a 2,000-byte upload limit, so that its body guard has it too."""
    from fastapi.testclient import TestClient

    from judicare.asgi import create_api
    from judicare.demo import load_demo

    app = app_with_upload_limit(2_000)
    load_demo(app)
    return SimpleNamespace(app=app, client=TestClient(create_api(app)))


def test_one_file_over_the_limit_is_named_at_the_field_even_by_the_body_guard(small_limit_server):
    """The intake form may carry several uploads' worth: the guard lets it through, and the
    one file over the limit is named next to the field, with what was typed kept."""
    officer = WebUser(small_limit_server, "anna.officer")
    before = count(small_limit_server.app, RequestRow)
    facts = "Fictional facts typed before an oversized warrant, to be kept."
    sent = files(("warrant.pdf", b"x" * 2_500, "application/pdf"))
    response = officer.post("/requests/new", extradition(facts_summary=facts), files=sent)
    assert response.status_code == 422, response.text[:500]
    assert "warrant.pdf" in field_refused(response.text, "documents")
    assert facts in response.text
    assert count(small_limit_server.app, RequestRow) == before
