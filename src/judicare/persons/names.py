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
from functools import cache, lru_cache

import icu
from rapidfuzz import process
from rapidfuzz.distance import OSA

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
        "the",
        "and",
        "und",
        "et",
    ]
)
# Legal forms of companies, by kind: an abbreviation and its written-out form are the same
# part (Siemens AG = Siemens Aktiengesellschaft, OAO = Open Joint Stock Company). The
# abbreviations and full names are those of the ISO 20275 Entity Legal Forms code list
# (GLEIF) for the jurisdictions the registers meet most (RU, UA, DE, FR, IT, ES, PL, RO,
# CZ, NL, Nordic, UK/US); no library holding that list is a dependency yet. A legal form
# says the name is an organisation's; it is compared only with another legal form and
# weighs little. Short forms (AG, SA, AB...) are read only at the end of a name.
LEGAL_FORMS = {
    "llc": (
        "LLC; L.L.C.; Ltd; Limited; Limited Liability Company; Limited Company; "
        "Private Limited Company; Pvt Ltd; Pty Ltd; GmbH; "
        "Gesellschaft mit beschränkter Haftung; OOO; ООО; "
        "Общество с ограниченной ответственностью; TOV; ТОВ; "
        "Товариство з обмеженою відповідальністю; Sp. z o.o.; "
        "Spółka z ograniczoną odpowiedzialnością; SRL; Societatea cu Răspundere Limitată; "
        "Società a responsabilità limitata; SARL; Société à responsabilité limitée; s.r.o.; "
        "Společnost s ručením omezeným; BV; Besloten Vennootschap; Ltda; Limitada; "
        "Sociedad de Responsabilidad Limitada"
    ),
    "jsc": (
        "JSC; Joint Stock Company; OJSC; Open Joint Stock Company; CJSC; "
        "Closed Joint Stock Company; PJSC; Public Joint Stock Company; OAO; ZAO; PAO; AO; "
        "ОАО; ЗАО; ПАО; АО; Акционерное общество; Открытое акционерное общество; "
        "Закрытое акционерное общество; Публичное акционерное общество; АТ; ПАТ; "
        "Акціонерне товариство; AG; Aktiengesellschaft; SA; Société anonyme; "
        "Sociedad anónima; SpA; Società per azioni; NV; Naamloze Vennootschap; PLC; "
        "Public Limited Company; AB; Aktiebolag; A/S; ASA; Aktieselskab; Oyj"
    ),
    "corp": "Corp; Corporation; Inc; Incorporated; Co; Company",
    "lp": "LP; Limited Partnership; LLP; Limited Liability Partnership; KG; Kommanditgesellschaft",
}
# bn and bnt are بن and بنت read without vowels
_PARTICLE_CANON = {
    "ben": "bin",
    "ibn": "bin",
    "bn": "bin",
    "el": "al",
    "binti": "bint",
    "bnt": "bint",
    "abou": "abu",
}
_PATRONYMIC = re.compile(
    r"(ovich|evich|ovych|evych|ovitch|evitch|owitsch|ewitsch|ovic|evic|ovici|owicz|ewicz"
    r"|ovna|evna|ivna|yivna|ovnа|uly|uly|kyzy|qyzy|oglu|ogly)$"
)
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
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
    "ETHIOPIC": ("Amharic-Latin/BGN",),
}
# Scripts in which a character is a syllable (Han, Hangul, kana): two names written in the
# same such script are compared character by character, since different characters that
# romanise alike (石 and 市 both read shi) still write different names.
SYLLABIC_SCRIPTS = frozenset({"CJK", "HANGUL", "HIRAGANA", "KATAKANA"})
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
    # each form with doubled letters single (Hassan: hasan) and, as written in Latin, without
    # a Baltic nominative ending (Lavrovs, Putinas: lavrov, putin)
    undoubled: tuple[str, ...] = ()
    form_set: frozenset[str] = frozenset()
    undoubled_set: frozenset[str] = frozenset()
    latin: bool = False  # one form, as written in Latin script
    glyphs: str = ""  # the part as written, in a syllabic script (Han as Simplified)
    # one-consonant skeletons of forms of four letters or more (sysy, sisi: S)
    short_keys: frozenset[str] = frozenset()

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
    fathers: frozenset[int] = frozenset()  # parts after bin/bint: the father's name
    own: int = -1  # with bin/bint, the person's own name: the first name part
    organisation: bool = False  # the name carries a legal form (GmbH, JSC, Ltd...)
    # parts written in brackets: a qualifier (Deutsche Bank (Schweiz) AG), not the name
    qualifiers: frozenset[int] = frozenset()


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
    # a final h is silent (Saleh, صالح: SL), and so is the h of the Indic aspirates bh, jh;
    # after other consonants it is a letter of its own (محمد read mhmd: MHMD, as Mohammad)
    (re.compile(r"(?<=[BJ])h|h$"), ""),
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
    if original.isdigit() or _ORDINAL.match(original):
        return _number_part(original)
    if script == "LATIN":
        raw = [(original, "as written")]
    else:
        raw = [(_transliterator(s).transliterate(original), s) for s in systems]
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
        glyphs,
        frozenset(
            k
            for f, k in zip(forms, form_keys, strict=True)
            if len(k) == 1 and len(f) >= MIN_FORM_ONE_CONSONANT
        ),
    )


