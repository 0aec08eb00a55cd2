"""Use cases of person screening on the database: import a register, index persons as they
are registered, find candidates, and remember a person's decision on a candidate.

Names never leave the process: everything here runs in-process on the local database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    Table,
    any_,
    bindparam,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Principal
from judicare.collector import freeze_kept
from judicare.db.base import as_utc
from judicare.errors import Conflict, ImportRejected, InvalidInput, JudicareError
from judicare.persons.bound import cannot_reach
from judicare.persons.domain import Candidate, PartialDate, PersonQuery, PersonRecord
from judicare.persons.fallback import (
    FALLBACK_RATIO,
    FALLBACK_WEIGHT,
    FOUND_BY_NGRAMS,
    best_whole_name_ratio,
    fallback_ratios,
    gram_scores,
    gram_walk,
    grams_of,
    query_forms,
    record_forms,
    record_grams,
    top_by_grams,
    with_fallback,
)
from judicare.persons.index import (
    FALLBACK_POOL,
    FULL_READ,
    MAX_KEY_SHARE,
    NGRAM_BUDGET,
    NGRAM_TOP,
    POSTING_BUDGET,
    SHORTLIST,
    key_walk,
    most_evidence,
    walk_evidence,
)
from judicare.persons.keys import blocking_keys
from judicare.persons.models import (
    AdjudicationRow,
    PersonEntryRow,
    PersonGramCountRow,
    PersonGramRow,
    PersonKeyCountRow,
    PersonKeyRow,
    PersonProtectedKeyRow,
    PersonScopeCountRow,
)
from judicare.persons.registers import (
    AUTHORITY_OWNED,
    EVERY_AUTHORITY,
    authorize_import,
    policy_of,
    scope_column,
    scope_of,
    scopes_visible_to,
    visible_to,
)
from judicare.persons.scoring import (
    DEFAULT_THRESHOLD,
    IDENTIFICATION,
    SAFEGUARD,
    OperatingPoint,
    evidence_effect,
    parse_names,
    quick_score,
    score_pair,
)
from judicare.states import resolve_state

IMPORT_COLUMNS = (
    "id",
    "names",
    "birth_date",
    "nationality",
    "status",
    "country_of_feared_persecution",
    "status_date",
)
# Entries with a protected status scored per query beyond the shortlist, at most: however
# many other entries share the name, these are always scored and, above the threshold, shown.
PROTECTED_SHORTLIST = 200
DECISIONS = ("confirmed", "rejected")


@dataclass(frozen=True, slots=True)
class OnRequest:
    """The request (and its authority) on which candidates are screened or decided."""

    authority_id: str | None
    request_id: int | None


# --- import ----------------------------------------------------------------------------------


def parse_register_csv(
    text: str,
    register: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    every: int = 250,
) -> list[PersonRecord]:
    """Every row checked; all problems named by row, or the records. `progress(done,
    total)` hears how far the check has got, every `every` rows and at the end."""
    if not register.strip():
        raise InvalidInput("give the register a name with --register")
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    if header != IMPORT_COLUMNS:
        raise ImportRejected([f"header {list(header)} must be exactly {','.join(IMPORT_COLUMNS)}"])
    rows = list(reader)
    if progress is not None and rows:
        progress(0, len(rows))
    records, problems, seen = [], [], set()
    for number, row in enumerate(rows, start=2):
        if progress is not None and number > 2 and (number - 2) % every == 0:
            progress(number - 2, len(rows))
        try:
            if None in row:
                raise InvalidInput("more cells than the header has columns")
            records.append(
                _record(register.strip(), {k: (v or "").strip() for k, v in row.items()}, seen)
            )
        except (JudicareError, ValueError) as exc:
            problems.append(f"row {number}: {getattr(exc, 'message', None) or exc}")
    if progress is not None and rows:
        progress(len(rows), len(rows))
    if problems:
        raise ImportRejected(problems)
    if not records:
        raise ImportRejected(["the file has a header but no rows"])
    return records


def _record(register: str, row: dict, seen: set) -> PersonRecord:
    external_id = row["id"]
    if not external_id:
        raise InvalidInput("empty id")
    if external_id in seen:
        raise InvalidInput(f"id {external_id!r} appears twice in the file")
    seen.add(external_id)
    names = tuple(n.strip() for n in row["names"].split("|") if n.strip())
    if not names:
        raise InvalidInput("no name: give at least one, several separated by |")
    return PersonRecord(
        register=register,
        id=external_id,
        names=names,
        birth_date=PartialDate.parse(row["birth_date"]) if row["birth_date"] else None,
        nationality=_state(row["nationality"], "nationality"),
        status=row["status"] or None,
        country_of_feared_persecution=_state(
            row["country_of_feared_persecution"], "country_of_feared_persecution"
        ),
        status_date=_date(row["status_date"]),
    )


def _state(code: str, column: str) -> str | None:
    if not code:
        return None
    try:
        return resolve_state(code).alpha3
    except JudicareError as exc:
        raise InvalidInput(f"{column}: {exc.message}") from None


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"status_date {text!r} is not a date (YYYY-MM-DD)") from None


# Imports coordinated across every server and command on one PostgreSQL database (issue 22):
# transaction-level advisory locks, released at commit, rollback or a lost connection.
# (SQLite: one writer at a time already; a second import waits for the first.)
IMPORT_LOCK_SPACE = 22_001  # (this, hashtext(register)): one import of a register at a time
IMPORT_SLOT_SPACE = 22_002  # (this, slot): at most IMPORT_SLOTS imports at once on the node
IMPORT_SLOTS = 2


def _import_slot(session: Session, register: str) -> None:
    """Take the register's import lock and one of the node's import slots, or refuse at
    once (the other import may take minutes: better to say so than to wait)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    taken = session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:register))"),
        {"space": IMPORT_LOCK_SPACE, "register": register},
    )
    if not taken:
        raise Conflict(
            f"register {register!r} is being imported already (on this or another server): "
            "try again when that import ends"
        )
    for slot in range(IMPORT_SLOTS):
        if session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :slot)"),
            {"space": IMPORT_SLOT_SPACE, "slot": slot},
        ):
            return
    raise Conflict(
        f"{IMPORT_SLOTS} register imports are running on this node's servers: try again "
        "when one ends"
    )


