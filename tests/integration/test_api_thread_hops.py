"""How often one API call hops to the thread pool (issue 22): FastAPI runs every plain
(non-async) dependency and route in its thread pool, a hop there and back for each, which
under load waits for the interpreter lock both ways. The dependencies that only read what
the request already holds (the app, the bearer token) are coroutines; what reads or
writes the database (the unit of work, the caller's token row, the route) runs in the
pool."""

from __future__ import annotations

import anyio.to_thread

from tests.integration.api_support import request_body


def test_a_create_hops_to_the_thread_pool_only_for_its_database_work(demo_api, monkeypatch):
    hops: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        hops.append(getattr(getattr(func, "func", func), "__qualname__", "?"))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    headers = demo_api.headers("officer", **{"Idempotency-Key": "thread-hops-create-1"})
    response = demo_api.client.post("/api/v1/requests", json=request_body(), headers=headers)
    assert response.status_code == 201, response.text
    # the unit of work opened and closed, the caller read in it, the route and the check of
    # its answer (FastAPI's, for a plain route): 7 before, when the app and the bearer
    # token were read in the pool too
    assert len(hops) == 5, hops
    assert not {"get_app", "bearer_token"} & set(hops)
