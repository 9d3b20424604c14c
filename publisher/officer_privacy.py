"""k-anonymity for the officers table: no officer stands out by rank, gender, race and service.

Officer names are off by default, but a pseudonymous officer with a rare combination (the one
command-rank Pacific Islander woman with 25+ years) is as good as named, and the allegations
table lists every complaint against that pseudonym. So every combination of the officer
quasi-identifiers must be shared by at least ``k`` officers. Local suppression, least useful
attribute first: the rows of classes smaller than ``k`` get ``withheld`` in years of service;
if still too small, in race, then gender, then rank group. Rows are never dropped; a row left
with every attribute withheld says nothing about its officer and is counted apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from publisher.policy import WITHHELD

#: Suppressed in this order: the attribute an analyst needs least goes first.
OFFICER_QUASI_IDENTIFIERS = ("years_of_service_band", "race", "gender", "rank_group")


def _small(frame: pl.DataFrame, k: int) -> pl.Series:
    """Boolean mask of the rows whose quasi-identifier combination has fewer than ``k`` rows."""
    sizes = pl.len().over(list(OFFICER_QUASI_IDENTIFIERS))
    return frame.select((sizes < k).alias("small"))["small"]


def protect_officers(officers: pl.DataFrame, k: int) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Return ``officers`` with values withheld until every combination has ``k`` rows or more
    (or is entirely withheld), and the report: ``k_required``, ``k_achieved``, ``officers``,
    ``values_withheld`` per attribute. Row order and every other column are unchanged."""
    withheld: dict[str, int] = {}
    frame = officers
    for attribute in OFFICER_QUASI_IDENTIFIERS:
        small = _small(frame, k)
        change = small & (frame[attribute] != WITHHELD)
        withheld[attribute] = int(change.sum())
        if withheld[attribute]:
            frame = frame.with_columns(
                pl.when(change).then(pl.lit(WITHHELD)).otherwise(pl.col(attribute)).alias(attribute)
            )
    # A row with every attribute withheld shows nothing about its officer: it takes no part in k.
    everything_withheld = pl.all_horizontal(
        [pl.col(a) == WITHHELD for a in OFFICER_QUASI_IDENTIFIERS]
    )
    shown = frame.filter(~everything_withheld)
    sizes = shown.group_by(list(OFFICER_QUASI_IDENTIFIERS)).len()["len"]
    report = {
        "quasi_identifiers": list(OFFICER_QUASI_IDENTIFIERS),
        "k_required": k,
        "k_achieved": int(sizes.min()) if sizes.len() else None,  # type: ignore[arg-type]
        "officers": frame.height,
        "officers_fully_withheld": frame.height - shown.height,
        "values_withheld": withheld,
    }
    return frame, report


#: What an allegation's ``officer_id`` becomes when its link to the officer is withheld.
LINK_WITHHELD = WITHHELD
#: Values of ``officer_id`` that link to no officer.
NOT_LINKED = ("unidentified", WITHHELD)


