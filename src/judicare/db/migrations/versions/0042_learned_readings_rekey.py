"""persons: the blocking keys of entries named in Cyrillic or Arabic recomputed, now that the
engine also reads such names back by a learned model (issue 16, `persons/learned.py`)

The learned readings are extra forms of a Cyrillic or Arabic name part: their consonant
skeletons are new blocking keys. An entry stored earlier keeps the keys it had, and a query
that meets it only by a learned reading would not find it, so the keys of every entry with
a name in either script are recomputed by the engine as it is now. The character trigrams
are left as they are: they are made from each part's first reading, which the learned
readings (read last) do not change. Entries written only in other scripts keep their keys,
which the change does not touch. `judicare persons rekey` does the same, for every entry,
after any later change of the engine.

Revision ID: 0042
Revises: 0032
Create Date: 2026-12-06 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

CHUNK = 5_000


def _learned_script(names: tuple[str, ...]) -> bool:
    from judicare.persons.learned import LEARNED_SYSTEMS
    from judicare.persons.romanise import script_of

    return any(script_of(n) in LEARNED_SYSTEMS for n in names if n and n.strip())


def upgrade() -> None:
    from judicare.persons.keys import blocking_keys

    bind = op.get_bind()
    entries = sa.table("person_entries", sa.column("id", sa.Integer), sa.column("names", sa.JSON))
    keys = sa.table("person_keys", sa.column("entry_id", sa.Integer), sa.column("key", sa.String))
    rows: list[dict] = []
    stale: list[int] = []
    for entry_id, names in bind.execute(sa.select(entries.c.id, entries.c.names)).all():
        named = tuple(names or ())
        if not _learned_script(named):
            continue
        stale.append(entry_id)
        rows.extend({"entry_id": entry_id, "key": k} for k in sorted(blocking_keys(named)))
    for start in range(0, len(stale), CHUNK):
        bind.execute(sa.delete(keys).where(keys.c.entry_id.in_(stale[start : start + CHUNK])))
    for start in range(0, len(rows), CHUNK):
        bind.execute(sa.insert(keys), rows[start : start + CHUNK])


def downgrade() -> None:
    """Nothing to undo in the schema: the extra keys only widen what is found; `judicare
    persons rekey` recomputes every key with the engine of the version installed."""
