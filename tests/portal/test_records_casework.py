"""Disposal and erasure reach what the casework tools keep: the search index, the correction
history and the numbers of phone calls hold personal data too, so they go with the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Activity, Complainant, Complaint, Correction, Staff
from portal.services import disposal
from portal.services.calls import record_call
from portal.services.corrections import ContactDetails, correct_complainant
from portal.services.search import search_cases
from portal.vocabulary import CallDirection, CallOutcome, CallParty, StaffRole
from tests.portal.search_support import AUDIT_KEY, file_case

NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


def _find(db: Session, staff: Staff, query: str) -> list[int]:
    hits = search_cases(db, query, actor=staff, now=NOW, audit_key=AUDIT_KEY).hits
    db.commit()
    return [hit.complaint_id for hit in hits]


def test_a_disposed_case_is_no_longer_found_and_its_corrections_forget_the_old_values(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    staff = make_staff(StaffRole.SUPERVISOR)
    filed = file_case(db, name="Quentin Oldfield", email="quentin.old@example.org")
    person = db.scalars(select(Complainant).where(Complainant.complaint_id == filed.id)).one()
    correct_complainant(
        db,
        person.id,
        ContactDetails(
            email="quentin.new@example.org",
            phone=None,
            postal_address=None,
            language="en",
            name="Quentin Oldfield",
        ),
        actor=staff,
        now=NOW,
        reason="Caller gave a new address: quentin.new@example.org",
    )
    db.commit()
    assert _find(db, staff, "quentin.new@example.org") == [filed.id]
    history = db.scalars(select(Correction)).all()
    assert [(c.before_value, c.after_value) for c in history if c.is_personal] == [
        ("quentin.old@example.org", "quentin.new@example.org")
    ]

    record_call(
        db,
        filed.id,
        direction=CallDirection.MADE,
        party=CallParty.COMPLAINANT,
        number="+1 555 201 7788",
        occurred_at=NOW,
        outcome=CallOutcome.REACHED,
        note="Quentin confirmed the new address.",
        actor=staff,
        now=NOW,
    )
    db.commit()

    complaint = db.get(Complaint, filed.id)
    assert complaint is not None
    disposal.redact_case(db, complaint, now=NOW)
    db.commit()

    for query in ("Quentin", "quentin.new@example.org", "quentin.old@example.org"):
        assert _find(db, staff, query) == [], query
    db.expire_all()
    (call,) = db.scalars(select(Activity).where(Activity.complaint_id == filed.id)).all()
    assert call.phone_number is None and "Quentin" not in (call.summary or "")
    for row in db.scalars(select(Correction)):
        assert (row.before_value, row.after_value) == (None, None)
        assert "quentin" not in row.reason
