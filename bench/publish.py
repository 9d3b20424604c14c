"""Benchmark ``lantern publish``: seed N closed-heavy synthetic cases, publish, print per stage.

For each database (SQLite file, PostgreSQL temp database) and each size: a fresh database is
migrated and seeded (``publisher.seed``, ~2.5 allegations per case; seeding is not timed as part
of publishing), then ``publish`` runs in a child process of its own so its memory high-water mark
is the publisher's alone. Printed per stage (extract, anonymize, aggregate, write, validate):
wall seconds and the RSS high-water mark of the publishing process (``getrusage``), plus the
largest validation worker's. The reference line validates the same release with Frictionless
only (one process, ``Package.validate()``, foreign keys included). Targets on 2 cores:
1,000,000 cases published and validated in < 120 s, peak memory < 1.5 GB.

    .venv/bin/python bench/publish.py                       # 100k and 1M, SQLite and PostgreSQL
    .venv/bin/python bench/publish.py --cases 100000 --databases sqlite
    .venv/bin/python bench/publish.py --quick --json out.json   # 2,000 cases, SQLite (smoke test)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = "bench-pseudonym-key-not-secret-0123456789abcdef"
POSTGRES_URL = os.environ.get(
    "LANTERN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _child_publish(url: str, out: str, workers: int) -> None:
    """(child) Publish 1.0.0 of ``url`` into ``out``; print one JSON line with the stages."""
    from portal.db import make_engine
    from publisher.policy import load_policy
    from publisher.publish import publish

    engine = make_engine(url)
    started = time.perf_counter()
    result = publish(
        engine,
        "1.0.0",
        Path(out),
        policy=load_policy(),
        key=KEY.encode(),
        workers=workers,
        progress=False,
    )
    total = time.perf_counter() - started
    print(
        "BENCH_PUBLISH "
        + json.dumps(
            {
                "total_seconds": total,
                "complaints": result.complaints,
                "allegations": result.allegations,
                "complainants": result.complainants,
                "officers": result.officers,
                "k": result.k_achieved,
                "stages": [vars(s) for s in result.stages],
            }
        ),
        flush=True,
    )


def _child_frictionless(folder: str) -> None:
    """(child) Validate the release with Frictionless only, sequentially; print one JSON line."""
    from frictionless import Package

    from publisher.validate import peak_rss_mib

    started = time.perf_counter()
    report = Package(str(Path(folder) / "datapackage.json")).validate()
    seconds = time.perf_counter() - started
    rss = peak_rss_mib()
    print(
        "BENCH_FRICTIONLESS "
        + json.dumps({"seconds": seconds, "valid": report.valid, "peak_rss_mib": rss}),
        flush=True,
    )


def _run_child(args: list[str], marker: str) -> dict[str, Any]:
    """Run this script as a child with ``args``; return the JSON after ``marker``."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith(marker + " "):
            result: dict[str, Any] = json.loads(line[len(marker) + 1 :])
            return result
    raise RuntimeError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def fresh_database(
    kind: str, folder: Path, prefix: str = "lantern_bench_publish"
) -> tuple[str, Callable[[], None]]:
    """A fresh migrated database URL of ``kind`` and a cleanup callable (a SQLite file in
    ``folder``, or a PostgreSQL database named ``<prefix>_<random>``, dropped by the cleanup)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from portal.db import make_engine, normalize_url
    from portal.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade(url)
        return url, lambda: None
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_URL)).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    upgrade(url_text)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url_text, drop


def run(kind: str, cases: int, workers: int, reference: bool) -> dict[str, Any]:
    """Seed ``cases`` into a fresh ``kind`` database, publish, validate; return the figures."""
    from portal.db import make_engine
    from publisher.seed import seed_cases

    with tempfile.TemporaryDirectory(prefix="lantern-bench-publish-") as temp:
        folder = Path(temp)
        url, cleanup = fresh_database(kind, folder)
        try:
            engine = make_engine(url)
            seeded = seed_cases(engine, cases, 42, now=NOW, progress=False)
            engine.dispose()
            out = folder / "releases"
            figures = _run_child(
                ["--child-publish", url, str(out), "--workers", str(workers)], "BENCH_PUBLISH"
            )
            figures |= {
                "database": kind,
                "cases": cases,
                "closed_cases": seeded.closed_cases,
                "seed_seconds": seeded.seconds,
                "release_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
            }
            figures["joined_k"] = _joined_k(out / "1.0.0")
            if reference:
                figures["frictionless_only"] = _run_child(
                    ["--child-frictionless", str(out / "1.0.0")], "BENCH_FRICTIONLESS"
                )
            return figures
        finally:
            cleanup()


def _joined_k(folder: Path) -> dict[str, int]:
    """k measured by pycanon from the written CSVs alone on each join an attacker can make
    (the tests' independent measure, ``tests/publisher/joined_support.py``)."""
    from tests.publisher.joined_support import complainant_k, officer_k

    rows, officers = officer_k(folder)
    return {"complainants": complainant_k(folder), "officer_rows": rows, "officers": officers}


def _print(figures: dict[str, Any]) -> None:
    """One result as a table."""
    print(
        f"\n{figures['database']}, {figures['cases']:,} cases ({figures['closed_cases']:,} closed;"
        f" seeded in {figures['seed_seconds']:.0f} s): {figures['complaints']:,} complaints,"
        f" {figures['allegations']:,} allegations, {figures['complainants']:,} complainants,"
        f" k = {figures['k']}, release {figures['release_bytes'] / 1e6:.1f} MB"
    )
    print(f"  {'stage':<10} {'seconds':>8} {'peak RSS MiB':>13} {'workers MiB':>12}")
    for stage in figures["stages"]:
        print(
            f"  {stage['name']:<10} {stage['seconds']:>8.1f} {stage['peak_rss_mib']:>13,.0f}"
            f" {stage['peak_workers_rss_mib']:>12,.0f}"
        )
    print(f"  {'total':<10} {figures['total_seconds']:>8.1f}")
    joined = figures["joined_k"]
    print(
        f"  pycanon on the CSVs: complainants joined with their complaints k ="
        f" {joined['complainants']}; allegations joined with officers and complaints k ="
        f" {joined['officer_rows']} rows, {joined['officers']} distinct officers"
    )
    reference = figures.get("frictionless_only")
    if reference:
        print(
            f"  reference: Frictionless alone, one process: {reference['seconds']:.1f} s,"
            f" peak RSS {reference['peak_rss_mib']:,.0f} MiB, valid={reference['valid']}"
        )


def main() -> None:
    """Parse arguments and run the benchmark (or a child step)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2,000 cases, SQLite only.")
    parser.add_argument("--no-reference", action="store_true", help="Skip Frictionless-only.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument("--child-publish", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-frictionless", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_publish:
        _child_publish(*args.child_publish, workers=args.workers)
        return
    if args.child_frictionless:
        _child_frictionless(args.child_frictionless)
        return
    if args.quick:
        args.cases, args.databases = [2_000], ["sqlite"]
    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"cpus: {os.cpu_count()}, validation workers: {args.workers}")
    results = []
    for kind in args.databases:
        for cases in args.cases:
            figures = run(kind, cases, args.workers, not args.no_reference)
            _print(figures)
            results.append(figures)
    if args.json:
        args.json.write_text(json.dumps({"load": load, "results": results}, indent=2))


if __name__ == "__main__":
    main()
