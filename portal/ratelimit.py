"""In-process rate-limit storage without a thread per request: ``lantern-memory://``.

limits' ``memory://`` storage starts a ``threading.Timer`` (10 ms) after a hit whenever the last
one has finished, and that timer walks *every* key. Under steady traffic that is a new thread
for nearly every rate-limited request (the request waits for it to start), and during a flood
from many addresses a full scan of tens of thousands of keys every 10 ms — exactly when the
portal needs its CPU for everyone else. Counters already expire lazily when read (``get``), so
this storage only sweeps stale keys in line, at most once a second, and never starts a thread.

Used when ``LANTERN_REDIS_URL`` is unset (``create_app``); production uses Redis.
"""

from __future__ import annotations

import time

from limits.storage.memory import MemoryStorage

SWEEP_EVERY_S = 1.0


class LazyExpiryMemoryStorage(MemoryStorage):
    """limits' memory storage with in-line, once-a-second expiry instead of a timer thread."""

    STORAGE_SCHEME = ["lantern-memory"]  # noqa: RUF012  (limits registers schemes from this list)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private timer start
        now = time.monotonic()
        if now >= getattr(self, "_next_sweep", 0.0):
            self._next_sweep = now + SWEEP_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
