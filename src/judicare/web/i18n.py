"""The officer's language: English, French or Dutch, from Babel catalogues.

The catalogues are the `.po` files under `locale/`, read with Babel when first needed (no
compiled `.mo` files to keep in step). Strings are marked in templates with `_()`; extract
them with `pybabel extract -F src/judicare/web/babel.cfg -o messages.pot src/judicare/web`
and merge with `pybabel update -i messages.pot -d src/judicare/web/locale`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from gettext import c2py
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = {"en": "English", "fr": "Français", "nl": "Nederlands"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation for one language; English is the source and has none."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    table: dict[str, str | tuple[str, ...]] = {}
    for message in messages:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            table[message.id[0]] = tuple(message.string)
        else:
            table[message.id] = message.string
    return table


@dataclass(frozen=True)
class Translator:
    """gettext and friends for one language, handed to each template render."""

    language: str

    def gettext(self, message: str, **values) -> str:
        found = catalogue(self.language).get(message)
        text = found if isinstance(found, str) and found else message
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        found = catalogue(self.language).get(singular)
        if isinstance(found, tuple) and all(found):
            text = found[min(plural_index(self.language, n), len(found) - 1)]
        else:
            text = singular if n == 1 else plural
        return text % {"num": n, **values}

    def date(self, value: date | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            if len(value) < 10:  # a partial date such as 1984 or 1984-05 stays as written
                return value
            value = date.fromisoformat(value[:10])
        return format_date(value, format="medium", locale=self.language)

    def datetime(self, value: datetime | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(value, format="medium", locale=self.language)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.language)


@cache
def _plural_rule(language: str):
    return c2py(get_plural(language).plural_expr)


def plural_index(language: str, n: int) -> int:
    """Which plural form (msgstr[i]) a count takes in a language, by its gettext rule."""
    return _plural_rule(language)(n)


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header, else English."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    offers = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        offers.append((-quality, position, tag.strip().lower()[:2]))
    for quality, _position, language in sorted(offers):
        if language in LANGUAGES and quality < 0:  # q=0 means "not this one"
            return language
    return DEFAULT_LANGUAGE


def choose_language(*preferences: str | None) -> str:
    """The first preference that is one of our languages."""
    for preference in preferences:
        if preference in LANGUAGES:
            return preference
    return DEFAULT_LANGUAGE
