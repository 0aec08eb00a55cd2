"""The visual check of formal documents (issue 18): every kind in every language is rendered
once per session from fixed inputs (a fixed date and fixed metadata, so the bytes are the
same on every run), its first page rasterised with pdftoppm and compared with the committed
reference image (reference_images/formal_documents/) within a tolerance; pdftotext shows
the key text, including names in Cyrillic, Arabic and Han.

To accept a deliberate change of layout, run with JUDICARE_UPDATE_REFERENCE_IMAGES=1 and
look at the new images before committing them."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from pyhanko.pdf_utils.reader import PdfFileReader

from judicare.formal_documents import disclosure
from judicare.formal_documents.compose import Inputs, compose
from judicare.formal_documents.kinds import KINDS, DocumentKind, citations_for
from judicare.formal_documents.pdf import JSON_NAME, render_pdf
from judicare.formal_documents.signing import verify_pdf
from judicare.formal_documents.templates import LANGUAGES, Templates

REFERENCES = Path(__file__).parent / "reference_images" / "formal_documents"
UPDATE = os.environ.get("JUDICARE_UPDATE_REFERENCE_IMAGES") == "1"
TOLERANCE = 1.5  # mean absolute difference per pixel, of 255 (a font hinting change stays under)
ISSUED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NAMES = ("Іван Петренко", "أحمد الحسن", "张伟")

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None and os.environ.get("CI") != "true",
    reason="poppler-utils is missing: run scripts/document-tools",
)


def _request(direction: str, kind: str) -> dict:
    """Belgium's register: an incoming request from Kazakhstan, or an outgoing one to it."""
    ours, theirs = ("BEL", "Belgium"), ("KAZ", "Kazakhstan")
    requesting, requested = (theirs, ours) if direction == "incoming" else (ours, theirs)
    return {
        "reference": "BEL-CA/2026/0001", "requesting_reference": "KZ-PG-2026/17",
        "direction": direction, "kind": kind, "status": "executed" if kind == "mla" else
        "under_review", "requesting_state": requesting[0], "requested_state": requested[0],
        "requesting_authority": f"Prosecutor General's Office of {requesting[1]} (fictional)",
        "requesting_central_authority": f"Central Authority of {requesting[1]} (fictional)",
        "requested_central_authority": f"Central Authority of {requested[1]} (fictional)",
        "urgency": "urgent", "confidentiality": "confidential",
        "crimes": ["war_crimes", "torture"],
        "facts_summary": "In March 2024, in a fictional town, detainees were ill-treated in a "
                         "former school used as a detention site.",
        "subject_and_nature": "Criminal investigation of war crimes.",
        "legal_provisions": "Criminal Code (fictional), art. 159.",
        "purpose": "To hear a witness who now lives in Belgium.",
        "procedure_wished": "Hearing by videoconference, with an interpreter.",
        "legal_basis_instrument": "coe-mla-1959" if kind == "mla" else "coe-extradition-1957",
        "request_date": "2026-10-28", "received_on": "2026-11-01",
        "requested_execution_date": "2027-01-15",
        "measures": [{"measure": "hearing_witness", "details": "about the detention site"}],
        "persons": [
            {"role": "person_sought" if kind != "mla" else "witness", "birth_date": "1971-04-02",
             "nationality": "UKR", "protected_status": "refugee",
             "names": [{"name": NAMES[0]}, {"name": "Ivan Petrenko"}]},
            {"role": "victim", "birth_date": None, "nationality": "SYR",
             "names": [{"name": NAMES[1]}]},
            {"role": "expert", "birth_date": "1980", "nationality": "CHN",
             "names": [{"name": NAMES[2]}]},
        ],
        "documents": [{"filename": "warrant-2026-17.pdf", "media_type": "application/pdf",
                       "size": 48213, "sha256": "ab" * 32}],
    }  # fmt: skip


