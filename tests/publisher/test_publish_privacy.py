"""Privacy canary: every personal field carries a unique marker; no marker reaches the release.

Each case below stores a distinct marker in every field that must never be published (names,
contact details, addresses, narratives, notes, messages, references, access-code hashes,
attachment names, officer names and badges, source ids, exact dates and times, exact ages).
After ``publish`` every byte of every file of the release is searched for every marker. A
positive control publishes officer names under a policy that allows it and finds them, so the
scan is shown to be able to fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portal.models import Activity, CaseEvent
from portal.vocabulary import (
    ActivityKind,
    AgeBand,
    CaseState,
    ComplainantRole,
    Finding,
    Gender,
    Race,
)
from publisher.policy import load_policy
from publisher.publish import publish
from tests.publisher.publish_support import (
    KEY,
    add_case,
    add_everything_personal,
    add_officer,
    readable_bytes,
    utc,
)

CASES = 12


def _marker(case: int, field: str) -> str:
    """A unique, unmistakable marker for one field of one case."""
    return f"QX{case:02d}{field.upper()}ZZ"


def _mark(markers: list[str], case: int, field: str) -> str:
    """A new marker for ``field`` of ``case``, remembered in ``markers``."""
    value = _marker(case, field)
    markers.append(value)
    return value


def _seed_marked(db: Session) -> tuple[list[str], list[str]]:
    """Insert CASES closed cases full of markers; return (byte markers, exact ages as text)."""
    markers: list[str] = []
    ages: list[str] = []
    for i in range(CASES):
        m = functools.partial(_mark, markers, i)

        # Exact dates and times: unusual days and minutes, searched as ISO text.
        received = utc(2024, 3, 11 + i, 13, 47)
        closed = utc(2024, 7, 19 + i % 9, 9, 23)
        incident = dt.date(2024, 2, 13 + i)
        markers += [
            received.date().isoformat(),
            closed.date().isoformat(),
            incident.isoformat(),
            "13:47",
            "09:23",
            "04:13",
        ]
        hired = dt.date(2003, 5, 14 + i)
        markers.append(hired.isoformat())
        officer = add_officer(
            db,
            first_name=m("ofirst"),
            last_name=m("olast"),
            badge_number=m("badge"),
            source="roster",
            source_id=m("osrcid"),
            unit=m("unit"),
            hired_on=hired,
        )
        age = 70 + i  # exact ages 70..81: only their band may appear
        ages.append(str(age))
        complaint = add_case(
            db,
            state=CaseState.CLOSED,
            received_at=received,
            closed_at=closed,
            officer=officer,
            reference=f"LNT-{i:02d}QX-MARK"[:16],
            access_code_hash=m("codehash"),
            idempotency_key=m("idem"),
            incident_date=incident,
            incident_time=dt.time(4, 13),
            incident_location=m("location"),
            beat=m("beat"),
            narrative=m("narrative"),
            witnesses=m("witness"),
            screening_reason=m("screenreason"),
            source="legacy",
            source_id=m("csrcid"),
            district="D01",
            allegations=[{"finding": Finding.SUSTAINED if i % 2 else Finding.NOT_SUSTAINED}],
            complainants=[
                {
                    "name": m("cname"),
                    "email": f"{m('email').lower()}@example.org",
                    "phone": m("phone"),
                    "postal_address": m("address"),
                    "on_behalf_of": m("behalf"),
                    "interpreter_language": m("interp"),
                    "role": ComplainantRole.ON_BEHALF,
                    "age": age,
                    "age_band": AgeBand.AGE_65_PLUS,
                    "gender": Gender.WOMAN,
                    "race": Race.BLACK,
                }
            ],
        )
        markers.append(f"LNT-{i:02d}QX-MARK"[:16])
        complaint.officers[0].name_given = m("namegiven")
        complaint.officers[0].badge_given = m("badgegiven")
        complaint.officers[0].unit_given = m("unitgiven")
        complaint.officers[0].description = m("odesc")
        add_everything_personal(db, complaint, m("extra"))
        db.add(
            CaseEvent(
                complaint_id=complaint.id,
                from_state=CaseState.FINDINGS_REVIEW,
                to_state=CaseState.CLOSED,
                at=closed,
                reason=m("eventreason"),
            )
        )
        db.add(
            Activity(
                complaint_id=complaint.id,
                kind=ActivityKind.SITE_VISIT,
                occurred_on=incident,
                summary=m("activity"),
                created_at=received,
            )
        )
    db.commit()
    return markers, ages


def _scan(folder: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found (case-insensitive) in any file of ``folder``, the
    SQLite and Parquet copies decoded (``readable_bytes``)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = readable_bytes(path).lower()
        found += [(path.name, n) for n in needles if n.lower().encode() in blob]
    return found


def test_no_personal_field_and_not_the_key_reaches_the_release(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    markers, ages = _seed_marked(db)
    result = publish(engine, "1.0.0", tmp_path, policy=load_policy(), key=KEY.encode(), workers=1)
    assert result.complaints == CASES
    files = [p for p in result.folder.rglob("*") if p.is_file()]
    assert len(files) >= 18  # 13 CSVs + datapackage, reports, policy, changelog, sums

    assert _scan(result.folder, [*markers, KEY]) == []
    # Exact ages: no cell of any CSV holds one (a byte scan would hit hashes and counts).
    for path in result.folder.glob("data/*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for column in ("age_band", "value"):
            cells = {r[column] for r in rows if column in r}
            assert not cells & set(ages), (path.name, column)
    # Officers appear under pseudonyms only.
    officers = (result.folder / "data" / "officers.csv").read_text().splitlines()
    assert officers[0] == "officer_id,rank_group,gender,race,years_of_service_band"


def test_positive_control_names_appear_when_the_policy_publishes_them(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    markers, _ = _seed_marked(db)
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('[officers]\npublish_officer_names = "sustained_only"\n')
    out = tmp_path / "releases"
    result = publish(
        engine, "1.0.0", out, policy=load_policy(policy_file), key=KEY.encode(), workers=1
    )
    found = _scan(result.folder, markers)
    names = {n for _, n in found}
    # Odd cases have a sustained allegation: their officers' names are published, nothing else.
    expected = {_marker(i, f) for i in range(1, CASES, 2) for f in ("ofirst", "olast")}
    assert names == expected
    # In the officers table and its copies (the release's SQLite database and Parquet file).
    assert {f for f, _ in found} == {"officers.csv", "lantern-1.0.0.sqlite", "officers.parquet"}
