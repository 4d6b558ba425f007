"""What is worked out once per compiled policy and reused by every evaluation (stage: evaluate; no I/O).

A :class:`~engine.compile.CompiledPolicy` is immutable, so anything derived from it alone (a firing
backend's compiled tests, the message plans) can be built on first use and kept. The cache holds
the policy itself next to what was built from it, so an entry is found by identity (``is``), never by
an ``id()`` a dead object left behind; it keeps the policies most recently built for, a bounded number
(the oldest built goes first), so a service that sees many policies does not grow without end. A hit
reorders nothing: it is two dictionary lookups, on the path of every evaluation. Nothing in it is
pickled: a policy sent to a worker process builds its own entries there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["per_policy"]

T = TypeVar("T")
LIMIT = 64  # policies kept per purpose; a batch or a service uses a few

_CACHE: dict[str, dict[int, tuple[object, object]]] = {}
_LOCK = threading.Lock()


def per_policy(purpose: str, policy: object, build: Callable[[], T]) -> T:
    """What ``build()`` makes from ``policy`` for ``purpose``, built once per policy object.

    >>> calls = []
    >>> p = object()
    >>> per_policy("doctest", p, lambda: calls.append(1) or len(calls)), per_policy("doctest", p, lambda: 99)
    (1, 1)
    """
    key = id(policy)
    cached = _CACHE.get(purpose)
    hit = cached.get(key) if cached is not None else None
    if hit is not None and hit[0] is policy:  # the usual case: two lookups, no lock and no reordering
        return hit[1]  # type: ignore[return-value]
    with _LOCK:
        entries = _CACHE.get(purpose)
        if entries is None:
            entries = _CACHE[purpose] = {}
        found = entries.get(key)
        if found is not None and found[0] is policy:
            return found[1]  # type: ignore[return-value]
    made = build()  # outside the lock: building may take a while, and two threads may both build once
    with _LOCK:
        entries[key] = (policy, made)
        while len(entries) > LIMIT:
            del entries[next(iter(entries))]  # the oldest built
    return made
