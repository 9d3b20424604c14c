"""Extraction: only closed cases, only allow-listed columns, exact values reduced in SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal.vocabulary import CaseState, Finding, Gender
from publisher.extract import (
    ALLEGATION_COLUMNS,
    COMPLAINANT_COLUMNS,
    COMPLAINT_COLUMNS,
    OFFICER_COLUMNS,
    extract,
    rank_group,
)
from publisher.keys import complaint_pseudonym, officer_identity, officer_pseudonym
from tests.publisher.publish_support import KEY, add_case, add_officer, utc

BKEY = KEY.encode()


def test_only_closed_cases_with_months_days_and_public_status(db: Session, engine: Engine) -> None:
    closed = add_case(
        db, received_at=utc(2025, 1, 31, 23, 59), closed_at=utc(2025, 3, 2, 0, 1), district="D03"
    )
    declined = add_case(
        db, state=CaseState.DECLINED, received_at=utc(2025, 1, 5), closed_at=utc(2025, 2, 1)
    )
    add_case(db, state=CaseState.INVESTIGATION)  # open: never extracted
    db.commit()

    x = extract(engine, BKEY, batch_rows=1)  # one row per batch: the batching is exercised
    assert x.closed_cases == 2
    assert x.complaints.columns == list(COMPLAINT_COLUMNS)
    rows = {r["complaint_id"]: r for r in x.complaints.to_dicts()}
    assert set(rows) == {
        complaint_pseudonym(closed.id, BKEY),
        complaint_pseudonym(declined.id, BKEY),
    }
    first = rows[complaint_pseudonym(closed.id, BKEY)]
    # 31 Jan -> 28 Feb is 28 days, -> 2 Mar two more: 30 (calendar dates, not hours).
    assert first["days_to_close"] == 30
    assert first["received_month"] == dt.date(2025, 1, 1)
    assert first["closed_month"] == dt.date(2025, 3, 1)
    assert first["district"] == "D03" and first["public_status"] == "closed"
    assert rows[complaint_pseudonym(declined.id, BKEY)]["public_status"] == "closed"
    assert x.as_of == dt.date(2025, 3, 1)


def test_allegations_officers_and_complainants_keep_only_published_columns(
    db: Session, engine: Engine
) -> None:
    officer = add_officer(db, rank="Sergeant", hired_on=dt.date(2013, 6, 1), gender="Man")
    case = add_case(
        db,
        officer=officer,
        received_at=utc(2025, 1, 10),
        closed_at=utc(2025, 6, 20),
        allegations=[{"finding": Finding.SUSTAINED}],
        complainants=[
            {"age": 37, "age_band": None, "gender": None, "race": None},
            {"age_band": None, "gender": Gender.MAN},
        ],
    )
    add_case(db)  # an unidentified officer
    db.commit()

    x = extract(engine, BKEY)
    assert x.allegations.columns == list(ALLEGATION_COLUMNS)
    assert x.officers.columns == list(OFFICER_COLUMNS)  # no names by default
    assert x.complainants.columns == list(COMPLAINANT_COLUMNS)
    pid = officer_pseudonym(officer_identity(officer.source, officer.source_id, officer.id), BKEY)
    assert sorted(x.allegations["officer_id"].to_list()) == sorted([pid, "unidentified"])
    (o,) = x.officers.to_dicts()
    # Hired June 2013, release as of June 2025: 12 years -> band 10_14.
    assert o == {
        "officer_id": pid,
        "rank_group": "supervisor",
        "gender": "man",
        "race": "white",
        "years_of_service_band": "10_14",
    }
    mine = x.complainants.filter(
        x.complainants["complaint_id"] == complaint_pseudonym(case.id, BKEY)
    )
    # Exact age 37 leaves only as its band; missing values are "unknown", never empty.
    assert sorted(mine.rows()) == sorted(
        [
            (complaint_pseudonym(case.id, BKEY), "35_44", "unknown", "unknown"),
            (complaint_pseudonym(case.id, BKEY), "unknown", "man", "black"),
        ]
    )


def test_officer_names_only_when_asked_and_sustained_only_means_it(
    db: Session, engine: Engine
) -> None:
    sustained = add_officer(db, first_name="Sam", last_name="Sustained")
    cleared = add_officer(db, first_name="Cleo", last_name="Cleared")
    add_case(db, officer=sustained, allegations=[{"finding": Finding.SUSTAINED}])
    add_case(db, officer=cleared, allegations=[{"finding": Finding.EXONERATED}])
    db.commit()

    names = dict(
        extract(engine, BKEY, officer_names="sustained_only")
        .officers.select("officer_id", "officer_name")
        .rows()
    )
    assert sorted(names.values(), key=str) == sorted(["Sam Sustained", None], key=str)
    every = extract(engine, BKEY, officer_names="all").officers["officer_name"].to_list()
    assert sorted(every) == ["Cleo Cleared", "Sam Sustained"]


def test_inconsistent_and_undated_closures_are_counted_and_reconcile(
    db: Session, engine: Engine
) -> None:
    add_case(db, received_at=utc(2025, 5, 1), closed_at=utc(2025, 4, 1))  # closed before received
    undated = add_case(db, received_at=utc(2025, 5, 1))
    undated.closed_at = None
    add_case(db)
    db.commit()

    x = extract(engine, BKEY)
    assert x.closed_cases == 3
    assert sum(x.exclusions.values()) == 1 and "inconsistent" in next(iter(x.exclusions))
    assert len(x.complaints) + sum(x.exclusions.values()) == x.closed_cases
    assert list(x.notes.values()) == [1]
    row = x.complaints.filter(x.complaints["complaint_id"] == complaint_pseudonym(undated.id, BKEY))
    assert row["closed_month"].to_list() == [None] and row["days_to_close"].to_list() == [None]
    # The excluded case's children leave with it.
    assert set(x.allegations["complaint_id"]) == set(x.complaints["complaint_id"])
    assert set(x.complainants["complaint_id"]) == set(x.complaints["complaint_id"])


def test_rank_groups() -> None:
    assert rank_group("Police Officer") == "officer"
    assert rank_group("Police Officer 1") == "officer"
    assert rank_group("Lieutenant") == "supervisor"
    assert rank_group("Staff Inspector") == "command"
    assert rank_group("Crossing guard") == "other"
    assert rank_group(None) == "unknown"


def test_fast_pseudonyms_equal_the_reference_implementation() -> None:
    from publisher.extract import _pseudonyms

    for key in (BKEY, b"x" * 100, b"k" * 64, b"short-but-allowed-in-this-test"):
        ids = list(range(0, 50_000, 7))
        fast = _pseudonyms([f"complaint:{i}" for i in ids], "C", key)
        assert fast == [complaint_pseudonym(i, key) for i in ids]
