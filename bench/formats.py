"""Benchmark the SQLite and Parquet copies of a release: what they add to ``lantern publish``.

Seeds N synthetic cases into a fresh SQLite database, publishes release 1.0.0 (the copies
included; the publish's own stage times are printed), then writes the copies again from the
release's CSVs into a scratch folder and checks them, timing each step: this is the extra time
the copies cost a publish. Prints the sizes of the CSVs, the SQLite file and the Parquet files.

    .venv/bin/python bench/formats.py --cases 100000
    .venv/bin/python bench/formats.py --cases 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = b"bench-pseudonym-key-not-secret-0123456789abcdef"


def main() -> None:
    """Run the benchmark for each ``--cases`` size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--keep",
        type=Path,
        help="Work in this folder and keep the seeded database and the release (a second run"
        " with the same folder and size reuses the database).",
    )
    args = parser.parse_args()
    from portal.db import make_engine
    from portal.migrate import upgrade
    from publisher.formats import check_formats, write_formats
    from publisher.policy import load_policy
    from publisher.publish import publish
    from publisher.seed import seed_cases

    for cases in args.cases:
        with tempfile.TemporaryDirectory(prefix="lantern-bench-formats-") as temp:
            folder = Path(temp) if args.keep is None else args.keep / str(cases)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(folder / "releases", ignore_errors=True)
            shutil.rmtree(folder / "scratch", ignore_errors=True)
            database = folder / "bench.sqlite3"
            url = f"sqlite:///{database}"
            marker = folder / "seeded"  # written once seeding finished (not when it died)
            seeded = marker.exists()
            if not seeded:
                database.unlink(missing_ok=True)
            upgrade(url)
            engine = make_engine(url)
            if not seeded:
                started = time.perf_counter()
                seed_cases(engine, cases, 1, now=NOW, progress=False)
                print(f"seeded {cases:,} cases in {time.perf_counter() - started:.0f} s")
                marker.touch()
            started = time.perf_counter()
            result = publish(
                engine, "1.0.0", folder / "releases", policy=load_policy(), key=KEY, workers=2
            )
            total = time.perf_counter() - started
            engine.dispose()
            release = result.folder
            package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
            schemas = {r["name"]: r["schema"] for r in package["resources"] if "schema" in r}
            scratch = folder / "scratch"
            shutil.copytree(release / "data", scratch / "data", ignore=_copies)
            started = time.perf_counter()
            paths = write_formats(scratch, "1.0.0", schemas, {"version": "1.0.0"})
            written = time.perf_counter() - started
            started = time.perf_counter()
            problems = check_formats(scratch, paths, result.validated_rows)
            checked = time.perf_counter() - started
            csv_bytes = sum(p.stat().st_size for p in (release / "data").glob("*.csv"))
            sqlite_bytes = (release / "data" / "lantern-1.0.0.sqlite").stat().st_size
            parquet_bytes = sum(p.stat().st_size for p in (release / "data/parquet").iterdir())
            print(f"{cases:,} cases: publish {total:.1f} s in all; stages " + ", ".join(
                f"{s.name} {s.seconds:.1f} s" for s in result.stages
            ))  # fmt: skip
            print(
                f"  copies: write {written:.1f} s, check {checked:.1f} s"
                f" (problems: {len(problems)}); sizes: CSV {csv_bytes / 2**20:.1f} MiB,"
                f" SQLite {sqlite_bytes / 2**20:.1f} MiB, Parquet {parquet_bytes / 2**20:.1f} MiB"
            )


def _copies(folder: str, names: list[str]) -> list[str]:
    """Leave out the published copies (they are written again)."""
    return [n for n in names if n.endswith(".sqlite") or n == "parquet"]


if __name__ == "__main__":
    main()
