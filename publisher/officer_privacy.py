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
