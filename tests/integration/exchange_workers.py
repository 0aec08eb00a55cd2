"""The delivery worker (`Deliverer.run`) in threads of a test: started and stopped in one
place, and a node's outbox signal that says when the worker waits on it with nothing to do,
so that a test queues a message into an idle worker without pausing for a guessed time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from judicare.exchange.delivery import Deliverer
from tests.waiting import PATIENCE, eventually


class WatchedSignal(threading.Event):
    """A node's `outbox_signal` (the worker's `wake`) that counts how often it was set and
    remembers the count when the worker last waited on it while it was clear: the worker
    waits on it only when it found nothing due (`Deliverer._idle`)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen = threading.Condition()
        self.sets = 0
        self.idle_after = -1  # `sets` when the worker last waited with the signal clear

    def set(self) -> None:
        with self._seen:
            self.sets += 1
            super().set()

    def wait(self, timeout: float | None = None) -> bool:
        with self._seen:
            if not self.is_set():
                self.idle_after = self.sets
                self._seen.notify_all()
        return super().wait(timeout)

    def idle_since(self, sets: int, timeout: float = PATIENCE) -> bool:
        """Whether the worker waited, with the signal clear, after it was set `sets` times."""
        with self._seen:
            return self._seen.wait_for(lambda: self.idle_after >= sets, timeout)


def watched(node) -> WatchedSignal:
    """Give `node` (a `NodeUnderTest`) a watched outbox signal; make its Deliverer after."""
    signal = WatchedSignal()
    node.node.outbox_signal = signal
    return signal


def wait_idle(deliverer: Deliverer) -> None:
    """Until the running worker has found nothing due and waits for its signal or its poll.
    On PostgreSQL, first until its listener is listening and the wake it gives on connecting
    has been taken (else a message queued now could be found by that round, not woken for)."""
    signal = deliverer.wake
    assert isinstance(signal, WatchedSignal), "call watched(node) before making the Deliverer"
    sets = 0
    if deliverer.app.engine.dialect.name == "postgresql":
        listener = eventually(lambda: deliverer.listener, "the worker starts its listener")
        assert listener.listening.wait(PATIENCE), "the listener never listened"
        sets = 1  # the listener sets the signal once, on connecting
    assert signal.idle_since(sets), "the worker never waited with nothing due"


@contextmanager
def working(*deliverers: Deliverer) -> Iterator[None]:
    """Each deliverer's `run` in a thread of its own while the block runs; then stopped
    (the posts under way finish), joined and closed. On a normal exit, none may hang."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=d.run, args=(stop,), name=f"deliverer-{n}")
        for n, d in enumerate(deliverers)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=PATIENCE)
        for deliverer in deliverers:
            deliverer.close()
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"still running after the stop: {hung}"
