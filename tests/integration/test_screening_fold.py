"""Issue 17, the safeguard's readability on the screening page: a new request about the demo's
refugee shows the refugee register's finding apart, and the other requests that record her
status in one card that lists their references, worded in the officer's language."""

from __future__ import annotations

import re

import pytest

from tests.integration.web_support import WebUser, new_request

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _officer(demo_api, name: str, language: str) -> WebUser:
    from judicare.auth.service import create_user
    from judicare.demo import DEMO_PASSWORD
    from tests.integration.api_support import OWN

    with demo_api.app.unit_of_work() as uow:
        create_user(uow.session, username=name, password=DEMO_PASSWORD, role="officer",
                    authority_id=OWN)  # fmt: skip
        uow.commit()
    officer = WebUser(demo_api, name)
    officer.post("/language", {"lang": language, "next": "/"})
    return officer


def _cards(page: str) -> list[str]:
    return re.findall(r'<article class="finding[^"]*".*?</article>', page, re.S)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", r"is recorded as a refugee in (\d+) other requests? of the register:"),
        (
            "fr",
            r"figure en qualité de bénéficiaire du statut de réfugié dans (\d+) autres? "
            r"demandes? du registre :",
        ),
        (
            "nl",
            r"is als vluchteling geregistreerd in (\d+) (?:ander verzoek|andere verzoeken) "
            r"van het register:",
        ),
    ],
)
def test_the_other_requests_recording_her_status_are_one_card(demo_api, language, sentence):
    officer = _officer(demo_api, f"fold.officer.{language}", language)
    request_id = new_request(officer)
    page = officer.get(f"/requests/{request_id}/screening").text
    protected = [c for c in _cards(page) if 'id="finding-protected_status' in c]
    folded = [c for c in protected if 'class="finding-recorded"' in c]
    assert len(folded) == 1, "one card for the requests that record her status"
    assert len(protected) == 2, "and the refugee register's finding apart"
    said = re.search(sentence, folded[0])
    assert said, folded[0][:1500]
    references = re.findall(r"<li>([A-Z]{3}-[^ <]+)", folded[0])
    assert references and len(references) == int(said.group(1))
    assert len(set(references)) == len(references)
    assert "refugees/" in next(c for c in protected if c is not folded[0]) or language != "en"
