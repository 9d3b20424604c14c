"""Independent measures of k over what an attacker can join in a written release.

Everything here reads the release's CSVs alone, with pandas and pycanon, and lists the
quasi-identifiers by hand (the publisher derives its list from the schemas; these tests must
not borrow it). An empty cell is a value an attacker can match like any other, so it is filled
with a visible token before measuring (pycanon silently skips empty cells).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pycanon import anonymity

#: The complaint's place, time and category columns, as the complaints table publishes them.
COMPLAINT_QI = ["received_period", "closed_period", "days_to_close", "channel", "district"]
#: A complainant's own columns.
COMPLAINANT_QI = ["age_band", "gender", "race"]
#: An officer's own columns.
OFFICER_QI = ["rank_group", "gender", "race", "years_of_service_band"]
#: ``officer_id`` values that link an allegation to no officer.
NOT_LINKED = {"", "unidentified", "withheld"}
EMPTY = "(empty)"


def read(folder: Path, table: str) -> pd.DataFrame:
    """``data/<table>.csv`` as text, empty cells as ``(empty)``."""
    frame = pd.read_csv(folder / "data" / f"{table}.csv", dtype=str, keep_default_na=False)
    return frame.replace("", EMPTY)


def complainants_joined(folder: Path) -> pd.DataFrame:
    """Each complainant with their complaint's place, time and category columns."""
    complaints = read(folder, "complaints")[["complaint_id", *COMPLAINT_QI]]
    complainants = read(folder, "complainants")
    joined = complainants.merge(complaints, on="complaint_id", how="left", validate="m:1")
    assert len(joined) == len(complainants)
    return joined


def officers_joined(folder: Path) -> pd.DataFrame:
    """Each allegation linked to an officer, with the officer's and the complaint's columns."""
    allegations = read(folder, "allegations")
    linked = allegations[~allegations["officer_id"].replace(EMPTY, "").isin(NOT_LINKED)]
    officers = read(folder, "officers")[["officer_id", *OFFICER_QI]]
    complaints = read(folder, "complaints")[["complaint_id", *COMPLAINT_QI]]
    joined = linked.merge(officers, on="officer_id", validate="m:1").merge(
        complaints, on="complaint_id", validate="m:1"
    )
    assert len(joined) == len(linked)
    return joined


def complainant_k(folder: Path) -> int:
    """k of the complainants joined with their complaints, measured by pycanon."""
    return int(anonymity.k_anonymity(complainants_joined(folder), COMPLAINANT_QI + COMPLAINT_QI))


def officer_k(folder: Path) -> tuple[int, int]:
    """(pycanon's k in allegation rows, fewest distinct officers in a class) of the officers
    joined with their allegations and complaints; (0, 0) when no allegation is linked."""
    joined = officers_joined(folder)
    if joined.empty:
        return 0, 0
    keys = OFFICER_QI + COMPLAINT_QI
    rows = int(anonymity.k_anonymity(joined, keys))
    officers = int(joined.groupby(keys)["officer_id"].nunique().min())
    return rows, officers
