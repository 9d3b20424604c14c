"""A tiny release written by hand for the commission report's tests (no tests here).

Threshold 3 (counts 1 and 2 are small cells), data from 2025-07 to 2026-09. Every figure the
tests expect is worked out by hand in ``test_report.py`` from the rows below.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

THRESHOLD = 3

#: (id, closed_period, days_to_close, channel, district, public_status)
COMPLAINTS = [
    # closed in 2026-Q3 (C7 at month level, still inside the quarter)
    ("C-000000000001", "2026-Q3", "10", "online", "north", "appeal_requested"),
    ("C-000000000002", "2026-Q3", "20", "online", "north", "appeal_decided"),
    ("C-000000000003", "2026-Q3", "40", "online", "north", "closed"),
    ("C-000000000004", "2026-Q3", "50", "online", "north", "closed"),
    ("C-000000000005", "2026-Q3", "100", "online", "south", "closed"),
    ("C-000000000006", "2026-Q3", "withheld", "phone", "south", "closed"),
    ("C-000000000007", "2026-08", "200", "phone", "central", "closed"),
    # a whole year (overlaps every quarter of 2026, inside the year 2026) and a withheld one
    ("C-000000000008", "2026", "300", "letter", "north", "closed"),
    ("C-000000000009", "withheld", "withheld", "online", "withheld", "closed"),
    # closed in 2026-Q2
    ("C-000000000010", "2026-Q2", "30", "online", "north", "closed"),
    ("C-000000000011", "2026-Q2", "30", "online", "north", "closed"),
    ("C-000000000012", "2026-Q2", "60", "online", "north", "closed"),
    ("C-000000000013", "2026-04", "90", "online", "north", "closed"),
    # closed in 2025-Q3
    *((f"C-0000000000{n}", "2025-Q3", "100", "online", "north", "closed") for n in range(14, 19)),
]

#: (complaint, category, finding, discipline)
ALLEGATIONS = [
    ("C-000000000001", "force", "sustained", "training"),
    ("C-000000000001", "discourtesy", "not_sustained", "none"),
    ("C-000000000002", "force", "sustained", "suspension"),
    ("C-000000000003", "force", "sustained", "training"),
    ("C-000000000004", "discourtesy", "not_sustained", "none"),
    ("C-000000000005", "discourtesy", "unfounded", "none"),
    ("C-000000000006", "discourtesy", "exonerated", ""),
    ("C-000000000007", "bias", "not_sustained", "none"),
    ("C-000000000008", "force", "sustained", "termination"),
    ("C-000000000010", "force", "sustained", "training"),
    ("C-000000000011", "force", "not_sustained", "none"),
    ("C-000000000012", "force", "not_sustained", "none"),
    ("C-000000000013", "force", "not_sustained", "none"),
    *((f"C-0000000000{n}", "force", "unfounded", "none") for n in range(14, 19)),
]


def _months() -> list[str]:
    return [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 10)]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _band(days: str) -> str:
    """The published band of a number of days (releases from 2026-12 publish bands)."""
    if not days.isdigit():
        return days
    for label, low, high in (
        ("0-30", 0, 30),
        ("31-60", 31, 60),
        ("61-90", 61, 90),
        ("91-180", 91, 180),
        ("181-365", 181, 365),
    ):
        if low <= int(days) <= high:
            return label
    return "366+"


def write_report_release(root: Path, version: str = "1.0.0", *, bands: bool = False) -> Path:
    """Write the hand-made release under ``root/version`` and return its folder; with
    ``bands``, ``days_to_close`` is published as a band (``31-60``) instead of exact days.

    Caseload: every month 10 received, 8 closed, open at month end 20 + its index (2025-07 is
    0, 2026-09 is 14), except 2026-05's received count, withheld as a small cell.
    """
    folder = root / version
    data = folder / "data"
    _write(
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
        [
            (c[0], c[1], c[1], _band(c[2]) if bands else c[2], c[3], c[4], "investigate", c[5])
            for c in COMPLAINTS
        ],
    )
    _write(
        data / "allegations.csv",
        ["complaint_id", "officer_id", "category", "finding", "discipline"],
        [(a[0], "unidentified", a[1], a[2], a[3]) for a in ALLEGATIONS],
    )
    caseload: list[tuple[str, ...]] = []
    for i, month in enumerate(_months()):
        if month == "2026-05":
            caseload.append((month, "received", "withheld", "small_cell"))
        else:
            caseload.append((month, "received", "10", "none"))
        caseload.append((month, "closed", "8", "none"))
        caseload.append((month, "open_at_month_end", str(20 + i), "none"))
    _write(
        data / "agg_caseload_by_month.csv", ["month", "measure", "count", "suppression"], caseload
    )
    package = {"name": "lantern-complaints", "version": version, "created": "2026-10-01T00:00:00Z"}
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = {
        "threshold": THRESHOLD,
        "k_required": 5,
        "k_achieved": 6,
        "generalization": {"period": "quarter", "district": "area"},
        "extraction": {"data_through": "2026-09"},
    }
    (folder / "disclosure-report.json").write_text(json.dumps(report), encoding="utf-8")
    return folder
