"""The commission report: figures checked by hand against ``report_support``'s tiny release,
the HTML page (valid, in both languages), the PDF (tagged, fonts embedded) and ``lantern report``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from portal.cli import main
from publisher.report import NA, Figure, Report, ReportError, build_report, parse_period
from publisher.report_render import change_text, figure_text, render_html, write_report
from publisher.site_i18n import load_language
from tests.browser import assert_valid_html
from tests.publisher.report_support import write_report_release

EN = load_language("en")


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_report_release(tmp_path / "releases")


def _shown(report: Report, period: str, table: str) -> dict[str, str]:
    figures = report.periods[period].tables[table]
    return {key: figure_text("count", f, report.threshold, EN) for key, f in figures.items()}


def _head(report: Report, period: str) -> dict[str, str]:
    figures = report.periods[period].headline
    return {m: figure_text(m, f, report.threshold, EN) for m, f in figures.items()}


def test_headline_figures_of_a_quarter_and_its_comparisons(release: Path) -> None:
    report = build_report(release, "2026-Q3")
    assert [p.period.label for p in report.periods.values()] == ["2026-Q3", "2026-Q2", "2025-Q3"]
    # 2026-Q3: caseload months 07, 08, 09: received 3 x 10 = 30, closed 3 x 8 = 24, open at
    # the end of 2026-09 (index 14) 20 + 14 = 34. Closed in the quarter: C1-C6 (2026-Q3) and C7
    # (2026-08) = 7; C8 ("2026", a year) and C9 (withheld) are not placed. Sustained in C1, C2,
    # C3: 3 of 7 = 42.9 % (3 and 4 both reach the threshold 3). Known days 10 20 40 50 100 200
    # (C6 withheld): median (40 + 50) / 2 = 45, p90 nearest rank ceil(0.9 x 6) = 6th = 200.
    # Allegations: C1 has two, C2-C7 one each = 8; sustained 3.
    assert _head(report, "current") == {
        "received": "30",
        "closed": "24",
        "open_at_end": "34",
        "closed_published": "7",
        "share_with_sustained": "43%",
        "median_days_to_close": "45",
        "p90_days_to_close": "200",
        "allegations": "8",
        "allegations_sustained": "3",
    }
    assert report.current.unplaced == 1 and report.closed_withheld == 1
    assert report.complaints_published == 18
    # 2026-Q2: 2026-05's received count is withheld, so the quarter's sum is too; closed 24;
    # open at 2026-06 (index 11) 31. Closed: C10-C12 (2026-Q2) + C13 (2026-04) = 4; one with a
    # sustained allegation (1 is below 3): share withheld. Days 30 30 60 90: median 45, p90
    # ceil(3.6) = 4th = 90. Allegations 4, sustained 1 (fewer than 3).
    assert _head(report, "previous") == {
        "received": "withheld",
        "closed": "24",
        "open_at_end": "31",
        "closed_published": "4",
        "share_with_sustained": "withheld",
        "median_days_to_close": "45",
        "p90_days_to_close": "90",
        "allegations": "4",
        "allegations_sustained": "fewer than 3",
    }
    # 2025-Q3: received 30, closed 24, open at 2025-09 (index 2) 22; C14-C18 closed, none
    # sustained (0 is shown: it identifies nobody), every one 100 days.
    assert _head(report, "year_before") == {
        "received": "30",
        "closed": "24",
        "open_at_end": "22",
        "closed_published": "5",
        "share_with_sustained": "0%",
        "median_days_to_close": "100",
        "p90_days_to_close": "100",
        "allegations": "5",
        "allegations_sustained": "0",
    }


def test_changes_against_the_previous_quarter_and_a_year_before(release: Path) -> None:
    report = build_report(release, "2026-Q3")
    now = report.current.headline

    def changes(key: str) -> dict[str, str]:
        before = report.periods[key].headline
        return {m: change_text(m, now[m], before[m], EN) for m in now}

    # Against 2026-Q2: open 34 vs 31 = +9.7 %; 7 vs 4 = +75 %; 45 vs 45 days; 200 vs 90 days;
    # 8 vs 4 allegations = +100 %; withheld figures give no change.
    assert changes("previous") == {
        "received": "not available",
        "closed": "+0%",
        "open_at_end": "+10%",
        "closed_published": "+75%",
        "share_with_sustained": "not available",
        "median_days_to_close": "+0 days",
        "p90_days_to_close": "+110 days",
        "allegations": "+100%",
        "allegations_sustained": "not available",
    }
    # Against 2025-Q3: open 34 vs 22 = +54.5 %; 7 vs 5 = +40 %; share 42.9 % vs 0 % = +43
    # points; 45 vs 100 days; 8 vs 5 = +60 %; sustained 3 vs 0 has no base for a percentage.
    assert changes("year_before") == {
        "received": "+0%",
        "closed": "+0%",
        "open_at_end": "+55%",
        "closed_published": "+40%",
        "share_with_sustained": "+43 percentage points",
        "median_days_to_close": "-55 days",
        "p90_days_to_close": "+100 days",
        "allegations": "+60%",
        "allegations_sustained": "not available",
    }


def test_breakdowns_are_suppressed_as_on_the_site(release: Path) -> None:
    report = build_report(release, "2026-Q3")
    # Districts of C1-C7: north 4, south 2, central 1; two small cells, no complement needed.
    assert _shown(report, "current", "district") == {
        "central": "fewer than 3",
        "north": "4",
        "south": "fewer than 3",
    }
    # Channels: online 5 (C1-C5), phone 2: the only small cell in the line, so the smallest
    # other non-zero count (online) is withheld too; zeros stay.
    assert _shown(report, "current", "channel") == {
        "online": "withheld",
        "phone": "fewer than 3",
        "email": "0",
        "letter": "0",
        "walk_in": "0",
        "referral": "0",
        "internal": "0",
    }
    # Categories: force 3, discourtesy 4, bias 1: bias small, force (smallest) complementary.
    category = _shown(report, "current", "category")
    assert (category["force"], category["discourtesy"], category["bias"]) == (
        "withheld",
        "4",
        "fewer than 3",
    )
    assert report.current.tables["category"]["force"].status == "complementary"
    # Findings: sustained 3, not sustained 3 (C1's second, C4, C7), unfounded 1, exonerated 1.
    finding = {k: v for k, v in _shown(report, "current", "finding").items() if v != "0"}
    assert finding == {
        "sustained": "3",
        "not_sustained": "3",
        "exonerated": "fewer than 3",
        "unfounded": "fewer than 3",
    }
    # Discipline of the 3 sustained allegations: training 2 (C1, C3), suspension 1 (C2).
    discipline = {k: v for k, v in _shown(report, "current", "discipline").items() if v != "0"}
    assert discipline == {"training": "fewer than 3", "suspension": "fewer than 3"}
    # Days 10 20 | 40 50 | - | 100 | 200 | -.
    assert _shown(report, "current", "days_to_close") == {
        "0-30": "fewer than 3",
        "31-60": "fewer than 3",
        "61-90": "0",
        "91-180": "fewer than 3",
        "181-365": "fewer than 3",
        "366+": "0",
    }
    # Appeals: C1 requested, C2 decided, five closed without one.
    assert _shown(report, "current", "appeal") == {
        "closed": "5",
        "appeal_requested": "fewer than 3",
        "appeal_decided": "fewer than 3",
    }


def test_a_year_and_periods_the_release_does_not_cover(release: Path) -> None:
    year = build_report(release, "2026")
    # A year has one comparison (the year before). C8, published as "2026", now counts: C1-C8
    # and C10-C13 = 12. The data end in 2026-09, so the year's received sum is not available.
    assert list(year.periods) == ["current", "previous"]
    assert year.current.coverage == "partial"
    assert _head(year, "current")["closed_published"] == "12"
    assert year.current.headline["received"] == NA
    assert year.current.unplaced == 0
    # 2025-Q3's previous quarter is before the release's first month (2025-07).
    early = build_report(release, "2025-Q3")
    assert early.periods["previous"].coverage == "none"
    assert set(early.periods["previous"].headline.values()) == {NA}
    html = render_html(early, EN)
    assert "The release has no data for 2025-Q2." in html


def test_a_release_with_bands_of_days_gives_the_bands_of_the_median_and_p90(
    tmp_path: Path,
) -> None:
    release = write_report_release(tmp_path, bands=True)
    report = build_report(release, "2026-Q3")
    # Bands of C1-C7: 0-30 0-30 31-60 31-60 91-180 withheld 181-365. Six known, in band order:
    # the median is the 3rd (nearest rank, ceil(0.5 x 6)) = 31-60, the 90th percentile the
    # 6th (ceil(5.4)) = 181-365. A band has no numeric change.
    head = _head(report, "current")
    assert head["median_days_to_close"] == "31-60 days"
    assert head["p90_days_to_close"] == "181-365 days"
    previous = report.periods["previous"].headline["median_days_to_close"]
    now = report.current.headline["median_days_to_close"]
    assert change_text("median_days_to_close", now, previous, EN) == "not available"
    # The same table as with exact days: the bands are counted as they are published.
    assert _shown(report, "current", "days_to_close") == {
        "0-30": "fewer than 3",
        "31-60": "fewer than 3",
        "61-90": "0",
        "91-180": "fewer than 3",
        "181-365": "fewer than 3",
        "366+": "0",
    }
    assert "31-60 days" in render_html(report, EN)


@pytest.mark.parametrize("text", ["2026-Q5", "2026Q3", "Q3", "2026-07", ""])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(ReportError, match="not a quarter"):
        parse_period(text)


def test_html_report_is_valid_and_translated(release: Path, tmp_path: Path) -> None:
    english = write_report(release, "2026-Q3", tmp_path / "out", formats=["html"])
    spanish = write_report(release, "2026-Q3", tmp_path / "out", formats=["html"], language="es")
    assert [p.name for p in english + spanish] == [
        "report-2026-Q3-en.html",
        "report-2026-Q3-es.html",
    ]
    en_text = english[0].read_text(encoding="utf-8")
    es_text = spanish[0].read_text(encoding="utf-8")
    assert '<html lang="en">' in en_text and '<html lang="es">' in es_text
    assert "Commission report, 2026-Q3" in en_text and "fewer than 3" in en_text
    assert "Informe para la comisión, 2026-Q3" in es_text and "menos de 3" in es_text
    assert "+43 percentage points" in en_text
    # Satisfaction is not in releases: the report says so rather than inventing it.
    assert "do not include complainants" in en_text
    assert_valid_html({"en": en_text, "es": es_text}, tmp_path)


def test_pdf_report_is_tagged_with_fonts_embedded(release: Path, tmp_path: Path) -> None:
    (pdf,) = write_report(release, "2026-Q3", tmp_path, formats=["pdf"])
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Commission report, 2026-Q3" in text
    assert "43%" in text and "fewer than 3" in text
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"  # tagged, with its language
    assert root["/MarkInfo"]["/Marked"]
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"]
                if "/FontFile2" in descriptor or "/FontFile3" in descriptor:
                    embedded.add(str(descendant.get_object()["/BaseFont"]).split("+")[-1])
    assert "DejaVu-Sans" in embedded
    # The charts are in the PDF (as vector drawings or images), not left out.
    assert len(reader.pages) >= 2


def test_lantern_report_command(release: Path, tmp_path: Path) -> None:
    releases = release.parent
    write_report_release(releases, "1.1.0")
    runner = CliRunner()
    out = tmp_path / "reports"
    done = runner.invoke(
        main,
        ["report", "--period", "2026-Q3", "--releases", str(releases), "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == [
        "report-2026-Q3-en.html",
        "report-2026-Q3-en.pdf",
    ]
    # The newest release (1.1.0) is the default source.
    assert "From data release 1.1.0" in (out / "report-2026-Q3-en.html").read_text()
    older = runner.invoke(
        main,
        [
            "report",
            "--period",
            "2026",
            "--release",
            "1.0.0",
            "--releases",
            str(releases),
            "--out",
            str(out),
            "--format",
            "html",
            "--language",
            "es",
        ],
    )
    assert older.exit_code == 0, older.output
    assert "1.0.0" in (out / "report-2026-es.html").read_text()
    for args, message in (
        (["--period", "2026-Q9"], "not a quarter"),
        (["--period", "2026-Q3", "--release", "9.9.9"], "there is no release 9.9.9"),
        (["--period", "2026-Q3", "--format", "docx"], "formats must be among"),
    ):
        refused = runner.invoke(main, ["report", *args, "--releases", str(releases)])
        assert refused.exit_code != 0 and message in refused.output, refused.output


def test_a_figure_without_a_value_never_shows_a_number() -> None:
    assert figure_text("count", Figure(None, "small_cell"), 5, EN) == "fewer than 5"
    assert figure_text("count", Figure(None, "complementary"), 5, EN) == "withheld"
    assert figure_text("count", NA, 5, EN) == "not available"