def import_register(
    session: Session,
    records: list[PersonRecord],
    *,
    principal: Principal,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Add or update every record (and its keys) in the caller's transaction. Only a
    register of the node is imported, by its administrator (judicare.persons.registers)."""
    for register in sorted({person.register for person in records}):
        authorize_import(principal, register)
    if records:
        _import_slot(session, records[0].register)
    actor = principal.username
    added = updated = 0
    for number, person in enumerate(records, start=1):
        was_new = index_person(session, person, now=now)
        added += was_new
        updated += not was_new
        if progress and number % 500 == 0:
            progress(number)
    register = records[0].register
    record(
        session,
        actor=actor,
        action=AuditAction.COLLECTION,
        tag=f"{actor}:register:import",
        subject_type="register",
        subject_id=register,
        why="import of a register",
        at=now,
        details={"added": added, "updated": updated},
    )
    return {"register": register, "added": added, "updated": updated}


def index_person(session: Session, person: PersonRecord, *, now: datetime) -> bool:
    """Store one person with its blocking keys; True when new, False when updated."""
    entry = session.scalar(
        select(PersonEntryRow).where(
            PersonEntryRow.register == person.register, PersonEntryRow.external_id == person.id
        )
    )
    new = entry is None
    if new:
        entry = PersonEntryRow(register=person.register, external_id=person.id)
        session.add(entry)
    entry.names = list(person.names)
    entry.birth_date = str(person.birth_date) if person.birth_date else None
    entry.nationality = person.nationality
    entry.status = person.status
    entry.country_of_feared_persecution = person.country_of_feared_persecution
    entry.status_date = person.status_date
    entry.updated_at = now
    session.flush()
    scope = scope_of(entry.register, entry.authority_id)
    had_keys: list[str] = []
    had_grams: list[str] = []
    if not new:
        had_keys = _unpost(session, PersonKeyRow.__table__, "key", entry.id)
        had_grams = _unpost(session, PersonGramRow.__table__, "gram", entry.id)
    keys = sorted(blocking_keys(person.names))
    if keys:
        session.execute(
            insert(PersonKeyRow),
            [{"entry_id": entry.id, "key": k, "scope": scope} for k in keys],
        )
    grams = record_grams(person.names)
    if grams:
        session.execute(
            insert(PersonGramRow),
            [{"entry_id": entry.id, "gram": g, "scope": scope} for g in grams],
        )
    pending = _pending_counts(session)
    pending[PersonKeyCountRow.__tablename__].update(_deltas(scope, keys, had_keys))
    pending[PersonGramCountRow.__tablename__].update(_deltas(scope, grams, had_grams))
    if new:
        pending[PersonScopeCountRow.__tablename__].update({scope: 1})
    return new


# The counts change with the postings, in the same transaction, but are written only when
# it commits (`_write_pending_counts`, a `before_commit` hook): every registration of an
# authority adds to its scope's count and most share common trigrams, so writing them at
# once would lock those rows for the rest of the transaction and serialise every filing
# of persons behind the slowest (two filings waiting for each other before their commits
# would never end). Until then the session reads the counts with its own pending changes
# added (`_frequencies`, `_entries`), so what it finds is what it would find after commit.
_PENDING = "judicare.person_counts"


def _pending_counts(session: Session) -> dict[str, Counter]:
    """This transaction's changes to the counts, not yet written: per counts table, a
    Counter of (scope, key or gram), or of scope for the entries."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {
            PersonKeyCountRow.__tablename__: Counter(),
            PersonGramCountRow.__tablename__: Counter(),
            PersonScopeCountRow.__tablename__: Counter(),
        }
    return pending


@event.listens_for(Session, "before_commit")
def _write_pending_counts(session: Session) -> None:
    """Write the transaction's count changes just before it commits (see `_PENDING`)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if _counts_with_commit(session, pending):
        return
    count_postings(session, PersonKeyCountRow.__table__, pending[PersonKeyCountRow.__tablename__])
    count_postings(session, PersonGramCountRow.__table__, pending[PersonGramCountRow.__tablename__])
    count_entries(session, pending[PersonScopeCountRow.__tablename__])


# The three counts in one statement, sent with the COMMIT (PostgreSQL, only additions).
_COUNTS_SQL = """
WITH keys AS (
    INSERT INTO person_key_counts (key, scope, entries)
    SELECT * FROM unnest(%(keys)s::varchar[], %(key_scopes)s::varchar[], %(key_entries)s::int[])
    ON CONFLICT (key, scope) DO UPDATE SET entries = person_key_counts.entries + excluded.entries
), grams AS (
    INSERT INTO person_gram_counts (gram, scope, entries)
    SELECT * FROM unnest(%(grams)s::varchar[], %(gram_scopes)s::varchar[], %(gram_entries)s::int[])
    ON CONFLICT (gram, scope) DO UPDATE SET entries = person_gram_counts.entries + excluded.entries
)
INSERT INTO person_scope_counts (scope, entries)
SELECT * FROM unnest(%(scopes)s::varchar[], %(scope_entries)s::int[])
ON CONFLICT (scope) DO UPDATE SET entries = person_scope_counts.entries + excluded.entries
"""


def _counts_with_commit(session: Session, pending: dict[str, Counter]) -> bool:
    """On PostgreSQL, when the transaction only adds to the counts (registering persons),
    one statement writes all three, sent with the COMMIT (`audit.service.defer_to_commit`):
    the count rows every registration of an authority shares are then locked for the
    server's work on the COMMIT only. False otherwise (the caller writes them now)."""
    from judicare.audit.service import defer_to_commit

    if any(delta < 0 for counter in pending.values() for delta in counter.values()):
        return False
    keys = sorted((item, scope, n) for (scope, item), n in
                  pending[PersonKeyCountRow.__tablename__].items() if n)  # fmt: skip
    grams = sorted((item, scope, n) for (scope, item), n in
                   pending[PersonGramCountRow.__tablename__].items() if n)  # fmt: skip
    scopes = sorted(
        (scope, n) for scope, n in pending[PersonScopeCountRow.__tablename__].items() if n
    )
    if not (keys or grams or scopes):
        return True
    parameters = {
        "keys": [k for k, _, _ in keys], "key_scopes": [s for _, s, _ in keys],
        "key_entries": [n for _, _, n in keys],
        "grams": [g for g, _, _ in grams], "gram_scopes": [s for _, s, _ in grams],
        "gram_entries": [n for _, _, n in grams],
        "scopes": [s for s, _ in scopes], "scope_entries": [n for _, n in scopes],
    }  # fmt: skip
    return defer_to_commit(session, _COUNTS_SQL, parameters)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending_counts(session: Session, transaction) -> None:
    """A transaction that ends without committing takes its count changes with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _unpost(session: Session, postings: Table, column: str, entry_id: int) -> list[str]:
    """Delete an entry's postings (blocking keys or trigrams); the keys or grams they held."""
    return list(
        session.scalars(
            delete(postings).where(postings.c.entry_id == entry_id).returning(postings.c[column])
        )
    )


