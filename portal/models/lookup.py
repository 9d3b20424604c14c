"""Failed status lookups per reference, so a brute-forced reference locks for every worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class LookupLock(Base):
    """Failed lookups of one reference (known or not) in the current window, and its lock.

    Keyed by an HMAC of the normalized reference, so the table never lists the references people
    typed; unknown references are counted exactly like real ones (a lock reveals nothing).
    """

    __tablename__ = "lookup_locks"

    reference_key: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="HMAC-SHA256 (hex) of the normalized reference"
    )
    failures: Mapped[int] = mapped_column(Integer, default=0, comment="Failures in this window")
    window_started_at: Mapped[dt.datetime] = mapped_column(
        comment="First failure of the current window (UTC)"
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(
        comment="Lookups of this reference are refused until then (UTC)"
    )
    expires_at: Mapped[dt.datetime] = mapped_column(
        index=True, comment="When the row means nothing any more and may be deleted (UTC)"
    )
