"""What no formal document carries (src/judicare/formal_documents/cases/never_disclosed.yaml):
every kind, in every language, as PDF (its text through pdftotext, and its embedded JSON) and
as DOCX (every part of the package, the embedded JSON included), rendered through the API
from a stored request whose witness is a refugee and whose witness and victim have anonymity
and relocation measures; none of the measures, nor the status, appears. On SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from importlib import resources

import pytest
import yaml

from judicare.formal_documents.docx_writer import embedded_files
from judicare.formal_documents.pdf import JSON_NAME
from judicare.formal_documents.templates import LANGUAGES
from tests.integration.api_support import demo_database

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.skipif(
        shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
        reason="poppler-utils is missing: run scripts/document-tools",
    ),
]
RULE = yaml.safe_load(
    (resources.files("judicare.formal_documents") / "cases" / "never_disclosed.yaml").read_text(
        "utf-8"
    )
)
PERSONS = [
    {"role": "witness", "names": [{"name": "Жанар Тестбаева"}], "birth_date": "1984-03",
     "nationality": "KZ", "protected_status": "refugee"},
    {"role": "victim", "names": [{"name": "أحمد الحسن"}], "nationality": "SY"},
    {"role": "person_sought", "names": [{"name": "Marko Testović"}], "birth_date": "1971-04-02",
     "nationality": "RS"},
]  # fmt: skip
MEASURES = [
    ("anonymity", {"pseudonym": "Witness K-7"}),
    ("relocation_referral", {"referred_to": "Safe Harbour Programme (fictional)"}),
]


@pytest.fixture
def api(request, database_url):
    api = demo_database(request, database_url)
    yield api
    api.app.dispose()


def _protect(api, request: dict) -> None:
    """Both measures for the witness and the victim, granted, each withheld from no state (a
    document carries none of them all the same)."""
    url = f"/api/v1/requests/{request['id']}/protection-measures"
    for person in request["persons"]:
        if person["role"] not in ("witness", "victim"):
            continue
        for measure, data in MEASURES:
            made = api.client.post(url, headers=api.headers("officer"), json={
                "person_id": person["id"], "measure": measure, "data": data,
                "reasons": "Threats reported by the witness."})  # fmt: skip
            assert made.status_code == 201, made.text
            decided = api.client.post(
                f"/api/v1/protection-measures/{made.json()['id']}/decision",
                headers=api.headers("legal_reviewer"),
                json={"grant": True, "reasons": "Necessary to protect the person."},
            )
            assert decided.status_code == 200, decided.text


def _request_for(api, case: dict) -> dict:
    changes: dict = {"persons": PERSONS, "kind": case["kind"]}
    if case["basis"]:
        changes["legal_basis_instrument"] = case["basis"]
    if case["direction"] == "outgoing":
        changes |= {"direction": "outgoing", "requesting_state": "BE", "requested_state": "RS"}
    created = api.create(**changes)
    _protect(api, created)
    if case["warrant"]:
        added = api.client.post(
            f"/api/v1/requests/{created['id']}/documents", params={"filename": "warrant.pdf"},
            content=b"%PDF-1.4 a warrant (test)",
            headers=api.headers("officer", **{"Content-Type": "application/pdf"}),
        )  # fmt: skip
        assert added.status_code == 201, added.text
    if case["decision"]:
        for status in ("registered", "under_review"):
            assert api.move(created["id"], status).status_code == 200
        citations = [{"instrument": "be-mla-2004", "article": "4 §2"},
                     {"instrument": "refugee-1951", "article": "33"}]  # fmt: skip
        proposed = api.decide(
            created["id"], case["decision"], citations=citations,
            reasons="The witness is a recognised refugee (internal).",
        )  # fmt: skip
        assert proposed.status_code == 201, proposed.text
        if proposed.json()["status"] == "pending_approval":
            assert api.approve(proposed.json()["id"]).status_code == 200
    for status in case["then"]:
        moved = api.move(created["id"], status)
        assert moved.status_code == 200, moved.text
    return created


def _pdf_text(pdf: bytes, folder) -> str:
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          timeout=60)  # fmt: skip
    return done.stdout.decode("utf-8")


def _pdf_json(pdf: bytes) -> dict:
    from pyhanko.pdf_utils.reader import PdfFileReader

    names = PdfFileReader(io.BytesIO(pdf), strict=False).root["/Names"]["/EmbeddedFiles"]
    assert str(names["/Names"][0]) == JSON_NAME
    return json.loads(names["/Names"][1].get_object()["/EF"]["/F"].get_object().data)


def _docx_parts(docx: bytes) -> str:
    """Every part of the DOCX package, as text (the XML, with the embedded JSON)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return "\n".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())


def _leaks(text: str) -> list[str]:
    folded = " ".join(text.split()).casefold()
    return [s["what"] for s in RULE["secrets"] if s["text"].casefold() in folded]


@pytest.mark.parametrize("case", RULE["cases"], ids=lambda c: c["name"])
def test_no_document_carries_protection_measures_or_protected_status(api, case, tmp_path):
    case = {**RULE["defaults"], **case}
    created = _request_for(api, case)
    url = f"/api/v1/requests/{created['id']}/formal-documents/{case['document']}"
    for language in LANGUAGES:
        pdf = api.client.get(url, params={"lang": language, "format": "pdf"},
                             headers=api.headers("supervisor"))  # fmt: skip
        assert pdf.status_code == 200, pdf.text
        embedded = _pdf_json(pdf.content)
        assert embedded["request"]["reference"] == created["reference"]  # the JSON is there
        text = _pdf_text(pdf.content, tmp_path)
        assert created["reference"] in text  # and the text was read
        for where, content in (
            ("PDF text", text),
            ("PDF JSON", json.dumps(embedded, ensure_ascii=False)),
        ):
            assert _leaks(content) == [], f"{case['document']} ({language}) {where}"
        docx = api.client.get(url, params={"lang": language, "format": "docx"},
                              headers=api.headers("supervisor"))  # fmt: skip
        assert docx.status_code == 200, docx.text
        parts = _docx_parts(docx.content)
        inside = json.loads(embedded_files(docx.content)[JSON_NAME])  # the same JSON
        assert inside["request"]["reference"] == created["reference"]
        assert _leaks(parts) == [], f"{case['document']} ({language}) DOCX"


def test_the_secrets_are_found_where_they_are():
    """The check can fail: each secret is found in a text that holds it."""
    for secret in RULE["secrets"]:
        assert secret["what"] in _leaks(f"… {secret['text'].upper()} …")
    assert _leaks("A witness, heard by videoconference.") == []
