"""Romanisation: the script of a name, the ICU transforms that read each script (and each
language written in Cyrillic), the ASCII fold, and the consonant skeleton."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import icu  # type: ignore[import-untyped]

from .learned import LEARNED_SYSTEMS

# ICU transform ids per script (and per language for Cyrillic). Every reading is kept.
_CYRILLIC_BY_LANGUAGE = {
    "ru": ("Russian-Latin/BGN",),
    "uk": ("Ukrainian-Latin/BGN",),
    "be": ("Belarusian-Latin/BGN",),
    "kk": ("Kazakh-Latin/BGN",),
}
_SCRIPT_SYSTEMS = {
    "ARABIC": (
        "Arabic-Latin",
        "Persian-Latin/BGN",
        "Arabic-Latin/BGN",
        "Pashto-Latin/BGN",
        "Arabic, foreign names",
    ),
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
# Foreign (European, Asian) names written in Arabic script: ج and غ for g, ك for c/k, تش
# for ch, و and ي as the vowels o/u and i/e; read back as Latin registers write them.
_ARABIC_RULES = {
    "Arabic, foreign names": """
        [\u064b-\u0652] > ; تش > ch; ج > g; غ > g; ك > k; ق > k; ث > th; ذ > dh; خ > kh;
        ش > sh; ح > h; ع > ; ء > ; أ > a; إ > i; آ > a; ا > a; ى > a; ة > a; ئ > i; ؤ > o;
        و > o; ي > i; ی > i; ک > k; گ > g; چ > ch; پ > p; ژ > zh; ص > s; ض > d; ط > t;
        ظ > z; ه > h; ب > b; ت > t; د > d; ر > r; ز > z; س > s; ف > f; ل > l; م > m; ن > n;
    """,
}
_CYRILLIC_RULES = {
    # Japanese names in Russian are written in the Polivanov system (си for shi, ти for chi,
    # дз for z, дзи for ji, э for e); read back into Hepburn, as Latin registers write them.
    "Polivanov to Hepburn": """
        дзя > ja; дзю > ju; дзё > jo; дзи > ji; дз > z; ся > sha; сю > shu; сё > sho;
        си > shi; тя > cha; тю > chu; тё > cho; ти > chi; цу > tsu; ё > yo; ю > yu; я > ya;
        э > e; й > i; х > h; ва > wa; ъ > ; ь > ;
    """,
    # Chinese names in Russian are written in the Palladius system (цз for z/j, чж for zh,
    # ж for r, сяо for xiao); read back into pinyin.
    "Palladius to pinyin": """
        цзя > jia; цзе > jie; цзи > ji; цзю > jiu; цзы > zi; цз > z; ця > qia; це > qie;
        ци > qi; цю > qiu; ся > xia; се > xie; си > xi; сю > xiu; чж > zh; ж > r; ч > ch;
        ш > sh; х > h; ц > c; юнь > yun; ю > iu; я > ia; э > e; ы > i; нь > n; й > i; ь > ;
    """,
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


@cache
def _transliterator(system: str) -> icu.Transliterator:
    if system in _ARABIC_RULES:
        rules = ":: NFC; " + _ARABIC_RULES[system] + " :: Arabic-Latin;"
        return icu.Transliterator.createFromRules(
            f"judicare-{system}", rules, icu.UTransDirection.FORWARD
        )
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
    """The romanisation systems that read a text in `script` (for Cyrillic, by the language
    its letters suggest): one shared tuple per script and language, which every name and
    part read keeps."""
    if script == "LATIN":
        return ()
    return _systems(script, cyrillic_language(text) if script == "CYRILLIC" else "")


@cache
def _systems(script: str, lang: str) -> tuple[str, ...]:
    if script == "CYRILLIC":
        return (
            *_CYRILLIC_BY_LANGUAGE[lang],
            "Cyrillic-Latin",
            "ICAO 9303",
            "German",
            "French",
            "Polivanov to Hepburn",
            "Palladius to pinyin",
            LEARNED_SYSTEMS["CYRILLIC"],
        )
    if script in LEARNED_SYSTEMS:
        return (*_SCRIPT_SYSTEMS[script], LEARNED_SYSTEMS[script])
    return _SCRIPT_SYSTEMS.get(script, ("Any-Latin",))


def fold(text: str) -> str:
    """Lower-case ASCII reading of a Latin text: accents off, č/š/ž as ch/sh/zh."""
    folded: str = _folder().transliterate(text)
    return folded


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
    out: list[str] = []
    for ch in s.upper():
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)
