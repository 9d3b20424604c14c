"""The portal benchmark still runs: ``bench/portal.py --quick`` (1 s per scenario, SQLite only).

Not a performance test: it proves the harness works end to end (servers start, wrk scripts load,
seeded rows are found, no request fails, no submitted complaint is lost) so it cannot rot between
benchmark runs. It uses no database fixture, so it runs once, not once per database.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, require

pytestmark = pytest.mark.slow


def test_quick_benchmark_runs_clean(tmp_path: Path) -> None:
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk)")
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "portal.py"), "--quick", "--json", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    failed = [check for check in report["checks"] if not check[1]]
    assert not failed, failed

    by_name = {result["name"]: result for result in report["results"]}
    always = ("ceiling", "bare lookup", "bare insert", "portal /healthz", "portal home page")
    assert set(always) <= set(by_name)
    for name in always:
        assert by_name[name]["requests"] > 0, name
        assert by_name[name]["errors"] == 0, name
        assert by_name[name]["database"] == "sqlite"
    # The status lookup on the portal with its page, rate limit and CSRF check switched off in
    # turn (bench/stripped_portal.py) ran and found the complaint every time.
    for name in ("status, no page", "… no rate limit", "… no CSRF check"):
        assert by_name[name]["requests"] > 0, name
        assert by_name[name]["errors"] == 0, name
    # The table the README quotes is printed.
    assert "req/s" in done.stdout and "bare lookup" in done.stdout
