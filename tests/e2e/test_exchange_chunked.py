"""An evidence bag larger than the upload limit between two `judicare serve` processes on
loopback (SQLite each): the limit is lowered to 256 KB on both, and a 3 MB bag crosses in
chunks over real HTTP (the chunk routes, the question about what is held, the guard on a
chunk's length), is validated in full and enters custody; its chunks are then gone. The
receiver (BEL) takes 64 KiB per chunk, the sender (NLD) planned 128 KiB: the receiver's
answer about chunks held says so, and the sender cuts to it."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import httpx
import pytest

from judicare.app import create_app
from judicare.evidence import service
from judicare.evidence.custody import EventKind
from judicare.evidence.models import EvidenceItemRow
from judicare.evidence.transmission import send_evidence
from judicare.exchange import chunked
from judicare.exchange.keys import FileKeyStore
from judicare.exchange.models import ChunkRow, InboxRow
from judicare.exchange.service import send_request
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from judicare.settings import Settings
from tests.e2e.test_exchange_support import (
    RealNode,
    count,
    node_of,
    officer,
    running,
    wait_until,
)
from tests.integration.api_support import request_body

HERE = service.Custody(where="The Hague, forensic lab", why="execution of the request")
CHUNK_BYTES = {"BEL-CA": 65_536, "NLD-CA": 131_072}


def _limits(node_id: str) -> dict:
    return {"JUDICARE_MAX_UPLOAD_BYTES": "256000",
            "JUDICARE_EXCHANGE_CHUNK_BYTES": str(CHUNK_BYTES[node_id])}  # fmt: skip


@pytest.fixture
def nodes(tmp_path):
    made = [
        RealNode("BEL-CA", "BEL", f"sqlite:///{tmp_path / 'bel' / 'judicare.db'}",
                 tmp_path / "bel", extra_env=_limits("BEL-CA")),
        RealNode("NLD-CA", "NLD", f"sqlite:///{tmp_path / 'nld' / 'judicare.db'}",
                 tmp_path / "nld", extra_env=_limits("NLD-CA")),
    ]  # fmt: skip
    with running(made):
        yield made


def _app(real: RealNode):
    """The node's database and files, with the same lowered limits as its server."""
    return create_app(Settings(
        database_url=real.url, environment="test", data_dir=real.home,
        node_keys_dir=real.keys_dir, max_upload_bytes=256_000,
        exchange_chunk_bytes=CHUNK_BYTES[real.node_id],
    ))  # fmt: skip


def test_a_bag_over_the_upload_limit_crosses_in_chunks_between_served_nodes(nodes):
    bel, nld = nodes
    bel_app, nld_app = _app(bel), _app(nld)
    try:
        who_bel = officer(bel_app, "BEL-CA", "BEL")
        who_nld = officer(nld_app, "NLD-CA", "NLD")
        body = request_body(direction="outgoing", requesting_state="BE", requested_state="NL",
                            facts_summary="e2e request for evidence")  # fmt: skip
        with bel_app.unit_of_work() as uow:
            _, detail, _ = create_request(uow.session, who_bel, RequestCreate.model_validate(body),
                                          now=datetime.now(UTC), basis=None, why="e2e")  # fmt: skip
            message_id = send_request(
                uow.session,
                node_of(bel_app, bel),
                who_bel,
                detail["id"],
                "NLD-CA",
                now=datetime.now(UTC),
                why="e2e",
            ).message_id
            uow.commit()
        wait_until(lambda: count(nld_app, InboxRow) == 1, 60, "the request arrives", nodes)
        with nld_app.unit_of_work() as uow:
            incoming = uow.session.get(InboxRow, message_id).request_id
        content = os.urandom(3_000_000)
        with nld_app.unit_of_work() as uow:
            item = service.add_item(
                uow.session, nld_app.file_store, who_nld, incoming,
                chunks=[content[i : i + 65536] for i in range(0, len(content), 65536)],
                filename="exhibit.jpg", media_type="image/jpeg", description="Photograph",
                custody_of=HERE, now=datetime.now(UTC), limit=10_000_000,
            )  # fmt: skip
            service.record_event(uow.session, who_nld, incoming, item["id"], EventKind.SEALED,
                                 custody_of=HERE, now=datetime.now(UTC))  # fmt: skip
            out = send_evidence(uow.session, node_of(nld_app, nld), who_nld, incoming,
                                "Evidence.", where="The Hague", now=datetime.now(UTC),
                                why="e2e")  # fmt: skip
            assert out.attachments[0]["chunks"] > 20
            assert out.attachments[0]["chunk_bytes"] == CHUNK_BYTES["NLD-CA"]  # its plan
            uow.commit()
        wait_until(lambda: count(bel_app, EvidenceItemRow) == 1, 120, "the bag arrives", nodes)
        with bel_app.unit_of_work() as uow:
            listed = service.list_items(uow.session, who_bel, detail["id"],
                                        now=datetime.now(UTC), why="e2e")  # fmt: skip
            uow.commit()
        assert [i["sha256"] for i in listed] == [item["sha256"]]
        assert [e["kind"] for e in listed[0]["events"]][-1] == "received"
        assert listed[0]["chain_intact"]
        wait_until(lambda: count(bel_app, ChunkRow) == 0, 30, "the chunks removed", nodes)

        # the receiver advertises its chunk size to a peer that asks (signed)
        limit = chunked.chunk_limit(bel_app.settings)
        url = f"{bel.endpoint}/api/v1/exchange/attachments/m-1/a-1/chunks"
        ring = FileKeyStore(nld.keys_dir).load()
        asked = httpx.get(url, headers=chunked.status_headers(ring, "m-1", "a-1", 1), timeout=10)
        assert asked.status_code == 200, asked.text
        assert asked.json() == {"held": [], "chunk_bytes": CHUNK_BYTES["BEL-CA"],
                                "max_chunk_bytes": limit}  # fmt: skip
        # the chunk route reads no more than a chunk may hold, and nothing unsigned
        too_long = httpx.put(f"{url}/0", content=b"x" * (limit + 1), timeout=10)
        assert too_long.status_code == 413
        assert f"at most {limit} bytes" in too_long.json()["error"]["message"]
        unsigned = httpx.get(url, timeout=10)
        assert unsigned.status_code in (400, 403), unsigned.text
    finally:
        bel_app.dispose()
        nld_app.dispose()
