"""Discipline as it really happens: the office recommends, the department decides — often months
after the case was closed.

``decide_allegation`` (``portal.services.investigation``) records the office's RECOMMENDED
discipline at findings review. ``record_imposed`` records the discipline actually IMPOSED, with
the day it was decided, at any time once the allegation has a sustained final finding — also
after closure, and again when the department changes its decision. Releases (the publisher's
extract) and the trend report count the imposed value only (``Allegation.discipline``).

Same conventions as the other casework services: session, actor, now; nothing committed; one
audit entry per change (before → after).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from portal.models import Allegation, Staff
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.investigation import check_suspension
from portal.services.permissions import Permission
from portal.vocabulary import CaseState, Discipline, Finding

IMPOSED = "allegation.discipline_imposed"

#: States in which the imposed discipline may be recorded: from findings review on, including
#: every closed state (the department's decision usually comes after closure).
RECORDABLE = frozenset(
    {
        CaseState.FINDINGS_REVIEW,
        CaseState.CLOSED,
        CaseState.APPEAL_REQUESTED,
        CaseState.APPEAL_DECIDED,
    }
)


def record_imposed(
    session: Session,
    allegation_id: int,
    *,
    discipline: Discipline,
    suspension_days: int | None,
    decided_on: dt.date | None,
    actor: Staff,
    now: dt.datetime,
) -> Allegation:
    """Record (or correct) the discipline imposed for one sustained allegation.

    ``decided_on`` is the day the department decided: required, not in the future — except for
    ``pending`` (not decided yet), which takes no date. A suspension needs 1–365 days. Raises
    ``CaseworkError`` (nothing changed) when the allegation is not sustained, the case is not
    past findings review, or the values do not fit. Audited as ``allegation.discipline_imposed``.
    """
    require(actor, Permission.CASE_DECIDE)
    allegation = session.get(Allegation, allegation_id)
    if allegation is None:
        raise CaseworkError("There is no such allegation.")
    complaint = load_complaint(session, allegation.complaint_id)
    if complaint.state not in RECORDABLE:
        raise CaseworkError("The imposed discipline is recorded once findings are decided.")
    if allegation.finding is not Finding.SUSTAINED:
        raise CaseworkError("Discipline is imposed only for a sustained allegation.")
    check_suspension(discipline, suspension_days)
    if discipline is Discipline.PENDING:
        if decided_on is not None:
            raise CaseworkError("A pending discipline has no decision date yet.")
    elif decided_on is None:
        raise CaseworkError("Give the date the discipline was decided.")
    elif decided_on > now.date():
        raise CaseworkError("The decision date cannot be in the future.")
    fields = ("discipline", "suspension_days", "discipline_decided_on")
    before = {key: getattr(allegation, key) for key in fields}
    allegation.discipline = discipline
    allegation.suspension_days = suspension_days
    allegation.discipline_decided_on = decided_on
    allegation.discipline_recorded_at = now
    allegation.discipline_recorded_by_id = actor.id
    complaint.updated_at = now
    record(
        session,
        actor,
        IMPOSED,
        "allegation",
        allegation.id,
        now,
        before,
        {key: getattr(allegation, key) for key in fields},
        detail=f"complaint={complaint.id}",
    )
    return allegation


__all__ = ["IMPOSED", "RECORDABLE", "record_imposed"]
