"""The shapes the API returns for a request: a summary (no personal data) for lists, and
the full detail (reading it is audited)."""

from __future__ import annotations

from datetime import date

from judicare.requests.models import RequestRow


def _iso(value):
    return value.isoformat() if value is not None else None


def etag(row: RequestRow) -> str:
    return f'"{row.version}"'


def request_summary(row: RequestRow, today: date | None = None) -> dict:
    overdue = (
        bool(today)
        and any(d.due < today for d in row.deadlines)
        and row.status not in {"closed", "refused", "withdrawn", "executed"}
    )
    return {
        "id": row.id,
        "reference": row.reference,
        "direction": row.direction,
        "kind": row.kind,
        "requesting_state": row.requesting_state,
        "requested_state": row.requested_state,
        "status": row.status,
        "urgency": row.urgency,
        "received_on": _iso(row.received_on),
        "next_deadline": _iso(min((d.due for d in row.deadlines), default=None)),
        "overdue": overdue,
        "version": row.version,
    }


def request_detail(row: RequestRow, transitions, links, documents) -> dict:
    return {
        **request_summary(row),
        "authority_id": row.authority_id,
        "requesting_authority": row.requesting_authority,
        "requesting_central_authority": row.requesting_central_authority,
        "requested_central_authority": row.requested_central_authority,
        "confidentiality": row.confidentiality,
        "crimes": list(row.crimes or []),
        "facts_summary": row.facts_summary,
        "subject_and_nature": row.subject_and_nature,
        "legal_provisions": row.legal_provisions,
        "purpose": row.purpose,
        "procedure_wished": row.procedure_wished,
        "legal_basis_instrument": row.legal_basis_instrument,
        "legal_basis_answer": row.legal_basis_answer,
        "requested_execution_date": _iso(row.requested_execution_date),
        "measures": [{"measure": m.measure, "details": m.details} for m in row.measures],
        "persons": [
            {
                "id": p.id,
                "role": p.role,
                "birth_date": p.birth_date,
                "nationality": p.nationality,
                "protected_status": p.protected_status,
                "names": [
                    {"name": n.name, "form": n.form, "script": n.script, "system": n.system}
                    for n in p.names
                ],
                "identity_documents": [
                    {"kind": d.kind, "number": d.number, "issuing_state": d.issuing_state}
                    for d in p.documents
                ],
            }
            for p in row.persons
        ],
        "deadlines": [
            {
                "kind": d.kind,
                "due": _iso(d.due),
                "citation": d.citation,
                "source_url": d.source_url,
                "note": d.note,
            }
            for d in row.deadlines
        ],
        "transitions": [
            {
                "from": t.from_status,
                "to": t.to_status,
                "reasons": t.reasons,
                "citations": t.citations,
                "decision": t.decision_id,
                "decided_by": t.decided_by,
                "at": _iso(t.decided_at),
            }
            for t in transitions
        ],
        "links": [
            {
                "from": link.from_request_id,
                "to": link.to_request_id,
                "link_type": link.link_type,
                "note": link.note,
            }
            for link in links
        ],
        "documents": [
            {
                "id": d.id,
                "filename": d.filename,
                "media_type": d.media_type,
                "size": d.size,
                "sha256": d.sha256,
                "uploaded_at": _iso(d.uploaded_at),
            }
            for d in documents
        ],
    }
