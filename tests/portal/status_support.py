"""Helpers for the status tests: complaints with a known reference and access code."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from portal.models import Complaint, StatusEvent
from portal.services.identifiers import hash_access_code, new_access_code, new_reference
from portal.vocabulary import PUBLIC_STATUS_OF, CaseState, Channel, StatusEventKind

#: The access-code key of the test app (tests/conftest.py base_test_config).
KEY = "test-access-code-key"
#: A Monday, so business-day arithmetic in the tests is easy to check by hand.
RECEIVED = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


@dataclasses.dataclass
class Filed:
    """A complaint in the test database and the credentials its complainant holds."""

    id: int
    reference: str
    code: str


def make_complaint(
    db: Session,
    *,
    state: CaseState = CaseState.RECEIVED,
    received_at: dt.datetime = RECEIVED,
    narrative: str = "An officer shouted at me.",
) -> Filed:
    """Insert a complaint as the intake would (received event included); commit."""
    reference, code = new_reference(), new_access_code()
    complaint = Complaint(
        reference=reference,
        access_code_hash=hash_access_code(code, KEY),
        channel=Channel.ONLINE,
        state=state,
        received_at=received_at,
        narrative=narrative,
        created_at=received_at,
        updated_at=received_at,
    )
    db.add(complaint)
    db.flush()
    db.add(
        StatusEvent(
            complaint_id=complaint.id,
            kind=StatusEventKind.STATUS_CHANGE,
            public_status=PUBLIC_STATUS_OF[CaseState.RECEIVED],
            created_at=received_at,
        )
    )
    db.commit()
    return Filed(complaint.id, reference, code)


def move_to(db: Session, filed: Filed, state: CaseState, at: dt.datetime) -> None:
    """Move a complaint to ``state`` with its public status step, as staff work would; commit."""
    complaint = db.get(Complaint, filed.id)
    assert complaint is not None
    complaint.state = state
    if state in {CaseState.CLOSED, CaseState.DECLINED}:
        complaint.closed_at = at
    db.add(
        StatusEvent(
            complaint_id=filed.id,
            kind=StatusEventKind.STATUS_CHANGE,
            public_status=PUBLIC_STATUS_OF[state],
            created_at=at,
        )
    )
    db.commit()
