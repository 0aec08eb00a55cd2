"""Legal forms of companies in a name (GmbH, OOO, Joint Stock Company): found, each read
as one part named by its kind."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .lexicon import _SPLIT, LEGAL_FORMS
from .parts import Part, make_part
from .romanise import fold


@lru_cache(maxsize=200_000)
def _legal_key(piece: str) -> str:
    return _WORD_CHARS.sub("", piece.lower() if piece.isascii() else fold(piece))


_WORD_CHARS = re.compile(r"[\W_]+")


@cache
def _legal_phrases() -> dict[str, str]:
    """Each legal form, its words run together (S.A., S A and SA are one form)."""
    phrases = {}
    for kind, listed in LEGAL_FORMS.items():
        for phrase in listed.split(";"):
            phrases["".join(_legal_key(w) for w in _SPLIT.split(phrase.strip()))] = kind
    return phrases


@cache
def _legal_edges() -> tuple[frozenset[str], frozenset[str]]:
    """Every prefix and every suffix of a legal form: a name can hold one only if its
    first piece is such a prefix or its last piece such a suffix (a cheap test first)."""
    forms = _legal_phrases()
    prefixes = frozenset(f[:i] for f in forms for i in range(1, len(f) + 1))
    suffixes = frozenset(f[i:] for f in forms for i in range(len(f)))
    return prefixes, suffixes


def _legal_form_at_end(pieces: list[str]) -> int | None:
    """How many pieces at the end of a name are a legal form, or None."""
    phrases = _legal_phrases()
    keys = [k for k in (_legal_key(p) for p in pieces) if k]
    for n in range(min(6, len(keys)), 0, -1):
        if "".join(keys[-n:]) in phrases:
            return n
    return None


# A legal form in capitals written onto the end of a name (SiemensAG, AcmeGmbH).
_GLUED_LEGAL_FORM = re.compile(r"^(.*[a-z])([A-Z][A-Za-z]{1,4})$")


def _glued_legal_form(pieces: list[str]) -> list[str]:
    """SiemensAG is Siemens AG: a legal form glued to the last word is split off."""
    m = _GLUED_LEGAL_FORM.match(pieces[-1])
    if m is None or _legal_key(m.group(2)) not in _legal_phrases():
        return pieces
    return [*pieces[:-1], m.group(1), m.group(2)]


def _split_legal_forms(pieces: list[str]) -> tuple[list[Part], list[str], list[Part]]:
    """Legal forms at the end of a name (up to two: Co., Ltd.) and at its start (OAO
    Gazprom; forms of three letters or more only), each read as one `legal_form` part."""
    head: list[Part] = []
    tail: list[Part] = []
    prefixes, suffixes = _legal_edges()
    first, last = _legal_key(pieces[0]), _legal_key(pieces[-1])
    stems = _legal_stems()
    if len(pieces) < 2 or (
        first not in prefixes
        and last not in suffixes
        and first[:3] not in stems
        and last[:3] not in stems
    ):
        return head, pieces, tail
    keys = [_legal_key(p) for p in pieces]
    start, end = 0, len(pieces)
    for _ in range(2):
        for n in range(min(6, end - start - 1), 0, -1):
            kind = _legal_kind("".join(keys[end - n : end]))
            if kind:
                tail.insert(0, _legal_part(" ".join(pieces[end - n : end]), kind))
                end -= n
                break
    for n in range(min(6, end - start - 1), 0, -1):
        joined = "".join(keys[start : start + n])
        kind = _legal_kind(joined)
        if kind and len(joined) >= 3:
            head.append(_legal_part(" ".join(pieces[start : start + n]), kind))
            start += n
            break
    return head, pieces[start:end], tail


# A long legal form written with a slip (Aktiengeselschaft, Joynt Stock Company) is still
# one: at most this many edits (optimal string alignment) in a form at least this long.
LEGAL_FORM_EDITS = 2
LEGAL_FORM_MIN_FUZZY = 10


def _legal_kind(joined: str) -> str | None:
    """The kind of the legal form written `joined` (words run together), or None."""
    kind = _legal_phrases().get(joined)
    if kind or len(joined) < LEGAL_FORM_MIN_FUZZY:
        return kind
    phrases = _long_legal_phrases()
    best = process.extractOne(joined, phrases, scorer=OSA.distance, score_cutoff=LEGAL_FORM_EDITS)
    return _legal_phrases()[best[0]] if best else None


@cache
def _long_legal_phrases() -> tuple[str, ...]:
    return tuple(f for f in _legal_phrases() if len(f) >= LEGAL_FORM_MIN_FUZZY)


@cache
def _legal_stems() -> frozenset[str]:
    """The first three letters of each word of the long legal forms: a slip in a word
    seldom falls in its first letters, so only a name ending or starting with one of
    these is compared with them letter by letter."""
    stems: set[str] = set()
    for kind_forms in LEGAL_FORMS.values():
        for phrase in kind_forms.split(";"):
            words = [_legal_key(w) for w in _SPLIT.split(phrase.strip()) if w]
            if len("".join(words)) >= LEGAL_FORM_MIN_FUZZY:
                stems.update(w[:3] for w in (words[0], words[-1]) if len(w) >= 3)
    return frozenset(stems)


@lru_cache(maxsize=10_000)
def _legal_part(original: str, kind: str) -> Part:
    return make_part(original, (kind,), ("legal form",), "legal_form")


def _acronyms(pieces: list[str]) -> list[str]:
    """In an organisation's name, single letters in a row are one acronym (A.B.C. Company
    is ABC Company, not the initials A, B and C)."""
    out: list[str] = []
    run: list[str] = []
    for piece in [*pieces, ""]:
        if len(piece) == 1 and piece.isalpha():
            run.append(piece)
            continue
        if run:
            out.append("".join(run) if len(run) > 1 else run[0])
            run = []
        if piece:
            out.append(piece)
    return out
