"""An evidence bag travels between two nodes (SQLite and PostgreSQL) as an answer's
attachment: validated in full on arrival, its items and chains stored and continued by a
`received` event; a bag whose content was altered is refused whole, naming the file."""

from __future__ import annotations

import zipfile

from sqlalchemy import select

from judicare.evidence import archives, bags, service
from judicare.evidence.custody import EventKind
from judicare.evidence.models import EvidenceItemRow
from judicare.evidence.transmission import send_evidence
from judicare.exchange.correspondence import send_answer
from judicare.exchange.models import InboxRow, OutboxRow
from judicare.requests.models import DocumentRow
from tests.integration.exchange_nodes import (
    _count,
    _deliver,
    _officer,
    _tags,
    _travelled,
)

HERE = service.Custody(where="The Hague, forensic lab", why="execution of the request")


def _gathered(b, who_b, incoming: int, contents: list[bytes]) -> list[dict]:
    """Evidence gathered by the requested state's node and sealed."""
    items = []
    with b.app.unit_of_work() as uow:
        for n, content in enumerate(contents):
            item = service.add_item(
                uow.session, b.app.file_store, who_b, incoming, chunks=[content],
                filename=f"exhibit-{n}.jpg", media_type="image/jpeg",
                description=f"Photograph {n} of the site", custody_of=HERE, now=b.clock[0],
                limit=10_000_000,
            )  # fmt: skip
            items.append(service.record_event(uow.session, who_b, incoming, item["id"],
                                              EventKind.SEALED, custody_of=HERE,
                                              now=b.clock[0]))  # fmt: skip
        uow.commit()
    return items


def _setup(pair):
    a, b, transport = pair
    who_a, who_b = _officer(a), _officer(b)
    sent, incoming = _travelled(a, b, transport, who_a)
    return a, b, transport, who_a, who_b, sent, incoming


def test_an_answer_with_a_bag_travels_and_is_validated_on_arrival(pair):
    a, b, transport, who_a, who_b, sent, incoming = _setup(pair)
    gathered = _gathered(b, who_b, incoming, [b"photo one", b"photo two"])
    with b.app.unit_of_work() as uow:
        send_evidence(uow.session, b.node, who_b, incoming, "The evidence gathered.",
                      where="The Hague", now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    _deliver(b, transport)

    with a.app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who_a, sent, now=a.clock[0], why="t")
        uow.commit()
    assert [i["uid"] for i in listed] == [g["uid"] for g in gathered]
    assert [i["sha256"] for i in listed] == [g["sha256"] for g in gathered]
    for item in listed:
        assert [e["kind"] for e in item["events"]] == [
            "collected", "sealed", "transmitted", "received",
        ]  # fmt: skip
        assert item["chain_intact"], item["chain_problems"]
        assert item["events"][2]["details"]["to"] == "node BEL-CA"
        assert item["events"][3]["details"]["from"] == "NLD-CA"
        stored = b"".join(a.app.file_store.open_chunks(_key(a, item["id"])))
        assert (
            stored
            == {"exhibit-0.jpg": b"photo one", "exhibit-1.jpg": b"photo two"}[item["filename"]]
        )
    assert [d["item"] for d in _tags(a, "node:evidence:receive")] == [g["uid"] for g in gathered]
    # on the sending side: transmitted is on the chain, and the bag is a document
    with b.app.unit_of_work() as uow:
        docs = uow.session.scalars(select(DocumentRow).where(DocumentRow.request_id == incoming))
        assert [d.media_type for d in docs] == [archives.BAG_MEDIA_TYPE]


def _key(node, item_id: int) -> str:
    with node.app.unit_of_work() as uow:
        return uow.session.get(EvidenceItemRow, item_id).storage_key


