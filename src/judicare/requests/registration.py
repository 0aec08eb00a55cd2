"""Registering a request: idempotent create, the bulk insert of its rows, the search text
and the person index. Services never commit: the caller's unit of work does."""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
import uuid
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import JSON, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.errors import Conflict, InvalidInput, UnstorableText
from judicare.legal_basis.rules import load_rulebook
from judicare.legal_basis.service import LegalBasisService, parse_query
from judicare.requests.access import audit_verb as _audit
from judicare.requests.dates import check_dates
from judicare.requests.domain import (
    Deadline,
    RequestStatus,
    time_limits_from_instrument,
)
from judicare.requests.models import (
    CaseRow,
    DeadlineRow,
    IdempotencyRow,
    IdentityDocumentRow,
    MeasureRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
    pending_status_counts,
)
from judicare.requests.read_models import request_detail
from judicare.requests.schemas import RequestCreate
from judicare.states import resolve_state
from judicare.treaties.catalogue import get_instrument


class Registered(NamedTuple):
    """A request registered (or, for a retried Idempotency-Key, the first answer again)."""

    id: int
    detail: dict
    replayed: bool


def fingerprint(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- registering ---------------------------------------------------------------------------


def create_request(
    session: Session,
    principal: Principal,
    data: RequestCreate,
    *,
    now: datetime,
    basis: LegalBasisService | None,
    why: str,
    idempotency_key: str | None = None,
    sent_by_peer: bool = False,
) -> Registered:
    """Register a request. With an idempotency key, a retry of the same create returns the
    first answer (`replayed`) instead of a second request.

    What an officer types is checked (`dates.check_dates`, the basis among those resolved);
    a request another node sent (`sent_by_peer`) is registered as it came: its execution
    date may have passed on the way, and the basis it invokes is the sender's choice."""
    authorize(principal, Permission.REQUEST_CREATE)
    print_ = fingerprint(data.model_dump(mode="json"))
    if idempotency_key is not None:
        earlier = _idempotent_answer(session, principal, idempotency_key, print_)
        if earlier is not None:
            return Registered(earlier["id"], earlier, replayed=True)
    row = _new_request_row(session, principal, data, now, basis, checked=not sent_by_peer)
    _insert_request(session, row)
    _index_persons(session, row, now)
    _audit(
        session,
        principal,
        row.id,
        AuditAction.COLLECTION,
        "create",
        why=why,
        now=now,
        details={
            "reference": row.reference,
            "persons": len(row.persons),
            "direction": row.direction,
        },
    )
    _find_competing(session, principal, row, now, why, "exchange" if sent_by_peer else "create")
    body = request_detail(row, [], [], [])
    if idempotency_key is not None:
        _remember_answer(session, principal, idempotency_key, print_, body, now)
    return Registered(row.id, body, replayed=False)


def _find_competing(session, principal, row: RequestRow, now: datetime, why: str, by: str):
    """The person engine looks for competing requests now, at registration, and stores what
    it finds (judicare.competing.detection), in the same transaction as the request.

    A request is found competing by a sought person or by a document. A request being
    registered has no document yet (documents added later in the same transaction run their
    own detection, now and after the commit: `requests.documents.add_document`, the
    exchange's attachments), so one naming no sought person cannot compete: the detection,
    and its second pass after the commit, are skipped."""
    from judicare.competing.detection import detect, may_compete_by_person

    if may_compete_by_person(row):
        detect(session, principal, row, now=now, why=why, found_by=by)


def _remember_answer(session, principal, key, print_, body, now: datetime) -> None:
    """Keep the answer under its idempotency key, in the same transaction as the request. A
    concurrent create with the same key waits on this row's unique index until one of the
    two commits; the other then fails and rolls back whole, so one request is registered."""
    try:
        session.connection().execute(  # Core on the connection: no ORM execution path
            insert(IdempotencyRow.__table__),
            {
                "user_id": principal.user_id,
                "key": key,
                "fingerprint": print_,
                "status_code": 201,  # a column from before: a create always answers 201
                "body": body,
                "created_at": now,
            },
        )
    except IntegrityError:
        raise Conflict(
            "the same Idempotency-Key is being used by a concurrent request: retry"
        ) from None


def _insert_request(session: Session, row: RequestRow) -> None:
    """Insert a new request and its parts, instead of through the ORM's unit of work:
    registering is the hot path, and the rows are only written, then answered from these
    objects (which get their ids and defaults as a flush would give them). On PostgreSQL in
    one statement (`_insert_in_one_statement`), elsewhere one Core statement per table."""
    row.version = 1  # the first version (RequestRow's version_id_col)
    row.next_due = min((d.due for d in row.deadlines), default=None)  # the list's sort key
    if session.connection().dialect.name == "postgresql":
        _insert_in_one_statement(session, row)
    else:
        _insert_per_table(session, row)
    # counted as a flush would count it (`models.pending_status_counts`, written at commit)
    pending_status_counts(session)[(row.authority_id, row.status)] += 1


def _insert_per_table(session: Session, row: RequestRow) -> None:
    """One statement per table (each batch in one round trip)."""
    row.id = _insert(session, [row], returning=True)[0]
    for part in (*row.measures, *row.deadlines, *row.persons):
        part.request_id = row.id
    _insert(session, row.measures)
    _insert(session, row.deadlines)
    for person, person_id in zip(row.persons, _insert(session, row.persons, True), strict=True):
        person.id = person_id
        for part in (*person.names, *person.documents):
            part.person_id = person_id
    _insert(session, [n for p in row.persons for n in p.names])
    _insert(session, [d for p in row.persons for d in p.documents])


def _insert_in_one_statement(session: Session, row: RequestRow) -> None:
    """PostgreSQL: the request, its measures, deadlines, persons and their names and
    documents in one statement (`_one_statement`), one round trip and one plan instead of
    five of each; it answers the request's id and its persons' ids in order. Each table's
    rows go as one JSON array that PostgreSQL reads into the table's own row type
    (`json_populate_recordset`), so every value takes its column's type as a bound one
    would. The JSON columns of the request are bound apart, serialised as SQLAlchemy
    serialises them (a None is JSON null, as there). The persons' ids are drawn from their
    sequence in order first, so that names and documents can name theirs. The statement's
    text is made once from the tables' columns. The check of `db.engine._refuse_nul`
    (which reads only compiled statements) is made here: no text with a NUL is sent."""
    from psycopg.types.json import Json

    sql, request_columns, json_columns = _one_statement()
    persons = row.persons
    request_values = _column_values(row)
    parts = {
        "measures": [_column_values(m) for m in row.measures],
        "deadlines": [_column_values(d) for d in row.deadlines],
        "persons": [_column_values(p) for p in persons],
        # each name and document names its person by its place (1, 2...) until the ids
        "names": [{**_column_values(n), "person_id": i} for i, p in enumerate(persons, 1)
                  for n in p.names],
        "documents": [{**_column_values(d), "person_id": i} for i, p in enumerate(persons, 1)
                      for d in p.documents],
    }  # fmt: skip
    for values in (request_values, *(v for rows in parts.values() for v in rows)):
        _refuse_nul(values)
    parameters = {
        "request": _json({k: request_values[k] for k in request_columns}),
        "person_count": len(persons),
        **{name: _json(rows) for name, rows in parts.items()},
        **{f"json_{key}": Json(request_values[key]) for key in json_columns},
    }
    request_id, person_ids = session.connection().exec_driver_sql(sql, parameters).one()
    row.id = request_id
    for part in (*row.measures, *row.deadlines, *persons):
        part.request_id = request_id
    for person, person_id in zip(persons, person_ids, strict=True):
        person.id = person_id
        for part in (*person.names, *person.documents):
            part.person_id = person_id


def _refuse_nul(values: dict) -> None:
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            raise UnstorableText(
                f"{name} contains a NUL character (\\u0000), which cannot be stored: remove it"
            )


def _json(value) -> str:
    """Text other than ASCII goes as it is, not as \\u escapes (which PostgreSQL reads only
    in a database encoded in UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_scalar)


def _json_scalar(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


@functools.cache
def _one_statement() -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The text of `_insert_in_one_statement`'s statement, the request's columns read from
    its JSON document and those bound apart (JSON columns)."""

    def columns(model, *skip: str) -> list[str]:
        return [c.key for c in model.__table__.columns if not c.primary_key and c.key not in skip]

    def listed(names: list[str], prefix: str = "") -> str:
        return ", ".join(f"{prefix}{name}" for name in names)

    request_all = columns(RequestRow)
    json_columns = tuple(
        c.key
        for c in RequestRow.__table__.columns
        if isinstance(c.type, JSON) and not c.primary_key
    )
    from_document = tuple(c for c in request_all if c not in json_columns)
    request_select = ", ".join(
        f"%(json_{c})s::json" if c in json_columns else f"x.{c}" for c in request_all
    )
    measure, deadline = columns(MeasureRow, "request_id"), columns(DeadlineRow, "request_id")
    person = columns(RequestPersonRow, "request_id")
    name, document = columns(PersonNameRow, "person_id"), columns(IdentityDocumentRow, "person_id")
    sql = f"""
WITH request AS (
    INSERT INTO requests ({listed(request_all)})
    SELECT {request_select} FROM json_populate_record(NULL::requests, %(request)s::json) AS x
    RETURNING id
), person_ids AS (
    SELECT n AS place, nextval(pg_get_serial_sequence('request_persons', 'id')) AS id
    FROM generate_series(1, %(person_count)s::int) AS n
), measures AS (
    INSERT INTO request_measures (request_id, {listed(measure)})
    SELECT request.id, {listed(measure, "x.")} FROM request
    CROSS JOIN json_populate_recordset(NULL::request_measures, %(measures)s::json) AS x
), deadlines AS (
    INSERT INTO request_deadlines (request_id, {listed(deadline)})
    SELECT request.id, {listed(deadline, "x.")} FROM request
    CROSS JOIN json_populate_recordset(NULL::request_deadlines, %(deadlines)s::json) AS x
), persons AS (
    INSERT INTO request_persons (id, request_id, {listed(person)})
    SELECT person_ids.id, request.id, {listed(person, "x.")} FROM request
    CROSS JOIN json_populate_recordset(NULL::request_persons, %(persons)s::json)
        WITH ORDINALITY AS x
    JOIN person_ids ON person_ids.place = x.ordinality
), names AS (
    INSERT INTO person_names (person_id, {listed(name)})
    SELECT person_ids.id, {listed(name, "x.")}
    FROM json_populate_recordset(NULL::person_names, %(names)s::json) AS x
    JOIN person_ids ON person_ids.place = x.person_id
), documents AS (
    INSERT INTO identity_documents (person_id, {listed(document)})
    SELECT person_ids.id, {listed(document, "x.")}
    FROM json_populate_recordset(NULL::identity_documents, %(documents)s::json) AS x
    JOIN person_ids ON person_ids.place = x.person_id
)
SELECT request.id, ARRAY(SELECT id FROM person_ids ORDER BY place) FROM request
"""
    return sql, from_document, json_columns


def _insert(session: Session, rows: list, returning: bool = False) -> list[int]:
    """INSERT rows of one mapped class; their generated ids in order when `returning`."""
    if not rows:
        return []
    table = type(rows[0]).__table__
    values = [_column_values(row) for row in rows]
    if not returning:
        session.connection().execute(insert(table), values)
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, values).scalars())