FIXED = {
    DocumentKind.LETTER_OF_REQUEST: ("outgoing", "mla"),
    DocumentKind.EXTRADITION_REQUEST: ("outgoing", "extradition"),
    DocumentKind.PROVISIONAL_ARREST_REQUEST: ("outgoing", "extradition"),
    DocumentKind.REQUEST_FOR_INFORMATION: ("incoming", "mla"),
    DocumentKind.ACKNOWLEDGEMENT: ("incoming", "mla"),
    DocumentKind.DECISION_NOTICE: ("incoming", "mla"),
    DocumentKind.EXECUTION_REPORT: ("incoming", "mla"),
    DocumentKind.PROSECUTION_OUTCOME_NOTICE: ("incoming", "extradition"),
}
OBLIGATION = {"outcome": "prosecuted", "text": "Proceedings were brought before the District "
              "Court (fictional) on 2 November 2026."}  # fmt: skip
DECISION = {
    "outcome": "grant_with_conditions",
    "conditions": "The statement may be used only in the proceedings named in the request.",
    "reasons": "The witness is a recognised refugee; internal only.",
    "citations": [{"instrument": "coe-mla-1959", "article": "1"},
                  {"instrument": "refugee-1951", "article": "33"},
                  {"finding": "protected_status"}],
}  # fmt: skip
TITLES = {
    "coe-mla-1959": "European Convention on Mutual Assistance in Criminal Matters (coe-mla-1959)",
    "coe-extradition-1957": "European Convention on Extradition (coe-extradition-1957)",
}
PROFILE = {
    "authority": {"en": "Central Authority of Belgium (fictional)",
                  "fr": "Autorité centrale de Belgique (fictive)",
                  "nl": "Centrale autoriteit van België (fictief)"},
    "address": ["Rue de l'Exemple 1", "1000 Brussels"],
    "place": {"en": "Brussels", "fr": "Bruxelles", "nl": "Brussel"},
    "signatory": {"name": "A. Example", "title": {"en": "Head of the central authority",
                  "fr": "Chef de l'autorité centrale", "nl": "Hoofd van de centrale autoriteit"}},
}  # fmt: skip


def build(kind: DocumentKind, language: str) -> tuple[bytes, dict]:
    direction, request_kind = FIXED[kind]
    request = _request(direction, request_kind)
    recipient = (
        disclosure.Recipient.REQUESTING_STATE
        if direction == "incoming"
        else disclosure.Recipient.REQUESTED_STATE
    )
    request = disclosure.disclosed_request(request, recipient)
    decision = {
        "outcome": DECISION["outcome"], "conditions": DECISION["conditions"],
        "citations": disclosure.disclosed_citations(DECISION["citations"], recipient),
    }  # fmt: skip
    templates = Templates()
    inputs = Inputs(
        kind=kind, language=language, wording=templates.wording(language), profile=PROFILE,
        request=request, issued_on=ISSUED.date(),
        citations=citations_for(kind, request["legal_basis_instrument"], DECISION["outcome"]),
        basis_title=TITLES[request["legal_basis_instrument"]],
        completeness={"missing": ["purpose", "time_limits"]}, decision=decision,
        evidence=[{"filename": "hearing-record.pdf", "size": 120400, "sha256": "cd" * 32}],
        obligation=OBLIGATION if kind is DocumentKind.PROSECUTION_OUTCOME_NOTICE else None,
    )  # fmt: skip
    document = compose(inputs)
    html = templates.html(document, {"created": ISSUED.isoformat()})
    embedded = json.dumps({"request": request, "decision": decision}, ensure_ascii=False)
    return render_pdf(html, embedded.encode(), created=ISSUED, description=document["title"]), {
        "request": request,
        "document": document,
    }


