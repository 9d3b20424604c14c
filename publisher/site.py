"""The statistics site: Markdown pages and SVG charts from data releases, assembled by MkDocs.

The site is built in every language of ``publisher.site_i18n.LANGUAGES``: English at the root of
``out``, Spanish in ``out/es/``, page for page, each page linking to itself in the other language.

``build_site(releases_root, out)`` reads every release folder (layout: data_releases/README.md),
renders Jinja2 templates (StrictUndefined: a missing figure fails the build, never shows blank)
into Markdown for the newest release, draws the charts, and lets MkDocs (its project in
publisher/site_project/, shipped in the package) turn it into static HTML. Older releases
appear only on the downloads page and in the Atom feed, so the build time barely grows with the
number of releases.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import click
import jinja2

from publisher import site_charts, site_reports
from publisher.report import Report
from publisher.site_charts import Cell, suppressed_label
from publisher.site_i18n import LANGUAGES, N_, SiteLanguage, humanize, load_language

#: The MkDocs project (configuration, theme overrides, hooks, hand-written pages). It is package
#: data, so an installed Lantern builds the site without a checkout.
SITE_CONFIG = Path(__file__).resolve().parent / "site_project" / "mkdocs.yml"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"
HAND_WRITTEN = SITE_CONFIG.parent / "pages"

# Files MkDocs stamps with the build time; everything else is byte-identical between builds.
STAMPED_FILES = tuple(
    f"{prefix}{name}"
    for prefix in ("", *(f"{code}/" for code in LANGUAGES[1:]))
    for name in ("sitemap.xml", "sitemap.xml.gz")
)

#: The pages in menu order: (title, page). Titles are translated per language.
NAV: list[tuple[str, str]] = [
    (N_("Overview"), "index.md"),
    (N_("Complaints over time"), "caseload.md"),
    (N_("Allegations and findings"), "allegations.md"),
    (N_("Discipline"), "discipline.md"),
    (N_("By district"), "districts.md"),
    (N_("By channel"), "channels.md"),
    (N_("Time to resolution"), "time-to-resolution.md"),
    (N_("Complainants"), "complainants.md"),
    (N_("Officers"), "officers.md"),
    (N_("Commission reports"), "reports.md"),
    (N_("Downloads"), "downloads.md"),
    (N_("Data dictionary"), "dictionary.md"),
    (N_("Methodology and privacy"), "methodology.md"),
    (N_("Earlier releases"), "archive.md"),
    (N_("About"), "about.md"),
]


@dataclass
class Release:
    """One release folder, read once: its package, disclosure report and aggregates."""

    version: str
    path: Path
    package: dict[str, Any]
    report: dict[str, Any]
    policy: str
    aggregates: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: The commission reports the site shows (``publisher.site_reports``), computed once.
    reports: list[Report] | None = None

    @property
    def created(self) -> str:
        """The release date (YYYY-MM-DD)."""
        return str(self.package.get("created", ""))[:10]

    @property
    def licence(self) -> str:
        """The licence name of the data (e.g. CC-BY-4.0)."""
        licences = self.package.get("licenses") or [{"name": "unspecified"}]
        return str(licences[0].get("name", "unspecified"))

    @property
    def threshold(self) -> int:
        """The small-cell threshold the release applied."""
        return int(self.report.get("threshold", 0))


@dataclass
class Timings:
    """Seconds spent per build stage."""

    render: float = 0.0
    charts: float = 0.0
    mkdocs: float = 0.0


def _version_key(version: str) -> tuple[int, ...]:
    """Sort key for MAJOR.MINOR.PATCH (non-numeric parts sort first)."""
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def load_release(path: Path) -> Release:
    """Read release folder ``path``; aggregates are read from ``data/agg_*.csv``."""
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    report_path = path / "disclosure-report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    policy_path = path / "policy.toml"
    policy = policy_path.read_text(encoding="utf-8") if policy_path.exists() else ""
    release = Release(str(package.get("version", path.name)), path, package, report, policy)
    for csv_path in sorted((path / "data").glob("agg_*.csv")):
        with csv_path.open(encoding="utf-8", newline="") as handle:
            release.aggregates[csv_path.stem.removeprefix("agg_")] = list(csv.DictReader(handle))
    return release


def find_releases(root: Path) -> list[Release]:
    """Every release under ``root`` (folders with a datapackage.json), oldest first."""
    folders = [p for p in root.iterdir() if (p / "datapackage.json").is_file()]
    return sorted((load_release(p) for p in folders), key=lambda r: _version_key(r.version))


def _cell(row: dict[str, str], label: str) -> Cell:
    """A chart cell from an aggregate row."""
    suppression = row.get("suppression", "none") or "none"
    if suppression != "none" or row["count"] == "withheld":
        return Cell(label, None, suppression if suppression != "none" else "complementary")
    return Cell(label, float(row["count"]), "none")


def _shown(cell: Cell, threshold: int, lang: SiteLanguage) -> str:
    """A cell as the tables show it: the count, or the suppression words."""
    if cell.count is None:
        return suppressed_label(cell.suppression, threshold, lang)
    return lang.number(cell.count)


def _md(value: object) -> str:
    """Escape a value for a Markdown table cell (pipes and HTML)."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


