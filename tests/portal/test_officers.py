"""``lantern officers import``: upsert by source id or badge, bad rows reported by row and column
with nothing written, one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cli import main
from portal.models import AuditEntry, Officer

GOOD = """source_id,badge_number,first_name,last_name,rank,unit,gender,race,hired_on
E100,4411,Maria,Lopez,Officer,Patrol North,woman,latino,2016-05-02
E101,5120,James,Carter,Sergeant,Traffic,man,black,2009-11-30
,7001,Lee,Nguyen,Officer,Patrol South,,,
"""


def _run(database_url: str, tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["officers", "import", str(path)],
        env={"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(tmp_path)},
    )
    return result.exit_code, result.stdout, result.stderr


def _officers(db: Session) -> dict[str, Officer]:
    db.rollback()
    return {o.badge_number or "": o for o in db.scalars(select(Officer))}


def test_import_then_update(database_url: str, db: Session, tmp_path: Path) -> None:
    code, out, _ = _run(database_url, tmp_path, GOOD)
    assert code == 0, out
    assert "3 new, 0 updated, 0 unchanged" in out
    officers = _officers(db)
    assert set(officers) == {"4411", "5120", "7001"}
    lopez = officers["4411"]
    assert (lopez.source, lopez.source_id, lopez.unit) == ("roster", "E100", "Patrol North")
    assert lopez.hired_on == dt.date(2016, 5, 2)
    assert officers["7001"].source_id is None and officers["7001"].gender is None

    # Same source id, new badge and unit: an update, not a new officer; the others unchanged.
    changed = GOOD.replace(
        "E100,4411,Maria,Lopez,Officer,Patrol North", "E100,4499,Maria,Lopez,Officer,Detectives"
    )
    code, out, _ = _run(database_url, tmp_path, changed)
    assert code == 0
    assert "0 new, 1 updated, 2 unchanged" in out
    officers = _officers(db)
    assert set(officers) == {"4499", "5120", "7001"}
    assert officers["4499"].unit == "Detectives"
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "officers.import")).all()
    assert [e.detail for e in entries] == [
        "source=roster created=3 updated=0 unchanged=0",
        "source=roster created=0 updated=1 unchanged=2",
    ]
    assert all("Lopez" not in (e.detail or "") for e in entries)


def test_bad_rows_are_reported_and_nothing_is_written(
    database_url: str, db: Session, tmp_path: Path
) -> None:
    bad = (
        "source_id,badge_number,first_name,last_name,hired_on\n"
        "E1,100,Ann,Lee,2020-01-01\n"
        "E2,,Bob,Ray,01/02/2020\n"  # row 3: bad date
        ",,Cy,Dunn,\n"  # row 4: no identifier
        "E4,100,Di,Fox,\n"  # row 5: badge of row 2
    )
    code, _, err = _run(database_url, tmp_path, bad)
    assert code == 1
    assert "row 3, column hired_on: '01/02/2020' is not a date (YYYY-MM-DD)" in err
    assert "row 4, column badge_number: give a badge number or a source_id" in err
    assert "row 5, column badge_number: same badge_number as row 2" in err
    assert "nothing imported" in err
    assert _officers(db) == {}


def test_unknown_column_is_refused(database_url: str, db: Session, tmp_path: Path) -> None:
    code, _, err = _run(database_url, tmp_path, "badge_number,last_nmae\n1,Lee\n")
    assert code == 1
    assert "row 1, column last_nmae: unknown column" in err
    assert _officers(db) == {}
