"""Caveats in the user's language: the data's own vocabulary (file names, row numbers,
"[UNSURE]" markers) stays in `judicare treaty sources`, which the caveat points to."""

from __future__ import annotations

import re

_UNSURE = re.compile(r"\*{0,2}\[\s*UNSURE[^\]]*\]\*{0,2}", re.IGNORECASE)
_NAME = r"\b[\w./-]+\.(?:csv|ya?ml|md|json)\b"
_FILE_IN_PARENTHESES = re.compile(r"\s*\([^()]*" + _NAME + r"[^()]*\)")
_FILE = re.compile(_NAME)
_ROW = re.compile(r"\b(?:row|line)s?\s+\d+(?:\s*(?:-|–|and)\s*\d+)?\b", re.IGNORECASE)
_SPACES = re.compile(r"\s{2,}")
_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[,;:.)])")


def for_users(text: str, instrument_id: str | None = None) -> str:
    """`text` without file names, row numbers or [UNSURE] markers; a caveat that needed
    them says where the detail is."""
    cleaned = _UNSURE.sub("(not confirmed by the sources)", text)
    technical = cleaned != text
    for pattern, word in ((_FILE_IN_PARENTHESES, ""), (_FILE, "the data"), (_ROW, "")):
        cleaned, count = pattern.subn(word, cleaned)
        technical = technical or count > 0
    cleaned = _BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", cleaned)).strip()
    if technical and instrument_id:
        cleaned += f" (details: `judicare treaty sources {instrument_id}`)"
    return cleaned


__all__ = ["for_users"]
