"""The statistics site built from sample releases in the release layout (no database needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from portal.cli import main
from publisher.site import STAMPED_FILES, build_site
from tests.publisher.test_site_support import write_sample_release

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
    "reports.html",
    "about.html",
]


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sample releases: 1.0.0 (older) and 1.1.0 (newest)."""
    root = tmp_path_factory.mktemp("releases")
    write_sample_release(root, "1.0.0", "2025-06-01T00:00:00Z")
    write_sample_release(root, "1.1.0", "2026-01-15T00:00:00Z")
    return root


@pytest.fixture(scope="module")
def site(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once from ``releases``."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(releases, out)
    return out


def _text(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def test_every_page_shows_the_newest_release_its_date_licence_and_a_data_link(site: Path) -> None:
    for page in PAGES:
        html = _text(site, page)
        assert "Release 1.1.0 published 2026-01-15" in html, page
        assert "licence CC-BY-4.0" in html, page
        assert 'href="downloads.html"' in html, page


def test_overview_shows_headline_figures_and_change_against_previous_period(site: Path) -> None:
    html = _text(site, "index.html")
    # 120 received against 100 the year before: +20 %; sustained 15 % against 20 %: -5 points.
    assert "<td>120</td>" in html and "<td>100</td>" in html and "<td>+20%</td>" in html
    assert "<td>-5 percentage points</td>" in html
    # p90 of the previous period is withheld in the release: no change can be computed.
    assert "<td>withheld</td>" in html and "<td>not available</td>" in html


def test_suppressed_cells_are_words_in_tables_and_zero_stays_zero(site: Path) -> None:
    html = _text(site, "districts.html")
    assert "<td>D03</td>\n<td>fewer than 5</td>" in html
    assert "<td>D02</td>\n<td>0</td>" in html
    demographics = _text(site, "complainants.html")
    assert "<td>Withheld</td>\n<td>withheld</td>" in demographics  # complementary suppression


def test_suppressed_cells_are_hatched_and_labelled_in_charts(site: Path) -> None:
    svg = (site / "charts" / "districts.svg").read_text(encoding="utf-8")
    assert "fewer than 5" in svg
    assert "<pattern" in svg  # matplotlib writes hatching as an SVG pattern
    clean = (site / "charts" / "channels.svg").read_text(encoding="utf-8")
    assert "fewer than 5" in clean  # mail is suppressed too
    assert "Date" not in svg.split("</metadata>")[0]


def test_sustain_rate_per_category_and_withheld_when_a_cell_is_hidden(site: Path) -> None:
    html = _text(site, "allegations.html")
    # use of force: 10 sustained of 40 allegations.
    assert "<td>Use of force</td>\n<td>30</td>\n<td>10</td>\n<td>25%</td>" in html
    assert "<td>Discourtesy</td>\n<td>withheld</td>\n<td>fewer than 5</td>\n<td>withheld</td>" in (
        html
    )


def test_downloads_list_every_release_with_hashes_json_ld_and_feed(
    site: Path, releases: Path
) -> None:
    html = _text(site, "downloads.html")
    for version in ("1.0.0", "1.1.0"):
        assert f"Release {version}</h2>" in html
        csv = releases / version / "data" / "agg_complaints_by_district.csv"
        assert hashlib.sha256(csv.read_bytes()).hexdigest() in html
        served = site / "releases" / version / "data" / "agg_complaints_by_district.csv"
        assert served.read_bytes() == csv.read_bytes()
    assert '<script type="application/ld+json">' in html and '"@type": "Dataset"' in html
    feed = _text(site, "feed.xml")
    assert feed.index("Release 1.1.0") < feed.index("Release 1.0.0")


def test_two_builds_are_byte_identical_except_the_sitemap(releases: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build_site(releases, first)
    build_site(releases, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    differing = [str(f) for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert set(differing) <= set(STAMPED_FILES)


def test_each_page_weighs_under_200_kb_without_downloads_and_theme(site: Path) -> None:
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


def test_cli_builds_the_site_and_explains_when_there_is_no_release(
    releases: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "site"
    result = runner.invoke(main, ["site", "build", "--releases", str(releases), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(main, ["site", "build", "--releases", str(empty), "--out", str(out)])
    assert result.exit_code != 0 and "no release" in result.output


def test_time_to_resolution_shows_median_and_90th_percentile(site: Path) -> None:
    html = _text(site, "time-to-resolution.html")
    assert "<td>Median days to close, last 12 months</td>\n<td>84</td>" in html
    assert "<td>90th percentile of days to close</td>\n<td>240</td>" in html
    assert "<td>366+</td>\n<td>fewer than 5</td>" in html


def test_each_earlier_release_has_a_small_archive_page_of_its_own(site: Path) -> None:
    assert (site / "archive" / "1.0.0.html").exists()
    assert not (site / "archive" / "1.1.0.html").exists()  # the newest is the main site
    html = (site / "archive" / "1.0.0.html").read_text(encoding="utf-8")
    assert "Release 1.0.0 published 2025-06-01" in html
    assert "<td>Complaints received</td>\n<td>120</td>" in html
    assert 'href="archive/1.0.0.html"' in _text(site, "archive.html")


def test_methodology_explains_generalization_and_suppression(site: Path) -> None:
    html = _text(site, "methodology.html")
    assert "shared by at least 5 records (achieved: 7)" in html
    assert "Received period is published at the level: quarter." in html
    assert "2 of 120 records have one or more values shown as" in html
    assert "no record was removed" in html
    assert 'Aggregate counts from 1 to 4 are shown as "fewer than 5"' in html


@pytest.fixture
def app_config(site: Path) -> dict[str, Any]:
    """Serve the site built above from the portal."""
    return {"SITE_FOLDER": str(site)}


def test_portal_serves_the_site_under_data_with_working_relative_links(client: Any) -> None:
    with client.get("/data/") as home:
        assert home.status_code == 200 and b"Police complaints: overview" in home.data
    with client.get("/data/districts.html") as response:
        page = response.get_data(as_text=True)
    for link in ("charts/districts.svg", "assets/lantern-site.css", "downloads.html"):
        assert f'"{link}"' in page
        with client.get(f"/data/{link}") as linked:  # files are streamed: close them
            assert linked.status_code == 200, link


def test_build_is_strict_a_broken_link_fails_it(
    releases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "about.md").write_text("# About\n\nSee [nowhere](missing.md).\n", encoding="utf-8")
    monkeypatch.setattr("publisher.site.HAND_WRITTEN", pages)
    from mkdocs.exceptions import Abort

    with pytest.raises(Abort):
        build_site(releases, tmp_path / "site")
