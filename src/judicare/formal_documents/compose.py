"""What a formal document says: from the request (as its read model serialises it), the
completeness report, the decision in effect and the documents held, in the words of one
language (`templates/text/<lang>.yaml`). Pure: plain values in, a plain document out, which
the HTML template (PDF) and the DOCX writer both lay out.

What reaches the requesting state has already passed the disclosure rule (`disclosure`):
`compose` is given the request payload and the decision as they may be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date

from judicare.formal_documents.kinds import Citation, DocumentKind

K = DocumentKind
Json = dict[str, Any]


@dataclass(frozen=True)
class Inputs:
    kind: DocumentKind
    language: str
    wording: dict[str, Any]
    profile: dict[str, Any]
    request: dict[str, Any]  # the request payload, as the recipient may read it
    issued_on: date
    citations: tuple[Citation, ...] = ()
    basis_title: str | None = None
    completeness: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None  # outcome, conditions, citations (disclosed)
    evidence: list[dict[str, Any]] = field(default_factory=list)  # filename, size, sha256
    obligation: dict[str, Any] | None = None  # outcome, approved text (aut dedere aut judicare)
    # evidence bags (`evidence.summary`): name, payload_size, payload_oxum, sha256,
    # manifest_sha256, custody_entries
    bags: list[dict[str, Any]] = field(default_factory=list)


def compose(i: Inputs) -> dict[str, Any]:
    w = i.wording
    outgoing = i.request.get("direction") == "outgoing"
    sender, addressee = _parties(i.request, i.profile, outgoing, i.language)
    sections = _BUILDERS[i.kind](i)
    return {
        "kind": i.kind.value,
        "language": i.language,
        "direction": w.get("direction", "ltr"),
        "title": w["titles"][i.kind.value],
        "issued_on": _date(i.issued_on, i.language),
        "letterhead": {"name": sender, "address": list(i.profile.get("address") or [])},
        "addressee": addressee,
        "references": _references(i, outgoing),
        "sections": [s for s in sections if s["paragraphs"] or s["items"]],
        "citations": [_citation_line(w, c) for c in i.citations],
        "closing": w["text"]["closing"],
        "signatory": _signatory(i.profile, i.language),
        "embedded_note": w["labels"]["embedded"],
    }


# --- the parts every document has -----------------------------------------------------------


def _local(value: Any, language: str) -> str:
    """A profile value may be one text or one per language."""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or "")
    return str(value or "")


def _parties(request: Json, profile: Json, outgoing: bool, language: str) -> tuple[str, str]:
    ours = "requesting" if outgoing else "requested"
    theirs = "requested" if outgoing else "requesting"
    sender = (
        _local(profile.get("authority"), language)
        or request.get(f"{ours}_central_authority")
        or (request.get("requesting_authority") if outgoing else "")
        or request[f"{ours}_state"]
    )
    addressee = (
        request.get(f"{theirs}_central_authority")
        or (request.get("requesting_authority") if not outgoing else "")
        or request[f"{theirs}_state"]
    )
    return sender, addressee


def _references(i: Inputs, outgoing: bool) -> list[list[str]]:
    labels = i.wording["labels"]
    refs = [[labels["date"], _date(i.issued_on, i.language)]]
    refs.append([labels["our_reference"], i.request["reference"]])
    theirs = i.request.get("requesting_reference")
    if theirs and not outgoing:
        refs.append([labels["your_reference"], theirs])
    urgency = i.request.get("urgency")
    if urgency and urgency != "normal":
        refs.append([labels["urgency"], _term(i.wording, "urgency", urgency)])
    confidentiality = i.request.get("confidentiality")
    if confidentiality and confidentiality != "normal":
        refs.append(
            [labels["confidentiality"], _term(i.wording, "confidentiality", confidentiality)]
        )
    return refs


def _signatory(profile: Json, language: str) -> dict[str, str]:
    signatory = profile.get("signatory") or {}
    return {
        "name": _local(signatory.get("name"), language),
        "title": _local(signatory.get("title"), language),
        "place": _local(profile.get("place"), language),
    }


def _date(value: date | str | None, language: str) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        if len(value) != 10:  # a partial date (YYYY or YYYY-MM) is shown as written
            return value
        value = date.fromisoformat(value)
    return format_date(value, format="long", locale=language)


def _term(wording: Json, group: str, code: str) -> str:
    return str(wording["terms"].get(group, {}).get(code, code))


def _citation_line(wording: Json, c: Citation) -> str:
    line = wording["labels"]["contents_rule"].format(instrument=c.instrument, article=c.article)
    return line if c.verified else f"{line} ({wording['labels']['unverified']})"


def _section(
    wording: Json, heading: str, paragraphs: Sequence[Any] = (), items: Sequence[Any] = ()
) -> Json:
    return {
        "heading": wording["headings"][heading],
        "paragraphs": [p for p in paragraphs if p],
        "items": [x for x in items if x],
    }


# --- the request's contents -------------------------------------------------------------------


def _basis(i: Inputs) -> Json:
    text = i.wording["text"]
    instrument = i.request.get("legal_basis_instrument")
    line = (
        text["basis"].format(instrument=i.basis_title or instrument)
        if instrument
        else text["no_basis"]
    )
    return _section(i.wording, "legal_basis", [line])


def _persons(i: Inputs, roles: tuple[str, ...] | None = None, heading: str = "persons") -> Json:
    labels = i.wording["labels"]
    items = []
    for p in i.request.get("persons", []):
        if roles and p["role"] not in roles:
            continue
        details = [_term(i.wording, "role", p["role"])]
        if p.get("birth_date"):
            details.append(f"{labels['born']} {_date(p['birth_date'], i.language)}")
        if p.get("nationality"):
            details.append(f"{labels['nationality']} {p['nationality']}")
        items.append({"names": [n["name"] for n in p["names"]], "text": ", ".join(details)})
    return _section(i.wording, heading, items=items)


def _offences(i: Inputs) -> Json:
    crimes = [_term(i.wording, "crime", c) for c in i.request.get("crimes", [])]
    return _section(i.wording, "offences", [i.request.get("legal_provisions")], crimes)


def _common(i: Inputs) -> list[Json]:
    r, w = i.request, i.wording
    return [
        _section(w, "requesting_authority", [r.get("requesting_authority")]),
        _basis(i),
        _section(w, "subject", [r.get("subject_and_nature")]),
        _offences(i),
        _section(w, "facts", [r.get("facts_summary")]),
    ]


def _annexes(i: Inputs) -> Json:
    return _section(
        i.wording, "annexes", items=[d["filename"] for d in i.request.get("documents", [])]
    )


def _intro(i: Inputs, *more: str) -> Json:
    return {"heading": "", "paragraphs": [i.wording["text"][f"intro_{i.kind.value}"], *more],
            "items": []}  # fmt: skip


def _letter_of_request(i: Inputs) -> list[Json]:
    r, w = i.request, i.wording
    measures = [
        " — ".join(x for x in (_term(w, "measure", m["measure"]), m.get("details")) if x)
        for m in r.get("measures", [])
    ]
    limits = [_date(r.get("requested_execution_date"), i.language)]
    return [
        _intro(i),
        *_common(i),
        _persons(i),
        _section(w, "assistance", items=measures),
        _section(w, "procedure", [r.get("procedure_wished")]),
        _section(w, "person_to_serve", [r.get("person_to_serve")]),  # ECMA art. 14(1)(d)
        _section(w, "purpose", [r.get("purpose")]),
        _section(w, "time_limits", limits),
        _annexes(i),
    ]


def _extradition_request(i: Inputs) -> list[Json]:
    enactments = (i.request.get("extradition") or {}).get("enactments")
    return [
        _intro(i),
        *_common(i),
        _section(i.wording, "enactments", [enactments]),  # ECE art. 12(2)(c)
        _persons(i, ("person_sought", "suspect", "accused"), "person_sought"),
        _annexes(i),
    ]


def _provisional_arrest_request(i: Inputs) -> list[Json]:
    text = i.wording["text"]
    return [
        _intro(i, text["warrant_exists"], text["extradition_follows"]),
        *_common(i),
        _persons(i, ("person_sought", "suspect", "accused"), "person_sought"),
        _annexes(i),
    ]


def _request_for_information(i: Inputs) -> list[Json]:
    missing = (i.completeness or {}).get("missing") or []
    wanted = [_term(i.wording, "missing", m) for m in missing]
    reply = i.wording["text"]["reply_quoting"].format(reference=i.request["reference"])
    return [_intro(i), _section(i.wording, "missing", [reply], wanted)]


def _acknowledgement(i: Inputs) -> list[Json]:
    text, r = i.wording["text"], i.request
    dated = (
        text["dated"].format(date=_date(r["request_date"], i.language))
        if r.get("request_date")
        else ""
    )
    first = text["intro_acknowledgement"].format(
        dated=dated, received_on=_date(r.get("received_on"), i.language),
        reference=r["reference"],
    )  # fmt: skip
    status = text["current_status"].format(status=_term(i.wording, "status", r["status"]))
    return [{"heading": "", "paragraphs": [first, status], "items": []}]


def _decision_notice(i: Inputs) -> list[Json]:
    text, w, d = i.wording["text"], i.wording, i.decision or {}
    outcome = d.get("outcome", "")
    grounds = [
        " ".join(x for x in (c.get("instrument"), f"art. {c['article']}" if c.get("article")
                             else None) if x)
        for c in d.get("citations", [])
    ]  # fmt: skip
    return [
        _intro(i),
        _section(w, "decision", [text.get(f"outcome_{outcome}", outcome)]),
        _section(w, "conditions", [d.get("conditions")]),
        _section(w, "grounds", items=grounds),
    ]


def _execution_report(i: Inputs) -> list[Json]:
    text, w, labels = i.wording["text"], i.wording, i.wording["labels"]
    state = text.get(i.request["status"], "")
    evidence = [
        f"{e['filename']} — {e['size']} {labels['bytes']} — SHA-256 {e['sha256']}"
        for e in i.evidence
    ]
    bags = [
        labels["bag"].format(
            name=b["name"], size=b["payload_size"], files=b["files"], oxum=b["payload_oxum"],
            sha256=b["sha256"], manifest=b["manifest_sha256"], entries=b["custody_entries"],
        )
        for b in i.bags
    ]  # fmt: skip
    return [
        _intro(i, state),
        _section(w, "evidence", [] if evidence else [text["no_evidence"]], evidence),
        _section(w, "evidence_bags", items=bags),
    ]


def _prosecution_outcome_notice(i: Inputs) -> list[Json]:
    text, w, o = i.wording["text"], i.wording, i.obligation or {}
    outcome = o.get("outcome") or ""
    return [
        _intro(i),
        _section(w, "prosecution_result", [text.get(f"prosecution_{outcome}", outcome)]),
        _section(w, "remarks", [o.get("text")]),
    ]


_BUILDERS = {
    K.LETTER_OF_REQUEST: _letter_of_request,
    K.EXTRADITION_REQUEST: _extradition_request,
    K.PROVISIONAL_ARREST_REQUEST: _provisional_arrest_request,
    K.REQUEST_FOR_INFORMATION: _request_for_information,
    K.ACKNOWLEDGEMENT: _acknowledgement,
    K.DECISION_NOTICE: _decision_notice,
    K.EXECUTION_REPORT: _execution_report,
    K.PROSECUTION_OUTCOME_NOTICE: _prosecution_outcome_notice,
}
