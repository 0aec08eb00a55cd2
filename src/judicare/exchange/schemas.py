"""The exchange's user API shapes (Pydantic): what an officer asks the node to send."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from judicare.exchange.correspondence import MAX_TEXT
from judicare.requests.schemas import Strict

MAX_ID = 2_147_483_647
NODE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class SendIn(Strict):
    to: str = Field(pattern=NODE_ID, description="the peer's node id (`judicare node peers list`)")
    supplements: int | None = Field(
        default=None, ge=1, le=MAX_ID,
        description="the request already sent to the same peer that this one supplements",
    )  # fmt: skip


class AnswerIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    document_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=100,
        description="documents of the request's file to send with the answer",
    )  # fmt: skip


class InformationIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