class Rendered(dict):
    """Each kind in each language rendered at most once per session (per worker), when a
    test first asks for it."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, key: tuple[str, str]) -> tuple[Path, dict]:
        kind, language = key
        pdf, parts = build(DocumentKind(kind), language)
        path = self.folder / f"{kind}-{language}.pdf"
        path.write_bytes(pdf)
        self[key] = (path, parts)
        return self[key]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Rendered:
    return Rendered(tmp_path_factory.mktemp("formal-documents"))


def _first_page(pdf: Path) -> Image.Image:
    stem = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
         str(pdf), str(stem)], check=True, timeout=60,
    )  # fmt: skip
    return Image.open(f"{stem}.png").convert("L")


def _text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60
    )
    return done.stdout.decode("utf-8")


CASES = [(k, lang) for k in KINDS for lang in LANGUAGES]


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_the_first_page_looks_as_the_reference(rendered, kind, language):
    pdf, _ = rendered[(kind, language)]
    page = _first_page(pdf)
    reference = REFERENCES / f"{kind}-{language}.png"
    if UPDATE:
        REFERENCES.mkdir(parents=True, exist_ok=True)
        page.save(reference, optimize=True)
    assert reference.exists(), f"no reference image {reference.name}: run with UPDATE (docstring)"
    expected = Image.open(reference).convert("L")
    assert page.size == expected.size
    difference = ImageStat.Stat(ImageChops.difference(page, expected)).mean[0]
    assert difference <= TOLERANCE, f"{kind} ({language}) differs by {difference:.2f}"


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_the_text_and_the_embedded_json(rendered, kind, language):
    pdf, parts = rendered[(kind, language)]
    text = _text(pdf)
    assert parts["document"]["title"] in " ".join(text.split())
    assert "BEL-CA/2026/0001" in text
    if kind in ("letter_of_request", "extradition_request", "provisional_arrest_request"):
        for name in NAMES if kind == "letter_of_request" else NAMES[:1]:
            assert name in text, f"{name} is missing from {kind} ({language})"
    check = verify_pdf(pdf.read_bytes())
    assert check["embedded_json"] is True and check["embedded_files"] == [JSON_NAME]
    assert check["signed"] is False and check["signature_valid"] is None
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], check=True, capture_output=True)
    assert b'pdfaid:part="3"' in meta.stdout and b'pdfaid:conformance="B"' in meta.stdout
    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()), strict=False)
    # PDF/A-3 associated files (WeasyPrint 70 lists the one file spec twice in /AF)
    associated = {f.idnum: f.get_object() for f in reader.root.raw_get("/AF")}
    assert [(str(f["/F"]), str(f["/AFRelationship"])) for f in associated.values()] == [
        (JSON_NAME, "/Data")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_decision_notice_keeps_to_itself_what_it_must(rendered, language):
    pdf, parts = rendered[("decision_notice", language)]
    text = _text(pdf)
    assert "refugee" not in text.lower() and "33" not in text
    assert "coe-mla-1959 art. 1" in text
    assert DECISION["conditions"] in " ".join(text.split())
    assert all("protected_status" not in p for p in parts["request"]["persons"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_prosecution_outcome_notice_says_the_result_in_its_language(rendered, language):
    from judicare.formal_documents.templates import Templates

    pdf, _ = rendered[("prosecution_outcome_notice", language)]
    text = " ".join(_text(pdf).split())
    assert Templates().wording(language)["text"]["prosecution_prosecuted"] in text
    assert OBLIGATION["text"] in text
    assert "coe-extradition-1957" in text and "art. 6(2)" in text


def test_the_same_inputs_give_the_same_bytes():
    assert (
        build(DocumentKind.ACKNOWLEDGEMENT, "nl")[0] == build(DocumentKind.ACKNOWLEDGEMENT, "nl")[0]
    )


def test_the_date_is_the_fixed_one(rendered):
    pdf, parts = rendered[("acknowledgement", "fr")]
    assert parts["document"]["issued_on"] == "23 novembre 2026"
    assert b"/CreationDate (D:20261123090000" in pdf.read_bytes()
