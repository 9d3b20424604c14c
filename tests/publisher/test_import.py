"""Historical import: the real Philadelphia files with the shipped mapping, and the error paths."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import publisher.seed
from portal.cli import main
from portal.models import Allegation, AuditEntry, Complainant, Complaint, InvolvedOfficer, Officer
from portal.vocabulary import AgeBand, AllegationCategory, CaseState, Discipline, Finding
from publisher.importer import ImportFailed, MappingError, load_mapping, run_import
from tests.support import ROOT, require, shared_data

PHILLY = shared_data("philly-ppd")
MAPPING = ROOT / "publisher" / "mappings" / "philly-ppd.toml"
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def philly() -> Path:
    """The Philadelphia data folder (must exist under CI)."""
    require(PHILLY.is_dir(), f"Philadelphia data not found at {PHILLY}")
    return PHILLY


def _lantern(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"LANTERN_DATABASE_URL": database_url})


def _import(database_url: str, data_dir: Path, *extra: str, mapping: Path = MAPPING) -> Result:
    return _lantern(
        database_url, "import", "--mapping", str(mapping), "--data-dir", str(data_dir), *extra
    )


def _count(db: Session, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _expected_from_csv(folder: Path) -> tuple[int, int]:
    """(complaints in the CSV, complaints with an open investigation) counted independently."""
    with (folder / "ppd_complaints.csv").open(newline="") as handle:
        ids = [row["complaint_id"] for row in csv.DictReader(handle)]
    open_ids: set[str] = set()
    with (folder / "ppd_complaint_disciplines.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["investigative_findings"] == "Pending" or (
                row["allegations_investigated"] == "Investigation OnGoing"
            ):
                open_ids.add(row["complaint_id"])
    return len(ids), len(open_ids & set(ids))


def test_philly_import_counts_reconcile_with_the_csv(
    philly: Path, database_url: str, db: Session
) -> None:
    result = _import(database_url, philly)
    assert result.exit_code == 0, result.output
    total, still_open = _expected_from_csv(philly)
    assert (total, still_open) == (3407, 327)  # checked by hand against the files
    assert _count(db, Complaint) == total - still_open == 3080
    assert "3407 cases read; imported 3080 closed cases" in result.output
    assert "327  investigation pending (open case)" in result.output
    # Only closed cases, closing date unknown, received at noon UTC on the source date.
    states = set(db.scalars(select(Complaint.state)))
    assert states == {CaseState.CLOSED}
    assert db.scalar(select(func.count()).where(Complaint.closed_at.is_not(None))) == 0
    assert {c.received_at.time() for c in db.scalars(select(Complaint))} == {dt.time(12, 0)}
    pending = db.scalar(select(func.count()).where(Allegation.finding.is_(None)))
    assert pending is not None and pending < 300  # only "Not Applicable" rows lack a finding


def test_philly_cases_are_mapped_field_by_field(
    philly: Path, database_url: str, db: Session
) -> None:
    assert _import(database_url, philly).exit_code == 0

    case = db.scalars(select(Complaint).where(Complaint.source_id == "15-0208")).one()
    assert case.source == "philly-ppd"
    assert case.received_at == dt.datetime(2015, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert case.district == "D24"
    assert case.reported_categories == [AllegationCategory.FAILURE_TO_PROVIDE_SERVICE.value]
    assert case.narrative.startswith("According to the complainant, on 4-26-15")
    assert len(case.allegations) == 5
    assert {a.finding for a in case.allegations} == {Finding.NOT_SUSTAINED}
    assert {a.discipline for a in case.allegations} == {Discipline.NONE}

    officer = db.scalars(select(Officer).where(Officer.source_id == "17844812")).one()
    assert (officer.race, officer.gender, officer.unit) == ("black", "man", "2400 24TH DISTRICT")

    # 15-0218: an unidentified officer and a sustained finding with training/counseling.
    case = db.scalars(select(Complaint).where(Complaint.source_id == "15-0218")).one()
    unknown = [o for o in case.officers if o.officer_id is None]
    assert len(case.officers) == 4 and len(unknown) == 1 and unknown[0].is_unknown
    sustained = [a for a in case.allegations if a.finding is Finding.SUSTAINED]
    assert [(a.category, a.discipline) for a in sustained] == [
        (AllegationCategory.OTHER, Discipline.COUNSELING)
    ]

    person = db.scalars(
        select(Complainant).join(Complaint).where(Complaint.source_id == "15-0209")
    ).one()
    assert (person.gender, person.race, person.age, person.age_band) == (
        "woman",
        "black",
        44,
        AgeBand.AGE_35_44,
    )
    # One roster row per source officer id, however many complaints name them.
    assert _count(db, Officer) == db.scalar(select(func.count(func.distinct(Officer.source_id))))


def test_reimport_is_idempotent(philly: Path, database_url: str, db: Session) -> None:
    assert _import(database_url, philly).exit_code == 0
    assert db.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "cases.import")
    ).all() == ["source=philly-ppd read=3407 imported=3080 already=0 excluded=327 allegations=6955"]
    counts = [_count(db, m) for m in (Complaint, Allegation, Officer, Complainant)]
    again = _import(database_url, philly)
    assert again.exit_code == 0, again.output
    assert "already imported (left alone): 3080" in again.output
    assert [_count(db, m) for m in (Complaint, Allegation, Officer, Complainant)] == counts


def test_dry_run_reports_and_writes_nothing(philly: Path, database_url: str, db: Session) -> None:
    result = _import(database_url, philly, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import 3080 closed cases" in result.output
    assert "dry run: nothing written" in result.output
    assert [_count(db, m) for m in (Complaint, Officer, Allegation)] == [0, 0, 0]


def _copy_with_bad_date(philly: Path, folder: Path, row_number: int) -> None:
    """Copy the Philadelphia files, giving data row ``row_number`` an impossible date."""
    for name in ("ppd_complaint_disciplines.csv", "ppd_complainant_demographics.csv"):
        shutil.copyfile(philly / name, folder / name)
    with (philly / "ppd_complaints.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row_number][1] = "2015-13-45"
    with (folder / "ppd_complaints.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_bad_date_names_file_row_column_and_imports_nothing(
    philly: Path, database_url: str, db: Session, tmp_path: Path
) -> None:
    _copy_with_bad_date(philly, tmp_path, 1000)
    result = _import(database_url, tmp_path)
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert "ppd_complaints.csv, row 1000 (line 1001)" in result.output
    assert "column date_received" in result.output
    assert "'2015-13-45'" in result.output
    assert [_count(db, m) for m in (Complaint, Officer, Allegation, Complainant)] == [0, 0, 0, 0]


def test_failure_while_writing_rolls_everything_back(
    philly: Path, engine: Engine, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = publisher.seed.insert_rows

    def failing_insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        if table.name == "allegations":  # complaints and officers are already written
            raise RuntimeError("disk full")
        real_insert(conn, table, rows)

    monkeypatch.setattr("publisher.importer.insert_rows", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(engine, load_mapping(MAPPING), philly, now=NOW)
    assert [_count(db, m) for m in (Complaint, Officer, InvolvedOfficer)] == [0, 0, 0]


SMALL_MAPPING = """
source = "small"

