"""How alike two name parts are, and how (the best pair of their readings)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from .names import MIN_FORM_ONE_CONSONANT, Part, skeleton, undouble
from .nicknames import is_nickname_pair
from .points import MIN_PART_SIMILARITY

KEY_SIMILARITY = 0.9  # same consonant skeleton, different spelling
DOUBLED_SIMILARITY = 0.95  # Hasan / Hassan, Jong-uun / Jong-un
NICKNAME_SIMILARITY = 0.9  # Ted / Theodore: a listed nickname of the given name
# A reading that only the learned model gave (`learned.py`) is a guess: spelt alike to
# another form, it counts this much of its edit similarity (the same form, or the same
# consonant skeleton, count in full).
LEARNED_EDIT_WEIGHT = 0.95


@dataclass(frozen=True, slots=True)
class PartMatch:
    similarity: float
    how: str
    query_form: str
    record_form: str
    query_system: str
    record_system: str


@lru_cache(maxsize=500_000)
def compare_parts(a: Part, b: Part) -> PartMatch:
    """The best reading of two name parts: exact form, initial, skeleton, or edit similarity."""
    if (a.role == "legal_form") != (b.role == "legal_form"):
        return PartMatch(0.0, "a legal form and a name", a.forms[0], b.forms[0], "", "")
    if a.role == "initial" or b.role == "initial":
        return _compare_initial(a, b)
    if a.glyphs and b.glyphs and a.systems == b.systems:
        sim = OSA.normalized_similarity(a.glyphs, b.glyphs)
        return PartMatch(sim, "same script, character by character", a.glyphs, b.glyphs, "", "")
    if _nicknames(a, b):
        fa, fb = a.original.lower(), b.original.lower()
        return PartMatch(NICKNAME_SIMILARITY, "listed nickname", fa, fb, a.systems[0], b.systems[0])
    best = PartMatch(0.0, "different", a.forms[0], b.forms[0], a.systems[0], b.systems[0])
    for fa, sa, ka, ua in zip(a.forms, a.systems, a.form_keys, a.undoubled, strict=True):
        for fb, sb, kb, ub in zip(b.forms, b.systems, b.form_keys, b.undoubled, strict=True):
            if fa == fb:
                return PartMatch(1.0, "same form", fa, fb, sa, sb)
            sim = OSA.normalized_similarity(fa, fb)
            if fa in a.learned or fb in b.learned:  # a learned reading is a guess
                sim *= LEARNED_EDIT_WEIGHT
            how = "edit similarity"
            if sim < DOUBLED_SIMILARITY and ua == ub:
                sim, how = DOUBLED_SIMILARITY, "same but for doubled letters or a Baltic ending"
            # Two spellings as written (both Latin) share a skeleton more often by chance
            # (Olga / Oleg) than a romanisation and a spelling do: the key counts half.
            both_latin = sa == sb == "as written"
            key_sim = (KEY_SIMILARITY + sim) / 2 if both_latin else KEY_SIMILARITY
            if ka == kb and _key_counts(fa, ka, fb):
                if key_sim > sim:
                    sim, how = key_sim, "phonetic key"
            elif len(ka) >= 3 and len(kb) >= 3 and sim < KEY_SIMILARITY:
                key_sim = KEY_SIMILARITY * OSA.normalized_similarity(ka, kb)
                if key_sim > sim:
                    sim, how = key_sim, "phonetic key similarity"
            if sim > best.similarity:
                best = PartMatch(sim, how, fa, fb, sa, sb)
    if a.latin and b.latin:
        capped = _affix_capped(a.forms[0], b.forms[0], best.similarity)
        if capped < best.similarity:
            how = "same name element, different stem"
            best = PartMatch(capped, how, best.query_form, best.record_form, "", "")
    return best


@lru_cache(maxsize=1_000_000)
def part_similarity(a: Part, b: Part) -> float:
    """`compare_parts(a, b).similarity`, without saying how: the same value, computed on
    the sets of forms and keys (the query path; the explanation asks `compare_parts`)."""
    if (a.role == "legal_form") != (b.role == "legal_form"):
        return 0.0
    if a.role == "initial" or b.role == "initial":
        return _compare_initial(a, b).similarity
    if a.glyphs and b.glyphs and a.systems == b.systems:
        return OSA.normalized_similarity(a.glyphs, b.glyphs)
    if a.form_set & b.form_set:
        return 1.0
    sim = OSA.normalized_similarity
    if a.latin and b.latin:  # one form each: the rule of `compare_parts` for one pair
        if _nicknames(a, b):
            return NICKNAME_SIMILARITY
        x = sim(a.forms[0], b.forms[0])
        if x < DOUBLED_SIMILARITY and a.undoubled[0] == b.undoubled[0]:
            x = DOUBLED_SIMILARITY
        ka, kb = a.form_keys[0], b.form_keys[0]
        if ka == kb and _key_counts(a.forms[0], ka, b.forms[0]):
            x = max(x, (KEY_SIMILARITY + x) / 2)
        elif len(ka) >= 3 and len(kb) >= 3 and x < KEY_SIMILARITY:
            x = max(x, KEY_SIMILARITY * sim(ka, kb))
        return _affix_capped(a.forms[0], b.forms[0], x)
    best = 0.0
    learned_a, learned_b = a.learned, b.learned
    for fa in a.forms:
        for fb in b.forms:
            x = sim(fa, fb)
            if (learned_a or learned_b) and (fa in learned_a or fb in learned_b):
                x *= LEARNED_EDIT_WEIGHT
            if x > best:
                best = x
    if best < DOUBLED_SIMILARITY and a.undoubled_set & b.undoubled_set:
        best = DOUBLED_SIMILARITY
    if best < KEY_SIMILARITY:
        ka_all, kb_all = a.keys, b.keys
        for k in ka_all:
            if len(k) >= 2 and k in kb_all:
                return KEY_SIMILARITY
        if a.short_keys & b.short_keys:  # `_key_counts` for one-consonant skeletons
            return KEY_SIMILARITY
        for ka in ka_all:
            if len(ka) < 3:
                continue
            for kb in kb_all:
                if len(kb) >= 3 and ka != kb:
                    x = KEY_SIMILARITY * sim(ka, kb)
                    if x > best:
                        best = x
    return best


_NICKNAME_ROLES = frozenset({"name", "particle"})


# Elements that many names share (Arabic and Persian Hamid*ullah*, Shams*uddin*,
# *Abdur*rahim; Icelandic Jóns*dóttir*): two names with the same element are told apart
# by what remains.
_NAME_ELEMENT_PREFIXES = ("abdul", "abdur", "abdel", "abdal", "abdu", "abd")
_NAME_ELEMENT_SUFFIXES = (
    ("ullah", "ulla", "allah", "alla"),
    ("uddin", "udin", "uddeen", "eddine", "eddin", "addin", "aldin", "uldin", "uldeen"),
    ("dottir",),  # Icelandic: Jónsdóttir and Tómasdóttir have different fathers
)
MIN_STEM = 2
# Slavic surnames take a feminine ending (Baranov, Baranova; Kowalski, Kowalska): the two
# forms name two people of one family, not one person spelt two ways.
_MASCULINE_FEMININE = (("ov", "ova"), ("ev", "eva"), ("in", "ina"), ("yn", "yna"),
                       ("sky", "skaya"), ("skiy", "skaya"), ("skii", "skaia"),
                       ("ski", "ska"), ("cki", "cka"))  # fmt: skip
GENDERED_SURNAME_SIMILARITY = 0.6


def _gendered_pair(fa: str, fb: str) -> bool:
    """One form ends in a masculine ending and the other, otherwise alike, in the
    feminine one (Barynova, Baranov)."""
    for masculine, feminine in _MASCULINE_FEMININE:
        for m, f in ((fa, fb), (fb, fa)):
            if m.endswith(masculine) and f.endswith(feminine) and len(m) > len(masculine) + 2:
                return True
    return False


@lru_cache(maxsize=200_000)
def _affix_capped(fa: str, fb: str, similarity: float) -> float:
    """The similarity of two Latin name parts that share a common name element is at most
    that of what remains of them (Hamidullah and Waliullah: hamid and wali)."""
    if similarity < MIN_PART_SIMILARITY or similarity >= 1.0:
        return similarity
    if _gendered_pair(fa, fb):
        return min(similarity, GENDERED_SURNAME_SIMILARITY)
    if undouble(fa) == undouble(fb):  # Abdulah, Abdullah
        return similarity
    stems = _stems(fa, fb)
    if stems is None:
        return similarity
    sa, sb = stems
    stem = OSA.normalized_similarity(sa, sb)
    ka, kb = skeleton(sa), skeleton(sb)
    if ka == kb and ka:
        stem = max(stem, KEY_SIMILARITY)
    return min(similarity, stem)


def _stems(fa: str, fb: str) -> tuple[str, str] | None:
    """What remains of two forms once a name element both carry is taken off, or None."""
    pa = next((p for p in _NAME_ELEMENT_PREFIXES if fa.startswith(p)), None)
    pb = next((p for p in _NAME_ELEMENT_PREFIXES if fb.startswith(p)), None)
    if pa and pb and len(fa) - len(pa) >= MIN_STEM and len(fb) - len(pb) >= MIN_STEM:
        return fa[len(pa) :], fb[len(pb) :]
    for group in _NAME_ELEMENT_SUFFIXES:
        xa = next((x for x in group if fa.endswith(x)), None)
        xb = next((x for x in group if fb.endswith(x)), None)
        if xa and xb and len(fa) - len(xa) >= MIN_STEM and len(fb) - len(xb) >= MIN_STEM:
            return fa[: -len(xa)], fb[: -len(xb)]
    return None


def _nicknames(a: Part, b: Part) -> bool:
    """Two given names as written in Latin, one a listed nickname of the other. Ben is
    also a particle (son of), but the nickname table says when it stands for Benjamin."""
    return (
        a.role in _NICKNAME_ROLES
        and b.role in _NICKNAME_ROLES
        and a.latin
        and b.latin
        and is_nickname_pair(a.original.lower(), b.original.lower())
    )


def _key_counts(form_a: str, key: str, form_b: str) -> bool:
    """A shared skeleton counts if it has two consonants, or one in two forms of four
    letters or more (سيسي read sysy, and Sisi: S)."""
    return len(key) >= 2 or (len(form_a) >= MIN_FORM_ONE_CONSONANT <= len(form_b))


def _compare_initial(a: Part, b: Part) -> PartMatch:
    fa, fb = a.forms[0], b.forms[0]
    for x in a.forms:
        for y in b.forms:
            if x[0] == y[0]:
                how = "same initial" if len(x) == len(y) else "initial"
                return PartMatch(1.0 if how == "same initial" else 0.9, how, x, y, "", "")
    return PartMatch(0.0, "different initial", fa, fb, "", "")
