"""The search benchmark still runs: ``bench/search.py`` on 300 seeded cases, SQLite only.

Not a performance test (no time is asserted): it proves the harness works end to end — seeding,
the index build, every query — and that each query read back from the seeded data finds its case,
so the benchmark cannot rot between runs. It uses no database fixture, so it runs once.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.slow


def test_search_benchmark_runs_and_finds_what_it_looks_for(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "search.py"),
            "--cases",
            "300",
            "--databases",
            "sqlite",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "index of 300 cases built" in done.stdout
    matches = {
        m.group(1).strip(): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"^(.{32}) +[\d.]+ +[\d.]+ +([\d,]+)$", done.stdout, re.M)
    }
    assert len(matches) == 11, done.stdout
    for label in ("complainant full name", "email, upper case", "phone, typed with punctuation"):
        assert matches[label] >= 1, label
    assert matches["officer badge"] >= 1 and matches["no match"] == 0
