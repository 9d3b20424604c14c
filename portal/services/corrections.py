"""Correct a complaint after filing, keeping the original and every change.

Staff correct the incident's date, time and place, the district, the officers (add, edit,
remove), the complainants' contact details and an allegation's category (before any finding);
the complainant corrects their own contact details from the status page. Every changed field
writes a ``Correction`` row (who, when, before → after, why) that keeps what the case said
first, and one audit entry per save with personal fields masked (``audit.PERSONAL``). The
search index is rebuilt in the same transaction (``search.reindex_complaint``).

Same conventions as ``portal.services.casework``: session, actor (None: the complainant) and
``now``; nothing committed; refusals raise ``CaseworkError`` before anything changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Allegation,
    Complainant,
    Complaint,
    Correction,
    InvolvedOfficer,
    Staff,
)
from portal.services import audit
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.permissions import Permission
from portal.services.search import reindex_complaint
from portal.vocabulary import AllegationCategory, ContactMethod

CORRECT = "complaint.correct"
CORRECT_BY_COMPLAINANT = "complaint.contact_corrected"
OFFICER_REMOVE = "officer.remove"
RESIDENT_REASON = "corrected by the complainant on the status page"

EMAIL = re.compile(r"[^@\s,;:<>()\[\]\"]+@[^@\s,;:<>()\[\]\"]+\.[^@\s,;:<>()\[\]\"]+")
PHONE = re.compile(r"[0-9+()\-.\s/x]{5,40}", re.IGNORECASE)
LANGUAGES = ("en", "es")

#: Fields whose values are personal data (masked in the audit and for roles without the right).
PERSONAL_FIELDS = frozenset(
    {
        "incident_date",
        "incident_time",
        "incident_location",
        "name",
        "email",
        "phone",
        "postal_address",
        "name_given",
        "badge_given",
        "unit_given",
        "description",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseDetails:
    """The incident fields staff may correct."""

    incident_date: dt.date | None
    incident_time: dt.time | None
    incident_date_is_approximate: bool
    incident_location: str | None
    district: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ContactDetails:
    """A complainant's contact details (``name`` is None when the complainant corrects: they
    cannot change the name they filed under)."""

    email: str | None
    phone: str | None
    postal_address: str | None
    language: str
    name: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OfficerDetails:
    """An officer as described in the complaint."""

    name_given: str | None
    badge_given: str | None
    unit_given: str | None
    description: str | None

    def is_blank(self) -> bool:
        """True when nothing identifies or describes the officer."""
        return not (self.name_given or self.badge_given or self.unit_given or self.description)


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryRow:
    """One corrected field as a staff page shows it."""

    at: dt.datetime
    actor_name: str | None  # None: the complainant
    subject: str
    field: str
    before: str | None
    after: str | None
    reason: str


def parse_time(value: str) -> dt.time | None:
    """``"14:30"`` → 14:30; None when it is not a time of day as HH:MM."""
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.h]([0-5]\d)", value.strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _text(value: Any) -> str | None:
    """How a value is kept in the history (ISO dates and times, booleans as yes/no)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _apply(
    session: Session,
    target: Any,
    values: Mapping[str, Any],
    *,
    complaint: Complaint,
    subject: str,
    actor: Staff | None,
    reason: str,
    now: dt.datetime,
    action: str = CORRECT,
) -> int:
    """Set ``values`` on ``target``; history row per changed field, one audit entry; return the
    number of fields changed (0: nothing recorded)."""
    batch = secrets.token_hex(8)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(target, name)
        if _text(old) == _text(value):
            continue
        before[name], after[name] = old, value
        session.add(
            Correction(
                complaint_id=complaint.id,
                batch=batch,
                subject=subject,
                field=name,
                before_value=_text(old),
                after_value=_text(value),
                is_personal=name in PERSONAL_FIELDS,
                reason=reason,
                actor_id=actor.id if actor is not None else None,
                at=now,
            )
        )
        setattr(target, name, value)
    if not before:
        return 0
    complaint.updated_at = now
    record(
        session,
        actor,
        action,
        "complaint",
        complaint.id,
        now,
        before,
        after,
        personal=tuple(PERSONAL_FIELDS),
        detail=f"subject={subject} batch={batch}",
    )
    reindex_complaint(session, complaint.id, now=now)
    return len(before)


def _reason(reason: str | None) -> str:
    cleaned = _clean(reason)
    if cleaned is None:
        raise CaseworkError("Say why you are correcting this (for the case history).")
    return cleaned


