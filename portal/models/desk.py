"""The staff desk: what happened on a case that staff must not miss, and what each staff member
has seen of it.

``CaseNotice`` is append-only: one row per event worth a look (the resident added information or
evidence, asked for a review, withdrew; a deadline passed; a message to the resident failed).
Its ``id`` is the order of arrival: notices are only ever written under one lock
(``portal.services.desk``), so ids are committed in increasing order and "everything up to id N"
never skips a notice that commits later. ``CaseSeen`` keeps, per staff member and case, the
highest notice id that staff member has seen (opened the case, or acknowledged it on the desk).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class CaseNotice(Base):
    """One event on a case that staff should see (append-only; never updated or deleted)."""

    __tablename__ = "case_notices"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Order of arrival (see module)")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), comment="The complaint"
    )
    kind: Mapped[str] = mapped_column(
        String(32), comment="What happened: portal.services.desk.NoticeKind value"
    )
    source_id: Mapped[int | None] = mapped_column(
        Integer, comment="The row behind it (status event, case event, outbox message), if any"
    )
    clock: Mapped[str | None] = mapped_column(
        String(32), comment="For an overdue deadline: which service-level clock"
    )
    clock_started_at: Mapped[dt.datetime | None] = mapped_column(
        comment="For an overdue deadline: when that clock started (one notice per run)"
    )
    created_at: Mapped[dt.datetime] = mapped_column(comment="When it was noticed (UTC)")

    __table_args__ = (
        Index("ix_case_notices_complaint_id_id", "complaint_id", "id"),
        Index("ix_case_notices_kind_source_id", "kind", "source_id"),
    )


class CaseSeen(Base):
    """How far one staff member has seen the notices of one case."""

    __tablename__ = "case_seen"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, comment="Staff member"
    )
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True, comment="The complaint"
    )
    last_notice_id: Mapped[int] = mapped_column(
        Integer, comment="Highest CaseNotice id of this case the staff member has seen"
    )
    seen_at: Mapped[dt.datetime] = mapped_column(comment="When they last looked (UTC)")
