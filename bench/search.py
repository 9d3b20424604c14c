"""Benchmark "Find a case" on a large database: index build time and search latency on SQLite
(FTS5) and PostgreSQL (tsvector + GIN).

For each database a fresh one (a SQLite file in a temp folder, or a temp PostgreSQL database on
``LANTERN_BENCH_POSTGRES_URL``, dropped afterwards) is migrated and seeded with
``publisher.seed``; then ``lantern search reindex``'s ``rebuild_index`` builds the index (timed),
and each query runs through ``portal.services.search.search_cases`` (audit entry included, as in
the portal) 5 times: printed are the median milliseconds of the backend's query alone (one page
of ids and the count) and of the whole audited search (query, the page's rows, the matched
fields, the audit entry committed), and the number of matches. The
queries use values read back from the seeded data (a complainant's name, email and phone typed
with punctuation, an officer's badge and surname), plus common and rare words, a phrase, an
exclusion, a deep page and a miss. Figures only; nothing is asserted.

    .venv/bin/python bench/search.py [--cases 100000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publish import fresh_database  # noqa: E402

POSTGRES_URL = os.environ.get(
    "LANTERN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
RUNS = 5


def _queries(session: Any) -> list[tuple[str, str, int]]:
    """(label, query, page) from values in the seeded data."""
    from sqlalchemy import select

    from portal.models import Complainant, InvolvedOfficer, Officer

    person = session.execute(
        select(Complainant.name, Complainant.email, Complainant.phone)
        .where(Complainant.email.is_not(None), Complainant.phone.is_not(None))
        .order_by(Complainant.id.desc())
        .limit(1)
    ).one()
    officer = session.execute(
        select(Officer.last_name, Officer.badge_number)
        .join(InvolvedOfficer, InvolvedOfficer.officer_id == Officer.id)
        .order_by(InvolvedOfficer.id.desc())
        .limit(1)
    ).one()
    digits = "".join(ch for ch in person.phone if ch.isdigit())[-10:]
    typed_phone = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return [
        ("complainant full name", person.name, 1),
        ("email, upper case", person.email.upper(), 1),
        ("phone, typed with punctuation", typed_phone, 1),
        ("officer badge", officer.badge_number, 1),
        ("officer surname", officer.last_name, 1),
        ("common word", "released", 1),
        ("common word, page 100", "released", 100),
        ("two words", "officer released", 1),
        ("phrase", '"was released"', 1),
        ("word minus word", "released -pushed", 1),
        ("no match", "zeppelinquartz", 1),
    ]


def run(kind: str, cases: int) -> None:
    """Seed, index and time the searches on one database; print the figures."""
    from portal.db import make_engine, session_factory
    from portal.services.search import backend_for, parse_query, rebuild_index, search_cases
    from portal.vocabulary import StaffRole
    from publisher.seed import seed_cases
    from tests.portal.staff_support import create_staff

    with tempfile.TemporaryDirectory(prefix="lantern-bench-search-") as temp:
        url, cleanup = fresh_database(kind, Path(temp), "lantern_bench_search")
        try:
            engine = make_engine(url)
            seeded = seed_cases(engine, cases, 42, now=NOW, progress=False)
            session = session_factory(engine)()
            started = time.perf_counter()
            indexed = rebuild_index(session, now=NOW, batch=1000)
            index_seconds = time.perf_counter() - started
            staff = create_staff(session, StaffRole.SUPERVISOR, email="bench@oversight.example")
            print(
                f"\n{kind}: {cases:,} cases seeded in {seeded.seconds:.1f} s; "
                f"index of {indexed:,} cases built in {index_seconds:.1f} s"
            )
            print(f"{'query':<32} {'search ms':>10} {'audited ms':>11} {'matches':>9}")
            backend = backend_for(session)
            for label, query, page in _queries(session):
                bare, audited = [], []
                total = 0
                for _ in range(RUNS):
                    started = time.perf_counter()
                    backend.search(session, parse_query(query), offset=(page - 1) * 25, limit=25)
                    session.rollback()
                    bare.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    result = search_cases(
                        session, query, actor=staff, now=NOW, audit_key="bench", page=page
                    )
                    audited.append((time.perf_counter() - started) * 1000)
                    total = result.total
                print(
                    f"{label:<32} {statistics.median(bare):>10.1f} "
                    f"{statistics.median(audited):>11.1f} {total:>9,}"
                )
            session.close()
            engine.dispose()
        finally:
            cleanup()


def main() -> None:
    """Parse the options and run each database."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} (2 cores shared)")
    for kind in args.databases.split(","):
        run(kind.strip(), args.cases)


if __name__ == "__main__":
    main()