def _deltas(
    scope: str, added: Iterable[str], removed: Iterable[str] = ()
) -> Counter[tuple[str, str]]:
    """The change of each (scope, key or gram) count when an entry of `scope` gains the
    postings `added` and loses `removed` (one count a posting, as the postings are rows)."""
    deltas: Counter[tuple[str, str]] = Counter()
    for item in added:
        deltas[(scope, item)] += 1
    for item in removed:
        deltas[(scope, item)] -= 1
    return deltas


def count_postings(
    executor: Session | Connection, counts: Table, deltas: Counter[tuple[str, str]]
) -> None:
    """Add each (scope, key or gram) change to its count in `counts` (`PersonKeyCountRow`
    or `PersonGramCountRow`), in the caller's transaction, so that the counts stay exactly
    the number of postings per scope; a count brought to 0 is removed. One upsert, in the
    counts' key order (concurrent transactions lock the rows they share in the same order)."""
    changes = sorted(((item, scope), delta) for (scope, item), delta in deltas.items() if delta)
    if not changes:
        return
    column = counts.primary_key.columns.values()[0].name
    _upsert(
        executor,
        counts,
        [column, "scope"],
        [{column: item, "scope": scope, "entries": delta} for (item, scope), delta in changes],
    )
    fewer = sorted({item for (item, _), delta in changes if delta < 0})
    if fewer:
        executor.execute(delete(counts).where(counts.c[column].in_(fewer), counts.c.entries <= 0))


def count_entries(executor: Session | Connection, added: Counter[str]) -> None:
    """Add each scope's new entries to its number of entries (`PersonScopeCountRow`)."""
    rows = [{"scope": scope, "entries": n} for scope, n in sorted(added.items()) if n]
    if rows:
        _upsert(executor, PersonScopeCountRow.__table__, ["scope"], rows)


def _upsert(executor: Session | Connection, counts: Table, key: list[str], rows: list) -> None:
    """Add `rows`' entries to the counts of their keys, a row for a key not counted yet."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    upsert = (postgresql_insert if bind.dialect.name == "postgresql" else sqlite_insert)(counts)
    upsert = upsert.on_conflict_do_update(
        index_elements=key, set_={"entries": counts.c.entries + upsert.excluded.entries}
    )
    executor.execute(upsert, rows)


def recount(executor: Session | Connection) -> None:
    """Rebuild the key and trigram counts from the postings, whatever they held (`rekey`
    ends with it). On PostgreSQL the counts are locked first: a transaction filing entries
    meanwhile adds its own to the rebuilt counts when this one commits."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == "postgresql":
        executor.execute(
            text(
                "LOCK TABLE person_key_counts, person_gram_counts, person_scope_counts"
                " IN SHARE ROW EXCLUSIVE MODE"
            )
        )
    for counts, postings, column in (
        (PersonKeyCountRow.__table__, PersonKeyRow.__table__, "key"),
        (PersonGramCountRow.__table__, PersonGramRow.__table__, "gram"),
    ):
        executor.execute(delete(counts))
        executor.execute(
            insert(counts).from_select(
                [column, "scope", "entries"],
                select(postings.c[column], postings.c.scope, func.count()).group_by(
                    postings.c[column], postings.c.scope
                ),
            )
        )
    scope = scope_column()
    executor.execute(delete(PersonScopeCountRow))
    executor.execute(
        insert(PersonScopeCountRow).from_select(
            ["scope", "entries"], select(scope, func.count()).group_by(scope)
        )
    )


def rekey(
    session: Session,
    *,
    register: str | None,
    actor: str,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Recompute every stored entry's blocking keys and character trigrams with the engine as
    it is now (after the engine changes how it reads names, entries indexed earlier would
    otherwise keep keys that new queries no longer produce), then their counts from them
    (`recount`). One transaction; audited. `changed` counts the entries whose keys or grams
    changed."""
    query = select(
        PersonEntryRow.id,
        PersonEntryRow.names,
        PersonEntryRow.register,
        PersonEntryRow.authority_id,
    ).order_by(PersonEntryRow.id)
    if register:
        query = query.where(PersonEntryRow.register == register)
    entries = session.execute(query).all()
    changed = 0
    for number, (entry_id, names, entry_register, authority_id) in enumerate(entries, start=1):
        scope = scope_of(entry_register, authority_id)
        wanted = sorted(blocking_keys(tuple(names)))
        stored = sorted(
            session.scalars(select(PersonKeyRow.key).where(PersonKeyRow.entry_id == entry_id))
        )
        wanted_grams = record_grams(tuple(names))
        stored_grams = sorted(
            session.scalars(select(PersonGramRow.gram).where(PersonGramRow.entry_id == entry_id))
        )
        if stored != wanted:
            session.execute(delete(PersonKeyRow).where(PersonKeyRow.entry_id == entry_id))
            if wanted:
                session.execute(
                    insert(PersonKeyRow),
                    [{"entry_id": entry_id, "key": k, "scope": scope} for k in wanted],
                )
        if stored_grams != wanted_grams:
            session.execute(delete(PersonGramRow).where(PersonGramRow.entry_id == entry_id))
            if wanted_grams:
                session.execute(
                    insert(PersonGramRow),
                    [{"entry_id": entry_id, "gram": g, "scope": scope} for g in wanted_grams],
                )
        changed += stored != wanted or stored_grams != wanted_grams
        if progress and (number % 500 == 0 or number == len(entries)):
            progress(number, len(entries))
    recount(session)
    record(
        session,
        actor=actor,
        action=AuditAction.ALTERATION,
        tag=f"{actor}:register:rekey",
        subject_type="register",
        subject_id=register or "*",
        why="blocking keys and character trigrams recomputed after an engine change",
        at=now,
        details={"entries": len(entries), "changed": changed},
    )
    return {"register": register, "entries": len(entries), "changed": changed}


def index_new_persons(
    session: Session, persons: list[PersonRecord], *, authority_id: str | None, now: datetime
) -> None:
    """Store persons known to be new to their register (those named in a request just
    registered: their ids embed its fresh reference) with their blocking keys and trigrams
    and their counts, in a fixed number of statements for any number of persons;
    `index_person` looks each one up first. The entries are `authority_id`'s (the request's
    authority), None for the node's."""
    if not persons:
        return
    entries = PersonEntryRow.__table__
    ids = session.scalars(
        insert(entries).returning(entries.c.id, sort_by_parameter_order=True),
        [
            {
                "register": person.register,
                "external_id": person.id,
                "names": list(person.names),
                "birth_date": str(person.birth_date) if person.birth_date else None,
                "nationality": person.nationality,
                "status": person.status,
                "country_of_feared_persecution": person.country_of_feared_persecution,
                "status_date": person.status_date,
                "authority_id": authority_id,
                "updated_at": now,
            }
            for person in persons
        ],
    ).all()
    scopes = [scope_of(person.register, authority_id) for person in persons]
    filed = list(zip(ids, persons, scopes, strict=True))
    keys = [
        (scope, {"entry_id": entry_id, "key": key, "scope": scope})
        for entry_id, person, scope in filed
        for key in sorted(blocking_keys(person.names))
    ]
    grams = [
        (scope, {"entry_id": entry_id, "gram": gram, "scope": scope})
        for entry_id, person, scope in filed
        for gram in record_grams(person.names)
    ]
    in_one_statement = session.get_bind().dialect.name == "postgresql"
    if in_one_statement:
        _insert_postings_in_one_statement(session, keys, grams)
    for postings, counts, column, rows in (
        (PersonKeyRow.__table__, PersonKeyCountRow.__table__, "key", keys),
        (PersonGramRow.__table__, PersonGramCountRow.__table__, "gram", grams),
    ):
        if rows:
            if not in_one_statement:
                session.execute(insert(postings), [row for _, row in rows])
            pending = _pending_counts(session)[counts.name]
            pending.update(Counter((scope, row[column]) for scope, row in rows))
    _pending_counts(session)[PersonScopeCountRow.__tablename__].update(Counter(scopes))