class _Builder:
    """Renders one language of the site: pages into ``docs``, charts into ``docs/charts``.

    ``data_prefix`` leads from a page at the root of this language's site to the root of the
    whole site, where the release files are (empty for the first language).
    """

    def __init__(self, releases: list[Release], docs: Path, lang: SiteLanguage) -> None:
        self.releases = releases
        self.latest = releases[-1]
        self.docs = docs
        self.lang = lang
        self.root_language = lang.code == LANGUAGES[0]
        self.data_prefix = "" if self.root_language else "../"
        self.timings = Timings()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            undefined=jinja2.StrictUndefined,
            # Output is Markdown, not HTML: every value goes through the |md filter instead.
            autoescape=False,  # noqa: S701
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            lang.gettext, lang.ngettext, newstyle=True
        )
        self.env.filters["md"] = _md
        self.env.filters["human"] = lang.label
        self.env.filters["number"] = lang.number
        self.env.globals["data_prefix"] = self.data_prefix
        self.env.globals["lang"] = lang.code

    def chart(self, name: str, svg: str) -> str:
        """Write one chart and return its page-relative path."""
        (self.docs / "charts").mkdir(exist_ok=True)
        (self.docs / "charts" / f"{name}.svg").write_text(svg, encoding="utf-8")
        return f"charts/{name}.svg"

    def page(self, name: str, template: str, **context: Any) -> None:
        """Render ``template`` to ``docs/name`` with the release context every page shows."""
        started = time.perf_counter()
        text = self.env.get_template(template).render(
            release=self.latest, releases=self.releases, **context
        )
        (self.docs / name).write_text(text, encoding="utf-8")
        self.timings.render += time.perf_counter() - started

    def dimension_page(
        self,
        name: str,
        aggregate: str,
        column: str,
        *,
        title: str,
        heading: str,
        noun: str,
        intro: str,
        facts: list[tuple[str, str]] | None = None,
    ) -> None:
        """A page with one bar chart, its one-sentence summary and its table."""
        _ = self.lang.gettext
        threshold = self.latest.threshold
        rows = self.latest.aggregates.get(aggregate, [])
        cells = [_cell(r, self.lang.label(r[column])) for r in rows]
        started = time.perf_counter()
        svg = site_charts.bar_chart(
            cells, title=title, xlabel=noun, threshold=threshold, lang=self.lang
        )
        self.timings.charts += time.perf_counter() - started
        chart = self.chart(name.removesuffix(".md"), svg)
        known = [c for c in cells if c.count is not None]
        if known:
            top = max(known, key=lambda c: c.count or 0)
            summary = _("The largest group is {label} with {count} {noun}.").format(
                label=top.label, count=_shown(top, threshold, self.lang), noun=noun
            )
        else:
            summary = _("Every figure on this page is withheld to protect privacy.")
        hidden = len(cells) - len(known)
        if hidden:
            summary += " " + _(
                "{hidden} of {total} figures are suppressed (shown hatched)."
            ).format(hidden=hidden, total=len(cells))
        table = [(c.label, _shown(c, threshold, self.lang)) for c in cells]
        self.page(
            name,
            "dimension.md.j2",
            title=title,
            intro=intro,
            facts=facts or [],
            chart=chart,
            summary=summary,
            column=heading,
            noun=noun,
            table=table,
        )

    def overview(self) -> None:
        """Headline figures with the change against the previous 12 months."""
        _ = self.lang.gettext
        values: dict[tuple[str, str], str] = {}
        span: dict[str, str] = {}
        for row in self.latest.aggregates.get("headline", []):
            values[(row["metric"], row["period"])] = row["value"]
            span[row["period"]] = _("{start} to {end}").format(
                start=row["period_start"], end=row["period_end"]
            )
        labels = {
            "complaints_received": _("Complaints received"),
            "complaints_closed": _("Complaints closed"),
            "share_with_sustained": _("Closed complaints with a sustained allegation"),
            "median_days_to_close": _("Median days to close"),
            "p90_days_to_close": _("90th percentile of days to close"),
        }
        figures = []
        for metric, label in labels.items():
            current = values.get((metric, "current_12_months"), "withheld")
            previous = values.get((metric, "previous_12_months"), "withheld")
            figures.append(
                (
                    label,
                    _headline(metric, current, self.lang),
                    _headline(metric, previous, self.lang),
                    _change(metric, current, previous, self.lang),
                )
            )
        self.page(
            "index.md",
            "index.md.j2",
            figures=figures,
            current_span=span.get("current_12_months", _("the last 12 months")),
            previous_span=span.get("previous_12_months", _("the 12 months before")),
        )

    def caseload(self) -> None:
        """Complaints received vs closed per month, and the open backlog."""
        _ = self.lang.gettext
        rows = self.latest.aggregates.get("caseload_by_month", [])
        months = sorted({r["month"] for r in rows})
        by: dict[tuple[str, str], Cell] = {
            (r["month"], r["measure"]): _cell(r, r["month"]) for r in rows
        }
        threshold = self.latest.threshold

        def series(measure: str) -> list[float | None]:
            return [by[(m, measure)].count if (m, measure) in by else None for m in months]

        started = time.perf_counter()
        flow = site_charts.line_chart(
            months,
            {_("Received"): series("received"), _("Closed"): series("closed")},
            title=_("Complaints received and closed per month"),
            ylabel=_("complaints"),
        )
        backlog = site_charts.line_chart(
            months,
            {_("Open at month end"): series("open_at_month_end")},
            title=_("Open complaints at the end of each month"),
            ylabel=_("complaints"),
        )
        self.timings.charts += time.perf_counter() - started
        table = [
            (
                m,
                *(
                    _shown(by[(m, k)], threshold, self.lang) if (m, k) in by else _("not published")
                    for k in ("received", "closed", "open_at_month_end")
                ),
            )
            for m in months
        ]
        received = sum(v for v in series("received") if v is not None)
        closed = sum(v for v in series("closed") if v is not None)
        self.page(
            "caseload.md",
            "caseload.md.j2",
            flow_chart=self.chart("caseload-flow", flow),
            backlog_chart=self.chart("caseload-backlog", backlog),
            table=table,
            first=months[0] if months else "",
            last=months[-1] if months else "",
            received=self.lang.number(received),
            closed=self.lang.number(closed),
        )

    def allegations(self) -> None:
        """Findings per category with the sustain rate, and discipline for sustained ones."""
        _ = self.lang.gettext
        threshold = self.latest.threshold
        rows = self.latest.aggregates.get("allegations_by_category_finding", [])
        categories = sorted({r["category"] for r in rows})
        findings = sorted({r["finding"] for r in rows})
        grid = {(r["category"], r["finding"]): _cell(r, r["finding"]) for r in rows}
        table = []
        sustained_cells = []
        for category in categories:
            cells = [grid.get((category, f), Cell(f, 0.0)) for f in findings]
            if any(c.count is None for c in cells):
                rate = _("withheld")
            else:
                total = sum(c.count or 0 for c in cells)
                sustained = grid.get((category, "sustained"), Cell("", 0.0)).count or 0
                rate = self.lang.percent(sustained / total) if total else _("no allegations")
            label = self.lang.label(category)
            table.append((label, *(_shown(c, threshold, self.lang) for c in cells), rate))
            sustained_cells.append(Cell(label, *_count_of(grid.get((category, "sustained")))))
        started = time.perf_counter()
        svg = site_charts.bar_chart(
            sustained_cells,
            title=_("Sustained allegations by category"),
            xlabel=_("sustained allegations"),
            threshold=threshold,
            lang=self.lang,
        )
        self.timings.charts += time.perf_counter() - started
        self.page(
            "allegations.md",
            "allegations.md.j2",
            chart=self.chart("allegations-sustained", svg),
            findings=[self.lang.label(f) for f in findings],
            table=table,
            categories=len(categories),
        )

    def resolution_facts(self) -> list[tuple[str, str]]:
        """Median and 90th percentile of days to close, current period (from the headline)."""
        _ = self.lang.gettext
        values = {
            r["metric"]: r["value"]
            for r in self.latest.aggregates.get("headline", [])
            if r["period"] == "current_12_months"
        }
        return [
            (
                _("Median days to close, last 12 months"),
                _headline("d", values.get("median_days_to_close", ""), self.lang),
            ),
            (
                _("90th percentile of days to close"),
                _headline("d", values.get("p90_days_to_close", ""), self.lang),
            ),
        ]

    def archive(self) -> None:
        """One small page per earlier release (headline figures and its files), and their index."""
        (self.docs / "archive").mkdir(exist_ok=True)
        earlier = list(reversed(self.releases[:-1]))
        for release in earlier:
            figures = [
                (self._metric_label(r["metric"]), _headline(r["metric"], r["value"], self.lang))
                for r in release.aggregates.get("headline", [])
                if r["period"] == "current_12_months"
            ]
            self.page(
                f"archive/{release.version}.md",
                "archive_release.md.j2",
                old=release,
                figures=figures,
            )
        self.page("archive.md", "archive.md.j2", earlier=earlier)

    def _metric_label(self, metric: str) -> str:
        """The name of a headline metric in this language."""
        _ = self.lang.gettext
        names = {
            "complaints_received": _("Complaints received"),
            "complaints_closed": _("Complaints closed"),
            "share_with_sustained": _("Share with sustained"),
            "median_days_to_close": _("Median days to close"),
            "p90_days_to_close": _("P90 days to close"),
        }
        return names.get(metric, humanize(metric))

    def downloads(self) -> None:
        """Every release's files (size, sha256), citation, JSON-LD and the Atom feed.

        The release files are linked into the site once, at its root; the other languages'
        download pages point there.
        """
        entries = []
        for release in reversed(self.releases):
            if self.root_language:
                _link_tree(release.path, self.docs / "releases" / release.version)
            files = []
            for resource in release.package.get("resources", []):
                files.append(
                    (
                        resource["name"],
                        f"{self.data_prefix}releases/{release.version}/{resource['path']}",
                        _size(int(resource.get("bytes", 0)), self.lang),
                        str(resource.get("hash", "")).removeprefix("sha256:"),
                    )
                )
            entries.append((release, files))
        jsonld = ""
        if self.root_language:  # one description of the dataset for search engines
            jsonld = json.dumps(_dataset_jsonld(self.latest), indent=2, sort_keys=True)
            (self.docs / "feed.xml").write_text(_atom(self.releases), encoding="utf-8")
        self.page("downloads.md", "downloads.md.j2", entries=entries, jsonld=jsonld)

    def dictionary(self) -> None:
        """One table per resource from its Table Schema (descriptions in this language)."""
        tables = []
        for resource in self.latest.package.get("resources", []):
            if "schema" not in resource:
                continue  # the SQLite and Parquet copies: same tables as the CSVs
            fields = [
                {
                    "name": f["name"],
                    "type": f.get("type", "any"),
                    "description": self.lang.gettext(f["description"])
                    if f.get("description")
                    else "",
                    "enum": f.get("constraints", {}).get("enum", []),
                }
                for f in resource.get("schema", {}).get("fields", [])
            ]
            tables.append((resource["name"], fields))
        self.page("dictionary.md", "dictionary.md.j2", tables=tables)

    def methodology(self) -> None:
        """The policy and disclosure report of the newest release."""
        report = self.latest.report
        self.page(
            "methodology.md",
            "methodology.md.j2",
            facts=_disclosure_facts(report, self.lang),
            report=[(k, json.dumps(v, sort_keys=True)) for k, v in sorted(report.items())],
            policy=self.latest.policy,
        )

    def build_pages(self) -> None:
        """Render every page of the site into ``docs``."""
        _ = self.lang.gettext
        self.overview()
        self.caseload()
        self.allegations()
        dims = [
            (
                "districts.md",
                "complaints_by_district",
                "district",
                _("Complaints by district"),
                _("District"),
                _("complaints"),
                _("Closed complaints by the district where the incident happened."),
            ),
            (
                "channels.md",
                "complaints_by_channel",
                "channel",
                _("Complaints by channel"),
                _("Channel"),
                _("complaints"),
                _("How complainants reached the office."),
            ),
            (
                "time-to-resolution.md",
                "days_to_close",
                "bucket",
                _("Days from receipt to closure"),
                _("Days"),
                _("complaints"),
                _("How long closed complaints took, in days."),
            ),
            (
                "officers.md",
                "officer_complaint_counts",
                "complaints_per_officer",
                _("Officers by number of complaints"),
                _("Complaints per officer"),
                _("officers"),
                _("How many officers were named in 1, 2, 3 to 5, or 6 or more complaints."),
            ),
            (
                "discipline.md",
                "discipline_sustained",
                "discipline",
                _("Discipline for sustained allegations"),
                _("Discipline"),
                _("allegations"),
                _("The discipline imposed when an allegation was sustained."),
            ),
        ]
        for name, aggregate, column, title, heading, noun, intro in dims:
            facts = self.resolution_facts() if name == "time-to-resolution.md" else None
            self.dimension_page(
                name,
                aggregate,
                column,
                title=title,
                heading=heading,
                noun=noun,
                intro=intro,
                facts=facts,
            )
        self.archive()
        site_reports.build_pages(self)
        self.complainants()
        self.downloads()
        self.dictionary()
        self.methodology()
        for page in sorted(HAND_WRITTEN.glob("*.md")):
            text = self.env.from_string(page.read_text(encoding="utf-8")).render(
                release=self.latest
            )
            (self.docs / page.name).write_text(text, encoding="utf-8")

    def complainants(self) -> None:
        """One chart and table per demographic attribute."""
        _ = self.lang.gettext
        threshold = self.latest.threshold
        rows = self.latest.aggregates.get("complainant_demographics", [])
        titles = {
            "age_band": _("Complainants by age band"),
            "gender": _("Complainants by gender"),
            "race": _("Complainants by race or ethnicity"),
        }
        sections = []
        for attribute, title in titles.items():
            cells = [
                _cell(r, self.lang.label(r["value"])) for r in rows if r["attribute"] == attribute
            ]
            if not cells:
                continue
            started = time.perf_counter()
            svg = site_charts.bar_chart(
                cells, title=title, xlabel=_("complainants"), threshold=threshold, lang=self.lang
            )
            self.timings.charts += time.perf_counter() - started
            hidden = sum(1 for c in cells if c.count is None)
            sections.append(
                (
                    self.lang.label(attribute),
                    title,
                    self.chart(f"complainants-{attribute}", svg),
                    _("{groups} groups, {hidden} of them suppressed to protect privacy.").format(
                        groups=len(cells), hidden=hidden
                    ),
                    [(c.label, _shown(c, threshold, self.lang)) for c in cells],
                )
            )
        self.page("complainants.md", "complainants.md.j2", sections=sections)


