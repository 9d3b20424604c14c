"""The real Philadelphia data: import with the shipped mapping, publish, and check the release.

Checks made independently of the publisher's own code: Frictionless validates the package,
pycanon measures k on every join an attacker can make (each complainant with their complaint's
received and closed periods, days to close, channel and district; each allegation with its
officer and complaint), the
source CSVs are read directly for the texts, dates and officer ids that must not appear, and the
case counts are reconciled against the database.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from frictionless import validate
from pycanon import anonymity
from sqlalchemy import Engine, func, select

from portal.cli import main
from portal.models import Complaint
from portal.vocabulary import CLOSED_STATES
from tests.publisher.joined_support import (
    complainant_k,
    complainants_joined,
    officer_k,
    officers_joined,
)
from tests.publisher.publish_support import KEY, readable_bytes
from tests.support import ROOT, require, shared_data

PHILLY = shared_data("philly-ppd")
MAPPING = ROOT / "publisher" / "mappings" / "philly-ppd.toml"
POLICY = ROOT / "publisher" / "policies" / "philly-ppd.toml"


@pytest.fixture
def release(database_url: str, engine: Engine, tmp_path: Path) -> Path:
    """The Philadelphia files imported with the shipped mapping and published as 1.0.0 under
    the shipped Philadelphia policy (police divisions as areas)."""
    require(PHILLY.is_dir(), f"Philadelphia data not found at {PHILLY}")
    env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_PSEUDONYM_KEY": KEY}
    runner = CliRunner()
    imported = runner.invoke(
        main, ["import", "--mapping", str(MAPPING), "--data-dir", str(PHILLY)], env=env
    )
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "releases"
    published = runner.invoke(
        main,
        [
            "publish",
            "--version",
            "1.0.0",
            "--out",
            str(out),
            "--policy",
            str(POLICY),
            "--no-progress",
        ],
        env=env,
    )
    assert published.exit_code == 0, published.output
    return out / "1.0.0"


def _source(name: str) -> list[dict[str, str]]:
    with (PHILLY / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _all_bytes(folder: Path) -> bytes:
    return b"\n".join(readable_bytes(p) for p in sorted(folder.rglob("*")) if p.is_file())


def test_philadelphia_release_is_valid_k_anonymous_and_leaks_nothing(
    release: Path, engine: Engine
) -> None:
    report = validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]

    # k >= 5 measured by pycanon on what an attacker can line up.
    complainants = pd.read_csv(release / "data" / "complainants.csv", dtype=str)
    complaints = pd.read_csv(release / "data" / "complaints.csv", dtype=str)
    assert len(complainants_joined(release)) == len(complainants) > 3000
    assert complainant_k(release) >= 5
    rows, distinct_officers = officer_k(release)
    assert rows >= 5 and distinct_officers >= 5
    assert len(officers_joined(release)) > 5000  # most allegations keep their officer

    # Officers: no pseudonymous officer stands out by rank, gender, race and years of service
    # (rows with every one of them withheld show nothing and are left out of the measure).
    officers = pd.read_csv(release / "data" / "officers.csv", dtype=str)
    officer_qi = ["rank_group", "gender", "race", "years_of_service_band"]
    shown = officers[~(officers[officer_qi] == "withheld").all(axis=1)]
    assert len(officers) > 1000
    assert anonymity.k_anonymity(shown, officer_qi) >= 5

    blob = _all_bytes(release)
    complaint_rows = _source("ppd_complaints.csv")
    summaries = [r["summary"].strip() for r in complaint_rows if len(r["summary"].strip()) >= 20]
    assert len(summaries) > 3000
    leaked = [s[:40] for s in summaries if s[:40].encode() in blob or s.encode() in blob]
    assert leaked == []
    dates = {r["date_received"] for r in complaint_rows}
    assert len(dates) > 900
    assert sorted(d for d in dates if d.encode() in blob) == []
    officer_ids = {r["officer_id"] for r in _source("ppd_complaint_disciplines.csv")} - {""}
    assert len(officer_ids) > 2500
    assert sorted(o for o in officer_ids if o.encode() in blob) == []
    source_ids = {r["complaint_id"] for r in complaint_rows}
    assert sorted(c for c in source_ids if c.encode() in blob) == []

    # Counts reconcile: published + documented exclusions = imported closed complaints.
    with engine.connect() as conn:
        closed = conn.execute(
            select(func.count())
            .select_from(Complaint)
            .where(Complaint.source == "philly-ppd", Complaint.state.in_(sorted(CLOSED_STATES)))
        ).scalar_one()
    disclosure = json.loads((release / "disclosure-report.json").read_text())
    extraction = disclosure["extraction"]
    published = len(complaints)
    assert extraction["complaints_published"] == published
    assert extraction["closed_cases"] == closed
    assert published + sum(extraction["exclusions"].values()) == closed
    # The source records no closing dates: documented, and the cells are empty (not withheld).
    assert sum(extraction["notes"].values()) == published
    assert complaints["days_to_close"].isna().all()
