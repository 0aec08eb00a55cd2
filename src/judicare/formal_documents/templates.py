"""Where the words, the layout and the authority's profile of the formal documents come from:
a directory the central authority controls (the setting `documents_dir`), falling back to
the packaged defaults file by file. Nothing in it is code: YAML and Jinja2 templates.

    <documents_dir>/profile.yaml                  letterhead, address, place, signatory
    <documents_dir>/<authority id>/profile.yaml   the same, for one authority of the node
    <documents_dir>/templates/text/<lang>.yaml    the words (merged over the packaged ones)
    <documents_dir>/templates/<kind>.html.j2      the layout of one kind (or document.html.j2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from judicare.errors import InvalidInput

PACKAGED = Path(__file__).parent
LANGUAGES = ("en", "fr", "nl")
PROFILE_KEYS = {"authority", "address", "place", "signatory"}


class BadTemplate(InvalidInput):
    code = "bad_document_template"


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadTemplate(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BadTemplate(f"{path}: expected a mapping of keys to values")
    return data


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merged(base[key], value)
            if isinstance(value, dict) and isinstance(base.get(key), dict)
            else value
        )
    return out


@dataclass(frozen=True)
class Templates:
    directory: Path | None = None  # the authority's; None uses the packaged defaults only

    def _custom(self, *parts: str) -> Path | None:
        if self.directory is None:
            return None
        path = self.directory.joinpath(*parts)
        return path if path.is_file() else None

    def wording(self, language: str) -> dict[str, Any]:
        if language not in LANGUAGES:
            raise InvalidInput(f"lang {language!r} is not offered: use one of en, fr, nl")
        words = _yaml(PACKAGED / "templates" / "text" / f"{language}.yaml")
        custom = self._custom("templates", "text", f"{language}.yaml")
        return _merged(words, _yaml(custom)) if custom else words

    def profile(self, authority_id: str) -> dict[str, Any]:
        path = (
            self._custom(authority_id, "profile.yaml")
            or self._custom("profile.yaml")
            or PACKAGED / "defaults" / "profile.yaml"
        )
        profile = _yaml(path)
        unknown = set(profile) - PROFILE_KEYS
        if unknown:
            raise BadTemplate(
                f"{path}: unknown key {sorted(unknown)[0]!r}: use {', '.join(sorted(PROFILE_KEYS))}"
            )
        if not isinstance(profile.get("address") or [], list):
            raise BadTemplate(f"{path}: address must be a list of lines")
        return profile

    def environment(self) -> Environment:
        loaders = [FileSystemLoader(str(PACKAGED / "templates"))]
        if self.directory is not None:
            loaders.insert(0, FileSystemLoader(str(self.directory / "templates")))
        return Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html", "j2"], default=False),
            undefined=StrictUndefined,
        )

    def html(self, document: dict[str, Any], meta: dict[str, Any]) -> str:
        env = self.environment()
        template = env.select_template([f"{document['kind']}.html.j2", "document.html.j2"])
        return template.render(doc=document, meta=meta)