def correct_case(
    session: Session,
    complaint_id: int,
    details: CaseDetails,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> int:
    """Correct the incident date, time, approximate flag, location and district; return the
    number of fields changed."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    if details.incident_date is not None and details.incident_date > now.date():
        raise CaseworkError("The incident date cannot be in the future.")
    complaint = load_complaint(session, complaint_id)
    return _apply(
        session,
        complaint,
        {
            "incident_date": details.incident_date,
            "incident_time": details.incident_time,
            "incident_date_is_approximate": details.incident_date_is_approximate,
            "incident_location": _clean(details.incident_location),
            "district": _clean(details.district),
        },
        complaint=complaint,
        subject="complaint",
        actor=actor,
        reason=why,
        now=now,
    )


def _check_contact(details: ContactDetails) -> None:
    if details.email and not EMAIL.fullmatch(details.email.strip()):
        raise CaseworkError("Enter an email address like name@example.com.")
    if details.phone and not PHONE.fullmatch(details.phone.strip()):
        raise CaseworkError("Enter a phone number using digits, like 555 010 0100.")
    if details.postal_address and len(details.postal_address) > 1000:
        raise CaseworkError("Keep the postal address under 1,000 characters.")
    if details.language not in LANGUAGES:
        raise CaseworkError("Choose English or Spanish.")


def _contact_values(person: Complainant, details: ContactDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email": _clean(details.email),
        "phone": _clean(details.phone),
        "postal_address": _clean(details.postal_address),
        "language": details.language,
    }
    if details.name is not None and not person.is_anonymous:
        values["name"] = _clean(details.name)
    # A preferred way of contact whose detail was removed falls back to one still given.
    given = {
        ContactMethod.EMAIL: values["email"],
        ContactMethod.PHONE: values["phone"],
        ContactMethod.POST: values["postal_address"],
    }
    if person.contact_method in given and not given[person.contact_method]:
        values["contact_method"] = next(
            (method for method, detail in given.items() if detail), ContactMethod.NONE
        )
    return values


def correct_complainant(
    session: Session,
    complainant_id: int,
    details: ContactDetails,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> int:
    """Staff correct a complainant's name and contact details; return the fields changed."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    _check_contact(details)
    person = session.get(Complainant, complainant_id)
    if person is None:
        raise CaseworkError("There is no such complainant on this case.")
    complaint = load_complaint(session, person.complaint_id)
    return _apply(
        session,
        person,
        _contact_values(person, details),
        complaint=complaint,
        subject=f"complainant:{person.id}",
        actor=actor,
        reason=why,
        now=now,
    )


def correct_own_contact(
    session: Session, complaint_id: int, details: ContactDetails, *, now: dt.datetime
) -> int:
    """The complainant (signed in on the status page) corrects their contact details and
    language; audited with no staff actor. Returns the number of fields changed."""
    _check_contact(dataclasses.replace(details, name=None))
    complaint = load_complaint(session, complaint_id)
    if not complaint.complainants:
        complaint.complainants.append(Complainant(language=complaint.preferred_language))
        session.flush()
    person = complaint.complainants[0]
    changed = _apply(
        session,
        person,
        _contact_values(person, dataclasses.replace(details, name=None)),
        complaint=complaint,
        subject=f"complainant:{person.id}",
        actor=None,
        reason=RESIDENT_REASON,
        now=now,
        action=CORRECT_BY_COMPLAINANT,
    )
    complaint.preferred_language = details.language
    return changed


def _officer_values(details: OfficerDetails) -> dict[str, Any]:
    return {
        "name_given": _clean(details.name_given),
        "badge_given": _clean(details.badge_given),
        "unit_given": _clean(details.unit_given),
        "description": _clean(details.description),
    }


def add_officer(
    session: Session,
    complaint_id: int,
    details: OfficerDetails,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> InvolvedOfficer:
    """Add an officer the complaint should have named (as described; match to the roster from
    the case page)."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    if details.is_blank():
        raise CaseworkError("Give a name, badge number, unit or description of the officer.")
    complaint = load_complaint(session, complaint_id)
    involved = InvolvedOfficer(complaint_id=complaint.id, is_unknown=False)
    session.add(involved)
    session.flush()
    _apply(
        session,
        involved,
        _officer_values(details),
        complaint=complaint,
        subject=f"officer:{involved.id}",
        actor=actor,
        reason=why,
        now=now,
    )
    return involved


def correct_officer(
    session: Session,
    involved_officer_id: int,
    details: OfficerDetails,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> int:
    """Correct an officer as described in the complaint; return the fields changed."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    involved = session.get(InvolvedOfficer, involved_officer_id)
    if involved is None:
        raise CaseworkError("There is no such officer on this case.")
    if details.is_blank() and involved.officer_id is None:
        raise CaseworkError("Give a name, badge number, unit or description of the officer.")
    complaint = load_complaint(session, involved.complaint_id)
    return _apply(
        session,
        involved,
        _officer_values(details),
        complaint=complaint,
        subject=f"officer:{involved.id}",
        actor=actor,
        reason=why,
        now=now,
    )


def remove_officer(
    session: Session,
    involved_officer_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> None:
    """Remove an officer named by mistake (refused while allegations are recorded against them:
    the allegations would lose their officer)."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    involved = session.get(InvolvedOfficer, involved_officer_id)
    if involved is None:
        raise CaseworkError("There is no such officer on this case.")
    complaint = load_complaint(session, involved.complaint_id)
    if session.scalar(select(Allegation.id).where(Allegation.involved_officer_id == involved.id)):
        raise CaseworkError(
            "Allegations are recorded against this officer; this officer cannot be removed."
        )
    values = _officer_values(
        OfficerDetails(
            involved.name_given, involved.badge_given, involved.unit_given, involved.description
        )
    )
    values["officer_id"] = involved.officer_id
    batch = secrets.token_hex(8)
    for name, value in values.items():
        session.add(
            Correction(
                complaint_id=complaint.id,
                batch=batch,
                subject=f"officer:{involved.id}",
                field=name,
                before_value=_text(value),
                after_value=None,
                is_personal=name in PERSONAL_FIELDS,
                reason=why,
                actor_id=actor.id,
                at=now,
            )
        )
    session.delete(involved)
    complaint.updated_at = now
    record(
        session,
        actor,
        OFFICER_REMOVE,
        "complaint",
        complaint.id,
        now,
        values,
        {},
        personal=tuple(PERSONAL_FIELDS),
        detail=f"subject=officer:{involved_officer_id} batch={batch}",
    )
    reindex_complaint(session, complaint.id, now=now)


def correct_allegation_category(
    session: Session,
    allegation_id: int,
    category: AllegationCategory,
    *,
    actor: Staff,
    now: dt.datetime,
    reason: str | None,
) -> int:
    """Correct an allegation's category while it has no finding; return the fields changed."""
    require(actor, Permission.CASE_CORRECT)
    why = _reason(reason)
    allegation = session.get(Allegation, allegation_id)
    if allegation is None:
        raise CaseworkError("There is no such allegation on this case.")
    complaint = load_complaint(session, allegation.complaint_id)
    if allegation.recommended_finding is not None or allegation.finding is not None:
        raise CaseworkError("A finding is recorded for this allegation; its category is final.")
    duplicate = session.scalar(
        select(Allegation.id).where(
            Allegation.complaint_id == complaint.id,
            Allegation.involved_officer_id == allegation.involved_officer_id,
            Allegation.category == category,
            Allegation.id != allegation.id,
        )
    )
    if duplicate is not None:
        raise CaseworkError("This officer already has an allegation of that category.")
    return _apply(
        session,
        allegation,
        {"category": category},
        complaint=complaint,
        subject=f"allegation:{allegation.id}",
        actor=actor,
        reason=why,
        now=now,
    )


def history(session: Session, complaint_id: int, *, reveal_personal: bool) -> list[HistoryRow]:
    """Every correction of the case, oldest first (the first ``before`` of a field is what the
    case said originally); personal values are ``audit.PERSONAL`` unless ``reveal_personal``."""
    rows = session.execute(
        select(Correction, Staff.name)
        .outerjoin(Staff, Staff.id == Correction.actor_id)
        .where(Correction.complaint_id == complaint_id)
        .order_by(Correction.at, Correction.id)
    ).all()
    found = []
    for correction, name in rows:
        masked = correction.is_personal and not reveal_personal
        found.append(
            HistoryRow(
                at=correction.at,
                actor_name=name if correction.actor_id is not None else None,
                subject=correction.subject,
                field=correction.field,
                before=audit.PERSONAL if masked else correction.before_value,
                after=audit.PERSONAL if masked else correction.after_value,
                reason=correction.reason,
            )
        )
    return found
