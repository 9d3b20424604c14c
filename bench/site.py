"""Benchmark ``lantern site build``: 1 release and 20 releases of 1,000,000 cases' aggregates.

The aggregates of a million cases are written directly (the site reads only aggregates and the
data package; record files are hard-linked into the site, so their size hardly matters). Prints
seconds per stage (render, charts, mkdocs). Target: 20 releases in under 30 s on 2 cores.

    .venv/bin/python bench/site.py [--releases 20]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.site import build_site  # after the path is set

CASES = 1_000_000
THRESHOLD = 11


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _counts(rng: random.Random, labels: list[str], total: int) -> list[list[object]]:
    """Split ``total`` over ``labels``; a few cells small (suppressed) like a real release."""
    rows: list[list[object]] = []
    for label in labels:
        n = rng.randint(0, 2 * total // max(len(labels), 1))
        if n < THRESHOLD * 50 and rng.random() < 0.3:
            rows.append([label, "withheld", "small_cell"])
        else:
            rows.append([label, n, "none"])
    return rows


def write_release(root: Path, version: str, seed: int) -> None:
    """Write one release's aggregates and data package for a million cases."""
    rng = random.Random(seed)
    data = root / version / "data"
    months = [f"{y}-{m:02d}" for y in range(2021, 2026) for m in range(1, 13)]
    per_month = CASES // len(months)
    headline = []
    for metric, cur, prev in [
        ("complaints_received", 200_000, 190_000),
        ("complaints_closed", 195_000, 185_000),
        ("share_with_sustained", 0.12, 0.14),
        ("median_days_to_close", 88, 95),
        ("p90_days_to_close", 260, 280),
    ]:
        headline.append([metric, "current_12_months", cur, "2025-01", "2025-12"])
        headline.append([metric, "previous_12_months", prev, "2024-01", "2024-12"])
    _write(
        data / "agg_headline.csv",
        ["metric", "period", "value", "period_start", "period_end"],
        headline,
    )
    caseload = []
    for i, month in enumerate(months):
        caseload.append([month, "received", per_month + rng.randint(-500, 500), "none"])
        caseload.append([month, "closed", per_month + rng.randint(-500, 500), "none"])
        caseload.append([month, "open_at_month_end", 20_000 + i * 10, "none"])
    _write(
        data / "agg_caseload_by_month.csv", ["month", "measure", "count", "suppression"], caseload
    )
    categories = [f"category_{i}" for i in range(12)]
    findings = ["sustained", "not_sustained", "exonerated", "unfounded", "withdrawn"]
    grid = [[c, *row] for c in categories for row in _counts(rng, findings, CASES // 12)]
    _write(
        data / "agg_allegations_by_category_finding.csv",
        ["category", "finding", "count", "suppression"],
        grid,
    )
    simple = {
        "discipline_sustained": (
            "discipline",
            ["reprimand", "training", "suspension", "demotion", "termination"],
        ),
        "complaints_by_district": ("district", [f"D{i:02d}" for i in range(1, 26)]),
        "complaints_by_channel": ("channel", ["web", "phone", "mail", "in_person", "email"]),
        "days_to_close": ("bucket", ["0-30", "31-60", "61-90", "91-180", "181-365", "366+"]),
        "officer_complaint_counts": ("complaints_per_officer", ["1", "2", "3-5", "6+"]),
    }
    for name, (column, labels) in simple.items():
        _write(
            data / f"agg_{name}.csv", [column, "count", "suppression"], _counts(rng, labels, CASES)
        )
    demo = []
    for attribute, values in [
        ("age_band", ["18-24", "25-34", "35-44", "45-64", "65+"]),
        ("gender", ["female", "male", "another"]),
        ("race", ["asian", "black", "hispanic", "white", "other"]),
    ]:
        demo += [[attribute, *row] for row in _counts(rng, values, CASES)]
    _write(
        data / "agg_complainant_demographics.csv",
        ["attribute", "value", "count", "suppression"],
        demo,
    )
    resources = []
    for path in sorted(data.glob("*.csv")):
        blob = path.read_bytes()
        header = blob.split(b"\n", 1)[0].decode().split(",")
        resources.append(
            {
                "name": path.stem,
                "path": f"data/{path.name}",
                "bytes": len(blob),
                "hash": f"sha256:{hashlib.sha256(blob).hexdigest()}",
                "schema": {"fields": [{"name": h, "type": "string"} for h in header]},
            }
        )
    package = {
        "name": "bench",
        "title": "Benchmark release",
        "version": version,
        "created": "2026-01-01T00:00:00Z",
        "licenses": [{"name": "CC-BY-4.0"}],
        "resources": resources,
    }
    (root / version / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (root / version / "disclosure-report.json").write_text(
        json.dumps({"threshold": THRESHOLD, "k_required": 11}), encoding="utf-8"
    )
    (root / version / "policy.toml").write_text("k = 11\n", encoding="utf-8")


def run(count: int) -> float:
    """Build the site for ``count`` releases; print and return the total seconds."""
    with tempfile.TemporaryDirectory(prefix="lantern-bench-site-") as tmp:
        root = Path(tmp) / "releases"
        for i in range(count):
            write_release(root, f"1.{i}.0", seed=i)
        started = time.perf_counter()
        timings = build_site(root, Path(tmp) / "site")
        total = time.perf_counter() - started
    print(
        f"{count:>3} release(s): render {timings.render:5.2f} s  charts {timings.charts:5.2f} s  "
        f"mkdocs {timings.mkdocs:5.2f} s  total {total:5.2f} s"
    )
    return total


def main() -> None:
    """Run the benchmark and check the 30 s target for the largest run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=20)
    args = parser.parse_args()
    run(1)
    total = run(args.releases)
    target = "met" if total < 30 else "MISSED"
    print(f"target ({args.releases} releases < 30 s): {target}")


if __name__ == "__main__":
    main()
