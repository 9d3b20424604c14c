"""Casework services: screening, assignment, activities, notes, links and messages to the
complainant. The shared rules are in ``caserules`` and the referral directory in ``referrals``
(both re-exported here); findings and closure are in ``investigation``, appeals and the
satisfaction survey in ``appeals``.

Every function takes the ``session``, the ``actor`` (a ``Staff``; None only where the complainant
acts) and the clock (``now``), and commits nothing: the caller commits, so a change, its audit
entry (``portal.services.audit``) and its outbox email stand or fall together. A function starts a
write transaction itself when none is open (``portal.db.begin_write``) and locks the complaint row
on PostgreSQL. Refusals raise ``CaseworkError`` (or ``portal.workflow.WorkflowError`` for an illegal
transition; both are ``ValueError`` with a message for staff) before anything is changed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    Agency,
    Complaint,
    ComplaintLink,
    InternalNote,
    Referral,
    Staff,
    StatusEvent,
)
from portal.services.caserules import (
    DEFAULT_MAIL,
    CaseworkError,
    appeal_until,
    load_complaint,
    move,
    record,
    require,
    require_open,
    start_write,
)
from portal.services.clocks import ServiceLevels
from portal.services.notify import MailSettings, notify_complainants
from portal.services.permissions import Permission
from portal.services.referrals import (
    add_agency,
    edit_agency,
    list_agencies,
    record_referral_outcome,
    referrals_due,
)
from portal.vocabulary import ActivityKind, CaseState, ScreeningOutcome, StaffRole, StatusEventKind
from portal.workflow import Action

__all__ = [
    "ASSIGNABLE_ROLES",
    "DEFAULT_MAIL",
    "CaseworkError",
    "acknowledge",
    "add_agency",
    "add_note",
    "appeal_until",
    "assign",
    "edit_agency",
    "link_complaints",
    "linked_complaints",
    "list_agencies",
    "load_complaint",
    "log_activity",
    "move",
    "record",
    "record_referral_outcome",
    "referrals_due",
    "require",
    "require_open",
    "screen",
    "send_message",
    "start_screening",
    "start_write",
]

# --- screening ------------------------------------------------------------------------------


def acknowledge(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Record that the complaint was acknowledged (public status stays "received")."""
    require(actor, Permission.CASE_SCREEN)
    complaint = load_complaint(session, complaint_id)
    move(session, complaint, Action.ACKNOWLEDGE, actor=actor, now=now, settings=settings)
    return complaint


def start_screening(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
    levels: ServiceLevels | None = None,
) -> Complaint:
    """Start the screening review (public status "under review"; the complainant is emailed)."""
    require(actor, Permission.CASE_SCREEN)
    complaint = load_complaint(session, complaint_id)
    move(
        session,
        complaint,
        Action.START_SCREENING,
        actor=actor,
        now=now,
        settings=settings,
        levels=levels,
    )
    return complaint


_SCREEN_ACTIONS = {
    ScreeningOutcome.INVESTIGATE: Action.SCREEN_INVESTIGATE,
    ScreeningOutcome.EARLY_RESOLUTION: Action.SCREEN_EARLY_RESOLUTION,
    ScreeningOutcome.REFER: Action.SCREEN_REFER,
    ScreeningOutcome.DECLINE: Action.SCREEN_DECLINE,
}


def screen(
    session: Session,
    complaint_id: int,
    outcome: ScreeningOutcome,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None = None,
    agency_id: int | None = None,
    follow_up_on: dt.date | None = None,
    settings: MailSettings = DEFAULT_MAIL,
    levels: ServiceLevels | None = None,
) -> Complaint:
    """Record the screening decision and move the case on.

    ``refer`` needs an active ``agency_id`` and a ``follow_up_on`` date (today or later) and
    creates a ``Referral``; ``decline`` needs a ``reason`` (internal, never shown publicly). A case
    still "received"/"acknowledged" is moved through screening in the same step (one email to
    the complainant, for the decision). Raises ``CaseworkError``/``WorkflowError``.
    """
    require(actor, Permission.CASE_SCREEN)
    complaint = load_complaint(session, complaint_id)
    agency: Agency | None = None
    if outcome is ScreeningOutcome.REFER:
        agency = session.get(Agency, agency_id) if agency_id is not None else None
        if agency is None or not agency.is_active:
            raise CaseworkError("Choose an agency from the referral directory.")
        if follow_up_on is None or follow_up_on < now.date():
            raise CaseworkError("Choose a follow-up date (today or later) for the referral.")
    if complaint.state in (CaseState.RECEIVED, CaseState.ACKNOWLEDGED):
        move(
            session,
            complaint,
            Action.START_SCREENING,
            actor=actor,
            now=now,
            settings=settings,
            email=None,
        )
    move(
        session,
        complaint,
        _SCREEN_ACTIONS[outcome],
        actor=actor,
        now=now,
        settings=settings,
        levels=levels,
        reason=reason,
    )
    if agency is not None:
        referral = Referral(
            complaint_id=complaint.id,
            agency_id=agency.id,
            referred_at=now,
            follow_up_on=follow_up_on,
            actor_id=actor.id,
        )
        session.add(referral)
        session.flush()
        record(
            session,
            actor,
            "referral.add",
            "complaint",
            complaint.id,
            now,
            after={"agency_id": agency.id, "follow_up_on": follow_up_on, "referral": referral.id},
        )
    return complaint


# --- assignment, activities, notes, links ---------------------------------------------------

ASSIGNABLE_ROLES = (StaffRole.INVESTIGATOR, StaffRole.SUPERVISOR)


