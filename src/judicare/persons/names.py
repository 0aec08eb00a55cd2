"""Names: split into parts, romanise each part several ways, fold, and key phonetically.

A name is read as a sequence of *parts* (tokens). Each part carries:
- its `forms`: every Latin reading we accept for it, lower-case ASCII. A Latin part has one
  form; a Cyrillic part has one per romanisation system (BGN/PCGN for the language, ICAO 9303
  passport rules, ISO 9, German and French conventions), an Arabic part one per ICU system,
  and so on. The romanisations are ICU transforms (PyICU), not hand tables; the only rules
  written here are ICAO 9303 and the German and French conventions for Cyrillic, which ICU
  does not ship, written in ICU's own rule syntax;
- its `keys`: a consonant skeleton of each form (`skeleton`), so that spellings from
  different systems and languages (Wladimir / Vladimir / Volodymyr / فلاديمير) meet;
- its `role`: an ordinary part, a `particle` (al, bin, de, von...), an `initial`, a
  `patronymic` (Viktorovich, Oleksandrovych, Ivanovna, -uly/-kyzy), or a `legal_form`
  (GmbH, OOO, Joint Stock Company: one part per legal form, named by its kind).

Titles and honorifics (Mr, Dr, President...) are dropped and reported. A comma marks the
"SURNAME, Given" order, which is undone (unless what follows it is a legal form). Numbers
are also read as English words (ICU spell-out); a Chinese name written in Wade-Giles also
reads in pinyin; a Latvian or Lithuanian ending on a name as written is set aside when
spellings are compared. After bin/bint the next name part is the father's. Nothing here
does I/O; ICU transliterators are built on first use and cached.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .han import _wade_giles, _with_pinyin
from .legal_forms import (
    LEGAL_FORM_EDITS,
    LEGAL_FORM_MIN_FUZZY,
    _acronyms,
    _glued_legal_form,
    _legal_form_at_end,
    _split_legal_forms,
)
from .lexicon import _SPLIT, LEGAL_FORMS, PARTICLES, SOFT_TITLES, TITLES
from .parts import MIN_FORM_ONE_CONSONANT, UNROMANISED, Part, make_part, read_part, undouble
from .romanise import SYLLABIC_SCRIPTS, cyrillic_language, fold, script_of, skeleton, systems_for

__all__ = [
    "LEGAL_FORMS",
    "LEGAL_FORM_EDITS",
    "LEGAL_FORM_MIN_FUZZY",
    "MIN_FORM_ONE_CONSONANT",
    "PARTICLES",
    "SOFT_TITLES",
    "SYLLABIC_SCRIPTS",
    "TITLES",
    "UNROMANISED",
    "ParsedName",
    "Part",
    "aliases",
    "cyrillic_language",
    "fold",
    "make_part",
    "parse_name",
    "read_part",
    "script_of",
    "skeleton",
    "systems_for",
    "undouble",
]


# The one empty set of part positions that every name without a father's name or a
# qualifier shares (most names): a name read keeps no empty set of its own.
NO_PARTS: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name read into parts, with what was done to it (for the explanation)."""

    original: str
    script: str
    systems: tuple[str, ...]
    parts: tuple[Part, ...]
    dropped_titles: tuple[str, ...]
    reordered: bool
    fathers: frozenset[int] = NO_PARTS  # parts after bin/bint: the father's name
    own: int = -1  # with bin/bint, the person's own name: the first name part
    organisation: bool = False  # the name carries a legal form (GmbH, JSC, Ltd...)
    # parts written in brackets: a qualifier (Deutsche Bank (Schweiz) AG), not the name
    qualifiers: frozenset[int] = NO_PARTS