def _disclosure_facts(report: dict[str, Any], lang: SiteLanguage | None = None) -> list[str]:
    """What was removed, generalized and suppressed, in sentences (keys the report has)."""
    lang = lang or load_language(LANGUAGES[0])
    _ = lang.gettext
    facts = []
    if "quasi_identifiers" in report:
        names = ", ".join(str(q) for q in report["quasi_identifiers"])
        facts.append(
            _("Columns that could identify someone in combination: {names}.").format(names=names)
        )
    if "k_required" in report:
        achieved = report.get("k_achieved", _("not reported"))
        facts.append(
            _(
                "Every combination of them is shared by at least {k} records"
                " (achieved: {achieved})."
            ).format(k=report["k_required"], achieved=achieved)
        )
    for attribute, level in sorted(report.get("generalization", {}).items()):
        facts.append(
            _("{attribute} is published at the level: {level}.").format(
                attribute=lang.label(str(attribute)), level=level
            )
        )
    if "records_suppressed" in report:
        facts.append(
            _(
                "{suppressed} of {records} records have one or more values shown as"
                ' "{withheld}" because they could not be made safe otherwise; no record was'
                " removed."
            ).format(
                suppressed=lang.number(report["records_suppressed"]),
                records=lang.number(report.get("records", 0)),
                withheld=_("withheld"),
            )
        )
    if "threshold" in report:
        threshold = int(report["threshold"])
        facts.append(
            _('Aggregate counts from 1 to {last} are shown as "{label}".').format(
                last=threshold - 1, label=suppressed_label("small_cell", threshold, lang)
            )
        )
    return facts