def _column_values(row) -> dict:
    """A row's column values, with the column defaults a flush would fill in set on it."""
    values = {}
    for column in row.__table__.columns:
        if column.primary_key:
            continue
        value = getattr(row, column.key)
        if value is None and column.default is not None:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
            setattr(row, column.key, value)
        values[column.key] = value
    return values


REQUESTS_REGISTER = "requests"


def _index_persons(session: Session, row: RequestRow, now: datetime) -> None:
    """Persons named in requests go into the screening index (register "requests"), so that
    a later request of the same authority about the same person finds this one (the entries
    are the request's authority's: judicare.persons.registers).

    The entry's status is the person's protected status as the request gives it (refugee
    and the like), None when it gives none: the engine screens and keeps any entry with a
    status as a protected person (`persons.service.point_of`, `_protected_sharing`). The
    person's role (witness, suspect...) is not a status: it is read from the request's
    person (`persons.service.request_person_roles`)."""
    from judicare.persons.domain import PartialDate, PersonRecord
    from judicare.persons.service import index_new_persons

    index_new_persons(
        session,
        [
            PersonRecord(
                register=REQUESTS_REGISTER, id=f"{row.reference}#{person.id}",
                names=tuple(n.name for n in person.names),
                birth_date=PartialDate.parse(person.birth_date) if person.birth_date else None,
                nationality=person.nationality, status=person.protected_status,
            )
            for person in row.persons
        ],
        authority_id=row.authority_id,
        now=now,
    )  # fmt: skip


