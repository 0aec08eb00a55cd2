"""`judicare demo --scale N`: N synthetic requests on top of the demo, to measure how the
register behaves with hundreds of thousands of them (bench/scale.py).

Everything is fictional and generated from a seed: persons' names are built from syllables
in twelve scripts (each with a Latin romanisation, as officers record them), towns and
authorities likewise. The distributions follow the demo's shapes: mostly incoming MLA
requests, every kind and status, one to four persons, measures, deadlines, documents, and
the audit entries each step would have made.

The rows are the rows the services write (the same columns, search text, folded names,
blocking keys of the person index, decisions with the demo's citations for the statuses
that need one, and a valid hash chain of audit entries), but written in bulk: PostgreSQL's
COPY, SQLite's executemany, one transaction per batch. It is meant for a database no one
else writes to at the same time (a benchmark's or a demo's): ids are taken from the tables'
current maximum. The audit chain is appended under the same lock as every append.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, text

from judicare.app import App
from judicare.audit.chain import GENESIS, entry_hash
from judicare.audit.service import _CHAIN_LOCK, AuditAction, record
from judicare.demo import CITE, OUTCOME_OF, PATHS, load_demo
from judicare.errors import Conflict
from judicare.legal_basis.rules import load_rulebook
from judicare.persons.fallback import record_grams
from judicare.persons.keys import blocking_keys
from judicare.persons.registers import scope_of
from judicare.requests.domain import DECISIONS, Measure
from judicare.requests.registration import REQUESTS_REGISTER, fold, script_of

# --- fictional names: syllables in each script, with their romanisation ------------------------

SYLLABLES: dict[str, list[tuple[str, str]]] = {
    "CYRILLIC": [("ка", "ka"), ("ре", "re"), ("ми", "mi"), ("ло", "lo"), ("ва", "va"),
                 ("ни", "ni"), ("ста", "sta"), ("бо", "bo"), ("да", "da"), ("ров", "rov"),
                 ("ше", "she"), ("зу", "zu"), ("тей", "tey"), ("нак", "nak")],
    "ARABIC": [("سا", "sa"), ("مي", "mi"), ("نو", "nu"), ("را", "ra"), ("دي", "di"),
               ("كا", "ka"), ("لي", "li"), ("ها", "ha"), ("بو", "bu"), ("فا", "fa")],
    "GREEK": [("κα", "ka"), ("λι", "li"), ("μο", "mo"), ("νε", "ne"), ("πα", "pa"),
              ("ρο", "ro"), ("στα", "sta"), ("θε", "the"), ("δη", "di"), ("ξα", "xa")],
    "GEORGIAN": [("გა", "ga"), ("ლი", "li"), ("მო", "mo"), ("ნა", "na"), ("რე", "re"),
                 ("თა", "ta"), ("ში", "shi"), ("ძე", "dze"), ("ვა", "va"), ("ქო", "ko")],
    "ARMENIAN": [("Ա", "A"), ("րա", "ra"), ("մի", "mi"), ("նե", "ne"), ("կա", "ka"),
                 ("լո", "lo"), ("սա", "sa"), ("վո", "vo"), ("տի", "ti"), ("յան", "yan")],
    "HEBREW": [("דו", "do"), ("רי", "ri"), ("מה", "ma"), ("לו", "lo"), ("נה", "na"),
               ("שי", "shi"), ("בה", "ba"), ("טל", "tal"), ("גי", "gi"), ("כה", "ka")],
    "DEVANAGARI": [("का", "ka"), ("मि", "mi"), ("रा", "ra"), ("नी", "ni"), ("लो", "lo"),
                   ("सु", "su"), ("दे", "de"), ("वा", "va"), ("पा", "pa"), ("ती", "ti")],
    "CJK": [("明", "Ming"), ("华", "Hua"), ("李", "Li"), ("文", "Wen"), ("静", "Jing"),
            ("海", "Hai"), ("林", "Lin"), ("云", "Yun"), ("德", "De"), ("安", "An")],
    "HANGUL": [("민", "min"), ("서", "seo"), ("준", "jun"), ("하", "ha"), ("지", "ji"),
               ("영", "yeong"), ("수", "su"), ("현", "hyeon"), ("도", "do"), ("은", "eun")],
    "THAI": [("สม", "som"), ("ชาย", "chai"), ("มา", "ma"), ("ลี", "li"), ("นา", "na"),
             ("ทอง", "thong"), ("ดี", "di"), ("พร", "phon"), ("วัน", "wan"), ("แก้ว", "kaeo")],
    "ETHIOPIC": [("አበ", "abe"), ("በ", "be"), ("ተ", "te"), ("ለ", "le"), ("መ", "me"),
                 ("ሰ", "se"), ("ካ", "ka"), ("ዳ", "da"), ("ገ", "ge"), ("ሩ", "ru")],
    "LATIN": [("Ma", "Ma"), ("ri", "ri"), ("Jo", "Jo"), ("van", "van"), ("El", "El"),
              ("ke", "ke"), ("Lu", "Lu"), ("do", "do"), ("Ã", "A"), ("ço", "co")],
}  # fmt: skip
# How often each script is a person's original (the rest: one each)
SCRIPT_WEIGHTS = {"CYRILLIC": 30, "ARABIC": 25, "LATIN": 15, "GEORGIAN": 4, "ARMENIAN": 4,
                  "GREEK": 3, "HEBREW": 3, "DEVANAGARI": 4, "CJK": 4, "HANGUL": 3, "THAI": 2,
                  "ETHIOPIC": 3}  # fmt: skip
STATES = ["UKR", "SYR", "IRQ", "RWA", "BIH", "SRB", "HRV", "COD", "SDN", "MMR", "KAZ",
          "GEO", "ARM", "AFG", "LBY", "YEM", "ETH", "DEU", "FRA", "NLD", "ESP", "ARG", "KHM",
          "LKA"]  # fmt: skip
TOWN_SYLLABLES = ["Vel", "mor", "ska", "dal", "ost", "rin", "ga", "bel", "tor", "ana", "lek"]

# Shapes of the register (fictional, chosen to look like a central authority's mix).
KINDS = {"mla": 70, "extradition": 15, "provisional_arrest": 5, "transfer_of_proceedings": 4,
         "transfer_of_sentenced_person": 3, "jit": 3}  # fmt: skip
FINAL_STATUS = {"received": 6, "registered": 6, "under_review": 10, "needs_information": 5,
                "accepted": 6, "in_execution": 15, "executed": 12, "partially_executed": 4,
                "closed": 24, "refused": 4, "postponed": 3, "withdrawn": 5}  # fmt: skip
# An authority without a reviewer and a supervisor of its own gets no decided request.
UNDECIDED = ["received", "registered", "under_review", "needs_information", "withdrawn"]
ROLES = {"witness": 40, "victim": 25, "suspect": 15, "accused": 8, "person_sought": 8,
         "expert": 4}  # fmt: skip
DOCUMENT_POOL = 32
BATCH = 2_000
# From this many requests on, PostgreSQL's secondary indexes are built after the load.
BULK_INDEXES = 50_000


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Identity:
    names: list[tuple[str, str, str, str]]  # (name, form, script, system)
    birth_date: str | None
    nationality: str
    keys: list[str] = field(default_factory=list)
    grams: list[str] = field(default_factory=list)


def _word(rng: random.Random, script: str, parts: int) -> tuple[str, str]:
    chosen = [rng.choice(SYLLABLES[script]) for _ in range(parts)]
    native = "".join(s for s, _ in chosen)
    latin = "".join(r for _, r in chosen)
    if script == "LATIN":
        native = native[:1].upper() + native[1:]
    return native, latin[:1].upper() + latin[1:].lower()


def make_identity(rng: random.Random) -> Identity:
    script = _pick(rng, SCRIPT_WEIGHTS)
    given, given_latin = _word(rng, script, rng.randint(1, 2))
    family, family_latin = _word(rng, script, rng.randint(2, 3))
    native = f"{given} {family}" if script not in ("CJK", "HANGUL") else f"{family}{given}"
    names = [(native, "original", script_of(native), "")]
    if script != "LATIN":
        latin = f"{given_latin} {family_latin}"
        names.append((latin, "romanisation", "LATIN", "synthetic"))
        if rng.random() < 0.25:  # a second spelling, as another state wrote it
            names.append((latin.replace("k", "c").replace("y", "i"), "romanisation", "LATIN",
                          "synthetic (other spelling)"))  # fmt: skip
    year = rng.randint(1940, 2005)
    birth = rng.choice([None, str(year), f"{year}-{rng.randint(1, 12):02d}",
                        f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])  # fmt: skip
    return Identity(names, birth, rng.choice(STATES))


# --- tables and their columns, in COPY order ----------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "requests": ("id", "reference", "authority_id", "case_id", "direction", "kind",
                 "requesting_state", "requested_state", "requesting_authority",
                 "requesting_reference", "requesting_central_authority",
                 "requested_central_authority", "urgency", "confidentiality", "crimes",
                 "facts_summary", "subject_and_nature", "legal_provisions", "purpose",
                 "procedure_wished", "search_text", "legal_basis_instrument",
                 "legal_basis_answer", "status", "received_on", "request_date",
                 "requested_execution_date", "created_by", "created_at", "updated_at",
                 "version", "next_due"),
    "request_measures": ("id", "request_id", "measure", "details"),
    "request_persons": ("id", "request_id", "role", "birth_date", "nationality",
                        "protected_status"),
    "person_names": ("id", "person_id", "name", "name_folded", "form", "script", "system"),
    "request_deadlines": ("id", "request_id", "kind", "due", "citation", "source_url", "note"),
    "documents": ("id", "request_id", "filename", "media_type", "size", "sha256",
                  "storage_key", "uploaded_by", "uploaded_at"),
    "decisions": ("id", "request_id", "outcome", "reasons", "citations", "conditions",
                  "consulted", "requires_approval", "status", "findings", "proposed_by",
                  "proposed_at", "approved_by", "approved_at", "approval_note"),
    "request_transitions": ("id", "request_id", "from_status", "to_status", "reasons",
                            "citations", "decision_id", "decided_by", "decided_at"),
    "person_entries": ("id", "register", "external_id", "names", "birth_date", "nationality",
                       "status", "country_of_feared_persecution", "status_date",
                       "authority_id", "updated_at"),
    "person_keys": ("id", "entry_id", "key", "scope"),
    "person_grams": ("id", "entry_id", "gram", "scope"),
    "audit_events": ("seq", "at", "actor", "action", "tag", "subject_type", "subject_id",
                     "why", "details", "prev_hash", "hash"),
}  # fmt: skip
JSON_COLUMNS = {"crimes", "legal_basis_answer", "citations", "findings", "names", "details"}


@dataclass
class People:
    """The demo users the synthetic requests are created and decided by."""

    officers: dict[str, tuple[int, str]]  # authority -> (user id, username)
    reviewer: tuple[int, str]
    supervisor: tuple[int, str]
    decider_authority: str


@dataclass
class Counters:
    ids: dict[str, int]
    seq: int
    head: str


@dataclass
class ScaleResult:
    requests: int
    persons: int
    documents: int
    audit_entries: int
    rows: dict[str, int]


class Generator:
    def __init__(self, rng: random.Random, people: People, today: date, now: datetime,
                 documents: list[tuple[str, int, str]], crimes: list[str]) -> None:  # fmt: skip
        self.rng = rng
        self.people = people
        self.today = today
        self.now = now
        self.documents = documents
        self.crimes = crimes
        self.identities: list[Identity] = []
        self.pool_size = 0
        self.references: set[str] = set()

    def identity(self) -> Identity:
        if len(self.identities) < self.pool_size:
            made = make_identity(self.rng)
            made.keys = sorted(blocking_keys(n for n, *_ in made.names))
            made.grams = record_grams(tuple(n for n, *_ in made.names))
            self.identities.append(made)
            return made
        return self.rng.choice(self.identities)

    def batch(self, count: int, counters: Counters, first: int, total: int) -> dict[str, list]:
        rows: dict[str, list] = {table: [] for table in COLUMNS}
        rng, ids = self.rng, counters.ids
        span_days = 8 * 365

        def next_id(table: str) -> int:
            ids[table] += 1
            return ids[table]

        def audit(at, actor, action, tag, subject, why, details) -> None:
            at = min(at, self.now)  # a step generated past today is recorded as done now
            counters.seq += 1
            content = {"seq": counters.seq, "at": at, "actor": actor, "action": action,
                       "tag": tag, "subject_type": "request", "subject_id": str(subject),
                       "why": why, "details": details, "prev_hash": counters.head}  # fmt: skip
            counters.head = entry_hash(**content)
            rows["audit_events"].append((*content.values(), counters.head))

        for number in range(first, first + count):
            authority = "BEL-CA" if rng.random() < 0.9 else "NLD-CA"
            own_state = authority[:3]
            final = _pick(rng, FINAL_STATUS)
            if authority != self.people.decider_authority and final not in UNDECIDED:
                final = rng.choice(UNDECIDED)
            kind = _pick(rng, KINDS)
            incoming = rng.random() < 0.65
            other = rng.choice([s for s in STATES if s != own_state])
            # Received dates spread over eight years, older requests first (audit order).
            offset = span_days - int(span_days * (number + rng.random()) / total)
            received = self.today - timedelta(days=max(offset, 1))
            created = datetime.combine(received, time(9), tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 480)
            )
            request_id = next_id("requests")
            year = received.year
            reference = f"{authority}/{year}/{(number * 2654435761 + 97) % 2**32:08X}"
            while reference in self.references:
                reference = f"{authority}/{year}/{rng.getrandbits(32):08X}"
            self.references.add(reference)
            town = "".join(rng.choice(TOWN_SYLLABLES) for _ in range(3)).capitalize()
            requesting = other if incoming else own_state
            requested = own_state if incoming else other
            authority_text = f"Synthetic Prosecutor's Office of {requesting} (fictional)"
            facts = (
                f"SYNTHETIC request {number + 1}: {kind.replace('_', ' ')} about events in the "
                f"fictional town of {town}; hearing of witnesses and records sought."
            )
            requesting_reference = f"SYN-{rng.randint(1, 99999):05d}/{year % 100:02d}"
            crimes = rng.sample(self.crimes, k=min(len(self.crimes), rng.randint(1, 2)))
            officer_id, officer_name = self.people.officers[authority]
            execution = (
                received + timedelta(days=rng.randint(20, 240)) if rng.random() < 0.7 else None
            )
            search = fold(" ".join([reference, requesting_reference, authority_text, facts]))
            steps = PATHS[final]
            at = created
            persons = rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
            direction = "incoming" if incoming else "outgoing"
            audit(at, officer_name, AuditAction.COLLECTION.value, "officer:request:create",
                  request_id, "synthetic scale data",
                  {"reference": reference, "persons": persons, "direction": direction})  # fmt: skip
            for _ in range(rng.randint(1, 3)):
                rows["request_measures"].append(
                    (next_id("request_measures"), request_id, rng.choice(list(Measure)).value, "")
                )
            if execution is not None:
                rows["request_deadlines"].append(
                    (next_id("request_deadlines"), request_id, "requested_execution", execution,
                     None, None, "the date by which the requesting authority asks for execution")
                )  # fmt: skip
            for _ in range(persons):
                who = self.identity()
                person_id = next_id("request_persons")
                role = _pick(rng, ROLES)
                protected = "refugee" if rng.random() < 0.03 else None
                rows["request_persons"].append(
                    (person_id, request_id, role, who.birth_date, who.nationality, protected)
                )
                for name, form, script, system in who.names:
                    rows["person_names"].append(
                        (next_id("person_names"), person_id, name, fold(name), form, script, system)
                    )
                entry_id = next_id("person_entries")
                rows["person_entries"].append(
                    (entry_id, REQUESTS_REGISTER, f"{reference}#{person_id}",
                     [n for n, *_ in who.names], who.birth_date, who.nationality, protected, None,
                     None, authority, created)
                )  # fmt: skip
                scope = scope_of(REQUESTS_REGISTER, authority)
                for key in who.keys:
                    rows["person_keys"].append((next_id("person_keys"), entry_id, key, scope))
                for gram in who.grams:
                    rows["person_grams"].append((next_id("person_grams"), entry_id, gram, scope))
            for index in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]):
                key, size, sha = rng.choice(self.documents)
                at += timedelta(minutes=rng.randint(5, 600))
                document_id = next_id("documents")
                rows["documents"].append(
                    (document_id, request_id, f"synthetic-{number + 1}-{index + 1}.pdf",
                     "application/pdf", size, sha, key, officer_id, at)
                )  # fmt: skip
                audit(at, officer_name, AuditAction.COLLECTION.value, "officer:document:upload",
                      request_id, "synthetic scale data",
                      {"document": document_id, "size": size})  # fmt: skip
            status = "received"
            for target, reasons, citations in steps:
                at += timedelta(hours=rng.randint(2, 24 * 20))
                decision_id = None
                reviewer_id, reviewer_name = self.people.reviewer
                supervisor_id, supervisor_name = self.people.supervisor
                if target in DECISIONS:
                    decision_id = next_id("decisions")
                    four_eyes = target == "refused"
                    rows["decisions"].append(
                        (decision_id, request_id, OUTCOME_OF[target], reasons, citations, "",
                         True, four_eyes, "effective", [], reviewer_id, at,
                         supervisor_id if four_eyes else None, at if four_eyes else None,
                         "synthetic: four-eyes approval" if four_eyes else "")
                    )  # fmt: skip
                    audit(at, reviewer_name, AuditAction.ALTERATION.value,
                          "legal_reviewer:decision:propose", request_id, "synthetic scale data",
                          {"decision": decision_id, "outcome": OUTCOME_OF[target]})  # fmt: skip
                    if four_eyes:
                        audit(at, supervisor_name, AuditAction.ALTERATION.value,
                              "supervisor:decision:approve", request_id, "synthetic scale data",
                              {"decision": decision_id})  # fmt: skip
                rows["request_transitions"].append(
                    (next_id("request_transitions"), request_id, status, target, reasons,
                     citations, decision_id, supervisor_id, at)
                )  # fmt: skip
                audit(at, supervisor_name, AuditAction.ALTERATION.value,
                      "supervisor:request:transition", request_id, "synthetic scale data",
                      {"from": status, "to": target})  # fmt: skip
                status = target
            for _ in range(rng.choices([0, 1, 2, 4], weights=[40, 30, 20, 10])[0]):
                at += timedelta(hours=rng.randint(1, 24 * 30))
                audit(at, officer_name, AuditAction.CONSULTATION.value, "officer:request:read",
                      request_id, "synthetic scale data: file review", {})  # fmt: skip
            updated = max(at, created)
            rows["requests"].append(
                (request_id, reference, authority, None, "incoming" if incoming else "outgoing",
                 kind, requesting, requested, authority_text, requesting_reference, "", "",
                 rng.choices(["normal", "urgent", "very_urgent"], weights=[80, 15, 5])[0],
                 rng.choices(["normal", "confidential", "secret"], weights=[70, 25, 5])[0],
                 crimes, facts, "", "", "", "", search, None, None, status, received,
                 received - timedelta(days=rng.randint(1, 30)), execution, officer_id, created,
                 updated, 1 + len(steps), execution)  # next_due: its only deadline
            )  # fmt: skip
        return rows


# --- writing ----------------------------------------------------------------------------------


def _write(connection: Connection, rows: dict[str, list]) -> None:
    postgres = connection.dialect.name == "postgresql"
    for table, columns in COLUMNS.items():
        values = rows[table]
        if not values:
            continue
        json_at = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
        if postgres:
            cursor = connection.connection.driver_connection.cursor()
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in values:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            if row[i] is not None:
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            prepared = [
                tuple(_sqlite_value(v, i in json_at) for i, v in enumerate(row)) for row in values
            ]
            connection.connection.driver_connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", prepared
            )


def _sqlite_value(value, is_json: bool):
    """A value as SQLAlchemy stores it in SQLite: JSON as text, a moment as naive UTC text,
    a date as ISO text."""
    if value is None:
        return None
    if is_json:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _partition_months(connection: Connection, rows: dict[str, list]) -> None:
    """On PostgreSQL, the monthly partitions of the audit trail (migration 0036) for every
    month the batch's entries fall in, made before the rows are copied: the synthetic trail
    reaches years back, and an entry of a month without a partition would land in the
    default partition, which then keeps that month for good."""
    if connection.dialect.name != "postgresql" or not rows["audit_events"]:
        return
    at = COLUMNS["audit_events"].index("at")
    months = {(row[at].year, row[at].month) for row in rows["audit_events"]}
    for year, month in sorted(months):
        connection.execute(
            text("SELECT judicare_audit_partition(:day)"), {"day": date(year, month, 1)}
        )


def _drop_secondary_indexes(app: App) -> list[str]:
    """Drop the non-unique indexes of the tables the generator fills (PostgreSQL) and return
    their definitions: a load of hundreds of thousands of requests builds them once at the
    end (a sort each) instead of keeping them row by row. The unique indexes stay."""
    with app.engine.begin() as connection:
        found = connection.execute(
            text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = current_schema() AND t.relname = ANY(:tables)"
                " AND NOT x.indisunique"
                " AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.oid)"
                " ORDER BY i.relname"
            ),
            {"tables": list(COLUMNS)},
        ).all()
        for name, _ in found:
            connection.execute(text(f'DROP INDEX "{name}"'))
    # An index of the partitioned trail reads "ON ONLY audit_events": made again on every
    # partition.
    return [definition.replace(" ON ONLY ", " ON ") for _, definition in found]


def _rebuild_indexes(app: App, definitions: list[str]) -> None:
    with app.engine.begin() as connection:
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for definition in definitions:
            connection.execute(text(definition))


def _people(connection: Connection) -> People:
    users = dict(
        connection.execute(
            text("SELECT username, id FROM users WHERE username IN "
                 "('anna.officer', 'pieter.officer', 'louis.reviewer', 'sofie.supervisor')")
        ).all()
    )  # fmt: skip
    return People(
        officers={"BEL-CA": (users["anna.officer"], "anna.officer"),
                  "NLD-CA": (users["pieter.officer"], "pieter.officer")},
        reviewer=(users["louis.reviewer"], "louis.reviewer"),
        supervisor=(users["sofie.supervisor"], "sofie.supervisor"),
        decider_authority="BEL-CA",
    )  # fmt: skip


def _expect_chain_head(connection: Connection, entries: list[tuple], made: int) -> None:
    """Before a batch is written (the chain's lock held, on PostgreSQL): the trail still ends
    with the entry the batch's first entry links to. The ids and the chain's head are carried
    from batch to batch; an entry written meanwhile by anyone else (an officer's search, a
    request registered) would otherwise share its sequence number with the batch's first
    and break the chain. The load stops there instead, with what it made before, whole."""
    if not entries:
        return
    seq, previous = COLUMNS["audit_events"].index("seq"), COLUMNS["audit_events"].index("prev_hash")
    head = connection.execute(
        text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
    ).first()
    last = (head[0], head[1]) if head else (0, GENESIS)
    if last != (entries[0][seq] - 1, entries[0][previous]):
        raise Conflict(
            f"the audit trail moved during the bulk load: its last entry is now number "
            f"{last[0]:,}, where the next synthetic batch links to number "
            f"{entries[0][seq] - 1:,} (something else wrote to this database). The load "
            f"stopped after {made:,} synthetic requests, which are kept and whole, and the "
            f"trail is unbroken; run `judicare demo --scale` again when nothing else is "
            f"writing to the database (no server, no import)."
        )


def _counters(connection: Connection) -> Counters:
    ids = {}
    for table, columns in COLUMNS.items():
        if columns[0] == "id":
            ids[table] = connection.execute(
                text(f"SELECT coalesce(max(id), 0) FROM {table}")
            ).scalar_one()
    head = connection.execute(
        text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
    ).first()
    return Counters(ids, head[0] if head else 0, head[1] if head else GENESIS)


def _document_pool(app: App) -> list[tuple[str, int, str]]:
    """A few fictional PDF files, stored once (the store is content-addressed)."""
    if app.file_store is None:
        return []
    pool = []
    for number in range(DOCUMENT_POOL):
        filler = hashlib.sha256(str(number).encode()).hexdigest().encode() * 20
        body = (b"%PDF-1.4\n% SYNTHETIC document " + str(number).encode()
                + b" for scale tests (fictional)\n" + filler + b"\n%%EOF\n")  # fmt: skip
        key, size, sha = app.file_store.put([body], len(body))
        pool.append((key, size, sha))
    return pool


def _count_requests(connection: Connection, rows: dict[str, list[tuple]]) -> None:
    """The batch's requests added to their authority's status counts, as the ORM keeps
    them (`judicare.requests.models.add_status_counts`)."""
    from judicare.requests.models import add_status_counts

    columns = COLUMNS["requests"]
    owner, status = columns.index("authority_id"), columns.index("status")
    add_status_counts(connection, Counter((row[owner], row[status]) for row in rows["requests"]))


def _count_postings(connection: Connection, rows: dict[str, list[tuple]]) -> None:
    """The batch's entries, blocking keys and trigrams added to their counts, as the
    persons' service keeps them (`judicare.persons.service.count_postings`)."""
    from judicare.persons.models import PersonGramCountRow, PersonKeyCountRow
    from judicare.persons.service import count_entries, count_postings

    columns = COLUMNS["person_entries"]
    register, owner = columns.index("register"), columns.index("authority_id")
    count_entries(
        connection, Counter(scope_of(row[register], row[owner]) for row in rows["person_entries"])
    )
    for table, counts in (("person_keys", PersonKeyCountRow), ("person_grams", PersonGramCountRow)):
        count_postings(
            connection,
            counts.__table__,
            Counter((scope, item) for _, _, item, scope in rows[table]),
        )


def generate(
    app: App,
    count: int,
    *,
    seed: int = 22,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> ScaleResult:
    """Add `count` synthetic requests (after the demo data, loaded first if absent); fewer
    when `stop` answers true between two batches (a benchmark's time limit: the requests
    made so far are kept, received over the older part of the eight years)."""
    if count < 1:
        raise ValueError("--scale must be at least 1")
    load_demo(app)
    rng = random.Random(seed)
    with app.engine.connect() as connection:
        people = _people(connection)
        existing = set(connection.execute(text("SELECT reference FROM requests")).scalars())
    generator = Generator(rng, people, app.clock.today(), app.now(), _document_pool(app),
                          sorted(load_rulebook().crimes))  # fmt: skip
    generator.references = existing
    generator.pool_size = max(50, min(count // 5, 20_000))
    totals = {table: 0 for table in COLUMNS}
    postgres = app.engine.dialect.name == "postgresql"

    def write(rows: dict[str, list]) -> None:
        with app.engine.begin() as connection:
            if postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
            _expect_chain_head(connection, rows["audit_events"], totals["requests"])
            _partition_months(connection, rows)
            _write(connection, rows)
            _count_requests(connection, rows)
            _count_postings(connection, rows)

    def written(rows: dict[str, list]) -> None:
        for table, values in rows.items():
            totals[table] += len(values)
        if progress:
            progress(len(rows["requests"]))

    with app.engine.connect() as connection:
        counters = _counters(connection)
    indexes = _drop_secondary_indexes(app) if postgres and count >= BULK_INDEXES else []
    # On PostgreSQL the next batch is made while the last one is copied (a writer thread;
    # the ids and the chain's head carried from batch to batch).
    pool = ThreadPoolExecutor(max_workers=1) if postgres else None
    try:
        pending: tuple[Future[None], dict[str, list]] | None = None
        done = 0
        while done < count and not (stop is not None and done and stop()):
            size = min(BATCH, count - done)
            rows = generator.batch(size, counters, done, count)
            done += size
            if pool is None:
                write(rows)
                written(rows)
                continue
            if pending is not None:
                pending[0].result()
                written(pending[1])
            pending = (pool.submit(write, rows), rows)
        if pending is not None:
            pending[0].result()
            written(pending[1])
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        if indexes:
            _rebuild_indexes(app, indexes)
        # (also after a load stopped short: the ids the services take next follow its rows)
        with app.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                for table, columns in COLUMNS.items():
                    if columns[0] == "id":
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        ))  # fmt: skip
                connection.execute(text("ANALYZE"))
    # One entry through the ordinary path: it links to the bulk entries and is signed.
    with app.unit_of_work() as uow:
        record(
            uow.session, actor="node:demo", action=AuditAction.COLLECTION,
            tag="node:demo:scale", subject_type="database", subject_id="synthetic",
            why="synthetic scale data loaded", at=app.now(),
            details={"requests": totals["requests"], "seed": seed,
                     "audit_entries": totals["audit_events"]},
        )  # fmt: skip
        uow.commit()
    return ScaleResult(
        requests=totals["requests"],
        persons=totals["request_persons"],
        documents=totals["documents"],
        audit_entries=totals["audit_events"],
        rows=totals,
    )


def pad_audit(app: App, entries: int, *, seed: int = 22) -> int:
    """Append `entries` consultation entries (an officer reading a request's file) to the
    audit trail, on requests of the register chosen at random, in the chain like every other
    entry: a benchmark's way to a trail of 1,000,000 entries without more requests. The
    moments run from the last entry's up to now. Returns the number appended."""
    if entries < 1:
        return 0
    rng = random.Random(seed)
    now = app.now()
    with app.engine.connect() as connection:
        people = _people(connection)
        requests = [
            tuple(r) for r in connection.execute(text("SELECT id, authority_id FROM requests"))
        ]
        last = connection.execute(text("SELECT max(at) FROM audit_events")).scalar_one()
    if not requests:
        raise ValueError("no requests to read: add some first (--scale)")
    start = _aware(last) if last is not None else now - timedelta(days=30)
    step = max((now - start) / (entries + 1), timedelta(microseconds=1))
    done = 0
    while done < entries:
        size = min(BATCH * 8, entries - done)
        with app.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
            counters = _counters(connection)
            rows: dict[str, list] = {table: [] for table in COLUMNS}
            for number in range(done, done + size):
                request_id, authority = rng.choice(requests)
                actor = people.officers.get(authority, people.officers["BEL-CA"])[1]
                counters.seq += 1
                content = {"seq": counters.seq, "at": min(now, start + step * (number + 1)),
                           "actor": actor, "action": AuditAction.CONSULTATION.value,
                           "tag": "officer:request:read", "subject_type": "request",
                           "subject_id": str(request_id),
                           "why": "synthetic scale data: file review", "details": {},
                           "prev_hash": counters.head}  # fmt: skip
                counters.head = entry_hash(**content)
                rows["audit_events"].append((*content.values(), counters.head))
            _partition_months(connection, rows)
            _write(connection, rows)
        done += size
    with app.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE audit_events"))
    return done


def _aware(moment) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite gives it back naive, or as text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["CITE", "generate", "make_identity", "pad_audit"]
