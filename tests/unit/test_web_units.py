"""The web adapter's pure parts: catalogues, language choice, plural forms, charts."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from judicare.web.charts import country_paths, line_chart, world_map, yearly_totals
from judicare.web.i18n import LOCALE_DIR, Translator, negotiate, plural_index

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalogue(path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_text_is_translated_with_the_same_placeholders(language):
    template = _catalogue(LOCALE_DIR / "messages.pot")
    translated = _catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po")
    for message in template:
        if not message.id:
            continue
        found = translated.get(message.id)
        assert found is not None and not found.fuzzy, f"{language}: {message.id!r} untranslated"
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = found.string if isinstance(found.string, tuple) else (found.string,)
        assert all(targets), f"{language}: {message.id!r} has an empty translation"
        wanted = set(PLACEHOLDER.findall(sources[-1]))
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) <= wanted | set(
                PLACEHOLDER.findall(sources[0])
            ), (language, message.id, target)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("fr-BE,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE,nl;q=0.5,en;q=0.4", "nl"),
        ("de, es", "en"),
        ("en;q=0.1, fr;q=0.9", "fr"),
        ("nl;q=oops", "en"),
    ],
)
def test_the_browsers_language_is_followed(header, language):
    assert negotiate(header) == language


@pytest.mark.parametrize(
    ("language", "count", "form"),
    [("fr", 0, 0), ("fr", 1, 0), ("fr", 2, 1), ("nl", 0, 1), ("nl", 1, 0), ("en", 2, 1)],
)
def test_plural_forms_follow_each_languages_rule(language, count, form):
    assert plural_index(language, count) == form


def test_a_translated_plural_is_used():
    assert Translator("fr").ngettext("%(num)d request", "%(num)d requests", 1) == "1 demande"


def test_partial_birth_dates_stay_as_written():
    assert Translator("fr").date("1984-03") == "1984-03"
    assert Translator("fr").date("1984-03-17") == "17 mars 1984"


def test_yearly_totals_are_cumulative():
    parties = [
        {"signed": "1998-07-18", "consent": {"date": "2000-01-01"}},
        {"signed": "1999-01-01", "consent": None},
        {"signed": None, "consent": {"date": "2002-04-11"}},
    ]
    totals = yearly_totals(parties)
    assert [t["year"] for t in totals] == [1998, 1999, 2000, 2001, 2002]
    assert totals[-1] == {"year": 2002, "signatures": 2, "consents": 2}
    assert line_chart(totals)["last"] == totals[-1]
    assert yearly_totals([]) == [] and line_chart([]) == {}


def test_the_map_has_the_worlds_states_and_colours_them():
    states = {alpha3 for alpha3, _name, _path in country_paths()}
    assert {"BEL", "KAZ", "NLD", "UKR", "XKX"} <= states and len(states) > 150
    shapes = {s["state"]: s["status"] for s in world_map({"BEL": "party"})}
    assert shapes["BEL"] == "party" and shapes["KAZ"] == "none"


@pytest.mark.parametrize(
    ("target", "kept"),
    [("/", "/"), ("/requests?status=received", "/requests?status=received"), ("//evil.example", "/"),
     ("/\\evil.example", "/"), ("https://evil.example/", "/"), (None, "/"), ("", "/")],
)  # fmt: skip
def test_after_sign_in_only_this_site_is_a_destination(target, kept):
    from judicare.web.session import safe_next

    assert safe_next(target) == kept


def test_every_code_label_is_in_the_catalogue_template():
    from judicare.web.labels import ALL

    extracted = {m.id for m in _catalogue(LOCALE_DIR / "messages.pot") if m.id}
    for group, words in ALL.items():
        for code, text in words.items():
            assert text in extracted, f"labels.{group}[{code!r}] is not extracted: run pybabel"


def test_templates_show_no_raw_code_with_underscores_replaced():
    """A code is shown through `label(group, code)`, never as `code|replace('_', ' ')`,
    which would stay English on French and Dutch pages."""
    from judicare.web.rendering import TEMPLATES

    for template in TEMPLATES.glob("*.html"):
        assert "replace('_'" not in template.read_text(), template.name


@pytest.mark.parametrize(
    ("group", "code"),
    [("deadline", "requested_execution"), ("deadline", "provisional_arrest_release_required"),
     ("in_force", "not_in_force"), ("participation_data", "partial"),
     ("consent_action", "accession"), ("chain_problem", "broken_link"),
     ("date_relation", "swapped")],
)  # fmt: skip
def test_data_codes_are_words_in_french_and_dutch(group, code):
    from judicare.web.labels import label

    english = label(group, code)
    assert english != code  # a word for it exists
    for language in ("fr", "nl"):
        assert Translator(language).gettext(english) != english, (language, group, code)


@pytest.mark.parametrize(
    ("filename", "header"),
    [("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
     ("Déclaration témoin.txt",
      "attachment; filename=\"D_claration t_moin.txt\"; "
      "filename*=UTF-8''D%C3%A9claration%20t%C3%A9moin.txt"),
     ('a"b\\c\r\n.txt', "attachment; filename=\"a_b_c__.txt\"; filename*=UTF-8''a%22b%5Cc%0D%0A.txt"),
     ("Жанар.pdf", "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%D0%96%D0%B0%D0%BD%D0%B0%D1%80.pdf")],
)  # fmt: skip
def test_downloads_carry_their_name_as_rfc_6266_says(filename, header):
    from judicare.files.media import content_disposition

    assert content_disposition(filename) == header
