"""Python's cyclic garbage collector in a long-running server (`judicare serve`).

A full collection walks every object the process holds. In a server those are mostly made
once: the modules, the reference data (treaties, legal bases, rules) and the caches of
names read (`persons.names.parse_name` and the comparisons of their parts). On 100,000
requests a full collection of the screening page's process walked about 470,000 objects
and took 200 to 380 ms, and fell on one screening in ten: it was most of the page's p95
(issue 17). So the server, once composed, settles the collector (`settle_for_serving`):

- what start-up made is collected once, then frozen (`gc.freeze`): later collections no
  longer walk it;
- the youngest generation is collected every `SERVING_YOUNG_THRESHOLD` allocations rather
  than every 700: a page makes tens of thousands of short-lived objects, and most are freed
  by reference counting before a collection would look at them, so fewer of them are
  promoted to the older generations that full collections walk.

Objects read ahead to be kept (the protected entries' names, `persons.service`) are frozen
once read (`freeze_kept`), in a server only. Freezing moves objects out of the collector's
reach, not out of memory: reference counting still frees whatever is dropped; only a cycle
of objects frozen while alive would outlive its last use, so nothing is frozen per request,
only after start-up and once after the read-ahead.

Measured in-process (`bench.pages_profile`-style, 60 screenings on 100,012 requests, load
about 5): CPU p95 439 ms with the defaults, 218 ms settled; the collector's time 2,095 ms
against 349 ms.

Tests never settle the collector: they make and drop thousands of apps in one process.
"""

from __future__ import annotations

import gc

# The youngest generation's threshold in a server (CPython's default is 700); the older
# generations keep theirs.
SERVING_YOUNG_THRESHOLD = 10_000

_serving = False


def settle_for_serving() -> None:
    """Collect what start-up left, freeze the rest, and collect the young generation less
    often. Called once a server process has composed its application."""
    global _serving
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(SERVING_YOUNG_THRESHOLD, middle, old)
    _serving = True


def serving() -> bool:
    """Whether this process is a settled server (`settle_for_serving`)."""
    return _serving


def freeze_kept() -> None:
    """In a settled server, freeze what the process holds now (objects just read to be
    kept for the process's life); elsewhere (tests, commands) nothing."""
    if _serving:
        gc.freeze()
