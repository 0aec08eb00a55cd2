"""Given names and their nicknames (Ted and Theodore, Ben and Benjamin).

The pairs come from the `nicknames` package: a hand-curated table of English given names
and their nicknames (Carlton Northern and Nick Crews, Apache-2.0), read once, in memory.
Only a name and a nickname listed together count: two nicknames of the same name (Bob and
Rob) do not, nor does a name that merely begins like another.
"""

from __future__ import annotations

from functools import cache, lru_cache

from nicknames import NickNamer


@cache
def _namer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=100_000)
def is_nickname_pair(a: str, b: str) -> bool:
    """Whether one of two lower-case given names is a listed nickname of the other."""
    if a == b or not a.isalpha() or not b.isalpha():
        return False
    namer = _namer()
    return b in namer.nicknames_of(a) or a in namer.nicknames_of(b)
