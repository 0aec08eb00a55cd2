"""The portal's downloads: JSON and CSV of the same rows under one versioned, documented
schema, and the Atom feed of notifications (RFC 4287). Pure: rows in, bytes out.

Every dataset is published twice, `data/<name>.json` and `data/<name>.csv`, with the same
rows in the same order. JSON keeps types (null, true/false); CSV writes null as an empty
cell and booleans as `true`/`false`. `data/schema.json` documents every column.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET

SCHEMA_VERSION = "2.0"  # 1.1: statistics and obligation_outcomes; 2.0: exact totals, "x"
ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"

SCHEMA: dict[str, dict[str, Any]] = {
    "instruments": {
        "description": "Every instrument the portal covers: treaties and joint statements.",
        "columns": {
            "id": "stable identifier, used in every URL (e.g. lhc-2023)",
            "type": "treaty or statement (a statement is a political act, not a treaty)",
            "title": "full title",
            "short_title": "short title",
            "date": "adoption date (treaty) or date of the statement, YYYY-MM-DD; null if unknown",
            "participation_data": "complete, partial or unknown (treaties); partial or "
            "complete_per_one_source (statements): a state with no row in partial data has "
            "an unknown position",
        },
    },
    "actions": {
        "description": "Every action of a state in respect of a treaty, from the reference "
        "data shipped with Judicare and from this depositary's register.",
        "columns": {
            "instrument": "instrument id",
            "state": "ISO 3166-1 alpha-3 code (XKX for Kosovo)",
            "state_name": "short English name",
            "action": "signature, ratification, acceptance, approval, accession, succession, "
            "reservation, declaration, objection, withdrawal, ...",
            "date": "date of the action, YYYY-MM-DD; null where the source gives none",
            "date_is_effective": "true when a withdrawal's date is the date it took effect",
            "origin": "reference (third-party data) or register (recorded by the depositary)",
            "source_url": "where the action is documented; null if not given",
        },
    },
    "notifications": {
        "description": "Depositary notifications issued (drafts are never published).",
        "columns": {
            "reference": "INSTRUMENT/NUMBER, stable",
            "instrument": "instrument id",
            "number": "number, consecutive per instrument",
            "state": "ISO 3166-1 alpha-3 code of the state that acted",
            "action": "the action notified",
            "date": "date of the action, YYYY-MM-DD",
            "issued_at": "when the notification was issued, ISO 8601 with time zone",
            "text_en": "the notification in English",
            "text_fr": "the notification in French",
        },
    },
    "statement_signatories": {
        "description": "The states that joined each joint statement, as the sources list them.",
        "columns": {
            "statement": "statement id",
            "state": "ISO 3166-1 alpha-3 code",
            "state_name": "short English name",
            "date": "date of the statement (not of each state's endorsement), YYYY-MM-DD",
            "source_url": "the best source naming this state; null where none has a URL",
            "unsure": "true when the source row is marked [UNSURE] or has no URL",
        },
    },
    "statistics": {
        "description": "Incoming requests for mutual legal assistance and extradition recorded "
        "at this node, counted per requesting state, requested state, kind, instrument and "
        "year of receipt, with the median days from receipt to decision and to execution. "
        "A count of 1 to 4 is shown as <5 and the rows below it are not published; totals "
        "are exact; where a <5 could be worked out from other rows, counts of 5 or more are "
        "hidden too and shown as x. Linear programming over all the tables checks that every "
        "<5 can still be anything from 1 to 4. Where no choice of x can ensure that (only "
        "with very few requests), the total alone is published. A median is given only over "
        "at least 5 requests. No name, reference or fact of any request.",
        "columns": {
            "table": "detail (every dimension), pair, kind, instrument, year or all (the "
            "dimensions that are null are added up)",
            "requesting_state": "ISO 3166-1 alpha-3 code; null when added up",
            "requested_state": "ISO 3166-1 alpha-3 code; null when added up",
            "kind": "mla, extradition, provisional_arrest, transfer_of_proceedings, "
            "transfer_of_sentenced_person or jit; null when added up",
            "instrument": "instrument id of the legal basis, or none when no legal basis is "
            "recorded; null when added up",
            "year": "year the request was received; null when added up",
            "requests": "the number of requests, or null when it is hidden",
            "requests_shown": "the number as shown: 12, <5 (1 to 4), or x (5 or more, hidden "
            "so that no <5 can be worked out)",
            "requests_low": "the least the number can be, as its mark states: the number, 1 "
            "for <5, 5 for x",
            "requests_high": "the most the number can be, as its mark states: the number, 4 "
            "for <5, null (no bound) for x",
            "median_days_to_decision": "median whole days from receipt to the first "
            "acceptance or refusal, over at least 5 requests; for a total, over the requests "
            "of the detailed cells that give their own median (small groups are left out); "
            "null otherwise",
            "median_days_to_execution": "median whole days from receipt to the first "
            "execution (in full or in part), under the same conditions; null otherwise",
        },
    },
    "obligation_outcomes": {
        "description": "Obligations to submit a case for prosecution after a refusal of "
        "extradition (aut dedere aut judicare), at every authority of this node: still open, "
        "or closed with an outcome. A count of 0 to 4 is shown as <5 (an outcome is about a "
        "person) unless there is no obligation at all. The total is exact (<5 if under 5); "
        "where it would give a <5 away, a count of 5 or more, or the total, is x.",
        "columns": {
            "outcome": "open, prosecuted, convicted, acquitted, not_prosecuted, discontinued, "
            "transferred, or all",
            "obligations": "the number of obligations, or null when it is hidden",
            "obligations_shown": "the number as shown: 12, <5 or x (5 or more, hidden so that "
            "no <5 can be worked out)",
            "obligations_low": "the least the number can be, as its mark states",
            "obligations_high": "the most the number can be, as its mark states: null (no "
            "bound) for x",
        },
    },
}


def schema_document() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "datasets": SCHEMA}


def envelope(name: str, rows: list[dict[str, Any]], generated_on: date) -> dict[str, Any]:
    """The JSON form: the rows with the schema's name, version and date."""
    columns = list(SCHEMA[name]["columns"])
    for row in rows:
        if list(row) != columns:
            raise ValueError(f"{name}: row columns {list(row)} differ from the schema {columns}")
    return {
        "dataset": name,
        "schema_version": SCHEMA_VERSION,
        "generated_on": generated_on.isoformat(),
        "columns": columns,
        "rows": rows,
    }


