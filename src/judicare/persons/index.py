"""An in-memory person index: records filed under their blocking keys, scored on query.

A query is answered in two steps:
1. *Blocking.* The query's keys are looked up rarest first. Each record met gets the
   inverse document frequency of the key (rare keys say more). A rare key files every
   record it holds; a commoner one (more than `full_read` postings) only adds its weight
   to the records already found, by a set intersection. Keys held by more than
   `max_key_share` of the index (a skeleton as common as MD, Mohammad) are only used when
   the query has nothing rarer, and the walk stops once `posting_budget` postings have
   been read: the rarer keys (name pairs, rare surnames) have already found the record.
2. *Scoring.* The `shortlist` records with the most evidence are scored with `score_pair`;
   those at or above the threshold are returned, best first.

At an operating point with a fallback (the safeguard), the fallback's pool is the next
`fallback_pool` records by blocking evidence and, beside them, the `ngram_top` records whose
folded reading shares the most character trigrams with the query's (idf-weighted, rarest
grams first, at most `ngram_budget` postings read): a record that shares no blocking key
with the query (Бабюх Уги against Babiuch Ughi) is still compared whole. Such a record's
explanation says "found by character n-grams".

The postings are compact: blocking keys by number, a bulk load's postings frozen in numpy
segments (see `PersonIndex`); a removed record leaves its slot empty.
"""

from __future__ import annotations

import gc
import heapq
import math
from array import array
from collections.abc import Collection, Iterable
from dataclasses import replace
from itertools import combinations, repeat

import numpy as np

from .domain import Candidate, PersonQuery, PersonRecord
from .fallback import (
    FALLBACK_WEIGHT,
    FOUND_BY_NGRAMS,
    fallback_ratios,
    gram_walk,
    grams_of,
    query_forms,
    record_reading,
    sorted_tokens,
    top_by_score,
    with_fallback,
)
from .keys import key_atoms, pair_key
from .names import NO_PARTS, ParsedName, Part, aliases, parse_name
from .scoring import (
    CONFLICT_COST,
    DEFAULT_THRESHOLD,
    MIN_PART_SIMILARITY,
    OperatingPoint,
    evidence_effect,
    parse_names,
    quick_score,
    score_pair,
)

# The retrieval's sizes, the same for the in-memory index and the database
# (`service.match`): see the module's docstring.
SHORTLIST = 25
POSTING_BUDGET = 60_000
MAX_KEY_SHARE = 0.02
FULL_READ = 1_000
FALLBACK_POOL = 400
NGRAM_TOP = 20
NGRAM_BUDGET = 4_000
# records with evidence from which `most_evidence` ranks in numpy rather than with `heapq`
NUMPY_RANKING = 1_000
# records filed in one `add_all` from which the objects filed are frozen out of the cyclic
# collector's reach afterwards (`gc.freeze`)
FREEZE_FROM = 50_000
# records whose postings `add_all` freezes into one numpy segment (`_Segment`)
CHUNK = 1 << 19
# A blocking key's number: a part's key (`s:`, `t:`, `w:`) is numbered in the order first
# filed (below 2**31); a pair of primary skeletons `p:A+B` is `PAIR | a << ATOM_BITS | b`
# with `a` and `b` the numbers of `s:A` and `s:B` (A before B), so no two keys share one.
ATOM_BITS = 31
ATOM_MASK = (1 << ATOM_BITS) - 1
PAIR = 1 << 63

# A record's (register, id) as filed in numpy once frozen: Python's hash, the same within a
# process (the index is not stored); two that share one are told apart by the record.
_ident_hash = hash

# A name's reading but its parts (kept once per distinct value): script, systems, titles
# dropped, reordered, fathers, own, organisation, qualifiers.
_Shape = tuple[
    str, tuple[str, ...], tuple[str, ...], bool, frozenset[int], int, bool, frozenset[int]
]


