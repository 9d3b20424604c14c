"""Every casework service that changes something writes its audit entry, with the acting staff
member, in the same transaction as the change (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Allegation, AuditEntry, Complaint, Officer, Staff
from portal.services import appeals, casework, investigation
from portal.vocabulary import (
    ActivityKind,
    AllegationCategory,
    AppealState,
    CaseState,
    Discipline,
    Finding,
    ScreeningOutcome,
    StaffRole,
)
from tests.portal.casework_support import T0, make_complaint

DAY = dt.timedelta(days=1)


def _case(db: Session, state: CaseState, with_allegation: bool = True) -> Complaint:
    complaint = make_complaint(
        db, state=state, categories=(AllegationCategory.FORCE,) if with_allegation else ()
    )
    if state is CaseState.FINDINGS_REVIEW:
        complaint.allegations[0].recommended_finding = Finding.SUSTAINED
    if state in (CaseState.CLOSED,):
        complaint.allegations[0].finding = Finding.UNFOUNDED
        complaint.closed_at = T0
    db.commit()
    return complaint


Action = Callable[[Session, Staff], Any]


def _agency(db: Session, staff: Staff) -> int:
    agency = casework.add_agency(
        db, name="Agency X", contact=None, handles=None, actor=staff, now=T0
    )
    db.commit()
    return agency.id


def _officer(db: Session) -> int:
    officer = Officer(badge_number="999")
    db.add(officer)
    db.commit()
    return officer.id


CASES: dict[str, tuple[str, Action]] = {
    "acknowledge": (
        "complaint.acknowledge",
        lambda db, s: casework.acknowledge(db, _case(db, CaseState.RECEIVED).id, actor=s, now=T0),
    ),
    "start_screening": (
        "complaint.start_screening",
        lambda db, s: casework.start_screening(
            db, _case(db, CaseState.RECEIVED).id, actor=s, now=T0
        ),
    ),
    "screen": (
        "complaint.screen_investigate",
        lambda db, s: casework.screen(
            db, _case(db, CaseState.SCREENING).id, ScreeningOutcome.INVESTIGATE, actor=s, now=T0
        ),
    ),
    "add_agency": ("agency.add", lambda db, s: _agency(db, s)),
    "edit_agency": (
        "agency.edit",
        lambda db, s: casework.edit_agency(db, _agency(db, s), is_active=False, actor=s, now=T0),
    ),
    "assign": (
        "complaint.assign",
        lambda db, s: casework.assign(
            db, _case(db, CaseState.INVESTIGATION).id, s.id, actor=s, now=T0
        ),
    ),
    "activity": (
        "activity.add",
        lambda db, s: casework.log_activity(
            db,
            _case(db, CaseState.INVESTIGATION).id,
            kind=ActivityKind.SITE_VISIT,
            occurred_on=T0.date(),
            summary="x",
            actor=s,
            now=T0,
        ),
    ),
    "note": (
        "note.add",
        lambda db, s: casework.add_note(
            db, _case(db, CaseState.INVESTIGATION).id, "x", actor=s, now=T0
        ),
    ),
    "link": (
        "complaint.link",
        lambda db, s: casework.link_complaints(
            db,
            _case(db, CaseState.RECEIVED).id,
            _case(db, CaseState.RECEIVED).id,
            reason=None,
            actor=s,
            now=T0,
        ),
    ),
    "message": (
        "complaint.message",
        lambda db, s: casework.send_message(
            db, _case(db, CaseState.RECEIVED).id, "x", actor=s, now=T0
        ),
    ),
    "add_officer": (
        "officer.add",
        lambda db, s: investigation.add_involved_officer(
            db, _case(db, CaseState.INVESTIGATION).id, description="tall", actor=s, now=T0
        ),
    ),
    "identify_officer": (
        "officer.identify",
        lambda db, s: investigation.identify_officer(
            db, _case(db, CaseState.INVESTIGATION).officers[0].id, _officer(db), actor=s, now=T0
        ),
    ),
    "add_allegation": (
        "allegation.add",
        lambda db, s: investigation.add_allegation(
            db,
            _case(db, CaseState.INVESTIGATION).id,
            category=AllegationCategory.BIAS,
            involved_officer_id=None,
            actor=s,
            now=T0,
        ),
    ),
    "recommend": (
        "allegation.recommend",
        lambda db, s: investigation.recommend_finding(
            db,
            _case(db, CaseState.INVESTIGATION).allegations[0].id,
            Finding.EXONERATED,
            actor=s,
            now=T0,
        ),
    ),
    "submit_findings": (
        "complaint.submit_findings",
        lambda db, s: investigation.submit_findings(db, _investigated(db).id, actor=s, now=T0),
    ),
    "decide": (
        "allegation.decide",
        lambda db, s: investigation.decide_allegation(
            db,
            _case(db, CaseState.FINDINGS_REVIEW).allegations[0].id,
            finding=Finding.SUSTAINED,
            discipline=Discipline.TRAINING,
            actor=s,
            now=T0,
        ),
    ),
    "return": (
        "complaint.return_to_investigation",
        lambda db, s: investigation.return_to_investigation(
            db, _case(db, CaseState.FINDINGS_REVIEW).id, reason="more", actor=s, now=T0
        ),
    ),
    "escalate": (
        "complaint.escalate",
        lambda db, s: investigation.escalate(
            db, _case(db, CaseState.REFERRED).id, reason="no answer", actor=s, now=T0
        ),
    ),
    "withdraw": (
        "complaint.withdraw",
        lambda db, s: investigation.withdraw(
            db, _case(db, CaseState.SCREENING).id, reason=None, actor=s, now=T0
        ),
    ),
    "close": (
        "complaint.close",
        lambda db, s: investigation.close(
            db, _case(db, CaseState.EARLY_RESOLUTION).id, actor=s, now=T0
        ),
    ),
    "reopen": (
        "complaint.reopen",
        lambda db, s: investigation.reopen(
            db, _case(db, CaseState.CLOSED).id, reason="new video", actor=s, now=T0
        ),
    ),
    "decide_appeal": (
        "appeal.decide",
        lambda db, s: appeals.decide_appeal(
            db, _appealed(db).id, outcome=AppealState.DENIED, decision="No.", actor=s, now=T0 + DAY
        ),
    ),
}


def _investigated(db: Session) -> Complaint:
    complaint = _case(db, CaseState.INVESTIGATION)
    complaint.allegations[0].recommended_finding = Finding.NOT_SUSTAINED
    db.commit()
    return complaint


def _appealed(db: Session) -> Any:
    complaint = _case(db, CaseState.CLOSED)
    appeal = appeals.request_appeal(db, complaint.id, reason="", now=T0)
    db.commit()
    return appeal


@pytest.mark.parametrize("name", list(CASES))
def test_each_action_writes_its_audit_entry(
    name: str, db: Session, make_staff: Callable[..., Staff]
) -> None:
    staff = make_staff(StaffRole.SUPERVISOR)
    expected, call = CASES[name]
    before = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == expected)
    )
    call(db, staff)
    db.commit()
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.action == expected).order_by(AuditEntry.id)
    ).all()
    assert len(entries) == (before or 0) + 1
    assert entries[-1].actor_id == staff.id
    assert entries[-1].at == T0 or entries[-1].at == T0 + DAY


def test_a_refused_action_writes_nothing(db: Session, make_staff: Callable[..., Staff]) -> None:
    staff = make_staff(StaffRole.SUPERVISOR)
    complaint = _case(db, CaseState.RECEIVED)
    with pytest.raises(ValueError):
        investigation.close(db, complaint.id, actor=staff, now=T0)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert (
        db.scalar(
            select(func.count()).select_from(Allegation).where(Allegation.finding.is_not(None))
        )
        == 0
    )
