"""Sending e-mail: through a configured SMTP server, or kept in memory (tests, and a
server with no SMTP configured)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from judicare.notifications.domain import Email


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SmtpMailer:
    """One connection per batch would be faster; one per message keeps failures apart."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> None:
        self.sent.append(email)