def to_json(name: str, rows: list[dict[str, Any]], generated_on: date) -> bytes:
    return (
        json.dumps(envelope(name, rows, generated_on), ensure_ascii=False, indent=1) + "\n"
    ).encode("utf-8")


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(name: str, rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SCHEMA[name]["columns"])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row.values()])
    return out.getvalue().encode("utf-8")


def atom_feed(notifications: list[dict[str, Any]], *, base_url: str, updated: datetime) -> bytes:
    """RFC 4287: feed id, title, updated, author, self link; each entry id, title, updated,
    link and content. Ids are URNs that never change with the host."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", "urn:judicare:portal:notifications")
    sub(feed, "title", "Depositary notifications")
    newest = max((n["issued_at"] for n in notifications if n["issued_at"]), default=None)
    sub(feed, "updated", newest or _rfc3339(updated))
    author = sub(feed, "author")
    sub(author, "name", "Depositary (Judicare)")
    sub(feed, "link", rel="self", href=f"{base_url}feeds/notifications.atom")
    sub(feed, "link", rel="alternate", href=f"{base_url}en/notifications.html")
    for n in notifications:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:judicare:notification:{n['instrument']}:{n['number']}")
        sub(entry, "title", f"{n['reference']}: {n['state']} {n['action']} {n['date']}")
        sub(entry, "updated", n["issued_at"])
        sub(entry, "published", n["issued_at"])
        sub(
            entry, "link", rel="alternate",
            href=f"{base_url}en/instruments/{n['instrument']}.html#n{n['number']}",
        )  # fmt: skip
        sub(entry, "content", n["text_en"], type="text")
        sub(entry, "summary", n["text_fr"], type="text", **{f"{{{XML}}}lang": "fr"})
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
