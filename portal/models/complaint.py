"""Complaints and everything that belongs to one: complainants, officers, allegations, evidence,
the public status timeline.

Every column carries a comment; columns holding personal data say so (``PERSONAL``), because the
publisher's allow-list must never let them out.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from portal.models.base import Base, enum_column
from portal.vocabulary import (
    PUBLIC_STATUS_OF,
    AgeBand,
    AllegationCategory,
    CaseState,
    Channel,
    ComplainantRole,
    ContactMethod,
    Discipline,
    Finding,
    Gender,
    PublicStatus,
    Race,
    ScreeningOutcome,
    StatusEventKind,
)

if TYPE_CHECKING:
    from portal.models.staff import Staff


class Complaint(Base):
    """One complaint (a case), from intake to closure."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    reference: Mapped[str] = mapped_column(
        String(16),
        unique=True,
        comment="PERSONAL (credential): reference number, e.g. LNT-7K3M-Q9XD",
    )
    access_code_hash: Mapped[str | None] = mapped_column(
        String(128), comment="HMAC-SHA256 of the access code; null for imported historical cases"
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="Form token that makes a resubmitted POST a no-op"
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), comment="How it reached us")
    state: Mapped[CaseState] = mapped_column(
        enum_column(CaseState), default=CaseState.RECEIVED, comment="Internal workflow state"
    )
    received_at: Mapped[dt.datetime] = mapped_column(comment="When the office received it (UTC)")
    incident_date: Mapped[dt.date | None] = mapped_column(Date, comment="PERSONAL: incident date")
    incident_time: Mapped[dt.time | None] = mapped_column(Time, comment="PERSONAL: incident time")
    incident_date_is_approximate: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="The complainant gave an approximate date"
    )
    incident_location: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL: free-text location (street address possible)"
    )
    district: Mapped[str | None] = mapped_column(
        String(64), comment="District / precinct code from configuration"
    )
    beat: Mapped[str | None] = mapped_column(String(64), comment="Beat or sector, if known")
    narrative: Mapped[str] = mapped_column(Text, default="", comment="PERSONAL: what happened")
    witnesses: Mapped[str | None] = mapped_column(Text, comment="PERSONAL: witnesses, free text")
    reported_categories: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Conduct categories the complainant chose (vocabulary values)"
    )
    preferred_language: Mapped[str] = mapped_column(
        String(8), default="en", comment="Language for status pages and email (en, es)"
    )
    screening_outcome: Mapped[ScreeningOutcome | None] = mapped_column(
        enum_column(ScreeningOutcome), comment="Decision taken after intake"
    )
    screening_reason: Mapped[str | None] = mapped_column(
        Text, comment="Internal reason for the screening decision (e.g. why declined)"
    )
    screened_at: Mapped[dt.datetime | None] = mapped_column(comment="When it was screened")
    closed_at: Mapped[dt.datetime | None] = mapped_column(comment="When it was closed")
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Investigator the case is assigned to"
    )
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member who entered a phone/letter/walk-in complaint"
    )
    last_complainant_update_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the complainant was last updated (drives the 'update every N days' clock)"
    )
    source: Mapped[str | None] = mapped_column(
        String(64), comment="Import source name for historical cases (null for portal cases)"
    )
    source_id: Mapped[str | None] = mapped_column(
        String(64), comment="The case's id in the import source"
    )
    created_at: Mapped[dt.datetime] = mapped_column(comment="Row creation time (UTC)")
    updated_at: Mapped[dt.datetime] = mapped_column(comment="Last change (UTC)")

    complainants: Mapped[list[Complainant]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="Complainant.id"
    )
    officers: Mapped[list[InvolvedOfficer]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="InvolvedOfficer.id"
    )
    allegations: Mapped[list[Allegation]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="Allegation.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    status_events: Mapped[list[StatusEvent]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="StatusEvent.id"
    )
    assigned_to: Mapped[Staff | None] = relationship(foreign_keys=[assigned_to_id])

    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_complaints_source_source_id"),
        Index("ix_complaints_state_received_at", "state", "received_at"),
        Index("ix_complaints_closed_at", "closed_at"),
        Index("ix_complaints_assigned_to_id_state", "assigned_to_id", "state"),
    )

    @property
    def public_status(self) -> PublicStatus:
        """The status the complainant sees (explicit mapping in ``portal.vocabulary``)."""
        return PUBLIC_STATUS_OF[self.state]


