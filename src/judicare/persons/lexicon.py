"""Words of names that are not names: titles, particles, legal forms of companies (the
lexicon of `judicare.persons.names`)."""

from __future__ import annotations

import re

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
_SPLIT = re.compile(r"[\s\-‐‑–—_/.,;:·・•()\"'`’ʼ]+")
