"""Chinese names written in Wade-Giles also read in pinyin."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .parts import Part, make_part

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
