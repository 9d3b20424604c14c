"""Appeals and the satisfaction survey: what the complainant may do after closure.

- ``can_request_appeal`` / ``appeal_deadline``: the status page asks whether the complainant may
  still ask for a review (a closed or declined case, within ``APPEAL_WINDOW_DAYS`` calendar days
  of closure, no appeal yet).
- ``request_appeal`` (the complainant: ``actor`` None) and ``decide_appeal`` (a supervisor or a
  commissioner: upheld, denied or reopened). The decision text is shown to the complainant on
  the status page (a public message) and emailed.
- ``submit_survey``: one short satisfaction survey per closed case.

Same conventions as ``portal.services.casework``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Appeal, Complaint, Staff, StatusEvent, SurveyResponse
from portal.services.casework import (
    DEFAULT_MAIL,
    CaseworkError,
    appeal_until,
    load_complaint,
    move,
    record,
    require,
    start_write,
)
from portal.services.notify import MailSettings, notify_complainants
from portal.services.permissions import Permission
from portal.vocabulary import CLOSED_STATES, AppealState, CaseState, StatusEventKind
from portal.workflow import Action

MAX_REASON_CHARS = 5000


def appeal_deadline(complaint: Complaint, settings: MailSettings) -> dt.date | None:
    """The last day a review may be requested (None: the case is not closed or was withdrawn)."""
    return appeal_until(complaint, settings)


def can_request_appeal(
    session: Session, complaint: Complaint, *, now: dt.datetime, settings: MailSettings
) -> bool:
    """Whether the complainant may ask for a review now: the case is closed or declined, the
    window is open (the last day included) and no appeal was requested before."""
    deadline = appeal_until(complaint, settings)
    if deadline is None or now.astimezone(dt.UTC).date() > deadline:
        return False
    earlier = session.scalar(select(Appeal.id).where(Appeal.complaint_id == complaint.id))
    return earlier is None


def request_appeal(
    session: Session,
    complaint_id: int,
    *,
    reason: str,
    now: dt.datetime,
    actor: Staff | None = None,
    settings: MailSettings = DEFAULT_MAIL,
) -> Appeal:
    """Record the complainant's request for a review (``actor`` None: from the status page; a
    staff member may record one received by phone or letter). ``reason`` is the complainant's
    own text (personal, never in the audit trail). Raises ``CaseworkError`` outside the window."""
    if actor is not None:
        require(actor, Permission.CASE_VIEW)
    complaint = load_complaint(session, complaint_id)
    if not can_request_appeal(session, complaint, now=now, settings=settings):
        raise CaseworkError("A review can no longer be requested for this complaint.")
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise CaseworkError(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    appeal = Appeal(complaint_id=complaint.id, requested_at=now, reason=reason)
    session.add(appeal)
    move(session, complaint, Action.REQUEST_APPEAL, actor=actor, now=now, settings=settings)
    session.flush()
    record(
        session,
        actor,
        "appeal.request",
        "complaint",
        complaint.id,
        now,
        after={"appeal": appeal.id, "reason": reason},
        personal=("reason",),
    )
    return appeal


def open_appeal(session: Session, complaint_id: int) -> Appeal | None:
    """The complaint's appeal still waiting for a decision, if any."""
    return session.scalar(
        select(Appeal).where(
            Appeal.complaint_id == complaint_id, Appeal.state == AppealState.REQUESTED
        )
    )


def decide_appeal(
    session: Session,
    appeal_id: int,
    *,
    outcome: AppealState,
    decision: str,
    actor: Staff,
    now: dt.datetime,
    settings: MailSettings = DEFAULT_MAIL,
) -> Appeal:
    """Decide an appeal: ``upheld`` (the outcome stands), ``denied`` (the request is not
    accepted) or ``reopened`` (back to investigation). ``decision`` is shown to the complainant
    (status page and email), so it must be written for them."""
    require(actor, Permission.APPEAL_DECIDE)
    start_write(session)
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise CaseworkError("There is no such appeal.")
    if appeal.state is not AppealState.REQUESTED:
        raise CaseworkError("This appeal was already decided.")
    if outcome is AppealState.REQUESTED:
        raise CaseworkError("Choose upheld, denied or reopened.")
    decision = decision.strip()
    if not decision:
        raise CaseworkError("Write the decision the complainant will read.")
    complaint = load_complaint(session, appeal.complaint_id)
    action = Action.REOPEN if outcome is AppealState.REOPENED else Action.DECIDE_APPEAL
    move(
        session,
        complaint,
        action,
        actor=actor,
        now=now,
        settings=settings,
        reason=f"appeal {outcome.value}",
        email=None,
    )
    appeal.state, appeal.decision = outcome, decision
    appeal.decided_at, appeal.decided_by_id = now, actor.id
    complaint.status_events.append(
        StatusEvent(
            kind=StatusEventKind.MESSAGE,
            message=decision,
            created_at=now,
            actor_id=actor.id,
        )
    )
    complaint.last_complainant_update_at = now
    record(
        session,
        actor,
        "appeal.decide",
        "complaint",
        complaint.id,
        now,
        {"appeal_state": AppealState.REQUESTED},
        {"appeal_state": outcome, "decision": decision},
        personal=("decision",),
        detail=f"appeal={appeal.id}",
    )
    notify_complainants(
        session,
        complaint,
        "appeal",
        {"outcome": outcome.value, "decision": decision},
        settings=settings,
        now=now,
    )
    return appeal


# --- satisfaction survey --------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyAnswers:
    """The survey: three 1–5 ratings, would recommend, a free comment (all optional)."""

    ease: int | None = None
    kept_informed: int | None = None
    treated_fairly: int | None = None
    would_recommend: bool | None = None
    comment: str | None = None


def can_answer_survey(session: Session, complaint: Complaint) -> bool:
    """Whether the survey is open: the case is closed (not withdrawn) and not yet answered."""
    if complaint.state not in CLOSED_STATES or complaint.state is CaseState.WITHDRAWN:
        return False
    answered = session.scalar(
        select(SurveyResponse.id).where(SurveyResponse.complaint_id == complaint.id)
    )
    return answered is None


def submit_survey(
    session: Session, complaint_id: int, answers: SurveyAnswers, *, now: dt.datetime
) -> SurveyResponse:
    """Store the complainant's survey answers (once per closed case). Ratings must be 1–5."""
    complaint = load_complaint(session, complaint_id)
    if not can_answer_survey(session, complaint):
        raise CaseworkError("The survey is not open for this complaint.")
    for rating in (answers.ease, answers.kept_informed, answers.treated_fairly):
        if rating is not None and not 1 <= rating <= 5:
            raise CaseworkError("Ratings go from 1 to 5.")
    response = SurveyResponse(
        complaint_id=complaint.id,
        submitted_at=now,
        ease=answers.ease,
        kept_informed=answers.kept_informed,
        treated_fairly=answers.treated_fairly,
        would_recommend=answers.would_recommend,
        comment=(answers.comment or "").strip()[:MAX_REASON_CHARS] or None,
    )
    session.add(response)
    session.flush()
    return response
