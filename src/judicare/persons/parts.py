"""One part of a name (`Part`) and how it is read: every Latin form, its skeletons, its role."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import icu  # type: ignore[import-untyped]

from .learned import LEARNED_SYSTEMS, learned_readings
from .lexicon import (
    _DIGIT,
    _LEET,
    _LETTER,
    _PARTICLE_CANON,
    _PATRONYMIC,
    PARTICLES,
    SOFT_TITLES,
)
from .romanise import _NON_ALNUM, SYLLABIC_SCRIPTS, _transliterator, fold, skeleton


@dataclass(frozen=True, slots=True, eq=False)
class Part:
    """One part of a name with every Latin reading (`forms`) and their skeletons (`keys`).

    Parts are made once per distinct text and script (`read_part` is cached) and compared
    by identity, so that a comparison of two parts can be cached cheaply.
    """

    original: str
    forms: tuple[str, ...]
    systems: tuple[str, ...]  # the romanisation that gave each form ("as written" for Latin)
    keys: tuple[str, ...]
    role: str  # "name", "particle", "initial", "patronymic", "title"
    form_keys: tuple[str, ...] = ()  # the skeleton of each form, in the order of `forms`
    # each form with doubled letters single (Hassan: hasan) and, as written in Latin, without
    # a Baltic nominative ending (Lavrovs, Putinas: lavrov, putin)
    undoubled: tuple[str, ...] = ()
    form_set: frozenset[str] = frozenset()
    undoubled_set: frozenset[str] = frozenset()
    latin: bool = False  # one form, as written in Latin script
    glyphs: str = ""  # the part as written, in a syllabic script (Han as Simplified)
    # one-consonant skeletons of forms of four letters or more (sysy, sisi: S)
    short_keys: frozenset[str] = frozenset()
    # the forms that only a learned model read (`learned.py`), no rule
    learned: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return self.forms[0]


def _role(form: str) -> str:
    if len(form) == 1:
        return "initial"
    if form in PARTICLES:
        return "particle"
    if form in SOFT_TITLES:
        return "title"
    if len(form) > 6 and _PATRONYMIC.search(form):
        return "patronymic"
    return "name"


@lru_cache(maxsize=1_000_000)
def read_part(original: str, script: str, systems: tuple[str, ...]) -> Part | None:
    """Every Latin reading of one part, with its skeletons and role."""
    if original.isdigit() or _ORDINAL.match(original):
        return _number_part(original)
    if script == "LATIN":
        raw = [(original, "as written")]
    else:
        raw = []
        for s in systems:
            if s in _LEARNED_SYSTEMS:  # read back by a model learned from data, last
                raw += [(r, s) for r in learned_readings(original, s)]
            else:
                raw.append((_transliterator(s).transliterate(original), s))
    forms: dict[str, str] = {}
    for r, system in raw:
        f = r.lower() if r.isascii() else fold(r)
        if _DIGIT.search(f) and _LETTER.search(f):
            f = f.translate(_LEET)
        f = _NON_ALNUM.sub("", f)
        f = _PARTICLE_CANON.get(f, f)
        if f and f not in forms:
            forms[f] = system
    if not forms:
        return _unromanised_part(original)
    glyphs = _glyphs(original) if script in SYLLABIC_SCRIPTS else ""
    return make_part(original, tuple(forms), tuple(forms.values()), glyphs=glyphs)


_LEARNED_SYSTEMS = frozenset(LEARNED_SYSTEMS.values())
UNROMANISED = "as written, no romanisation"


def _unromanised_part(original: str) -> Part | None:
    """A part in a script that ICU does not romanise (Khmer, Lao, Burmese) is compared in
    its own script, character by character; its key is its letters without the vowel
    signs and other marks, so that spellings that differ by a vowel share a block."""
    text = unicodedata.normalize("NFC", original)
    letters = "".join(c for c in text if unicodedata.category(c).startswith("L"))
    if not letters:
        return None
    return make_part(original, (letters,), (UNROMANISED,), "name", glyphs=text)


def make_part(
    original: str,
    forms: tuple[str, ...],
    systems: tuple[str, ...],
    role: str = "",
    glyphs: str = "",
) -> Part:
    form_keys = tuple(skeleton(f) for f in forms)
    undoubled = tuple(
        undouble(_BALTIC.sub("", f) if s == "as written" else f)
        for f, s in zip(forms, systems, strict=True)
    )
    keys = tuple(dict.fromkeys(form_keys))
    form_set = frozenset(forms)
    undoubled_set = frozenset(undoubled)
    # A register's parts are kept as long as its index (issue 22): equal values are kept
    # once (the same systems, no doubled letters, no repeated skeleton, no short key).
    return Part(
        original,
        forms,
        _SYSTEMS.setdefault(systems, systems),
        form_keys if keys == form_keys else keys,
        role or _role(forms[0]),
        form_keys,
        forms if undoubled == forms else undoubled,
        form_set,
        form_set if undoubled_set == form_set else undoubled_set,
        all(s == "as written" for s in systems),
        glyphs,
        frozenset(
            k
            for f, k in zip(forms, form_keys, strict=True)
            if len(k) == 1 and len(f) >= MIN_FORM_ONE_CONSONANT
        )
        or _NO_FORMS,
        frozenset(f for f, s in zip(forms, systems, strict=True) if s in _LEARNED_SYSTEMS)
        or _NO_FORMS,
    )


# the one empty set of forms or keys that parts share, and each tuple of systems once
_NO_FORMS: frozenset[str] = frozenset()
_SYSTEMS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _glyphs(original: str) -> str:
    """Han characters in their Simplified form (習 and 习 write the same name)."""
    simplified: str = _transliterator("Traditional-Simplified").transliterate(original)
    return simplified


_ORDINAL = re.compile(r"^(\d{1,4})(?:st|nd|rd|th)$", re.IGNORECASE)


@cache
def _spellout(rule_set: str) -> icu.RuleBasedNumberFormat:
    formatter = icu.RuleBasedNumberFormat(icu.URBNFRuleSetTag.SPELLOUT, icu.Locale("en"))
    formatter.setDefaultRuleSet(rule_set)
    return formatter


def _number_part(original: str) -> Part:
    """A number in a name (Brigade 44, 1st International Bank) read as English words by
    ICU's number spell-out rules, so that it meets the name written in words."""
    ordinal = _ORDINAL.match(original)
    digits = ordinal.group(1) if ordinal else original
    if len(digits) > 4:
        return make_part(original, (digits,), ("as written",), "name")
    rule_set = "%spellout-ordinal" if ordinal else "%spellout-numbering"
    words = _NON_ALNUM.sub("", fold(_spellout(rule_set).format(int(digits))))
    return make_part(original, (words, digits), ("ICU spell-out", "as written"), "name")


MIN_FORM_ONE_CONSONANT = 4  # a one-consonant skeleton counts only in forms this long


def undouble(form: str) -> str:
    return _DOUBLED.sub(r"\1", form)


# Latvian and Lithuanian give a foreign man's name their nominative ending: Latvian -s
# after a consonant (Sergejs Lavrovs, Vladimirs Putins), Lithuanian -as or -is (Vladimiras
# Putinas) on a longer name.
_BALTIC = re.compile(r"(?<=[bcdfgjklmnprtvz])s$|(?<=[a-z]{5})(?<=[bcdfgjklmnprstvz])(?:as|is)$")


_DOUBLED = re.compile(r"(.)\1+")
