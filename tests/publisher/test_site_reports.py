"""The statistics site's commission reports: a page per recent period in both languages, with
the figures of ``lantern report`` (the hand-computed release of ``report_support``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher.site import build_site
from tests.publisher.report_support import write_report_release
from tests.publisher.test_site_support import write_sample_release


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample release (every aggregate the other pages need) whose record tables, caseload
    and disclosure report are those of the hand-made report release."""
    root = tmp_path_factory.mktemp("releases")
    folder = write_sample_release(root, "1.0.0")
    hand = write_report_release(tmp_path_factory.mktemp("hand"))
    for name in ("complaints.csv", "allegations.csv", "agg_caseload_by_month.csv"):
        shutil.copyfile(hand / "data" / name, folder / "data" / name)
    report = json.loads((folder / "disclosure-report.json").read_text(encoding="utf-8"))
    report |= json.loads((hand / "disclosure-report.json").read_text(encoding="utf-8"))
    (folder / "disclosure-report.json").write_text(json.dumps(report), encoding="utf-8")
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(root, out)
    return out


def test_a_report_page_per_recent_period_in_both_languages(site: Path) -> None:
    # Data from 2025-07 to 2026-09: quarters 2026-Q3 back to 2025-Q3 (5) and years 2026, 2025.
    expected = ["2025-Q3", "2025-Q4", "2025", "2026-Q1", "2026-Q2", "2026-Q3", "2026"]
    for prefix in ("", "es/"):
        pages = sorted(p.stem for p in (site / prefix / "reports").glob("*.html"))
        assert pages == sorted(expected), prefix
    index = (site / "reports.html").read_text(encoding="utf-8")
    assert 'href="reports/2026-Q3.html"' in index and 'href="reports/2026.html"' in index


def test_report_page_shows_the_hand_computed_figures(site: Path) -> None:
    english = (site / "reports" / "2026-Q3.html").read_text(encoding="utf-8")
    spanish = (site / "es" / "reports" / "2026-Q3.html").read_text(encoding="utf-8")
    # 3 of 7 closed complaints with a sustained allegation; +75 % closed against 2026-Q2 (7 vs
    # 4); channels: phone 2 is a small cell and online (5) its complement (test_report.py).
    assert "Commission report, 2026-Q3" in english
    assert "43%" in english and "+75%" in english
    assert '<td class="n">fewer than 3</td>' in english
    assert "Informe para la comisión, 2026-Q3" in spanish
    assert "43%" in spanish and "menos de 3" in spanish


def test_a_release_without_record_tables_gets_an_index_that_says_so(
    tmp_path: Path,
) -> None:
    root = tmp_path / "releases"
    write_sample_release(root, "1.0.0")
    (root / "1.0.0" / "data" / "complaints.csv").unlink()
    out = tmp_path / "site"
    build_site(root, out)
    assert "no record tables" in (out / "reports.html").read_text(encoding="utf-8")
    assert list(out.glob("reports/*.html")) == []