class _Segment:
    """The postings of a run of slots filed together, frozen: every key's number (`codes`,
    ascending, each once), where its slots begin in `slots` (`starts`, one more than the
    codes: a key's slots are `slots[starts[i]:starts[i + 1]]`, ascending), and the slots.
    Twelve bytes a key and four a posting, where a dict of strings took about a hundred a
    key (most keys, name pairs, are held by one record)."""

    __slots__ = ("codes", "high", "slots", "starts")

    def __init__(self, codes: np.ndarray, slots: np.ndarray, high: int) -> None:
        order = np.argsort(codes, kind="stable")  # a key's slots stay in the order filed
        codes = codes[order]
        self.slots: np.ndarray = slots[order]
        del order
        if len(codes):
            first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        else:
            first = np.zeros(0, dtype=np.int64)
        self.codes: np.ndarray = codes[first]
        self.starts: np.ndarray = np.append(first, len(codes)).astype(np.uint32)
        self.high = high  # the slots filed here are below it (and at or above the previous')

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The postings as (key number, slot) pairs, a key's in order."""
        return np.repeat(self.codes, np.diff(self.starts)), self.slots


class PersonIndex:
    """Records of any number of registers, found by name, birth date and nationality.

    Memory (issue 22): the records themselves are kept as given; what the index adds is
    kept compact. Blocking keys are numbered (`_atoms`: each key of one part, `s:FLDMR`, is
    numbered once; a pair key `p:BTN+FLDMR` is the two numbers of its skeletons' `s:` keys
    in one 64-bit integer, so that numbering is exact: no two keys share a number). A bulk
    load (`add_all`) files its postings in frozen numpy segments (`_Segment`); a record
    added alone files them in a dict (`_delta`) until the next bulk load freezes it too. A
    record removed from a segment leaves its postings there, counted in `_dead` and skipped
    on reading (`_gone`), so that each key's number of postings stays exact. Each record's
    names as read are kept as numbers (`_names`: of each name its shape, `_shapes`, and
    its parts, `_vocab`, which a register shares) and made again when the record is scored;
    the fallback's readings as UTF-8 text (`_fold_text`); a record's slot is found by the
    hash of its register and id (numpy, checked against the record) once frozen."""

    def __init__(
        self,
        *,
        shortlist: int = SHORTLIST,
        posting_budget: int = POSTING_BUDGET,
        max_key_share: float = MAX_KEY_SHARE,
        full_read: int = FULL_READ,
        fallback_pool: int = FALLBACK_POOL,
        ngram_top: int = NGRAM_TOP,
        ngram_budget: int = NGRAM_BUDGET,
    ) -> None:
        self.fallback_pool = fallback_pool
        self.ngram_top = ngram_top
        self.ngram_budget = ngram_budget
        self.shortlist = shortlist
        self.full_read = full_read
        self.posting_budget = posting_budget
        self.max_key_share = max_key_share
        self._records: list[PersonRecord | None] = []
        self._size = 0
        # Blocking keys by number: each part's key (`s:`, `t:`, `w:`) numbered once.
        self._atoms: dict[str, int] = {}
        self._atom_list: list[str] = []
        # The postings: frozen segments (slots below `_frozen`), then the records added one
        # by one since (`_delta`: a key held by one of them files its slot alone), then,
        # while `add_all` runs, the pending postings of its records (slots from `_bulk`).
        self._segments: list[_Segment] = []
        self._frozen = 0
        self._delta: dict[int, array[int] | int] = {}
        self._bulk: int | None = None
        self._pending_codes: array[int] = array("Q")
        self._pending_slots: array[int] = array("I")
        self._dead: dict[int, int] = {}  # key number -> postings of removed records frozen
        self._gone: set[int] = set()  # the slots of those records
        # A record's slot by (register, id): a dict until frozen, then hashes in numpy.
        self._fresh: dict[tuple[str, str], int] = {}
        self._ident_hashes: np.ndarray = np.zeros(0, dtype=np.int64)
        self._ident_slots: np.ndarray = np.zeros(0, dtype=np.uint32)
        # Each record's names as read: per name its shape and its parts, by number.
        self._vocab: list[Part] = []
        self._vocab_ids: dict[Part, int] = {}
        self._shapes: list[_Shape] = []
        self._shape_ids: dict[_Shape, int] = {}
        self._names: array[int] = array("I")
        self._names_at: array[int] = array("Q", (0,))
        # The fallback's reading of each record's names, folded and token-sorted when filed
        # (one line each, in UTF-8).
        self._fold_text = bytearray()
        self._fold_at: array[int] = array("Q", (0,))
        # The character trigrams of those readings: gram -> slots, for the fallback's retrieval.
        self._grams: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return self._size

    def add(self, record: PersonRecord) -> None:
        """File a record; a record with the same register and id is replaced."""
        self._add(record)

    def _add(self, record: PersonRecord) -> None:
        ident = (record.register, record.id)
        if self.slot_of(*ident) is not None:
            self.remove(*ident)
        slot = len(self._records)
        self._records.append(record)
        parsed = tuple(compact(p) for p in parse_names(record.names))
        self._file_names(parsed)
        # as `record_forms` and `blocking_keys` read them, from the names read once
        folded = tuple(dict.fromkeys(sorted_tokens(record_reading(p)) for p in parsed))
        self._fold_text += "\n".join(folded).encode("utf-8", "surrogatepass")
        self._fold_at.append(len(self._fold_text))
        self._fresh[ident] = slot
        grams = self._grams
        for gram in grams_of(folded):
            gram_bucket = grams.get(gram)
            if gram_bucket is None:
                grams[gram] = array("I", (slot,))
            else:
                gram_bucket.append(slot)
        codes = self._codes(parsed)
        if self._bulk is not None:
            self._pending_codes.extend(codes)
            self._pending_slots.extend(repeat(slot, len(codes)))
        else:
            postings = self._delta
            for code in codes:
                bucket = postings.get(code)
                if bucket is None:
                    postings[code] = slot
                elif isinstance(bucket, int):
                    postings[code] = array("I", (bucket, slot))
                else:
                    bucket.append(slot)
        self._size += 1

    def add_all(self, records: Iterable[PersonRecord]) -> None:
        """File many records, their postings frozen into numpy segments (`_Segment`) every
        `CHUNK` records and at the end. Python's cyclic garbage collector is paused
        meanwhile: filing makes many long-lived objects and no reference cycles, and each
        full collection would walk every object filed so far (at 300,000 records, about a
        sixth of the build's CPU). Reference counting still frees what is dropped. After a
        large load (`FREEZE_FROM` records or more) the objects filed are moved out of the
        collector's reach (`gc.freeze`), so that later collections, while queries run, do
        not walk the whole index again."""
        paused = gc.isenabled()
        gc.disable()
        filed = 0
        self._bulk = len(self._records)
        try:
            for record in records:
                self._add(record)
                filed += 1
                if len(self._records) - self._frozen >= CHUNK:
                    self._freeze()
        finally:
            self._freeze()
            self._bulk = None
            if paused:
                gc.enable()
        if filed >= FREEZE_FROM:
            gc.freeze()

    def _freeze(self) -> None:
        """Move the postings and slots of the records filed since the last segment (those
        added one by one, then those of `add_all`) into a new segment; two segments that
        together hold at most `CHUNK` records become one, so that many small loads do not
        leave many segments to search."""
        high = len(self._records)
        if high > self._frozen:
            codes, slots = self._pending_codes, self._pending_slots
            if self._delta:  # the records added one by one come first
                codes, slots = array("Q"), array("I")
                for code, bucket in self._delta.items():
                    if isinstance(bucket, int):
                        codes.append(code)
                        slots.append(bucket)
                    else:
                        codes.extend(repeat(code, len(bucket)))
                        slots.extend(bucket)
                codes.extend(self._pending_codes)
                slots.extend(self._pending_slots)
            self._delta = {}
            self._pending_codes = array("Q")
            self._pending_slots = array("I")
            new_codes = np.frombuffer(codes, dtype=np.uint64)
            new_slots = np.frombuffer(slots, dtype=np.uint32)
            segments = self._segments
            low = segments[-2].high if len(segments) > 1 else 0
            if segments and high - low <= CHUNK:
                old_codes, old_slots = segments.pop().pairs()
                new_codes = np.concatenate((old_codes, new_codes))
                new_slots = np.concatenate((old_slots, new_slots))
                del old_codes, old_slots
            segments.append(_Segment(new_codes, new_slots, high))
            del codes, slots, new_codes, new_slots
            self._frozen = high
        if self._fresh:
            fresh = self._fresh
            hashes = np.fromiter(map(_ident_hash, fresh), dtype=np.int64, count=len(fresh))
            slots_ = np.fromiter(fresh.values(), dtype=np.uint32, count=len(fresh))
            hashes = np.concatenate((self._ident_hashes, hashes))
            slots_ = np.concatenate((self._ident_slots, slots_))
            order = np.argsort(hashes, kind="stable")
            self._ident_hashes, self._ident_slots = hashes[order], slots_[order]
            self._fresh = {}
        if self._bulk is not None:
            self._bulk = len(self._records)

    def slot_of(self, register: str, id: str) -> int | None:
        """The slot of the record filed with this register and id, if any."""
        ident = (register, id)
        slot = self._fresh.get(ident)
        if slot is not None:
            return slot
        hashes = self._ident_hashes
        if not len(hashes):
            return None
        h = _ident_hash(ident)
        at = int(np.searchsorted(hashes, h))
        records = self._records
        while at < len(hashes) and hashes[at] == h:  # two idents may share a hash
            slot = int(self._ident_slots[at])
            record = records[slot]
            if record is not None and record.register == register and record.id == id:
                return slot
            at += 1
        return None

    def remove(self, register: str, id: str) -> bool:
        """Take a record out; say whether it was there."""
        slot = self.slot_of(register, id)
        if slot is None:
            return False
        self._fresh.pop((register, id), None)
        parsed = self.parsed(slot)
        for gram in grams_of(self.folded(slot)):
            gram_bucket = self._grams.get(gram)
            if gram_bucket is not None and slot in gram_bucket:
                gram_bucket.remove(slot)
                if not gram_bucket:
                    del self._grams[gram]
        self._records[slot] = None
        codes = self._codes(parsed)
        if slot < self._frozen or (self._bulk is not None and slot >= self._bulk):
            # filed in a segment, or pending for the next: counted out, skipped on reading
            dead = self._dead
            for code in codes:
                dead[code] = dead.get(code, 0) + 1
            self._gone.add(slot)
        else:
            postings = self._delta
            for code in codes:
                bucket = postings.get(code)
                if isinstance(bucket, int):
                    if bucket == slot:
                        del postings[code]
                elif bucket is not None and slot in bucket:
                    bucket.remove(slot)
                    if not bucket:
                        del postings[code]
        self._size -= 1
        return True

    def get(self, register: str, id: str) -> PersonRecord | None:
        slot = self.slot_of(register, id)
        return None if slot is None else self._records[slot]

    def parsed(self, slot: int) -> tuple[ParsedName, ...]:
        """A record's names as read when it was filed (`parse_names`), made again from the
        numbers kept: () for a slot whose record was removed."""
        record = self._records[slot]
        if record is None:
            return ()
        data = self._names
        at = self._names_at[slot]
        vocab = self._vocab
        shapes = self._shapes
        out = []
        for name in record.names:
            if not (name and name.strip()):
                continue
            for alias in aliases(name):
                script, systems, dropped, reordered, fathers, own, organisation, qualifiers = (
                    shapes[data[at]]
                )
                end = at + 2 + data[at + 1]
                parts = tuple([vocab[p] for p in data[at + 2 : end]])
                at = end
                out.append(
                    ParsedName(
                        alias,
                        script,
                        systems,
                        parts,
                        dropped,
                        reordered,
                        fathers,
                        own,
                        organisation,
                        qualifiers,
                    )
                )
        return tuple(out)

    def folded(self, slot: int) -> tuple[str, ...]:
        """A record's readings as the fallback compares them (`record_forms`), as filed: ()
        for a slot whose record was removed."""
        if self._records[slot] is None:
            return ()
        at = self._fold_at
        text = self._fold_text[at[slot] : at[slot + 1]].decode("utf-8", "surrogatepass")
        return tuple(text.split("\n"))

    def _file_names(self, parsed: tuple[ParsedName, ...]) -> None:
        data = self._names
        vocab_ids = self._vocab_ids
        shape_ids = self._shape_ids
        for name in parsed:
            shape: _Shape = (
                name.script,
                name.systems,
                name.dropped_titles,
                name.reordered,
                name.fathers,
                name.own,
                name.organisation,
                name.qualifiers,
            )
            shape_id = shape_ids.get(shape)
            if shape_id is None:
                shape_id = shape_ids[shape] = len(self._shapes)
                self._shapes.append(shape)
            data.append(shape_id)
            data.append(len(name.parts))
            for part in name.parts:
                part_id = vocab_ids.get(part)
                if part_id is None:
                    part_id = vocab_ids[part] = len(self._vocab)
                    self._vocab.append(part)
                data.append(part_id)
        self._names_at.append(len(data))

    def _codes(self, parsed: tuple[ParsedName, ...]) -> set[int]:
        """The numbers of a record's blocking keys (`blocking_keys`), each key of a part
        numbered the first time it is filed."""
        atoms = self._atoms
        codes: set[int] = set()
        for name in parsed:
            own, primaries = key_atoms(name)
            for key in own:
                code = atoms.get(key)
                if code is None:
                    code = atoms[key] = len(self._atom_list)
                    if code > ATOM_MASK:
                        raise OverflowError("more distinct blocking keys than can be numbered")
                    self._atom_list.append(key)
                codes.add(code)
            numbers = [atoms["s:" + p] for p in primaries]
            for a, b in combinations(numbers, 2):
                codes.add(PAIR | a << ATOM_BITS | b)
        return codes

    def _query_codes(self, names: tuple[str, ...]) -> dict[str, int]:
        """The query's blocking keys (`blocking_keys`) that some record was filed under,
        with their numbers."""
        atoms = self._atoms
        found: dict[str, int] = {}
        for name in names:
            if not (name and name.strip()):
                continue
            for alias in aliases(name):
                own, primaries = key_atoms(parse_name(alias))
                for key in own:
                    code = atoms.get(key)
                    if code is not None:
                        found[key] = code
                numbers = [atoms.get("s:" + p) for p in primaries]
                for (a, na), (b, nb) in combinations(zip(primaries, numbers, strict=True), 2):
                    if na is not None and nb is not None:
                        found[pair_key(a, b)] = PAIR | na << ATOM_BITS | nb
        return found

    def _held(self, codes: dict[str, int]) -> dict[str, tuple[int, list[tuple[int, int, int]]]]:
        """Of `codes` (key -> number), those held by a record: each key's number of postings
        and where they are in the segments (segment, start, end)."""
        if not codes:
            return {}
        numbers = list(codes.values())
        where: list[list[tuple[int, int, int]]] = [[] for _ in numbers]
        counts = [0] * len(numbers)
        wanted = np.array(numbers, dtype=np.uint64)
        for k, segment in enumerate(self._segments):
            held_here = len(segment.codes)
            if not held_here:
                continue
            at = segment.codes.searchsorted(wanted)
            np.minimum(at, held_here - 1, out=at)
            hit = np.flatnonzero(segment.codes[at] == wanted)
            if not len(hit):
                continue
            at = at[hit]
            starts = segment.starts
            for i, start, end in zip(
                hit.tolist(), starts[at].tolist(), starts[at + 1].tolist(), strict=True
            ):
                where[i].append((k, start, end))
                counts[i] += end - start
        held: dict[str, tuple[int, list[tuple[int, int, int]]]] = {}
        delta = self._delta
        dead = self._dead
        for i, (key, code) in enumerate(codes.items()):
            count = counts[i] - dead.get(code, 0)
            bucket = delta.get(code)
            if bucket is not None:
                count += 1 if isinstance(bucket, int) else len(bucket)
            if count > 0:
                held[key] = (count, where[i])
        return held

    def _postings(self, code: int, where: list[tuple[int, int, int]]) -> array[int]:
        """A key's postings, ascending: its slots in each segment, then those added since."""
        found = array("I")
        for k, start, end in where:
            found.frombytes(self._segments[k].slots[start:end].tobytes())
        bucket = self._delta.get(code)
        if bucket is not None:
            found.extend(slots_of(bucket))
        if self._dead.get(code):
            gone = self._gone
            found = array("I", [s for s in found if s not in gone])
        return found

    def filed(self) -> dict[str, list[int]]:
        """Every blocking key filed with its records' slots, ascending (for tests and checks:
        it reads the whole index)."""
        out: dict[str, list[int]] = {}
        codes: set[int] = set(self._delta)
        for segment in self._segments:
            codes.update(segment.codes.tolist())
        by_key = {self._key_text(code): code for code in codes}
        for key, (_, where) in self._held(by_key).items():
            out[key] = self._postings(by_key[key], where).tolist()
        return out

    def _key_text(self, code: int) -> str:
        if code & PAIR:
            a, b = (code >> ATOM_BITS) & ATOM_MASK, code & ATOM_MASK
            return pair_key(self._atom_list[a][2:], self._atom_list[b][2:])
        return self._atom_list[code]

    def candidates(self, query: PersonQuery) -> list[int]:
        """The `shortlist` slots with the most evidence (see `evidence`)."""
        evidence = self.evidence(query)
        if len(evidence) <= self.shortlist:
            return list(evidence)
        return most_evidence(evidence, self.shortlist)

    def evidence(self, query: PersonQuery) -> dict[int, float]:
        """Blocking: the slots of the records worth scoring, most evidence first.

        Keys are read rarest first. A rare key (at most `full_read` postings) files every
        record it holds. A commoner key only adds its weight to the records already found:
        a record that shares nothing rarer with the query would not reach the shortlist
        anyway, and the intersection runs in C rather than slot by slot. When the query
        has no rare key at all, the commonest records are those that share the most
        common keys: the first common key is the pool, and the others count within it.
        """
        registers = set(query.registers) if query.registers else None
        codes = self._query_codes(query.names)
        held = self._held(codes)
        chosen = key_walk(
            ((k, df) for k, (df, _) in held.items()),
            size=self._size,
            max_key_share=self.max_key_share,
            posting_budget=self.posting_budget,
        )
        evidence = walk_evidence(
            [self._postings(codes[k], held[k][1]) for k in chosen],
            size=self._size,
            full_read=self.full_read,
            shortlist=self.shortlist,
        )
        if registers:
            records = self._records
            evidence = {
                s: e for s, e in evidence.items() if (r := records[s]) and r.register in registers
            }
        return evidence

    def ngram_candidates(self, query: PersonQuery, forms: set[str] | None = None) -> list[int]:
        """The `ngram_top` slots whose folded reading shares the most character trigrams
        with a reading of the query, each gram weighted by its inverse document frequency.
        Grams are read rarest first, each whole, and the walk stops before the gram that
        would take it past `ngram_budget` postings (the rare grams, which say most, come
        first), so a query costs at most that on a register of any size. The database's
        retrieval (`service.match`) reads the same grams with the same helpers."""
        grams = self._grams
        readings = query_forms(query.names) if forms is None else forms
        held = {g: len(bucket) for g in grams_of(readings) if (bucket := grams.get(g))}
        chosen = gram_walk(held.items(), self.ngram_budget)
        top = top_by_gram_postings([grams[g] for g in chosen], self._size, self.ngram_top * 2)
        if not top:
            return []
        if query.registers:
            registers = set(query.registers)
            records = self._records
            top = [s for s in top if (r := records[s]) is not None and r.register in registers]
        return top[: self.ngram_top]

    def _query_forms(self, query: PersonQuery) -> set[str]:
        """Every reading of the query's names as the fallback compares them, token-sorted."""
        return query_forms(query.names)

    def fallback_ratios(
        self, query: PersonQuery, slots: list[int], forms: set[str] | None = None
    ) -> dict[int, float]:
        """The safeguard's wider net: of `slots`, those that a plain whole-name comparison
        finds alike (rapidfuzz `token_sort_ratio` at least `FALLBACK_RATIO`), with their best
        ratio. The records' names were folded and their tokens sorted when they were filed,
        so this is one `ratio` call per reading of the query over the lot, in C."""
        text, at, records = self._fold_text, self._fold_at, self._records
        return fallback_ratios(
            self._query_forms(query) if forms is None else forms,
            (
                # as `folded(slot)`, inline: this reads hundreds of records a query
                (slot, text[at[slot] : at[slot + 1]].decode("utf-8", "surrogatepass").split("\n"))
                for slot in slots
                if records[slot] is not None
            ),
        )

    def fallback_candidates(self, query: PersonQuery, pool: list[int]) -> list[int]:
        """Of `pool` (beyond the shortlist, the `fallback_pool` records with the most
        evidence), those that a plain whole-name comparison finds alike."""
        found = self.fallback_ratios(query, pool)
        return [slot for slot in pool if slot in found]

    def query(
        self,
        query: PersonQuery,
        threshold: float | None = None,
        limit: int | None = None,
        point: OperatingPoint | None = None,
    ) -> list[Candidate]:
        """Candidates at or above the threshold, best first. Without an operating point: the
        identification point's rules, `threshold` (default `DEFAULT_THRESHOLD`) and `limit`
        (default 20). At an operating point, its threshold and limit unless given here, and
        at a point with a fallback, also the records a plain whole-name comparison finds."""
        threshold = (
            (point.threshold if point else DEFAULT_THRESHOLD) if threshold is None else threshold
        )
        limit = (point.limit if point else 20) if limit is None else limit
        min_part = point.min_part_similarity if point else MIN_PART_SIMILARITY
        conflict = point.conflict_cost if point else CONFLICT_COST
        registers = set(query.registers) if query.registers else None
        query_parsed = parse_names(query.names)
        evidence = self.evidence(query)
        wide = point is not None and point.fallback
        ranked = most_evidence(evidence, self.shortlist + (self.fallback_pool if wide else 0))
        slots = ranked[: self.shortlist]
        ratios: dict[int, float] = {}
        by_ngrams: set[int] = set()
        if wide:
            forms = self._query_forms(query)
            known = set(ranked)
            by_ngrams = {s for s in self.ngram_candidates(query, forms) if s not in known}
            ngram_slots = sorted(by_ngrams)
            ratios = self.fallback_ratios(query, ranked + ngram_slots, forms)
            slots += [s for s in ranked[self.shortlist :] + ngram_slots if s in ratios]
        # Every record is scored without its explanation first (the fallback's score from
        # the ratio already measured); only those shown are explained.
        # Equal scores (1.0 is a cap) are ranked by what the birth date and nationality add:
        # of two records with the same name, the one whose facts agree with the query's first.
        scored: list[tuple[float, float, str, str, int, bool]] = []
        for slot in slots:
            record = self._records[slot]
            if record is None or (registers and record.register not in registers):
                continue
            quick = quick_score(query, query_parsed, record, self.parsed(slot), min_part, conflict)
            lifted = False
            if quick < threshold and slot in ratios:
                lifted_score = round(max(quick, FALLBACK_WEIGHT * ratios[slot] / 100), 4)
                if lifted_score >= threshold:
                    quick, lifted = lifted_score, True
            if quick >= threshold:
                effect = -evidence_effect(query, record)
                scored.append((-quick, effect, record.register, record.id, slot, lifted))
        scored.sort()
        out = []
        facts: dict[tuple[str, str], float] = {}
        for _, effect, register, ident, slot, lifted in scored[:limit]:
            facts[(register, ident)] = effect
            record = self._records[slot]
            assert record is not None
            candidate = score_pair(query, record, point)
            found_by = FOUND_BY_NGRAMS if slot in by_ngrams else None
            if lifted:
                candidate = with_fallback(query, record, candidate, threshold, found_by=found_by)
            if found_by:
                explanation = {**candidate.explanation, "retrieval": found_by}
                candidate = replace(candidate, explanation=explanation)
            if candidate.score >= threshold:
                out.append(candidate)
        out.sort(key=lambda c: (-c.score, facts[(c.register, c.id)], c.register, c.id))
        return out


