"""The statistics site built from real ``lantern publish`` releases (not the hand-made sample).

The sample release (test_site.py) keeps the checks whose expected figures were worked out by
hand; here the same reader code meets what the publisher really writes, and every figure
checked is read independently from the release's CSV files.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from publisher.site import STAMPED_FILES, build_site
from tests.publisher.published_support import publish_two_releases

PAGES = [
    "index.html",
    "caseload.html",
    "allegations.html",
    "discipline.html",
    "districts.html",
    "channels.html",
    "time-to-resolution.html",
    "complainants.html",
    "officers.html",
    "downloads.html",
    "dictionary.html",
    "methodology.html",
    "archive.html",
    "about.html",
]


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Releases 1.0.0 and 1.1.0 written by the publisher from synthetic cases."""
    return publish_two_releases(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def site(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once from ``releases``."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(releases, out)
    return out


def _rows(releases: Path, version: str, name: str) -> list[dict[str, str]]:
    with (releases / version / "data" / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _text(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def test_every_page_names_the_newest_release_its_date_and_licence(site: Path) -> None:
    for page in PAGES:
        html = _text(site, page)
        # created is the data's cut-off: the seeded data of 1.1.0 run to December 2025.
        assert "Release 1.1.0 published 2026-01-01" in html, page
        assert "licence CC-BY-4.0" in html, page


def test_overview_shows_the_published_headline_figures(site: Path, releases: Path) -> None:
    html = _text(site, "index.html")
    rows = {
        (r["metric"], r["period"]): r["value"] for r in _rows(releases, "1.1.0", "agg_headline")
    }
    for period in ("current_12_months", "previous_12_months"):
        received = rows[("complaints_received", period)]
        assert f"<td>{int(received):,}</td>" in html
        share = rows[("share_with_sustained", period)]
        if share != "withheld":
            assert f"<td>{float(share):.0%}</td>" in html


def test_district_table_shows_each_published_count_or_its_suppression(
    site: Path, releases: Path
) -> None:
    html = _text(site, "districts.html")
    rows = _rows(releases, "1.1.0", "agg_complaints_by_district")
    assert any(row["suppression"] == "none" for row in rows)
    for row in rows:
        shown = f"{int(row['count']):,}" if row["suppression"] == "none" else None
        if shown is not None:
            assert f"<td>{shown}</td>" in html, row


def test_downloads_list_both_releases_with_their_hashes(site: Path, releases: Path) -> None:
    html = _text(site, "downloads.html")
    for version in ("1.0.0", "1.1.0"):
        assert f"Release {version}</h2>" in html
        complaints = releases / version / "data" / "complaints.csv"
        assert hashlib.sha256(complaints.read_bytes()).hexdigest() in html
    assert (site / "archive" / "1.0.0.html").exists()


def test_methodology_reports_what_the_disclosure_report_says(site: Path, releases: Path) -> None:
    report = json.loads((releases / "1.1.0" / "disclosure-report.json").read_text())
    html = _text(site, "methodology.html")
    assert f"(achieved: {report['k_achieved']})" in html
    assert f"shared by at least {report['k_required']} records" in html


def test_two_builds_are_byte_identical_except_the_sitemap(releases: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build_site(releases, first)
    build_site(releases, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    differing = [str(f) for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert set(differing) <= set(STAMPED_FILES)


def test_each_page_weighs_under_200_kb_with_real_data(site: Path) -> None:
    for page in PAGES:
        html = _text(site, page)
        charts = [
            site / part.split('"')[0]
            for part in html.split('src="')[1:]
            if part.startswith("charts/")
        ]
        weight = len(html.encode()) + sum(c.stat().st_size for c in charts)
        weight += (site / "assets" / "lantern-site.css").stat().st_size
        assert weight < 200_000, (page, weight)


def test_the_data_dictionary_describes_every_published_column_in_spanish(
    site: Path, releases: Path
) -> None:
    from publisher.site_i18n import load_language

    spanish = load_language("es")
    html = _text(site, "es/dictionary.html")
    package = json.loads((releases / "1.1.0" / "datapackage.json").read_text(encoding="utf-8"))
    described = 0
    for resource in package["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            if not field.get("description"):
                continue
            translated = spanish.gettext(field["description"])
            assert translated != field["description"], (resource["name"], field["name"])
            assert translated.split("`")[0].strip() in html, field["name"]
            described += 1
    assert described >= 30
    assert "Diccionario de datos" in html
