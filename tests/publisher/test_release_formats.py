"""Each release ships its tables as SQLite and Parquet too: same rows, typed, keyed, listed."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import subprocess
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal.vocabulary import Finding
from publisher.policy import load_policy
from publisher.publish import publish
from publisher.seed import seed_cases
from tests.publisher.publish_support import KEY, add_case, utc

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def release(engine: Engine, tmp_path: Path) -> Path:
    """Release 1.0.0 of 250 synthetic cases."""
    seed_cases(engine, 250, 3, now=NOW, progress=False)
    return publish(engine, "1.0.0", tmp_path, policy=load_policy(), key=KEY.encode()).folder


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _package(folder: Path) -> dict[str, dict[str, object]]:
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r for r in package["resources"]}


def test_the_sqlite_database_holds_every_csv_with_its_keys_and_dictionary(release: Path) -> None:
    resources = _package(release)
    tables = [n for n, r in resources.items() if r["format"] == "csv"]
    db = sqlite3.connect(f"file:{release / 'data' / 'lantern-1.0.0.sqlite'}?mode=ro", uri=True)
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    for table in tables:
        rows = _csv_rows(release / f"data/{table}.csv")
        assert db.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (len(rows),), table

    # Declared types, keys and NOT NULL come from the Table Schemas.
    info = {r[1]: r for r in db.execute("PRAGMA table_info(complaints)")}
    assert info["channel"][2] == "TEXT"
    assert info["complaint_id"][5] == 1  # primary key
    assert info["channel"][3] == 1 and info["screening_outcome"][3] == 0  # NOT NULL if required
    counts = {r[1]: r for r in db.execute("PRAGMA table_info(agg_complaints_by_channel)")}
    assert counts["count"][2] == "INTEGER"
    references = {(r[2], r[3], r[4]) for r in db.execute("PRAGMA foreign_key_list(allegations)")}
    assert references == {
        ("complaints", "complaint_id", "complaint_id"),
        ("officers", "officer_id", "officer_id"),
    }

    # A dangling reference would be refused now that foreign keys are on.
    writable = sqlite3.connect(release / "data" / "lantern-1.0.0.sqlite")
    writable.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        writable.execute(
            "INSERT INTO complainants VALUES ('C-000000000000', 'unknown', 'unknown', 'unknown')"
        )
    writable.close()

    # withheld / empty become NULL, every other value is the CSV's, as a number.
    for table in [t for t in tables if t.startswith("agg_") and t != "agg_headline"]:
        rows = _csv_rows(release / f"data/{table}.csv")
        known = [int(r["count"]) for r in rows if r["count"] != "withheld"]
        assert db.execute(
            f'SELECT sum("count"), count("count"), count(*) - count("count") FROM "{table}"'
        ).fetchone() == (sum(known) if known else None, len(known), len(rows) - len(known))
    suppressed = db.execute(
        "SELECT count(*) FROM agg_allegations_by_category_finding WHERE count IS NULL"
    ).fetchone()
    assert suppressed[0] > 0  # the seed has suppressed cells (the test would prove nothing else)
    # officer_id: unidentified, withheld and empty (its missing values) are NULL, so the foreign
    # key to officers holds for every other row.
    officer_missing = {"", "unidentified", "withheld"}
    missing_officers = sum(
        1 for r in _csv_rows(release / "data/allegations.csv") if r["officer_id"] in officer_missing
    )
    assert db.execute("SELECT count(*) FROM allegations WHERE officer_id IS NULL").fetchone() == (
        missing_officers,
    )

    # The data dictionary: one row per published field, with its description.
    fields = sum(len(resources[t]["schema"]["fields"]) for t in tables)  # type: ignore[index]
    assert db.execute("SELECT count(*) FROM data_dictionary").fetchone() == (fields,)
    schema = resources["allegations"]["schema"]
    officer = next(f for f in schema["fields"] if f["name"] == "officer_id")  # type: ignore[index]
    assert db.execute(
        "SELECT type, required, description, missing_values FROM data_dictionary"
        " WHERE table_name = 'allegations' AND field_name = 'officer_id'"
    ).fetchone() == ("string", 0, officer["description"], json.dumps(officer["missingValues"]))
    assert dict(db.execute("SELECT key, value FROM release")) == {
        "created": "2026-01-01T00:00:00Z",
        "licence": "CC-BY-4.0",
        "version": "1.0.0",
    }
    db.close()


def test_parquet_files_read_back_with_the_csv_rows_and_types(release: Path) -> None:
    resources = _package(release)
    for name, resource in resources.items():
        if resource["format"] != "csv":
            continue
        frame = pl.read_parquet(release / f"data/parquet/{name}.parquet")
        rows = _csv_rows(release / f"data/{name}.csv")
        schema = resource["schema"]
        assert frame.columns == [f["name"] for f in schema["fields"]]  # type: ignore[index]
        assert frame.height == len(rows), name
    complaints = pl.read_parquet(release / "data/parquet/complaints.parquet")
    text = pl.read_csv(release / "data/complaints.csv", infer_schema=False)
    # Row for row the same (text fields keep their tokens, such as withheld).
    assert complaints["complaint_id"].to_list() == text["complaint_id"].to_list()
    assert complaints["days_to_close"].to_list() == text["days_to_close"].to_list()
    aggregates = [n for n, r in resources.items() if r["format"] == "csv" and n.startswith("agg_")]
    for name in [n for n in aggregates if n != "agg_headline"]:
        counts = pl.read_parquet(release / f"data/parquet/{name}.parquet")
        rows = pl.read_csv(release / f"data/{name}.csv", infer_schema=False)
        # The CSV's digits as integers, withheld as null.
        assert counts.schema["count"] == pl.Int64
        assert counts["count"].to_list() == [
            None if v == "withheld" else int(v) for v in rows["count"]
        ]


def test_datapackage_and_checksums_list_the_sqlite_and_parquet_files(release: Path) -> None:
    resources = _package(release)
    sqlite_resource = resources["sqlite"]
    assert sqlite_resource["path"] == "data/lantern-1.0.0.sqlite"
    assert sqlite_resource["format"] == "sqlite"
    assert sqlite_resource["mediatype"] == "application/vnd.sqlite3"
    parquet = resources["complaints-parquet"]
    assert parquet["path"] == "data/parquet/complaints.parquet"
    assert parquet["mediatype"] == "application/vnd.apache.parquet"
    csv_tables = [n for n, r in resources.items() if r["format"] == "csv"]
    parquet_tables = [n.removesuffix("-parquet") for n in resources if n.endswith("-parquet")]
    assert sorted(parquet_tables) == sorted(csv_tables)
    sums = (release / "SHA256SUMS").read_text(encoding="utf-8")
    assert "  data/lantern-1.0.0.sqlite\n" in sums
    assert "  data/parquet/allegations.parquet\n" in sums
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=release, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # Frictionless validates the whole package, the non-tabular files by bytes and hash.
    from frictionless import Package

    report = Package(str(release / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_a_changed_parquet_file_fails_frictionless_hash_check(release: Path) -> None:
    path = release / "data/parquet/officers.parquet"
    path.write_bytes(path.read_bytes() + b"\0")
    from frictionless import Package

    report = Package(str(release / "datapackage.json")).validate()
    assert not report.valid
    assert {e.type for task in report.tasks for e in task.errors} & {"hash-count", "byte-count"}


def test_a_finding_shows_the_same_in_every_format(engine: Engine, tmp_path: Path) -> None:
    """One hand-made sustained allegation: the CSV, the SQLite row and the Parquet row agree."""
    with Session(engine) as db:
        for day in range(1, 7):
            add_case(
                db,
                received_at=utc(2025, 2, day),
                closed_at=utc(2025, 4, day),
                allegations=[{"finding": Finding.SUSTAINED if day == 1 else Finding.UNFOUNDED}],
            )
        db.commit()
    folder = publish(engine, "1.0.0", tmp_path, policy=load_policy(), key=KEY.encode()).folder
    csv_findings = sorted(r["finding"] for r in _csv_rows(folder / "data/allegations.csv"))
    db = sqlite3.connect(folder / "data/lantern-1.0.0.sqlite")
    assert sorted(r[0] for r in db.execute("SELECT finding FROM allegations")) == csv_findings
    db.close()
    parquet = pl.read_parquet(folder / "data/parquet/allegations.parquet")
    assert sorted(parquet["finding"].to_list()) == csv_findings == ["sustained"] + ["unfounded"] * 5


def test_the_check_after_validation_catches_a_copy_that_lost_rows(release: Path) -> None:
    from publisher.formats import check_formats

    resources = _package(release)
    paths = [str(r["path"]) for r in resources.values() if r["format"] != "csv"]
    rows = {n: len(_csv_rows(release / f"data/{n}.csv")) for n, r in resources.items()
            if r["format"] == "csv"}  # fmt: skip
    assert check_formats(release, paths, rows) == []
    db = sqlite3.connect(release / "data" / "lantern-1.0.0.sqlite")
    db.execute("DELETE FROM complainants WHERE rowid = 1")
    db.commit()
    db.close()
    assert check_formats(release, paths, rows) == [
        f"data/lantern-1.0.0.sqlite: complainants has {rows['complainants'] - 1} rows,"
        f" the CSV has {rows['complainants']}"
    ]
