"""k-anonymity on everything an attacker can line up with a complainant.

Each complainants row is joined with its complaint in the complaints table, so k is measured
over the complainant's own columns (age band, gender, race) together with every place, time and
category column of the complaint (received and closed periods, days to close, channel,
district): the list is ``Policy.quasi_identifiers``, derived from the published schemas
(``publisher.quasi``). ``anonymize_complainants`` takes one row per complainant with the raw
values of those columns and:

1. searches the combinations of generalization levels within the policy's bounds, cheapest
   first, pruning every combination finer than one already found to need too much suppression
   (the records left in classes smaller than k can only fall when a level gets coarser), and
   keeps the one with the least weighted information loss among those whose needed local
   suppression stays within the policy's limit;
2. applies it, then suppresses values locally (value → ``withheld``, never a dropped record,
   never an empty cell) until every equivalence class has at least k records. The complaint's
   columns belong to the complaint: withholding one withholds it for the whole complaint (every
   complainant of it and the complaints table), so the tables stay consistent. Received and
   closed periods share the ``period`` hierarchy and are withheld together.

``apply_to_complaints`` then writes every complaint's published columns with the same levels
and the same suppressions (complaints without complainants at the chosen levels).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from publisher import quasi
from publisher.local_suppression import (
    Layout,
    _local_suppression_reference,
    _published_columns,
    local_suppression,
    suppression_patterns,
)
from publisher.policy import UNKNOWN, WITHHELD, Policy

__all__ = [
    "Layout",
    "_local_suppression_reference",
    "local_suppression",
    "suppression_patterns",
]

#: Input columns of ``anonymize_complainants`` (``finding`` is optional).
COMPLAINANT_INPUT_COLUMNS: tuple[str, ...] = (
    "complaint_id",
    "received_at",
    "closed_at",
    "days_to_close",
    "channel",
    "district",
    "age_band",
    "gender",
    "race",
)
#: Bands of days from receipt to closure: the finest ``days_to_close`` ever published.
DAYS_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    ("366+", 366, None),
)
#: Placeholder, inside the anonymizer only, for a complaint column the source does not record
#: (no closing date): it is a value an attacker can match like any other, published empty.
MISSING = ""


class AnonymizationError(ValueError):
    """The input frame cannot be anonymized (missing column, wrong type)."""


def prepare_attribute(expr: pl.Expr) -> pl.Expr:
    """A quasi-identifier as text with missing and empty values as ``unknown``."""
    text = expr.cast(pl.Utf8)
    return pl.when(text.is_null() | (text == "")).then(pl.lit(UNKNOWN)).otherwise(text)


def month_start(expr: pl.Expr) -> pl.Expr:
    """A Date or Datetime truncated to the first day of its month, as a Date."""
    return expr.cast(pl.Date).dt.truncate("1mo")


def days_band(expr: pl.Expr) -> pl.Expr:
    """Whole days as their ``DAYS_BANDS`` label (null stays null)."""
    days = expr.cast(pl.Int64)
    out: pl.Expr = pl.lit(None, pl.Utf8)
    for label, low, high in reversed(DAYS_BANDS):
        hit = days >= low if high is None else days.is_between(low, high)
        out = pl.when(hit).then(pl.lit(label)).otherwise(out)
    return out


#: How each quasi-identifier column is built from the input: (input column, preparation).
#: Period columns stay Dates (the hierarchy formats them); the others become text.
PREPARE: dict[str, tuple[str, Callable[[pl.Expr], pl.Expr]]] = {
    "age_band": ("age_band", prepare_attribute),
    "gender": ("gender", prepare_attribute),
    "race": ("race", prepare_attribute),
    "district": ("district", prepare_attribute),
    "channel": ("channel", prepare_attribute),
    "received_period": ("received_at", month_start),
    "closed_period": ("closed_at", month_start),
    "days_to_close": ("days_to_close", days_band),
}


@dataclass(frozen=True)
class AttributeSuppression:
    """Values of one quasi-identifier withheld by local suppression."""

    count: int
    share: float


@dataclass(frozen=True)
class KAnonymityReport:
    """What the k-anonymity step did, with the figures the disclosure report publishes."""

    quasi_identifiers: tuple[str, ...]
    k_required: int
    k_achieved: int
    generalization: dict[str, str]
    records: int
    records_suppressed: int
    values_suppressed: dict[str, AttributeSuppression]
    l_diversity_findings: int | None
    risk_max: float
    risk_average: float
    suppression_limit: float
    suppression_limit_exceeded: bool
    combinations_searched: int
    combinations_total: int
    information_loss: float
    classes: int

    def to_dict(self) -> dict[str, Any]:
        """The report in the disclosure-report.json shape (keys of the release contract)."""
        records = self.records
        return {
            "quasi_identifiers": list(self.quasi_identifiers),
            "k_required": self.k_required,
            "k_achieved": self.k_achieved,
            "generalization": dict(sorted(self.generalization.items())),
            "records": records,
            "records_suppressed": self.records_suppressed,
            "records_suppressed_share": _share(self.records_suppressed, records),
            "values_suppressed": {
                name: {"count": s.count, "share": s.share}
                for name, s in sorted(self.values_suppressed.items())
            },
            "l_diversity_findings": self.l_diversity_findings,
            "risk": {"max": self.risk_max, "average": self.risk_average},
            "suppression_limit": self.suppression_limit,
            "suppression_limit_exceeded": self.suppression_limit_exceeded,
            "combinations_searched": self.combinations_searched,
            "combinations_total": self.combinations_total,
            "equivalence_classes": self.classes,
        }


@dataclass(frozen=True)
class Candidate:
    """One combination of levels tried by the search (level index per attribute, in
    ``Policy.attributes`` order)."""

    levels: tuple[int, ...]
    loss: float
    records_to_suppress: int


@dataclass(frozen=True)
class AnonymizationResult:
    """The anonymized complainants, the complaint columns to publish with them, and the report.

    ``complainants``: the input rows in input order, with every quasi-identifier column
    (``age_band``, ``gender``, ``race``, ``received_period``, ``closed_period``,
    ``days_to_close``, ``channel``, ``district``) replaced by its published value (generalized,
    or ``withheld``; null where the source does not record a closing date), the raw
    ``received_at``/``closed_at`` dropped and every other input column kept.
    ``complaints``: one row per complaint that has complainants: ``complaint_id`` and its
    complaint-level columns, exactly what the complaints table must show for it.
    ``levels``: chosen level name per attribute (every hierarchy of the policy, not only the
    quasi-identifiers: an attribute outside them is published at its ``min``).
    """

    complainants: pl.DataFrame
    complaints: pl.DataFrame
    levels: dict[str, str]
    report: KAnonymityReport
    candidates: tuple[Candidate, ...] = field(default=(), repr=False)


def _share(count: int, total: int) -> float:
    """``count / total`` rounded to 6 decimals (0 when there is nothing)."""
    return round(count / total, 6) if total else 0.0


def generalized(policy: Policy, layout: Layout, column: str, level: int) -> pl.Expr:
    """Column ``column`` (prepared) at ``level`` of its attribute, as text; a value the source
    does not record stays ``MISSING``."""
    h = policy.hierarchy(layout.attribute_of[column])
    return h.generalize(pl.col(column), level).fill_null(MISSING).cast(pl.Utf8)


#: Level combinations evaluated together (one polars ``collect_all``).
SEARCH_BATCH = 16


def search_levels(frame: pl.DataFrame, policy: Policy) -> tuple[Candidate, tuple[Candidate, ...]]:
    """Search the level combinations within the policy bounds; return the best and all tried.

    ``frame`` has one row per complainant with each quasi-identifier column prepared
    (``PREPARE``). The best candidate has the least loss among those needing at most
    ``suppression_limit`` of the records suppressed; if none qualifies, the coarsest (which
    needs the least suppression). Ties go to less suppression, then to the finer levels.

    Combinations are tried in order of loss. Records in small classes never increase when a
    level gets coarser, so a combination finer than (or equal to) one that needs too much
    suppression is skipped without being counted, and the search stops once every remaining
    combination loses more than the best one found. Before a batch is measured, each
    combination's coarsening along the attribute with the most values (the periods) is measured
    on a table rolled up to that level: when it needs too much suppression, the combination is
    skipped without grouping the large table.
    """
    layout = Layout.of(policy)
    attributes = layout.attributes
    hierarchies = [policy.hierarchy(a) for a in attributes]
    distinct = frame.group_by(list(layout.columns)).agg(pl.len().alias("_n"))
    # The attribute with the most value combinations (the two periods, as a rule) is rolled up
    # once per level: a combination at a coarse level of it groups a table many times smaller.
    split = max(
        range(len(attributes)),
        key=lambda i: math.prod(
            distinct.get_column(c).n_unique() for c in layout.columns_of(attributes[i])
        ),
    )
    # In each table every (column, level) is a dense integer code 0..n-1, so a combination's
    # classes are one UInt64 key (Σ code × the cardinalities before it): a single-column
    # group-by per combination, much cheaper than grouping by eight columns.
    tables: dict[int, tuple[pl.LazyFrame, dict[str, int]]] = {}
    h_split = hierarchies[split]
    for split_level in range(h_split.min_level, h_split.max_level + 1):
        rolled = distinct
        if split_level != h_split.min_level:
            rolled = (
                distinct.with_columns(
                    h_split.generalize(pl.col(c), split_level).alias(c)
                    for c in layout.columns_of(attributes[split])
                )
                .group_by(list(layout.columns))
                .agg(pl.col("_n").sum())
            )
        exprs = []
        for i, (a, h) in enumerate(zip(attributes, hierarchies, strict=True)):
            levels = [split_level] if i == split else range(h.min_level, h.max_level + 1)
            for level in levels:
                for c in layout.columns_of(a):
                    value = (
                        pl.col(c).fill_null(MISSING).cast(pl.Utf8)
                        if i == split
                        else generalized(policy, layout, c, level)
                    )
                    exprs.append((value.rank("dense").cast(pl.UInt64) - 1).alias(f"{c}@{level}"))
        coded = rolled.select("_n", *exprs)
        sizes = {n: coded.get_column(n).n_unique() for n in coded.columns[1:]}
        tables[split_level] = (coded.lazy(), sizes)
    k = policy.k
    limit = policy.suppression_limit * frame.height

    def loss(combo: tuple[int, ...]) -> float:
        return round(sum(h.loss(lv) for h, lv in zip(hierarchies, combo, strict=True)), 9)

    def query(combo: tuple[int, ...]) -> pl.LazyFrame:
        codes, cardinality = tables[combo[split]]
        key: pl.Expr = pl.lit(0, pl.UInt64)
        for a, lv in zip(attributes, combo, strict=True):
            for c in layout.columns_of(a):
                name = f"{c}@{lv}"
                key = key * cardinality[name] + pl.col(name)
        return (
            codes.group_by(key.alias("_key"))
            .agg(pl.col("_n").sum())
            .select(pl.col("_n").filter(pl.col("_n") < k).sum().alias("bad"))
        )

    def evaluate(combos: list[tuple[int, ...]]) -> list[Candidate]:
        results = pl.collect_all([query(c) for c in combos])
        return [
            Candidate(c, loss(c), int(r["bad"][0] or 0))
            for c, r in zip(combos, results, strict=True)
        ]

    ranges = [range(h.min_level, h.max_level + 1) for h in hierarchies]
    coarsest = tuple(h.max_level for h in hierarchies)
    tried = evaluate([coarsest])
    if tried[0].records_to_suppress > limit:
        return tried[0], tuple(tried)  # nothing can be within the limit
    combos = sorted(itertools.product(*ranges), key=lambda c: (loss(c), c))
    failed: list[tuple[int, ...]] = []
    seen = {coarsest}
    best: Candidate = tried[0]
    pending: list[tuple[int, ...]] = []
    for combo in [*combos, None]:
        if combo is not None:
            if combo == coarsest:
                continue
            if loss(combo) > best.loss:
                combo = None  # every later combination loses more
            elif any(all(x <= y for x, y in zip(combo, f, strict=True)) for f in failed):
                continue
            else:
                pending.append(combo)
        if pending and (combo is None or len(pending) == SEARCH_BATCH):
            # Probe first: the same combination at the split attribute's coarsest level groups
            # a small table, and if even it needs too much suppression, so does this one.
            probes = {
                p
                for c in pending
                for p in [(*c[:split], h_split.max_level, *c[split + 1 :])]
                if p != c and p not in seen
            }
            for batch in (sorted(probes), pending):
                batch = [
                    c
                    for c in batch
                    if c not in seen
                    and not any(all(x <= y for x, y in zip(c, f, strict=True)) for f in failed)
                ]
                for candidate in evaluate(batch) if batch else []:
                    tried.append(candidate)
                    seen.add(candidate.levels)
                    if candidate.records_to_suppress > limit:
                        failed.append(candidate.levels)
                    elif (candidate.loss, candidate.records_to_suppress, candidate.levels) < (
                        best.loss,
                        best.records_to_suppress,
                        best.levels,
                    ):
                        best = candidate
            pending = []
        if combo is None:
            break
    return best, tuple(tried)


def anonymize_complainants(frame: pl.DataFrame, policy: Policy) -> AnonymizationResult:
    """Make the complainants k-anonymous on the policy's quasi-identifiers (see module doc).

    ``frame``: one row per complainant with ``complaint_id``, ``received_at`` and ``closed_at``
    (Date or Datetime of the complaint; ``closed_at`` may be null), ``days_to_close`` (whole
    days or null), ``channel``, ``district``, ``age_band``, ``gender``, ``race`` (text or enums;
    null and empty become ``unknown``) and optionally ``finding`` (the complaint's headline
    finding, for l-diversity) and any other columns (passed through). Raises
    ``AnonymizationError`` for a missing column or a date column of the wrong type. Never drops
    or reorders a row; never leaves a quasi-identifier empty unless the source does not record
    it (no closing date).
    """
    missing = [c for c in COMPLAINANT_INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise AnonymizationError(f"complainants frame lacks column(s): {', '.join(missing)}")
    for name in ("received_at", "closed_at"):
        dtype = frame.schema[name]
        if dtype not in (pl.Date, pl.Null) and not isinstance(dtype, pl.Datetime):
            raise AnonymizationError(f"complainants column {name} must be a Date or Datetime")
    layout = Layout.of(policy)
    for c in layout.columns:
        if c not in PREPARE:
            raise AnonymizationError(f"quasi-identifier {c} has no preparation in {__name__}")
    base = frame.with_columns(
        PREPARE[c][1](pl.col(PREPARE[c][0])).alias(f"_p_{c}") for c in layout.columns
    )
    prepared = base.select(pl.col(f"_p_{c}").alias(c) for c in layout.columns)
    best, candidates = search_levels(prepared, policy)
    chosen = dict(zip(layout.attributes, best.levels, strict=True))
    levels = {
        name: h.levels[chosen.get(name, h.min_level)].name
        for name, h in sorted(policy.hierarchies.items())
    }
    general = prepared.select(
        generalized(policy, layout, c, chosen[layout.attribute_of[c]]).alias(f"_g_{c}")
        for c in layout.columns
    )
    # Integer codes ≥ 1 for the generalized values (0 is reserved for withheld).
    # A column with one value for everyone (age "all", channel "withheld") takes code 0 like a
    # withheld value: it splits no class, and local suppression leaves it as it is.
    fixed = frozenset(c for c in layout.columns if general.get_column(f"_g_{c}").n_unique() <= 1)
    layout = dataclasses.replace(layout, fixed=fixed)
    code_exprs = []
    cardinalities = []
    for c in layout.columns:
        values = general.get_column(f"_g_{c}").unique().sort()
        if c in fixed:
            cardinalities.append(0)
            code_exprs.append(pl.lit(0, pl.UInt32).alias(f"_c_{c}"))
            continue
        cardinalities.append(values.len())
        code_exprs.append(
            pl.col(f"_g_{c}")
            .replace_strict(
                values, pl.int_range(1, values.len() + 1, eager=True), return_dtype=pl.UInt32
            )
            .alias(f"_c_{c}")
        )
    coded = general.with_columns(frame.get_column("complaint_id")).select(
        "complaint_id", *code_exprs
    )
    staged = local_suppression(coded, layout, cardinalities, policy)
    final = staged.with_columns(_published_columns(layout, suppression_patterns(layout, policy)))
    withheld_mask = {c: (final.get_column(c) == 0) & (c not in fixed) for c in layout.columns}
    published = general.select(
        pl.when(withheld_mask[c])
        .then(pl.lit(WITHHELD))
        .when(pl.col(f"_g_{c}") == MISSING)
        .then(pl.lit(None, pl.Utf8))
        .otherwise(pl.col(f"_g_{c}"))
        .alias(c)
        for c in layout.columns
    )
    raw_inputs = {PREPARE[c][0] for c in layout.columns} - {"complaint_id"}
    passthrough = [c for c in frame.columns if c not in raw_inputs and c not in layout.columns]
    complainants = frame.select(passthrough).hstack(published)
    complaint_columns = [
        c for c in layout.columns if layout.attribute_of[c] in layout.complaint_level
    ]
    complaints = complainants.select("complaint_id", *complaint_columns).unique(
        "complaint_id", keep="first", maintain_order=True
    )
    report = _report(complainants, layout, policy, levels, best, candidates, withheld_mask)
    return AnonymizationResult(complainants, complaints, levels, report, candidates)


def _report(
    complainants: pl.DataFrame,
    layout: Layout,
    policy: Policy,
    levels: dict[str, str],
    best: Candidate,
    candidates: tuple[Candidate, ...],
    withheld_mask: dict[str, pl.Series],
) -> KAnonymityReport:
    """Figures of the k-anonymity step, measured on the published values (a value the source
    does not record counts as a value of its own, as it does for an attacker)."""
    records = complainants.height
    keyed = complainants.with_columns(pl.col(c).fill_null(MISSING) for c in layout.columns)
    sizes = keyed.group_by(list(layout.columns)).agg(
        pl.len().alias("size"),
        *([pl.col("finding").n_unique().alias("l")] if "finding" in keyed.columns else []),
    )
    smallest = int(sizes.select(pl.col("size").min()).item() or 0) if records else 0
    l_div = (
        int(sizes.select(pl.col("l").min()).item() or 0)
        if records and "l" in sizes.columns
        else None
    )
    suppressed_per: dict[str, AttributeSuppression] = {}
    any_suppressed = pl.Series([False] * records)
    known = quasi.by_name()
    for name in policy.quasi_identifiers:
        mask = withheld_mask[known[name].column]
        count = int(mask.sum())
        suppressed_per[name] = AttributeSuppression(count, _share(count, records))
        any_suppressed = any_suppressed | mask
    records_suppressed = int(any_suppressed.sum())
    total = 1
    for a in layout.attributes:
        h = policy.hierarchy(a)
        total *= h.max_level - h.min_level + 1
    return KAnonymityReport(
        quasi_identifiers=policy.quasi_identifiers,
        k_required=policy.k,
        k_achieved=smallest,
        generalization={a: levels[a] for a in layout.attributes},
        records=records,
        records_suppressed=records_suppressed,
        values_suppressed=suppressed_per,
        l_diversity_findings=l_div,
        risk_max=round(1 / smallest, 6) if smallest else 0.0,
        risk_average=_share(sizes.height, records),
        suppression_limit=policy.suppression_limit,
        # Judged on what was actually withheld (the search's estimate ignores co-complainants).
        suppression_limit_exceeded=records_suppressed > policy.suppression_limit * records,
        combinations_searched=len(candidates),
        combinations_total=total,
        information_loss=best.loss,
        classes=sizes.height,
    )


def apply_to_complaints(
    complaints: pl.DataFrame, result: AnonymizationResult, policy: Policy
) -> pl.DataFrame:
    """The published place, time and category columns of every complaint.

    ``complaints`` has ``complaint_id``, ``received_at``, ``closed_at`` (Date/Datetime, null
    allowed), ``days_to_close`` (whole days or null), ``channel`` and ``district``. Returns
    ``complaint_id`` and the published ``received_period``, ``closed_period``,
    ``days_to_close``, ``channel`` and ``district`` in the input's row order: a complaint with
    complainants shows exactly what its complainants were anonymized with (suppressions
    included); one without complainants (anonymous) shows its values at the chosen levels.
    """
    layout = Layout.of(policy)
    published = result.complaints
    columns = [c for c in PUBLISHED_COMPLAINT_COLUMNS if c in published.columns]
    prepared = complaints.select(
        "complaint_id",
        *(PREPARE[c][1](pl.col(PREPARE[c][0])).alias(c) for c in PUBLISHED_COMPLAINT_COLUMNS),
    )
    exprs = []
    for c in PUBLISHED_COMPLAINT_COLUMNS:
        h = policy.hierarchy(layout.attribute_of[c])
        exprs.append(h.generalize(pl.col(c), result.levels[h.attribute]).cast(pl.Utf8).alias(c))
    general = prepared.select("complaint_id", *exprs)
    joined = general.join(
        published.select("complaint_id", *(pl.col(c).alias(f"_a_{c}") for c in columns)),
        on="complaint_id",
        how="left",
        maintain_order="left",
    ).with_columns(pl.col("complaint_id").is_in(published["complaint_id"].implode()).alias("_in"))
    return joined.select(
        "complaint_id",
        *(
            pl.when(pl.col("_in")).then(pl.col(f"_a_{c}")).otherwise(pl.col(c)).alias(c)
            if c in columns
            else pl.col(c)
            for c in PUBLISHED_COMPLAINT_COLUMNS
        ),
    )


#: The complaint columns ``apply_to_complaints`` publishes, in the complaints table's order.
PUBLISHED_COMPLAINT_COLUMNS: tuple[str, ...] = (
    "received_period",
    "closed_period",
    "days_to_close",
    "channel",
    "district",
)


def headline_finding(allegations: pl.DataFrame) -> pl.DataFrame:
    """One finding per complaint for l-diversity: ``sustained`` if any allegation is, else the
    most frequent finding (ties: alphabetical); missing findings count as ``none``.

    ``allegations`` has ``complaint_id`` and ``finding``; returns ``complaint_id``, ``finding``.
    """
    findings = allegations.select(
        "complaint_id", prepare_attribute(pl.col("finding")).replace(UNKNOWN, "none").alias("f")
    )
    counted = findings.group_by("complaint_id", "f").agg(pl.len().alias("n"))
    ranked = counted.with_columns((pl.col("f") == "sustained").alias("s")).sort(
        ["complaint_id", "s", "n", "f"], descending=[False, True, True, False]
    )
    return (
        ranked.group_by("complaint_id", maintain_order=True)
        .first()
        .select("complaint_id", pl.col("f").alias("finding"))
    )


def benchmark_frame(records: int, seed: int = 0) -> pl.DataFrame:
    """A synthetic complainants frame of ``records`` rows with realistic skew (for bench/)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ages = ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "prefer_not_to_say"]
    genders = ["man", "woman", "non_binary", "prefer_not_to_say", "unknown"]
    races = ["black", "white", "latino", "asian", "multiracial", "middle_eastern",
             "native_american", "other", "unknown"]  # fmt: skip
    districts = [f"D{i:02d}" for i in range(1, 9)]

    def pick(values: list[str], weights: list[float]) -> Any:
        p = np.array(weights) / sum(weights)
        return rng.choice(np.array(values), size=records, p=p)

    complaints = max(1, int(records / 1.15))
    complaint = np.sort(rng.integers(0, complaints, size=records))
    days = rng.integers(0, 365 * 10, size=complaints)
    took = np.minimum(rng.gamma(2.0, 45.0, size=complaints).astype(np.int64), 900)
    district = pick(districts, [1 / (i + 1) ** 0.8 for i in range(8)])[:complaints]
    channels = ["online", "phone", "email", "walk_in", "letter", "referral", "internal"]
    channel = pick(channels, [45, 20, 12, 9, 5, 6, 3])[:complaints]
    start = np.datetime64("2016-01-01")
    received = (start + days[complaint]).astype("datetime64[D]")
    return pl.DataFrame(
        {
            "complaint_id": complaint,
            "received_at": received,
            "closed_at": received + took[complaint],
            "days_to_close": took[complaint],
            "channel": channel[complaint],
            "district": district[complaint],
            "age_band": pick(ages, [3, 15, 27, 21, 14, 9, 4, 3]),
            "gender": pick(genders, [44, 40, 2, 6, 8]),
            "race": pick(races, [45, 20, 14, 4, 3, 1, 1, 2, 10]),
            "finding": pick(
                ["sustained", "not_sustained", "unfounded", "exonerated"], [1, 5, 3, 2]
            ),
        }
    )
