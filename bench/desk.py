"""Benchmark the staff desk (the staff home page) on a large database, through the Flask test
client: a supervisor's desk (news, own cases, team workload, reviews waiting), an
investigator's, acknowledging, and opening a case with news.

Seeds ``--cases`` synthetic cases (``lantern seed``) into a fresh SQLite file in a temporary
folder, or into the database of ``--database-url`` (empty and migrated: ``lantern db upgrade``),
assigns the open ones round-robin to 20 investigators and has residents add information to 2,000
of them. The first desk load finds every overdue clock and failed message of the whole database
(that many notices are written once); later loads only look for new ones. Prints the median of 5
requests (the first load on its own), in milliseconds.

    .venv/bin/python bench/desk.py [--cases 100000] [--database-url URL]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.backoffice import run_seeded  # noqa: E402

INVESTIGATORS = 20
RESIDENT_ADDITIONS = 2_000


def _timed(client: object, method: str, url: str, **kw: object) -> float:
    start = time.perf_counter()
    response = getattr(client, method)(url, **kw)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code in (200, 303), (url, response.status_code)
    return elapsed


def _measure(env: dict[str, str]) -> None:
    os.environ.update(env)
    from sqlalchemy import func, select, update

    from portal import create_app
    from portal.models import CaseNotice, Complaint
    from portal.request_db import factory
    from portal.services import status
    from portal.services.clocks import OPEN_STATES
    from portal.vocabulary import StaffRole
    from tests.portal.staff_support import create_staff, sign_in_session

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = factory()()
        supervisor = create_staff(session, StaffRole.SUPERVISOR, email="bench@oversight.example")
        team = [
            create_staff(session, StaffRole.INVESTIGATOR, email=f"inv{n}@oversight.example")
            for n in range(INVESTIGATORS)
        ]
        open_ids = list(
            session.scalars(
                select(Complaint.id)
                .where(Complaint.state.in_(sorted(OPEN_STATES)))
                .order_by(Complaint.id)
            )
        )
        for n, person in enumerate(team):
            session.execute(
                update(Complaint)
                .where(Complaint.id.in_(open_ids[n::INVESTIGATORS]))
                .values(assigned_to_id=person.id)
            )
        session.commit()
        now = dt.datetime.now(dt.UTC)
        for complaint_id in open_ids[:RESIDENT_ADDITIONS]:
            status.add_information(session, complaint_id, text="More details.", now=now)
        print(f"{len(open_ids)} open cases, assigned to {INVESTIGATORS} investigators")
        session.close()
    boss = app.test_client()
    sign_in_session(boss, supervisor)
    ivy = app.test_client()
    sign_in_session(ivy, team[0])
    first = _timed(boss, "get", "/staff/")
    with app.app_context():
        session = factory()()
        notices = session.scalar(select(func.count()).select_from(CaseNotice))
        session.close()
    print(f"{first:8.1f} ms  first desk load (supervisor; {notices} notices written)")
    rows = [
        ("supervisor desk", boss, "get", "/staff/", {}),
        ("investigator desk", ivy, "get", "/staff/", {}),
        ("open a case with news", ivy, "get", f"/staff/cases/{open_ids[0]}", {}),
        ("acknowledge one case", ivy, "post", f"/staff/desk/seen/{open_ids[1]}",
         {"data": {"up_to": "999999999"}}),
    ]  # fmt: skip
    for label, client, method, url, kw in rows:
        times = [_timed(client, method, url, **kw) for _ in range(5)]
        print(f"{statistics.median(times):8.1f} ms  {label}")


def main() -> None:
    """Seed, then time the desk."""
    run_seeded(__doc__.splitlines()[0], _measure)


if __name__ == "__main__":
    main()
