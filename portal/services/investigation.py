"""Investigation services: involved officers against the roster, allegations (one per officer ×
category), recommended and final findings with discipline, submitting findings, closing (with the
closure letter), escalating, withdrawing and reopening.

Same conventions as ``portal.services.casework``: session, actor, now; nothing committed; audit
entry per change; email to the complainant queued in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.models import Allegation, Complaint, InvolvedOfficer, Officer, Staff
from portal.services.casework import (
    DEFAULT_MAIL,
    CaseworkError,
    appeal_until,
    load_complaint,
    move,
    record,
    require,
    require_open,
)
from portal.services.notify import MailSettings, RenderedEmail, render
from portal.services.permissions import Permission
from portal.services.search import reindex_complaint
from portal.vocabulary import AllegationCategory, CaseState, Discipline, Finding
from portal.workflow import Action

MAX_SUSPENSION_DAYS = 365

#: States in which allegations and recommended findings may be recorded.
INVESTIGATING = (
    CaseState.RECEIVED,
    CaseState.ACKNOWLEDGED,
    CaseState.SCREENING,
    CaseState.EARLY_RESOLUTION,
    CaseState.REFERRED,
    CaseState.INVESTIGATION,
)


# --- officers -------------------------------------------------------------------------------


def find_officers(session: Session, text: str, *, limit: int = 20) -> list[Officer]:
    """Roster officers whose badge number starts with ``text`` or whose name contains it."""
    text = text.strip()
    if not text:
        return []
    pattern = f"%{text.lower()}%"
    query = (
        select(Officer)
        .where(
            or_(
                Officer.badge_number.like(f"{text}%"),
                func.lower(Officer.last_name).like(pattern),
                func.lower(Officer.first_name).like(pattern),
            )
        )
        .order_by(Officer.last_name, Officer.first_name, Officer.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def add_involved_officer(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    officer_id: int | None = None,
    name_given: str | None = None,
    badge_given: str | None = None,
    description: str | None = None,
) -> InvolvedOfficer:
    """Add an officer to the case, identified on the roster (``officer_id``) or as described."""
    require(actor, Permission.CASE_INVESTIGATE)
    complaint = load_complaint(session, complaint_id)
    require_open(complaint)
    if officer_id is not None and session.get(Officer, officer_id) is None:
        raise CaseworkError("There is no such officer on the roster.")
    if officer_id is None and not (name_given or badge_given or description):
        raise CaseworkError("Give a name, badge number or description of the officer.")
    involved = InvolvedOfficer(
        complaint_id=complaint.id,
        officer_id=officer_id,
        name_given=name_given or None,
        badge_given=badge_given or None,
        description=description or None,
        is_unknown=officer_id is None and not (name_given or badge_given),
    )
    session.add(involved)
    complaint.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "officer.add",
        "complaint",
        complaint.id,
        now,
        after={
            "involved_officer": involved.id,
            "officer_id": officer_id,
            "name_given": name_given,
            "badge_given": badge_given,
            "description": description,
        },
        personal=("name_given", "badge_given", "description"),
    )
    reindex_complaint(session, complaint.id, now=now)
    return involved


def identify_officer(
    session: Session,
    involved_officer_id: int,
    officer_id: int | None,
    *,
    actor: Staff,
    now: dt.datetime,
) -> InvolvedOfficer:
    """Match an officer described in a complaint to the roster (None: clear the match)."""
    require(actor, Permission.CASE_INVESTIGATE)
    involved = session.get(InvolvedOfficer, involved_officer_id)
    if involved is None:
        raise CaseworkError("There is no such officer on this case.")
    complaint = load_complaint(session, involved.complaint_id)
    require_open(complaint)
    if officer_id is not None and session.get(Officer, officer_id) is None:
        raise CaseworkError("There is no such officer on the roster.")
    before = {"officer_id": involved.officer_id, "is_unknown": involved.is_unknown}
    involved.officer_id = officer_id
    if officer_id is not None:
        involved.is_unknown = False
    complaint.updated_at = now
    record(
        session,
        actor,
        "officer.identify",
        "complaint",
        complaint.id,
        now,
        before,
        {"officer_id": officer_id, "is_unknown": involved.is_unknown},
        detail=f"involved_officer={involved.id}",
    )
    reindex_complaint(session, complaint.id, now=now)
    return involved


# --- allegations and findings ---------------------------------------------------------------


def add_allegation(
    session: Session,
    complaint_id: int,
    *,
    category: AllegationCategory,
    involved_officer_id: int | None,
    actor: Staff,
    now: dt.datetime,
) -> Allegation:
    """Add one allegation: one officer (None: unidentified) × one category, once per case."""
    require(actor, Permission.CASE_INVESTIGATE)
    complaint = load_complaint(session, complaint_id)
    if complaint.state not in INVESTIGATING:
        raise CaseworkError("Allegations can only be added before findings are submitted.")
    if involved_officer_id is not None:
        involved = session.get(InvolvedOfficer, involved_officer_id)
        if involved is None or involved.complaint_id != complaint.id:
            raise CaseworkError("That officer is not on this case.")
    for existing in complaint.allegations:
        if existing.involved_officer_id == involved_officer_id and existing.category is category:
            raise CaseworkError("This officer already has an allegation in this category.")
    allegation = Allegation(category=category, involved_officer_id=involved_officer_id)
    complaint.allegations.append(allegation)
    complaint.updated_at = now
    session.flush()
    record(
        session,
        actor,
        "allegation.add",
        "allegation",
        allegation.id,
        now,
        after={
            "complaint_id": complaint.id,
            "category": category,
            "involved_officer_id": involved_officer_id,
        },
    )
    return allegation


def _allegation(session: Session, allegation_id: int) -> tuple[Allegation, Complaint]:
    allegation = session.get(Allegation, allegation_id)
    if allegation is None:
        raise CaseworkError("There is no such allegation.")
    return allegation, load_complaint(session, allegation.complaint_id)


def recommend_finding(
    session: Session, allegation_id: int, finding: Finding, *, actor: Staff, now: dt.datetime
) -> Allegation:
    """Record the investigator's recommended finding (while the case is under investigation)."""
    require(actor, Permission.CASE_INVESTIGATE)
    allegation, complaint = _allegation(session, allegation_id)
    if complaint.state is not CaseState.INVESTIGATION:
        raise CaseworkError("Recommend findings while the case is under investigation.")
    before = allegation.recommended_finding
    allegation.recommended_finding = finding
    complaint.updated_at = now
    record(
        session,
        actor,
        "allegation.recommend",
        "allegation",
        allegation.id,
        now,
        {"recommended_finding": before},
        {"recommended_finding": finding},
    )
    return allegation


