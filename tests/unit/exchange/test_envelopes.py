"""The pure core: canonical bytes pinned by golden bytes, sealing and opening, the replay
window, node cards and key continuity, backoff with jitter, the key store on disk."""

from __future__ import annotations

import random
import stat
from datetime import UTC, datetime, timedelta

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from judicare.exchange.canonical import (
    REGISTRY,
    REQUEST,
    STATUS_NOTICE,
    canonical_bytes,
    message_type,
    parse_canonical,
)
from judicare.exchange.delivery import backoff_seconds
from judicare.exchange.envelopes import (
    card_keys,
    card_vouched_by,
    check_window,
    make_card,
    open_payload,
    parse,
    parse_signed,
    parse_timestamp,
    plaintext_bytes,
    seal,
    sha256_hex,
    sign_header,
    timestamp,
    verify,
)
from judicare.exchange.errors import (
    BadSignature,
    Expired,
    Malformed,
    NotYetValid,
    UnknownSender,
    WrongKey,
    WrongRecipient,
)
from judicare.exchange.keys import (
    FileKeyStore,
    KeyGeneration,
    KeyRing,
    NodeIdentity,
    new_ring,
)

T = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def fixed_ring(seed: int, node: str) -> KeyRing:
    generation = KeyGeneration(
        1, SigningKey(bytes([seed]) * 32), PrivateKey(bytes([seed + 1]) * 32), T
    )
    return KeyRing(NodeIdentity(node, "BEL", "A", "http://a.test"), (generation,))


A, B = fixed_ring(1, "BEL-CA"), fixed_ring(5, "NLD-CA")
B_KEYS = card_keys(make_card(B, T))
A_KEYS = card_keys(make_card(A, T))
MID = "00000000-0000-4000-8000-000000000001"

# One golden plaintext per registered type: the canonical form may not drift silently.
GOLDEN_PLAINTEXT = {
    "request": b'{"body":{"request":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"request","type_version":2}',
    "supplementary_request": b'{"body":{"request":"x","supplements":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"supplementary_request","type_version":2}',
    "answer": b'{"body":{"text":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"answer","type_version":1}',
    "request_for_information": b'{"body":{"text":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"request_for_information","type_version":1}',
    "receipt": b'{"body":{"envelope_sha256":"x","message_id":"x","outcome":"x","received_at":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"receipt","type_version":1}',
    "status_notice": b'{"body":{"status":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"status_notice","type_version":1}',
    "audit_checkpoint": b'{"body":{"checkpoint":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"audit_checkpoint","type_version":1}',
    "audit_cosignature": b'{"body":{},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"audit_cosignature","type_version":1}',
    "depositary_notification": b'{"body":{"notification":"x"},"message_id":"00000000-0000-4000-8000-000000000001","recipient":"NLD-CA","sender":"BEL-CA","type":"depositary_notification","type_version":1}',
}  # fmt: skip
GOLDEN_SIGNED = b'{"header":{"ciphertext":"AAAA","conversation_id":"c","created_at":"2026-11-23T10:00:00.000000Z","encryption_key":"e","expires_at":"2026-11-23T11:00:00.000000Z","format":1,"message_id":"m","recipient":"NLD-CA","sender":"BEL-CA","signing_key":"34750f98bd59fcfc946da45aaabe933b","type":"request","type_version":1},"signature":"JfYmmGeWv6EhiYNCdnW03u+uXffmSM0fnVcCGqMWUz/Pa4x+3FZv2WSeDRq+M+wC5Kqu2SoYVMt/atmU1bH4Cg=="}'  # fmt: skip
GOLDEN_CARD_SHA256 = "ae0eb2f13b7d3bd0992c42f81831f2083f42e7c030d5fd15f97ac50661f9e691"


