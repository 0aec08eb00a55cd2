"""Producing a formal document for a stored request (CLI, API and web call this): load the
request within need-to-know, check the kind fits, gather its completeness, decision and
documents, apply the disclosure rule, compose, lay out (PDF/A-3 or DOCX), sign when the
authority's certificate is configured, and audit the rendering, in one transaction."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.app import App
from judicare.audit.service import AuditAction
from judicare.auth.models import AuthorityRow
from judicare.auth.permissions import Permission, Principal
from judicare.errors import InvalidInput
from judicare.evidence import summary
from judicare.evidence.archives import BAG_MEDIA_TYPE
from judicare.exchange.payloads import WIRE_FIELDS
from judicare.files.store import FileStore
from judicare.formal_documents import disclosure, signing
from judicare.formal_documents.compose import Inputs, compose
from judicare.formal_documents.docx_writer import render_docx, verify_docx
from judicare.formal_documents.kinds import (
    DocumentKind,
    KindDoesNotFit,
    RequestShape,
    fit,
    fitting,
    parse_kind,
)
from judicare.formal_documents.pdf import JSON_NAME, render_pdf
from judicare.formal_documents.templates import LANGUAGES, Templates
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.prosecution.service import notice_produced
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.read_models import RequestDetail
from judicare.requests.service import audit_request_act, load_for
from judicare.screening.domain import RequestFacts
from judicare.screening.models import DecisionRow
from judicare.screening.rules import completeness
from judicare.screening.service import completeness_fields
from judicare.settings import Settings
from judicare.treaties.catalogue import UnknownInstrument, get_instrument

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# What the embedded JSON carries of the request: the exchange's wire projection of the read
# model, with the register's own references and dates, and the list of documents.
EMBEDDED_FIELDS = {
    **WIRE_FIELDS, "reference": True, "requesting_reference": True, "request_date": True,
    "received_on": True, "status": True, "direction": True, "person_to_serve": True,
    "extradition": {"enactments"},
    "documents": {"__all__": {"filename", "media_type", "size", "sha256"}},
}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    filename: str
    media_type: str
    content: bytes
    signed: bool


def _recipient(row: RequestRow) -> disclosure.Recipient:
    """Incoming requests' documents go to the requesting state; outgoing ones' to the
    requested state."""
    if row.direction == "incoming":
        return disclosure.Recipient.REQUESTING_STATE
    return disclosure.Recipient.REQUESTED_STATE


def _documents(session: Session, row: RequestRow) -> list[DocumentRow]:
    return list(
        session.scalars(
            select(DocumentRow).where(DocumentRow.request_id == row.id).order_by(DocumentRow.id)
        )
    )


def _completeness(row: RequestRow, detail: dict, documents: int) -> dict[str, Any]:
    """The completeness report (`screening.completeness`) of the request as registered, under
    the legal bases resolved for it."""
    answer = row.legal_basis_answer or {}
    instruments = {b["instrument"] for b in answer.get("bases") or []}
    if answer.get("fallback"):
        instruments.add(answer["fallback"]["law"])
    facts = RequestFacts(
        requesting=row.requesting_state, requested=row.requested_state, kind=row.kind,
        crimes=tuple(row.crimes or ()), measures=tuple(m.measure for m in row.measures),
        persons=(), instruments=frozenset(instruments),
        fields=completeness_fields(detail, documents),
    )  # fmt: skip
    return completeness(facts)


def _decision(session: Session, row: RequestRow) -> DecisionRow | None:
    return session.scalars(
        select(DecisionRow)
        .where(DecisionRow.request_id == row.id, DecisionRow.status == "effective")
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).first()


def _shape(
    row: RequestRow, report: dict, decision: DecisionRow | None, documents: int,
    informing: ProsecutionObligationRow | None = None,
) -> RequestShape:  # fmt: skip
    return RequestShape(
        direction=row.direction, kind=row.kind, status=row.status,
        legal_basis=row.legal_basis_instrument, missing=tuple(report["missing"]),
        has_effective_decision=decision is not None,
        outcome=decision.outcome if decision is not None else None,
        documents=documents, information_approved=informing is not None,
    )  # fmt: skip


def _informing(session: Session, row: RequestRow) -> ProsecutionObligationRow | None:
    """The obligation whose result was approved for the requesting state by notice (the
    state has no node), and not marked sent yet: the prosecution outcome notice's subject."""
    return session.scalars(
        select(ProsecutionObligationRow)
        .where(
            ProsecutionObligationRow.request_id == row.id,
            ProsecutionObligationRow.inform_channel == "notice",
            ProsecutionObligationRow.inform_status.in_(("approved", "notice_produced")),
        )
        .order_by(ProsecutionObligationRow.id.desc())
        .limit(1)
    ).first()


