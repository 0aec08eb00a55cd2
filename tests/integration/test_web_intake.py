"""Intake in the browser's forms: the outgoing wizard's step list and review, the live panel's
word on documents, and a register import that checks and writes in the background with its
progress. On SQLite and PostgreSQL, through the forms a browser sends."""

from __future__ import annotations

import re
import threading

import pytest

from judicare.web import registers
from tests.integration.web_support import WebUser, incoming_form, wait_for_job
from tests.waiting import PATIENCE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HEADER = "id,names,birth_date,nationality,status,country_of_feared_persecution,status_date\n"


def outgoing(**changes) -> dict[str, str]:
    """An outgoing request, every step filled in, as the wizard's form sends it."""
    form = dict(incoming_form(direction="outgoing", step="0", go="next"))
    form.update(requesting_state="BEL", requested_state="KAZ", measures="hearing_witness")
    form.update(
        {
            "requesting_authority": "Federal Prosecutor (fictional test)",
            "case_reference": "BE-FICT-2026-17",
            "procedure_wished": "hearing in the presence of the Belgian investigator",
            "person-0-romanisations": "Zhanar Testbayeva | BGN/PCGN\nJanar Testbaeva",
            "person-0-protected_status": "refugee",
        }
    )
    form.update(changes)
    return form


def step_of(response) -> int:
    return int(re.search(r'name="step" value="(\d+)"', response.text).group(1))


def steps_list(response) -> str:
    return re.search(r'<ol class="wizard-steps">(.*?)</ol>', response.text, re.S).group(1)


def first_button_in_form(response) -> str:
    form = response.text[response.text.index('id="intake-form"') :]
    return re.search(r'<button type="submit" name="go" value="([^"]+)"', form).group(1)


# --- the wizard's step list --------------------------------------------------------------------


