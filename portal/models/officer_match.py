"""Decisions on whether an officer from imported history is the same person as a roster officer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class OfficerMatch(Base):
    """A supervisor's decision on one suggested pair (imported officer, roster officer).

    ``confirmed``: the imported officer is the roster officer; their complaints were moved to the
    roster officer (so one person has one identity, in early warning and in releases).
    ``rejected``: two different people; the pair is not suggested again.
    """

    __tablename__ = "officer_matches"

    id: Mapped[int] = mapped_column(primary_key=True, comment="Internal id; never published.")
    officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id"), index=True, comment="The officer from imported history"
    )
    roster_officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id"), index=True, comment="The roster officer it was compared with"
    )
    rule: Mapped[str] = mapped_column(String(32), comment="Why it was suggested: badge or name")
    decision: Mapped[str] = mapped_column(String(16), comment="confirmed or rejected")
    decided_by_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id"), comment="The supervisor who decided"
    )
    decided_at: Mapped[dt.datetime] = mapped_column(comment="When (UTC)")
    moved_involvements: Mapped[int] = mapped_column(
        default=0, comment="Complaint involvements moved to the roster officer on confirmation"
    )

    __table_args__ = (
        UniqueConstraint("officer_id", "roster_officer_id", name="uq_officer_matches_pair"),
    )
