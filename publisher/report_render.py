"""The commission report as an accessible HTML page and a tagged PDF, and ``lantern report``.

``render_html`` fills ``templates/report/report.html.j2`` (one self-contained page: styles
inline, charts as SVG images with text alternatives, every figure also in a table);
``render_pdf`` prints the same HTML with WeasyPrint as PDF/UA-1 (tagged, fonts embedded: the
page asks for Debian's DejaVu fonts). Words come from the statistics site's catalog (domain
``site``), so the report exists in every language of the site.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import jinja2

from publisher import site_charts
from publisher.report import (
    COMPLEMENTARY,
    NOT_AVAILABLE,
    SMALL_CELL,
    Figure,
    Report,
    ReportError,
    build_report,
    change,
    find_release,
)
from publisher.site_i18n import LANGUAGES, SiteLanguage, load_language

TEMPLATES = Path(__file__).resolve().parent / "templates" / "report"
FORMATS = ("html", "pdf")


def figure_text(metric: str, figure: Figure, threshold: int, lang: SiteLanguage) -> str:
    """A figure as the report shows it: a number, a percentage, or why it is not shown."""
    _ = lang.gettext
    if figure.band is not None:
        return _("{band} days").format(band=figure.band)
    if figure.value is None:
        if figure.status == SMALL_CELL:
            return _("fewer than {threshold}").format(threshold=threshold)
        if figure.status == NOT_AVAILABLE:
            return _("not available")
        return _("withheld")
    if metric.startswith("share_"):
        return lang.percent(figure.value)
    if metric.endswith("_days_to_close") and not figure.value.is_integer():
        return lang.number(figure.value, 1)
    return lang.number(figure.value)


def change_text(metric: str, now: Figure, before: Figure, lang: SiteLanguage) -> str:
    """The change of a headline figure in words, or "not available"."""
    _ = lang.gettext
    delta = change(metric, now, before)
    if delta is None:
        return _("not available")
    kind, value = delta
    if kind == "points":
        return _("{points} percentage points").format(points=f"{value:+.0f}")
    if kind == "days":
        return _("{days} days").format(days=f"{value:+.0f}")
    return lang.percent(value, signed=True)


def _labels(lang: SiteLanguage) -> dict[str, str]:
    """Headline figure names in ``lang``."""
    _ = lang.gettext
    return {
        "received": _("Complaints received (open and closed)"),
        "closed": _("Complaints closed"),
        "open_at_end": _("Complaints open at the end of the period"),
        "closed_published": _("Closed complaints in this report"),
        "share_with_sustained": _("Closed complaints with a sustained allegation"),
        "median_days_to_close": _("Median days to close"),
        "p90_days_to_close": _("90th percentile of days to close"),
        "allegations": _("Allegations decided"),
        "allegations_sustained": _("Allegations sustained"),
    }


def _tables(lang: SiteLanguage) -> list[tuple[str, str, str]]:
    """Breakdown tables: (key, heading, first column)."""
    _ = lang.gettext
    return [
        ("district", _("Complaints by district"), _("District")),
        ("channel", _("Complaints by channel"), _("Channel")),
        ("category", _("Allegations by category"), _("Category")),
        ("finding", _("Findings"), _("Finding")),
        ("discipline", _("Discipline for sustained allegations"), _("Discipline")),
        ("days_to_close", _("Time to close"), _("Days")),
        ("appeal", _("Appeals"), _("Status")),
    ]


def _row_label(table: str, key: str, lang: SiteLanguage) -> str:
    _ = lang.gettext
    if table == "appeal":
        return {
            "closed": _("Closed, no appeal"),
            "appeal_requested": _("Appeal requested"),
            "appeal_decided": _("Appeal decided"),
        }.get(key, lang.label(key))
    if table == "days_to_close":
        return key
    if table == "finding" and key == "none":
        return _("No finding")
    return lang.label(key)


def _chart(report: Report, table: str, title: str, noun: str, lang: SiteLanguage) -> str:
    """A bar chart of the report period's ``table`` as an SVG data URI."""
    cells = [
        site_charts.Cell(
            _row_label(table, key, lang),
            figure.value,
            figure.status if figure.value is None else "none",
        )
        for key, figure in report.current.tables.get(table, {}).items()
    ]
    svg = site_charts.bar_chart(
        cells, title=title, xlabel=noun, threshold=report.threshold, lang=lang
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _context(report: Report, lang: SiteLanguage) -> dict[str, Any]:
    """Everything the template shows, as text in ``lang``."""
    _ = lang.gettext
    t = report.threshold
    keys = list(report.periods)
    names = {
        "current": _("This period"),
        "previous": _("Previous period"),
        "year_before": _("Same period a year before"),
    }
    columns = [(names[k], report.periods[k].period.label) for k in keys]
    current = report.current
    headline = []
    for metric, label in _labels(lang).items():
        cells = [figure_text(metric, report.periods[k].headline[metric], t, lang) for k in keys]
        changes = [
            change_text(metric, current.headline[metric], report.periods[k].headline[metric], lang)
            for k in keys[1:]
        ]
        headline.append((label, cells, changes))
    tables = []
    for table, heading, first in _tables(lang):
        rows = [
            (
                _row_label(table, key, lang),
                [
                    figure_text(
                        "count",
                        report.periods[k].tables.get(table, {}).get(key, Figure(0.0)),
                        t,
                        lang,
                    )
                    if report.periods[k].coverage != "none"
                    else _("not available")
                    for k in keys
                ],
            )
            for key in report.rows(table)
        ]
        tables.append((table, heading, first, rows))
    charts = {
        "district": (
            _chart(report, "district", _("Closed complaints by district"), _("complaints"), lang),
            _(
                "Bar chart of closed complaints by district in {period}; the figures are in"
                " the table below."
            ).format(period=report.period.label),
        ),
        "category": (
            _chart(report, "category", _("Allegations by category"), _("allegations"), lang),
            _(
                "Bar chart of allegations by category in {period}; the figures are in the"
                " table below."
            ).format(period=report.period.label),
        ),
    }
    coverage = {k: report.periods[k].coverage for k in keys if report.periods[k].coverage != "full"}
    return {
        "report": report,
        "lang": lang.code,
        "columns": columns,
        "headline": headline,
        "tables": tables,
        "charts": charts,
        "coverage": [(report.periods[k].period.label, state) for k, state in coverage.items()],
        "unplaced": [(report.periods[k].period.label, report.periods[k].unplaced) for k in keys],
        "number": lang.number,
        "label": lang.label,
        "small_label": _("fewer than {threshold}").format(threshold=t),
        "generalization": sorted(report.disclosure.get("generalization", {}).items()),
        "complementary": COMPLEMENTARY,
    }


def render_html(report: Report, lang: SiteLanguage) -> str:
    """The report as one self-contained, accessible HTML page in ``lang``."""
    return _environment(lang).get_template("report.html.j2").render(**_context(report, lang))


def _environment(lang: SiteLanguage) -> jinja2.Environment:
    """The report templates' environment, with ``lang``'s translations installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lang.gettext, lang.ngettext, newstyle=True
    )
    return env


def render_fragment(report: Report, lang: SiteLanguage) -> str:
    """The report's sections without the page around them (for a page of the statistics site,
    which gives the title)."""
    return _environment(lang).get_template("_body.html.j2").render(**_context(report, lang))


def render_pdf(html: str) -> bytes:
    """The report page printed as a tagged PDF/UA-1 with its fonts embedded."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def write_report(
    release: Path,
    period: str,
    out: Path,
    *,
    formats: Sequence[str] = FORMATS,
    language: str = LANGUAGES[0],
) -> list[Path]:
    """Build the report of ``period`` from the release folder ``release`` and write it to
    ``out`` as ``report-<period>-<lang>.html`` / ``.pdf``; return the written files.

    Raises ``ReportError`` (bad period, release, format or language).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ReportError(f"formats must be among {', '.join(FORMATS)}; got {', '.join(formats)}")
    try:
        lang = load_language(language)
    except LookupError:
        raise ReportError(f"the report is not available in {language!r}") from None
    report = build_report(release, period)
    html = render_html(report, lang)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.period.label}-{lang.code}"
    written = []
    if "html" in formats:
        (out / f"{stem}.html").write_text(html, encoding="utf-8")
        written.append(out / f"{stem}.html")
    if "pdf" in formats:
        (out / f"{stem}.pdf").write_bytes(render_pdf(html))
        written.append(out / f"{stem}.pdf")
    return written


@click.command("report")
@click.option("--period", "period", required=True, help="A quarter (2026-Q3) or a year (2026).")
@click.option("--release", "version", default=None, help="Release version (default: newest).")
@click.option(
    "--releases",
    "releases",
    default="data_releases",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the releases.",
)
@click.option(
    "--out",
    "out",
    default="build/reports",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--format", "formats", default="html,pdf", show_default=True, help="html, pdf.")
@click.option(
    "--language", "language", default=LANGUAGES[0], show_default=True, type=click.Choice(LANGUAGES)
)
def report_command(
    period: str, version: str | None, releases: Path, out: Path, formats: str, language: str
) -> None:
    """Build the commission report of a period from a published release (HTML and PDF)."""
    try:
        folder = find_release(releases, version)
        written = write_report(
            folder,
            period,
            out,
            formats=[f.strip() for f in formats.split(",") if f.strip()],
            language=language,
        )
    except ReportError as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")
