"""The in-process rate-limit storage (``lantern-memory://``): counts, expires, starts no thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal import create_app
from portal.ratelimit import LazyExpiryMemoryStorage


def test_counts_and_expires_without_starting_threads() -> None:
    storage = storage_from_string("lantern-memory://")
    assert isinstance(storage, LazyExpiryMemoryStorage)
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per second")
    time.sleep(0.05)  # let the base class's one start-up timer finish
    before = threading.active_count()
    assert [limiter.hit(limit, "a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "b")  # another client is not affected
    assert threading.active_count() == before
    time.sleep(1.1)
    assert limiter.hit(limit, "a")  # the window ended
    assert threading.active_count() == before


def test_stale_keys_are_swept(monkeypatch: object) -> None:
    storage = LazyExpiryMemoryStorage()
    for i in range(100):
        storage.incr(f"k{i}", expiry=0.01)
    time.sleep(1.05)
    storage.incr("fresh", expiry=10)  # the once-a-second sweep runs in line
    assert set(storage.storage) == {"fresh"}


def test_the_portal_uses_it_without_redis(tmp_path: Path) -> None:
    app = create_app(
        {"SECRET_KEY": "x", "ACCESS_CODE_KEY": "y", "DATABASE_URL": f"sqlite:///{tmp_path}/db"},
        environ={"LANTERN_INSTANCE_PATH": str(tmp_path)},
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "lantern-memory://"


def _app(tmp_path: Path, **config: object) -> object:
    return create_app(
        {
            "SECRET_KEY": "x",
            "ACCESS_CODE_KEY": "y",
            "DATABASE_URL": f"sqlite:///{tmp_path}/db",
            "RATELIMIT_STORAGE_URI": "memory://",
            **config,
        },
        environ={"LANTERN_INSTANCE_PATH": str(tmp_path)},
    )


def test_route_limits_apply_without_the_limiters_per_request_pass(tmp_path: Path) -> None:
    # The before_request pass is dropped (nothing app-wide to check), the lookup's own limit
    # still refuses the fourth POST.
    app = _app(tmp_path, LOOKUP_RATE_LIMIT="3 per minute", WTF_CSRF_ENABLED=False)
    client = app.test_client()  # type: ignore[attr-defined]
    codes = [
        client.post("/status", data={"reference": "x", "access_code": "y"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert all(client.get("/").status_code == 200 for _ in range(5))  # other pages: no limit


def test_a_default_limit_keeps_the_per_request_pass(tmp_path: Path) -> None:
    # An office that configures an app-wide default limit gets it on every page.
    app = _app(tmp_path, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()  # type: ignore[attr-defined]
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
