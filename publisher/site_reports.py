"""The statistics site's commission reports: one page per recent period, in every language.

The newest release's reports of its last ``SITE_QUARTERS`` quarters and ``SITE_YEARS`` years
(``publisher.report``: the same figures, suppression and words as ``lantern report``), each on a
page ``reports/<period>.md`` with a link to the PDF-ready command, and an index ``reports.md``.
Older periods are one ``lantern report --period P`` away; keeping the site to recent periods
keeps its build time flat as releases grow. A release without record tables (or months of data)
gets an index page that says there is no report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.report import Report, ReportError, build_report, load_release_data, periods_of
from publisher.report_render import render_fragment

if TYPE_CHECKING:
    from publisher.site import Release, _Builder

SITE_QUARTERS = 8
SITE_YEARS = 3


def reports_of(release: Release) -> list[Report]:
    """The site's reports of ``release``, newest quarter first, then years (computed once per
    release and kept on it: every language shows the same figures)."""
    if release.reports is None:
        try:
            data = load_release_data(release.path)
        except ReportError:
            release.reports = []
            return release.reports
        periods = periods_of(data.month_labels)
        chosen = [p for p in periods if "-Q" in p][:SITE_QUARTERS]
        chosen += [p for p in periods if "-Q" not in p][:SITE_YEARS]
        release.reports = [build_report(data, p) for p in chosen]
    return release.reports


def build_pages(builder: _Builder) -> None:
    """Write ``reports.md`` and one page per report into the builder's docs folder."""
    reports = reports_of(builder.latest)
    (builder.docs / "reports").mkdir(exist_ok=True)
    for report in reports:
        builder.page(
            f"reports/{report.period.label}.md",
            "report.md.j2",
            report=report,
            body=render_fragment(report, builder.lang),
        )
    builder.page(
        "reports.md",
        "reports.md.j2",
        quarters=[r.period.label for r in reports if not r.period.is_year],
        years=[r.period.label for r in reports if r.period.is_year],
    )
