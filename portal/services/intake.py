"""Filing a complaint: the ONE operation that creates a complaint, online or entered by staff.

``file_complaint`` takes a typed ``Submission`` (everything the resident told us, with their
evidence already stored by ``portal.services.evidence``) and creates, in one transaction, the
complaint with a fresh reference number and access code, its complainant, the officers as
described, the evidence, the first public status event ("received"), the first internal case
event and — when an email address was given — the receipt email in the outbox.

Once only: the form carries an idempotency key (unique in the database). Filing again with the
same key — a double click, a resubmitted POST, back-and-resubmit — returns the complaint filed
the first time, marked ``replayed`` and *without* its access code (only its hash is stored;
the code was shown once, on the first receipt). Two concurrent requests with the same key are
settled by the unique constraint, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.models import CaseEvent, Complainant, Complaint, InvolvedOfficer, Staff, StatusEvent
from portal.services import evidence
from portal.services.evidence import StoredFile
from portal.services.identifiers import hash_access_code, new_access_code, new_reference
from portal.services.mail import queue_email
from portal.services.receipt_email import ReceiptSettings, render_receipt_email
from portal.services.search import reindex_complaint
from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    CaseState,
    Channel,
    ComplainantRole,
    ContactMethod,
    Gender,
    PublicStatus,
    Race,
    StatusEventKind,
)

#: How many fresh references to try when one collides with an existing complaint (35 random
#: bits: a collision is rare, two in a row practically impossible).
REFERENCE_ATTEMPTS = 5
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: One plain address (no display name, no list): it becomes an email header.
EMAIL = re.compile(r"[^@\s,;:<>()\[\]\"]+@[^@\s,;:<>()\[\]\"]+\.[^@\s,;:<>()\[\]\"]+")
LANGUAGES = ("en", "es")

#: Maximum lengths (the database columns' sizes; text columns get a generous cap).
MAX_LENGTH = {
    "narrative": 50_000,
    "incident_location": 2_000,
    "district": 64,
    "witnesses": 10_000,
    "officer.name": 200,
    "officer.badge": 32,
    "officer.unit": 128,
    "officer.description": 5_000,
    "name": 200,
    "on_behalf_of": 200,
    "email": 254,
    "phone": 40,
    "postal_address": 1_000,
    "interpreter_language": 64,
}
MAX_OFFICERS = 20


class IntakeError(ValueError):
    """A submission the service refuses; ``field`` names the offending field, ``problem`` says
    what is wrong (``required``, ``too_long``, ``invalid``, ``consent``...). Forms validate
    first, so this is a programming or tampering error, never shown as is to a resident."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class OfficerReport:
    """One officer as the complainant described them (any part may be unknown)."""

    name: str | None = None
    badge: str | None = None
    unit: str | None = None
    description: str | None = None
    is_unknown: bool = False  # "I don't know who the officer was"

    def is_blank(self) -> bool:
        """True for a row the resident left empty (dropped, not stored)."""
        return not (self.name or self.badge or self.unit or self.description or self.is_unknown)


@dataclass(frozen=True)
class Demographics:
    """Optional answers for equity statistics; each may be "prefer not to say" or not given."""

    age_band: AgeBand | None = None
    gender: Gender | None = None
    race: Race | None = None


@dataclass(frozen=True)
class ComplainantInfo:
    """Who is complaining and how to reach them. Anonymous is allowed (no name is kept)."""

    is_anonymous: bool = False
    role: ComplainantRole = ComplainantRole.SELF
    name: str | None = None
    on_behalf_of: str | None = None  # the person the complaint is for, when role is on_behalf
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None
    contact_method: ContactMethod = ContactMethod.NONE
    language: str = "en"  # for the status pages and every email
    interpreter_needed: bool = False
    interpreter_language: str | None = None
    wants_code_by_email: bool = False  # "email me my access code"
    demographics: Demographics = field(default_factory=Demographics)


@dataclass(frozen=True)
class Submission:
    """Everything a complaint form collects, validated and typed."""

    narrative: str
    incident_date: dt.date | None = None
    incident_time: dt.time | None = None
    incident_date_is_approximate: bool = False
    incident_location: str | None = None
    district: str | None = None
    officers: tuple[OfficerReport, ...] = ()
    categories: tuple[AllegationCategory, ...] = ()
    witnesses: str | None = None
    complainant: ComplainantInfo = field(default_factory=ComplainantInfo)
    consent: bool = False  # agreed to the privacy notice
    attachments: tuple[StoredFile, ...] = ()


@dataclass(frozen=True)
class FiledComplaint:
    """What filing returns. ``access_code`` is the code in clear — only on the first filing;
    None when ``replayed`` (the same idempotency key was filed before)."""

    complaint_id: int
    reference: str
    received_at: dt.datetime
    access_code: str | None
    replayed: bool


