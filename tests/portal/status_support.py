"""Helpers for the status tests: complaints with a known reference and access code."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from portal.models import Complaint, StatusEvent
from portal.services.intake import Submission, file_complaint
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
    received_at: dt.datetime = RECEIVED,
    narrative: str = "An officer shouted at me.",
) -> Filed:
    """File a complaint through the real intake service (as the online form does); commit."""
    filed = file_complaint(
        db,
        Submission(narrative=narrative, consent=True),
        channel=Channel.ONLINE,
        entered_by=None,
        now=received_at,
        access_code_key=KEY,
        idempotency_key=None,
    )
    assert filed.access_code is not None
    return Filed(filed.complaint_id, filed.reference, filed.access_code)


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