# The postings of the persons just filed, keys and trigrams, in one statement: each table's
# rows as three arrays (entries, values, scopes) read back into rows by `unnest`. Sent as
# rows of an executemany, they cost SQLAlchemy and the driver a parameter set each (36 for
# one person named in two scripts), most of the person index's time in a create.
_POSTINGS_SQL = """
WITH filed_keys AS (
    INSERT INTO person_keys (entry_id, key, scope)
    SELECT * FROM unnest(%(key_entries)s::integer[], %(keys)s::text[], %(key_scopes)s::text[])
)
INSERT INTO person_grams (entry_id, gram, scope)
SELECT * FROM unnest(%(gram_entries)s::integer[], %(grams)s::text[], %(gram_scopes)s::text[])
"""


def _insert_postings_in_one_statement(
    session: Session, keys: list[tuple[str, dict]], grams: list[tuple[str, dict]]
) -> None:
    """On PostgreSQL: the rows `index_new_persons` files in `person_keys` and `person_grams`
    (each (scope, row)), in one statement and one round trip, whatever their number."""
    if not keys and not grams:
        return
    session.connection().exec_driver_sql(
        _POSTINGS_SQL,
        {
            "key_entries": [row["entry_id"] for _, row in keys],
            "keys": [row["key"] for _, row in keys],
            "key_scopes": [row["scope"] for _, row in keys],
            "gram_entries": [row["entry_id"] for _, row in grams],
            "grams": [row["gram"] for _, row in grams],
            "gram_scopes": [row["scope"] for _, row in grams],
        },
    )


# --- matching --------------------------------------------------------------------------------


def match(
    session: Session,
    query: PersonQuery,
    *,
    authority_id: str | None,
    request: OnRequest | None = None,
    threshold: float | None = None,
    limit: int = 20,
) -> list[dict]:
    """Candidates best first, each with its explanation and any decision taken on it on the
    `request` screened (by its authority); beyond `limit`, every candidate with a protected
    status above the threshold is kept.

    Need-to-know: only the entries `authority_id` may read are looked at, from the first
    statement on (counts and key frequencies included), so that whatever another authority
    holds changes neither the candidates, nor their order, nor their number. None (an
    operator with no authority) reads the node's registers only."""
    if threshold is not None and not 0 <= threshold <= 1:
        raise InvalidInput(f"threshold {threshold} must be between 0 and 1")
    on = request or OnRequest(authority_id, None)
    memo = _matches_of(session)
    asked = (query, authority_id, on, threshold, limit)
    if asked in memo:
        return pickle.loads(memo[asked])
    out = _match(session, query, authority_id=authority_id, request=on, threshold=threshold,
                 limit=limit)  # fmt: skip
    # Kept as bytes, a fresh copy for each caller: plain data, and several times quicker
    # to copy this way than with `copy.deepcopy` (8% of the screening page's time).
    memo[asked] = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    return out


# The answers of `match` within one session, until it writes anything: a page that screens
# the same persons twice (the screening report and the candidates beside it) matches once.
_MATCHES = "judicare.persons.matches"


def _matches_of(session: Session) -> dict:
    memo = session.info.get(_MATCHES)
    if memo is None:
        memo = session.info[_MATCHES] = {}
        event.listen(session, "after_flush", _forget_matches)
        event.listen(session, "after_rollback", _forget_matches)
        event.listen(session, "after_commit", _forget_matches)
        event.listen(session, "do_orm_execute", _forget_on_write)
    return memo


def _forget_on_write(state) -> None:
    """A statement that writes, run through the session (an insert of postings, say)."""
    if not state.is_select:
        _forget_matches(state.session)


def _forget_matches(session: Session, *_) -> None:
    """Anything written (an entry filed, a decision taken, a flush of any row) or a
    transaction ended: the answers are asked again."""
    memo = session.info.get(_MATCHES)
    if memo:
        memo.clear()


def _match(
    session: Session,
    query: PersonQuery,
    *,
    authority_id: str | None,
    request: OnRequest,
    threshold: float | None,
    limit: int,
) -> list[dict]:
    _warm_protected(session)
    entries, by_ngrams = _shortlist(session, query, authority_id)
    found: list[Candidate] = []
    facts: dict[tuple[str, str], float] = {}  # equal scores: agreeing birth date, nationality first
    query_parsed = parse_names(query.names)
    for entry in entries:
        point = point_of(entry)
        record = _to_record(entry)
        cutoff = point.threshold if threshold is None else threshold
        if not _may_reach(query, query_parsed, record, point, cutoff):
            continue  # below the cutoff however explained: not explained
        facts[(record.register, record.id)] = -evidence_effect(query, record)
        candidate = score_pair(query, record, point)
        found_by = FOUND_BY_NGRAMS if entry.id in by_ngrams else None
        if candidate.score < cutoff and point.fallback:
            candidate = with_fallback(query, record, candidate, cutoff, found_by=found_by)
        if found_by:  # as the in-memory index says it
            candidate = replace(
                candidate, explanation={**candidate.explanation, "retrieval": found_by}
            )
        if candidate.score >= cutoff:
            found.append(candidate)
    found.sort(key=lambda c: (-c.score, facts[(c.register, c.id)], c.register, c.id))
    protected = {(e.register, e.external_id) for e in entries if e.status}
    shown = found[:limit] + [c for c in found[limit:] if (c.register, c.id) in protected]
    # what only the safeguard point shows (below the identification threshold): at most its limit
    low = [c for c in shown if c.score < DEFAULT_THRESHOLD]
    if len(low) > SAFEGUARD.limit:
        dropped = {(c.register, c.id) for c in low[SAFEGUARD.limit :]}
        shown = [c for c in shown if (c.register, c.id) not in dropped]
    decisions = _decisions(session, query, request)
    out = []
    for candidate in shown:
        row = candidate.as_dict()
        entry = next(
            e for e in entries if e.register == candidate.register and e.external_id == candidate.id
        )
        row["operating_point"] = candidate.explanation.get("operating_point")
        row["status"] = entry.status
        row["country_of_feared_persecution"] = entry.country_of_feared_persecution
        decision = decisions.get((candidate.register, candidate.id))
        row["adjudication"] = decision
        out.append(row)
    return out


