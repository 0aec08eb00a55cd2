"""Blocking keys: short stable strings under which a person is filed and looked up.

Two names can only be compared if they share a key, so the keys are built for recall:
- `s:<skeleton>`: the consonant skeleton of every reading of every part (Wladimir, Vladimir,
  Владимир and فلاديمير all give `s:FLDMR`);
- `s:<skeleton minus one letter>`: the primary skeleton with one consonant deleted, in the
  same key space, so that one slip on either side (Putin / Pulin, Walijan / Awlijan) still
  meets (a symmetric-deletion neighbourhood, as in SymSpell);
- `p:<skeleton>+<skeleton>`: every unordered pair of parts, which stays selective when each
  part is common on its own (Mohammad + Rahim);
- `t:<token>`: each part as written, folded to ASCII by ICU's generic transform (the reading
  of the safeguard's whole-name fallback, `judicare.persons.fallback`), so that a rare
  spelling shared exactly (Yabuta, Сека: seka) finds the record even where its skeleton is
  too common to be read (BT, SK).

Particles, titles and initials give no key. The keys are plain strings built only from the
name, so they are the same in every process and on every machine (no `hash()`), and can be
stored in a table and fetched by equality.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations

from .fallback import whole_name_form
from .names import ParsedName, Part, aliases, parse_name

KEYED_ROLES = frozenset({"name", "patronymic"})
MIN_DELETION_SKELETON = 3
MIN_TOKEN_KEY = 3  # letters in a part keyed as written (`t:`)


def name_keys(name: str) -> set[str]:
    """The blocking keys of one name."""
    return parsed_keys(parse_name(name))


def parsed_keys(parsed: ParsedName) -> set[str]:
    """The blocking keys of a name already read (`parse_name`): each keyed part's own keys
    (made once per part, `_part_keys`), then every unordered pair of their skeletons."""
    keys, primaries = key_atoms(parsed)
    for a, b in combinations(primaries, 2):
        keys.add(pair_key(a, b))
    return keys


def key_atoms(parsed: ParsedName) -> tuple[set[str], list[str]]:
    """A name's keys as they are made: the keyed parts' own keys (with the `w:` key of a
    name of initials or particles only), and the distinct primary skeletons in order, every
    pair of which (`pair_key`) is a key too. The in-memory index files the pairs by the
    numbers of their two skeletons' `s:` keys (each primary skeleton is one) rather than
    as strings."""
    keys: set[str] = set()
    primaries: list[str] = []
    for part in parsed.parts:
        if part.role not in KEYED_ROLES:
            continue
        own, primary = _part_keys(part)
        if not primary:
            continue
        keys.update(own)
        primaries.append(primary)
    if not keys and parsed.parts:  # a name of initials or particles only: key it as written
        keys.add("w:" + "".join(p.forms[0] for p in parsed.parts))
    return keys, sorted(set(primaries))


def pair_key(a: str, b: str) -> str:
    """The key of two primary skeletons, `a` before `b` in string order."""
    return f"p:{a}+{b}"


@lru_cache(maxsize=1_000_000)
def _part_keys(part: Part) -> tuple[tuple[str, ...], str]:
    """One part's keys (its skeletons, the part as written, the primary skeleton less one
    consonant) and its primary skeleton ("" when it has none). Parts are made once per
    distinct text (`read_part` is cached) and hashed by identity, so a register of many
    persons sharing given names and surnames makes each part's keys once (and keeps them
    as a tuple, smaller than a set)."""
    skeletons = [k for k in part.keys if k]
    if not skeletons:
        return (), ""
    keys = {f"s:{k}" for k in skeletons}
    token = whole_name_form(part.original)
    if len(token) >= MIN_TOKEN_KEY and " " not in token:
        keys.add(f"t:{token}")
    primary = skeletons[0]
    if len(primary) >= MIN_DELETION_SKELETON:
        keys.update(f"s:{primary[:i]}{primary[i + 1 :]}" for i in range(len(primary)))
    return tuple(keys), primary  # a tuple: a third of a set's memory, kept per part


def blocking_keys(names: Iterable[str]) -> set[str]:
    """The blocking keys of a person: the union over every name the person is known by."""
    keys: set[str] = set()
    for name in names:
        if name and name.strip():
            for alias in aliases(name):
                keys |= name_keys(alias)
    return keys
