"""Back-office casework: workflow events, notes, referrals, activities, links, appeals, surveys
and the transactional email outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, enum_column
from portal.vocabulary import (
    ActivityKind,
    AppealState,
    CallDirection,
    CallOutcome,
    CallParty,
    CaseState,
    MessageChannel,
    OutboxStatus,
)


class CaseEvent(Base):
    """One validated workflow transition (internal; the public sees ``StatusEvent``)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    from_state: Mapped[CaseState | None] = mapped_column(
        enum_column(CaseState), comment="State before (null for creation)"
    )
    to_state: Mapped[CaseState] = mapped_column(enum_column(CaseState), comment="State after")
    at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member (null: complainant or system)"
    )
    reason: Mapped[str | None] = mapped_column(Text, comment="Internal reason")


class InternalNote(Base):
    """A staff-only note on a case. Never shown to the complainant, never published."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), comment="Author")
    body: Mapped[str] = mapped_column(Text, comment="PERSONAL: note text")
    created_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")


class Agency(Base):
    """An agency or service provider in the referral directory staff maintain."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    name: Mapped[str] = mapped_column(String(200), unique=True, comment="Agency name")
    contact: Mapped[str | None] = mapped_column(Text, comment="How to reach them")
    handles: Mapped[str | None] = mapped_column(Text, comment="What they handle")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="Still in use")


class Referral(Base):
    """A complaint referred to an agency, with follow-up."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), comment="Referred to")
    referred_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date, comment="Follow-up date")
    outcome: Mapped[str | None] = mapped_column(Text, comment="Outcome reported by the agency")
    outcome_at: Mapped[dt.datetime | None] = mapped_column(comment="When the outcome was recorded")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), comment="Who referred")


class Activity(Base):
    """An investigation activity (interview, evidence request, camera review...) or a phone call
    made or taken on the case (kind ``phone_call``, with the ``call_*`` columns filled in)."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind), comment="Kind")
    occurred_on: Mapped[dt.date] = mapped_column(Date, comment="When it took place")
    summary: Mapped[str] = mapped_column(Text, default="", comment="PERSONAL: what was done")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), comment="Who logged it")
    created_at: Mapped[dt.datetime] = mapped_column(comment="When it was logged (UTC)")
    occurred_at: Mapped[dt.datetime | None] = mapped_column(
        comment="Phone calls: when the call took place (UTC)"
    )
    call_direction: Mapped[CallDirection | None] = mapped_column(
        enum_column(CallDirection), comment="Phone calls: made or received"
    )
    call_party: Mapped[CallParty | None] = mapped_column(
        enum_column(CallParty), comment="Phone calls: who was on the other end"
    )
    call_outcome: Mapped[CallOutcome | None] = mapped_column(
        enum_column(CallOutcome), comment="Phone calls: reached, left a message, no answer..."
    )
    phone_number: Mapped[str | None] = mapped_column(
        String(40), comment="PERSONAL: phone calls: the number called or calling"
    )


class ComplaintLink(Base):
    """Two complaints recorded as related (duplicates, one public incident)."""

    __tablename__ = "complaint_links"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="One complaint"
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The other"
    )
    reason: Mapped[str | None] = mapped_column(Text, comment="Why they are linked")
    created_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), comment="Who linked")

    __table_args__ = (
        UniqueConstraint("complaint_id", "related_id", name="uq_complaint_links_pair"),
    )


class Appeal(Base):
    """A complainant's request for review after closure, and its decision."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    requested_at: Mapped[dt.datetime] = mapped_column(comment="When requested (UTC)")
    reason: Mapped[str] = mapped_column(Text, default="", comment="PERSONAL: why they appeal")
    state: Mapped[AppealState] = mapped_column(
        enum_column(AppealState), default=AppealState.REQUESTED, comment="State"
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(comment="When decided")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), comment="Decider")
    decision: Mapped[str | None] = mapped_column(Text, comment="Decision shown to the complainant")


class SurveyResponse(Base):
    """The complainant's answers to the short satisfaction survey after closure."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"),
        unique=True,
        comment="The complaint (one response each)",
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    ease: Mapped[int | None] = mapped_column(Integer, comment="How easy filing was, 1-5")
    kept_informed: Mapped[int | None] = mapped_column(Integer, comment="Kept informed, 1-5")
    treated_fairly: Mapped[int | None] = mapped_column(Integer, comment="Treated fairly, 1-5")
    would_recommend: Mapped[bool | None] = mapped_column(Boolean, comment="Would recommend")
    comment: Mapped[str | None] = mapped_column(Text, comment="PERSONAL: free comment")


class OutboxMessage(Base):
    """A message to a complainant queued in the same transaction as the change it reports
    (transactional outbox): an email or SMS the drainer sends, or a letter staff print and post."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    message_id: Mapped[str] = mapped_column(
        String(128), unique=True, comment="RFC 5322 Message-ID; makes redelivery idempotent"
    )
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL"), index=True, comment="Related complaint"
    )
    complainant_id: Mapped[int | None] = mapped_column(
        ForeignKey("complainants.id", ondelete="SET NULL"),
        comment="The complainant it goes to (letters follow a corrected address until printed)",
    )
    channel: Mapped[MessageChannel] = mapped_column(
        enum_column(MessageChannel),
        default=MessageChannel.EMAIL,
        server_default=MessageChannel.EMAIL.value,
        comment="email, letter or sms",
    )
    to_address: Mapped[str] = mapped_column(
        Text,
        comment="PERSONAL: recipient (email address, phone number, or name and postal address)",
    )
    subject: Mapped[str] = mapped_column(String(255), comment="Subject")
    body_text: Mapped[str] = mapped_column(Text, comment="PERSONAL: plain-text body")
    language: Mapped[str] = mapped_column(String(8), default="en", comment="Language")
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING, comment="Delivery state"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="Delivery attempts so far")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(comment="Earliest next attempt (UTC)")
    last_error: Mapped[str | None] = mapped_column(Text, comment="Last delivery error (no PII)")
    created_at: Mapped[dt.datetime] = mapped_column(comment="When queued (UTC)")
    sent_at: Mapped[dt.datetime | None] = mapped_column(comment="When delivered (UTC)")
    printed_at: Mapped[dt.datetime | None] = mapped_column(
        comment="Letters: when staff marked it printed (UTC)"
    )

    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_channel_status", "channel", "status"),
    )
