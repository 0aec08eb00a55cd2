"""A central authority adapts its formal documents without code (issue 18): its profile, its
words and its layout in a directory of its own, the packaged defaults for the rest; and a
template may not make the renderer fetch anything from a network."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from docx import Document

from judicare.errors import InvalidInput
from judicare.formal_documents.compose import Inputs, compose
from judicare.formal_documents.docx_writer import render_docx
from judicare.formal_documents.kinds import DocumentKind
from judicare.formal_documents.pdf import RemoteResource, render_pdf
from judicare.formal_documents.templates import BadTemplate, Templates

ISSUED = datetime(2026, 11, 23, tzinfo=UTC)
REQUEST = {
    "reference": "BEL-CA/2026/0002", "requesting_reference": "", "direction": "incoming",
    "kind": "mla", "status": "received", "requesting_state": "KAZ", "requested_state": "BEL",
    "requesting_authority": "Prosecutor (fictional)", "requesting_central_authority": "",
    "requested_central_authority": "", "urgency": "normal", "confidentiality": "normal",
    "request_date": None, "received_on": "2026-11-01", "persons": [], "documents": [],
}  # fmt: skip


def _inputs(templates: Templates, kind=DocumentKind.ACKNOWLEDGEMENT, language="fr", **more):
    return Inputs(
        kind=kind, language=language, wording=templates.wording(language),
        profile=templates.profile("BEL-CA"), request={**REQUEST, **more}, issued_on=ISSUED.date(),
    )  # fmt: skip


def test_the_packaged_defaults_need_no_directory():
    document = compose(_inputs(Templates()))
    assert document["title"] == "Accusé de réception"
    assert document["letterhead"]["name"] == "BEL"  # no profile: the request's own words
    assert document["signatory"] == {"name": "", "title": "", "place": ""}


def test_an_authority_adapts_profile_words_and_layout(tmp_path):
    (tmp_path / "BEL-CA").mkdir()
    (tmp_path / "BEL-CA" / "profile.yaml").write_text(
        "authority: {fr: Service public fédéral Justice (fictif), en: FPS Justice (fictional)}\n"
        "address: [Boulevard de l'Exemple 115, 1000 Bruxelles]\n"
        "signatory: {name: B. Exemple, title: {fr: Directrice}}\n", encoding="utf-8",
    )  # fmt: skip
    (tmp_path / "templates" / "text").mkdir(parents=True)
    (tmp_path / "templates" / "text" / "fr.yaml").write_text(
        "titles: {acknowledgement: Accusé de bonne réception}\n", encoding="utf-8"
    )
    (tmp_path / "templates" / "acknowledgement.html.j2").write_text(
        '{% extends "document.html.j2" %}', encoding="utf-8"
    )
    templates = Templates(tmp_path)
    document = compose(_inputs(templates))
    assert document["title"] == "Accusé de bonne réception"
    assert document["closing"] == Templates().wording("fr")["text"]["closing"]  # merged
    assert document["letterhead"] == {
        "name": "Service public fédéral Justice (fictif)",
        "address": ["Boulevard de l'Exemple 115", "1000 Bruxelles"],
    }
    assert document["signatory"]["name"] == "B. Exemple"
    html = templates.html(document, {"created": ISSUED.isoformat()})
    assert "Accusé de bonne réception" in html and "B. Exemple" in html


def test_a_profile_with_an_unknown_key_is_named(tmp_path):
    (tmp_path / "profile.yaml").write_text("signatroy: {name: X}\n", encoding="utf-8")
    with pytest.raises(BadTemplate, match=re.escape("profile.yaml: unknown key 'signatroy'")):
        Templates(tmp_path).profile("BEL-CA")


def test_only_three_languages_are_offered():
    with pytest.raises(InvalidInput, match="lang 'de' is not offered"):
        Templates().wording("de")


def test_a_template_that_reaches_for_the_network_is_refused(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "acknowledgement.html.j2").write_text(
        '<html><body><img src="https://fonts.example.invalid/logo.png">{{ doc.title }}</body>'
        "</html>", encoding="utf-8",
    )  # fmt: skip
    templates = Templates(tmp_path)
    html = templates.html(compose(_inputs(templates)), {"created": ISSUED.isoformat()})
    with pytest.raises(RemoteResource, match=re.escape("https://fonts.example.invalid/logo.png")):
        render_pdf(html, b"{}", created=ISSUED, description="test")


def test_the_docx_carries_the_same_words_and_names_in_every_script():
    persons = [{"role": "witness", "names": [{"name": "Іван Петренко"}, {"name": "أحمد الحسن"},
                                             {"name": "张伟"}]}]  # fmt: skip
    document = compose(
        _inputs(
            Templates(),
            DocumentKind.LETTER_OF_REQUEST,
            "nl",
            direction="outgoing",
            persons=persons,
            measures=[],
            crimes=["genocide"],
        )
    )
    data = render_docx(document, created=ISSUED)
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Rechtshulpverzoek" in text and "Genocide" in text
    assert "Іван Петренко / أحمد الحسن / 张伟 — Getuige" in text
