"""Helpers for the publisher's tests: insert a case with every field chosen by the test."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from portal.models import (
    Allegation,
    Attachment,
    Complainant,
    Complaint,
    InternalNote,
    InvolvedOfficer,
    Officer,
    Staff,
    StatusEvent,
)
from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    CaseState,
    Channel,
    Discipline,
    Finding,
    Gender,
    Race,
    ScreeningOutcome,
    StaffRole,
    StatusEventKind,
)

KEY = "test-pseudonym-key-0123456789abcdef0123456789"
_numbers = itertools.count(1)


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def add_officer(db: Session, **values: Any) -> Officer:
    """A roster officer (flushed, so it has an id)."""
    n = next(_numbers)
    fields: dict[str, Any] = {
        "badge_number": f"B{n:05d}",
        "first_name": "Pat",
        "last_name": f"Officer{n}",
        "rank": "Police Officer",
        "gender": "man",
        "race": "white",
        "hired_on": dt.date(2015, 6, 1),
        "source": "roster",
        "source_id": f"R{n}",
    }
    officer = Officer(**(fields | values))
    db.add(officer)
    db.flush()
    return officer


def add_case(
    db: Session,
    *,
    state: CaseState = CaseState.CLOSED,
    received_at: dt.datetime | None = None,
    closed_at: dt.datetime | None = None,
    officer: Officer | None = None,
    complainants: list[dict[str, Any]] | None = None,
    allegations: list[dict[str, Any]] | None = None,
    **values: Any,
) -> Complaint:
    """A complaint with one involved officer (``officer``, or unidentified), its allegations
    (default: one force allegation, not sustained) and complainants (default: one)."""
    n = next(_numbers)
    received = received_at or utc(2025, 3, 10)
    fields: dict[str, Any] = {
        "reference": f"LNT-T{n:03d}-{n:04d}"[:16],
        "channel": Channel.ONLINE,
        "state": state,
        "received_at": received,
        "closed_at": closed_at if closed_at is not None else received + dt.timedelta(days=40),
        "district": "D01",
        "narrative": "Something happened.",
        "screening_outcome": ScreeningOutcome.INVESTIGATE,
        "created_at": received,
        "updated_at": received,
    }
    complaint = Complaint(**(fields | values))
    db.add(complaint)
    db.flush()
    involved = InvolvedOfficer(
        complaint_id=complaint.id,
        officer_id=officer.id if officer else None,
        is_unknown=not officer,
    )
    db.add(involved)
    db.flush()
    for allegation in allegations or [{}]:
        db.add(
            Allegation(
                complaint_id=complaint.id,
                involved_officer_id=involved.id,
                **(
                    {
                        "category": AllegationCategory.FORCE,
                        "finding": Finding.NOT_SUSTAINED,
                        "discipline": Discipline.NONE,
                    }
                    | allegation
                ),
            )
        )
    for person in complainants if complainants is not None else [{}]:
        db.add(
            Complainant(
                complaint_id=complaint.id,
                **(
                    {"age_band": AgeBand.AGE_25_34, "gender": Gender.WOMAN, "race": Race.BLACK}
                    | person
                ),
            )
        )
    db.flush()
    return complaint


def add_everything_personal(db: Session, complaint: Complaint, marker: str) -> None:
    """Attach a note, a public message and an attachment whose texts carry ``marker``."""
    staff = Staff(
        email=f"{marker.lower()}-staff@example.org",
        name=f"{marker} Staff",
        role=StaffRole.INVESTIGATOR,
        created_at=complaint.received_at,
    )
    db.add(staff)
    db.flush()
    db.add(
        InternalNote(
            complaint_id=complaint.id,
            author_id=staff.id,
            body=f"{marker} note",
            created_at=complaint.received_at,
        )
    )
    db.add(
        StatusEvent(
            complaint_id=complaint.id,
            kind=StatusEventKind.MESSAGE,
            message=f"{marker} message",
            created_at=complaint.received_at,
        )
    )
    db.add(
        Attachment(
            complaint_id=complaint.id,
            original_name=f"{marker}-photo.jpg",
            stored_name=f"{marker}-stored"[:64],
            content_type="image/jpeg",
            size_bytes=10,
            sha256="0" * 64,
            uploaded_at=complaint.received_at,
        )
    )
    db.flush()


def readable_bytes(path: Path) -> bytes:
    """What a file of a release says, as bytes a scan can search: a CSV, JSON or text file as
    it is; the SQLite copy as its SQL dump (every value quoted and separated, so two adjacent
    values cannot form a false match); a Parquet copy decoded to CSV (its pages are compressed,
    so a raw scan would miss what they hold)."""
    import sqlite3

    import polars as pl

    if path.suffix == ".sqlite":
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return "\n".join(connection.iterdump()).encode()
        finally:
            connection.close()
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_csv().encode()
    return path.read_bytes()
