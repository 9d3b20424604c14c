"""The commission report of a period (a quarter ``2026-Q3`` or a year ``2026``), from a release.

The only input is a published release folder (``data_releases/<version>/``), never the database:
the report shows nothing the release does not already publish. Its figures:

- **caseload** (received, closed, open at the end): sums of the months of
  ``agg_caseload_by_month.csv`` (every complaint, open ones included). A sum is withheld when one
  of its months is (the sum would give the hidden month away);
- everything else is counted from the record tables (``complaints.csv``, ``allegations.csv``) for
  the complaints **closed in the period**: a complaint is in the period when its published
  ``closed_period`` (a month, quarter or year, as the release's anonymizer generalized it) lies
  inside it. A complaint whose period is ``withheld``, or coarser than the report's period and
  overlapping it (a year for a quarter report), is counted in no period: the report says how many;
- counts from 1 to threshold - 1 are shown as "fewer than N", with complementary suppression
  (``publisher.suppression``, the same rules and threshold as the site and the release's
  aggregates); shares and days rest on at least ``threshold`` complaints or are withheld (as the
  release's headline);
- each figure is compared with the previous period and the same period a year before;
  "not available" when the release has no data for a period (before its first month, after its
  last) or a figure is withheld.

Appeals come from ``public_status`` (the release publishes whether an appeal was requested or
decided, not its outcome); satisfaction is not in releases, and the report says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from portal.vocabulary import AllegationCategory, Channel, Discipline, Finding
from publisher.aggregate import DAYS_BUCKETS, nearest_rank, one_way
from publisher.package import version_key

WITHHELD = "withheld"
SMALL_CELL = "small_cell"
COMPLEMENTARY = "complementary"
NOT_AVAILABLE = "not_available"
SHOWN = "none"
APPEAL_STATUSES = ("closed", "appeal_requested", "appeal_decided")
HEADLINE = (
    "received",
    "closed",
    "open_at_end",
    "closed_published",
    "share_with_sustained",
    "median_days_to_close",
    "p90_days_to_close",
    "allegations",
    "allegations_sustained",
)
_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


class ReportError(ValueError):
    """The report cannot be built (bad period, no release, a release without its files)."""


@dataclass(frozen=True)
class Period:
    """A report period: a calendar quarter or year (first and last day)."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def is_year(self) -> bool:
        """True for a whole-year period."""
        return "-Q" not in self.label

    def shifted(self, quarters: int) -> Period:
        """The period ``quarters`` quarters earlier (a year period moves by whole years)."""
        if self.is_year:
            return parse_period(str(self.start.year - max(1, quarters // 4)))
        index = self.start.year * 4 + (self.start.month - 1) // 3 - quarters
        return parse_period(f"{index // 4}-Q{index % 4 + 1}")


def parse_period(text: str) -> Period:
    """``2026-Q3`` or ``2026`` as a ``Period``; raises ``ReportError`` for anything else."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ReportError(f"period {text!r} is not a quarter (2026-Q3) or a year (2026)")
    year = int(match.group(1))
    if match.group(2) is None:
        return Period(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))
    quarter = int(match.group(2))
    start = dt.date(year, quarter * 3 - 2, 1)
    end = _month_end(dt.date(year, quarter * 3, 1))
    return Period(f"{year}-Q{quarter}", start, end)


def _month_end(month: dt.date) -> dt.date:
    """Last day of ``month``'s month."""
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def published_bounds(text: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a published period (``YYYY-MM``, ``YYYY-Qn``, ``YYYY``); None for
    ``withheld``, empty or anything else."""
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        start = dt.date(int(text[:4]), int(text[5:]), 1)
        return start, _month_end(start)
    if _PERIOD.match(text):
        period = parse_period(text)
        return period.start, period.end
    return None


@dataclass(frozen=True)
class Figure:
    """One figure of the report: ``value`` when shown, else None and ``status`` says why
    (``small_cell``: 1 to threshold - 1; ``complementary`` / ``withheld``: hidden for privacy;
    ``not_available``: the release has no data for it). ``band`` is set instead of ``value``
    for a figure the release only allows as a band of days (``31-60``)."""

    value: float | None
    status: str = SHOWN
    band: str | None = None

    @property
    def shown(self) -> bool:
        """True when the figure has a value to show."""
        return self.value is not None


NA = Figure(None, NOT_AVAILABLE)


@dataclass
class PeriodFigures:
    """Every figure of one period (the report's, or a comparison period)."""

    period: Period
    coverage: str  # "full", "partial" or "none"
    headline: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, dict[str, Figure]] = field(default_factory=dict)
    #: Closed complaints overlapping the period that cannot be placed in it (coarser period).
    unplaced: int = 0


@dataclass
class Report:
    """A commission report: the period, its comparisons, and where the figures come from."""

    period: Period
    release_version: str
    release_created: str
    data_first: str
    data_through: str
    threshold: int
    periods: dict[str, PeriodFigures]  # "current", "previous", "year_before"
    #: Published complaints whose closed period is withheld / whose received period is.
    closed_withheld: int
    complaints_published: int
    disclosure: dict[str, Any]

    @property
    def current(self) -> PeriodFigures:
        """The report period's figures."""
        return self.periods["current"]

    def rows(self, table: str) -> list[str]:
        """Row keys of a breakdown table across the periods, in the first period's order."""
        keys: list[str] = []
        for figures in self.periods.values():
            for key in figures.tables.get(table, {}):
                if key not in keys:
                    keys.append(key)
        return keys


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ReportError(f"the release has no {path.name} ({path})")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def find_release(root: Path, version: str | None = None) -> Path:
    """The folder of release ``version`` under ``root``, or the newest one; raises
    ``ReportError`` when there is none."""
    if version is not None:
        folder = root / version
        if not (folder / "datapackage.json").is_file():
            raise ReportError(f"there is no release {version} in {root}")
        return folder
    folders = []
    for path in root.iterdir() if root.is_dir() else []:
        if (path / "datapackage.json").is_file():
            try:
                folders.append((version_key(path.name), path))
            except ValueError:
                continue
    if not folders:
        raise ReportError(f"there is no release in {root}: publish one first (lantern publish)")
    return max(folders)[1]


def _placement(text: str, period: Period) -> str:
    """``in``, ``out`` or ``unplaced`` (overlaps the period, coarser) or ``withheld``."""
    bounds = published_bounds(text)
    if bounds is None:
        return WITHHELD if text == WITHHELD else "out"
    start, end = bounds
    if start >= period.start and end <= period.end:
        return "in"
    if end < period.start or start > period.end:
        return "out"
    return "unplaced"


def _figures(frame: pl.DataFrame, key: str) -> dict[str, Figure]:
    """A ``one_way`` frame as figures by row value."""
    out = {}
    for row in frame.iter_rows(named=True):
        kind = row["suppression"]
        value = None if kind != SHOWN else float(row["count"])
        out[str(row[key])] = Figure(value, kind)
    return out


def _count(n: int, threshold: int) -> Figure:
    """A headline count: shown when 0 or at least the threshold, else a small cell."""
    return Figure(float(n)) if n == 0 or n >= threshold else Figure(None, SMALL_CELL)


def _caseload(months: dict[tuple[str, str], dict[str, str]], period: Period) -> dict[str, Figure]:
    """Received, closed (sums of the period's months) and open at the period's last month."""
    labels = []
    month = period.start
    while month <= period.end:
        labels.append(f"{month:%Y-%m}")
        month = _month_end(month) + dt.timedelta(days=1)
    out: dict[str, Figure] = {}
    for measure in ("received", "closed"):
        rows = [months.get((m, measure)) for m in labels]
        if any(r is None for r in rows):
            out[measure] = NA
        elif any(r["suppression"] != SHOWN for r in rows if r is not None):
            out[measure] = Figure(None, WITHHELD)
        else:
            out[measure] = Figure(float(sum(int(r["count"]) for r in rows if r is not None)))
    last = months.get((labels[-1], "open_at_month_end"))
    if last is None:
        out["open_at_end"] = NA
    elif last["suppression"] != SHOWN:
        out["open_at_end"] = Figure(None, last["suppression"])
    else:
        out["open_at_end"] = Figure(float(last["count"]))
    return out


def _number(value: float) -> float:
    return round(value, 4)


@dataclass
class ReleaseData:
    """What the report reads from a release, read once (a site build makes many reports).

    ``complaints`` and ``allegations`` are the record tables as text (polars, so a million
    complaints take seconds); each allegation carries its complaint's ``closed_period`` and
    each complaint ``has_sustained``.
    """

    folder: Path
    package: dict[str, Any]
    disclosure: dict[str, Any]
    threshold: int
    complaints: pl.DataFrame
    allegations: pl.DataFrame
    months: dict[tuple[str, str], dict[str, str]]
    month_labels: list[str]
    data_through: str
    coverage: tuple[dt.date, dt.date]
    #: True when ``days_to_close`` is exact (older releases), False when it is a band.
    exact_days: bool = True
    #: ``complaints`` and ``allegations`` split by published closed period (a few dozen
    #: values): a report period takes the parts inside it instead of filtering every row.
    complaints_by_period: dict[str, pl.DataFrame] = field(default_factory=dict)
    allegations_by_period: dict[str, pl.DataFrame] = field(default_factory=dict)

    def closed_in(self, periods: Sequence[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(complaints, allegations) whose closed period is one of ``periods``."""
        complaints = [self.complaints_by_period[p] for p in periods]
        allegations = [
            self.allegations_by_period[p] for p in periods if p in self.allegations_by_period
        ]
        return (
            pl.concat(complaints) if complaints else self.complaints.clear(),
            pl.concat(allegations) if allegations else self.allegations.clear(),
        )


def _read_table(path: Path, columns: Sequence[str]) -> pl.DataFrame:
    """``columns`` of a release CSV as text (an empty cell is ``""``)."""
    if not path.is_file():
        raise ReportError(f"the release has no {path.name} ({path})")
    frame = pl.read_csv(path, columns=list(columns), infer_schema=False)
    return frame.with_columns(pl.col(c).fill_null("") for c in columns)


def load_release_data(folder: Path) -> ReleaseData:
    """Read the release in ``folder`` for reports; raises ``ReportError`` when it is not a
    complete release."""
    package_path = folder / "datapackage.json"
    if not package_path.is_file():
        raise ReportError(f"{folder} is not a release (no datapackage.json)")
    package = json.loads(package_path.read_text(encoding="utf-8"))
    disclosure_path = folder / "disclosure-report.json"
    disclosure = (
        json.loads(disclosure_path.read_text(encoding="utf-8")) if disclosure_path.is_file() else {}
    )
    threshold = int(disclosure.get("threshold", 0))
    if threshold < 2:
        raise ReportError(f"{folder}: the disclosure report does not give the threshold")
    complaints = _read_table(
        folder / "data" / "complaints.csv",
        ("complaint_id", "closed_period", "days_to_close", "channel", "district", "public_status"),
    )
    allegations = _read_table(
        folder / "data" / "allegations.csv", ("complaint_id", "category", "finding", "discipline")
    )
    sustained = (
        allegations.filter(pl.col("finding") == Finding.SUSTAINED.value)
        .get_column("complaint_id")
        .unique()
    )
    complaints = complaints.with_columns(
        pl.col("complaint_id").is_in(sustained.implode()).alias("has_sustained"),
        pl.col("days_to_close").cast(pl.Int64, strict=False).alias("days"),
    )
    # Older releases publish exact days, newer ones a band (``31-60``): both get a band column.
    complaints = complaints.with_columns(
        pl.coalesce(_band_of_days(pl.col("days")), pl.col("days_to_close")).alias("band")
    )
    exact = complaints.filter(
        pl.col("days").is_null() & ~pl.col("days_to_close").is_in(["", WITHHELD])
    ).is_empty()
    allegations = allegations.join(
        complaints.select("complaint_id", "closed_period"),
        on="complaint_id",
        how="left",
        maintain_order="left",
    )
    months = {
        (r["month"], r["measure"]): r
        for r in _read_csv(folder / "data" / "agg_caseload_by_month.csv")
    }
    month_labels = sorted({m for m, _ in months})
    through = str(disclosure.get("extraction", {}).get("data_through", "")) or (
        month_labels[-1] if month_labels else ""
    )
    first = published_bounds(month_labels[0]) if month_labels else None
    last = published_bounds(through)
    if first is None or last is None:
        raise ReportError(f"{folder}: the release has no months of data")
    return ReleaseData(
        folder=folder,
        package=package,
        disclosure=disclosure,
        threshold=threshold,
        complaints=complaints,
        allegations=allegations,
        months=months,
        month_labels=month_labels,
        data_through=through,
        coverage=(first[0], last[1]),
        exact_days=exact,
        complaints_by_period=_split(complaints),
        allegations_by_period=_split(allegations),
    )


def _band_of_days(days: pl.Expr) -> pl.Expr:
    """The ``DAYS_BUCKETS`` band of a number of days (null stays null)."""
    chain: Any = pl
    for label, low, high in DAYS_BUCKETS:
        inside = days >= low if high is None else (days >= low) & (days <= high)
        chain = chain.when(inside).then(pl.lit(label))
    return chain.otherwise(None)  # type: ignore[no-any-return]


def _band_start(band: str) -> int:
    """The first day of a band (``31-60`` → 31, ``366+`` → 366), for ordering bands."""
    number = re.match(r"\d+", band)
    return int(number.group()) if number else 0


def _split(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """``frame``'s rows by their ``closed_period`` value."""
    parts = frame.partition_by("closed_period", as_dict=True, maintain_order=True)
    return {str(key[0]): part for key, part in parts.items()}


def _tally(column: pl.Series, vocabulary: Sequence[str]) -> dict[str, int]:
    """Count of each value (empty as ``unknown``), with the vocabulary present as 0."""
    tally = dict.fromkeys(vocabulary, 0)
    for value, n in column.replace("", "unknown").value_counts(sort=True).iter_rows():
        tally[str(value)] = tally.get(str(value), 0) + int(n)
    return tally


def period_figures(period: Period, data: ReleaseData) -> PeriodFigures:
    """Every figure of ``period`` (see the module docstring for the rules)."""
    first, last = data.coverage
    if period.end < first or period.start > last:
        state = "none"
    elif period.start < first or period.end > last:
        state = "partial"
    else:
        state = "full"
    result = PeriodFigures(period, state)
    if state == "none":
        result.headline = dict.fromkeys(HEADLINE, NA)
        return result
    placed = {text: _placement(text, period) for text in data.complaints_by_period}
    inside = [text for text, where in placed.items() if where == "in"]
    result.unplaced = sum(
        data.complaints_by_period[text].height
        for text, where in placed.items()
        if where == "unplaced"
    )
    closed, rows = data.closed_in(inside)
    sustained = rows.filter(pl.col("finding") == Finding.SUSTAINED.value)
    t = data.threshold
    head = _caseload(data.months, period)
    n = closed.height
    head["closed_published"] = _count(n, t)
    with_sustained = int(closed.get_column("has_sustained").sum())
    without = n - with_sustained
    if n < t or 0 < with_sustained < t or 0 < without < t:
        head["share_with_sustained"] = Figure(None, WITHHELD)
    else:
        head["share_with_sustained"] = Figure(_number(with_sustained / n))
    if data.exact_days:
        known = closed.get_column("days").drop_nulls().sort()
        days = known.to_list()
        if len(days) < t:
            head["median_days_to_close"] = head["p90_days_to_close"] = Figure(None, WITHHELD)
        else:
            middle = len(days) // 2
            median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
            head["median_days_to_close"] = Figure(float(median))
            head["p90_days_to_close"] = Figure(float(nearest_rank(days, 0.9)))
    else:
        # Bands only: the band holding the median (nearest rank) and the 90th percentile.
        bands = sorted(
            (b for b in closed.get_column("band").to_list() if b not in ("", WITHHELD, None)),
            key=_band_start,
        )
        if len(bands) < t:
            head["median_days_to_close"] = head["p90_days_to_close"] = Figure(None, WITHHELD)
        else:
            head["median_days_to_close"] = Figure(None, band=bands[math.ceil(len(bands) / 2) - 1])
            head["p90_days_to_close"] = Figure(None, band=bands[math.ceil(0.9 * len(bands)) - 1])
    head["allegations"] = _count(rows.height, t)
    head["allegations_sustained"] = _count(sustained.height, t)
    result.headline = head

    def table(name: str, column: pl.Series, vocabulary: Sequence[str]) -> None:
        tally = _tally(column, vocabulary)
        result.tables[name] = _figures(one_way("value", tally, vocabulary, t), "value")

    table("district", closed.get_column("district"), [])
    table("channel", closed.get_column("channel"), [c.value for c in Channel])
    table("category", rows.get_column("category"), [c.value for c in AllegationCategory])
    table(
        "finding",
        rows.get_column("finding").replace("", "none"),
        [f.value for f in Finding],
    )
    table("discipline", sustained.get_column("discipline"), [d.value for d in Discipline])
    table("appeal", closed.get_column("public_status"), list(APPEAL_STATUSES))
    # Complaints whose days are withheld or not recorded are not in this table (as on the site).
    banded = closed.get_column("band")
    vocabulary = [label for label, _, _ in DAYS_BUCKETS]
    tally = _tally(banded.filter(~banded.is_in(["", WITHHELD])), vocabulary)
    order = sorted(tally, key=_band_start)
    tally = {band: tally[band] for band in order}
    result.tables["days_to_close"] = _figures(one_way("value", tally, None, t), "value")
    return result


def build_report(release: Path | ReleaseData, period_text: str) -> Report:
    """The report of ``period_text`` (``2026-Q3`` / ``2026``) from a release folder (or its data
    already read with ``load_release_data``).

    Raises ``ReportError`` for a bad period or a folder that is not a complete release.
    """
    period = parse_period(period_text)
    data = release if isinstance(release, ReleaseData) else load_release_data(release)
    comparisons = {"current": period, "previous": period.shifted(1)}
    if not period.is_year:
        comparisons["year_before"] = period.shifted(4)
    periods = {key: period_figures(p, data) for key, p in comparisons.items()}
    return Report(
        period=period,
        release_version=str(data.package.get("version", data.folder.name)),
        release_created=str(data.package.get("created", ""))[:10],
        data_first=data.month_labels[0],
        data_through=data.data_through,
        threshold=data.threshold,
        periods=periods,
        closed_withheld=int((data.complaints.get_column("closed_period") == WITHHELD).sum()),
        complaints_published=data.complaints.height,
        disclosure=data.disclosure,
    )


def available_periods(folder: Path) -> list[str]:
    """Quarters, then years, that the release in ``folder`` has data for, newest first."""
    months = sorted({r["month"] for r in _read_csv(folder / "data" / "agg_caseload_by_month.csv")})
    return periods_of(months)


def periods_of(months: Sequence[str]) -> list[str]:
    """Quarters, then years, with at least one of ``months`` (``YYYY-MM``), newest first."""
    if not months:
        return []
    first, last = parse_period(months[0][:4]), int(months[-1][:4])
    quarters = sorted(
        {f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}" for m in months},
        key=lambda q: (int(q[:4]), q[-1]),
        reverse=True,
    )
    years = [str(y) for y in range(last, first.start.year - 1, -1)]
    return quarters + years


def change(metric: str, now: Figure, before: Figure) -> tuple[str, float] | None:
    """The change of a headline figure: ("points", percentage points) for a share, ("days",
    difference) for days, ("percent", relative change) for a count; None when either figure
    is not shown or a relative change has no base (0 before)."""
    if now.value is None or before.value is None:
        return None
    if metric.startswith("share_"):
        return "points", round((now.value - before.value) * 100, 1)
    if metric.endswith("_days_to_close"):
        return "days", now.value - before.value
    if before.value == 0:
        return None
    return "percent", (now.value - before.value) / before.value
