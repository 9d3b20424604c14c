"""Local suppression for k-anonymity: value by value, until every class has k records.

The anonymizer (``publisher.anonymize``) chooses the generalization levels; what is left in
classes smaller than k is fixed here by withholding values (``withheld``), cheapest first,
never by dropping a record. ``Layout`` says which published columns take part, which hierarchy
generalizes each, and which belong to the complaint (withheld for the whole complaint).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from publisher import quasi

if TYPE_CHECKING:
    from publisher.policy import Policy


@dataclass(frozen=True)
class Layout:
    """The quasi-identifier columns of a policy and how they group into attributes.

    ``columns``: short column names (``received_period``...) in the policy's order;
    ``attribute_of``: column → hierarchy; ``attributes``: the search's units in order;
    ``complaint_level``: attributes whose columns belong to the complaint; ``fixed``: columns
    with one value for everyone at the chosen levels (local suppression leaves them alone).
    """

    columns: tuple[str, ...]
    attribute_of: dict[str, str]
    attributes: tuple[str, ...]
    complaint_level: frozenset[str]
    fixed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, policy: Policy) -> Layout:
        """The layout of ``policy``'s quasi-identifiers."""
        known = quasi.by_name()
        qis = [known[name] for name in policy.quasi_identifiers]
        complaint = frozenset(
            a
            for a in policy.attributes
            if all(q.table == "complaints" for q in qis if q.attribute == a)
        )
        return cls(
            columns=tuple(q.column for q in qis),
            attribute_of={q.column: q.attribute for q in qis},
            attributes=policy.attributes,
            complaint_level=complaint,
        )

    def columns_of(self, attribute: str) -> tuple[str, ...]:
        """Columns generalized by ``attribute``."""
        return tuple(c for c in self.columns if self.attribute_of[c] == attribute)


def suppression_patterns(layout: Layout, policy: Policy) -> list[frozenset[str]]:
    """Sets of columns local suppression tries, cheapest first, all of them last.

    The unit is a column, so a closed period can be withheld without the received period.
    Columns in ``layout.fixed`` (one value for everyone at the chosen level) are never part
    of a pattern: withholding them would hide nothing. Cost is the sum of the columns'
    weights (an attribute's weight shared among its columns); ties go to fewer columns, then
    to fewer complaint-level columns (withholding those also hides them for co-complainants).
    """
    columns = [c for c in layout.columns if c not in layout.fixed]
    subsets = [
        frozenset(c) for size in range(1, len(columns) + 1)
        for c in itertools.combinations(columns, size)
    ]  # fmt: skip
    weight = {
        c: policy.hierarchy(layout.attribute_of[c]).weight
        / len(layout.columns_of(layout.attribute_of[c]))
        for c in columns
    }

    def cost(subset: frozenset[str]) -> tuple[float, int, int, tuple[int, ...]]:
        return (
            round(sum(weight[c] for c in subset), 9),
            len(subset),
            sum(1 for c in subset if layout.attribute_of[c] in layout.complaint_level),
            tuple(sorted(layout.columns.index(c) for c in subset)),
        )

    ordered = sorted(subsets, key=cost)
    if not ordered:
        return []
    everything = frozenset(columns)
    ordered.remove(everything)
    return [*ordered, everything]


def _published_columns(layout: Layout, patterns: list[frozenset[str]]) -> list[pl.Expr]:
    """Expressions for each column's published code (0 = withheld) given ``_stage``.

    A complainant-level value is withheld when the row's pattern contains its column; a
    complaint-level value when the pattern of any row of the same complaint does.
    """
    out = []
    for c in layout.columns:
        stages = [i + 1 for i, p in enumerate(patterns) if c in p]
        hit = pl.col("_stage").is_in(stages)
        if layout.attribute_of[c] in layout.complaint_level:
            hit = hit.any().over("complaint_id")
        out.append(pl.when(hit).then(pl.lit(0, pl.UInt32)).otherwise(pl.col(f"_c_{c}")).alias(c))
    return out


def _class_key(columns: Sequence[str], cardinalities: Sequence[int], prefix: str = "") -> pl.Expr:
    """One UInt64 per combination of published codes (codes are 0..cardinality; 0 = withheld,
    so the key of a fully withheld row is 0). Raises when the codes cannot fit 64 bits."""
    space = 1
    for size in cardinalities:
        space *= size + 1
    if space >= 2**63:
        raise ValueError("too many distinct quasi-identifier values to key the classes")
    key = pl.lit(0, pl.UInt64)
    for c, size in zip(columns, cardinalities, strict=True):
        key = key * (size + 1) + pl.col(f"{prefix}{c}").cast(pl.UInt64)
    return key


def local_suppression(
    coded: pl.DataFrame, layout: Layout, cardinalities: Sequence[int], policy: Policy
) -> pl.DataFrame:
    """Give each row a suppression stage (index into ``suppression_patterns`` + 1; 0 = none).

    ``coded`` has ``complaint_id`` and ``_c_<column>`` (UInt32 codes ≥ 1 of the generalized values).
    Rows in classes smaller than k move to the next pattern until no class is small; when only
    fully withheld rows remain in a small class, the smallest other class joins them.
    Terminates: every round raises some row's stage, and stages are bounded. Returns ``coded``
    (same order) with ``_stage``.

    Same result as ``_local_suppression_reference`` but each round only recomputes the
    *active* complaints (those with a row that ever was in a small class); the other rows keep
    their generalized class, whose size is the initial count minus active rows that left it
    plus active rows that joined it.
    """
    patterns = suppression_patterns(layout, policy)
    last = len(patterns)
    k = policy.k
    base = coded.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.lit(0, pl.Int32).alias("_stage"),
        _class_key(layout.columns, cardinalities, "_c_").alias("_key0"),
    )
    if base.height < k:
        return coded.with_columns(pl.lit(last, pl.Int32).alias("_stage"))
    counts0 = base.group_by("_key0").agg(pl.len().alias("_n0")).rename({"_key0": "_key"})
    published = _published_columns(layout, patterns)
    key = _class_key(layout.columns, cardinalities)
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
    coded: pl.DataFrame, layout: Layout, cardinalities: Sequence[int], policy: Policy
) -> pl.DataFrame:
    """Give each row a suppression stage (index into ``suppression_patterns`` + 1; 0 = none).

    ``coded`` has ``complaint_id`` and ``_c_<column>`` (UInt32 codes ≥ 1 of the generalized values).
    Rows in classes smaller than k move to the next pattern until no class is small; when only
    fully withheld rows remain in a small class, the smallest class joins them. Terminates: every
    round raises some row's stage, and stages are bounded. Returns ``coded`` with ``_stage``.
    """
    patterns = suppression_patterns(layout, policy)
    last = len(patterns)
    k = policy.k
    frame = coded.with_columns(pl.lit(0, pl.Int32).alias("_stage"))
    if frame.height < k:
        return frame.with_columns(pl.lit(last, pl.Int32).alias("_stage"))
    published = _published_columns(layout, patterns)
    key = _class_key(layout.columns, cardinalities)
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
