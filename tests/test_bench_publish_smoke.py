"""The publisher benchmark still runs: ``bench/publish.py --quick`` (2,000 cases, SQLite).

Not a performance test: it proves the harness works end to end (seeding, the publishing child
process, per-stage figures, the Frictionless-only reference) so it cannot rot between runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.slow


def test_quick_publish_benchmark_runs_and_reports_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "publish.py"), "--quick", "--json", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(out.read_text())["results"]
    assert result["database"] == "sqlite" and result["cases"] == 2_000
    assert 0 < result["complaints"] == result["closed_cases"] <= 2_000
    assert [s["name"] for s in result["stages"]] == [
        "extract",
        "anonymize",
        "aggregate",
        "write",
        "validate",
    ]
    assert all(s["seconds"] >= 0 and s["peak_rss_mib"] > 0 for s in result["stages"])
    assert result["stages"][-1]["peak_workers_rss_mib"] > 0
    assert result["frictionless_only"]["valid"] is True
    joined = result["joined_k"]
    assert joined["complainants"] >= 5 and joined["officers"] >= 5
    assert joined["officer_rows"] >= joined["officers"]
    assert "reference: Frictionless alone" in done.stdout and "peak RSS MiB" in done.stdout
