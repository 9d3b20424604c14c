"""Casework services end to end on both databases: screening, referrals, assignment, activities,
notes, links, messages, officers, allegations, findings, closure letter, with the audit entry
and the outbox email each one must write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, Complaint, OutboxMessage, Referral, Staff, StatusEvent
from portal.services import casework, investigation
from portal.services.audit import PERSONAL
from portal.services.casework import CaseworkError
from portal.services.notify import MailSettings
from portal.vocabulary import (
    ActivityKind,
    AllegationCategory,
    CaseState,
    Discipline,
    Finding,
    PublicStatus,
    ScreeningOutcome,
    StaffRole,
    StatusEventKind,
)
from portal.workflow import WorkflowError
from tests.portal.casework_support import T0, make_complaint

SETTINGS = MailSettings(
    office_name="Oficina de Supervisión Policial", status_url="https://x.example/status"
)
DAY = dt.timedelta(days=1)


@pytest.fixture
def supervisor(make_staff: Callable[..., Staff]) -> Staff:
    return make_staff(StaffRole.SUPERVISOR, name="Pat Supervisora")


def _audit(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _outbox(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_refer_creates_referral_audits_and_emails_in_spanish(
    db: Session, supervisor: Staff
) -> None:
    complaint = make_complaint(db, email="ana@example.org", language="es")
    db.commit()
    agency = casework.add_agency(
        db,
        name="State Attorney General",
        contact="555-0100",
        handles="Federal and state officers",
        actor=supervisor,
        now=T0,
    )
    db.commit()
    casework.screen(
        db,
        complaint.id,
        ScreeningOutcome.REFER,
        actor=supervisor,
        now=T0 + DAY,
        reason="State troopers: not our jurisdiction",
        agency_id=agency.id,
        follow_up_on=(T0 + 10 * DAY).date(),
        settings=SETTINGS,
    )
    db.commit()

    assert complaint.state is CaseState.REFERRED
    referral = db.scalars(select(Referral)).one()
    assert (referral.agency_id, referral.follow_up_on) == (agency.id, (T0 + 10 * DAY).date())
    # One email, for the decision (the step through screening is silent), in Spanish.
    [message] = _outbox(db)
    assert message.to_address == "ana@example.org" and message.language == "es"
    assert message.subject == f"Su queja {complaint.reference}: Enviada a otra agencia"
    assert "Otra agencia se ocupa de este tipo de quejas" in message.body_text
    assert "Fecha prevista:" in message.body_text
    assert "troopers" not in message.body_text and "Pat" not in message.body_text
    assert [(e.before, e.after) for e in _audit(db, "complaint.screen_refer")] == [
        ({"state": "screening"}, {"state": "referred"})
    ]
    assert _audit(db, "referral.add")[0].actor_id == supervisor.id
    # Follow-up: due on its date, then the outcome is recorded.
    assert casework.referrals_due(db, (T0 + 9 * DAY).date()) == []
    assert casework.referrals_due(db, (T0 + 10 * DAY).date()) == [referral]
    casework.record_referral_outcome(
        db,
        referral.id,
        outcome="Opened an internal affairs case",
        actor=supervisor,
        now=T0 + 12 * DAY,
    )
    db.commit()
    assert casework.referrals_due(db, (T0 + 20 * DAY).date()) == []
    entry = _audit(db, "referral.outcome")[0]
    assert entry.after is not None and entry.after["outcome"] == PERSONAL


def test_refer_without_agency_or_follow_up_changes_nothing(db: Session, supervisor: Staff) -> None:
    complaint = make_complaint(db, email="a@example.org")
    db.commit()
    with pytest.raises(CaseworkError, match="agency"):
        casework.screen(db, complaint.id, ScreeningOutcome.REFER, actor=supervisor, now=T0)
    db.rollback()
    db.expire_all()
    assert db.get(Complaint, complaint.id).state is CaseState.RECEIVED  # type: ignore[union-attr]
    assert _outbox(db) == []


def test_decline_needs_a_reason_which_never_reaches_the_complainant(
    db: Session, supervisor: Staff
) -> None:
    complaint = make_complaint(db, email="b@example.org")
    db.commit()
    with pytest.raises(WorkflowError, match="needs a reason"):
        casework.screen(db, complaint.id, ScreeningOutcome.DECLINE, actor=supervisor, now=T0)
    db.rollback()
    casework.screen(
        db,
        complaint.id,
        ScreeningOutcome.DECLINE,
        actor=supervisor,
        now=T0,
        reason="Sheriff deputies (county)",
        settings=SETTINGS,
    )
    db.commit()
    [message] = _outbox(db)
    assert message.subject.endswith(": Closed")
    assert "ask for a review until" in message.body_text  # a declined case may be appealed
    assert "Sheriff" not in message.body_text
    events = db.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id)).all()
    assert all("Sheriff" not in (e.message or "") for e in events)


def test_no_email_without_an_address(db: Session, supervisor: Staff) -> None:
    complaint = make_complaint(db, email=None)
    db.commit()
    casework.start_screening(db, complaint.id, actor=supervisor, now=T0)
    db.commit()
    assert complaint.public_status is PublicStatus.UNDER_REVIEW
    assert _outbox(db) == []


def test_roles_are_enforced(db: Session, make_staff: Callable[..., Staff]) -> None:
    investigator = make_staff(StaffRole.INVESTIGATOR)
    commissioner = make_staff(StaffRole.COMMISSIONER)
    complaint = make_complaint(db)
    db.commit()
    with pytest.raises(CaseworkError, match="not allowed"):
        casework.screen(db, complaint.id, ScreeningOutcome.INVESTIGATE, actor=investigator, now=T0)
    with pytest.raises(CaseworkError, match="not allowed"):
        casework.send_message(db, complaint.id, "hi", actor=commissioner, now=T0)
    disabled = make_staff(StaffRole.SUPERVISOR, active=False)
    with pytest.raises(CaseworkError, match="not allowed"):
        casework.start_screening(db, complaint.id, actor=disabled, now=T0)


def test_message_reaches_status_page_and_email(db: Session, supervisor: Staff) -> None:
    complaint = make_complaint(db, email="c@example.org", language="es")
    db.commit()
    text = "Necesitamos una copia del recibo de la multa."
    event = casework.send_message(
        db, complaint.id, text, actor=supervisor, now=T0 + DAY, settings=SETTINGS
    )
    db.commit()
    assert (event.kind, event.message) == (StatusEventKind.MESSAGE, text)
    assert complaint.last_complainant_update_at == T0 + DAY
    [message] = _outbox(db)
    assert text in message.body_text
    assert message.subject == f"Un mensaje sobre su queja {complaint.reference}"
    assert "nunca enviamos su código de acceso" in message.body_text
    [entry] = _audit(db, "complaint.message")
    assert entry.after == {"message": PERSONAL}
    with pytest.raises(CaseworkError, match="Write the message"):
        casework.send_message(db, complaint.id, "   ", actor=supervisor, now=T0 + DAY)


def test_assign_activity_note_link(
    db: Session, supervisor: Staff, make_staff: Callable[..., Staff]
) -> None:
    investigator = make_staff(StaffRole.INVESTIGATOR)
    intake = make_staff(StaffRole.INTAKE)
    complaint = make_complaint(db)
    other = make_complaint(db)
    db.commit()
    casework.assign(db, complaint.id, investigator.id, actor=supervisor, now=T0)
    with pytest.raises(CaseworkError, match="active investigator or supervisor"):
        casework.assign(db, complaint.id, intake.id, actor=supervisor, now=T0)
    with pytest.raises(CaseworkError, match="future"):
        casework.log_activity(
            db,
            complaint.id,
            kind=ActivityKind.EVIDENCE_REQUESTED,
            occurred_on=(T0 + DAY).date(),
            summary="x",
            actor=investigator,
            now=T0,
        )
    casework.log_activity(
        db,
        complaint.id,
        kind=ActivityKind.BODY_WORN_CAMERA_REVIEW,
        occurred_on=T0.date(),
        summary="Reviewed 14 minutes of footage",
        actor=investigator,
        now=T0,
    )
    casework.add_note(db, complaint.id, "Witness lives abroad", actor=investigator, now=T0)
    casework.link_complaints(
        db, complaint.id, other.id, reason="Same protest", actor=supervisor, now=T0
    )
    with pytest.raises(CaseworkError, match="already linked"):
        casework.link_complaints(db, other.id, complaint.id, reason=None, actor=supervisor, now=T0)
    db.commit()
    assert complaint.assigned_to_id == investigator.id
    assert casework.linked_complaints(db, other.id) == [complaint.id]
    assert [e.after for e in _audit(db, "complaint.assign")] == [
        {"assigned_to_id": investigator.id}
    ]
    assert _audit(db, "activity.add")[0].after == {
        "kind": "body_worn_camera_review",
        "occurred_on": T0.date().isoformat(),
        "summary": PERSONAL,
    }
    assert _audit(db, "note.add")[0].after == {"body": PERSONAL}
    assert _audit(db, "complaint.link")[0].after == {"related_id": other.id}


def test_investigation_to_closure_letter(
    db: Session, supervisor: Staff, make_staff: Callable[..., Staff]
) -> None:
    investigator = make_staff(StaffRole.INVESTIGATOR)
    complaint = make_complaint(db, email="d@example.org", language="es")
    db.commit()
    now = T0
    casework.screen(
        db, complaint.id, ScreeningOutcome.INVESTIGATE, actor=supervisor, now=now, settings=SETTINGS
    )
    first = investigation.add_involved_officer(
        db, complaint.id, name_given="Ofc. Smith", actor=investigator, now=now
    )
    second = investigation.add_involved_officer(
        db, complaint.id, description="Tall, in a patrol car", actor=investigator, now=now
    )
    force = investigation.add_allegation(
        db,
        complaint.id,
        category=AllegationCategory.FORCE,
        involved_officer_id=first.id,
        actor=investigator,
        now=now,
    )
    rude = investigation.add_allegation(
        db,
        complaint.id,
        category=AllegationCategory.DISCOURTESY,
        involved_officer_id=second.id,
        actor=investigator,
        now=now,
    )
    with pytest.raises(CaseworkError, match="already has an allegation"):
        investigation.add_allegation(
            db,
            complaint.id,
            category=AllegationCategory.FORCE,
            involved_officer_id=first.id,
            actor=investigator,
            now=now,
        )
    with pytest.raises(WorkflowError, match="no recommended finding"):
        investigation.submit_findings(db, complaint.id, actor=investigator, now=now)
    investigation.recommend_finding(db, force.id, Finding.SUSTAINED, actor=investigator, now=now)
    investigation.recommend_finding(db, rude.id, Finding.NOT_SUSTAINED, actor=investigator, now=now)
    investigation.submit_findings(
        db, complaint.id, actor=investigator, now=now + DAY, settings=SETTINGS
    )
    with pytest.raises(WorkflowError, match="no final finding"):
        investigation.close(db, complaint.id, actor=supervisor, now=now + DAY)
    with pytest.raises(CaseworkError, match="suspension in days"):
        investigation.decide_allegation(
            db,
            force.id,
            finding=Finding.SUSTAINED,
            discipline=Discipline.SUSPENSION,
            actor=supervisor,
            now=now,
        )
    with pytest.raises(CaseworkError, match="only to a sustained"):
        investigation.decide_allegation(
            db,
            rude.id,
            finding=Finding.NOT_SUSTAINED,
            discipline=Discipline.TRAINING,
            actor=supervisor,
            now=now,
        )
    investigation.decide_allegation(
        db,
        force.id,
        finding=Finding.SUSTAINED,
        discipline=Discipline.SUSPENSION,
        suspension_days=5,
        actor=supervisor,
        now=now + DAY,
    )
    investigation.decide_allegation(
        db, rude.id, finding=Finding.NOT_SUSTAINED, discipline=None, actor=supervisor, now=now + DAY
    )
    investigation.close(db, complaint.id, actor=supervisor, now=now + 2 * DAY, settings=SETTINGS)
    db.commit()

    assert complaint.state is CaseState.CLOSED and complaint.closed_at == now + 2 * DAY
    subjects = [m.subject for m in _outbox(db)]
    assert subjects == [
        f"Su queja {complaint.reference}: En investigación",
        f"Su queja {complaint.reference}: Conclusiones en revisión",
        f"Su queja {complaint.reference} está cerrada",
    ]
    letter = _outbox(db)[-1].body_text
    assert "1. Uso de la fuerza (agente 1)" in letter
    assert "Comprobado: las pruebas muestran que el agente no cumplió las normas." in letter
    assert "2. Falta de respeto (agente 2)" in letter
    assert "No comprobado" in letter
    # 2 March + 2 days closure → review until 30 days later, written in Spanish.
    assert "hasta el 4 de abril de 2025" in letter
    assert "Smith" not in letter and "patrol" not in letter
    assert [e.after for e in _audit(db, "allegation.decide")] == [
        {
            "finding": "sustained",
            "recommended_discipline": "suspension",
            "recommended_suspension_days": 5,
            "discipline": "pending",  # imposed later, by the department
        },
        {"finding": "not_sustained"},
    ]
    assert _audit(db, "officer.add")[0].after is not None
    assert _audit(db, "officer.add")[0].after["name_given"] == PERSONAL  # type: ignore[index]
    # English letter for the same case.
    english = investigation.closure_letter(complaint, "en", SETTINGS)
    assert "1. Use of force (officer 1)" in english.body
    assert "until April 4, 2025" in english.body


def test_expected_date_in_the_email_follows_the_configured_service_levels(
    db: Session, supervisor: Staff
) -> None:
    settings = MailSettings.from_config(
        {
            "SLA_INVESTIGATE_DAYS": "3",
            "HOLIDAYS": "2025-03-06",
            "PUBLIC_BASE_URL": "https://p.example",
        }
    )
    assert settings.status_url == "https://p.example/status"
    complaint = make_complaint(db, email="f@example.org")
    db.commit()
    # Screened Monday 3 March; 3 business days with Thursday a holiday: Tue, Wed, Fri 7 March.
    casework.screen(
        db, complaint.id, ScreeningOutcome.INVESTIGATE, actor=supervisor, now=T0, settings=settings
    )
    db.commit()
    [message] = _outbox(db)
    assert "Expected by: March 7, 2025" in message.body_text
    assert "https://p.example/status" in message.body_text