@pytest.mark.parametrize("key", sorted(REGISTRY), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_golden_plaintext_of_every_registered_type(key):
    kind = REGISTRY[key]
    fields = {"message_id": MID, "sender": "BEL-CA", "recipient": "NLD-CA",
              "type": kind.tag, "type_version": kind.version}  # fmt: skip
    assert (
        plaintext_bytes(fields, {name: "x" for name in kind.required}) == GOLDEN_PLAINTEXT[kind.tag]
    )


def test_every_type_has_a_golden_form():
    assert {tag for tag, _ in REGISTRY} == set(GOLDEN_PLAINTEXT)


def test_golden_signed_header_and_card():
    header = {"format": 1, "type": "request", "type_version": 1, "message_id": "m",
              "conversation_id": "c", "sender": "BEL-CA", "recipient": "NLD-CA",
              "signing_key": A.current.signing_id, "encryption_key": "e",
              "created_at": "2026-11-23T10:00:00.000000Z",
              "expires_at": "2026-11-23T11:00:00.000000Z", "ciphertext": "AAAA"}  # fmt: skip
    assert sign_header(A, header) == GOLDEN_SIGNED
    assert sha256_hex(canonical_bytes(make_card(A, T))) == GOLDEN_CARD_SHA256
    assert A.fingerprint == (
        "3475 0F98 BD59 FCFC 946D A45A AABE 933B E154 A4B5 094E 1C4A BF42 8665 05F3 C97E"
    )


def test_canonical_form_refuses_floats_and_other_byte_forms():
    assert canonical_bytes({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(Malformed, match="floats"):
        canonical_bytes({"a": 1.5})
    with pytest.raises(Malformed, match="canonical byte form"):
        parse_canonical(b'{"b": 1, "a": 2}', "envelope")
    with pytest.raises(Malformed, match="unknown message type"):
        message_type("telegram", 1)


@pytest.mark.parametrize(
    "value, problem",
    [
        ({"a": [1, {"b": 2.0}]}, r"\$\.a\[1\]\.b: floats"),
        ({"a": 2**53 + 1}, r"\$\.a: integer .* too large"),
        ({"a": {1: "x"}}, r"\$\.a: object keys must be strings"),
        ({"a": ("x",)}, r"\$\.a: tuple has no canonical form"),
        ({"a": b"x"}, r"\$\.a: bytes has no canonical form"),
    ],
)
def test_canonical_form_names_where_a_value_has_no_canonical_form(value, problem):
    with pytest.raises(Malformed, match=problem):
        canonical_bytes(value)


def test_canonical_form_takes_subclasses_of_plain_types_and_the_integer_bounds():
    """The fast check leaves what it does not know to the full one, which passes these."""
    import enum

    class Colour(enum.StrEnum):
        RED = "red"

    value = {"c": Colour.RED, "n": [-(2**53), 2**53, True, None], "d": {}}
    assert (
        canonical_bytes(value)
        == b'{"c":"red","d":{},"n":[-9007199254740992,9007199254740992,true,null]}'
    )


def test_the_signed_bytes_cut_from_an_envelope_are_its_header_serialised():
    raw = _sealed({"status": "registered", "note": 'Жанар \\ " }'})
    header, signature, signed = parse_signed(raw)
    assert (header, signature) == parse(raw)
    assert signed == canonical_bytes(header)
    # A header that carries a card (after a rotation), with a key named "signature" inside
    carded = seal(A, B_KEYS, STATUS_NOTICE, {"status": "x"}, message_id=MID,
                  conversation_id="c-1", now=T, lifetime=HOUR,
                  card={**make_card(A, T), "signature": "AAAA"})  # fmt: skip
    header, _, signed = parse_signed(carded)
    assert signed == canonical_bytes(header)
    verify(carded, header, parse(carded)[1], "NLD-CA", A_KEYS, signed)
    # A tampered header fails with the cut bytes as with the serialised ones
    tampered = raw.replace(b'"conversation_id":"c-1"', b'"conversation_id":"c-2"')
    header, signature, signed = parse_signed(tampered)
    with pytest.raises(BadSignature, match="altered in transit"):
        verify(tampered, header, signature, "NLD-CA", A_KEYS, signed)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-23T10:00:00.000001Z", datetime(2026, 11, 23, 10, 0, 0, 1, tzinfo=UTC)),
        ("2024-02-29T23:59:59.999999Z", datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-1-5T1:2:3.5Z", datetime(2026, 1, 5, 1, 2, 3, 500000, tzinfo=UTC)),  # strptime's
        ("2026-02-29T10:00:00.000000Z", None),
        ("2026-11-23T10:00:60.000000Z", None),
        ("2026-11-23 10:00:00.000000Z", None),
        (20261123, None),
    ],
)
def test_timestamps_are_read_as_strptime_reads_them(text, expected):
    if expected is None:
        with pytest.raises(Malformed, match="not a UTC timestamp"):
            parse_timestamp(text, "created_at")
    else:
        assert parse_timestamp(text, "created_at") == expected
    assert parse_timestamp(timestamp(T), "created_at") == T


def _sealed(body=None, kind=STATUS_NOTICE, now=T, sender=A, to=B_KEYS) -> bytes:
    return seal(sender, to, kind, body or {"status": "registered"}, message_id=MID,
                conversation_id="c-1", now=now, lifetime=HOUR)  # fmt: skip


def _open(raw: bytes, now=T, me=B, peer=A_KEYS) -> dict:
    header, signature = parse(raw)
    verified = verify(raw, header, signature, me.identity.node_id, peer)
    check_window(verified, now, timedelta(minutes=5), timedelta(days=7))
    return open_payload(verified, me)


def test_seal_then_open_round_trip_and_retries_are_identical_bytes():
    raw = _sealed({"status": "registered", "note": "Жанар"})
    assert _open(raw) == {"status": "registered", "note": "Жанар"}
    assert b"registered" not in raw and "Жанар".encode() not in raw  # encrypted


def test_tampering_wrong_keys_and_time_are_refused_with_reasons():
    raw = _sealed()
    with pytest.raises(BadSignature, match="altered in transit"):
        _open(raw.replace(b'"conversation_id":"c-1"', b'"conversation_id":"c-2"'))
    with pytest.raises(UnknownSender):
        _open(raw, peer=None)
    with pytest.raises(WrongRecipient):
        _open(raw, me=A)
    with pytest.raises(BadSignature, match="does not know"):
        _open(_sealed(sender=fixed_ring(9, "BEL-CA")))
    with pytest.raises(Expired):
        _open(raw, now=T + 2 * HOUR)
    with pytest.raises(NotYetValid):
        _open(raw, now=T - HOUR)
    stranger = card_keys(make_card(fixed_ring(11, "NLD-CA"), T))
    with pytest.raises(WrongKey):
        _open(_sealed(to=stranger))


def test_a_window_longer_than_this_node_accepts_is_refused_even_while_open():
    """An old message given a far expiry by its sender (signed, so not tampered with) would
    outlive the window the duplicate store is sized for: refused, though not yet expired."""
    long_lived = seal(A, B_KEYS, STATUS_NOTICE, {"status": "registered"}, message_id=MID,
                      conversation_id="c-1", now=T, lifetime=timedelta(days=30))  # fmt: skip
    with pytest.raises(Expired, match="window is longer"):
        _open(long_lived, now=T + timedelta(days=10))


def test_ciphertext_moved_under_another_signed_header_is_caught():
    """Encrypt-then-sign with a sealed box: a node that re-signs someone else's ciphertext
    is caught by the sender and id repeated inside the payload."""
    c = fixed_ring(13, "KAZ-CA")
    stolen = parse(_sealed())[0]["ciphertext"]
    header = dict(parse(_sealed(sender=c))[0], ciphertext=stolen)
    raw = sign_header(c, header)
    header, signature = parse(raw)
    verified = verify(raw, header, signature, "NLD-CA", card_keys(make_card(c, T)))
    with pytest.raises(BadSignature, match="taken from another envelope"):
        open_payload(verified, B)


def test_request_body_needs_its_fields():
    with pytest.raises(Malformed, match="needs the body field"):
        _sealed({"facts": "x"}, kind=REQUEST)


def test_rotation_card_is_vouched_by_the_old_key_only():
    rotated = A.rotated(T + HOUR)
    card = make_card(rotated, T + HOUR)
    assert card_vouched_by(card, A_KEYS, A.current.signing_id)
    assert not card_vouched_by(make_card(fixed_ring(21, "BEL-CA"), T), A_KEYS, A.current.signing_id)
    # a retired key cannot name a successor: only the current key as the peer knows it
    twice = rotated.rotated(T + 2 * HOUR)
    known_after_first = card_keys(card)
    assert card_vouched_by(make_card(twice, T + 2 * HOUR), known_after_first,
                           rotated.current.signing_id)  # fmt: skip
    stolen_old = KeyRing(A.identity, (A.current, fixed_ring(23, "BEL-CA").current))
    assert not card_vouched_by(make_card(stolen_old, T + 3 * HOUR), known_after_first,
                               rotated.current.signing_id)  # fmt: skip
    keys = card_keys(card)
    assert set(A_KEYS.signing) < set(keys.signing)  # old keys kept for verification
    assert rotated.encryption_key(A.current.encryption_id) is not None


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    delays = [backoff_seconds(n, 0.5, 60, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(60, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(backoff_seconds(3, 0.5, 60, rng), 6) for _ in range(20)}) > 1


def test_file_key_store_keeps_private_keys_0600_and_old_generations(tmp_path):
    store = FileKeyStore(tmp_path / "keys")
    ring = new_ring(NodeIdentity("BEL-CA", "BEL", "A", "http://a.test"), T)
    store.save(ring)
    store.save(ring.rotated(T + HOUR))
    loaded = store.load()
    assert loaded.generations[0].signing_id == ring.current.signing_id
    assert loaded.generations[0].retired_at is not None
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "keys" / "gen-0001.signing.key").chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        store.load()


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("message_id", "x" * 37, "1 to 36 characters"),
        ("message_id", "a b", "letters, digits"),
        ("signing_key", ["k"], "must be text"),
        ("type_version", "1", "integer"),
        ("card", "nope", "card must be an object"),
    ],
)
def test_header_fields_are_bounded_before_any_lookup(field, value, problem):
    header = dict(parse(_sealed())[0], **{field: value})
    with pytest.raises(Malformed, match=problem):
        parse(sign_header(A, header))


def test_golden_status_notice_body_carries_the_status_and_never_the_reasons():
    from datetime import UTC, datetime

    from judicare.auth.permissions import Principal, Role
    from judicare.exchange.canonical import canonical_bytes
    from judicare.exchange.correspondence import status_notice_body
    from judicare.requests.events import StatusChanged

    who = Principal(user_id=1, username="s", role=Role.SUPERVISOR, authority_id="NLD-CA")
    event = StatusChanged(7, "under_review", "refused", who,
                          datetime(2026, 12, 3, 9, 30, tzinfo=UTC), "refugee (art. 33)")  # fmt: skip
    assert canonical_bytes(status_notice_body(event, "NL-2026-0007")) == (
        b'{"changed_at":"2026-12-03T09:30:00+00:00","previous_status":"under_review",'
        b'"reference":"NL-2026-0007","status":"refused"}'
    )
