"""Corrections after filing and access-code reissues: the history that keeps the original.

A ``Correction`` row is written for every field a staff member (or the complainant, from the
status page) corrects, so the case shows what it said first and every change since. Values of
personal fields are kept here (the history is part of the case, like the fields themselves) and
masked in the audit trail and in any view for a role that may not see them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class Correction(Base):
    """One field of a complaint corrected after filing: who, when, before → after, why."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    batch: Mapped[str] = mapped_column(
        String(32), comment="Groups the fields corrected together in one save"
    )
    subject: Mapped[str] = mapped_column(
        String(64),
        comment="What was corrected: complaint, complainant:<id>, officer:<id>, allegation:<id>",
    )
    field: Mapped[str] = mapped_column(String(64), comment="Field name, e.g. incident_date")
    before_value: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL when is_personal: the value before (null: empty)"
    )
    after_value: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL when is_personal: the value after (null: empty)"
    )
    is_personal: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="The values are personal data (masked in audit and views)"
    )
    reason: Mapped[str] = mapped_column(Text, comment="Why it was corrected (staff-facing)")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member (null: the complainant)"
    )
    at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")


class AccessCodeReissue(Base):
    """A new access code issued to a resident who lost theirs, after staff verified who they are."""

    __tablename__ = "access_code_reissues"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The complaint"
    )
    reissued_by_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member who verified identity and reissued"
    )
    method: Mapped[str] = mapped_column(
        String(32), comment="How identity was verified (portal.services.access_codes.Method)"
    )
    verification_note: Mapped[str | None] = mapped_column(
        Text, comment="PERSONAL: what was checked (never the code; never in the audit)"
    )
    delivery: Mapped[str] = mapped_column(
        String(16), comment="How the new code reached the resident: shown, email or both"
    )
    reissued_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
