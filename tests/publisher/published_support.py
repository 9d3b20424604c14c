"""Real releases for the site's tests: synthetic cases published with ``lantern publish``'s code.

``publish_two_releases(root)`` seeds a SQLite database, publishes 1.0.0, adds six more months of
cases and publishes 1.1.0 (so the site has a newest release and an earlier one, and the second
release has a real changelog). Deterministic: same files on every run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from portal.db import make_engine
from portal.migrate import upgrade
from publisher.policy import load_policy
from publisher.publish import publish
from publisher.seed import seed_cases
from tests.publisher.publish_support import KEY

FIRST_NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
SECOND_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def publish_two_releases(root: Path, cases: int = 1_500) -> Path:
    """Publish releases 1.0.0 and 1.1.0 of synthetic cases under ``root/releases``; return it."""
    url = f"sqlite:///{root / 'published.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    releases = root / "releases"
    try:
        seed_cases(engine, cases, 11, now=FIRST_NOW, progress=False)
        publish(engine, "1.0.0", releases, policy=load_policy(), key=KEY.encode(), workers=1)
        seed_cases(engine, cases // 5, 12, now=SECOND_NOW, progress=False)
        publish(engine, "1.1.0", releases, policy=load_policy(), key=KEY.encode(), workers=1)
    finally:
        engine.dispose()
    return releases
