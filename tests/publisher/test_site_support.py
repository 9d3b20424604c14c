"""Writes a small release in the layout of data_releases/README.md (no tests of its own here).

The site's tests build from these files until they build from real ``lantern publish`` output;
the values are hand-picked so expected figures can be checked by hand.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

THRESHOLD = 5


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write one CSV with a header row (LF line endings, like the publisher)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _agg(path: Path, dims: list[str], rows: list[tuple[object, ...]]) -> None:
    """Write an aggregate: dimension columns then ``count`` and ``suppression``."""
    _write_csv(path, [*dims, "count", "suppression"], [list(r) for r in rows])


def write_sample_release(root: Path, version: str, created: str = "2026-01-15T00:00:00Z") -> Path:
    """Write release ``version`` under ``root`` and return its folder."""
    folder = root / version
    data = folder / "data"
    _write_csv(
        data / "agg_headline.csv",
        ["metric", "period", "value", "period_start", "period_end"],
        [
            ["complaints_received", "current_12_months", 120, "2025-01", "2025-12"],
            ["complaints_received", "previous_12_months", 100, "2024-01", "2024-12"],
            ["complaints_closed", "current_12_months", 90, "2025-01", "2025-12"],
            ["complaints_closed", "previous_12_months", 95, "2024-01", "2024-12"],
            ["share_with_sustained", "current_12_months", 0.15, "2025-01", "2025-12"],
            ["share_with_sustained", "previous_12_months", 0.2, "2024-01", "2024-12"],
            ["median_days_to_close", "current_12_months", 84, "2025-01", "2025-12"],
            ["median_days_to_close", "previous_12_months", 90, "2024-01", "2024-12"],
            ["p90_days_to_close", "current_12_months", 240, "2025-01", "2025-12"],
            ["p90_days_to_close", "previous_12_months", "withheld", "2024-01", "2024-12"],
        ],
    )
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    caseload: list[tuple[object, ...]] = []
    for i, month in enumerate(months):
        caseload.append((month, "received", 10, "none"))
        caseload.append((month, "closed", 7 + i % 3, "none"))
        caseload.append((month, "open_at_month_end", 20 + i, "none"))
    _agg(data / "agg_caseload_by_month.csv", ["month", "measure"], caseload)
    _agg(
        data / "agg_allegations_by_category_finding.csv",
        ["category", "finding"],
        [
            ("use_of_force", "sustained", 10, "none"),
            ("use_of_force", "not_sustained", 30, "none"),
            ("discourtesy", "sustained", "withheld", "small_cell"),
            ("discourtesy", "not_sustained", "withheld", "complementary"),
        ],
    )
    _agg(
        data / "agg_discipline_sustained.csv",
        ["discipline"],
        [("reprimand", 8, "none"), ("suspension", "withheld", "small_cell")],
    )
    _agg(
        data / "agg_complaints_by_district.csv",
        ["district"],
        [("D01", 60, "none"), ("D02", 0, "none"), ("D03", "withheld", "small_cell")],
    )
    _agg(
        data / "agg_complaints_by_channel.csv",
        ["channel"],
        [("web", 80, "none"), ("phone", 30, "none"), ("mail", "withheld", "small_cell")],
    )
    _agg(
        data / "agg_days_to_close.csv",
        ["bucket"],
        [
            ("0-30", 10, "none"),
            ("31-60", 20, "none"),
            ("61-90", 25, "none"),
            ("91-180", 20, "none"),
            ("181-365", 12, "none"),
            ("366+", "withheld", "small_cell"),
        ],
    )
    _agg(
        data / "agg_complainant_demographics.csv",
        ["attribute", "value"],
        [
            ("age_band", "18-24", 20, "none"),
            ("age_band", "75+", "withheld", "small_cell"),
            ("gender", "female", 50, "none"),
            ("gender", "male", 60, "none"),
            ("race", "withheld", "withheld", "complementary"),
        ],
    )
    _agg(
        data / "agg_officer_complaint_counts.csv",
        ["complaints_per_officer"],
        [
            ("1", 40, "none"),
            ("2", 12, "none"),
            ("3-5", 6, "none"),
            ("6+", "withheld", "small_cell"),
        ],
    )
    _write_csv(
        data / "complaints.csv",
        [
            "complaint_id",
            "received_period",
            "closed_period",
            "days_to_close",
            "channel",
            "district",
            "screening_outcome",
            "public_status",
        ],
        [["C-AAAAAAAAAAAA", "2025-Q1", "2025-Q2", 84, "web", "D01", "investigate", "closed"]],
    )
    resources = []
    for path in sorted(data.glob("*.csv")):
        blob = path.read_bytes()
        fields = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        resources.append(
            {
                "name": path.stem,
                "path": f"data/{path.name}",
                "format": "csv",
                "bytes": len(blob),
                "hash": f"sha256:{hashlib.sha256(blob).hexdigest()}",
                "schema": {
                    "fields": [
                        {"name": f, "type": "string", "description": f"The {f} column."}
                        for f in fields
                    ]
                },
            }
        )
    package = {
        "name": "lantern-complaints",
        "title": "Police complaints (sample office)",
        "version": version,
        "created": created,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "contributors": [{"title": "Sample Oversight Office", "roles": ["publisher"]}],
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    report = {
        "threshold": THRESHOLD,
        "k_required": 5,
        "k_achieved": 7,
        "quasi_identifiers": ["received_period", "district", "age_band"],
        "generalization": {"received_period": "quarter"},
        "records": 120,
        "records_suppressed": 2,
    }
    (folder / "disclosure-report.json").write_text(json.dumps(report), encoding="utf-8")
    (folder / "disclosure-report.md").write_text("# Disclosure report\n\nk = 7.\n", "utf-8")
    (folder / "policy.toml").write_text("[release]\nk = 5\nthreshold = 5\n", encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(f"# {version}\n\nFirst sample.\n", encoding="utf-8")
    sums = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n"
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]
    (folder / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    return folder
