"""Disposal: removing a case's personal data, or its evidence files, and recording that it was
done. Used by the records schedule (``portal.services.retention``) and by erasure on a
complainant's request (``portal.services.subject_requests``).

What stays is the case's statistical record: every column the publisher reads is left exactly
as it was (``tests/publisher/test_release_after_disposal.py`` publishes before and after and
compares the files), so releases stay reproducible and counts do not change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from portal.models import (
    AccessCodeReissue,
    Activity,
    Appeal,
    Attachment,
    CaseEvent,
    Complainant,
    Complaint,
    ComplaintLink,
    Correction,
    Disposal,
    InternalNote,
    InvolvedOfficer,
    OutboxMessage,
    Referral,
    StatusEvent,
    SurveyResponse,
)
from portal.services import audit, evidence, search
from portal.vocabulary import age_band_of

ERASURE = "complainant_erasure"
#: What a removed free text reads (where an empty value would say "nothing was ever written").
REMOVED = "[removed]"
DISPOSED = "complaint.disposed"


def redact_corrections(session: Session, complaint_id: int, subject: str | None = None) -> None:
    """Remove the personal values kept by the correction history of a case (all of it, or of
    one ``subject`` such as ``complainant:<id>``): the earlier values of a corrected name or
    address are personal data too. Staff's reasons may quote them, so they go as well."""
    where = [Correction.complaint_id == complaint_id]
    if subject is not None:
        where.append(Correction.subject == subject)
    session.execute(
        update(Correction)
        .where(*where, Correction.is_personal.is_(True))
        .values(before_value=None, after_value=None)
    )
    session.execute(update(Correction).where(*where).values(reason=REMOVED))


def redact_complainant(person: Complainant) -> None:
    """Remove one complainant's identity and contact details; keep the published demographics
    (the exact age becomes the age band the publisher would have derived from it)."""
    if person.age_band is None:
        person.age_band = age_band_of(person.age)
    person.age = None
    person.name = person.email = person.phone = person.postal_address = None
    person.on_behalf_of = person.interpreter_language = None
    person.wants_code_by_email = False


def redact_case(session: Session, complaint: Complaint, *, now: dt.datetime) -> None:
    """Remove the personal data of a case and of everyone in it, in the caller's transaction.

    Left exactly as they were: every column the publisher reads (dates, channel, district,
    state, screening decision, allegations, the roster officer, complainants' demographics),
    the reference number (staff still find the case by it; the access code stops working) and
    the evidence files (``remove_evidence``; their names are replaced here).
    """
    cid = complaint.id
    complaint.access_code_hash = None
    complaint.idempotency_key = None
    complaint.incident_date = None
    complaint.incident_time = None
    complaint.incident_location = None
    complaint.narrative = REMOVED
    complaint.witnesses = None
    complaint.screening_reason = REMOVED if complaint.screening_reason else None
    complaint.updated_at = now
    for person in session.scalars(select(Complainant).where(Complainant.complaint_id == cid)):
        redact_complainant(person)
    for officer in session.scalars(
        select(InvolvedOfficer).where(InvolvedOfficer.complaint_id == cid)
    ):
        officer.name_given = officer.badge_given = officer.description = None
    for attachment in session.scalars(select(Attachment).where(Attachment.complaint_id == cid)):
        attachment.original_name = f"file-{attachment.id}"
    marked: tuple[tuple[Any, Any], ...] = (
        (StatusEvent.message, StatusEvent.complaint_id),
        (CaseEvent.reason, CaseEvent.complaint_id),
        (InternalNote.body, InternalNote.complaint_id),
        (Activity.summary, Activity.complaint_id),
        (Referral.outcome, Referral.complaint_id),
        (Appeal.reason, Appeal.complaint_id),
        (Appeal.decision, Appeal.complaint_id),
    )
    for column, owner in marked:
        table = column.class_
        session.execute(
            update(table)
            .where(owner == cid, column.is_not(None), column != "")
            .values({column.key: REMOVED})
        )
    session.execute(
        update(ComplaintLink)
        .where(or_(ComplaintLink.complaint_id == cid, ComplaintLink.related_id == cid))
        .where(ComplaintLink.reason.is_not(None))
        .values(reason=None)
    )
    session.execute(
        update(SurveyResponse).where(SurveyResponse.complaint_id == cid).values(comment=None)
    )
    # Emails are copies of what was said to the complainants, with their addresses.
    session.execute(delete(OutboxMessage).where(OutboxMessage.complaint_id == cid))
    redact_corrections(session, cid)
    # The numbers staff called (phone calls are activities; their notes went above).
    session.execute(update(Activity).where(Activity.complaint_id == cid).values(phone_number=None))
    session.execute(
        update(AccessCodeReissue)
        .where(AccessCodeReissue.complaint_id == cid)
        .values(verification_note=None)
    )
    # Staff search must no longer find the case by what was removed.
    search.reindex_complaint(session, cid, now=now)


def remove_evidence(
    session: Session,
    complaint_id: int,
    folder: Path,
    *,
    now: dt.datetime,
    only: Callable[[Attachment], bool] | None = None,
) -> int:
    """Delete the case's evidence files from disk (``only``: those it accepts); each row stays
    as a tombstone with ``disposed_at``. Returns how many files were removed.

    Files go before the caller commits: a failed commit leaves the rows live, and the next run
    finds them again (deleting a file already gone is not an error).
    """
    removed = 0
    for attachment in session.scalars(
        select(Attachment).where(
            Attachment.complaint_id == complaint_id, Attachment.disposed_at.is_(None)
        )
    ):
        if only is not None and not only(attachment):
            continue
        try:
            path = evidence.evidence_path(folder, attachment.stored_name)
        except ValueError:
            path = None
        if path is not None and path.exists():
            path.unlink()
            removed += 1
        attachment.disposed_at = now
    return removed


def record_disposal(
    session: Session,
    complaint_id: int,
    kind: str,
    *,
    rule: str | None,
    now: dt.datetime,
    actor_id: int | None = None,
    files_removed: int = 0,
    complainant_id: int | None = None,
    reason: str | None = None,
    action: str = DISPOSED,
) -> Disposal:
    """Add the ``Disposal`` row and its ``action`` audit entry (kind, rule, files removed,
    complainant id: no personal data, and not the reason)."""
    row = Disposal(
        complaint_id=complaint_id,
        kind=kind,
        complainant_id=complainant_id,
        rule=rule,
        reason=reason,
        at=now,
        actor_id=actor_id,
        files_removed=files_removed,
    )
    session.add(row)
    after: dict[str, Any] = {"kind": kind, "files_removed": files_removed}
    if rule is not None:
        after["rule"] = rule
    if complainant_id is not None:
        after["complainant_id"] = complainant_id
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        object_type="complaint",
        object_id=complaint_id,
        after=after,
        now=now,
    )
    return row
