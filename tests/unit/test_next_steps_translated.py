"""Every next step the screening can give (in `grounds.yaml` or written in the safeguards'
code) is a message of the catalogues, so French and Dutch pages show it translated."""

from __future__ import annotations

import ast
from importlib import resources

from judicare.screening.grounds import grounds_data
from judicare.web.i18n import Translator
from judicare.web.labels import NEXT_STEPS


def _written_in_code() -> set[str]:
    found = set()
    for module in ("safeguards.py", "rules.py", "grounds.py"):
        source = (resources.files("judicare.screening") / module).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "Finding"
                and len(node.args) >= 7
                and isinstance(node.args[6], ast.Constant)
            ):
                found.add(node.args[6].value)
    return found - {""}


def test_every_next_step_is_a_translated_message():
    from_data = {g["next_step"] for g in grounds_data()["grounds"].values() if g.get("next_step")}
    steps = from_data | _written_in_code()
    assert len(steps) >= 15
    assert steps <= set(NEXT_STEPS), steps - set(NEXT_STEPS)
    for language in ("fr", "nl"):
        for text in steps:
            assert Translator(language).gettext(text) != text, (language, text)
