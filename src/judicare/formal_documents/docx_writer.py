"""The same composed document as DOCX (python-docx), for a central authority to edit, with
the same machine-readable JSON the PDF carries, as a custom XML part of the package (ECMA-376
part 1, 15.2.4 "Custom XML Data Storage Part"): Word keeps such a part when the document is
edited and saved, and a receiving system reads it without opening the text."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.shared import Pt

FONT = "Noto Sans"
# The custom XML part: one element in Judicare's namespace, holding the JSON as its text.
NAMESPACE = "urn:judicare:formal-document:embedded-json:1"
MAX_PART = 64 << 20  # a received DOCX: a custom XML part above this is not read (a zip bomb)


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


def _embed(doc, name: str, data: bytes) -> None:
    """The JSON as a custom XML part related to the main document, with its properties part
    (a datastore item id derived from the content, so the same inputs give the same id)."""
    text = data.decode("utf-8")
    item = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<json xmlns="{NAMESPACE}" name={quoteattr(name)}>{escape(text)}</json>'
    ).encode()
    guid = "{" + str(uuid.UUID(hashlib.sha256(data).hexdigest()[:32])).upper() + "}"
    props = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<ds:datastoreItem ds:itemID="' + guid + '" xmlns:ds="http://schemas.openxmlformats.org/'
        'officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="' + NAMESPACE
        + '"/></ds:schemaRefs></ds:datastoreItem>'
    ).encode("utf-8")  # fmt: skip
    package = doc.part.package
    name_of = package.next_partname("/customXml/item%d.xml")  # the template holds item1
    part = Part(name_of, "application/xml", item, package)
    props_part = Part(
        PackURI(f"/customXml/itemProps{name_of.idx}.xml"),
        "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        props,
        package,
    )
    part.relate_to(props_part, RT.CUSTOM_XML_PROPS)
    doc.part.relate_to(part, RT.CUSTOM_XML)


def embedded_files(docx: bytes) -> dict[str, bytes]:
    """The files embedded in a DOCX as Judicare's custom XML parts (name -> bytes); a part
    that is not one, or is too large to be read safely, is skipped."""
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        for info in package.infolist():
            if not info.filename.startswith("customXml/item") or info.file_size > MAX_PART:
                continue
            if "Props" in info.filename:
                continue
            try:
                root = ElementTree.fromstring(package.read(info))
            except ElementTree.ParseError:
                continue
            if root.tag == f"{{{NAMESPACE}}}json" and root.get("name"):
                found[root.get("name", "")] = (root.text or "").encode("utf-8")
    return found


def verify_docx(docx: bytes) -> dict[str, Any]:
    """What `documents verify` answers for a DOCX: no signature (a DOCX is never signed
    here), and whether the request's JSON is embedded and readable."""
    answer: dict[str, Any] = {
        "format": "docx", "signed": False, "signature_valid": None, "intact": None,
        "trusted": None, "signer": None, "signed_at": None, "covers_whole_file": None,
        "embedded_json": False, "embedded_files": [], "problem": None,
    }  # fmt: skip
    try:
        files = embedded_files(docx)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        answer["problem"] = f"not a readable DOCX: {type(exc).__name__}: {exc}"[:500]
        return answer
    answer["embedded_files"] = sorted(files)
    for data in files.values():
        try:
            json.loads(data)
        except ValueError:
            continue
        answer["embedded_json"] = True
    return answer


def render_docx(
    document: dict[str, Any], *, created: datetime, embedded: tuple[str, bytes] | None = None
) -> bytes:
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
    if embedded is not None:
        _embed(doc, *embedded)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
