"""What the API and the web forms accept for victims and witnesses (issue 20)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2_147_483_647
PersonId = Annotated[int, Field(ge=1, le=MAX_ID)]

Channel = Literal["email", "phone", "post", "in_person", "through_lawyer"]
Measure = Literal[
    "anonymity", "hearing_protection", "video_hearing", "relocation_referral", "temporary_transfer"
]
Step = Literal[
    "request_received", "request_sent", "request_executed", "request_refused",
    "proceedings_opened", "answer_to_question",
]  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NeedsIn(Strict):
    language: str = Field(
        min_length=2, max_length=8, pattern=r"^[a-z]{2,3}$",
        description="the language the person understands (ISO 639-1, e.g. uk, fr, nl)",
    )  # fmt: skip
    interpreter_needed: bool = False
    child: bool = False
    vulnerable: bool = False
    sgbv: bool = Field(default=False, description="sexual or gender-based violence")
    consent_to_contact: bool = False
    channel: Channel | None = Field(default=None, description="the channel the person chose")
    contact: str = Field(default="", max_length=500)


class MeasureIn(Strict):
    person_id: PersonId
    measure: Measure
    data: dict[str, Any] = Field(default_factory=dict)
    withhold_from: list[str] = Field(
        default_factory=list, max_length=20,
        description="states that must never learn of the measure (ISO codes)",
    )  # fmt: skip
    reasons: str = Field(min_length=1, max_length=8000)


class MeasureDecisionIn(Strict):
    grant: bool
    reasons: str = Field(min_length=1, max_length=8000)


class InformationRequestIn(Strict):
    person_id: PersonId
    question: str = Field(min_length=1, max_length=8000)
    received_on: date


class NoticeIn(Strict):
    person_id: PersonId
    step: Step
    answer: str = Field(default="", max_length=8000)
    information_request_id: PersonId | None = None
