"""Everything about one case, for the staff case page: read-only, no Flask.

``load_case_file`` gathers the complaint with its complainants, officers, allegations,
attachments and public timeline, plus the internal records (workflow events, notes, activities,
referrals, links, appeals, messages to the complainant) and the names of the staff members they
mention — a fixed number of queries, whatever the size of the case. It holds personal data: the
caller must audit the view (``portal.services.audit.record_view``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import (
    Activity,
    Agency,
    Allegation,
    Appeal,
    CaseEvent,
    Complaint,
    ComplaintLink,
    InternalNote,
    InvolvedOfficer,
    OutboxMessage,
    Referral,
    Staff,
)
from portal.vocabulary import CaseState, StaffRole


@dataclasses.dataclass(frozen=True, slots=True)
class LinkedCase:
    """A complaint linked to this one."""

    link_id: int
    complaint_id: int
    reference: str
    state: CaseState
    reason: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class CaseFile:
    """One case with everything staff see about it on one screen."""

    complaint: Complaint
    events: Sequence[CaseEvent]
    notes: Sequence[InternalNote]
    activities: Sequence[Activity]
    referrals: Sequence[tuple[Referral, Agency]]
    links: Sequence[LinkedCase]
    appeals: Sequence[Appeal]
    staff_names: dict[int, str]
    correspondence: Sequence[OutboxMessage] = ()  # messages to the complainant, newest first

    def staff_name(self, staff_id: int | None) -> str:
        """Display name of a staff member mentioned on the case ('' for none)."""
        if staff_id is None:
            return ""
        return self.staff_names.get(staff_id, f"#{staff_id}")


def load_case_file(session: Session, complaint_id: int) -> CaseFile | None:
    """The case file of ``complaint_id``, or None when there is no such complaint."""
    complaint = session.scalar(
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .options(
            selectinload(Complaint.complainants),
            selectinload(Complaint.officers).selectinload(InvolvedOfficer.officer),
            selectinload(Complaint.allegations),
            selectinload(Complaint.attachments),
            selectinload(Complaint.status_events),
        )
    )
    if complaint is None:
        return None
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.complaint_id == complaint_id)
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    notes = session.scalars(
        select(InternalNote)
        .where(InternalNote.complaint_id == complaint_id)
        .order_by(InternalNote.created_at.desc(), InternalNote.id.desc())
    ).all()
    activities = session.scalars(
        select(Activity)
        .where(Activity.complaint_id == complaint_id)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    ).all()
    referrals = [
        (referral, agency)
        for referral, agency in session.execute(
            select(Referral, Agency)
            .join(Agency, Agency.id == Referral.agency_id)
            .where(Referral.complaint_id == complaint_id)
            .order_by(Referral.referred_at, Referral.id)
        )
    ]
    appeals = session.scalars(
        select(Appeal).where(Appeal.complaint_id == complaint_id).order_by(Appeal.id)
    ).all()
    links = _links(session, complaint_id)
    correspondence = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.complaint_id == complaint_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    ).all()
    mentioned: set[int | None] = {complaint.assigned_to_id, complaint.entered_by_id}
    mentioned |= {e.actor_id for e in events} | {n.author_id for n in notes}
    mentioned |= {a.actor_id for a in activities} | {r.actor_id for r, _agency in referrals}
    mentioned |= {a.decided_by_id for a in appeals} | {
        a.uploaded_by_id for a in complaint.attachments
    }
    mentioned |= {a.discipline_recorded_by_id for a in complaint.allegations}
    return CaseFile(
        complaint=complaint,
        events=events,
        notes=notes,
        activities=activities,
        referrals=referrals,
        links=links,
        appeals=appeals,
        staff_names=staff_names(session, mentioned),
        correspondence=correspondence,
    )


def _links(session: Session, complaint_id: int) -> list[LinkedCase]:
    """Links recorded from either side, as the other complaint."""
    found: list[LinkedCase] = []
    rows = session.scalars(
        select(ComplaintLink)
        .where(
            or_(
                ComplaintLink.complaint_id == complaint_id,
                ComplaintLink.related_id == complaint_id,
            )
        )
        .order_by(ComplaintLink.id)
    ).all()
    others = {
        link.related_id if link.complaint_id == complaint_id else link.complaint_id: link
        for link in rows
    }
    if not others:
        return found
    for other_id, reference, state in session.execute(
        select(Complaint.id, Complaint.reference, Complaint.state).where(
            Complaint.id.in_(sorted(others))
        )
    ):
        link = others[other_id]
        found.append(LinkedCase(link.id, other_id, reference, state, link.reason))
    return sorted(found, key=lambda item: item.link_id)


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names (name, else email) of the given staff ids."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        staff_id: name or email
        for staff_id, name, email in session.execute(
            select(Staff.id, Staff.name, Staff.email).where(Staff.id.in_(wanted))
        )
    }


def assignable_staff(session: Session) -> list[Staff]:
    """Active staff who may be assigned a case (investigators and supervisors), by name."""
    return list(
        session.scalars(
            select(Staff)
            .where(
                Staff.is_active.is_(True),
                Staff.role.in_([StaffRole.INVESTIGATOR, StaffRole.SUPERVISOR]),
            )
            .order_by(Staff.name, Staff.email)
        )
    )


def allegations_by_officer(
    complaint: Complaint,
) -> list[tuple[InvolvedOfficer | None, list[Allegation]]]:
    """The complaint's allegations grouped by involved officer (None: no officer)."""
    groups: dict[int | None, list[Allegation]] = {}
    for allegation in complaint.allegations:
        groups.setdefault(allegation.involved_officer_id, []).append(allegation)
    officers = {o.id: o for o in complaint.officers}
    return [
        (officers.get(key) if key is not None else None, items) for key, items in groups.items()
    ]