# --- the protected entries' names, read ahead once in each process --------------------------
#
# Every query scores up to `PROTECTED_SHORTLIST` protected entries sharing any of its keys,
# common ones included (`_protected_query`): most of them are met by most queries, and in a
# process that has just started each was read for the first time (`parse_name`, cached by
# name, was 15 to 25 % of the screening page and of the Cyrillic search on 100,000 requests).
# The first match of a process reads the protected entries' names (one statement, the few
# with a status: 5,825 entries and 11,911 names on 100,012 requests) and a thread reads them
# into `parse_name`'s cache (0.8 s of CPU there). The cache is keyed by the name itself, so
# nothing is ever stale: an entry filed or changed later is read when first met, as before.
# No database in the thread (it parses a list), so no connection is shared with it.

WARM_LIMIT = 50_000  # protected entries read ahead at most (the rest: when first met)
_WARMING: dict[str, threading.Thread] = {}  # database -> the thread reading its names
_WARM_LOCK = threading.Lock()


def _warm_protected(session: Session) -> None:
    """Once per process and database: the protected entries' names read ahead (above)."""
    where = session.get_bind().engine.url.render_as_string(hide_password=True)
    if where in _WARMING:
        return
    with _WARM_LOCK:
        if where in _WARMING:
            return
        names = session.scalars(
            select(PersonEntryRow.names).where(PersonEntryRow.status.is_not(None)).limit(WARM_LIMIT)
        ).all()
        thread = threading.Thread(
            target=_read_names, args=(names,), name="judicare-protected-names", daemon=True
        )
        _WARMING[where] = thread
        thread.start()


def _read_names(entries: list[list[str]]) -> None:
    for names in entries:
        parse_names(tuple(dict.fromkeys(names)))
    freeze_kept()  # kept for the process's life: out of the collector's walks (a server)


def protected_names_read(timeout: float | None = None) -> bool:
    """Wait for the protected entries' names to be read ahead (benches and tests); whether
    every thread has finished."""
    for thread in list(_WARMING.values()):
        thread.join(timeout)
    return not any(thread.is_alive() for thread in _WARMING.values())


def _may_reach(
    query: PersonQuery,
    query_parsed: tuple,
    record: PersonRecord,
    point: OperatingPoint,
    cutoff: float,
) -> bool:
    """Whether `record` may score at least `cutoff`, as `PersonIndex.query` tests it before
    explaining: its score without explanation (`quick_score`, the same as `score_pair`'s),
    or, at a point with a fallback, the fallback's lift by the whole-name ratio (as
    `with_fallback` computes it). False only for a record that `match` would not show.

    The record's names are scored one at a time, each written once, until one reaches the
    cutoff: the score is its best pair of names', so the answer is the same as scoring
    them all (most records that reach do so on their first name). A name whose score
    cannot reach the cutoff (`bound.cannot_reach`, a fraction of the cost) is not
    scored: most protected entries sharing a common key share one given name and nothing
    else. The fallback's test does not depend on the scores of the names below the cutoff
    (`round(max(best, lift), 4)` reaches it only if the lift's does), so skipping them
    changes nothing there either."""
    best = 0.0
    min_part, conflict = point.min_part_similarity, point.conflict_cost
    effect = evidence_effect(query, record)
    for parsed in parse_names(tuple(dict.fromkeys(record.names))):
        if cannot_reach(query_parsed, parsed, min_part, conflict,
                        lambda most: _quick_of(most, effect) < cutoff):  # fmt: skip
            continue  # `quick_score` would be below the cutoff
        quick = quick_score(query, query_parsed, record, (parsed,), min_part, conflict)
        if quick >= cutoff:
            return True
        best = max(best, quick)
    if not point.fallback:
        return False
    ratio = best_whole_name_ratio(query.names, record.names)[0]
    return ratio >= FALLBACK_RATIO and round(max(best, FALLBACK_WEIGHT * ratio / 100), 4) >= cutoff


def _quick_of(name_score: float, effect: float) -> float:
    """`scoring.quick_score` from a name score and what the birth date and nationality add
    (monotone in the name score: a bound of it gives a bound of the score)."""
    score = name_score + effect if name_score > 0 else name_score
    return round(min(1.0, max(0.0, score)), 4)


def point_of(entry: PersonEntryRow) -> OperatingPoint:
    """The operating point an entry is screened at: its register's, and the safeguard for
    any entry with a protected status (refugee and the like), whatever its register."""
    return _point(entry.register, entry.status)


def _point(register: str, status: str | None) -> OperatingPoint:
    if status or policy_of(register).point == SAFEGUARD.name:
        return SAFEGUARD
    return IDENTIFICATION


