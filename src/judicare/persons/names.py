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
- its `role`: an ordinary part, a `particle` (al, bin, de, von...), an `initial`, or a
  `patronymic` (Viktorovich, Oleksandrovych, Ivanovna, -uly/-kyzy).

Titles and honorifics (Mr, Dr, President...) are dropped and reported. A comma marks the
"SURNAME, Given" order, which is undone. Nothing here does I/O; ICU transliterators are
built on first use and cached.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import icu

# Titles and honorifics: dropped from the name, reported in the explanation.
TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "lord",
        "lady",
        "dame",
        "herr",
        "frau",
        "monsieur",
        "madame",
        "mme",
        "mlle",
        "senor",
        "senora",
        "sr",
        "sra",
        "president",
        "presidente",
        "prasident",
        "praesident",
        "president",
        "predsjednik",
        "presedintele",
        "presiden",
        "elnok",
        "prezident",
        "prezydent",
        "general",
        "gen",
        "col",
        "colonel",
        "capt",
        "captain",
        "minister",
        "judge",
        "hon",
        "honourable",
        "excellency",
        "his",
        "her",
    ]
)
# Titles that are often written as part of a person's name on real lists (Haji Asad Khan):
# kept, but weigh little.
SOFT_TITLES = frozenset(
    [
        "sheikh",
        "shaikh",
        "shaykh",
        "sayed",
        "sayyid",
        "sayyed",
        "haji",
        "hajji",
        "mullah",
        "mulla",
        "qari",
    ]
)
# Particles: kin and article words; kept, weigh little; bin/ben/ibn and al/el read alike.
PARTICLES = frozenset(
    [
        "al",
        "el",
        "ul",
        "ur",
        "ud",
        "ad",
        "ar",
        "as",
        "ash",
        "at",
        "az",
        "bin",
        "ben",
        "ibn",
        "bint",
        "binti",
        "abu",
        "abou",
        "de",
        "del",
        "della",
        "der",
        "den",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "van",
        "von",
        "ter",
        "ten",
        "zu",
        "y",
        "e",
        "of",
        "na",
    ]
)
_PARTICLE_CANON = {"ben": "bin", "ibn": "bin", "el": "al", "binti": "bint", "abou": "abu"}
_PATRONYMIC = re.compile(
    r"(ovich|evich|ovych|evych|ovitch|evitch|owitsch|ewitsch|ovic|evic|ovici|owicz|ewicz"
    r"|ovna|evna|ivna|yivna|ovnа|uly|uly|kyzy|qyzy|oglu|ogly)$"
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"})

# ICU transform ids per script (and per language for Cyrillic). Every reading is kept.
_CYRILLIC_BY_LANGUAGE = {
    "ru": ("Russian-Latin/BGN",),
    "uk": ("Ukrainian-Latin/BGN",),
    "be": ("Belarusian-Latin/BGN",),
    "kk": ("Kazakh-Latin/BGN",),
}
_SCRIPT_SYSTEMS = {
    "ARABIC": ("Arabic-Latin", "Persian-Latin/BGN", "Arabic-Latin/BGN", "Pashto-Latin/BGN"),
    "GREEK": ("Greek-Latin/UNGEGN", "Greek-Latin/BGN", "Greek-Latin"),
    "HEBREW": ("Hebrew-Latin", "Hebrew-Latin/BGN"),
    "GEORGIAN": ("Georgian-Latin", "Georgian-Latin/BGN"),
    "ARMENIAN": ("Armenian-Latin", "Armenian-Latin/BGN"),
    "CJK": ("Han-Latin/Names", "Han-Latin"),
    "HANGUL": ("Korean-Latin/BGN", "Hangul-Latin"),
    "HIRAGANA": ("Hiragana-Latin",),
    "KATAKANA": ("Katakana-Latin",),
}
# ICAO Doc 9303 (part 3, table for Cyrillic) and the usual German and French renderings
# of Russian Cyrillic, in ICU rule syntax. Anything not listed falls through to ISO 9.
_CYRILLIC_RULES = {
    "ICAO 9303": """
        ж > zh; х > kh; ц > ts; ч > ch; ш > sh; щ > shch; ъ > ie; ы > y; ь > ;
        э > e; ю > iu; я > ia; й > i; ё > e; є > ie; ї > i; і > i; ґ > g; ў > u;
    """,
    "German": """
        ж > sh; з > s; в > w; х > ch; ц > z; ч > tsch; ш > sch; щ > schtsch; ъ > ;
        ы > y; ь > ; э > e; ю > ju; я > ja; й > i; ё > jo; с > s; у > u;
    """,
    "French": """
        ж > j; х > kh; ц > ts; ч > tch; ш > ch; щ > chtch; ъ > ; ы > y; ь > ; э > e;
        ю > iou; я > ia; й > ï; ё > io; у > ou; е > e;
    """,
}


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
    undoubled: tuple[str, ...] = ()  # each form with doubled letters single (Hassan: hasan)
    form_set: frozenset[str] = frozenset()
    undoubled_set: frozenset[str] = frozenset()
    latin: bool = False  # one form, as written in Latin script

    @property
    def text(self) -> str:
        return self.forms[0]


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name read into parts, with what was done to it (for the explanation)."""

    original: str
    script: str
    systems: tuple[str, ...]
    parts: tuple[Part, ...]
    dropped_titles: tuple[str, ...]
    reordered: bool


@cache
def _transliterator(system: str) -> icu.Transliterator:
    if system in _CYRILLIC_RULES:
        rules = ":: Lower; " + _CYRILLIC_RULES[system] + " :: Cyrillic-Latin;"
        return icu.Transliterator.createFromRules(
            f"judicare-{system}", rules, icu.UTransDirection.FORWARD
        )
    return icu.Transliterator.createInstance(system)


@cache
def _folder() -> icu.Transliterator:
    # Latin-ASCII folds ø, ł, æ, ß...; the accents are removed first so that č, š, ž keep
    # their digraph reading (ch, sh, zh) rather than losing the hook.
    rules = """
        :: Lower; :: NFC; č > ch; š > sh; ž > zh; ć > ch; ś > sh; ź > zh;
        :: NFD; :: [:Nonspacing Mark:] Remove; :: Latin-ASCII; :: NFC;
    """
    return icu.Transliterator.createFromRules("judicare-fold", rules, icu.UTransDirection.FORWARD)


def script_of(text: str) -> str:
    """The main script of a text, named as Unicode names it (LATIN, CYRILLIC, ARABIC...)."""
    if text.isascii():
        return "LATIN"
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = _char_script(ch)
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "LATIN"
    return max(counts, key=lambda k: counts[k])


@lru_cache(maxsize=20_000)
def _char_script(ch: str) -> str:
    return unicodedata.name(ch, "UNKNOWN").split(" ")[0]


def cyrillic_language(text: str) -> str:
    """Guess the language of a Cyrillic name from the letters only one alphabet has."""
    low = text.lower()
    if any(c in low for c in "әғқңөұүһ"):
        return "kk"
    if "ў" in low or ("і" in low and "и" not in low and any(c in low for c in "ыэё")):
        return "be"
    if any(c in low for c in "іїєґ"):
        return "uk"
    return "ru"


def systems_for(script: str, text: str) -> tuple[str, ...]:
    if script == "LATIN":
        return ()
    if script == "CYRILLIC":
        lang = cyrillic_language(text)
        return (
            *_CYRILLIC_BY_LANGUAGE[lang],
            "Cyrillic-Latin",
            "ICAO 9303",
            "German",
            "French",
        )
    return _SCRIPT_SYSTEMS.get(script, ("Any-Latin",))


def fold(text: str) -> str:
    """Lower-case ASCII reading of a Latin text: accents off, č/š/ž as ch/sh/zh."""
    return _folder().transliterate(text)


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# The consonant skeleton: digraphs of the usual romanisation systems first, then one class
# per group of consonants that systems and languages swap (v/w/f, s/z, k/c/q, b/p), vowels
# and silent h dropped, doubles collapsed. It is a phonetic key in the Soundex family, tuned to
# romanised Slavic, Arabic and Persian names rather than to English.
_SKELETON_STEPS = (
    (re.compile(r"shch|schtsch|chtch|tsch|sch|tch|ch|sh|zh|cz|sz|x(?=[aeiouy])"), "C"),
    (re.compile(r"dzh|dj|j"), "J"),
    (re.compile(r"kh|gh"), "H"),
    (re.compile(r"(?<!^)w(?![aeiouy])"), ""),  # a w before no vowel is one (و, ו)
    (re.compile(r"ph|v|w|f"), "F"),
    (re.compile(r"th"), "T"),
    (re.compile(r"dh"), "D"),
    (re.compile(r"tz|ts"), "S"),
    (re.compile(r"ck|qu|q|k|c"), "K"),
    (re.compile(r"x"), "KS"),
    (re.compile(r"[zs]"), "S"),
    (re.compile(r"[bp]"), "B"),
    (re.compile(r"(?<=[^aeiouy])h|h$"), ""),  # h after a consonant or at the end is silent
    (re.compile(r"h"), "H"),  # Mohammad / Muhammad / محمد keep their h: MHMD, not MD
    (re.compile(r"[aeiouy]+"), ""),
)


@lru_cache(maxsize=200_000)
def skeleton(form: str) -> str:
    """The consonant skeleton of a folded form: `vladimir`, `wladimir`, `volodymyr` → FLDMR."""
    s = form
    for pattern, repl in _SKELETON_STEPS:
        s = pattern.sub(repl, s)
    out = []
    for ch in s.upper():
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


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
    if script == "LATIN":
        raw = [(original, "as written")]
    else:
        raw = [(_transliterator(s).transliterate(original), s) for s in systems]
    forms: dict[str, str] = {}
    for r, system in raw:
        f = fold(r)
        if any(c.isdigit() for c in f) and any(c.isalpha() for c in f):
            f = f.translate(_LEET)
        f = _NON_ALNUM.sub("", f)
        f = _PARTICLE_CANON.get(f, f)
        if f and f not in forms:
            forms[f] = system
    if not forms:
        return None
    return make_part(original, tuple(forms), tuple(forms.values()))


def make_part(
    original: str, forms: tuple[str, ...], systems: tuple[str, ...], role: str = ""
) -> Part:
    form_keys = tuple(skeleton(f) for f in forms)
    undoubled = tuple(undouble(f) for f in forms)
    return Part(
        original,
        forms,
        systems,
        tuple(dict.fromkeys(form_keys)),
        role or _role(forms[0]),
        form_keys,
        undoubled,
        frozenset(forms),
        frozenset(undoubled),
        all(s == "as written" for s in systems),
    )


def undouble(form: str) -> str:
    return _DOUBLED.sub(r"\1", form)


_DOUBLED = re.compile(r"(.)\1+")
_SPLIT = re.compile(r"[\s\-‐‑–—_/.,;:·・•()\"'`’ʼ]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=200_000)
def parse_name(name: str) -> ParsedName:
    """Read a name: drop titles, undo "SURNAME, Given", split, romanise each part."""
    text = unicodedata.normalize("NFKC", name).strip()
    reordered = False
    if text.count(",") == 1:
        surname, given = (s.strip() for s in text.split(","))
        if surname and given:
            text, reordered = f"{given} {surname}", True
    script = script_of(text)
    systems = systems_for(script, text)
    pieces = [p for p in _SPLIT.split(text) if p]
    if script == "CJK" and len(pieces) == 1 and _HAN.search(pieces[0]):
        # A Chinese name has no spaces: the first character is the family name, the rest
        # the given name (习近平 → xi jinping).
        pieces = [pieces[0][:1], pieces[0][1:]] if len(pieces[0]) > 1 else pieces
    parts: list[Part] = []
    dropped: list[str] = []
    for piece in pieces:
        part = read_part(piece, script, systems)
        if part is None:
            continue
        if part.text in TITLES:
            dropped.append(piece)
            continue
        parts.append(part)
    if not parts and dropped:  # a name made only of title words is still a name
        parts = [p for p in (read_part(d, script, systems) for d in dropped) if p]
        dropped = []
    return ParsedName(name, script, systems, tuple(parts), tuple(dropped), reordered)