def test_the_step_list_marks_the_current_step_and_offers_the_ones_reached(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = outgoing()
    for step in (0, 1):
        form.update(step=str(step), go="next")
        response = officer.post("/requests/new", list(form.items()))
    assert response.status_code == 200 and step_of(response) == 2
    items = re.findall(r"<li([^>]*)>(.*?)</li>", steps_list(response), re.S)
    assert len(items) == 5
    assert [i for i, (attrs, _) in enumerate(items) if 'aria-current="step"' in attrs] == [2]
    assert "Assistance sought" in items[2][1] and "<button" not in items[2][1]
    for number in (0, 1):  # earlier steps are buttons of the form: reachable by keyboard
        assert f'name="go" value="goto-{number}"' in items[number][1]
    for number in (3, 4):  # not reached yet: not offered
        assert "<button" not in items[number][1]


def test_a_step_of_the_list_goes_back_and_forth_keeping_everything_typed(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = outgoing(step="4", reached="4", go="goto-1")
    response = officer.post("/requests/new", list(form.items()))
    assert response.status_code == 200 and step_of(response) == 1
    assert 'name="reached" value="4"' in response.text
    assert ">Fictional facts for a test: hearing of a witness" in response.text  # the textarea
    for hidden in ('name="purpose" value="evidence for trial"', 'name="person-0-birth_date"'):
        assert hidden in response.text  # the other steps ride along
    assert 'value="goto-4"' in steps_list(response)  # the review was reached: offered again
    form.update(step="1", go="goto-4", facts_summary="Fictional facts, corrected at step two.")
    response = officer.post("/requests/new", list(form.items()))
    assert response.status_code == 200 and step_of(response) == 4
    assert "Fictional facts, corrected at step two." in response.text
    form.update(step="4", go="submit")
    assert officer.post("/requests/new", list(form.items())).status_code == 303


def test_the_step_list_does_not_skip_steps_never_reached(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    response = officer.post("/requests/new", list(outgoing(go="goto-4").items()))
    assert response.status_code == 200 and step_of(response) == 0


def test_going_forward_stops_at_the_first_step_a_problem_holds_up(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = outgoing(step="0", reached="4", go="goto-4", facts_summary="")
    response = officer.post("/requests/new", list(form.items()))
    assert response.status_code == 422 and step_of(response) == 1
    assert 'id="facts_summary-error"' in response.text
    form.update(
        {"facts_summary": "Fictional facts, long enough.", "person-0-name": "", "go": "goto-2"}
    )
    response = officer.post("/requests/new", list(form.items()))  # a later step's problem waits
    assert response.status_code == 200 and step_of(response) == 2


def test_enter_in_a_field_presses_next_not_a_step_or_remove_person(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = outgoing(step="3", reached="3", go="goto-3")
    response = officer.post("/requests/new", list(form.items()))
    assert step_of(response) == 3 and 'value="remove_person-0"' in response.text
    assert first_button_in_form(response) == "next"
    form.update(go="next")
    review = officer.post("/requests/new", list(form.items()))
    assert step_of(review) == 4 and first_button_in_form(review) == "submit"
    incoming = officer.get("/requests/new")
    assert first_button_in_form(incoming) == "submit"


def test_the_review_shows_everything_that_will_be_registered(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    form = outgoing(step="3", go="next")
    fields = [*form.items(), ("crimes", "crimes_against_humanity")]
    response = officer.post("/requests/new", fields)
    assert step_of(response) == 4
    review = re.search(r'<section class="review".*?</section>', response.text, re.S).group(0)
    for shown in (
        "Жанар Нурланқызы Тестбаева",
        "Zhanar Testbayeva</span> (BGN/PCGN)",
        "Janar Testbaeva",
        "<dd>1984-03</dd>",
        "<dd>KAZ</dd>",
        "<dd>Refugee</dd>",  # the status typed, in the page's words
        "<dd>Witness</dd>",
        "Crimes against humanity",
        "Fictional facts for a test",
        "evidence for trial",
        "hearing in the presence of the Belgian investigator",
        "BE-FICT-2026-17",
        "Federal Prosecutor (fictional test)",
    ):
        assert shown in review, shown
    assert 'value="goto-3"' in review  # each part says where to change it


# --- the live panel's word on documents ------------------------------------------------------


def live_check(user: WebUser, fields) -> str:
    response = user.client.post(
        "/requests/new/check", data=dict(fields), headers={"X-CSRF-Token": user.csrf}
    )
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize(
    "lang,words",
    [
        ("en", "once the request is registered, add the warrant or judgment"),
        ("fr", "une fois la demande enregistrée"),
        ("nl", "zodra het verzoek is geregistreerd"),
    ],
)
def test_the_warrant_item_says_documents_are_added_after_registering(demo_api, lang, words):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new?direction=outgoing")
    officer.post("/language", {"lang": lang, "next": "/"})
    fields = outgoing(kind="extradition", requesting_state="BEL", requested_state="UKR")
    panel = live_check(officer, fields.items())
    officer.post("/language", {"lang": "en", "next": "/"})
    missing = re.search(r'<ul class="missing">(.*?)</ul>', panel, re.S).group(1)
    item = re.search(
        r"<li>([^<]*)(?:<span class=\"citation\">[^<]*</span>)?<p class=\"hint after-registration\">(.*?)</p>",
        missing,
        re.S,
    )
    assert item and words in item.group(2)


def test_no_word_on_documents_when_no_document_is_required(demo_api):
    officer = WebUser(demo_api, "anna.officer")
    officer.get("/requests/new")
    assert "after-registration" not in live_check(officer, incoming_form())


# --- a register import in the background -----------------------------------------------------


class Gate:
    """Holds the register check after each progress report until the test lets it go on."""

    def __init__(self, monkeypatch) -> None:
        self.open = threading.Semaphore(0)
        real = registers._progress

        def held(job):
            report = real(job)

            def checked(done: int, total: int) -> None:
                report(done, total)
                if done < total:
                    # the bound of the test's own wait for the page (`wait_for_job`): on a
                    # loaded machine the test may take more than 20 s to see the page and
                    # let the check go on
                    assert self.open.acquire(timeout=PATIENCE), "the test never let the check go on"

            return checked

        monkeypatch.setattr(registers, "_progress", held)
        monkeypatch.setattr(registers, "PROGRESS_EVERY", 1)
        monkeypatch.setattr(registers, "QUICK_CHECK", 0.01)


def upload(admin: WebUser, csv_text: str, register: str = "web-intake"):
    return admin.post("/registers/import", {"register": register},
                      files={"file": ("r.csv", csv_text.encode(), "text/csv")})  # fmt: skip


def job_of(response) -> str:
    return re.search(r'hx-get="/registers/jobs/(\w+)"', response.text).group(1)


def announced(page) -> str:
    return re.search(r'<p id="import-announce"[^>]*aria-live="polite">(.*?)</p>', page.text).group(
        1
    )


def test_the_form_answers_at_once_and_shows_the_check_then_the_import(demo_api, monkeypatch):
    gate = Gate(monkeypatch)
    admin = WebUser(demo_api, "nina.nodeadmin")
    rows = "".join(
        f"G{n},Person {n}|Персона {n},1970,RUS,refugee,RUS,2020-01-01\n" for n in range(3)
    )
    response = upload(admin, HEADER + rows)
    assert response.status_code == 200 and "<progress" in response.text  # the check waits
    job = job_of(response)
    page = wait_for_job(admin, job, "0 of 3 rows checked")
    assert announced(page) == "Step 1 of 2: checking the file row by row."
    assert '<label for="import-progress">Rows checked</label>' in page.text
    assert 'role="status"' not in page.text.split('id="import-job"')[1]
    gate.open.release()
    page = wait_for_job(admin, job, "1 of 3 rows checked")
    assert announced(page) == "Step 1 of 2: checking the file row by row."  # the same phase
    gate.open.release(2)
    page = wait_for_job(admin, job, "Imported: 3 added")
    assert announced(page) == "Imported: 3 added, 0 updated."
    assert 'hx-trigger="every 500ms"' not in page.text  # the page stops asking


def test_a_check_refused_in_the_background_shows_the_rows_next_to_the_file(demo_api, monkeypatch):
    gate = Gate(monkeypatch)
    admin = WebUser(demo_api, "nina.nodeadmin")
    rows = "B1,Ivan Petrov,1970,RUS,refugee,RUS,2020-01-01\nB2,,1990,ZZZ,refugee,KAZ,2020-01-01\n"
    response = upload(admin, HEADER + rows, register="web-intake-bad")
    job = job_of(response)
    gate.open.release(2)
    page = wait_for_job(admin, job, 'id="file-error"')
    assert "row 3:" in page.text  # the row of the file
    assert 'aria-describedby="file-error" aria-invalid="true"' in page.text
    assert 'value="web-intake-bad"' in page.text  # the register name is kept
    assert announced(page) == "The file was not imported; nothing was changed."


def test_an_id_repeated_in_the_file_is_refused(demo_api, monkeypatch):
    monkeypatch.setattr(registers, "PROGRESS_EVERY", 1)
    admin = WebUser(demo_api, "nina.nodeadmin")
    rows = "D1,Ivan Petrov,1970,RUS,refugee,RUS,2020-01-01\nD1,Iwan Petrow,1970,RUS,,,\n"
    response = upload(admin, HEADER + rows)
    assert response.status_code == 422  # a small file's verdict comes back with the form
    assert "row 3: id &#39;D1&#39; appears twice in the file" in response.text
    assert 'id="file-error"' in response.text


def test_a_wrong_header_is_refused_in_the_services_words(demo_api):
    admin = WebUser(demo_api, "nina.nodeadmin")
    response = upload(admin, "id,name\nX,Y\n")
    assert response.status_code == 422 and "must be exactly id,names," in response.text
    response = upload(admin, HEADER)
    assert response.status_code == 422 and "the file has a header but no rows" in response.text


def test_check_file_reads_quoted_cells_and_blank_lines_as_the_service_does():
    text = (
        HEADER
        + '\nQ1,"Petrov, Ivan|Иван",1970,RUS,refugee,RUS,2020-01-01\n\n'
        + ('Q2,"Ann ""Annie"" Lee",,,,,\n')
    )
    seen: list[tuple[int, int]] = []
    records = registers.check_file(text, "quoted", lambda done, total: seen.append((done, total)))
    assert [r.names for r in records] == [("Petrov, Ivan", "Иван"), ('Ann "Annie" Lee',)]
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert records == registers.parse_register_csv(text, "quoted")


def test_imports_do_not_pile_up_a_third_waits_for_the_others(demo_api, monkeypatch):
    gate = Gate(monkeypatch)
    admin = WebUser(demo_api, "nina.nodeadmin")
    rows = "P1,Ivan Petrov,1970,RUS,refugee,RUS,2020-01-01\n"
    running = [upload(admin, HEADER + rows, register=f"pile-{n}") for n in range(2)]
    assert all(r.status_code == 200 for r in running)
    third = upload(admin, HEADER + rows, register="pile-2")
    assert third.status_code == 429 and 'id="file-error"' in third.text
    assert "still running" in third.text and 'value="pile-2"' in third.text
    gate.open.release(10)
    for response in running:
        wait_for_job(admin, job_of(response), "Imported:")
    assert upload(admin, HEADER + rows, register="pile-3").status_code == 200  # room again