def _shortlist(
    session: Session, query: PersonQuery, authority_id: str | None
) -> tuple[list[PersonEntryRow], set[int]]:
    """The entries to score, and those of them found by character n-grams: the database's
    copy of the in-memory index's retrieval (`PersonIndex.query` at the safeguard point),
    with the same walks, weights and sizes, over the entries `authority_id` may read.

    1. Blocking: the `SHORTLIST` entries with the most blocking-key evidence.
    2. The safeguard's wider net, for entries screened at a point with a fallback: of the
       next `FALLBACK_POOL` by blocking evidence and of the `NGRAM_TOP` that share the most
       character trigrams with the query, those that a plain whole-name comparison finds
       alike.
    3. A protected person is never crowded out: every entry with a protected status that
       shares a blocking key (up to `PROTECTED_SHORTLIST`), common keys included.

    Need-to-know without joining the entries: each posting carries its entry's scope, and
    the frequencies and the number of entries are read from their counts for the scopes
    `authority_id` may read (`scopes_visible_to`, the scopes of `visible_to`)."""
    keys = blocking_keys(query.names)
    forms = query_forms(query.names)
    if not keys and not forms:
        return [], set()
    scopes = scopes_visible_to(authority_id)
    grams = grams_of(forms)
    total, key_counts, gram_counts = _counts(session, keys, grams, scopes)
    if not total:
        return [], set()
    visible = visible_to(authority_id)
    registers = set(query.registers) if query.registers else None
    chosen_keys = _chosen_keys(keys, total, key_counts)
    chosen_grams = gram_walk(gram_counts, NGRAM_BUDGET) if grams else []
    key_postings, gram_postings, sharing = _read_postings(
        session, chosen_keys, chosen_grams, sorted(keys) if chosen_keys else [], scopes
    )
    evidence = _key_evidence(chosen_keys, key_postings, total)
    ranked = _ranked_in(session, evidence, SHORTLIST + FALLBACK_POOL, registers)
    shortlist = ranked[:SHORTLIST]
    known = set(ranked)
    by_ngrams = [e for e in _ngram_candidates(session, gram_postings, total, registers)
                 if e not in known]  # fmt: skip
    wider = ranked[SHORTLIST:] + by_ngrams
    protected = sharing if ranked else set()
    # The entries that may be scored, read once: the wider net's (to compare whole names)
    # and the chosen ones (to score) alike; of the wider net only those screened at a point
    # with a fallback (`_may_fall_back`: the others are never compared whole).
    must = set(shortlist) | protected
    net = set(wider) - must
    rows = {}
    if must or net:
        wanted = []
        if must:
            wanted.append(_among(session, PersonEntryRow.id, must))
        if net:
            wanted.append(_among(session, PersonEntryRow.id, net) & _may_fall_back())
        rows = {
            row.id: row
            for row in session.scalars(select(PersonEntryRow).where(or_(*wanted), visible))
        }
    alike: set[int] = set()
    if wider:
        pool = [rows[e] for e in wider if e in rows]
        alike = set(
            fallback_ratios(
                forms,
                (
                    (entry.id, record_forms(tuple(entry.names)))
                    for entry in pool
                    if _point(entry.register, entry.status).fallback
                ),
            )
        )
    chosen = [*shortlist, *(e for e in wider if e in alike)]
    chosen += sorted(protected - set(chosen))
    if not chosen:
        return [], set()
    entries = [rows[e] for e in chosen if e in rows]
    if registers:
        entries = [r for r in entries if r.register in registers]
    return entries, set(by_ngrams) & alike


# Registers whose entries are screened at a point without a fallback unless they have a
# status (the `requests` index: `_point`), whatever their name says.
_NO_FALLBACK = tuple(sorted(r for r in AUTHORITY_OWNED if not _point(r, None).fallback))


def _may_fall_back() -> Any:
    """SQL: the entries that may be screened at a point with a fallback (`_point`): any but
    those of a register in `_NO_FALLBACK` without a status. (A superset: `_point` decides.)
    Of the safeguard's wider net, up to 420 entries, the others were read for nothing."""
    return or_(PersonEntryRow.register.not_in(_NO_FALLBACK), PersonEntryRow.status != "")


def _among(session: Session, column, values: Iterable) -> Any:
    """`column IN values`. On PostgreSQL one array parameter (`column = ANY(:values)`): a
    list of hundreds of entries rendered as as many parameters made each statement new to
    the driver, which parsed it again (its cache keeps short statements only), and to
    SQLAlchemy's compiler; the rows found are the same."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _entries(session: Session, scopes: tuple[str, ...] | None) -> int:
    """How many entries the `scopes` hold (`PersonScopeCountRow`)."""
    query = select(func.sum(PersonScopeCountRow.entries))
    if scopes is not None:
        query = query.where(PersonScopeCountRow.scope.in_(scopes))
    pending = session.info.get(_PENDING, {}).get(PersonScopeCountRow.__tablename__, {})
    own = sum(n for scope, n in pending.items() if scopes is None or scope in scopes)
    return int(session.scalar(query) or 0) + own


def _frequencies(
    session: Session, counts: Table, items: set[str], scopes: tuple[str, ...] | None
) -> list[tuple[str, int]]:
    """How many entries of `scopes` carry each of `items` (blocking keys or trigrams), from
    their counts (`PersonKeyCountRow`, `PersonGramCountRow`): those that some entry of
    `scopes` carries."""
    column = counts.c[counts.primary_key.columns.values()[0].name]
    query = select(column, func.sum(counts.c.entries)).where(_among(session, column, sorted(items)))
    if scopes is not None:
        query = query.where(counts.c.scope.in_(scopes))
    found: Counter[str] = Counter(
        {item: int(n) for item, n in session.execute(query.group_by(column))}
    )
    pending = session.info.get(_PENDING, {}).get(counts.name, {})
    for (scope, item), n in pending.items():  # this transaction's own, not yet written
        if item in items and (scopes is None or scope in scopes):
            found[item] += n
    return [(item, n) for item, n in sorted(found.items()) if n]


def _counts(
    session: Session, keys: set[str], grams: set[str], scopes: tuple[str, ...] | None
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """`_entries(scopes)` and the `_frequencies` of `keys` and of `grams`, in one statement
    (three round trips were one each, for every person screened or searched)."""
    kind, item, number = "kind", "item", "n"
    total = select(
        literal("scope", String).label(kind),
        literal("", String).label(item),
        func.coalesce(func.sum(PersonScopeCountRow.entries), 0).label(number),
    )
    if scopes is not None:
        total = total.where(PersonScopeCountRow.scope.in_(scopes))
    parts = [total]
    for name, items, table in (("key", keys, PersonKeyCountRow.__table__),
                               ("gram", grams, PersonGramCountRow.__table__)):  # fmt: skip
        if not items:
            continue
        column = table.c[table.primary_key.columns.values()[0].name]
        part = select(
            literal(name, String).label(kind),
            column.label(item),
            func.sum(table.c.entries).label(number),
        ).where(_among(session, column, sorted(items)))
        if scopes is not None:
            part = part.where(table.c.scope.in_(scopes))
        parts.append(part.group_by(column))
    read: dict[str, Counter[str]] = {"scope": Counter(), "key": Counter(), "gram": Counter()}
    for what, name, n in session.execute(union_all(*parts)):
        read[what][name] += int(n or 0)
    pending = session.info.get(_PENDING, {})
    own = sum(
        n
        for scope, n in pending.get(PersonScopeCountRow.__tablename__, {}).items()
        if scopes is None or scope in scopes
    )
    out = []
    for what, items, table in (("key", keys, PersonKeyCountRow.__table__),
                               ("gram", grams, PersonGramCountRow.__table__)):  # fmt: skip
        found = read[what]
        for (scope, name), n in pending.get(table.name, {}).items():  # not yet written
            if name in items and (scopes is None or scope in scopes):
                found[name] += n
        out.append([(name, n) for name, n in sorted(found.items()) if n])
    return read["scope"][""] + own, out[0], out[1]


def _chosen_keys(keys: set[str], total: int, frequencies: list[tuple[str, int]]) -> list[str]:
    """The query's blocking keys whose postings are walked, chosen by `key_walk` from their
    `frequencies` (`_counts`), as `PersonIndex.evidence` chooses them."""
    if not keys:
        return []
    return key_walk(
        frequencies,
        size=total,
        max_key_share=MAX_KEY_SHARE,
        posting_budget=POSTING_BUDGET,
    )


def _key_evidence(
    chosen: list[str], postings: dict[str, list[int]], total: int
) -> dict[int, float]:
    """Each visible entry's blocking evidence, as `PersonIndex.evidence` weighs it: the
    `chosen` keys' postings (`_read_postings`) walked by `walk_evidence` (the register filter
    is `_ranked_in`'s)."""
    if not chosen:
        return {}
    return walk_evidence(
        [postings[k] for k in chosen if postings[k]],
        size=total,
        full_read=FULL_READ,
        shortlist=SHORTLIST,
    )


