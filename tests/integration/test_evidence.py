"""Evidence items and their chain of custody on SQLite and PostgreSQL: added, sealed, copied,
listed and packaged as a bag, under need-to-know, every act audited, nothing half-written."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import bagit
import pytest
from sqlalchemy import func, select

from judicare.audit.models import AuditEventRow
from judicare.auth.permissions import Forbidden, NotFound
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.errors import InvalidInput
from judicare.evidence import bags, service
from judicare.evidence.custody import EventKind
from judicare.evidence.models import CustodyEventRow, EvidenceItemRow
from judicare.evidence.service import Custody
from judicare.requests.schemas import RequestCreate
from judicare.requests.service import create_request
from tests.integration.api_support import request_body

HERE = Custody(where="Brussels, evidence room 2", why="hearing of witness W-1")


def _user(app, name: str, role: str = "officer", authority: str = "BEL-CA"):
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, authority, authority[:3], "test")
        user = create_user(uow.session, username=name, password="x" * 12, role=role,
                           authority_id=authority)  # fmt: skip
        uow.commit()
        return principal_of(user)


def _request(app, who) -> int:
    body = request_body(direction="incoming", requesting_state="KZ", requested_state="BE")
    with app.unit_of_work() as uow:
        _, detail, _ = create_request(uow.session, who, RequestCreate.model_validate(body),
                                      now=app.now(), basis=None, why="test")  # fmt: skip
        uow.commit()
    return detail["id"]


def _add(app, who, request_id, content=b"video of the site", name="site.mp4", **kw):
    with app.unit_of_work() as uow:
        item = service.add_item(
            uow.session, app.file_store, who, request_id, chunks=[content], filename=name,
            media_type="video/mp4", description=kw.get("description", "Video of the site"),
            custody_of=HERE, now=app.now(), limit=app.settings.max_upload_bytes,
        )  # fmt: skip
        uow.commit()
    return item


def _event(app, who, request_id, item_id, kind, **details):
    with app.unit_of_work() as uow:
        item = service.record_event(uow.session, who, request_id, item_id, kind,
                                    custody_of=HERE, now=app.now(), details=details)  # fmt: skip
        uow.commit()
    return item


def _tags(app, prefix: str) -> list[str]:
    with app.unit_of_work() as uow:
        tags = uow.session.scalars(select(AuditEventRow.tag).order_by(AuditEventRow.seq))
        acts = [t.split(":", 1)[1] for t in tags]
        return [a for a in acts if a.startswith(prefix)]


def test_an_item_is_added_sealed_and_copied_with_its_chain(app):
    who = _user(app, "ev.officer")
    request_id = _request(app, who)
    item = _add(app, who, request_id)
    assert item["sha256"] == hashlib.sha256(b"video of the site").hexdigest()
    assert item["sha512"] == hashlib.sha512(b"video of the site").hexdigest()
    assert [e["kind"] for e in item["events"]] == ["collected"]
    assert item["events"][0]["details"]["where"] == "Brussels, evidence room 2"
    sealed = _event(app, who, request_id, item["id"], EventKind.SEALED)
    assert sealed["sealed"] and sealed["chain_intact"]
    assert sealed["events"][1]["details"]["sha512"] == item["sha512"]
    with app.unit_of_work() as uow:
        copy = service.add_working_copy(
            uow.session, app.file_store, who, request_id, item["id"], chunks=[b"blurred"],
            filename="site-blurred.mp4", media_type="video/mp4", how="faces blurred",
            custody_of=HERE, now=app.now(), limit=10_000,
        )  # fmt: skip
        uow.commit()
    assert copy["kind"] == "working_copy" and copy["derived_from"] == item["uid"]
    assert copy["description"] == "faces blurred"  # how it was derived
    with app.unit_of_work() as uow:
        listed = service.list_items(uow.session, who, request_id, now=app.now(), why="t")
        uow.commit()
    original = listed[0]
    assert [e["kind"] for e in original["events"]] == ["collected", "sealed", "copied"]
    assert original["sha256"] == item["sha256"]  # the original is never changed
    assert all(i["chain_intact"] for i in listed)
    assert _tags(app, "evidence:") == [
        "evidence:item:add", "evidence:custody:sealed", "evidence:item:copy",
        "evidence:item:list",
    ]  # fmt: skip


def test_a_refused_custody_event_writes_nothing(app):
    who = _user(app, "ev.officer2")
    request_id = _request(app, who)
    item = _add(app, who, request_id)
    with pytest.raises(InvalidInput, match="sealed before it is transmitted"):
        _event(app, who, request_id, item["id"], EventKind.TRANSMITTED, to="court")
    _event(app, who, request_id, item["id"], EventKind.SEALED)
    with pytest.raises(InvalidInput, match="sealed once"):
        _event(app, who, request_id, item["id"], EventKind.SEALED)
    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CustodyEventRow)) == 2


def test_an_item_without_description_is_refused_and_nothing_stored(app):
    who = _user(app, "ev.officer3")
    request_id = _request(app, who)
    with pytest.raises(InvalidInput, match="needs a description"):
        _add(app, who, request_id, description="  ")
    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(EvidenceItemRow)) == 0


def test_need_to_know_another_authority_sees_nothing_and_an_auditor_adds_nothing(app):
    who = _user(app, "ev.owner")
    other = _user(app, "ev.stranger", authority="NLD-CA")
    auditor = _user(app, "ev.auditor", role="auditor")
    request_id = _request(app, who)
    item = _add(app, who, request_id)
    with pytest.raises(NotFound), app.unit_of_work() as uow:
        service.list_items(uow.session, other, request_id, now=app.now(), why="t")
    with pytest.raises(NotFound):
        _event(app, other, request_id, item["id"], EventKind.SEALED)
    with pytest.raises(Forbidden):
        _add(app, auditor, request_id)
    with app.unit_of_work() as uow:
        assert len(service.list_items(uow.session, auditor, request_id, now=app.now(),
                                      why="t")) == 1  # fmt: skip


def test_the_exported_bag_is_valid_and_carries_the_custody_log(app, tmp_path):
    who = _user(app, "ev.exporter")
    request_id = _request(app, who)
    first = _add(app, who, request_id)
    second = _add(app, who, request_id, content=b"statement", name="site.mp4")  # same name
    for item in (first, second):
        _event(app, who, request_id, item["id"], EventKind.SEALED)
    target = tmp_path / "bag"
    with app.unit_of_work() as uow:
        done = service.export_bag(uow.session, app.file_store, who, request_id, target,
                                  organisation="BEL-CA", now=app.now(), why="court")  # fmt: skip
        uow.commit()
    assert done["items"] == 2
    bag = bagit.Bag(str(target))
    bag.validate(fast=False)
    assert sorted(bag.algorithms) == ["sha256", "sha512"]
    assert bag.info["External-Identifier"] == done["reference"]
    assert "custody-log.json" in bag.entries  # covered by the tag manifests
    assert sorted(bag.payload_entries()) == ["data/001-site.mp4", "data/002-site.mp4"]
    log = json.loads((target / "custody-log.json").read_text())
    assert [i["uid"] for i in log["items"]] == [first["uid"], second["uid"]]
    report = bags.verify(target)
    assert report.valid and report.errors == []
    assert _tags(app, "evidence:bag")[-1] == "evidence:bag:export"


def test_an_unsealed_original_is_not_exported_and_nothing_is_written(app, tmp_path):
    who = _user(app, "ev.exporter2")
    request_id = _request(app, who)
    _add(app, who, request_id)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidInput, match="is not sealed"), app.unit_of_work() as uow:
        service.export_bag(uow.session, app.file_store, who, request_id, out / "bag",
                           organisation="BEL-CA", now=app.now(), why="court")  # fmt: skip
    assert list(out.iterdir()) == []


def test_an_event_dated_before_the_last_is_refused(app):
    who = _user(app, "ev.officer4")
    request_id = _request(app, who)
    item = _add(app, who, request_id)
    with app.unit_of_work() as uow, pytest.raises(InvalidInput, match="chronological"):
        service.record_event(uow.session, who, request_id, item["id"], EventKind.SEALED,
                             custody_of=HERE, now=app.now() - timedelta(days=1))  # fmt: skip


def test_an_event_altered_in_the_database_is_found_and_not_exported(app, tmp_path):
    """There is no update path for custody events; one altered behind Judicare's back (in
    the database itself) breaks the chain: the item shows it, and export refuses."""
    who = _user(app, "ev.tamper")
    request_id = _request(app, who)
    item = _add(app, who, request_id)
    _event(app, who, request_id, item["id"], EventKind.SEALED)
    with app.unit_of_work() as uow:
        row = uow.session.scalar(select(CustodyEventRow).where(CustodyEventRow.seq == 1))
        row.actor = "someone else"
        uow.commit()
    with app.unit_of_work() as uow:
        [listed] = service.list_items(uow.session, who, request_id, now=app.now(), why="t")
        uow.commit()
    assert listed["chain_intact"] is False
    assert "entry 1 was altered" in listed["chain_problems"][0]
    with pytest.raises(InvalidInput, match="chain of custody is broken"), app.unit_of_work() as uow:
        service.export_bag(uow.session, app.file_store, who, request_id, tmp_path / "bag",
                           organisation="BEL-CA", now=app.now(), why="court")  # fmt: skip


def test_the_evidence_code_has_no_update_or_delete_path():
    """Custody events are appended, never changed: no module of the package updates or
    deletes a row (the chain would detect it, but there is no path to do it)."""
    import ast
    from pathlib import Path

    import judicare.evidence as package

    for path in Path(package.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {a.name for a in node.names}
                assert not names & {"update", "delete"}, f"{path.name} imports {names}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in ("delete", "merge"), (
                    f"{path.name}: .{node.func.attr}()"
                )


def test_bytes_still_referenced_are_never_removed_and_a_removal_is_audited(app):
    """`files.removal`: a blob a row references is kept (the rows are named) and nothing is
    audited; an unreferenced one is audited (who, why, SHA-256, size), then removed."""
    import hashlib

    from judicare.files import removal
    from judicare.requests.models import DocumentRow

    who = _user(app, "ev.remover")
    request_id = _request(app, who)
    item = _add(app, who, request_id, content=b"kept: an evidence item's bytes")
    key = f"sha256/{item['sha256']}"
    loose, _, loose_sha = app.file_store.put([b"left by a refused message"], 1_000)
    with app.unit_of_work() as uow:
        uow.session.add(DocumentRow(request_id=request_id, filename="also.bin",
                                    media_type="application/octet-stream", size=30,
                                    sha256=item["sha256"], storage_key=key,
                                    uploaded_by=who.user_id))  # fmt: skip
        uow.commit()
    with app.unit_of_work() as uow, pytest.raises(removal.StillReferenced) as held:
        removal.audit_removal(uow.session, app.file_store, key, actor="t", why="test",
                              now=app.now())  # fmt: skip
    assert "documents" in held.value.message and "evidence_items" in held.value.message
    done = removal.remove(app, [key, loose, loose], actor="ev.remover", why="refused bag",
                          now=app.now())  # fmt: skip
    assert done == [loose]
    assert app.file_store.exists(key) and not app.file_store.exists(loose)
    assert loose_sha == hashlib.sha256(b"left by a refused message").hexdigest()
    with app.unit_of_work() as uow:
        entries = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.tag.like("%file:remove"))
        ).all()
        found = [(e.actor, e.why, e.details) for e in entries]
    assert found == [("ev.remover", "refused bag", {"sha256": loose_sha, "size": 25})]
    # removing what is not there is nothing to remove, and nothing is audited
    assert removal.remove(app, [loose], actor="ev.remover", why="again", now=app.now()) == []
