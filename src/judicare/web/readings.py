"""Romanised readings of a name shown beside the original script, made by ICU transforms
(the same library the matching engine uses); each reading says which transform made it."""

from __future__ import annotations

from functools import cache

import icu

# (transform id, label shown to the officer)
TRANSFORMS = (
    ("Any-Latin; NFC", "ICU Any-Latin"),
    ("Any-Latin; Latin-ASCII", "ICU Any-Latin, ASCII"),
)


@cache
def _transform(transform_id: str) -> icu.Transliterator:
    return icu.Transliterator.createInstance(transform_id)


def machine_readings(names: list[str]) -> list[dict]:
    """Distinct Latin readings of names not written in Latin script."""
    seen: set[str] = set()
    readings = []
    for name in names:
        if _transform(TRANSFORMS[0][0]).transliterate(name) == name:
            continue  # already in Latin script
        for transform_id, label in TRANSFORMS:
            text = _transform(transform_id).transliterate(name)
            if text != name and text.casefold() not in seen:
                seen.add(text.casefold())
                readings.append({"name": text, "system": label, "of": name})
    return readings