def _text(value: str | None, name: str) -> str | None:
    """Strip ``value``; None when empty; ``IntakeError`` when longer than its column allows."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH[name]:
        raise IntakeError(name, "too_long")
    return value


def _check(submission: Submission, channel: Channel, entered_by: Staff | None) -> None:
    """Refuse a submission no form should have let through."""
    if not submission.consent:
        raise IntakeError("consent", "required")
    if not (submission.narrative or "").strip():
        raise IntakeError("narrative", "required")
    if (channel is Channel.ONLINE) != (entered_by is None):
        raise IntakeError("channel", "online complaints are filed by residents, others by staff")
    if len(submission.officers) > MAX_OFFICERS:
        raise IntakeError("officers", "too_many")
    person = submission.complainant
    if person.language not in LANGUAGES:
        raise IntakeError("language", "invalid")
    if person.is_anonymous and person.name and person.name.strip():
        raise IntakeError("name", "anonymous")
    email = (person.email or "").strip()
    if email and not EMAIL.fullmatch(email):
        raise IntakeError("email", "invalid")
    if person.wants_code_by_email and not email:
        raise IntakeError("email", "required")
    wanted = {
        ContactMethod.EMAIL: person.email,
        ContactMethod.PHONE: person.phone,
        ContactMethod.POST: person.postal_address,
    }
    if person.contact_method in wanted and not (wanted[person.contact_method] or "").strip():
        raise IntakeError(person.contact_method.value, "required")


def _build(
    submission: Submission,
    *,
    reference: str,
    code_hash: str,
    channel: Channel,
    entered_by: Staff | None,
    now: dt.datetime,
    idempotency_key: str | None,
) -> Complaint:
    """The complaint with its complainant and officers (not yet in a session)."""
    person = submission.complainant
    actor_id = entered_by.id if entered_by is not None else None
    complaint = Complaint(
        reference=reference,
        access_code_hash=code_hash,
        idempotency_key=idempotency_key,
        channel=channel,
        state=CaseState.RECEIVED,
        received_at=now,
        incident_date=submission.incident_date,
        incident_time=submission.incident_time,
        incident_date_is_approximate=submission.incident_date_is_approximate,
        incident_location=_text(submission.incident_location, "incident_location"),
        district=_text(submission.district, "district"),
        narrative=_text(submission.narrative, "narrative") or "",
        witnesses=_text(submission.witnesses, "witnesses"),
        reported_categories=sorted({c.value for c in submission.categories}),
        preferred_language=person.language,
        entered_by_id=actor_id,
        last_complainant_update_at=now,
        created_at=now,
        updated_at=now,
    )
    demographics = person.demographics
    complaint.complainants.append(
        Complainant(
            role=person.role,
            is_anonymous=person.is_anonymous,
            name=None if person.is_anonymous else _text(person.name, "name"),
            on_behalf_of=(
                _text(person.on_behalf_of, "on_behalf_of")
                if person.role is ComplainantRole.ON_BEHALF
                else None
            ),
            email=_text(person.email, "email"),
            phone=_text(person.phone, "phone"),
            postal_address=_text(person.postal_address, "postal_address"),
            contact_method=person.contact_method,
            language=person.language,
            interpreter_needed=person.interpreter_needed,
            interpreter_language=(
                _text(person.interpreter_language, "interpreter_language")
                if person.interpreter_needed
                else None
            ),
            wants_code_by_email=person.wants_code_by_email,
            age_band=demographics.age_band,
            gender=demographics.gender,
            race=demographics.race,
        )
    )
    for officer in submission.officers:
        if officer.is_blank():
            continue
        complaint.officers.append(
            InvolvedOfficer(
                name_given=_text(officer.name, "officer.name"),
                badge_given=_text(officer.badge, "officer.badge"),
                unit_given=_text(officer.unit, "officer.unit"),
                description=_text(officer.description, "officer.description"),
                is_unknown=officer.is_unknown,
            )
        )
    complaint.status_events.append(
        StatusEvent(
            kind=StatusEventKind.STATUS_CHANGE,
            public_status=PublicStatus.RECEIVED,
            created_at=now,
            actor_id=actor_id,
        )
    )
    return complaint


def _replay(session: Session, idempotency_key: str | None) -> FiledComplaint | None:
    """The complaint already filed with this key, as a replay (no access code), or None."""
    if idempotency_key is None:
        return None
    row = session.execute(
        select(Complaint.id, Complaint.reference, Complaint.received_at).where(
            Complaint.idempotency_key == idempotency_key
        )
    ).first()
    if row is None:
        return None
    return FiledComplaint(
        complaint_id=row.id,
        reference=row.reference,
        received_at=row.received_at,
        access_code=None,
        replayed=True,
    )


def _discard_unattached(
    session: Session, folder: Path | None, files: tuple[StoredFile, ...]
) -> None:
    """Remove this submission's files unless a complaint holds them (the first filing may)."""
    if folder is None or not files:
        return
    attached = evidence.attached_names(session, [f.stored_name for f in files])
    evidence.discard(folder, [f for f in files if f.stored_name not in attached])