_HAN = re.compile(r"[\u3400-\u9fff]")
# An apostrophe between two letters is not a word boundary: the McCune-Reischauer breve
# written as an apostrophe (CH'O'L, HYO'K), the ayn of Arabic spellings (Qa'ida, RABI'I),
# O'Brien. Registers write the same names without it.
_BRACKETED = re.compile(r"\(([^()]*)\)")
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['`’ʼ](?=[^\W\d_])")
# Two capital consonants before the name in a name written in mixed case are initials run
# together (JC Juncker for Jean-Claude Juncker).
# Two names of four letters or more written as one word, the second capitalised
# (VladimirPutin); McDonald, DeVito and MacArthur stay whole.
_CAMEL = re.compile(r"(?<=[^\W\d_]{3}[a-z])(?=[A-Z][a-z]{3})")
_GLUED_INITIALS = re.compile(r"^[B-DF-HJ-NP-TV-Z]{2}$")


# Registers write a person's or an organisation's other names in the same field, after a
# slash between words (Al-Qa'ida/Islamic Army); a slash inside a short form (A/S) is not one.
_ALIAS_SLASH = re.compile(r"(?<=[^\W\d_]{3})\s*/\s*(?=[^\W\d_]{3})")


def aliases(name: str) -> tuple[str, ...]:
    """The names written in one name field: "Al-Qa'ida/Islamic Army" is two."""
    if "/" not in name:
        return (name,)
    return tuple(a for a in _ALIAS_SLASH.split(name) if a.strip()) or (name,)


@lru_cache(maxsize=200_000)
def parse_name(name: str) -> ParsedName:
    """Read a name: drop titles, undo "SURNAME, Given", split, romanise each part."""
    text = unicodedata.normalize("NFKC", name).strip()
    reordered = False
    if text.count(",") == 1:
        surname, given = (s.strip() for s in text.split(","))
        # "Bowne Global Solutions, Inc." names a company, it is not "SURNAME, Given".
        if surname and given and _legal_form_at_end(_SPLIT.split(given)) is None:
            text, reordered = f"{given} {surname}", True
    script = script_of(text)
    systems = systems_for(script, text)
    text = _INNER_APOSTROPHE.sub("", text)
    pieces = [p for p in _SPLIT.split(text.replace("&", " and ")) if p]
    glued = len(pieces) > 1 and _GLUED_INITIALS.match(pieces[0])
    if script == "LATIN" and glued and any(c.islower() for c in text):
        pieces = [*pieces[0], *pieces[1:]]
    if script == "LATIN":  # VladimirPutin, SergeiLavrov: two names run together
        pieces = [w for p in pieces for w in _CAMEL.split(p)]
    if script == "CJK" and len(pieces) == 1 and _HAN.search(pieces[0]):
        # A Chinese name has no spaces: the first character is the family name, the rest
        # the given name (习近平 → xi jinping).
        pieces = [pieces[0][:1], pieces[0][1:]] if len(pieces[0]) > 1 else pieces
    if script == "ARABIC":
        pieces = _arabic_articles(pieces)
    if script == "LATIN" and len(pieces) >= 1:
        pieces = _glued_legal_form(pieces)
    head, pieces, tail = _split_legal_forms(pieces)
    if head or tail:
        pieces = _acronyms(pieces)
    parts: list[Part] = list(head)
    dropped: list[str] = []
    for piece in pieces:
        part = read_part(piece, script, systems)
        if part is None:
            continue
        if part.text in TITLES:
            dropped.append(piece)
            continue
        parts.append(part)
    if len(parts) == len(head) and dropped:  # a name made only of titles is still a name
        parts += [p for p in (read_part(d, script, systems) for d in dropped) if p]
        dropped = []
    parts += tail
    if script == "LATIN" and _wade_giles(parts):
        parts = [_with_pinyin(p) for p in parts]
    fathers, own = _lineage(parts)
    bracketed = {w for span in _BRACKETED.findall(text) for w in _SPLIT.split(span) if w}
    qualifiers = (
        frozenset(
            i for i, p in enumerate(parts) if p.original in bracketed and p.role != "legal_form"
        )
        or NO_PARTS
        if bracketed
        else NO_PARTS
    )
    return ParsedName(
        name,
        script,
        systems,
        tuple(parts),
        tuple(dropped),
        reordered,
        fathers,
        own,
        bool(head or tail),
        qualifiers,
    )


def _lineage(parts: list[Part]) -> tuple[frozenset[int], int]:
    """In "Salman bin Muhammad", Muhammad is the father's name and Salman the person's
    own: the first name part after each bin/bint, and the first name part of all."""
    fathers: set[int] = set()
    own = -1
    if not any(p.forms[0] in _KIN for p in parts):
        return NO_PARTS, own
    for k, part in enumerate(parts):
        if part.role != "particle" or part.text not in _KIN:
            continue
        if own < 0:
            own = next((i for i in range(k) if parts[i].role == "name"), -1)
        after = [i for i in range(k + 1, len(parts)) if parts[i].role == "name"]
        if after:
            fathers.add(after[0])
    return frozenset(fathers) or NO_PARTS, own


_KIN = frozenset({"bin", "bint"})  # "son of", "daughter of": the next part is the father


def _arabic_articles(pieces: list[str]) -> list[str]:
    """The article al- written joined to an Arabic word (الفتاح) is a part of its own, as
    in the Latin spellings (al-Fattah, el-Sisi); after عبد it stays with it, as the Latin
    spellings write Abdul, Abdel, Abdur (عبد الرحمن: Abdul Rahman)."""
    out: list[str] = []
    for piece in pieces:
        if piece.startswith("ال") and len(piece) >= 4:
            if out and out[-1] == "عبد":
                out[-1] += "ال"
            else:
                out.append("ال")
            out.append(piece[2:])
        else:
            out.append(piece)
    return out