def _basis_title(instrument: str | None) -> str | None:
    if not instrument:
        return None
    try:
        return f"{get_instrument(instrument).title} ({instrument})"
    except UnknownInstrument:
        return instrument


def _disclosed_decision(entry: DecisionRow | None, recipient) -> dict | None:
    if entry is None:
        return None
    d = disclosure
    return {
        "outcome": entry.outcome,
        "conditions": entry.conditions if d.decide(d.Item.CONDITIONS, recipient).disclose else "",
        "citations": d.disclosed_citations(list(entry.citations or []), recipient),
        **({"reasons": entry.reasons} if d.decide(d.Item.REASONS, recipient).disclose else {}),
    }


@dataclass
class Gathered:
    row: RequestRow
    detail: RequestDetail
    report: dict
    decision: DecisionRow | None
    documents: list[DocumentRow]
    authority_name: str
    informing: ProsecutionObligationRow | None = None


def gather(session: Session, principal: Principal, request_id: int) -> Gathered:
    row = load_for(session, principal, request_id, Permission.DOCUMENT_READ)
    documents = _documents(session, row)
    detail = RequestDetail.of(row, documents=documents)
    report = _completeness(row, detail.model_dump(mode="json"), len(documents))
    authority = session.get(AuthorityRow, row.authority_id)
    name = authority.name if authority is not None else ""
    return Gathered(row, detail, report, _decision(session, row), documents, name,
                    _informing(session, row))  # fmt: skip


def kinds_for(session: Session, principal: Principal, request_id: int) -> list[str]:
    """The kinds of formal document that fit the request (the request page's list)."""
    g = gather(session, principal, request_id)
    return fitting(_shape(g.row, g.report, g.decision, len(g.documents), g.informing))


def _check(kind: str, language: str, fmt: str) -> DocumentKind:
    found = parse_kind(kind)
    if language not in LANGUAGES:
        raise InvalidInput(f"lang {language!r} is not offered: use one of {', '.join(LANGUAGES)}")
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not offered: use pdf or docx")
    return found


def evidence_bags(file_store: FileStore, documents: list[DocumentRow]) -> list[dict]:
    """The evidence bags among the request's documents, each summarised from its stored
    archive (`evidence.summary`): what an execution report lists beside the documents."""
    found = []
    for d in documents:
        if d.media_type != BAG_MEDIA_TYPE:
            continue
        try:
            with file_store.open(d.storage_key) as handle:
                found.append(summary.summarise(handle, name=d.filename, sha256=d.sha256))
        except (OSError, KeyError, summary.UnreadableBag) as exc:
            raise InvalidInput(
                f"the evidence bag {d.filename} (document {d.id}) cannot be read for the "
                f"execution report: {exc}"
            ) from None
    return found


def compose_for(
    settings: Settings,
    g: Gathered,
    kind: DocumentKind,
    language: str,
    now: datetime,
    bags: list[dict] | None = None,
) -> tuple[dict, dict]:
    """(the composed document, the JSON to embed), after the kind is found to fit; `bags`:
    the evidence bags an execution report lists (`evidence_bags`)."""
    found = fit(kind, _shape(g.row, g.report, g.decision, len(g.documents), g.informing))
    if not found.fits:
        raise KindDoesNotFit(f"a {kind.value} does not fit request {g.row.id}: {found.reason}")
    recipient = _recipient(g.row)
    payload = g.detail.model_dump(mode="json", by_alias=True, include=EMBEDDED_FIELDS)
    payload = disclosure.disclosed_request(payload, recipient)
    decision = _disclosed_decision(g.decision, recipient)
    templates = Templates(settings.documents_dir)
    profile = templates.profile(g.row.authority_id)
    if not profile.get("authority") and g.authority_name:
        profile = {**profile, "authority": g.authority_name}  # the register's name for it
    evidence = [{"filename": d.filename, "size": d.size, "sha256": d.sha256} for d in g.documents]
    inputs = Inputs(
        kind=kind, language=language, wording=templates.wording(language),
        profile=profile, request=payload,
        issued_on=now.date(), citations=found.citations,
        basis_title=_basis_title(g.row.legal_basis_instrument), completeness=g.report,
        decision=decision,
        evidence=evidence if kind is DocumentKind.EXECUTION_REPORT else [],
        obligation=_notified(g.informing) if kind is NOTICE else None,
        bags=list(bags or []) if kind is DocumentKind.EXECUTION_REPORT else [],
    )  # fmt: skip
    document = compose(inputs)
    embedded = {
        "document": {"kind": kind.value, "language": language, "issued_on": now.date().isoformat(),
                     "citations": [c.as_dict() for c in found.citations]},
        "request": payload,
        **({"decision": decision} if kind is DocumentKind.DECISION_NOTICE else {}),
        **({"missing": g.report["missing"]} if kind is DocumentKind.REQUEST_FOR_INFORMATION
           else {}),
        **({"evidence": evidence, "evidence_bags": list(bags or [])}
           if kind is DocumentKind.EXECUTION_REPORT else {}),
        **({"prosecution": _notified(g.informing)} if kind is NOTICE else {}),
    }  # fmt: skip
    return document, embedded


