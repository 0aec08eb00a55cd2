"""Every screening ground of `grounds.yaml` has a label on the web, in English, French and
Dutch: never the bare code ("eaw grounds")."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.web.i18n import Translator, catalogue
from judicare.web.labels import GROUND, label

GROUNDS = yaml.safe_load(
    (resources.files("judicare.screening") / "grounds.yaml").read_text(encoding="utf-8")
)["grounds"]


@pytest.mark.parametrize("code", sorted(GROUNDS))
def test_every_ground_has_its_english_label(code):
    assert code in GROUND, f"{code} has no label in judicare.web.labels.GROUND"
    assert label("ground", code) == GROUNDS[code]["title"]


@pytest.mark.parametrize("language", ["fr", "nl"])
@pytest.mark.parametrize("code", sorted(GROUNDS))
def test_every_ground_is_translated(language, code):
    english = label("ground", code)
    assert catalogue(language).get(english), f"{language}: no translation of {english!r}"
    shown = Translator(language).gettext(english)
    assert shown != code.replace("_", " ")