def decide_allegation(
    session: Session,
    allegation_id: int,
    *,
    finding: Finding,
    discipline: Discipline | None,
    suspension_days: int | None = None,
    actor: Staff,
    now: dt.datetime,
) -> Allegation:
    """Record the final finding and the RECOMMENDED discipline of one allegation (during
    findings review).

    ``discipline`` / ``suspension_days`` are the office's recommendation: a sustained allegation
    needs one (``pending`` if not yet known), any other finding none (or ``none``); a suspension
    needs 1–365 days, nothing else may carry days. The discipline actually imposed is recorded
    apart, when the department decides (``portal.services.discipline``): a sustained allegation
    without one is marked ``pending``; an allegation no longer sustained has none.
    """
    require(actor, Permission.CASE_DECIDE)
    allegation, complaint = _allegation(session, allegation_id)
    if complaint.state is not CaseState.FINDINGS_REVIEW:
        raise CaseworkError("Final findings are recorded during findings review.")
    if finding is Finding.SUSTAINED and discipline is None:
        raise CaseworkError("Choose the discipline for a sustained allegation (or 'pending').")
    if finding is not Finding.SUSTAINED and discipline not in (None, Discipline.NONE):
        raise CaseworkError("Discipline applies only to a sustained allegation.")
    check_suspension(discipline, suspension_days)
    fields = (
        "finding",
        "recommended_discipline",
        "recommended_suspension_days",
        "discipline",
        "suspension_days",
        "discipline_decided_on",
    )
    before = {key: getattr(allegation, key) for key in fields}
    allegation.finding = finding
    allegation.recommended_discipline = discipline
    allegation.recommended_suspension_days = suspension_days
    if finding is not Finding.SUSTAINED:
        allegation.discipline = None
        allegation.suspension_days = None
        allegation.discipline_decided_on = None
    elif allegation.discipline is None:
        allegation.discipline = Discipline.PENDING
    allegation.decided_at = now
    complaint.updated_at = now
    record(
        session,
        actor,
        "allegation.decide",
        "allegation",
        allegation.id,
        now,
        before,
        {key: getattr(allegation, key) for key in fields},
    )
    return allegation


