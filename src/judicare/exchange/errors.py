"""Every error of the exchange, in one place.

`Rejected` and its subclasses are what a receiving node answers when it refuses an
envelope: each has a stable machine code (sent back to the sender and written in the audit
trail) and `permanent` says whether sending the same bytes again could ever succeed.

A refusal is *authenticated* when the envelope's signature checked out before it was
refused: `Rejected.sender` then names the peer that signed it, and only then is the refusal
written in that peer's name (`exchange.refusals` counts the others, in nobody's name).
"""

from __future__ import annotations

from judicare.errors import Conflict, InvalidInput, JudicareError


class ExchangeError(JudicareError):
    code = "exchange_error"


class NodeNotInitialised(ExchangeError):
    code = "node_not_initialised"
    http_status = 503
    exit_code = 5


class NodeNotSetUp(Conflict):
    """An officer asked to send, but this node has no keys: a state of the installation
    the officer can report, not a failure of the server."""

    code = "node_not_initialised"


class ConcurrentFirstUse(ExchangeError):
    """Two first deliveries raced to create the same row; the loser retries and finds it."""

    code = "concurrent_first_use"
    http_status = 503


class UnknownPeer(InvalidInput):
    code = "unknown_peer"


class FingerprintMismatch(InvalidInput):
    code = "fingerprint_mismatch"


class PeerExists(Conflict):
    code = "peer_exists"


class Rejected(ExchangeError):
    """An envelope this node refuses; `reason` is the stable code."""

    code = "envelope_rejected"
    http_status = 400
    permanent = True
    # The peer whose signature checked out before the refusal; None when it was refused
    # before that (then the sender it claims is anyone's word, and nobody's name is used).
    sender: str | None = None


class Malformed(Rejected):
    code = "malformed_envelope"


class WrongRecipient(Rejected):
    code = "wrong_recipient"


class UnknownSender(Rejected):
    code = "unknown_sender"
    http_status = 403


class BadSignature(Rejected):
    code = "bad_signature"
    http_status = 403


class WrongKey(Rejected):
    code = "wrong_key"


class Expired(Rejected):
    code = "expired"


class NotYetValid(Rejected):
    code = "not_yet_valid"


class Replayed(Rejected):
    code = "replayed_message_id"
    http_status = 409


class TooLarge(Rejected):
    code = "envelope_too_large"
    http_status = 413


class AttachmentMismatch(Rejected):
    code = "attachment_mismatch"


class NotApplicable(Rejected):
    code = "not_applicable"
    http_status = 422


class NotThisConversation(NotApplicable):
    """A reply, notice or supplement naming a conversation (or a request in it) that the
    sender is not a party to: the same answer whether the conversation is another peer's
    or does not exist, so that a peer cannot learn which conversations exist."""

    code = "not_this_conversation"


class EvidenceBagRefused(NotApplicable):
    """An evidence bag (`judicare.evidence`) that fails its full validation on arrival: a
    file changed, missing or added, a broken chain of custody, or a hostile archive (zip
    bomb, path traversal, link). The message names the file. `blobs`: the file store keys
    the refused bag left behind (its decrypted archive, its ciphertext), to be removed."""

    code = "evidence_bag_refused"
    blobs: list[str] = []  # noqa: RUF012 (set on the instance that is raised)


class AttachmentMissing(Rejected):
    """The envelope arrived before its attachment: temporary, the sender uploads and
    retries (425 Too Early)."""

    code = "attachment_missing"
    http_status = 425


class AttachmentTooLarge(Rejected):
    code = "attachment_too_large"
    http_status = 413


class ChunkCutChanged(Rejected):
    """A chunk of an attachment of which this node holds chunks cut otherwise by the same
    sender (its limit was lowered mid-transfer, and the sender cut the rest finer): the
    chunk route removes the other cut's chunks and takes this one (`exchange.chunk_routes`)."""

    code = "chunk_cut_changed"
    http_status = 409
    permanent = False
