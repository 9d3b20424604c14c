"""The desk benchmark still runs: ``bench/desk.py --cases 300`` (SQLite), so it cannot rot
between benchmark runs. Not a performance test; no database fixture, so it runs once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.slow


def test_desk_benchmark_runs_clean(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "desk.py"), "--cases", "300"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for label in (
        "first desk load",
        "supervisor desk",
        "investigator desk",
        "open a case with news",
        "acknowledge one case",
    ):
        assert label in done.stdout, done.stdout