def check_suspension(discipline: Discipline | None, days: int | None) -> None:
    """Refuse days of suspension that do not fit ``discipline`` (``CaseworkError``)."""
    if discipline is Discipline.SUSPENSION:
        if days is None or not 1 <= days <= MAX_SUSPENSION_DAYS:
            raise CaseworkError(f"Give the suspension in days (1 to {MAX_SUSPENSION_DAYS}).")
    elif days is not None:
        raise CaseworkError("Days are given only for a suspension.")


# --- moving the case through review and closure ---------------------------------------------


def submit_findings(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Submit the recommended findings for review (every allegation needs one)."""
    require(actor, Permission.CASE_INVESTIGATE)
    complaint = load_complaint(session, complaint_id)
    move(session, complaint, Action.SUBMIT_FINDINGS, actor=actor, now=now, settings=settings)
    return complaint


def return_to_investigation(
    session: Session,
    complaint_id: int,
    *,
    reason: str,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Send the case back for more investigation (``reason`` is internal)."""
    require(actor, Permission.CASE_DECIDE)
    complaint = load_complaint(session, complaint_id)
    move(
        session,
        complaint,
        Action.RETURN_TO_INVESTIGATION,
        actor=actor,
        now=now,
        settings=settings,
        reason=reason,
    )
    return complaint


def escalate(
    session: Session,
    complaint_id: int,
    *,
    reason: str,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Open a full investigation after early resolution or a referral did not resolve it."""
    require(actor, Permission.CASE_SCREEN)
    complaint = load_complaint(session, complaint_id)
    move(
        session, complaint, Action.ESCALATE, actor=actor, now=now, settings=settings, reason=reason
    )
    return complaint


def withdraw(
    session: Session,
    complaint_id: int,
    *,
    reason: str | None,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Record that the complainant withdrew the complaint (told to staff by phone or letter)."""
    require(actor, Permission.CASE_SCREEN)
    complaint = load_complaint(session, complaint_id)
    move(
        session, complaint, Action.WITHDRAW, actor=actor, now=now, settings=settings, reason=reason
    )
    return complaint


def reopen(
    session: Session,
    complaint_id: int,
    *,
    reason: str,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Reopen a closed case for investigation (new information); ``reason`` is internal."""
    require(actor, Permission.CASE_DECIDE)
    complaint = load_complaint(session, complaint_id)
    move(session, complaint, Action.REOPEN, actor=actor, now=now, settings=settings, reason=reason)
    return complaint


def closure_letter(complaint: Complaint, language: str, settings: MailSettings) -> RenderedEmail:
    """The closure letter for ``complaint`` in ``language``: what was found per allegation (by
    category and officer number — no officer names), what happens next, how to ask for a
    review and until when. Plain text; the same text is emailed on closure."""
    from portal.services.notify import format_day, language_of

    language = language_of(language)
    officers = [o.id for o in complaint.officers]
    order: dict[int | None, int] = {oid: i + 1 for i, oid in enumerate(officers)}
    items = [
        {
            "category": a.category.value,
            "finding": a.finding.value if a.finding is not None else "",
            "officer": order.get(a.involved_officer_id),
        }
        for a in complaint.allegations
    ]
    return render(
        "closure",
        language,
        {
            "reference": complaint.reference,
            "received": format_day(complaint.received_at.date(), language),
            "allegations": items,
            "any_sustained": any(a.finding is Finding.SUSTAINED for a in complaint.allegations),
            "appeal_until": format_day(appeal_until(complaint, settings), language),
            "office_name": settings.office_name,
            "status_url": settings.status_url,
        },
    )


def close(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None = None,
    settings: MailSettings = DEFAULT_MAIL,
) -> Complaint:
    """Close the case (after findings review: every allegation needs a final finding; after
    early resolution or referral: automatic findings). Sends the closure letter to every
    complainant on their channels (email, printed letter, SMS notice)."""
    require(actor, Permission.CASE_DECIDE)
    complaint = load_complaint(session, complaint_id)
    move(
        session,
        complaint,
        Action.CLOSE,
        actor=actor,
        now=now,
        settings=settings,
        reason=reason,
        email=None,
    )
    from portal.services.notify import queue_to_complainants
    from portal.services.reach import Written

    def written(language: str) -> Written:
        letter = closure_letter(complaint, language, settings)
        return Written(subject=letter.subject, body=letter.body)

    queue_to_complainants(session, complaint, "closure", written, settings=settings, now=now)
    return complaint


__all__ = [
    "add_allegation",
    "add_involved_officer",
    "check_suspension",
    "close",
    "closure_letter",
    "decide_allegation",
    "escalate",
    "find_officers",
    "identify_officer",
    "recommend_finding",
    "reopen",
    "return_to_investigation",
    "submit_findings",
    "withdraw",
]
