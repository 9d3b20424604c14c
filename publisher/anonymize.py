"""k-anonymity for the complainants table: generalization search, then local suppression.

What an attacker can line up is each complainant row (age band, gender, race) joined with the
district and period its complaint shows in the complaints table. ``anonymize_complainants``
takes one row per complainant with those five quasi-identifiers and:

1. searches every combination of generalization levels within the policy's bounds (on the
   distinct value combinations, a few hundred group-bys), keeping the combination with the least
   weighted information loss among those whose needed local suppression (records in classes
   smaller than k) stays within the policy's suppression limit;
2. applies it, then suppresses values locally (value → ``withheld``, never a dropped record,
   never an empty cell) until every equivalence class has at least k records. District and
   period belong to the complaint: withholding one withholds it for the whole complaint (every
   complainant of it and the complaints table), so the result is consistent across tables.

``apply_to_complaints`` then writes the complaint's own period and district columns with the same
levels and the same suppressions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from publisher.policy import UNKNOWN, WITHHELD, Policy, period_expr

#: Input columns of ``anonymize_complainants`` (``finding`` is optional).
COMPLAINANT_INPUT_COLUMNS: tuple[str, ...] = (
    "complaint_id",
    "received_at",
    "district",
    "age_band",
    "gender",
    "race",
)
#: Quasi-identifiers that belong to the complaint, not to the complainant.
COMPLAINT_LEVEL: frozenset[str] = frozenset({"district", "period"})


class AnonymizationError(ValueError):
    """The input frame cannot be anonymized (missing column, wrong type)."""


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
            "equivalence_classes": self.classes,
        }


@dataclass(frozen=True)
class Candidate:
    """One combination of levels tried by the search (level index per quasi-identifier)."""

    levels: tuple[int, ...]
    loss: float
    records_to_suppress: int


@dataclass(frozen=True)
class AnonymizationResult:
    """The anonymized complainants, the complaint columns to publish with them, and the report.

    ``complainants``: the input rows in input order, with ``age_band``, ``gender``, ``race``,
    ``district`` and ``period`` replaced by their published values (generalized, or
    ``withheld``), ``received_at`` dropped and every other input column kept.
    ``complaints``: one row per complaint that has complainants: ``complaint_id``, ``district``,
    ``period`` (exactly what the complaints table must show for it).
    ``levels``: chosen level name per attribute (every hierarchy of the policy, not only the
    quasi-identifiers: an attribute outside the quasi-identifiers is published at its ``min``).
    """

    complainants: pl.DataFrame
    complaints: pl.DataFrame
    levels: dict[str, str]
    report: KAnonymityReport
    candidates: tuple[Candidate, ...] = field(default=(), repr=False)


def _share(count: int, total: int) -> float:
    """``count / total`` rounded to 6 decimals (0 when there is nothing)."""
    return round(count / total, 6) if total else 0.0


def prepare_attribute(expr: pl.Expr) -> pl.Expr:
    """A quasi-identifier as text with missing and empty values as ``unknown``."""
    text = expr.cast(pl.Utf8)
    return pl.when(text.is_null() | (text == "")).then(pl.lit(UNKNOWN)).otherwise(text)


def month_start(expr: pl.Expr) -> pl.Expr:
    """A Date or Datetime truncated to the first day of its month, as a Date."""
    return expr.cast(pl.Date).dt.truncate("1mo")


def search_levels(frame: pl.DataFrame, policy: Policy) -> tuple[Candidate, tuple[Candidate, ...]]:
    """Search every level combination within the policy bounds; return the best and all tried.

    ``frame`` has one row per complainant with a column per quasi-identifier: mapped attributes
    as text (already ``prepare_attribute``-d), ``period`` as the month's first day (Date). The
    best candidate has the least loss among those needing at most ``suppression_limit`` of the
    records suppressed; if none qualifies, the one needing the least suppression. Ties go to
    less suppression, then to the finer levels (deterministic).
    """
    qis = policy.quasi_identifiers
    hierarchies = [policy.hierarchy(q) for q in qis]
    distinct = frame.group_by(list(qis)).agg(pl.len().alias("_n"))
    # One column per (attribute, level) on the distinct combinations, as integer codes.
    columns: dict[tuple[str, int], str] = {}
    exprs = []
    for q, h in zip(qis, hierarchies, strict=True):
        for level in range(h.min_level, h.max_level + 1):
            name = f"{q}@{level}"
            columns[(q, level)] = name
            exprs.append(
                h.generalize(pl.col(q), level).cast(pl.Categorical).to_physical().alias(name)
            )
    coded = distinct.with_columns(exprs).lazy()
    ranges = [range(h.min_level, h.max_level + 1) for h in hierarchies]
    combos = list(itertools.product(*ranges))
    k = policy.k
    queries = [
        coded.group_by([columns[(q, lv)] for q, lv in zip(qis, combo, strict=True)])
        .agg(pl.col("_n").sum())
        .select(pl.col("_n").filter(pl.col("_n") < k).sum().alias("bad"))
        for combo in combos
    ]
    results = pl.collect_all(queries)
    candidates = tuple(
        Candidate(
            levels=combo,
            loss=round(sum(h.loss(lv) for h, lv in zip(hierarchies, combo, strict=True)), 9),
            records_to_suppress=int(result["bad"][0] or 0),
        )
        for combo, result in zip(combos, results, strict=True)
    )
    limit = policy.suppression_limit * frame.height
    within = [c for c in candidates if c.records_to_suppress <= limit]
    if within:
        best = min(within, key=lambda c: (c.loss, c.records_to_suppress, c.levels))
    else:
        best = min(candidates, key=lambda c: (c.records_to_suppress, c.loss, c.levels))
    return best, candidates


def suppression_patterns(policy: Policy) -> list[frozenset[str]]:
    """Sets of quasi-identifiers local suppression tries, cheapest first, all of them last.

    Cost is the sum of the attributes' weights; ties go to fewer attributes, then to fewer
    complaint-level attributes (withholding those also hides them for co-complainants).
    """
    qis = policy.quasi_identifiers
    subsets = [
        frozenset(c) for size in range(1, len(qis) + 1) for c in itertools.combinations(qis, size)
    ]

    def cost(subset: frozenset[str]) -> tuple[float, int, int, tuple[int, ...]]:
        weight = sum(policy.hierarchy(q).weight for q in subset)
        return (
            weight,
            len(subset),
            len(subset & COMPLAINT_LEVEL),
            tuple(sorted(qis.index(q) for q in subset)),
        )

    ordered = sorted(subsets, key=cost)
    everything = frozenset(qis)
    ordered.remove(everything)
    return [*ordered, everything]


def _published_columns(qis: Sequence[str], patterns: list[frozenset[str]]) -> list[pl.Expr]:
    """Expressions for each quasi-identifier's published code (0 = withheld) given ``_stage``.

    A complainant-level value is withheld when the row's pattern contains it; a complaint-level
    value when the pattern of any row of the same complaint contains it.
    """
    out = []
    for q in qis:
        stages = [i + 1 for i, p in enumerate(patterns) if q in p]
        hit = pl.col("_stage").is_in(stages)
        if q in COMPLAINT_LEVEL:
            hit = hit.any().over("complaint_id")
        out.append(pl.when(hit).then(pl.lit(0, pl.UInt32)).otherwise(pl.col(f"_c_{q}")).alias(q))
    return out


def _class_key(qis: Sequence[str], cardinalities: Sequence[int], prefix: str = "") -> pl.Expr:
    """One UInt64 per combination of published codes (codes are 0..cardinality; 0 = withheld,
    so the key of a fully withheld row is 0)."""
    key = pl.lit(0, pl.UInt64)
    for q, size in zip(qis, cardinalities, strict=True):
        key = key * (size + 1) + pl.col(f"{prefix}{q}").cast(pl.UInt64)
    return key


def local_suppression(
    coded: pl.DataFrame, qis: Sequence[str], cardinalities: Sequence[int], policy: Policy
) -> pl.DataFrame:
    """Give each row a suppression stage (index into ``suppression_patterns`` + 1; 0 = none).

    ``coded`` has ``complaint_id`` and ``_c_<qi>`` (UInt32 codes ≥ 1 of the generalized values).
    Rows in classes smaller than k move to the next pattern until no class is small; when only
    fully withheld rows remain in a small class, the smallest other class joins them.
    Terminates: every round raises some row's stage, and stages are bounded. Returns ``coded``
    (same order) with ``_stage``.

    Same result as ``_local_suppression_reference`` but each round only recomputes the
    *active* complaints (those with a row that ever was in a small class); the other rows keep
    their generalized class, whose size is the initial count minus active rows that left it
    plus active rows that joined it.
    """
    patterns = suppression_patterns(policy)
    last = len(patterns)
    k = policy.k
    base = coded.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.lit(0, pl.Int32).alias("_stage"),
        _class_key(qis, cardinalities, "_c_").alias("_key0"),
    )
    if base.height < k:
        return coded.with_columns(pl.lit(last, pl.Int32).alias("_stage"))
    counts0 = base.group_by("_key0").agg(pl.len().alias("_n0")).rename({"_key0": "_key"})
    published = _published_columns(qis, patterns)
    key = _class_key(qis, cardinalities)
    active = base.clear()
    inactive = base
    while True:
        current = active.with_columns(published).with_columns(key.alias("_key"))
        removed = active.group_by("_key0").agg(pl.len().alias("_r")).rename({"_key0": "_key"})
        added = current.group_by("_key").agg(pl.len().alias("_a"))
        sizes = (
            counts0.join(removed, on="_key", how="full", coalesce=True)
            .join(added, on="_key", how="full", coalesce=True)
            .select(
                "_key",
                (
                    pl.col("_n0").fill_null(0).cast(pl.Int64)
                    - pl.col("_r").fill_null(0).cast(pl.Int64)
                    + pl.col("_a").fill_null(0).cast(pl.Int64)
                ).alias("_size"),
            )
        )
        current = current.join(sizes, on="_key", how="left", maintain_order="left")
        small_keys = sizes.filter((pl.col("_size") > 0) & (pl.col("_size") < k)).get_column("_key")
        newly_bad = inactive.filter(pl.col("_key0").is_in(small_keys.implode()))
        bad = pl.col("_size") < k
        movable = bad & (pl.col("_stage") < last)
        active_movable = bool(current.select(movable.any()).item())
        if newly_bad.height == 0 and not active_movable:
            if not current.select(bad.any()).item():
                break
            # Only fully withheld rows are left in a small class: fold the smallest class in.
            target = (
                sizes.filter((pl.col("_size") >= k) & (pl.col("_key") != 0))
                .sort(["_size", "_key"])
                .head(1)
                .get_column("_key")
            )
            if target.len() == 0:  # every row is fully withheld: nothing more can be done
                break
            joining = inactive.filter(pl.col("_key0").is_in(target.implode()))
            ids = joining.get_column("complaint_id").unique().implode()
            moved = inactive.filter(pl.col("complaint_id").is_in(ids))
            inactive = inactive.filter(~pl.col("complaint_id").is_in(ids))
            in_target = pl.col("_row").is_in(joining.get_column("_row").implode())
            moved = moved.with_columns(
                pl.when(in_target).then(pl.lit(last, pl.Int32)).otherwise("_stage").alias("_stage")
            )
            stage = pl.when(pl.col("_key").is_in(target.implode())).then(pl.lit(last, pl.Int32))
            active = pl.concat(
                [
                    current.select(stage.otherwise(pl.col("_stage")).alias("_stage"))
                    .hstack(active.drop("_stage"))
                    .select(active.columns),
                    moved,
                ]
            )
            continue
        advanced = current.select(
            pl.when(movable).then(pl.col("_stage") + 1).otherwise(pl.col("_stage")).alias("_stage")
        )
        active = active.with_columns(advanced.get_column("_stage"))
        if newly_bad.height:
            ids = newly_bad.get_column("complaint_id").unique().implode()
            moved = inactive.filter(pl.col("complaint_id").is_in(ids))
            inactive = inactive.filter(~pl.col("complaint_id").is_in(ids))
            bad_rows = newly_bad.get_column("_row").implode()
            moved = moved.with_columns(
                pl.when(pl.col("_row").is_in(bad_rows))
                .then(pl.lit(1, pl.Int32))
                .otherwise("_stage")
                .alias("_stage")
            )
            active = pl.concat([active, moved])
    stages = pl.concat([active, inactive]).sort("_row").get_column("_stage")
    return coded.with_columns(stages)


def _local_suppression_reference(
    coded: pl.DataFrame, qis: Sequence[str], cardinalities: Sequence[int], policy: Policy
) -> pl.DataFrame:
    """Give each row a suppression stage (index into ``suppression_patterns`` + 1; 0 = none).

    ``coded`` has ``complaint_id`` and ``_c_<qi>`` (UInt32 codes ≥ 1 of the generalized values).
    Rows in classes smaller than k move to the next pattern until no class is small; when only
    fully withheld rows remain in a small class, the smallest class joins them. Terminates: every
    round raises some row's stage, and stages are bounded. Returns ``coded`` with ``_stage``.
    """
    patterns = suppression_patterns(policy)
    last = len(patterns)
    k = policy.k
    frame = coded.with_columns(pl.lit(0, pl.Int32).alias("_stage"))
    if frame.height < k:
        return frame.with_columns(pl.lit(last, pl.Int32).alias("_stage"))
    published = _published_columns(qis, patterns)
    key = _class_key(qis, cardinalities)
    while True:
        sized = frame.with_columns(published).with_columns(key.alias("_key"))
        sized = sized.with_columns(pl.len().over("_key").alias("_size"))
        bad = pl.col("_size") < k
        if not sized.select(bad.any()).item():
            return frame
        movable = bad & (pl.col("_stage") < last)
        if sized.select(movable.any()).item():
            stage = pl.when(movable).then(pl.col("_stage") + 1).otherwise(pl.col("_stage"))
            frame = frame.with_columns(sized.select(stage.alias("_stage")).to_series())
            continue
        # Only fully withheld rows are left in a small class: fold the smallest class into it.
        smallest = (
            sized.filter(~bad & (pl.col("_stage") < last))
            .group_by("_key")
            .agg(pl.len().alias("n"))
            .sort(["n", "_key"])
            .head(1)
        )
        if smallest.height == 0:  # every row is fully withheld: nothing more can be done
            return frame
        target = sized.select(pl.col("_key").is_in(smallest["_key"].implode()).alias("t"))["t"]
        frame = frame.with_columns(
            pl.when(target).then(pl.lit(last, pl.Int32)).otherwise(pl.col("_stage")).alias("_stage")
        )


def anonymize_complainants(frame: pl.DataFrame, policy: Policy) -> AnonymizationResult:
    """Make the complainants k-anonymous on the policy's quasi-identifiers (see module doc).

    ``frame``: one row per complainant with ``complaint_id``, ``received_at`` (Date or Datetime
    of the complaint), ``district``, ``age_band``, ``gender``, ``race`` (text or enums; null and
    empty become ``unknown``) and optionally ``finding`` (the complaint's headline finding, for
    l-diversity) and any other columns (passed through). Raises ``AnonymizationError`` for a
    missing column. Never drops or reorders a row; never leaves an empty quasi-identifier.
    """
    missing = [c for c in COMPLAINANT_INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise AnonymizationError(f"complainants frame lacks column(s): {', '.join(missing)}")
    if frame.schema["received_at"] not in (pl.Date,) and not isinstance(
        frame.schema["received_at"], pl.Datetime
    ):
        raise AnonymizationError("complainants column received_at must be a Date or Datetime")
    qis = policy.quasi_identifiers
    base = frame.with_columns(
        *(
            prepare_attribute(pl.col(c)).alias(c)
            for c in ("district", "age_band", "gender", "race")
        ),
        month_start(pl.col("received_at")).alias("period"),
    )
    best, candidates = search_levels(base.select(qis), policy)
    chosen = dict(zip(qis, best.levels, strict=True))
    levels = {
        name: h.levels[chosen.get(name, h.min_level)].name
        for name, h in sorted(policy.hierarchies.items())
    }
    generalized = base.with_columns(
        policy.hierarchy(q).generalize(pl.col(q), chosen[q]).alias(f"_g_{q}") for q in qis
    )
    # Integer codes ≥ 1 for the generalized values (0 is reserved for withheld).
    code_exprs = []
    cardinalities = []
    dictionaries: dict[str, pl.Series] = {}
    for q in qis:
        values = generalized.get_column(f"_g_{q}").unique().sort()
        dictionaries[q] = values
        cardinalities.append(values.len())
        code_exprs.append(
            pl.col(f"_g_{q}")
            .replace_strict(
                values, pl.int_range(1, values.len() + 1, eager=True), return_dtype=pl.UInt32
            )
            .alias(f"_c_{q}")
        )
    coded = generalized.select("complaint_id", *code_exprs)
    staged = local_suppression(coded, qis, cardinalities, policy)
    patterns = suppression_patterns(policy)
    final = staged.with_columns(_published_columns(qis, patterns))
    withheld_mask = {q: final.get_column(q) == 0 for q in qis}
    out = generalized
    for q in qis:
        out = out.with_columns(
            pl.when(withheld_mask[q]).then(pl.lit(WITHHELD)).otherwise(pl.col(f"_g_{q}")).alias(q)
        )
    for name in ("district", "period"):
        if name not in qis:
            h = policy.hierarchy(name)
            out = out.with_columns(h.generalize(pl.col(name), h.min_level).alias(name))
    keep = [c for c in frame.columns if c != "received_at"]
    if "period" not in keep:
        keep.append("period")
    complainants = out.select(keep)
    complaints = complainants.select("complaint_id", "district", "period").unique(
        "complaint_id", keep="first", maintain_order=True
    )
    report = _report(complainants, final, qis, policy, levels, best, candidates, withheld_mask)
    return AnonymizationResult(complainants, complaints, levels, report, candidates)


def _report(
    complainants: pl.DataFrame,
    final: pl.DataFrame,
    qis: Sequence[str],
    policy: Policy,
    levels: dict[str, str],
    best: Candidate,
    candidates: tuple[Candidate, ...],
    withheld_mask: dict[str, pl.Series],
) -> KAnonymityReport:
    """Figures of the k-anonymity step, measured on the published values."""
    records = complainants.height
    sizes = complainants.group_by(list(qis)).agg(
        pl.len().alias("size"),
        *([pl.col("finding").n_unique().alias("l")] if "finding" in complainants.columns else []),
    )
    smallest = int(sizes.select(pl.col("size").min()).item() or 0) if records else 0
    l_div = (
        int(sizes.select(pl.col("l").min()).item() or 0)
        if records and "l" in sizes.columns
        else None
    )
    # A value withheld by the generalization itself (e.g. district at level "withheld") is not
    # a local suppression.
    suppressed_per: dict[str, AttributeSuppression] = {}
    any_suppressed = pl.Series([False] * records)
    for q in qis:
        mask = withheld_mask[q]
        count = int(mask.sum())
        suppressed_per[q] = AttributeSuppression(count, _share(count, records))
        any_suppressed = any_suppressed | mask
    records_suppressed = int(any_suppressed.sum())
    del final
    return KAnonymityReport(
        quasi_identifiers=tuple(qis),
        k_required=policy.k,
        k_achieved=smallest,
        generalization={q: levels[q] for q in qis},
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
        information_loss=best.loss,
        classes=sizes.height,
    )


def apply_to_complaints(
    complaints: pl.DataFrame, result: AnonymizationResult, policy: Policy
) -> pl.DataFrame:
    """Add the published ``received_period``, ``closed_period`` and ``district`` of complaints.

    ``complaints`` has ``complaint_id``, ``received_at``, ``closed_at`` (Date/Datetime, null
    allowed) and ``district``. Periods use the chosen period level; district the chosen district
    level; a complaint whose district or period was withheld for its complainants shows
    ``withheld`` (its closed period too, so the received period cannot be recovered from it).
    Rows keep their order; other columns are kept (``received_at``/``closed_at`` too: drop them
    before writing).
    """
    period_level = result.levels["period"]
    district = policy.hierarchy("district")
    published = complaints.with_columns(
        period_expr(pl.col("received_at").cast(pl.Date), period_level).alias("received_period"),
        period_expr(pl.col("closed_at").cast(pl.Date), period_level).alias("closed_period"),
        district.generalize(prepare_attribute(pl.col("district")), result.levels["district"]).alias(
            "district"
        ),
    )
    withheld = result.complaints.select(
        "complaint_id",
        (pl.col("district") == WITHHELD).alias("_wd"),
        (pl.col("period") == WITHHELD).alias("_wp"),
    )
    joined = published.join(withheld, on="complaint_id", how="left", maintain_order="left")
    return joined.with_columns(
        pl.when(pl.col("_wd").fill_null(False))
        .then(pl.lit(WITHHELD))
        .otherwise(pl.col("district"))
        .alias("district"),
        *(
            pl.when(pl.col("_wp").fill_null(False))
            .then(pl.lit(WITHHELD))
            .otherwise(pl.col(c))
            .alias(c)
            for c in ("received_period", "closed_period")
        ),
    ).drop("_wd", "_wp")


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
    district = pick(districts, [1 / (i + 1) ** 0.8 for i in range(8)])[:complaints]
    start = np.datetime64("2016-01-01")
    return pl.DataFrame(
        {
            "complaint_id": complaint,
            "received_at": (start + days[complaint]).astype("datetime64[D]"),
            "district": district[complaint],
            "age_band": pick(ages, [3, 15, 27, 21, 14, 9, 4, 3]),
            "gender": pick(genders, [44, 40, 2, 6, 8]),
            "race": pick(races, [45, 20, 14, 4, 3, 1, 1, 2, 10]),
            "finding": pick(
                ["sustained", "not_sustained", "unfounded", "exonerated"], [1, 5, 3, 2]
            ),
        }
    )