NOTICE = DocumentKind.PROSECUTION_OUTCOME_NOTICE


def _notified(entry: ProsecutionObligationRow | None) -> dict | None:
    """What the notice tells the requesting state of an obligation: its outcome, the
    approved text and the articles (the obligation's internal steps stay out)."""
    if entry is None:
        return None
    return {
        "obligation": entry.id, "outcome": entry.outcome, "text": entry.inform_text,
        "citations": [{k: c[k] for k in ("instrument", "article") if k in c}
                      for c in entry.citations if "instrument" in c],
    }  # fmt: skip


def _lay_out(settings: Settings, document: dict, embedded: dict, fmt: str, now: datetime):
    data = json.dumps(embedded, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    if fmt == "docx":
        return render_docx(document, created=now, embedded=(JSON_NAME, data)), False
    meta = {"created": now.isoformat()}
    html = Templates(settings.documents_dir).html(document, meta)
    pdf = render_pdf(html, data, created=now, description=document["title"])
    if settings.documents_signing_certificate and settings.documents_signing_key:
        pdf = signing.sign_pdf(
            pdf, certificate=settings.documents_signing_certificate,
            key=settings.documents_signing_key, chain=tuple(settings.documents_signing_chain),
            reason=document["title"], location=document["signatory"]["place"], at=now,
        )  # fmt: skip
        return pdf, True
    return pdf, False


def render(
    app: App, who: Principal, request_id: int, kind: str, language: str, fmt: str, *, why: str
) -> Rendered:
    """Render one formal document; audited as a disclosure of the request (what, in which
    language and format, and the SHA-256 of what was produced)."""
    document_kind = _check(kind, language, fmt)
    with app.unit_of_work() as uow:
        now = app.now()
        g = gather(uow.session, who, request_id)
        bags = (
            evidence_bags(app.file_store, g.documents)
            if document_kind is DocumentKind.EXECUTION_REPORT and app.file_store is not None
            else None
        )
        document, embedded = compose_for(app.settings, g, document_kind, language, now, bags)
        content, signed = _lay_out(app.settings, document, embedded, fmt, now)
        audit_request_act(
            uow.session, who, g.row.id, AuditAction.DISCLOSURE, "document:render", why=why,
            now=now, details={"kind": kind, "language": language, "format": fmt,
                              "sha256": hashlib.sha256(content).hexdigest(), "signed": signed,
                              **({"obligation": g.informing.id}
                                 if document_kind is NOTICE and g.informing else {})},
        )  # fmt: skip
        if document_kind is NOTICE and g.informing is not None:
            notice_produced(uow.session, who, g.informing, now=now)
        uow.commit()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", g.row.reference)
    return Rendered(f"{safe}-{kind}-{language}.{fmt}", FORMATS[fmt], content, signed)


def verify(settings: Settings, pdf: bytes, *, now: datetime, trust: list | None = None) -> dict:
    """A PDF's signature and embedded JSON; a DOCX (a ZIP package) is answered with the same
    fields: never signed, and whether its custom XML part holds the JSON."""
    if pdf.startswith(b"PK\x03\x04"):
        return verify_docx(pdf)
    roots = trust if trust is not None else signing.trust_roots(settings.documents_trust_roots)
    return {"format": "pdf", **signing.verify_pdf(pdf, roots, at=now)}