def key_walk(
    keys: Iterable[tuple[str, int]], *, size: int, max_key_share: float, posting_budget: int
) -> list[str]:
    """The blocking keys (with their number of postings) that blocking reads: rarest first
    (equally rare ones in the keys' order, so that every store reads the same), the first
    always, then each as long as it is not common (held by more than `max_key_share` of the
    `size` records, at least 50) and the postings read stay within `posting_budget`."""
    common = max(50, int(max_key_share * max(size, 1)))
    chosen: list[str] = []
    read = 0
    for key, df in sorted(keys, key=lambda k: (k[1], k[0])):
        if chosen and (df > common or read + df > posting_budget):
            break
        chosen.append(key)
        read += df
    return chosen


def walk_evidence(
    found: list[Collection[int]], *, size: int, full_read: int, shortlist: int
) -> dict[int, float]:
    """Each record's blocking evidence from the postings of the keys chosen by `key_walk`,
    in that order: a key's weight is its inverse document frequency. A rare key (at most
    `full_read` postings) files every record it holds; a commoner one only adds its weight
    to the records already found, or, when nothing rarer was found, becomes the pool within
    which the others count (and from which, lowest first, the shortlist is filled up)."""
    n = max(size, 1)
    evidence: dict[int, float] = {}
    pool: set[int] | None = None  # the first common key's records, when nothing rarer
    pool_weight = 0.0
    for bucket in found:
        df = len(bucket)
        weight = math.log(1 + n / df)
        get = evidence.get
        if df <= full_read:
            for slot in bucket:
                evidence[slot] = get(slot, 0.0) + weight
        elif evidence:
            found_here: Collection[int]
            if isinstance(bucket, array):  # the index's postings: slots in ascending order
                found_here = sorted_members(evidence.keys(), bucket)
            else:
                found_here = evidence.keys() & bucket
            for slot in found_here:
                evidence[slot] += weight
        elif pool is None:
            pool, pool_weight = set(bucket), weight
        else:
            for slot in pool.intersection(bucket):
                evidence[slot] = get(slot, pool_weight) + weight
    if pool is not None and len(evidence) < shortlist:
        # the pool's other records, all with the same evidence, the first filed first
        for slot in heapq.nsmallest(shortlist * 4 - len(evidence), pool - evidence.keys()):
            evidence[slot] = pool_weight
    return evidence