def file_complaint(
    session: Session,
    submission: Submission,
    *,
    channel: Channel,
    entered_by: Staff | None,
    now: dt.datetime,
    access_code_key: str,
    idempotency_key: str | None,
    upload_folder: Path | None = None,
    receipt: ReceiptSettings | None = None,
    before_commit: Callable[[Session, Complaint], None] | None = None,
) -> FiledComplaint:
    """File a complaint once, atomically, and COMMIT it.

    ``channel`` is ``online`` for residents (``entered_by`` None) or the channel a staff member
    (``entered_by``) took it by. ``idempotency_key`` (16–64 URL-safe characters, from the form)
    makes a repeated filing return the first one with ``replayed=True`` and no access code;
    None turns that protection off (scripts). ``upload_folder``, when given, is where the
    submission's evidence is stored: files are removed again if filing fails, and duplicates
    are removed on a replay. ``receipt`` names the office and status page in the receipt
    email, queued in the same transaction when the complainant gave an email address.
    ``before_commit(session, complaint)`` may add rows that must commit with the complaint
    (e.g. an audit entry).

    The session must hold no pending changes: this function owns the transaction (it rolls
    back anything only read so far, so that on SQLite it can begin a write transaction).
    Raises ``IntakeError`` for a submission no form should accept.
    """
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise IntakeError("idempotency_key", "invalid")
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("file_complaint owns its transaction: commit pending changes first")
    _check(submission, channel, entered_by)
    files = submission.attachments
    try:
        for attempt in range(1, REFERENCE_ATTEMPTS + 1):
            if session.in_transaction():
                session.rollback()
            begin_write(session)
            # No look-up of the idempotency key first: a repeat is rare, and the INSERT below
            # meets the key's unique constraint anyway (one round trip fewer per complaint).
            access_code = new_access_code()
            complaint = _build(
                submission,
                reference=new_reference(),
                code_hash=hash_access_code(access_code, access_code_key),
                channel=channel,
                entered_by=entered_by,
                now=now,
                idempotency_key=idempotency_key,
            )
            session.add(complaint)
            try:
                # The INSERT meets the unique constraints here: a repeat of an earlier filing, a
                # concurrent filing with the same key (PostgreSQL waits for it to commit, then
                # refuses) or, very rarely, a reference collision (then try a new reference).
                session.flush()
            except IntegrityError:
                session.rollback()
                replay = _replay(session, idempotency_key)
                if replay is not None:
                    session.rollback()
                    _discard_unattached(session, upload_folder, files)
                    return replay
                if attempt == REFERENCE_ATTEMPTS:
                    raise
                continue
            _complete(
                session,
                complaint,
                submission,
                access_code=access_code,
                entered_by=entered_by,
                channel=channel,
                now=now,
                receipt=receipt or ReceiptSettings(),
            )
            reindex_complaint(session, complaint.id, now=now)
            if before_commit is not None:
                before_commit(session, complaint)
            session.commit()
            return FiledComplaint(
                complaint_id=complaint.id,
                reference=complaint.reference,
                received_at=now,
                access_code=access_code,
                replayed=False,
            )
    except BaseException:
        if session.in_transaction():
            session.rollback()
        if upload_folder is not None:
            evidence.discard(upload_folder, files)
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _complete(
    session: Session,
    complaint: Complaint,
    submission: Submission,
    *,
    access_code: str,
    entered_by: Staff | None,
    channel: Channel,
    now: dt.datetime,
    receipt: ReceiptSettings,
) -> None:
    """Evidence, the internal creation event and the receipt email, once the complaint has an id."""
    evidence.attach(session, complaint, submission.attachments, now=now, uploaded_by=entered_by)
    session.add(
        CaseEvent(
            complaint_id=complaint.id,
            from_state=None,
            to_state=CaseState.RECEIVED,
            at=now,
            actor_id=entered_by.id if entered_by is not None else None,
            reason=f"filed ({channel.value})",
        )
    )
    person = submission.complainant
    email = _text(person.email, "email")
    if email:
        message = render_receipt_email(
            language=person.language,
            reference=complaint.reference,
            received_at=now,
            evidence=[(f.original_name, f.sha256) for f in submission.attachments],
            access_code=access_code if person.wants_code_by_email else None,
            settings=receipt,
        )
        queue_email(
            session,
            to=email,
            subject=message.subject,
            body=message.body,
            language=person.language,
            complaint_id=complaint.id,
            now=now,
        )