def _count_of(cell: Cell | None) -> tuple[float | None, str]:
    """(count, suppression) of a possibly missing cell (missing means zero)."""
    if cell is None:
        return 0.0, "none"
    return cell.count, cell.suppression


def _headline(metric: str, value: str, lang: SiteLanguage) -> str:
    """A headline value as shown: rates as percentages, counts with separators."""
    if value in ("", "withheld"):
        return lang.gettext("withheld")
    number = float(value)
    return lang.percent(number) if metric.startswith("share_") else lang.number(number)


def _change(metric: str, current: str, previous: str, lang: SiteLanguage) -> str:
    """The change of a headline figure against the previous period, in words."""
    _ = lang.gettext
    if "withheld" in (current, previous) or "" in (current, previous):
        return _("not available")
    now, before = float(current), float(previous)
    if metric.startswith("share_"):
        points = round((now - before) * 100)
        return _("{points} percentage points").format(points=f"{points:+d}")
    if before == 0:
        return _("not available")
    return lang.percent((now - before) / before, signed=True)


def _size(n: int, lang: SiteLanguage) -> str:
    """Human-readable file size."""
    if n < 1024:
        unit = lang.gettext("bytes")
        return f"{lang.number(n)} {unit}"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{lang.number(size, 1)} {unit}"
        size /= 1024
    return f"{lang.number(size, 1)} GB"


