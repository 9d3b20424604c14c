"""Factories for the records tests: a closed case with personal data in every field that holds
any, real evidence files on disk, and the appeal, note, message and email that come with it."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    Agency,
    Appeal,
    Attachment,
    CaseEvent,
    Complainant,
    Complaint,
    InternalNote,
    InvolvedOfficer,
    OutboxMessage,
    Referral,
    Staff,
    StatusEvent,
    SurveyResponse,
)
from portal.vocabulary import (
    ActivityKind,
    AppealState,
    CaseState,
    ContactMethod,
    Finding,
    Gender,
    PublicStatus,
    Race,
    StatusEventKind,
)
from tests.publisher.publish_support import add_case, utc

CLOSED = utc(2019, 5, 6)


def store_file(folder: Path, content: bytes) -> str:
    """Write ``content`` as a stored evidence file; return its stored name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (folder / name).write_bytes(content)
    return name


def personal_case(
    db: Session,
    folder: Path,
    marker: str,
    *,
    closed_at: dt.datetime = CLOSED,
    state: CaseState = CaseState.CLOSED,
    finding: Finding = Finding.NOT_SUSTAINED,
    complainants: int = 1,
    staff: Staff | None = None,
    **values: Any,
) -> Complaint:
    """A case closed at ``closed_at`` whose every personal field carries ``marker``; with two
    evidence files on disk (one from the public, one added by ``staff`` when given)."""
    people = [
        {
            "name": f"{marker} Person{i}",
            "email": f"{marker.lower()}{i}@mail.example",
            "phone": f"555-01{i:02d}",
            "postal_address": f"{i} {marker} Street",
            "contact_method": ContactMethod.EMAIL,
            "age": 30 + i,
            "age_band": None,
            "gender": Gender.WOMAN,
            "race": Race.BLACK,
        }
        for i in range(1, complainants + 1)
    ]
    complaint = add_case(
        db,
        state=state,
        received_at=closed_at - dt.timedelta(days=60),
        closed_at=closed_at,
        complainants=people,
        allegations=[{"finding": finding}],
        narrative=f"{marker} narrative: my neighbour {marker}Witness saw it",
        incident_location=f"{marker} corner",
        incident_date=dt.date(2019, 2, 1),
        witnesses=f"{marker}Witness, 555-0199",
        screening_reason=f"{marker} screening reason",
        access_code_hash="x" * 64,
        **values,
    )
    officer = db.query(InvolvedOfficer).filter_by(complaint_id=complaint.id).one()
    officer.name_given, officer.description = f"{marker} Officer", f"{marker} tattoo"
    at = complaint.received_at
    db.add_all(
        [
            StatusEvent(
                complaint_id=complaint.id,
                kind=StatusEventKind.MESSAGE,
                message=f"{marker} message",
                created_at=at,
            ),
            StatusEvent(
                complaint_id=complaint.id,
                kind=StatusEventKind.STATUS_CHANGE,
                public_status=PublicStatus.CLOSED,
                created_at=closed_at,
            ),
            CaseEvent(
                complaint_id=complaint.id,
                to_state=state,
                at=closed_at,
                reason=f"{marker} internal reason",
            ),
            Attachment(
                complaint_id=complaint.id,
                original_name=f"{marker}-photo.jpg",
                stored_name=store_file(folder, f"{marker} photo bytes".encode()),
                content_type="image/jpeg",
                size_bytes=len(f"{marker} photo bytes"),
                sha256="a" * 64,
                uploaded_at=at,
            ),
            OutboxMessage(
                message_id=f"<{secrets.token_hex(8)}@lantern>",
                complaint_id=complaint.id,
                to_address=f"{marker.lower()}1@mail.example",
                subject="Your complaint",
                body_text=f"{marker} email body",
                next_attempt_at=at,
                created_at=at,
            ),
            SurveyResponse(
                complaint_id=complaint.id, submitted_at=closed_at, comment=f"{marker} survey"
            ),
            Appeal(
                complaint_id=complaint.id,
                requested_at=closed_at,
                reason=f"{marker} appeal reason",
                state=AppealState.DENIED,
                decided_at=closed_at,
                decision=f"{marker} decision",
            ),
        ]
    )
    if staff is not None:
        agency = Agency(name=f"Agency {secrets.token_hex(4)}")
        db.add(agency)
        db.flush()
        db.add_all(
            [
                InternalNote(
                    complaint_id=complaint.id,
                    author_id=staff.id,
                    body=f"{marker} note",
                    created_at=at,
                ),
                Activity(
                    complaint_id=complaint.id,
                    kind=ActivityKind.INTERVIEW_COMPLAINANT,
                    occurred_on=at.date(),
                    summary=f"{marker} interview",
                    actor_id=staff.id,
                    created_at=at,
                ),
                Referral(
                    complaint_id=complaint.id,
                    agency_id=agency.id,
                    referred_at=at,
                    outcome=f"{marker} outcome",
                ),
                Attachment(
                    complaint_id=complaint.id,
                    original_name=f"{marker}-bodycam.mp4",
                    stored_name=store_file(folder, b"office video"),
                    content_type="video/mp4",
                    size_bytes=12,
                    sha256="b" * 64,
                    uploaded_at=at,
                    uploaded_by_id=staff.id,
                ),
            ]
        )
    db.flush()
    return complaint


def complainants_of(db: Session, complaint_id: int) -> list[Complainant]:
    """The case's complainants in id order."""
    return list(db.query(Complainant).filter_by(complaint_id=complaint_id).order_by(Complainant.id))
