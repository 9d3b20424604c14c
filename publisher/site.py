"""The statistics site: Markdown pages and SVG charts from data releases, assembled by MkDocs.

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

from publisher import site_charts
from publisher.site_charts import Cell, suppressed_label

#: The MkDocs project (configuration, theme overrides, hooks, hand-written pages). It is package
#: data, so an installed Lantern builds the site without a checkout.
SITE_CONFIG = Path(__file__).resolve().parent / "site_project" / "mkdocs.yml"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"
HAND_WRITTEN = SITE_CONFIG.parent / "pages"

# Files MkDocs stamps with the build time; everything else is byte-identical between builds.
STAMPED_FILES = ("sitemap.xml", "sitemap.xml.gz")

NAV: list[dict[str, str]] = [
    {"Overview": "index.md"},
    {"Complaints over time": "caseload.md"},
    {"Allegations and findings": "allegations.md"},
    {"By district": "districts.md"},
    {"By channel": "channels.md"},
    {"Time to resolution": "time-to-resolution.md"},
    {"Complainants": "complainants.md"},
    {"Officers": "officers.md"},
    {"Downloads": "downloads.md"},
    {"Data dictionary": "dictionary.md"},
    {"Methodology and privacy": "methodology.md"},
    {"Earlier releases": "archive.md"},
    {"About": "about.md"},
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


def _shown(cell: Cell, threshold: int) -> str:
    """A cell as the tables show it: the count, or the suppression words."""
    if cell.count is None:
        return suppressed_label(cell.suppression, threshold)
    return f"{cell.count:,.0f}"


def _md(value: object) -> str:
    """Escape a value for a Markdown table cell (pipes and HTML)."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def _humanize(code: str) -> str:
    """``use_of_force`` -> ``Use of force`` for headings and labels."""
    return code.replace("_", " ").capitalize() if code else code