def _link_tree(source: Path, target: Path) -> None:
    """Copy a release folder into the site, hard-linking files when the filesystem allows."""
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:  # another filesystem: copy instead
            shutil.copy2(path, dest)


def _dataset_jsonld(release: Release) -> dict[str, Any]:
    """schema.org Dataset description of ``release`` for search engines."""
    package = release.package
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": package.get("title", package.get("name", "Lantern release")),
        "version": release.version,
        "datePublished": release.created,
        "license": (package.get("licenses") or [{}])[0].get("path", release.licence),
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": r.get("mediatype", "text/csv"),
                "contentUrl": f"releases/{release.version}/{r['path']}",
            }
            for r in package.get("resources", [])
        ],
    }


def _atom(releases: list[Release]) -> str:
    """An Atom feed with one entry per release, newest first (dates from the releases)."""
    latest = releases[-1]
    entries = "".join(
        "  <entry>\n"
        f"    <title>Release {xml_escape(r.version)}</title>\n"
        f"    <id>urn:lantern:release:{xml_escape(r.version)}</id>\n"
        f"    <updated>{xml_escape(r.created)}T00:00:00Z</updated>\n"
        f'    <link href="releases/{xml_escape(r.version)}/datapackage.json"/>\n'
        f"    <summary>Data release {xml_escape(r.version)}, licence "
        f"{xml_escape(r.licence)}.</summary>\n"
        "  </entry>\n"
        for r in reversed(releases)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <title>Lantern data releases</title>\n"
        "  <id>urn:lantern:releases</id>\n"
        f"  <updated>{xml_escape(latest.created)}T00:00:00Z</updated>\n"
        "  <author><name>Lantern</name></author>\n"
        f"{entries}</feed>\n"
    )