def _altered_bag_document(b, who_b, incoming: int, tmp_path) -> int:
    """B's bag, one payload byte changed at the same size after it was made (on B's disk,
    before it was sealed into the envelope), filed as the answer's document."""
    with b.app.unit_of_work() as uow:
        service.export_bag(uow.session, b.app.file_store, who_b, incoming, tmp_path / "bag",
                           organisation="NLD-CA", now=b.clock[0], why="t")  # fmt: skip
        uow.commit()
    payload = tmp_path / "bag" / "data" / "001-exhibit-0.jpg"
    payload.write_bytes(b"photo ONE")  # same size, other bytes
    archive = archives.pack(tmp_path / "bag", tmp_path / "bag.zip")
    with b.app.unit_of_work() as uow:
        key, size, sha = b.app.file_store.put([archive.read_bytes()], 10_000_000)
        document = DocumentRow(request_id=incoming, filename="evidence.bag.zip",
                               media_type=archives.BAG_MEDIA_TYPE, size=size, sha256=sha,
                               storage_key=key, uploaded_by=who_b.user_id)  # fmt: skip
        uow.session.add(document)
        uow.commit()
        return document.id


def test_an_altered_bag_is_refused_with_the_file_named_and_nothing_stored(pair, tmp_path):
    a, b, transport, _, who_b, _, incoming = _setup(pair)
    _gathered(b, who_b, incoming, [b"photo one"])
    document_id = _altered_bag_document(b, who_b, incoming, tmp_path)
    with b.app.unit_of_work() as uow:
        send_answer(uow.session, b.node, who_b, incoming, "Evidence.",
                    document_ids=(document_id,), now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    documents_before = _count(a, DocumentRow)
    _deliver(b, transport)

    with b.app.unit_of_work() as uow:
        answer = uow.session.scalar(
            select(OutboxRow).where(OutboxRow.message_type.like("answer/%"))
        )
        assert answer.status == "dead"
        assert "evidence_bag_refused" in answer.last_error or "refused" in answer.last_error
        assert "data/001-exhibit-0.jpg" in answer.last_error
        assert "changed" in answer.last_error, answer.last_error
    assert _count(a, EvidenceItemRow) == 0
    assert _count(a, DocumentRow) == documents_before
    assert _count(a, InboxRow, InboxRow.message_type.like("answer/%")) == 0


def test_ciphertext_altered_in_transit_is_refused_before_the_bag_is_opened(pair):
    a, b, transport, _, who_b, _, incoming = _setup(pair)
    _gathered(b, who_b, incoming, [b"photo one"])
    honest = transport.uploads[a.endpoint]

    def flipping(message_id, attachment_id, chunks, headers):
        data = bytearray(b"".join(chunks))
        data[len(data) // 2] ^= 0x01
        return honest(message_id, attachment_id, [bytes(data)], headers)

    transport.uploads[a.endpoint] = flipping
    with b.app.unit_of_work() as uow:
        send_evidence(uow.session, b.node, who_b, incoming, "The evidence.",
                      where="The Hague", now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    with b.app.unit_of_work() as uow:
        answer = uow.session.scalar(
            select(OutboxRow).where(OutboxRow.message_type.like("answer/%"))
        )
        assert answer.status == "dead"
        assert "SHA-256" in answer.last_error
    assert _count(a, EvidenceItemRow) == 0


def test_a_bag_verified_by_the_library_after_travel(pair, tmp_path):
    """What arrived is exported again at A and passes bagit's own full validation."""
    a, b, transport, who_a, who_b, sent, incoming = _setup(pair)
    _gathered(b, who_b, incoming, [b"photo one"])
    with b.app.unit_of_work() as uow:
        send_evidence(uow.session, b.node, who_b, incoming, "Evidence.", where="The Hague",
                      now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
    _deliver(b, transport)
    with a.app.unit_of_work() as uow:
        service.export_bag(uow.session, a.app.file_store, who_a, sent, tmp_path / "again",
                           organisation="BEL-CA", now=a.clock[0], why="court")  # fmt: skip
        uow.commit()
    report = bags.verify(tmp_path / "again")
    assert report.valid, report.errors
    with zipfile.ZipFile(archives.pack(tmp_path / "again", tmp_path / "again.zip")) as z:
        assert "custody-log.json" in z.namelist()


def test_the_execution_report_lists_the_bag_sent_with_its_oxum_digests_and_custody(pair):
    """The execution report of the request lists the evidence bag the answer carried: its
    name, payload size and Payload-Oxum, the SHA-256 of the archive and of its manifest, and
    the number of custody entries in its log (read from the stored archive)."""
    import hashlib
    import io
    import json

    from docx import Document

    from judicare.formal_documents import service as documents
    from judicare.formal_documents.docx_writer import embedded_files
    from judicare.requests.models import RequestRow

    _, b, _, _, who_b, _, incoming = _setup(pair)
    _gathered(b, who_b, incoming, [b"photo one", b"photo two!"])
    with b.app.unit_of_work() as uow:
        send_evidence(uow.session, b.node, who_b, incoming, "The evidence gathered.",
                      where="The Hague", now=b.clock[0], why="execution")  # fmt: skip
        uow.session.get(RequestRow, incoming).status = "executed"  # the execution is done
        uow.commit()
    with b.app.unit_of_work() as uow:
        bag = uow.session.scalars(
            select(DocumentRow).where(DocumentRow.request_id == incoming)
        ).one()
        stored = b"".join(b.app.file_store.open_chunks(bag.storage_key))
        filename = bag.filename
        with zipfile.ZipFile(io.BytesIO(stored)) as archive:
            manifest = archive.read("manifest-sha256.txt")
    rendered = documents.render(b.app, who_b, incoming, "execution_report", "en", "docx", why="t")
    listed = json.loads(embedded_files(rendered.content)["request.json"])["evidence_bags"]
    assert listed == [{
        "name": filename, "payload_size": 19, "files": 2, "payload_oxum": "19.2",
        "sha256": hashlib.sha256(stored).hexdigest(),
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "custody_entries": 6,  # collected, sealed, transmitted for each of the two items
        "reference": listed[0]["reference"],
    }]  # fmt: skip
    assert listed[0]["reference"]
    text = "\n".join(p.text for p in Document(io.BytesIO(rendered.content)).paragraphs)
    assert "Evidence packages (BagIt bags) and their chain of custody" in text
    assert f"{filename} — payload 19 bytes in 2 files (Payload-Oxum 19.2)" in text
    assert "6 custody entries" in text and hashlib.sha256(stored).hexdigest() in text


def test_a_refused_bag_leaves_nothing_in_the_file_store_and_its_removal_is_audited(pair, tmp_path):
    """The file store keeps everything unless told: what a refused bag left on the receiving
    node (its decrypted archive, the ciphertext it was uploaded as) is removed, each removal
    audited with who, why and the SHA-256."""
    from judicare.audit.models import AuditEventRow

    a, b, transport, _, who_b, _, incoming = _setup(pair)
    _gathered(b, who_b, incoming, [b"photo one"])
    document_id = _altered_bag_document(b, who_b, incoming, tmp_path)
    with b.app.unit_of_work() as uow:
        send_answer(uow.session, b.node, who_b, incoming, "Evidence.",
                    document_ids=(document_id,), now=b.clock[0], why="execution")  # fmt: skip
        uow.commit()
        bag_sha = uow.session.get(DocumentRow, document_id).sha256
        answer = uow.session.scalar(
            select(OutboxRow).where(OutboxRow.message_type.like("answer/%"))
        )
        cipher_shas = [u["sha256"] for u in answer.attachments]
    _deliver(b, transport)
    assert len(cipher_shas) == 1
    for sha in (bag_sha, *cipher_shas):
        assert not a.app.file_store.exists(f"sha256/{sha}"), sha
    with a.app.unit_of_work() as uow:
        removed = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.tag.like("%node:file:remove"))
        ).all()
        assert sorted(e.details["sha256"] for e in removed) == sorted([bag_sha, *cipher_shas])
        assert all("data/001-exhibit-0.jpg" in e.why for e in removed)
        assert all(e.actor == "exchange inbox" and e.details["size"] > 0 for e in removed)