class Complainant(Base):
    """A person who complained (or on whose behalf someone did). Anonymous is allowed."""

    __tablename__ = "complainants"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    role: Mapped[ComplainantRole] = mapped_column(
        enum_column(ComplainantRole),
        default=ComplainantRole.SELF,
        comment="Self, on behalf, witness",
    )
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, comment="Gave no identity")
    name: Mapped[str | None] = mapped_column(String(200), comment="PERSONAL: name")
    email: Mapped[str | None] = mapped_column(String(254), comment="PERSONAL: email address")
    phone: Mapped[str | None] = mapped_column(String(40), comment="PERSONAL: phone number")
    postal_address: Mapped[str | None] = mapped_column(Text, comment="PERSONAL: postal address")
    on_behalf_of: Mapped[str | None] = mapped_column(
        String(200), comment="PERSONAL: name of the person the complaint is for"
    )
    contact_method: Mapped[ContactMethod] = mapped_column(
        enum_column(ContactMethod), default=ContactMethod.NONE, comment="Preferred contact method"
    )
    language: Mapped[str] = mapped_column(String(8), default="en", comment="Preferred language")
    interpreter_needed: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Needs an interpreter"
    )
    interpreter_language: Mapped[str | None] = mapped_column(
        String(64), comment="Language the interpreter should speak"
    )
    wants_code_by_email: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Asked for the access code in the receipt email"
    )
    age: Mapped[int | None] = mapped_column(
        Integer, comment="PERSONAL: exact age (historical imports only; residents give a band)"
    )
    age_band: Mapped[AgeBand | None] = mapped_column(enum_column(AgeBand), comment="Age band")
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender), comment="Gender")
    race: Mapped[Race | None] = mapped_column(enum_column(Race), comment="Race or ethnicity")

    complaint: Mapped[Complaint] = relationship(back_populates="complainants")


