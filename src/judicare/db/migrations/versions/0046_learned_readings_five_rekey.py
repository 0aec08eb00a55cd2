"""persons: the blocking keys of entries named in Cyrillic or Arabic recomputed, now that the
learned model reads such a name part back into up to five Latin spellings, not three (issue
16, `persons/learned.py`: `READINGS`, `MARGIN`)

The learned readings are extra forms of a name part, and their consonant skeletons are
blocking keys: an entry stored earlier keeps the keys it had, and a query that meets it only
by a fourth or fifth reading would not find it. As in 0042, the keys of every entry with a
name in either script are recomputed by the engine as it is now, each with its entry's scope
(0040), and the key counts are rebuilt from the postings. The character trigrams are left as
they are: they are made from each part's first reading, which the learned readings (read
last) do not change. `judicare persons rekey` does the same, for every entry, after any later
change of the engine.

Revision ID: 0046
Revises: 0040
Create Date: 2026-12-06 04:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0040"
branch_labels = None
depends_on = None

CHUNK = 5_000
# judicare.persons.registers `scope_of` as it is at this revision (as in 0040): the owning
# authority, else "-" for an entry of the authority-owned register `requests`, else "".
_AUTHORITY_OWNED = ("requests",)


def _scope(register: str, authority_id: str | None) -> str:
    if authority_id is not None:
        return authority_id
    return "-" if register in _AUTHORITY_OWNED else ""


def _learned_script(names: tuple[str, ...]) -> bool:
    from judicare.persons.learned import LEARNED_SYSTEMS
    from judicare.persons.romanise import script_of

    return any(script_of(n) in LEARNED_SYSTEMS for n in names if n and n.strip())


def upgrade() -> None:
    from judicare.persons.keys import blocking_keys

    bind = op.get_bind()
    entries = sa.table(
        "person_entries",
        sa.column("id", sa.Integer),
        sa.column("names", sa.JSON),
        sa.column("register", sa.String),
        sa.column("authority_id", sa.String),
    )
    keys = sa.table(
        "person_keys",
        sa.column("entry_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("scope", sa.String),
    )
    rows: list[dict] = []
    stale: list[int] = []
    select = sa.select(entries.c.id, entries.c.names, entries.c.register, entries.c.authority_id)
    for entry_id, names, register, authority_id in bind.execute(select).all():
        named = tuple(names or ())
        if not _learned_script(named):
            continue
        stale.append(entry_id)
        scope = _scope(register, authority_id)
        rows.extend(
            {"entry_id": entry_id, "key": k, "scope": scope} for k in sorted(blocking_keys(named))
        )
    if not stale:
        return
    for start in range(0, len(stale), CHUNK):
        bind.execute(sa.delete(keys).where(keys.c.entry_id.in_(stale[start : start + CHUNK])))
    for start in range(0, len(rows), CHUNK):
        bind.execute(sa.insert(keys), rows[start : start + CHUNK])
    op.execute("DELETE FROM person_key_counts")
    op.execute(
        "INSERT INTO person_key_counts (key, scope, entries)"
        " SELECT key, scope, count(*) FROM person_keys GROUP BY key, scope"
    )


def downgrade() -> None:
    """Nothing to undo in the schema: the extra keys only widen what is found; `judicare
    persons rekey` recomputes every key with the engine of the version installed."""
