"""Person screening: find a person across scripts, spellings and registers (issue 5).

The matching engine is pure: it takes plain values and returns plain values, reads no file
but its own packaged cases, opens no connection, and sends no name anywhere:

- `domain`: `PartialDate`, `PersonRecord`, `PersonQuery`, `Candidate`;
- `names`: normalisation, romanisation variants (ICU transforms) and phonetic keys;
- `keys`: blocking keys, stable strings to store and fetch candidates by;
- `scoring`: `score_pair`, one query against one record, with an explanation;
- `index`: `PersonIndex`, an in-memory index built on the two above.

Around it, and not pure: `models` (the stored registers and index), `service` and
`registers` (storing, importing and searching through a database session) and `cli`.
"""
