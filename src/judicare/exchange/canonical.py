"""One canonical byte form per message, and the registry of message types.

Every signed thing (envelope header, payload, receipt, node card) is turned into bytes by
`canonical_bytes` only: JSON with keys sorted, no insignificant whitespace, UTF-8 without
escaping, integers but no floats (their text form is not unique). Two nodes that agree on a
value therefore agree on its bytes, which is what a signature covers. Golden-bytes tests in
`tests/unit/exchange` pin the form of each type; changing it needs a new version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from judicare.exchange.errors import Malformed

ENVELOPE_FORMAT = 1


def canonical_bytes(value) -> bytes:
    """The one byte form of a JSON value (dicts, lists, str, int, bool, None)."""
    if not _plain(value):
        _check_plain(value, "$")  # says where and why; passes what `_plain` left to it
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_LIMIT = 2**53


def _plain(value) -> bool:
    """Whether the value is made of exactly dict, list, str, bool, None and ints within
    ±2**53 with str keys: the common case, checked without naming paths. False leaves the
    decision to `_check_plain` (a subclass such as a str enum may still pass there)."""
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            for key, inner in item.items():
                if type(key) is not str:
                    return False
                push(inner)
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -_LIMIT <= item <= _LIMIT:
                return False
        else:
            return False
    return True


def parse_canonical(raw: bytes, what: str) -> dict:
    """Parse bytes that must be in canonical form; anything else is refused, so that one
    value never travels under two byte forms."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Malformed(f"the {what} is not canonical JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Malformed(f"the {what} must be a JSON object")
    try:
        again = canonical_bytes(value)
    except Malformed as exc:
        raise Malformed(f"the {what} is not canonical: {exc.message}") from None
    if again != raw:
        raise Malformed(f"the {what} is not in canonical byte form (sorted keys, no spaces)")
    return value


def _check_plain(value, where: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise Malformed(f"{where}: integer {value} is too large for a portable form")
        return
    if isinstance(value, float):
        raise Malformed(f"{where}: floats have no canonical form; send a string or integer")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise Malformed(f"{where}: object keys must be strings")
            _check_plain(item, f"{where}.{key}")
        return
    raise Malformed(f"{where}: {type(value).__name__} has no canonical form")


@dataclass(frozen=True, slots=True)
class MessageType:
    """A message type under its stable tag and version, with the body fields it requires."""

    tag: str
    version: int
    required: tuple[str, ...]
    applies_to_request: bool
    description: str

    @property
    def key(self) -> str:
        return f"{self.tag}/{self.version}"

    def check_body(self, body: dict) -> None:
        missing = [name for name in self.required if name not in body]
        if missing:
            raise Malformed(f"a {self.key} message needs the body field(s) {', '.join(missing)}")


# Version 2: attachments travel beside the envelope (key and digests inside, bytes uploaded
# encrypted); version 1 carried them base64 in the payload and is no longer accepted.
REQUEST = MessageType(
    "request", 2, ("request",), False, "a new request for assistance or extradition"
)
SUPPLEMENTARY_REQUEST = MessageType(
    "supplementary_request", 2, ("request", "supplements"), True,
    "a request that supplements one sent earlier in the same conversation",
)  # fmt: skip
ANSWER = MessageType(
    "answer", 1, ("text",), True, "the requested state's answer, with any documents"
)
REQUEST_FOR_INFORMATION = MessageType(
    "request_for_information", 1, ("text",), True,
    "the requested state asks for more information before deciding",
)  # fmt: skip
RECEIPT = MessageType(
    "receipt", 1, ("message_id", "envelope_sha256", "received_at", "outcome"), False,
    "signed delivery evidence: binds the digest of the envelope received",
)  # fmt: skip
STATUS_NOTICE = MessageType(
    "status_notice", 1, ("status",), True, "the status of a request changed at the sender"
)

# Witnessing (issue 13 §4): concern no request. The checkpoint's body is the document
# `judicare audit checkpoint` exports; the answer's is {"cosigned": document} or
# {"refused": reason, "size": ..., "head": ...} (checked on receipt, see exchange.witness).
AUDIT_CHECKPOINT = MessageType(
    "audit_checkpoint", 1, ("checkpoint",), False,
    "a signed checkpoint of the sender's audit trail, for this node to cosign as a witness",
)  # fmt: skip
AUDIT_COSIGNATURE = MessageType(
    "audit_cosignature", 1, (), False,
    "a witness's answer to an audit checkpoint: the checkpoint cosigned, or why it refused",
)  # fmt: skip

# The depositary's desk (issue 19): an issued depositary notification, sent to the node of
# every state concerned; concerns no request (exchange.depositary).
DEPOSITARY_NOTIFICATION = MessageType(
    "depositary_notification", 1, ("notification",), False,
    "a depositary notification issued by the depositary of an instrument",
)  # fmt: skip

REGISTRY: dict[tuple[str, int], MessageType] = {
    (t.tag, t.version): t
    for t in (REQUEST, SUPPLEMENTARY_REQUEST, ANSWER, REQUEST_FOR_INFORMATION, RECEIPT,
              STATUS_NOTICE, AUDIT_CHECKPOINT, AUDIT_COSIGNATURE, DEPOSITARY_NOTIFICATION)
}  # fmt: skip


def message_type(tag: str, version: int) -> MessageType:
    found = REGISTRY.get((tag, version))
    if found is None:
        known = ", ".join(sorted(t.key for t in REGISTRY.values()))
        raise Malformed(f"unknown message type {tag}/{version}: this node knows {known}")
    return found
