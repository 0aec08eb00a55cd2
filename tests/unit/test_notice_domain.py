"""What a notice's e-mail says (the reference and a link, nothing else), and a deadline's
reminder occasion."""

from __future__ import annotations

from datetime import date

import pytest

from judicare.notifications.domain import NoticeKind, compose, deadline_occasion


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_of_email_carries_the_reference_and_link_only(kind):
    email = compose(kind.value, "BEL-CA/2026/ABC", "https://j.example/requests/7", "o@example.org")
    assert email.to == "o@example.org"
    assert "BEL-CA/2026/ABC" in email.subject and email.subject.startswith("[Judicare] ")
    assert "https://j.example/requests/7" in email.body
    assert set(email.body.split()) <= set(
        (email.subject.removeprefix("[Judicare] ") + ". Open it in Judicare: "
         "https://j.example/requests/7 This message holds no case details; they are in the "
         "application.").split()
    )  # fmt: skip


def test_a_moved_deadline_is_a_new_occasion():
    assert deadline_occasion(1, "requested_execution", date(2026, 12, 1)) != deadline_occasion(
        1, "requested_execution", date(2026, 12, 2)
    )
