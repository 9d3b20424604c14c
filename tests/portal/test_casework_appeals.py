"""Appeals within the window after closure, their decision shown publicly and emailed, and the
satisfaction survey (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, Complaint, OutboxMessage, Staff
from portal.services import appeals, casework
from portal.services.casework import CaseworkError
from portal.services.notify import MailSettings
from portal.vocabulary import (
    AllegationCategory,
    AppealState,
    CaseState,
    Finding,
    PublicStatus,
    ScreeningOutcome,
    StaffRole,
    StatusEventKind,
)
from tests.portal.casework_support import T0, make_complaint

SETTINGS = MailSettings(appeal_window_days=30)
DAY = dt.timedelta(days=1)


@pytest.fixture
def supervisor(make_staff: Callable[..., Staff]) -> Staff:
    return make_staff(StaffRole.SUPERVISOR)


def _closed_case(
    db: Session, supervisor: Staff, *, email: str | None = "e@example.org"
) -> Complaint:
    """A case closed on T0 + 2 days after early resolution (automatic 'mediated' finding)."""
    complaint = make_complaint(
        db, email=email, language="es", categories=(AllegationCategory.DISCOURTESY,)
    )
    db.commit()
    casework.screen(
        db, complaint.id, ScreeningOutcome.EARLY_RESOLUTION, actor=supervisor, now=T0 + DAY
    )
    from portal.services import investigation

    investigation.close(db, complaint.id, actor=supervisor, now=T0 + 2 * DAY, settings=SETTINGS)
    db.commit()
    assert complaint.allegations[0].finding is Finding.MEDIATED
    return complaint


def test_appeal_window_edges(db: Session, supervisor: Staff) -> None:
    complaint = _closed_case(db, supervisor)
    last_day = (T0 + 2 * DAY).date() + dt.timedelta(days=30)
    assert appeals.appeal_deadline(complaint, SETTINGS) == last_day
    late_evening = dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=dt.UTC)
    assert appeals.can_request_appeal(db, complaint, now=late_evening, settings=SETTINGS)
    assert not appeals.can_request_appeal(
        db, complaint, now=late_evening + dt.timedelta(minutes=1), settings=SETTINGS
    )
    with pytest.raises(CaseworkError, match="can no longer be requested"):
        appeals.request_appeal(
            db, complaint.id, reason="late", now=late_evening + DAY, settings=SETTINGS
        )


def test_request_and_decide_upheld(
    db: Session, supervisor: Staff, make_staff: Callable[..., Staff]
) -> None:
    commissioner = make_staff(StaffRole.COMMISSIONER)
    complaint = _closed_case(db, supervisor)
    appeal = appeals.request_appeal(
        db, complaint.id, reason="No me escucharon", now=T0 + 5 * DAY, settings=SETTINGS
    )
    db.commit()
    assert complaint.state is CaseState.APPEAL_REQUESTED
    with pytest.raises(CaseworkError, match="can no longer be requested"):  # only once
        appeals.request_appeal(
            db, complaint.id, reason="again", now=T0 + 6 * DAY, settings=SETTINGS
        )
    db.rollback()
    investigator = make_staff(StaffRole.INVESTIGATOR)
    with pytest.raises(CaseworkError, match="not allowed"):
        appeals.decide_appeal(
            db,
            appeal.id,
            outcome=AppealState.UPHELD,
            decision="x",
            actor=investigator,
            now=T0 + 7 * DAY,
        )
    decision = "Revisamos el expediente y la mediación se hizo correctamente."
    appeals.decide_appeal(
        db,
        appeal.id,
        outcome=AppealState.UPHELD,
        decision=decision,
        actor=commissioner,
        now=T0 + 8 * DAY,
        settings=SETTINGS,
    )
    db.commit()
    assert complaint.state is CaseState.APPEAL_DECIDED
    assert (appeal.state, appeal.decided_by_id) == (AppealState.UPHELD, commissioner.id)
    timeline = [(e.kind, e.public_status, e.message) for e in complaint.status_events]
    assert timeline[-2:] == [
        (StatusEventKind.STATUS_CHANGE, PublicStatus.APPEAL_DECIDED, None),
        (StatusEventKind.MESSAGE, None, decision),
    ]
    emails = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert emails[-1].subject == f"Se decidió la revisión de su queja {complaint.reference}"
    assert (
        decision in emails[-1].body_text
        and "el resultado original se mantiene" in emails[-1].body_text
    )
    assert emails[-2].subject == f"Su queja {complaint.reference}: Revisión solicitada"
    request_entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "appeal.request")
    ).one()
    assert request_entry.actor_id is None and "No me" not in str(request_entry.after)
    with pytest.raises(CaseworkError, match="already decided"):
        appeals.decide_appeal(
            db,
            appeal.id,
            outcome=AppealState.DENIED,
            decision="x",
            actor=commissioner,
            now=T0 + 9 * DAY,
        )


def test_reopened_appeal_goes_back_to_investigation(db: Session, supervisor: Staff) -> None:
    complaint = _closed_case(db, supervisor)
    appeal = appeals.request_appeal(
        db, complaint.id, reason="", now=T0 + 3 * DAY, settings=SETTINGS
    )
    appeals.decide_appeal(
        db,
        appeal.id,
        outcome=AppealState.REOPENED,
        decision="Vamos a investigar de nuevo.",
        actor=supervisor,
        now=T0 + 4 * DAY,
        settings=SETTINGS,
    )
    db.commit()
    assert complaint.state is CaseState.INVESTIGATION and complaint.closed_at is None
    assert complaint.public_status is PublicStatus.UNDER_INVESTIGATION


def test_survey_once_after_closure(db: Session, supervisor: Staff) -> None:
    open_case = make_complaint(db)
    db.commit()
    with pytest.raises(CaseworkError, match="not open"):
        appeals.submit_survey(db, open_case.id, appeals.SurveyAnswers(ease=4), now=T0)
    db.rollback()
    complaint = _closed_case(db, supervisor)
    with pytest.raises(CaseworkError, match="1 to 5"):
        appeals.submit_survey(db, complaint.id, appeals.SurveyAnswers(ease=6), now=T0 + 3 * DAY)
    db.rollback()
    response = appeals.submit_survey(
        db,
        complaint.id,
        appeals.SurveyAnswers(
            ease=4, kept_informed=2, treated_fairly=5, would_recommend=True, comment=" ok "
        ),
        now=T0 + 3 * DAY,
    )
    db.commit()
    assert (response.ease, response.kept_informed, response.comment) == (4, 2, "ok")
    with pytest.raises(CaseworkError, match="not open"):
        appeals.submit_survey(db, complaint.id, appeals.SurveyAnswers(ease=1), now=T0 + 4 * DAY)