def _glyphs(original: str) -> str:
    """Han characters in their Simplified form (習 and 习 write the same name)."""
    return _transliterator("Traditional-Simplified").transliterate(original)


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
_SPLIT = re.compile(r"[\s\-‐‑–—_/.,;:·・•()\"'`’ʼ]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
# An apostrophe between two letters is not a word boundary: the McCune-Reischauer breve
# written as an apostrophe (CH'O'L, HYO'K), the ayn of Arabic spellings (Qa'ida, RABI'I),
# O'Brien. Registers write the same names without it.
_BRACKETED = re.compile(r"\(([^()]*)\)")
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['`’ʼ](?=[^\W\d_])")
# Two capital consonants before the name in a name written in mixed case are initials run
# together (JC Juncker for Jean-Claude Juncker).
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
    qualifiers = frozenset(
        i for i, p in enumerate(parts) if p.original in bracketed and p.role != "legal_form"
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


# Chinese names in Wade-Giles (Mao Tse-tung, Hsi Chin-ping) also read in pinyin (Mao
# Zedong, Xi Jinping): the initials and finals of the Wade-Giles table (ISO 7098:2015,
# annex; Library of Congress pinyin conversion guidelines, 2000), apostrophes of
# aspiration lost as registers drop them, so both readings are kept.
_WADE_GILES = re.compile(
    r"^(ch|hs|ts|tz|sh|ss|sz|[pmftnlkhjsyw])?"
    r"(a|ai|an|ang|ao|e|eh|ei|en|eng|erh|i|ia|iang|iao|ieh|ien|ih|in|ing|iu|iung|o|ou|u|ua"
    r"|uai|uan|uang|uei|ui|un|ung|uo|ueh|ung|yu|yun|yung|yueh|yuan)$"
)
_WG_INITIALS = {
    "hs": ("x",),
    "ts": ("z", "c"),
    "tz": ("z", "c"),
    "ss": ("s",),
    "sz": ("s",),
    "k": ("g", "k"),
    "p": ("b", "p"),
    "t": ("d", "t"),
    "j": ("r",),
}
_WG_FINALS = {
    "ung": "ong",
    "iung": "iong",
    "ieh": "ie",
    "ien": "ian",
    "ih": "i",
    "uei": "ui",
    "eh": "e",
    "ueh": "ue",
    "erh": "er",
    "yung": "yong",
    "yueh": "yue",
}


def _wade_giles(parts: list[Part]) -> bool:
    """Every part of a name of two or more is one Wade-Giles syllable, and one at least
    has a letter that pinyin writes otherwise."""
    names = [p for p in parts if p.role in ("name", "initial")]
    if len(names) < 2 or len(names) != len(parts):
        return False
    if not all(p.latin and _WADE_GILES.match(p.forms[0]) for p in names):
        return False
    return any(_pinyin_readings(p.forms[0]) for p in names)


@cache
def _pinyin_readings(syllable: str) -> tuple[str, ...]:
    m = _WADE_GILES.match(syllable)
    if m is None:
        return ()
    initial, final = m.group(1) or "", m.group(2)
    if initial == "ch":
        initials: tuple[str, ...] = ("j", "q") if final[0] in "iu" else ("zh", "ch")
    else:
        initials = _WG_INITIALS.get(initial, (initial,))
    if initial in ("ts", "tz", "ss", "sz") and final == "u":
        final = "i"  # tzu, ssu: zi, si
    elif initial in ("k", "h") and final == "o":
        final = "e"  # ko, ho: ge, he
    final = _WG_FINALS.get(final, final)
    readings = dict.fromkeys(i + final for i in initials)
    return tuple(r for r in readings if r != syllable)


@lru_cache(maxsize=10_000)
def _with_pinyin(part: Part) -> Part:
    readings = _pinyin_readings(part.forms[0])
    if not readings:
        return part
    systems = part.systems + ("Wade-Giles to pinyin",) * len(readings)
    return make_part(part.original, part.forms + readings, systems, part.role)


def _lineage(parts: list[Part]) -> tuple[frozenset[int], int]:
    """In "Salman bin Muhammad", Muhammad is the father's name and Salman the person's
    own: the first name part after each bin/bint, and the first name part of all."""
    fathers: set[int] = set()
    own = -1
    if not any(p.forms[0] in _KIN for p in parts):
        return frozenset(), own
    for k, part in enumerate(parts):
        if part.role != "particle" or part.text not in _KIN:
            continue
        if own < 0:
            own = next((i for i in range(k) if parts[i].role == "name"), -1)
        after = [i for i in range(k + 1, len(parts)) if parts[i].role == "name"]
        if after:
            fathers.add(after[0])
    return frozenset(fathers), own


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
    stems = set()
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
