"""Person screening: find a person across scripts, spellings and registers (issue 5).

The matching engine is pure: it takes plain values and returns plain values, reads no file
but its own packaged cases, opens no connection, and sends no name anywhere:

- `domain`: `PartialDate`, `PersonRecord`, `PersonQuery`, `Candidate`;
- `names`: a name read into parts (`parse_name`), on top of `lexicon` (titles, particles,
  legal forms), `romanise` (scripts, ICU transforms, the ASCII fold, the consonant
  skeleton), `parts` (one part and its readings), `han` (Wade-Giles to pinyin) and
  `legal_forms`; `names` re-exports what they offer;
- `keys`: blocking keys, stable strings to store and fetch candidates by;
- `scoring`: `score_pair`, one query against one record, with an explanation; `compare`
  (two name parts), `points` (the safeguard and identification operating points) and
  `fallback` (the safeguard's whole-name comparison) under it;
- `index`: `PersonIndex`, an in-memory index built on the two above.

Around it, and not pure: `models` (the stored registers and index), `service` and
`registers` (storing, importing and searching through a database session) and `cli`.
"""
