"""Reissue an access code to a resident who lost it, after staff verified who they are.

The resident cannot follow their complaint without the code, and the office cannot tell them
the old one (only its keyed hash is stored). A staff member with the right role checks the
caller's identity (how is recorded: ``Method``), then issues a new code: its hash replaces the
old one in the same transaction, so the old code stops working at once. The new code is shown
once to the staff member (to read out or hand over) and/or emailed to the complainants' addresses
on file, in their language, through the outbox. It is never stored in clear, logged or audited;
the audit entry says who reissued, how identity was verified and how the code was delivered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.models import AccessCodeReissue, Complaint, LookupLock, Staff
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.identifiers import hash_access_code, new_access_code
from portal.services.notify import MailSettings, notify_complainants, recipients
from portal.services.permissions import Permission
from portal.services.status import lookup_lock_key

REISSUE = "access_code.reissue"
MAX_NOTE = 1000


class Method(StrEnum):
    """How the staff member verified the caller is the complainant."""

    SECURITY_QUESTIONS_PHONE = "security_questions_phone"  # details of the case, by phone
    PHOTO_ID_IN_PERSON = "photo_id_in_person"
    EMAIL_ON_FILE = "email_on_file"  # the request came from the email address on file
    SIGNED_LETTER = "signed_letter"
    OTHER = "other"  # described in the note


class Delivery(StrEnum):
    """How the new code reaches the resident."""

    SHOWN = "shown"  # shown once to the staff member, who reads it out or hands it over
    EMAIL = "email"  # emailed to the addresses on file
    BOTH = "both"


@dataclasses.dataclass(frozen=True, slots=True)
class Reissued:
    """The result: the new code in clear only when it is to be shown (once), never stored."""

    complaint_id: int
    reference: str
    access_code: str | None
    emailed: int  # how many emails were queued


def reissue_access_code(
    session: Session,
    complaint_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    method: Method,
    note: str | None,
    delivery: Delivery,
    access_code_key: str,
    settings: MailSettings,
) -> Reissued:
    """Replace complaint ``complaint_id``'s access code with a new one (not committed).

    Raises ``CaseworkError`` when ``actor`` may not reissue, the case has no access code (an
    imported historical case), ``method`` is ``other`` without a note, or the code is to be
    emailed and nobody on the case gave an email address.
    """
    require(actor, Permission.ACCESS_CODE_REISSUE)
    note = (note or "").strip() or None
    if method is Method.OTHER and not note:
        raise CaseworkError("Describe how you verified the caller's identity.")
    if note and len(note) > MAX_NOTE:
        raise CaseworkError(f"Keep the note under {MAX_NOTE} characters.")
    complaint: Complaint = load_complaint(session, complaint_id)
    if complaint.access_code_hash is None:
        raise CaseworkError("This case was imported from old records and has no access code.")
    emails = delivery in (Delivery.EMAIL, Delivery.BOTH)
    if emails and not recipients(complaint):
        raise CaseworkError("Nobody on this case gave an email address: show the code instead.")
    code = new_access_code()
    old_hash = complaint.access_code_hash
    complaint.access_code_hash = hash_access_code(code, access_code_key)
    complaint.updated_at = now
    session.add(
        AccessCodeReissue(
            complaint_id=complaint.id,
            reissued_by_id=actor.id,
            method=method.value,
            verification_note=note,
            delivery=delivery.value,
            reissued_at=now,
        )
    )
    # A resident who tried the lost code until the reference locked can use the new one at once.
    session.execute(
        delete(LookupLock).where(
            LookupLock.reference_key == lookup_lock_key(complaint.reference, access_code_key)
        )
    )
    queued = []
    if emails:
        queued = notify_complainants(
            session, complaint, "access_code", {"access_code": code}, settings=settings, now=now
        )
    record(
        session,
        actor,
        REISSUE,
        "complaint",
        complaint.id,
        now,
        {"access_code": old_hash},
        {"access_code": complaint.access_code_hash},
        personal=("access_code",),
        detail=f"method={method.value} delivery={delivery.value} emails={len(queued)}",
    )
    return Reissued(
        complaint_id=complaint.id,
        reference=complaint.reference,
        access_code=code if delivery in (Delivery.SHOWN, Delivery.BOTH) else None,
        emailed=len(queued),
    )
