"""Records management: legal holds on cases, and the record of every disposal and erasure.

A disposal removes a case's personal data (or its evidence files) under the office's records
schedule, or one complainant's personal data on request; the case's statistical record stays.
Rows here are never deleted: they are how a case shows when, and under which rule, it lost what.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class LegalHold(Base):
    """A legal hold on a case: while it is active (not released) nothing of the case is disposed
    of or erased. Set and released by a supervisor, each with a reason."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True, comment="The case held"
    )
    set_at: Mapped[dt.datetime] = mapped_column(comment="When the hold was set (UTC)")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), comment="Who set it")
    reason: Mapped[str] = mapped_column(
        Text, comment="Why the case is held (litigation, inquiry); staff only, never audited"
    )
    released_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the hold was released (UTC); null while it is active"
    )
    released_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Who released it"
    )
    release_reason: Mapped[str | None] = mapped_column(Text, comment="Why it was released")


class Disposal(Base):
    """One disposal of a case's personal data or evidence, or one complainant's erasure."""

    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id")
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), comment="The case"
    )
    kind: Mapped[str] = mapped_column(
        String(32), comment="personal_data, evidence or complainant_erasure"
    )
    complainant_id: Mapped[int | None] = mapped_column(
        ForeignKey("complainants.id", ondelete="SET NULL"),
        comment="The complainant erased (complainant_erasure only)",
    )
    rule: Mapped[str | None] = mapped_column(
        String(64), comment="Id of the records-schedule rule applied (null: an erasure request)"
    )
    reason: Mapped[str | None] = mapped_column(
        Text, comment="Why an erasure was made (the request); staff only, never audited"
    )
    at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="Staff member (null: the scheduled retention run)"
    )
    files_removed: Mapped[int] = mapped_column(
        Integer, default=0, comment="Evidence files deleted from disk by this disposal"
    )

    __table_args__ = (Index("ix_disposals_complaint_id_kind", "complaint_id", "kind"),)
