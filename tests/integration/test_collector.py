"""The server settles Python's garbage collector once composed (judicare.collector): what
start-up made is frozen out of later collections, and the youngest generation is collected
less often. Tests and commands never settle it."""

from __future__ import annotations

import gc

import pytest

from judicare import collector


@pytest.fixture
def restored_collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    collector._serving = False


def test_settling_freezes_what_start_up_made_and_collects_the_young_less_often(
    restored_collector,
):
    kept = [[n] for n in range(10)]  # lists: tracked by the collector
    before = gc.get_freeze_count()
    middle, old = gc.get_threshold()[1:]
    collector.settle_for_serving()
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_threshold() == (collector.SERVING_YOUNG_THRESHOLD, middle, old)
    assert collector.serving()


def test_objects_kept_are_frozen_in_a_settled_server_only(restored_collector):
    before = gc.get_freeze_count()  # (a large person index loaded earlier freezes its own)
    kept_outside = [[n] for n in range(1000)]
    collector.freeze_kept()  # a test or a command: nothing frozen
    assert gc.get_freeze_count() == before and kept_outside
    collector.settle_for_serving()
    frozen = gc.get_freeze_count()
    kept = [[n] for n in range(1000)]  # lists: tracked by the collector
    collector.freeze_kept()
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_judicare_serve_settles_the_collector_before_it_serves(
    restored_collector, monkeypatch, tmp_path
):
    import uvicorn

    from judicare.serve import serve

    seen = {}

    def run(api, **options):  # uvicorn's loop: what the server would start with
        seen.update(serving=collector.serving(), threshold=gc.get_threshold()[0],
                    frozen=gc.get_freeze_count())  # fmt: skip

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("JUDICARE_DATA_DIR", str(tmp_path / "data"))
    serve(db=f"sqlite:///{tmp_path / 'judicare.db'}", port=8765)
    assert seen["serving"] and seen["threshold"] == collector.SERVING_YOUNG_THRESHOLD
    assert seen["frozen"] > 0