[files.cases]
path = "cases.csv"
key = "id"

[files.people]
path = "people.csv"
key = "case"

[[skip]]
file = "cases"
column = "status"
values = ["open"]
reason = "still open"

[complaint]
file = "cases"
[complaint.fields]
source_id = "id"
received_at = { column = "received", format = "%d/%m/%Y", time = "12:00" }
channel = { value = "letter" }
narrative = { column = "text", default = "" }

[allegation]
file = "cases"
[allegation.fields]
category = { column = "kind", map = { "F" = "force", "R" = "discourtesy" } }
finding = { column = "outcome", map = { "NS" = "not_sustained", "S" = "sustained" } }

[complainant]
file = "people"
[complainant.fields]
gender = { column = "sex", map = { "M" = "man", "F" = "woman" }, unmapped = "null" }
"""


def _small(folder: Path, cases: str, people: str = "case,sex\n") -> Path:
    (folder / "cases.csv").write_text(cases)
    (folder / "people.csv").write_text(people)
    mapping = folder / "small.toml"
    mapping.write_text(SMALL_MAPPING)
    return mapping


def test_small_mapping_skips_strips_and_maps(engine: Engine, db: Session, tmp_path: Path) -> None:
    mapping = _small(
        tmp_path,
        "id,received,status,kind,outcome,text\n"
        " A1 , 03/02/2019 ,closed, F ,S,hit\n"
        "A2,04/02/2019,open,R,NS,\n"
        "A3,05/02/2019,closed,R,NS,\n",
        "case,sex\nA1,F\nA3,X\nZZ,M\n",
    )
    summary = run_import(engine, load_mapping(mapping), tmp_path, now=NOW)
    assert (summary.imported, dict(summary.excluded)) == (2, {"still open": 1})
    assert summary.orphan_rows == {"people.csv": 1}
    cases = {c.source_id: c for c in db.scalars(select(Complaint))}
    assert set(cases) == {"A1", "A3"}
    assert cases["A1"].received_at == dt.datetime(2019, 2, 3, 12, tzinfo=dt.UTC)
    assert cases["A1"].allegations[0].category is AllegationCategory.FORCE
    assert cases["A1"].allegations[0].finding is Finding.SUSTAINED
    assert cases["A1"].allegations[0].involved_officer is not None
    assert [p.gender for p in cases["A1"].complainants] == ["woman"]
    assert [p.gender for p in cases["A3"].complainants] == [None]  # "X" unmapped → empty


def test_unmapped_value_is_an_error_naming_the_cell(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    mapping = _small(
        tmp_path,
        "id,received,status,kind,outcome,text\nA1,03/02/2019,closed,F,S,\nA2,03/02/2019,closed,Q,S,\n",
    )
    with pytest.raises(ImportFailed) as failure:
        run_import(engine, load_mapping(mapping), tmp_path, now=NOW)
    assert failure.value.errors == [
        "cases.csv, row 2 (line 3), column kind: value not in the mapping's value map (value 'Q')"
    ]
    assert _count(db, Complaint) == 0


def test_personal_values_are_not_echoed_in_errors(engine: Engine, tmp_path: Path) -> None:
    mapping = _small(
        tmp_path,
        "id,received,status,kind,outcome,text\nA1,03/02/2019,closed,F,S,\n",
        "case,sex,age\nA1,F,Jane Doe 215-555-0199\n",
    )
    mapping.write_text(SMALL_MAPPING + 'age = "age"\n')
    with pytest.raises(ImportFailed) as failure:
        run_import(engine, load_mapping(mapping), tmp_path, now=NOW)
    # The exact age is personal data: the error names the cell, never its content.
    assert failure.value.errors == ["people.csv, row 1 (line 2), column age: not a whole number"]


def test_mapping_errors_are_reported_before_touching_the_database(
    database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_MAPPING.replace("narrative =", "access_code_hash ="))
    with pytest.raises(MappingError, match="complaint has no importable field 'access_code_hash'"):
        load_mapping(bad)
    result = _import(database_url, tmp_path, mapping=bad)
    assert result.exit_code == 2
    assert "access_code_hash" in result.output


def test_missing_column_is_named(engine: Engine, tmp_path: Path) -> None:
    mapping = _small(tmp_path, "id,received,status,kind,text\nA1,03/02/2019,closed,F,\n")
    with pytest.raises(ImportFailed, match=r"cases\.csv: column 'outcome' named in the mapping"):
        run_import(engine, load_mapping(mapping), tmp_path, now=NOW)


def test_philly_mapping_documents_every_value_in_the_files(philly: Path) -> None:
    """Every value of every mapped column has an explicit entry (nothing silently unmapped)."""
    mapping = load_mapping(MAPPING)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for spec in mapping.files.values():
        with (philly / spec.path).open(newline="") as handle:
            for row in csv.DictReader(handle):
                for column, value in row.items():
                    seen[(spec.name, column)].add(value.strip())
    for file_name, specs in mapping.entities.values():
        for field in specs:
            if field.value_map is None or field.column is None:
                continue
            # Values of skipped rows never need a mapping: their whole case is excluded.
            skipped = {
                v
                for rule in mapping.skips
                if (rule.file, rule.column) == (file_name, field.column)
                for v in rule.values
            }
            values = seen[(file_name, field.column)] - {""} - skipped
            if field.unmapped == "error":
                assert values <= set(field.value_map), (field.column, values - set(field.value_map))


def test_files_are_found_next_to_the_mapping_by_default(
    database_url: str, db: Session, tmp_path: Path
) -> None:
    mapping = _small(tmp_path, "id,received,status,kind,outcome,text\nA1,03/02/2019,closed,F,S,\n")
    result = _lantern(database_url, "import", "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert "imported 1 closed cases" in result.output
    assert _count(db, Complaint) == 1


def test_missing_file_is_reported(database_url: str, tmp_path: Path) -> None:
    result = _lantern(database_url, "import", "--mapping", str(MAPPING))
    assert result.exit_code == 1
    assert "ppd_complaints.csv: file not found in" in result.output
