"""Benchmark the staff screens on a large database: the queue (filters, deep pages, deadline
filters, reference search), the case page and the trend report, through the Flask test client.

Seeds ``--cases`` synthetic cases (``lantern seed``) into a fresh SQLite file in a temporary
folder, or into the database of ``--database-url`` when given (it must be empty and migrated:
``lantern db upgrade``). Prints the median of 5 requests per page, in milliseconds.

    .venv/bin/python bench/backoffice.py [--cases 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _seed(env: dict[str, str], cases: int) -> None:
    lantern = [sys.executable, "-m", "portal"]
    subprocess.run([*lantern, "db", "upgrade"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*lantern, "seed", "--cases", str(cases), "--no-progress"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    print(done.stdout.strip().splitlines()[-1])


def _measure(env: dict[str, str]) -> None:
    os.environ.update(env)
    from sqlalchemy import func, select

    from portal import create_app
    from portal.models import Complaint
    from portal.request_db import factory
    from portal.vocabulary import StaffRole
    from tests.portal.staff_support import create_staff, sign_in_session

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = factory()()
        staff = create_staff(session, StaffRole.SUPERVISOR, email="bench@oversight.example")
        newest = session.scalar(select(func.max(Complaint.id)))
        session.close()
    client = app.test_client()
    sign_in_session(client, staff)
    for url in (
        "/staff/cases",
        "/staff/cases?status=all",
        "/staff/cases?status=all&page=2000",
        "/staff/cases?status=all&sort=reference&dir=desc",
        "/staff/cases?status=all&category=force&district=D03",
        "/staff/cases?deadline=overdue",
        "/staff/cases?deadline=due_soon",
        "/staff/cases?status=all&q=LNT-7K",
        f"/staff/cases/{newest}",
        "/staff/reports",
    ):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{statistics.median(times):8.1f} ms  {url}")


def run_seeded(description: str, measure: Callable[[dict[str, str]], None]) -> None:
    """Parse ``--cases`` and ``--database-url``, seed a throwaway instance, then ``measure``
    it with the environment the portal's commands read."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        url = args.database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "LANTERN_INSTANCE_PATH": str(instance),
            "LANTERN_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
        }
        _seed(env, args.cases)
        measure(env)


def main() -> None:
    """Seed, then time the staff pages."""
    run_seeded(__doc__.splitlines()[0], _measure)


if __name__ == "__main__":
    main()
