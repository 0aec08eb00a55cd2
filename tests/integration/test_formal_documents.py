"""Formal documents of stored requests (issue 18), on SQLite and PostgreSQL: which kinds the
request page offers, rendering through the service, the API, the web page and the CLI
(audited, within need-to-know), what a decision notice keeps to itself, and PAdES
signatures made with a throw-away CA built here."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import select
from typer.testing import CliRunner

from judicare.audit.models import AuditEventRow
from judicare.cli import app as cli
from judicare.formal_documents import signing
from judicare.formal_documents.pdf import JSON_NAME
from tests.integration.api_support import OTHER, OWN, demo_database
from tests.integration.web_support import WebUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
runner = CliRunner()
PERSONS = [
    {"role": "witness", "names": [{"name": "Жанар Тестбаева"},
                                  {"name": "Zhanar Testbayeva", "form": "romanisation"}],
     "birth_date": "1984-03", "nationality": "KZ", "protected_status": "refugee"},
    {"role": "victim", "names": [{"name": "أحمد الحسن"}], "nationality": "SY"},
    {"role": "expert", "names": [{"name": "张伟"}], "nationality": "CN"},
]  # fmt: skip
REFUSAL_CITATIONS = [
    {"instrument": "be-mla-2004", "article": "4 §2"},
    {"instrument": "refugee-1951", "article": "33"},
]


@pytest.fixture
def api(request, database_url):
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def _get(api, request_id, kind, role="supervisor", authority=OWN, **query):
    return api.client.get(
        f"/api/v1/requests/{request_id}/formal-documents/{kind}",
        params=query, headers=api.headers(role, authority),
    )  # fmt: skip


def _embedded(pdf: bytes) -> dict:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert str(names[0]) == JSON_NAME
    return json.loads(names[1].get_object()["/EF"]["/F"].get_object().data)


def _render_events(api, request_id) -> list[dict]:
    """The details of each audited rendering of the request."""
    with api.app.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditEventRow.details).where(
                    AuditEventRow.subject_id == str(request_id),
                    AuditEventRow.tag.like("%:document:render"),
                )
            )
        )


def test_the_kinds_that_fit_follow_the_request(api):
    created = api.create(persons=PERSONS)
    listed = api.client.get(
        f"/api/v1/requests/{created['id']}/formal-documents", headers=api.headers("officer")
    )
    assert listed.status_code == 200, listed.text
    kinds = listed.json()["kinds"]
    assert "acknowledgement" in kinds
    assert "letter_of_request" not in kinds and "decision_notice" not in kinds
    outgoing = api.create(direction="outgoing", requesting_state="BE", requested_state="KZ")
    mine = api.client.get(
        f"/api/v1/requests/{outgoing['id']}/formal-documents", headers=api.headers("officer")
    ).json()["kinds"]
    assert mine == ["letter_of_request"]


def test_an_acknowledgement_is_rendered_audited_and_carries_its_json(api):
    created = api.create(persons=PERSONS)
    got = _get(api, created["id"], "acknowledgement", lang="fr", format="pdf")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    embedded = _embedded(got.content)
    assert embedded["document"]["kind"] == "acknowledgement"
    assert embedded["request"]["reference"] == created["reference"]
    names = [n["name"] for p in embedded["request"]["persons"] for n in p["names"]]
    assert {"Жанар Тестбаева", "أحمد الحسن", "张伟"} <= set(names)
    # the requesting state is never told what the requested state knows of a person
    assert all("protected_status" not in p for p in embedded["request"]["persons"])
    assert "refugee" not in json.dumps(embedded)
    events = _render_events(api, created["id"])
    assert len(events) == 1 and events[0]["kind"] == "acknowledgement"
    docx = _get(api, created["id"], "acknowledgement", lang="nl", format="docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert len(_render_events(api, created["id"])) == 2


def test_need_to_know_and_kinds_that_do_not_fit(api):
    created = api.create(persons=PERSONS)
    other = _get(api, created["id"], "acknowledgement", authority=OTHER)
    assert other.status_code == 404
    not_fitting = _get(api, created["id"], "decision_notice")
    assert not_fitting.status_code == 409
    assert "no decision on the request is in effect" in not_fitting.json()["error"]["message"]
    unknown = _get(api, created["id"], "letter")
    assert unknown.status_code == 422
    bad_language = _get(api, created["id"], "acknowledgement", lang="de")
    assert bad_language.status_code == 422
    assert _render_events(api, created["id"]) == []  # nothing was rendered, nothing audited


def test_a_refusal_notice_keeps_the_reasons_and_the_refugee_status_to_itself(api):
    request = api.under_review(persons=PERSONS)
    proposed = api.decide(
        request["id"], "refuse", citations=REFUSAL_CITATIONS,
        reasons="Refused: the witness is a recognised refugee (internal reasons).",
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    assert api.approve(proposed.json()["id"]).status_code == 200
    got = _get(api, request["id"], "decision_notice", lang="en")
    assert got.status_code == 200, got.text
    embedded = _embedded(got.content)
    assert embedded["decision"]["outcome"] == "refuse"
    assert embedded["decision"]["citations"] == [REFUSAL_CITATIONS[0]]
    assert "reasons" not in embedded["decision"]
    assert "refugee" not in json.dumps(embedded).lower()


def _throwaway_ca(tmp_path):
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def name(common):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.COUNTRY_NAME, "BE")])  # fmt: skip

    def certificate(subject, issuer, public, signer, ca):
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=not ca, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False,
        )  # fmt: skip
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(signer, hashes.SHA256())
        )  # fmt: skip

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate(name("Throw-away test CA"), name("Throw-away test CA"),
                     ca_key.public_key(), ca_key, True)  # fmt: skip
    cert = certificate(name("Central Authority BE (test)"), ca.subject, key.public_key(),
                       ca_key, False)  # fmt: skip
    pem = serialization.Encoding.PEM
    paths = {n: tmp_path / f"{n}.pem" for n in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(pem))
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def test_the_signing_time_is_the_app_clocks_not_the_wall_clocks(api, tmp_path):
    """pyHanko reads the wall clock unless told: the signature's time is the app's clock
    (fixed here, years away from today), read back from the signed PDF."""
    paths = _throwaway_ca(tmp_path)
    settings = api.app.settings
    settings.documents_signing_certificate = paths["cert"]
    settings.documents_signing_key = paths["key"]
    created = api.create(persons=PERSONS)
    got = _get(api, created["id"], "acknowledgement")
    assert got.status_code == 200, got.text
    now = api.app.now()  # the app's clock keeps ticking from TODAY: seconds, not days, apart
    answer = signing.verify_pdf(got.content, signing.trust_roots(paths["ca"]), at=now)
    assert answer["signature_valid"] is True
    assert timedelta(0) <= now - datetime.fromisoformat(answer["signed_at"]) < timedelta(minutes=5)

    settings.documents_signing_certificate = None  # now unsigned: signed here, later
    unsigned = _get(api, created["id"], "acknowledgement").content
    later = datetime(2031, 5, 4, 12, 30, 15, tzinfo=UTC)
    resigned = signing.sign_pdf(unsigned, certificate=paths["cert"], key=paths["key"], at=later)
    again = signing.verify_pdf(resigned, signing.trust_roots(paths["ca"]), at=later)
    assert again["signature_valid"] is True
    assert datetime.fromisoformat(again["signed_at"]) == later
    with pytest.raises(ValueError, match="timezone-aware"):
        signing.sign_pdf(unsigned, certificate=paths["cert"], key=paths["key"],
                         at=datetime(2031, 5, 4))  # fmt: skip


def test_a_signed_pdf_verifies_and_a_changed_one_does_not(api, tmp_path):
    paths = _throwaway_ca(tmp_path)
    settings = api.app.settings
    settings.documents_signing_certificate = paths["cert"]
    settings.documents_signing_key = paths["key"]
    created = api.create(persons=PERSONS)
    got = _get(api, created["id"], "acknowledgement")
    assert got.status_code == 200, got.text
    signed = got.content
    roots = signing.trust_roots(paths["ca"])
    now = api.app.now()

    good = signing.verify_pdf(signed, roots, at=now)
    assert good["signed"] and good["signature_valid"] is True and good["trusted"] is True
    assert "Central Authority BE (test)" in good["signer"]
    assert good["embedded_json"] is True
    unknown_trust = signing.verify_pdf(signed, [], at=now)
    assert unknown_trust["signature_valid"] is True and unknown_trust["trusted"] is None

    assert signed.count(b"(Judicare)") == 1  # the document's creator, inside the signed bytes
    changed = signed.replace(b"(Judicare)", b"(Judicarf)")
    broken = signing.verify_pdf(changed, roots, at=now)
    assert broken["signature_valid"] is False and broken["intact"] is False

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = writer.root.get("/Lang", "en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    appended = signing.verify_pdf(out.getvalue(), roots, at=now)
    assert appended["signature_valid"] is False and appended["covers_whole_file"] is False

    (tmp_path / "other").mkdir()
    other_ca = _throwaway_ca(tmp_path / "other")
    untrusted = signing.verify_pdf(signed, signing.trust_roots(other_ca["ca"]), at=now)
    assert untrusted["signature_valid"] is False and untrusted["trusted"] is False

    settings.documents_trust_roots = paths["ca"]
    shown = api.client.post(
        "/api/v1/formal-documents/verify", content=signed,
        headers=api.headers("officer", OTHER, **{"Content-Type": "application/pdf"}),
    )  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert shown.json()["signature_valid"] is True and shown.json()["trusted"] is True
    refused = api.client.post(
        "/api/v1/formal-documents/verify", content=changed,
        headers=api.headers("officer", **{"Content-Type": "application/pdf"}),
    )  # fmt: skip
    assert refused.status_code == 200 and refused.json()["signature_valid"] is False
    garbage = api.client.post(
        "/api/v1/formal-documents/verify", content=b"not a pdf",
        headers=api.headers("officer", **{"Content-Type": "application/pdf"}),
    )  # fmt: skip
    assert garbage.status_code == 200 and garbage.json()["problem"].startswith("not a readable")
    anonymous = api.client.post(
        "/api/v1/formal-documents/verify", content=signed,
        headers={"Content-Type": "application/pdf"},
    )  # fmt: skip
    assert anonymous.status_code == 401

    (tmp_path / "signed.pdf").write_bytes(signed)
    (tmp_path / "changed.pdf").write_bytes(changed)
    ok = runner.invoke(cli, ["documents", "verify", str(tmp_path / "signed.pdf"), "--json",
                             "--trust", str(paths["ca"])])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    answer = json.loads(ok.stdout)
    assert answer["signature_valid"] is True and answer["embedded_json"] is True
    assert "Central Authority BE (test)" in answer["signer"]
    bad = runner.invoke(cli, ["documents", "verify", str(tmp_path / "changed.pdf"), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["signature_valid"] is False


def test_the_cli_renders_within_need_to_know_and_fails_in_one_line(api, tmp_path):
    created = api.create(persons=PERSONS)
    db = api.app.settings.effective_database_url
    out = tmp_path / "ack.pdf"

    def render(*extra):
        return runner.invoke(cli, ["documents", "render", str(created["id"]), "--db", db,
                                   "-o", str(out), *extra])  # fmt: skip

    done = render("--kind", "acknowledgement", "--lang", "nl", "--as", f"t.officer.{OWN}")
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF") and _embedded(out.read_bytes())
    for args, message in (
        (("--kind", "letter"), "unknown document kind 'letter'"),
        (("--kind", "letter_of_request"), "does not fit"),
        (("--kind", "acknowledgement", "--as", f"t.officer.{OTHER}"), "not found"),
        (("--kind", "acknowledgement", "--format", "odt"), "format 'odt'"),
    ):
        failed = render(*args)
        assert failed.exit_code != 0
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], failed.stderr


def test_the_request_page_offers_the_documents_to_send(api):
    created = api.create(persons=PERSONS)
    user = WebUser(api, f"t.officer.{OWN}")
    page = user.get(f"/requests/{created['id']}")
    assert page.status_code == 200
    assert "Documents to send" in page.text
    link = f"/requests/{created['id']}/formal-documents/acknowledgement?lang=fr&amp;format=pdf"
    assert link in page.text
    got = user.get(link.replace("&amp;", "&"))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    stranger = WebUser(api, f"t.officer.{OTHER}")
    assert stranger.get(link.replace("&amp;", "&")).status_code == 404


def test_the_person_to_serve_and_the_enactments_are_stored_counted_and_shown(api):
    """ECMA art. 14(1)(d) (where necessary, the person to be served: a request for the
    service of documents) and ECE art. 12(2)(c) (the relevant enactments), in the letter of
    request and the extradition request; the person to be served is counted in the
    completeness of a request the ECMA governs."""
    from judicare.screening.service import completeness_fields

    served = {"measures": [{"measure": "service_of_documents"}], "person_to_serve": ""}
    base = {"requesting_authority": "x", "subject_and_nature": "", "facts_summary": "",
            "crimes": [], "legal_provisions": "", "persons": [], "purpose": "",
            "requested_execution_date": None, "procedure_wished": ""}  # fmt: skip
    assert completeness_fields({**base, **served}, 0)["person_to_serve"] is False
    given = {**served, "person_to_serve": "A. Witness, Rue Exemple 2, 1000 Brussels"}
    assert completeness_fields({**base, **given}, 0)["person_to_serve"] is True
    assert completeness_fields({**base, "measures": []}, 0)["person_to_serve"] is True
    outgoing = api.create(
        direction="outgoing", requesting_state="BE", requested_state="KZ", persons=PERSONS,
        measures=[{"measure": "service_of_documents"}],
    )  # fmt: skip
    assert outgoing["person_to_serve"] == ""
    url = f"/api/v1/requests/{outgoing['id']}"
    address = "Zhanar Testbayeva, 12 Example Street, Almaty (fictional)"
    changed = api.client.patch(url, json={"person_to_serve": address},
                               headers=api.headers("officer", **{"If-Match": '"1"'}))  # fmt: skip
    assert changed.status_code == 200 and changed.json()["person_to_serve"] == address
    letter = _get(api, outgoing["id"], "letter_of_request", lang="fr", format="docx")
    assert letter.status_code == 200, letter.text
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(letter.content)).paragraphs)
    assert "Personne à qui la notification doit être faite" in text and address in text
    pdf = _get(api, outgoing["id"], "letter_of_request", lang="en", format="pdf")
    assert _embedded(pdf.content)["request"]["person_to_serve"] == address
    enactments = "Criminal Code (fictional), art. 159: war crimes; penalty up to life."
    extradition = api.create(
        direction="outgoing", requesting_state="BE", requested_state="KZ", kind="extradition",
        measures=[], persons=[{"role": "person_sought", "names": [{"name": "Marko Testović"}]}],
        extradition={"enactments": enactments},
    )  # fmt: skip
    got = _get(api, extradition["id"], "extradition_request", lang="nl", format="docx")
    assert got.status_code == 200, got.text
    text = "\n".join(p.text for p in Document(io.BytesIO(got.content)).paragraphs)
    assert "De toepasselijke wetsbepalingen" in text and enactments in text


def test_a_docx_carries_the_same_json_and_verify_says_so(api, tmp_path):
    from judicare.formal_documents.docx_writer import embedded_files

    created = api.create(persons=PERSONS)
    docx = _get(api, created["id"], "acknowledgement", lang="fr", format="docx")
    assert docx.status_code == 200, docx.text
    pdf = _get(api, created["id"], "acknowledgement", lang="fr", format="pdf")
    inside = json.loads(embedded_files(docx.content)[JSON_NAME])
    assert inside == _embedded(pdf.content)  # the same JSON as the PDF's
    path = tmp_path / "ack.docx"
    path.write_bytes(docx.content)
    done = runner.invoke(cli, ["documents", "verify", str(path), "--json"])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["format"] == "docx" and answer["embedded_json"] is True
    assert answer["embedded_files"] == [JSON_NAME] and answer["signed"] is False
    assert answer["signature_valid"] is None and answer["problem"] is None
    # a DOCX without the part (as an editor that drops it would save it) says so
    stripped = tmp_path / "stripped.docx"
    with (
        zipfile.ZipFile(io.BytesIO(docx.content)) as source,
        zipfile.ZipFile(stripped, "w") as target,
    ):
        for info in source.infolist():
            if info.filename.startswith("customXml/item2"):
                continue
            target.writestr(info, source.read(info))
    bare = json.loads(runner.invoke(cli, ["documents", "verify", str(stripped), "--json"]).stdout)
    assert bare["embedded_json"] is False and bare["embedded_files"] == []
    over_api = api.client.post(
        "/api/v1/formal-documents/verify", content=docx.content,
        headers=api.headers("officer", **{"Content-Type": "application/octet-stream"}),
    )  # fmt: skip
    assert over_api.status_code == 200, over_api.text
    assert over_api.json()["format"] == "docx" and over_api.json()["embedded_json"] is True