def most_evidence(evidence: dict[int, float], k: int) -> list[int]:
    """The `k` records with the most evidence, ties by the first filed (lowest slot or id).
    Over many records, in numpy (`top_k`, the same records in the same order)."""
    if len(evidence) < NUMPY_RANKING:
        return top_by_score(evidence, k)
    owners = np.fromiter(evidence.keys(), dtype=np.int64, count=len(evidence))
    scores = np.fromiter(evidence.values(), dtype=np.float64, count=len(evidence))
    return top_k(owners, scores, k)


def sorted_members(slots: Collection[int], bucket: array[int]) -> list[int]:
    """Those of `slots` that `bucket` holds, `bucket` being in ascending order (the index
    appends each record's slot, always the highest yet, and removing keeps the order): a
    binary search per slot, in numpy, instead of reading a common key's every posting."""
    if not slots or not bucket:
        return []
    wanted = np.fromiter(slots, dtype=np.int64, count=len(slots))
    held = np.array(bucket, dtype=np.int64)
    at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
    found: list[int] = wanted[held[at] == wanted].tolist()
    return found


def top_by_gram_postings(buckets: list[array[int]], size: int, k: int) -> list[int]:
    """`top_by_grams(gram_scores(...), k)` from the index's postings, in numpy: each slot's
    score is the sum of the inverse document frequencies of the grams that hold it, added
    in the grams' order (as `gram_scores` adds them, so the sums are the same to the last
    bit), and the `k` best are taken, ties by the lower slot."""
    buckets = [b for b in buckets if b]
    if not buckets:
        return []
    n = max(size, 1)
    slots = np.concatenate([np.array(b, dtype=np.int64) for b in buckets])
    weights = np.repeat(
        np.array([math.log(1 + n / len(b)) for b in buckets], dtype=np.float64),
        [len(b) for b in buckets],
    )
    owners, inverse = np.unique(slots, return_inverse=True)
    sums = np.zeros(len(owners), dtype=np.float64)
    np.add.at(sums, inverse, weights)  # unbuffered, in order: the same sums as in Python
    return top_k(owners, sums, k)


def top_k(owners: np.ndarray, scores: np.ndarray, k: int) -> list[int]:
    """The `k` owners with the highest score, ties by the lower owner, best first (the
    order of `top_by_score`)."""
    if k <= 0:
        return []
    if k < len(scores):
        cut = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= cut  # every owner scored as the k-th best, ties included
        owners, scores = owners[keep], scores[keep]
    order = np.lexsort((owners, -scores))[:k]
    taken: list[int] = owners[order].tolist()
    return taken


def slots_of(bucket: array[int] | int) -> array[int]:
    """A key's postings as an array of slots (a key held by one record files it alone)."""
    return array("I", (bucket,)) if isinstance(bucket, int) else bucket


def compact(parsed: ParsedName) -> ParsedName:
    """A name as read, its empty sets of parts (most names have no father's name and no
    qualifier) the one shared empty set (`parse_name` already gives it; a name made
    otherwise is given it here): a record filed keeps no empty set of its own."""
    if (parsed.fathers or parsed.fathers is NO_PARTS) and (
        parsed.qualifiers or parsed.qualifiers is NO_PARTS
    ):
        return parsed
    return replace(
        parsed, fathers=parsed.fathers or NO_PARTS, qualifiers=parsed.qualifiers or NO_PARTS
    )