def assign(
    session: Session,
    complaint_id: int,
    investigator_id: int | None,
    *,
    actor: Staff,
    now: dt.datetime,
) -> Complaint:
    """Assign the case to an active investigator or supervisor (None: unassign)."""
    require(actor, Permission.CASE_ASSIGN)
    complaint = load_complaint(session, complaint_id)
    require_open(complaint)
    if investigator_id is not None:
        investigator = session.get(Staff, investigator_id)
        if (
            investigator is None
            or not investigator.is_active
            or investigator.role not in ASSIGNABLE_ROLES
        ):
            raise CaseworkError("Assign the case to an active investigator or supervisor.")
    before = complaint.assigned_to_id
    complaint.assigned_to_id = investigator_id
    complaint.updated_at = now
    record(
        session,
        actor,
        "complaint.assign",
        "complaint",
        complaint.id,
        now,
        {"assigned_to_id": before},
        {"assigned_to_id": investigator_id},
    )
    return complaint


def log_activity(
    session: Session,
    complaint_id: int,
    *,
    kind: ActivityKind,
    occurred_on: dt.date,
    summary: str,
    actor: Staff,
    now: dt.datetime,
) -> Activity:
    """Log an investigation activity that took place on ``occurred_on`` (not in the future,
    not before the complaint was received)."""
    require(actor, Permission.CASE_INVESTIGATE)
    if kind is ActivityKind.PHONE_CALL:
        raise CaseworkError("Record phone calls with the call form (portal.services.calls).")
    complaint = load_complaint(session, complaint_id)
    require_open(complaint)
    if occurred_on > now.date():
        raise CaseworkError("The activity date cannot be in the future.")
    if occurred_on < complaint.received_at.date():
        raise CaseworkError("The activity date cannot be before the complaint was received.")
    activity = Activity(
        complaint_id=complaint.id,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary.strip(),
        actor_id=actor.id,
        created_at=now,
    )
    session.add(activity)
    complaint.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "activity.add",
        "complaint",
        complaint.id,
        now,
        after={"kind": kind, "occurred_on": occurred_on, "summary": summary},
        personal=("summary",),
        detail=f"activity={activity.id}",
    )
    return activity


def add_note(
    session: Session, complaint_id: int, body: str, *, actor: Staff, now: dt.datetime
) -> InternalNote:
    """Add an internal note (staff only; never shown to the complainant or published)."""
    require(actor, Permission.CASE_VIEW)
    complaint = load_complaint(session, complaint_id)
    body = body.strip()
    if not body:
        raise CaseworkError("Write the note first.")
    note = InternalNote(complaint_id=complaint.id, author_id=actor.id, body=body, created_at=now)
    session.add(note)
    session.flush()
    record(
        session,
        actor,
        "note.add",
        "complaint",
        complaint.id,
        now,
        after={"body": body},
        personal=("body",),
        detail=f"note={note.id}",
    )
    return note


def link_complaints(
    session: Session,
    complaint_id: int,
    related_id: int,
    *,
    reason: str | None,
    actor: Staff,
    now: dt.datetime,
) -> ComplaintLink:
    """Record two complaints as related (duplicates, one public incident). Links are
    symmetric: linking B to A when A is linked to B is refused as already linked."""
    require(actor, Permission.CASE_LINK)
    if complaint_id == related_id:
        raise CaseworkError("A complaint cannot be linked to itself.")
    complaint = load_complaint(session, complaint_id)
    if session.get(Complaint, related_id) is None:
        raise CaseworkError("There is no such case to link.")
    exists = session.scalar(
        select(ComplaintLink.id).where(
            or_(
                (ComplaintLink.complaint_id == complaint_id)
                & (ComplaintLink.related_id == related_id),
                (ComplaintLink.complaint_id == related_id)
                & (ComplaintLink.related_id == complaint_id),
            )
        )
    )
    if exists is not None:
        raise CaseworkError("These complaints are already linked.")
    link = ComplaintLink(
        complaint_id=complaint.id,
        related_id=related_id,
        reason=(reason or "").strip() or None,
        created_at=now,
        actor_id=actor.id,
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        "complaint.link",
        "complaint",
        complaint.id,
        now,
        after={"related_id": related_id},
    )
    return link


def linked_complaints(session: Session, complaint_id: int) -> list[int]:
    """Ids of the complaints linked to ``complaint_id`` (either direction), ascending."""
    rows = session.execute(
        select(ComplaintLink.complaint_id, ComplaintLink.related_id).where(
            or_(
                ComplaintLink.complaint_id == complaint_id,
                ComplaintLink.related_id == complaint_id,
            )
        )
    )
    return sorted({b if a == complaint_id else a for a, b in rows})


# --- messages to the complainant ------------------------------------------------------------

MAX_MESSAGE_CHARS = 5000


def send_message(
    session: Session,
    complaint_id: int,
    text: str,
    *,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> StatusEvent:
    """Send the complainant a message: it appears on their status page (no staff name) and is
    emailed to each complainant who gave an email, in their language. Restarts the update clock."""
    require(actor, Permission.CASE_MESSAGE)
    complaint = load_complaint(session, complaint_id)
    text = text.strip()
    if not text:
        raise CaseworkError("Write the message first.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise CaseworkError(f"Keep the message under {MAX_MESSAGE_CHARS} characters.")
    event = StatusEvent(
        kind=StatusEventKind.MESSAGE,
        public_status=None,
        message=text,
        created_at=now,
        actor_id=actor.id,
    )
    complaint.status_events.append(event)
    complaint.last_complainant_update_at = now
    complaint.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "complaint.message",
        "complaint",
        complaint.id,
        now,
        after={"message": text},
        personal=("message",),
        detail=f"status_event={event.id}",
    )
    notify_complainants(
        session, complaint, "message", {"message": text}, settings=settings, now=now
    )
    return event