class _Builder:
    """Renders one site: pages into ``docs``, charts into ``docs/charts``."""

    def __init__(self, releases: list[Release], docs: Path) -> None:
        self.releases = releases
        self.latest = releases[-1]
        self.docs = docs
        self.timings = Timings()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            undefined=jinja2.StrictUndefined,
            # Output is Markdown, not HTML: every value goes through the |md filter instead.
            autoescape=False,  # noqa: S701
            keep_trailing_newline=True,
        )
        self.env.filters["md"] = _md
        self.env.filters["human"] = _humanize

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
        noun: str,
        intro: str,
        facts: list[tuple[str, str]] | None = None,
    ) -> None:
        """A page with one bar chart, its one-sentence summary and its table."""
        threshold = self.latest.threshold
        rows = self.latest.aggregates.get(aggregate, [])
        cells = [_cell(r, _humanize(r[column])) for r in rows]
        started = time.perf_counter()
        svg = site_charts.bar_chart(cells, title=title, xlabel=noun, threshold=threshold)
        self.timings.charts += time.perf_counter() - started
        chart = self.chart(name.removesuffix(".md"), svg)
        known = [c for c in cells if c.count is not None]
        if known:
            top = max(known, key=lambda c: c.count or 0)
            summary = f"The largest group is {top.label} with {_shown(top, threshold)} {noun}."
        else:
            summary = "Every figure on this page is withheld to protect privacy."
        hidden = len(cells) - len(known)
        if hidden:
            summary += f" {hidden} of {len(cells)} figures are suppressed (shown hatched)."
        table = [(c.label, _shown(c, threshold)) for c in cells]
        self.page(
            name,
            "dimension.md.j2",
            title=title,
            intro=intro,
            facts=facts or [],
            chart=chart,
            summary=summary,
            column=_humanize(column),
            noun=noun,
            table=table,
        )

    def overview(self) -> None:
        """Headline figures with the change against the previous 12 months."""
        values: dict[tuple[str, str], str] = {}
        span: dict[str, str] = {}
        for row in self.latest.aggregates.get("headline", []):
            values[(row["metric"], row["period"])] = row["value"]
            span[row["period"]] = f"{row['period_start']} to {row['period_end']}"
        labels = {
            "complaints_received": "Complaints received",
            "complaints_closed": "Complaints closed",
            "share_with_sustained": "Closed complaints with a sustained allegation",
            "median_days_to_close": "Median days to close",
            "p90_days_to_close": "90th percentile of days to close",
        }
        figures = []
        for metric, label in labels.items():
            current = values.get((metric, "current_12_months"), "withheld")
            previous = values.get((metric, "previous_12_months"), "withheld")
            figures.append(
                (
                    label,
                    _headline(metric, current),
                    _headline(metric, previous),
                    _change(metric, current, previous),
                )
            )
        self.page(
            "index.md",
            "index.md.j2",
            figures=figures,
            current_span=span.get("current_12_months", "the last 12 months"),
            previous_span=span.get("previous_12_months", "the 12 months before"),
        )

    def caseload(self) -> None:
        """Complaints received vs closed per month, and the open backlog."""
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
            {"Received": series("received"), "Closed": series("closed")},
            title="Complaints received and closed per month",
            ylabel="complaints",
        )
        backlog = site_charts.line_chart(
            months,
            {"Open at month end": series("open_at_month_end")},
            title="Open complaints at the end of each month",
            ylabel="complaints",
        )
        self.timings.charts += time.perf_counter() - started
        table = [
            (
                m,
                *(
                    _shown(by[(m, k)], threshold) if (m, k) in by else "not published"
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
            received=f"{received:,.0f}",
            closed=f"{closed:,.0f}",
        )

    def allegations(self) -> None:
        """Findings per category with the sustain rate, and discipline for sustained ones."""
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
                rate = "withheld"
            else:
                total = sum(c.count or 0 for c in cells)
                sustained = grid.get((category, "sustained"), Cell("", 0.0)).count or 0
                rate = f"{sustained / total:.0%}" if total else "no allegations"
            table.append((_humanize(category), *(_shown(c, threshold) for c in cells), rate))
            sustained_cells.append(
                Cell(_humanize(category), *_count_of(grid.get((category, "sustained"))))
            )
        started = time.perf_counter()
        svg = site_charts.bar_chart(
            sustained_cells,
            title="Sustained allegations by category",
            xlabel="sustained allegations",
            threshold=threshold,
        )
        self.timings.charts += time.perf_counter() - started
        self.page(
            "allegations.md",
            "allegations.md.j2",
            chart=self.chart("allegations-sustained", svg),
            findings=[_humanize(f) for f in findings],
            table=table,
            categories=len(categories),
        )

    def resolution_facts(self) -> list[tuple[str, str]]:
        """Median and 90th percentile of days to close, current period (from the headline)."""
        values = {
            r["metric"]: r["value"]
            for r in self.latest.aggregates.get("headline", [])
            if r["period"] == "current_12_months"
        }
        return [
            (
                "Median days to close, last 12 months",
                _headline("d", values.get("median_days_to_close", "")),
            ),
            (
                "90th percentile of days to close",
                _headline("d", values.get("p90_days_to_close", "")),
            ),
        ]

    def archive(self) -> None:
        """One small page per earlier release (headline figures and its files), and their index."""
        (self.docs / "archive").mkdir(exist_ok=True)
        earlier = list(reversed(self.releases[:-1]))
        for release in earlier:
            figures = [
                (_humanize(r["metric"]), _headline(r["metric"], r["value"]))
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

    def downloads(self) -> None:
        """Every release's files (size, sha256), citation, JSON-LD and the Atom feed."""
        entries = []
        for release in reversed(self.releases):
            target = self.docs / "releases" / release.version
            _link_tree(release.path, target)
            files = []
            for resource in release.package.get("resources", []):
                files.append(
                    (
                        resource["name"],
                        f"releases/{release.version}/{resource['path']}",
                        _size(int(resource.get("bytes", 0))),
                        str(resource.get("hash", "")).removeprefix("sha256:"),
                    )
                )
            entries.append((release, files))
        jsonld = json.dumps(_dataset_jsonld(self.latest), indent=2, sort_keys=True)
        self.page("downloads.md", "downloads.md.j2", entries=entries, jsonld=jsonld)
        (self.docs / "feed.xml").write_text(_atom(self.releases), encoding="utf-8")

    def dictionary(self) -> None:
        """One table per resource from its Table Schema."""
        tables = []
        for resource in self.latest.package.get("resources", []):
            fields = resource.get("schema", {}).get("fields", [])
            tables.append((resource["name"], fields))
        self.page("dictionary.md", "dictionary.md.j2", tables=tables)

    def methodology(self) -> None:
        """The policy and disclosure report of the newest release."""
        report = self.latest.report
        self.page(
            "methodology.md",
            "methodology.md.j2",
            facts=_disclosure_facts(report),
            report=[(k, json.dumps(v, sort_keys=True)) for k, v in sorted(report.items())],
            policy=self.latest.policy,
        )

    def build_pages(self) -> None:
        """Render every page of the site into ``docs``."""
        self.overview()
        self.caseload()
        self.allegations()
        dims = [
            (
                "districts.md",
                "complaints_by_district",
                "district",
                "Complaints by district",
                "complaints",
                "Closed complaints by the district where the incident happened.",
            ),
            (
                "channels.md",
                "complaints_by_channel",
                "channel",
                "Complaints by channel",
                "complaints",
                "How complainants reached the office.",
            ),
            (
                "time-to-resolution.md",
                "days_to_close",
                "bucket",
                "Days from receipt to closure",
                "complaints",
                "How long closed complaints took, in days.",
            ),
            (
                "officers.md",
                "officer_complaint_counts",
                "complaints_per_officer",
                "Officers by number of complaints",
                "officers",
                "How many officers were named in 1, 2, 3 to 5, or 6 or more complaints.",
            ),
            (
                "discipline.md",
                "discipline_sustained",
                "discipline",
                "Discipline for sustained allegations",
                "allegations",
                "The discipline imposed when an allegation was sustained.",
            ),
        ]
        for name, aggregate, column, title, noun, intro in dims:
            facts = self.resolution_facts() if name == "time-to-resolution.md" else None
            self.dimension_page(
                name, aggregate, column, title=title, noun=noun, intro=intro, facts=facts
            )
        self.archive()
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
        threshold = self.latest.threshold
        rows = self.latest.aggregates.get("complainant_demographics", [])
        sections = []
        for attribute in ("age_band", "gender", "race"):
            cells = [_cell(r, _humanize(r["value"])) for r in rows if r["attribute"] == attribute]
            if not cells:
                continue
            started = time.perf_counter()
            svg = site_charts.bar_chart(
                cells,
                title=f"Complainants by {_humanize(attribute).lower()}",
                xlabel="complainants",
                threshold=threshold,
            )
            self.timings.charts += time.perf_counter() - started
            hidden = sum(1 for c in cells if c.count is None)
            sections.append(
                (
                    _humanize(attribute),
                    self.chart(f"complainants-{attribute}", svg),
                    f"{len(cells)} groups, {hidden} of them suppressed to protect privacy.",
                    [(c.label, _shown(c, threshold)) for c in cells],
                )
            )
        self.page("complainants.md", "complainants.md.j2", sections=sections)


def _disclosure_facts(report: dict[str, Any]) -> list[str]:
    """What was removed, generalized and suppressed, in sentences (keys the report has)."""
    facts = []
    if "quasi_identifiers" in report:
        names = ", ".join(str(q) for q in report["quasi_identifiers"])
        facts.append(f"Columns that could identify someone in combination: {names}.")
    if "k_required" in report:
        achieved = report.get("k_achieved", "not reported")
        facts.append(
            f"Every combination of them is shared by at least {report['k_required']} records"
            f" (achieved: {achieved})."
        )
    for attribute, level in sorted(report.get("generalization", {}).items()):
        facts.append(f"{_humanize(str(attribute))} is published at the level: {level}.")
    if "records_suppressed" in report:
        facts.append(
            f"{report['records_suppressed']:,} of {report.get('records', 0):,} records have one"
            ' or more values shown as "withheld" because they could not be made safe otherwise;'
            " no record was removed."
        )
    if "threshold" in report:
        facts.append(
            f"Aggregate counts from 1 to {int(report['threshold']) - 1} are shown as"
            f' "fewer than {report["threshold"]}".'
        )
    return facts


def _count_of(cell: Cell | None) -> tuple[float | None, str]:
    """(count, suppression) of a possibly missing cell (missing means zero)."""
    if cell is None:
        return 0.0, "none"
    return cell.count, cell.suppression


def _headline(metric: str, value: str) -> str:
    """A headline value as shown: rates as percentages, counts with separators."""
    if value in ("", "withheld"):
        return "withheld"
    number = float(value)
    return f"{number:.0%}" if metric.startswith("share_") else f"{number:,.0f}"


def _change(metric: str, current: str, previous: str) -> str:
    """The change of a headline figure against the previous period, in words."""
    if "withheld" in (current, previous) or "" in (current, previous):
        return "not available"
    now, before = float(current), float(previous)
    if metric.startswith("share_"):
        return f"{(now - before) * 100:+.0f} percentage points"
    if before == 0:
        return "not available"
    return f"{(now - before) / before:+.0%}"


def _size(n: int) -> str:
    """Human-readable file size."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} GB"


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
                "encodingFormat": "text/csv",
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

    Raises ``FileNotFoundError`` when there is no release. ``out`` is replaced. MkDocs runs in
    strict mode: any warning fails the build.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    releases = find_releases(releases_root)
    if not releases:
        raise FileNotFoundError(f"no release under {releases_root}")
    with tempfile.TemporaryDirectory(prefix="lantern-site-") as scratch:
        docs = Path(scratch) / "docs"
        docs.mkdir()
        builder = _Builder(releases, docs)
        builder.build_pages()
        started = time.perf_counter()
        config = load_config(
            str(SITE_CONFIG),
            docs_dir=str(docs),
            site_dir=str(out.resolve()),
            strict=True,
            nav=[*NAV[:3], {"Discipline": "discipline.md"}, *NAV[3:]],
        )
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
