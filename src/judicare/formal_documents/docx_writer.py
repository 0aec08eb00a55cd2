"""The same composed document as DOCX (python-docx), for a central authority to edit."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

FONT = "Noto Sans"


def _font(run, rtl: bool = False) -> None:
    """One font for every script (Word picks the eastAsia and complex-script slots itself
    otherwise); a name in Arabic or Hebrew is marked right to left."""
    run.font.name = FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    if rtl:
        run._element.get_or_add_rPr().append(run._element.makeelement(qn("w:rtl"), {}))


def _is_rtl(text: str) -> bool:
    return any("\u0590" <= ch <= "\u08ff" for ch in text)


def _paragraph(doc, text: str, style: str | None = None, bold: bool = False) -> None:
    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.bold = bold
    _font(run, _is_rtl(text))


def _item(doc, item: Any) -> None:
    paragraph = doc.add_paragraph(style="List Bullet")
    if isinstance(item, dict):
        for n, name in enumerate(item["names"]):
            if n:
                _font(paragraph.add_run(" / "))
            _font(paragraph.add_run(name), _is_rtl(name))
        _font(paragraph.add_run(f" — {item['text']}"))
    else:
        _font(paragraph.add_run(str(item)))


def render_docx(document: dict[str, Any], *, created: datetime) -> bytes:
    doc = Document()
    doc.styles["Normal"].font.name = FONT
    doc.styles["Normal"].font.size = Pt(10.5)
    props = doc.core_properties
    props.title = document["title"]
    props.author = document["letterhead"]["name"]
    props.language = document["language"]
    props.created = props.modified = created.replace(tzinfo=None)
    props.last_modified_by = "Judicare"
    props.revision = 1
    _paragraph(doc, document["letterhead"]["name"], bold=True)
    for line in document["letterhead"]["address"]:
        _paragraph(doc, line)
    for label, value in document["references"]:
        _paragraph(doc, f"{label}: {value}")
    _paragraph(doc, document["addressee"], bold=True)
    heading = doc.add_heading(level=1)
    _font(heading.add_run(document["title"]))
    for section in document["sections"]:
        if section["heading"]:
            h = doc.add_heading(level=2)
            _font(h.add_run(section["heading"]))
        for text in section["paragraphs"]:
            _paragraph(doc, text)
        for item in section["items"]:
            _item(doc, item)
    for line in document["citations"]:
        _paragraph(doc, line)
    _paragraph(doc, document["closing"])
    signatory = document["signatory"]
    place = f"{signatory['place']}, " if signatory["place"] else ""
    _paragraph(doc, f"{place}{document['issued_on']}")
    for text in (signatory["name"], signatory["title"]):
        if text:
            _paragraph(doc, text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