def build_site(releases_root: Path, out: Path) -> Timings:
    """Build the static site from every release under ``releases_root`` into ``out``.

    The first language of ``LANGUAGES`` goes to ``out``, every other one to ``out/<code>``.
    Raises ``FileNotFoundError`` when there is no release (or a language's catalog is not
    compiled). ``out`` is replaced. MkDocs runs in strict mode: any warning fails the build.
    """
    releases = find_releases(releases_root)
    if not releases:
        raise FileNotFoundError(f"no release under {releases_root}")
    languages = [load_language(code) for code in LANGUAGES]
    total = Timings()
    for lang in languages:
        # The root language first: its MkDocs build empties ``out``, the others then add to it.
        site_dir = out if lang.code == LANGUAGES[0] else out / lang.code
        timings = _build_language(releases, site_dir, lang)
        total.render += timings.render
        total.charts += timings.charts
        total.mkdocs += timings.mkdocs
    return total


def _alternate(lang: SiteLanguage) -> dict[str, str]:
    """Where a page of ``lang`` finds itself in the other language (the language switch)."""
    if lang.code == LANGUAGES[0]:
        other = LANGUAGES[1]
        return {"lang": other, "name": load_language(other).name, "prefix": f"{other}/"}
    return {"lang": LANGUAGES[0], "name": load_language(LANGUAGES[0]).name, "prefix": "../"}