def _idempotent_answer(session, principal, key, print_) -> dict | None:
    row = (
        session.connection()
        .execute(
            select(IdempotencyRow.fingerprint, IdempotencyRow.body).where(
                IdempotencyRow.user_id == principal.user_id, IdempotencyRow.key == key
            )
        )
        .first()
    )
    if row is None:
        return None
    if row.fingerprint != print_:
        raise Conflict(
            "this Idempotency-Key was already used with a different request body: "
            "use a new key for a new request"
        )
    return row.body


def _new_request_row(
    session, principal, data: RequestCreate, now, basis, checked: bool = True
) -> RequestRow:
    if checked:
        check_dates(
            received_on=data.received_on,
            request_date=data.request_date,
            requested_execution_date=data.requested_execution_date,
            today=now.date(),
            warrant_issued_on=data.extradition.warrant_issued_on if data.extradition else None,
        )
    requesting = resolve_state(data.requesting_state).alpha3
    requested = resolve_state(data.requested_state).alpha3
    crimes = _crimes(data.crimes)
    instrument_id = (
        get_instrument(data.legal_basis_instrument).id if data.legal_basis_instrument else None
    )
    answer = None
    if basis is not None:
        query = parse_query(requesting, requested, data.kind.value, data.received_on, crimes)
        answer = basis.resolve(query).as_dict()
        if instrument_id is not None and checked:
            check_basis_choice(instrument_id, answer)
    row = RequestRow(
        reference=f"{principal.authority_id}/{data.received_on.year}/{uuid.uuid4().hex[:8].upper()}",
        authority_id=principal.authority_id,
        case_id=_case_id(session, principal, data.case_reference),
        direction=data.direction.value,
        kind=data.kind.value,
        requesting_state=requesting,
        requested_state=requested,
        requesting_authority=data.requesting_authority,
        requesting_reference=data.requesting_reference,
        requesting_central_authority=data.requesting_central_authority,
        requested_central_authority=data.requested_central_authority,
        urgency=data.urgency.value,
        confidentiality=data.confidentiality.value,
        crimes=list(crimes),
        facts_summary=data.facts_summary,
        subject_and_nature=data.subject_and_nature,
        legal_provisions=data.legal_provisions,
        purpose=data.purpose,
        procedure_wished=data.procedure_wished,
        person_to_serve=data.person_to_serve,
        legal_basis_instrument=instrument_id,
        legal_basis_answer=answer,
        extradition=data.extradition.model_dump(mode="json") if data.extradition else None,
        status=RequestStatus.RECEIVED.value,
        received_on=data.received_on,
        request_date=data.request_date,
        requested_execution_date=data.requested_execution_date,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    row.search_text = search_text(row)
    row.measures = [MeasureRow(measure=m.measure.value, details=m.details) for m in data.measures]
    row.persons = [_person_row(p) for p in data.persons]
    row.deadlines = [_deadline_row(d) for d in _deadlines(data, instrument_id)]
    return row


def resolved_bases(answer: dict | None) -> list[str]:
    """The instruments the resolver gave as possible legal bases, best first."""
    return [b["instrument"] for b in (answer or {}).get("bases") or []]


def check_basis_choice(instrument_id: str, answer: dict | None) -> None:
    """The basis chosen must be one the resolver gave for this request (when it gave any)."""
    choices = resolved_bases(answer)
    if answer is not None and instrument_id not in choices:
        offered = ", ".join(choices) if choices else "none (no treaty applies)"
        raise InvalidInput(
            f"{instrument_id} is not a legal basis resolved for this request: choose one of "
            f"{offered}"
        )


def _crimes(codes: list[str]) -> tuple[str, ...]:
    known = load_rulebook().crimes
    for code in codes:
        if code not in known:
            raise InvalidInput(f"unknown crime {code!r}: use one of {', '.join(known)}")
    return tuple(dict.fromkeys(codes))


def _case_id(session, principal: Principal, reference: str | None) -> int | None:
    if not reference:
        return None
    case = session.scalar(
        select(CaseRow).where(
            CaseRow.authority_id == principal.authority_id, CaseRow.reference == reference
        )
    )
    if case is None:
        case = CaseRow(authority_id=principal.authority_id, reference=reference)
        session.add(case)
        session.flush()
    return case.id


def _person_row(person) -> RequestPersonRow:
    row = RequestPersonRow(
        role=person.role.value,
        birth_date=person.birth_date,
        nationality=resolve_state(person.nationality).alpha3 if person.nationality else None,
        protected_status=person.protected_status,
    )
    row.names = [
        PersonNameRow(
            name=n.name,
            name_folded=fold(n.name),
            form=n.form,
            script=script_of(n.name),
            system=n.system,
        )
        for n in person.names
    ]
    row.documents = [
        IdentityDocumentRow(
            kind=d.kind,
            number=d.number,
            issuing_state=resolve_state(d.issuing_state).alpha3 if d.issuing_state else None,
        )
        for d in person.identity_documents
    ]
    return row


def fold(text: str) -> str:
    """Case- and compatibility-folded text for searching, in any script."""
    return unicodedata.normalize("NFKC", text).casefold()


def search_text(row: RequestRow) -> str:
    return fold(
        " ".join(
            [
                row.reference or "",
                row.requesting_reference or "",
                row.requesting_authority or "",
                row.facts_summary or "",
            ]
        )
    )


def script_of(text: str) -> str:
    """The Unicode script of the first letter (e.g. CYRILLIC, ARABIC, LATIN)."""
    for char in text:
        if char.isalpha():
            return unicodedata.name(char, "UNKNOWN").split(" ")[0]
    return ""


def _deadlines(data: RequestCreate, instrument_id: str | None) -> list[Deadline]:
    found = []
    if data.requested_execution_date:
        found.append(
            Deadline(
                "requested_execution",
                data.requested_execution_date,
                None,
                None,
                "the date by which the requesting authority asks for execution",
            )
        )
    if instrument_id:
        limits = list(get_instrument(instrument_id).raw.get("time_limits") or [])
        found += time_limits_from_instrument(limits, data.kind.value, data.received_on)
    return found


def _deadline_row(deadline: Deadline) -> DeadlineRow:
    return DeadlineRow(
        kind=deadline.kind,
        due=deadline.due,
        citation=deadline.citation,
        source_url=deadline.source_url,
        note=deadline.note,
    )