# Entries whose register (or status) is looked up at once, by primary key, when only some
# registers are searched (or only entries with a status are wanted): ranked first, the
# first batch is nearly always enough.
LOOKUP_BATCH = 500


def _ranked_in(
    session: Session, evidence: dict[int, float], k: int, registers: set[str] | None
) -> list[int]:
    """`most_evidence(evidence, k)` over the entries of `registers` only (any register:
    None), the registers read for the best entries first, in batches, until `k` are found:
    the same entries in the same order as ranking the entries of `registers` alone."""
    if not registers or not evidence:
        return most_evidence(evidence, k)
    found: list[int] = []
    ranked = most_evidence(evidence, len(evidence))
    for start in range(0, len(ranked), LOOKUP_BATCH):
        batch = ranked[start : start + LOOKUP_BATCH]
        inside = set(
            session.scalars(
                select(PersonEntryRow.id).where(
                    _among(session, PersonEntryRow.id, batch),
                    PersonEntryRow.register.in_(sorted(registers)),
                )
            )
        )
        found += [e for e in batch if e in inside]
        if len(found) >= k:
            break
    return found[:k]


def _read_postings(
    session: Session,
    chosen_keys: list[str],
    chosen_grams: list[str],
    protected_keys: list[str],
    scopes: tuple[str, ...] | None,
) -> tuple[dict[str, list[int]], dict[str, list[int]], set[int]]:
    """In one statement (one round trip, where there were three): for each chosen blocking
    key and each chosen trigram, the entries of `scopes` that carry it, read from the
    postings' index alone (key or gram, scope, entry); and the protected entries sharing
    any of `protected_keys` (`_protected_query`). (A posting list is empty only where
    postings were deleted behind the counts' back, which `rekey` repairs: the walks skip
    it.)

    On PostgreSQL each key's, each gram's and the protected entries' ids come as one array
    (`array_agg`), not a row each: the walks may read up to `POSTING_BUDGET` postings (one
    search at 1,000,000 requests read 26,717), and 60,000 ids cost 66 to 93 ms of the
    process's CPU as rows against 9 to 10 ms as arrays (side by side, load 3). The order
    of the ids within a list is not used (the walks add evidence by id, ties by id)."""
    keys: dict[str, list[int]] = {k: [] for k in chosen_keys}
    grams: dict[str, list[int]] = {g: [] for g in chosen_grams}
    protected: set[int] = set()
    kind, item = "kind", "item"
    as_arrays = session.get_bind().dialect.name == "postgresql"
    parts = []
    for name, chosen, table, column in (
        ("key", chosen_keys, PersonKeyRow.__table__, "key"),
        ("gram", chosen_grams, PersonGramRow.__table__, "gram"),
    ):
        if not chosen:
            continue
        ids = func.array_agg(table.c.entry_id) if as_arrays else table.c.entry_id
        part = select(
            literal(name, String).label(kind), table.c[column].label(item), ids.label("ids")
        ).where(_among(session, table.c[column], chosen))
        if scopes is not None:
            part = part.where(table.c.scope.in_(scopes))
        parts.append(part.group_by(table.c[column]) if as_arrays else part)
    if protected_keys:
        sharing = _protected_query(session, protected_keys, scopes).subquery()
        ids = func.array_agg(sharing.c.entry_id) if as_arrays else sharing.c.entry_id
        protected_part = select(
            literal("protected", String).label(kind), literal("", String).label(item),
            ids.label("ids"),
        )  # fmt: skip
        parts.append(protected_part)
    if not parts:
        return keys, grams, protected
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = session.execute(statement).all()  # at once, not row by row
    if as_arrays:
        for what, name, entry_ids in rows:
            if what == "key":
                keys[name] = entry_ids
            elif what == "gram":
                grams[name] = entry_ids
            elif entry_ids:  # (the aggregate of no protected entry is NULL)
                protected.update(entry_ids)
        return keys, grams, protected
    for what, name, entry_id in rows:
        if what == "key":
            keys[name].append(entry_id)
        elif what == "gram":
            grams[name].append(entry_id)
        else:
            protected.add(entry_id)
    return keys, grams, protected


def _ngram_candidates(
    session: Session,
    postings: dict[str, list[int]],
    total: int,
    registers: set[str] | None,
) -> list[int]:
    """The `NGRAM_TOP` visible entries whose stored trigrams (`PersonGramRow`) the query's
    readings share most: the postings (`_read_postings`) of the trigrams `gram_walk` chose
    from their frequencies (`_counts`), as `PersonIndex.ngram_candidates` finds them."""
    found = {gram: entries for gram, entries in postings.items() if entries}
    if not found:
        return []
    top = top_by_grams(gram_scores(found, total), NGRAM_TOP * 2)
    if registers and top:
        inside = set(
            session.scalars(
                select(PersonEntryRow.id).where(
                    _among(session, PersonEntryRow.id, top),
                    PersonEntryRow.register.in_(sorted(registers)),
                )
            )
        )
        top = [e for e in top if e in inside]
    return top[:NGRAM_TOP]


def _protected_sharing(
    session: Session, keys: list[str], scopes: tuple[str, ...] | None
) -> set[int]:
    """`_protected_query` alone (`_shortlist` reads it with the postings, `_read_postings`)."""
    return set(session.scalars(_protected_query(session, keys, scopes)))


