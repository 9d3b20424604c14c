"""The aggregate tables of a release (``data/agg_*.csv``), with small cells suppressed.

``build_aggregates`` turns the published record frames (already anonymized) plus the caseload
of every complaint (open ones too, dates only) into one polars frame per aggregate file, in the
long format of ``data_releases/README.md``: dimension columns, ``count`` (digits, or
``withheld``) and ``suppression`` (``none`` / ``small_cell`` / ``complementary``; see
``publisher.suppression`` for the rules). ``agg_headline.csv`` has ``metric``, ``period``,
``value``, ``period_start``, ``period_end`` instead. Every column is text so the CSV writer
cannot reformat a value; row order is fixed (vocabulary order, then alphabetical).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    Channel,
    Discipline,
    Finding,
    Gender,
    Race,
)
from publisher.policy import UNKNOWN, WITHHELD, Policy
from publisher.suppression import COMPLEMENTARY, NONE, SMALL_CELL, protect

#: Buckets of ``agg_days_to_close.csv``: (label, first day, last day or None).
DAYS_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    ("366+", 366, None),
)
#: Buckets of ``agg_officer_complaint_counts.csv``: (label, first, last or None).
OFFICER_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-5", 3, 5),
    ("6+", 6, None),
)
HEADLINE_METRICS: tuple[str, ...] = (
    "complaints_received",
    "complaints_closed",
    "share_with_sustained",
    "median_days_to_close",
    "p90_days_to_close",
)
UNIDENTIFIED = "unidentified"


@dataclass(frozen=True)
class AggregateInputs:
    """What the aggregates are built from.

    ``complaints``: the published (closed) complaints: ``complaint_id``, ``channel``,
    ``district`` (the published value), ``days_to_close`` (integer, null if unknown) and the
    internal ``closed_at`` (Date/Datetime, null if unknown; used for the headline windows only).
    ``allegations``: ``complaint_id``, ``officer_id`` (published pseudonym or ``unidentified``),
    ``category``, ``finding``, ``discipline`` (null allowed).
    ``complainants``: the anonymized complainants: ``age_band``, ``gender``, ``race``.
    ``caseload``: every complaint, open or closed: ``received_at``, ``closed_at``
    (Date/Datetime; null while open).
    ``as_of``: any day of the last month of the current 12-month window (from the data or the
    version, never the clock, so a release is reproducible).
    """

    complaints: pl.DataFrame
    allegations: pl.DataFrame
    complainants: pl.DataFrame
    caseload: pl.DataFrame
    as_of: dt.date


@dataclass(frozen=True)
class Aggregates:
    """Aggregate frames by file name, and suppressed cells per file by kind."""

    tables: dict[str, pl.DataFrame]
    suppressed: dict[str, dict[str, int]] = field(default_factory=dict)


def build_aggregates(inputs: AggregateInputs, policy: Policy) -> Aggregates:
    """Build every ``agg_*.csv`` frame of the release contract (file name → frame).

    Counts from 1 to ``policy.threshold - 1`` are withheld (``small_cell``) and complementary
    cells are withheld so none can be recovered from the published or derivable totals.
    """
    t = policy.threshold
    tables: dict[str, pl.DataFrame] = {}
    counts = inputs.complaints
    tables["agg_complaints_by_district.csv"] = one_way(
        "district", _tally(counts.get_column("district")), _order(None), t
    )
    tables["agg_complaints_by_channel.csv"] = one_way(
        "channel",
        _tally(counts.get_column("channel"), [c.value for c in Channel]),
        _order([c.value for c in Channel]),
        t,
    )
    tables["agg_days_to_close.csv"] = one_way(
        "bucket", days_to_close_counts(counts.get_column("days_to_close")), None, t
    )
    allegations = inputs.allegations
    sustained = allegations.filter(pl.col("finding").cast(pl.Utf8) == Finding.SUSTAINED.value)
    tables["agg_discipline_sustained.csv"] = one_way(
        "discipline",
        _tally(sustained.get_column("discipline")),
        _order([d.value for d in Discipline]),
        t,
    )
    tables["agg_officer_complaint_counts.csv"] = one_way(
        "complaints_per_officer", officer_complaint_counts(allegations), None, t
    )
    tables["agg_allegations_by_category_finding.csv"] = category_finding(allegations, t)
    tables["agg_complainant_demographics.csv"] = demographics(inputs.complainants, t)
    tables["agg_caseload_by_month.csv"] = caseload_by_month(inputs.caseload, inputs.as_of, t)
    tables["agg_headline.csv"] = headline(inputs, t)
    suppressed = {
        name: {
            kind: int(frame.filter(pl.col("suppression") == kind).height)
            for kind in (SMALL_CELL, COMPLEMENTARY)
        }
        for name, frame in tables.items()
        if "suppression" in frame.columns
    }
    return Aggregates(dict(sorted(tables.items())), dict(sorted(suppressed.items())))


# --- ordering and counting -----------------------------------------------------------------

_NUMBER = re.compile(r"\d+")


def _order(vocabulary: Sequence[str] | None) -> list[str]:
    """The vocabulary values first, in their order (a key list for ``_sort_values``)."""
    return list(vocabulary or [])


def _sort_values(values: Iterable[str], vocabulary: Sequence[str]) -> list[str]:
    """Vocabulary values in vocabulary order, then others by their first number and name,
    with ``unknown`` and ``withheld`` last."""
    rank = {v: i for i, v in enumerate(vocabulary)}

    def key(value: str) -> tuple[int, int, int, str]:
        if value in (UNKNOWN, WITHHELD):
            return (2, 0, (UNKNOWN, WITHHELD).index(value), value)
        if value in rank:
            return (0, rank[value], 0, value)
        number = _NUMBER.search(value)
        first = 0 if value.startswith("under") or number is None else int(number.group())
        return (1, first, 0, value)

    return sorted(set(values), key=key)


def _tally(column: pl.Series, always: Sequence[str] = ()) -> dict[str, int]:
    """Count of each value (null and empty as ``unknown``), with ``always`` present as 0."""
    text = column.cast(pl.Utf8).fill_null(UNKNOWN).replace("", UNKNOWN)
    counted = text.value_counts()
    out = {value: 0 for value in always}
    for value, n in counted.iter_rows():
        out[str(value)] = int(n)
    return out


def _cells(counts: Sequence[int], kinds: Sequence[str]) -> tuple[list[str], list[str]]:
    """(count column, suppression column) as published text."""
    shown = [
        WITHHELD if kind != NONE else str(count) for count, kind in zip(counts, kinds, strict=True)
    ]
    return shown, list(kinds)


def one_way(
    dimension: str, tally: dict[str, int], vocabulary: Sequence[str] | None, threshold: int
) -> pl.DataFrame:
    """A 1-D aggregate: one row per value; the table's total counts as published.

    ``vocabulary`` orders the rows (None keeps ``tally``'s order, e.g. for buckets).
    """
    values = list(tally) if vocabulary is None else _sort_values(tally, vocabulary)
    counts = [tally[v] for v in values]
    kinds = protect(counts, [list(range(len(counts)))], threshold)
    shown, suppression = _cells(counts, kinds)
    return pl.DataFrame(
        {dimension: values, "count": shown, "suppression": suppression},
        schema={dimension: pl.Utf8, "count": pl.Utf8, "suppression": pl.Utf8},
    )


def days_to_close_counts(days: pl.Series) -> dict[str, int]:
    """Complaints per ``DAYS_BUCKETS`` bucket (unknown durations are not counted)."""
    known = days.drop_nulls().cast(pl.Int64)
    out = {}
    for label, low, high in DAYS_BUCKETS:
        hit = known >= low if high is None else (known >= low) & (known <= high)
        out[label] = int(hit.sum())
    return out


def officer_complaint_counts(allegations: pl.DataFrame) -> dict[str, int]:
    """Identified officers per ``OFFICER_BUCKETS`` bucket of distinct complaints."""
    per_officer = (
        allegations.filter(
            pl.col("officer_id").is_not_null() & (pl.col("officer_id") != UNIDENTIFIED)
        )
        .group_by("officer_id")
        .agg(pl.col("complaint_id").n_unique().alias("n"))
        .get_column("n")
    )
    out = {}
    for label, low, high in OFFICER_BUCKETS:
        hit = per_officer >= low if high is None else (per_officer >= low) & (per_officer <= high)
        out[label] = int(hit.sum())
    return out


def category_finding(allegations: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Allegations by category × finding: a complete grid of the values present (zeros shown);
    row, column and grand totals count as published."""
    frame = allegations.select(
        pl.col("category").cast(pl.Utf8).fill_null(UNKNOWN).alias("category"),
        pl.col("finding").cast(pl.Utf8).fill_null("none").replace("", "none").alias("finding"),
    )
    categories = _sort_values(
        frame.get_column("category").unique().to_list(), [c.value for c in AllegationCategory]
    )
    findings = _sort_values(
        frame.get_column("finding").unique().to_list(), [f.value for f in Finding]
    )
    counted = {
        (str(c), str(f)): int(n)
        for c, f, n in frame.group_by("category", "finding").agg(pl.len()).iter_rows()
    }
    cells = [(c, f) for c in categories for f in findings]
    counts = [counted.get(cell, 0) for cell in cells]
    kinds = protect(counts, [list(range(len(counts)))], threshold, (len(categories), len(findings)))
    shown, suppression = _cells(counts, kinds)
    return pl.DataFrame(
        {
            "category": [c for c, _ in cells],
            "finding": [f for _, f in cells],
            "count": shown,
            "suppression": suppression,
        },
        schema={n: pl.Utf8 for n in ("category", "finding", "count", "suppression")},
    )


def demographics(complainants: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Complainants by age band, gender and race (published values, ``withheld`` included);
    each attribute's total counts as published."""
    vocabularies = {
        "age_band": [a.value for a in AgeBand],
        "gender": [g.value for g in Gender],
        "race": [r.value for r in Race],
    }
    parts = []
    for attribute, vocabulary in vocabularies.items():
        tally = _tally(complainants.get_column(attribute))
        table = one_way("value", tally, vocabulary, threshold)
        parts.append(table.select(pl.lit(attribute).alias("attribute"), pl.all()))
    return pl.concat(parts)


def _month(day: dt.date) -> dt.date:
    """First day of ``day``'s month."""
    return day.replace(day=1)


def _add_months(month: dt.date, n: int) -> dt.date:
    """``month`` (a first day) moved by ``n`` months."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def windows(as_of: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """First months of the current and previous 12-month windows ending with ``as_of``'s month:
    ``{"current_12_months": (start, end), "previous_12_months": (start, end)}``."""
    end = _month(as_of)
    return {
        "current_12_months": (_add_months(end, -11), end),
        "previous_12_months": (_add_months(end, -23), _add_months(end, -12)),
    }


def _month_counts(dates: pl.Series) -> dict[dt.date, int]:
    """Count per first-of-month of a Date/Datetime series (nulls ignored)."""
    months = dates.drop_nulls().cast(pl.Date).dt.truncate("1mo")
    return {m: int(n) for m, n in months.value_counts().iter_rows()}


def caseload_by_month(caseload: pl.DataFrame, as_of: dt.date, threshold: int) -> pl.DataFrame:
    """Complaints received, closed and open at month end, every month from the first received
    to ``as_of``'s month.

    Lines treated as published: each measure's total over all months and over both headline
    windows, and each month's balance (open = open a month before + received - closed).
    """
    received = _month_counts(caseload.get_column("received_at"))
    closed = _month_counts(caseload.get_column("closed_at"))
    last = _month(as_of)
    if not received:
        return pl.DataFrame(
            schema={n: pl.Utf8 for n in ("month", "measure", "count", "suppression")}
        )
    first = min(received)
    months: list[dt.date] = []
    month = first
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    # Cases closed before the first month cannot exist (received first); closed before the
    # window start are counted in the first month's balance via the running totals.
    open_count = []
    running = 0
    for m in months:
        running += received.get(m, 0) - closed.get(m, 0)
        open_count.append(running)
    measures = ("received", "closed", "open_at_month_end")
    series = {
        "received": [received.get(m, 0) for m in months],
        "closed": [closed.get(m, 0) for m in months],
        "open_at_month_end": open_count,
    }
    n = len(months)

    def cell(measure: str, i: int) -> int:
        return i * 3 + measures.index(measure)

    counts = [series[measure][i] for i in range(n) for measure in measures]
    lines: list[list[int]] = [[cell(m, i) for i in range(n)] for m in measures]
    for start, end in windows(as_of).values():
        inside = [i for i, m in enumerate(months) if start <= m <= end]
        lines += [[cell(m, i) for i in inside] for m in ("received", "closed")]
    for i in range(n):
        balance = [cell("open_at_month_end", i), cell("received", i), cell("closed", i)]
        if i > 0:
            balance.append(cell("open_at_month_end", i - 1))
        lines.append(balance)
    kinds = protect(counts, lines, threshold)
    shown, suppression = _cells(counts, kinds)
    return pl.DataFrame(
        {
            "month": [m.strftime("%Y-%m") for m in months for _ in measures],
            "measure": [measure for _ in months for measure in measures],
            "count": shown,
            "suppression": suppression,
        },
        schema={n: pl.Utf8 for n in ("month", "measure", "count", "suppression")},
    )


def _number(value: float) -> str:
    """A headline number as text: integers without a decimal point, others to 4 places."""
    rounded = round(value, 4)
    return str(int(rounded)) if float(rounded).is_integer() else repr(rounded)


def _count_value(n: int, threshold: int) -> str:
    """A headline total: shown if 0 or at least the threshold, else withheld."""
    return str(n) if n == 0 or n >= threshold else WITHHELD


def nearest_rank(values: Sequence[int], q: float) -> int:
    """The ``q`` quantile by the nearest-rank method (``values`` sorted, non-empty)."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def headline(inputs: AggregateInputs, threshold: int) -> pl.DataFrame:
    """The headline metrics for the current and previous 12 months (``value`` as text).

    Received and closed come from the caseload; the share of closed complaints with at least one
    sustained allegation and the median/p90 days to close from the published complaints closed
    in the window. A figure resting on fewer than ``threshold`` complaints (or a share whose
    sustained or not-sustained count is between 1 and threshold - 1) is ``withheld``.
    """
    sustained_ids = set(
        inputs.allegations.filter(pl.col("finding").cast(pl.Utf8) == Finding.SUSTAINED.value)
        .get_column("complaint_id")
        .to_list()
    )
    caseload = inputs.caseload.select(
        pl.col("received_at").cast(pl.Date).dt.truncate("1mo").alias("r"),
        pl.col("closed_at").cast(pl.Date).dt.truncate("1mo").alias("c"),
    )
    complaints = inputs.complaints.select(
        "complaint_id",
        pl.col("closed_at").cast(pl.Date).dt.truncate("1mo").alias("c"),
        pl.col("days_to_close").cast(pl.Int64).alias("d"),
    )
    rows = []
    for period, (start, end) in windows(inputs.as_of).items():
        received = caseload.filter(pl.col("r").is_between(start, end)).height
        closed = caseload.filter(pl.col("c").is_between(start, end)).height
        window = complaints.filter(pl.col("c").is_between(start, end))
        ids = window.get_column("complaint_id").to_list()
        with_sustained = sum(1 for i in ids if i in sustained_ids)
        n = len(ids)
        without = n - with_sustained
        if n < threshold or 0 < with_sustained < threshold or 0 < without < threshold:
            share = WITHHELD
        else:
            share = _number(with_sustained / n)
        days = sorted(int(d) for d in window.get_column("d").drop_nulls().to_list())
        if len(days) < threshold:
            median = p90 = WITHHELD
        else:
            middle = len(days) // 2
            mid = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
            median, p90 = _number(mid), _number(nearest_rank(days, 0.9))
        values = {
            "complaints_received": _count_value(received, threshold),
            "complaints_closed": _count_value(closed, threshold),
            "share_with_sustained": share,
            "median_days_to_close": median,
            "p90_days_to_close": p90,
        }
        for metric in HEADLINE_METRICS:
            rows.append(
                (metric, period, values[metric], start.strftime("%Y-%m"), end.strftime("%Y-%m"))
            )
    rows.sort(key=lambda r: (HEADLINE_METRICS.index(r[0]), r[1] != "current_12_months"))
    names = ("metric", "period", "value", "period_start", "period_end")
    return pl.DataFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(names)},
        schema={n: pl.Utf8 for n in names},
    )