def _codes(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """One integer per row of ``frame`` naming its combination of ``columns`` (nulls as "")."""
    values = frame.select(pl.col(c).fill_null("") for c in columns)
    index = values.unique(maintain_order=True).with_row_index("_code")
    return values.join(index, on=list(columns), how="left", maintain_order="left")["_code"]


def _officer_classes(links: pl.DataFrame, officer_code: pl.Series, width: int) -> pl.DataFrame:
    """``links`` (``_row``, ``_o`` officer index, ``_cc`` complaint code below ``width``) with
    each row's class size in distinct officers (``_officers``), the class being the officer's
    combination (``officer_code[_o]``) with the complaint's."""
    key = officer_code.cast(pl.UInt64).gather(links["_o"]) * width + links["_cc"].cast(pl.UInt64)
    return links.with_columns(key.alias("_key")).with_columns(
        pl.col("_o").n_unique().over("_key").alias("_officers")
    )


def protect_officer_links(
    officers: pl.DataFrame,
    allegations: pl.DataFrame,
    complaints: pl.DataFrame,
    k: int,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Make the officers joined with their allegations and complaints k-anonymous.

    Someone who knows an officer (rank, gender, race, years of service) and roughly where and
    when a complaint against them was made can join officers → allegations → complaints and,
    if only one officer fits, learn the officer's pseudonym and with it every other complaint
    against them. So every combination of the officer's columns and the complaint's place, time
    and category columns (``publisher.quasi.officer_join``) must hold at least ``k`` distinct
    officers. Rows that do not are fixed in two steps, repeated until none is left:

    1. the officer's next attribute (``OFFICER_QUASI_IDENTIFIERS`` order) is withheld in the
       officers table — for all of that officer's rows, since an officer has one row;
    2. once all of them are withheld, the allegation's link to the officer is withheld
       (``officer_id`` → ``withheld``): the allegation stays, counted, but names no pseudonym.

    Attributes go before links because the link is what the data are for (how many complaints
    one officer has, and what became of them); an officer's demographics matter less.

    The officers table's own k (``protect_officers``) is restored after each round, since
    withholding a value can leave a small class behind. Officers whose names the policy
    publishes (a non-empty ``officer_name``) are not protected here: the office chose to name
    them. ``complaints`` holds ``complaint_id`` and the published complaint columns.

    Returns the officers, the allegations (same rows and order; only ``officer_id`` may
    change) and the report: ``quasi_identifiers``, ``k_required``, ``k_achieved`` (fewest
    distinct officers in a class; None when no allegation stays linked), ``links``,
    ``links_withheld``, ``officers_fully_withheld`` and ``values_withheld`` per attribute.
    """
    from publisher import quasi  # the schemas' list, read lazily (no import cycle)

    person = [q.column for q in quasi.officer_join() if q.table == "officers"]
    joined = [q.column for q in quasi.complaint_columns()]
    named: set[str] = set()
    if "officer_name" in officers.columns:
        named = set(
            officers.filter(pl.col("officer_name").is_not_null() & (pl.col("officer_name") != ""))
            .get_column("officer_id")
            .to_list()
        )
    rows = allegations.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "complaint_id", "officer_id"
    )
    candidate = ~pl.col("officer_id").is_in(list(NOT_LINKED)) & pl.col("officer_id").is_not_null()
    if named:
        candidate = candidate & ~pl.col("officer_id").is_in(sorted(named))
    # Integers from here on: the officer's row in ``officers`` and the complaint's combination.
    index = officers.select("officer_id").with_row_index("_o")
    complaint_code = complaints.select("complaint_id", _codes(complaints, joined).alias("_cc"))
    links = (
        rows.filter(candidate)
        .join(index, on="officer_id", maintain_order="left")
        .join(complaint_code, on="complaint_id", maintain_order="left")
        .select("_row", "_o", "_cc")
    )
    linked_before = links.height
    width = complaint_code.height + 1
    before = officers
    unlinked: set[int] = set()
    while True:
        fully = officers.select(
            pl.all_horizontal([pl.col(a) == WITHHELD for a in person]).alias("f")
        )["f"]
        classes = _officer_classes(links, _codes(officers, person), width)
        small = classes.filter(pl.col("_officers") < k)
        if small.height == 0:
            break
        small_fully = fully.gather(small["_o"])
        stuck = small.filter(small_fully)
        if stuck.height:
            unlinked.update(stuck.get_column("_row").to_list())
            links = links.filter(~pl.col("_row").is_in(stuck.get_column("_row").implode()))
        movable = small.filter(~small_fully).get_column("_o").unique()
        if movable.len():
            # Withhold, for each such officer, the first attribute not yet withheld.
            chosen = pl.int_range(pl.len(), dtype=pl.UInt32).is_in(movable.implode())
            withheld_any = pl.lit(False)
            exprs = []
            for attribute in OFFICER_QUASI_IDENTIFIERS:
                now = chosen & ~withheld_any & (pl.col(attribute) != WITHHELD)
                exprs.append(
                    pl.when(now)
                    .then(pl.lit(WITHHELD))
                    .otherwise(pl.col(attribute))
                    .alias(attribute)
                )
                withheld_any = withheld_any | now
            officers = officers.with_columns(exprs)
            officers, _ = protect_officers(officers, k)
    published = allegations.with_columns(
        pl.when(pl.int_range(pl.len(), dtype=pl.UInt32).is_in(sorted(unlinked)))
        .then(pl.lit(LINK_WITHHELD))
        .otherwise(pl.col("officer_id"))
        .alias("officer_id")
    )
    final = _officer_classes(links, _codes(officers, person), width)
    k_achieved = int(final.get_column("_officers").min()) if final.height else None  # type: ignore[arg-type]
    everything = pl.all_horizontal([pl.col(a) == WITHHELD for a in OFFICER_QUASI_IDENTIFIERS])
    report = {
        "quasi_identifiers": [q.name for q in quasi.officer_join()],
        "k_required": k,
        "k_achieved": k_achieved,
        "measured_as": "distinct officers per combination",
        "links": linked_before,
        "links_withheld": len(unlinked),
        "officers_named_by_policy": len(named),
        "officers_fully_withheld": int(officers.select(everything.sum()).item()),
        "values_withheld": {
            a: int(((officers[a] == WITHHELD) & (before[a] != WITHHELD)).sum())
            for a in OFFICER_QUASI_IDENTIFIERS
        },
    }
    return officers, published, report