def _protected_query(session: Session, keys: list[str], scopes: tuple[str, ...] | None) -> Any:
    """SQL: entries with a protected status (refugee and the like) sharing any blocking key
    of the query, common ones included (a flood of same-name entries makes a refugee's keys
    common), those sharing most keys first, up to `PROTECTED_SHORTLIST`: the protected
    entries' postings of the query's keys in `scopes` (their index alone; see the last
    paragraph).

    (It ranked every entry sharing a key a page at a time, keeping those with a status: one
    page was enough while every entry of the `requests` index had one, its person's role;
    with only protected persons holding one, it read the whole ranking a page after another,
    each a new aggregate: half of the screening page's time.)

    PostgreSQL's generic plan of it (psycopg prepares a statement a connection has run five
    times; after five more, PostgreSQL may keep a plan made without the keys) was several
    times slower while every entry of the `requests` index had a status (90 ms against 24 ms
    on 100,000 requests). With only the protected ones holding one (0050) it is a merge join
    where the custom plan is a hash join, about 0.8 ms apart (3.8 and 3.0 ms, `EXPLAIN
    ANALYZE` on 100,012 requests); forcing the custom plan (`plan_cache_mode`) costs two
    round trips more, which cost more than that on a busy machine
    (`bench.pages_protected_plan`): the plan is left to PostgreSQL.

    The postings are read from `PersonProtectedKeyRow`, the protected entries' own (the
    database keeps them: migration 0053), not joined from every posting of the query's
    keys: the same rows, so the same entries in the same order. At 1,000,000 requests the
    join read every posting of the query's keys (tens of thousands) and every protected
    entry (57,000) for the few hundred postings that meet: 11 to 82 ms a query.
    (The plans above were those of the join.)"""
    shared = func.count().label("shared")
    query = select(PersonProtectedKeyRow.entry_id).where(
        _among(session, PersonProtectedKeyRow.key, keys)
    )
    if scopes is not None:
        query = query.where(PersonProtectedKeyRow.scope.in_(scopes))
    return (
        query.group_by(PersonProtectedKeyRow.entry_id)
        .order_by(shared.desc(), PersonProtectedKeyRow.entry_id)
        .limit(PROTECTED_SHORTLIST)
    )


def request_person_id(external_id: str) -> int | None:
    """The request person an entry of the `requests` index stands for: its id is
    "REFERENCE#PERSON_ID" (`requests.registration._index_persons`); None for any other id."""
    _, sep, person = external_id.rpartition("#")
    return int(person) if sep and person.isascii() and person.isdigit() else None


def request_person_roles(session: Session, external_ids: Iterable[str]) -> dict[str, str]:
    """The role (witness, suspect...) of the request person behind each of these entries of
    the `requests` index, in one statement: the entry's status is the person's protected
    status, never the role (`requests.registration._index_persons`). An id naming no
    request person is left out. Kept with the session's matches (`_matches_of`, forgotten on
    any write): the screening page asks for the same persons' roles twice (the report and
    the candidates), as it matches them twice."""
    from judicare.requests.models import RequestPersonRow

    wanted = {i: p for i in external_ids if (p := request_person_id(i)) is not None}
    if not wanted:
        return {}
    memo = _matches_of(session)
    asked = ("roles", frozenset(wanted.values()))
    roles = memo.get(asked)
    if roles is None:
        roles = memo[asked] = dict(
            session.execute(
                select(RequestPersonRow.id, RequestPersonRow.role).where(
                    _among(session, RequestPersonRow.id, sorted(set(wanted.values())))
                )
            ).all()
        )
    return {i: roles[p] for i, p in wanted.items() if p in roles}


def _to_record(entry: PersonEntryRow) -> PersonRecord:
    return PersonRecord(
        register=entry.register,
        id=entry.external_id,
        names=tuple(entry.names),
        birth_date=PartialDate.parse(entry.birth_date) if entry.birth_date else None,
        nationality=entry.nationality,
        status=entry.status,
        country_of_feared_persecution=entry.country_of_feared_persecution,
        status_date=entry.status_date,
    )


# --- adjudication ------------------------------------------------------------------------------


def query_fingerprint(names: tuple[str, ...]) -> str:
    """The same person asked about again: the same names, however cased or ordered."""
    folded = sorted({unicodedata.normalize("NFKC", n).casefold().strip() for n in names})
    return hashlib.sha256("\x1f".join(folded).encode("utf-8")).hexdigest()


def adjudicate(
    session: Session,
    *,
    names: tuple[str, ...],
    register: str,
    external_id: str,
    decision: str,
    reason: str,
    actor: str,
    authority_id: str | None,
    request: OnRequest,
    now: datetime,
) -> dict:
    """Record a decision on a candidate of a person named in `request` (the caller has
    checked that the actor may change it); it counts on that request only. An entry that
    the actor's authority `authority_id` may not read is answered as one that does not
    exist."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision {decision!r} must be one of {', '.join(DECISIONS)}")
    if not reason.strip():
        raise InvalidInput("a decision on a candidate needs its reason: pass --reason")
    exists = session.scalar(
        select(PersonEntryRow.id).where(
            PersonEntryRow.register == register,
            PersonEntryRow.external_id == external_id,
            visible_to(authority_id),
        )
    )
    if exists is None:
        raise InvalidInput(f"no person {external_id!r} in register {register!r}")
    fingerprint = query_fingerprint(names)
    session.add(
        AdjudicationRow(
            query_fingerprint=fingerprint,
            register=register,
            external_id=external_id,
            decision=decision,
            reason=reason,
            decided_by=actor,
            decided_at=now,
            authority_id=request.authority_id,
            request_id=request.request_id,
        )
    )
    record(
        session,
        actor=actor,
        action=AuditAction.COMBINATION,
        tag=f"{actor}:person:adjudicate",
        subject_type="person_entry",
        subject_id=f"{register}/{external_id}",
        why=reason,
        at=now,
        details={"decision": decision, "query": fingerprint, "request": request.request_id},
    )
    session.flush()
    return {"register": register, "id": external_id, "decision": decision}


def _decisions(
    session: Session, query: PersonQuery, request: OnRequest
) -> dict[tuple[str, str], dict]:
    """The decisions taken on this request by its authority (and those recorded before
    decisions had a request, within their authority): nobody else's weakens its safeguards.
    With no authority (the operator checking the node's registers): the operator's own
    decisions, taken on no request, which count in no authority's screening."""
    if request.authority_id in (None, EVERY_AUTHORITY):
        whose = (AdjudicationRow.authority_id.is_(None), AdjudicationRow.request_id.is_(None))
    else:
        whose = (AdjudicationRow.authority_id == request.authority_id, _same_request(request))
    rows = session.scalars(
        select(AdjudicationRow)
        .where(AdjudicationRow.query_fingerprint == query_fingerprint(query.names))
        .where(*whose)
        .order_by(AdjudicationRow.id)
    ).all()
    latest = {}
    for row in rows:  # the latest decision for a pair wins
        latest[(row.register, row.external_id)] = {
            "decision": row.decision,
            "reason": row.reason,
            "by": row.decided_by,
            "at": as_utc(row.decided_at).isoformat(),
        }
    return latest


def _same_request(request: OnRequest):
    return (
        AdjudicationRow.request_id.is_(None)
        if request.request_id is None
        else or_(
            AdjudicationRow.request_id.is_(None),
            AdjudicationRow.request_id == request.request_id,
        )
    )