def _build_language(releases: list[Release], site_dir: Path, lang: SiteLanguage) -> Timings:
    """Render and assemble the site in one language into ``site_dir``."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    with tempfile.TemporaryDirectory(prefix="lantern-site-") as scratch:
        docs = Path(scratch) / "docs"
        docs.mkdir()
        builder = _Builder(releases, docs, lang)
        builder.build_pages()
        started = time.perf_counter()
        config = load_config(
            str(SITE_CONFIG),
            docs_dir=str(docs),
            site_dir=str(site_dir.resolve()),
            strict=True,
            site_name=lang.gettext("Police complaints data"),
            nav=[{lang.gettext(title): page} for title, page in NAV],
            extra={"lantern_alternate": _alternate(lang)},
        )
        config.theme["language"] = lang.code  # <html lang>, and the theme's own words
        if lang.code != LANGUAGES[0] and config.site_url:
            config.site_url = config.site_url.rstrip("/") + f"/{lang.code}/"
        build(config)
        builder.timings.mkdocs = time.perf_counter() - started
    return builder.timings


@click.group("site")
def site_group() -> None:
    """The statistics site."""


@site_group.command("build")
@click.option(
    "--releases",
    "releases",
    default="data_releases",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--out",
    "out",
    default="build/site",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
def site_build(releases: Path, out: Path) -> None:
    """Build the static statistics site from the releases (served by the portal at /data/)."""
    try:
        timings = build_site(releases, out)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"site built in {out} (render {timings.render:.1f} s, charts {timings.charts:.1f} s, "
        f"mkdocs {timings.mkdocs:.1f} s)"
    )