class Officer(Base):
    """An officer on the department roster (``lantern officers import``)."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    badge_number: Mapped[str | None] = mapped_column(
        String(32), unique=True, comment="PERSONAL: badge number"
    )
    first_name: Mapped[str | None] = mapped_column(String(100), comment="PERSONAL: first name")
    last_name: Mapped[str | None] = mapped_column(String(100), comment="PERSONAL: last name")
    rank: Mapped[str | None] = mapped_column(String(64), comment="Rank (e.g. police officer)")
    unit: Mapped[str | None] = mapped_column(String(128), comment="Assigned unit")
    gender: Mapped[str | None] = mapped_column(String(32), comment="Gender on the roster")
    race: Mapped[str | None] = mapped_column(String(64), comment="Race on the roster")
    hired_on: Mapped[dt.date | None] = mapped_column(Date, comment="PERSONAL: hire date")
    source: Mapped[str | None] = mapped_column(String(64), comment="Roster or import source")
    source_id: Mapped[str | None] = mapped_column(
        String(64), comment="PERSONAL: the officer's id in the source (never published)"
    )

    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_officers_source_source_id"),)


class InvolvedOfficer(Base):
    """An officer as described in one complaint, possibly not (yet) identified."""

    __tablename__ = "involved_officers"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id"), index=True, comment="Roster officer once identified"
    )
    name_given: Mapped[str | None] = mapped_column(
        String(200), comment="PERSONAL: name as the complainant gave it"
    )
    badge_given: Mapped[str | None] = mapped_column(String(32), comment="PERSONAL: badge given")
    unit_given: Mapped[str | None] = mapped_column(String(128), comment="Unit as given")
    description: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL: description (appearance, vehicle)"
    )
    is_unknown: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Complainant does not know who the officer was"
    )

    complaint: Mapped[Complaint] = relationship(back_populates="officers")
    officer: Mapped[Officer | None] = relationship()
    allegations: Mapped[list[Allegation]] = relationship(back_populates="involved_officer")


class Allegation(Base):
    """One officer × one category, with its findings and discipline."""

    __tablename__ = "allegations"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    involved_officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("involved_officers.id", ondelete="CASCADE"),
        index=True,
        comment="The officer the allegation is against (null: unidentified)",
    )
    category: Mapped[AllegationCategory] = mapped_column(
        enum_column(AllegationCategory), comment="Kind of conduct"
    )
    recommended_finding: Mapped[Finding | None] = mapped_column(
        enum_column(Finding), comment="Investigator's recommended finding"
    )
    finding: Mapped[Finding | None] = mapped_column(enum_column(Finding), comment="Final finding")
    # ``discipline`` / ``suspension_days`` are the discipline IMPOSED (by the department; what
    # releases and reports count). The office's recommendation is kept apart, below.
    discipline: Mapped[Discipline | None] = mapped_column(
        enum_column(Discipline), comment="Discipline imposed (pending: not decided yet)"
    )
    suspension_days: Mapped[int | None] = mapped_column(
        Integer, comment="Days of suspension when discipline is suspension"
    )
    recommended_discipline: Mapped[Discipline | None] = mapped_column(
        enum_column(Discipline), comment="Discipline the office recommended at findings review"
    )
    recommended_suspension_days: Mapped[int | None] = mapped_column(
        Integer, comment="Days of suspension recommended, when the recommendation is suspension"
    )
    discipline_decided_on: Mapped[dt.date | None] = mapped_column(
        Date, comment="When the imposed discipline was decided (by the department)"
    )
    discipline_recorded_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the imposed discipline was last recorded here (UTC)"
    )
    discipline_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member who last recorded the imposed discipline"
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the final finding was made"
    )

    #: The imposed discipline under an explicit name (the same column as ``discipline``).
    imposed_discipline: Mapped[Discipline | None] = synonym("discipline")

    complaint: Mapped[Complaint] = relationship(back_populates="allegations")
    involved_officer: Mapped[InvolvedOfficer | None] = relationship(back_populates="allegations")

    __table_args__ = (
        UniqueConstraint(
            "complaint_id",
            "involved_officer_id",
            "category",
            name="uq_allegations_officer_category",
        ),
    )


class Attachment(Base):
    """A file of evidence, stored outside any served folder under a random name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    original_name: Mapped[str] = mapped_column(
        String(255), comment="PERSONAL: file name as uploaded (shown to staff and on the receipt)"
    )
    stored_name: Mapped[str] = mapped_column(
        String(64), unique=True, comment="Random name under the uploads folder"
    )
    content_type: Mapped[str] = mapped_column(String(128), comment="Type detected from content")
    size_bytes: Mapped[int] = mapped_column(Integer, comment="Size in bytes")
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the content, hex")
    uploaded_at: Mapped[dt.datetime] = mapped_column(comment="When it was uploaded")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member who attached it (null: the complainant)"
    )
    disposed_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the file was deleted under the records schedule or an erasure (the row "
        "stays as a tombstone: size, type and SHA-256 of what was held)"
    )

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")


class StatusEvent(Base):
    """One step on the complainant's public timeline (never internal notes or staff names)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    kind: Mapped[StatusEventKind] = mapped_column(
        enum_column(StatusEventKind), comment="Status change, message or added information"
    )
    public_status: Mapped[PublicStatus | None] = mapped_column(
        enum_column(PublicStatus), comment="The public status reached (for status changes)"
    )
    message: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL: text shown to the complainant (staff message or their addition)"
    )
    created_at: Mapped[dt.datetime] = mapped_column(comment="When it happened (UTC)")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member responsible (never shown publicly)"
    )

    complaint: Mapped[Complaint] = relationship(back_populates="status_events")
