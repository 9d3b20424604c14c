"""Legal holds: a supervisor stops a case from being disposed of or erased, with a reason.

While a hold is active nothing of the case is disposed of by the records schedule
(``portal.services.retention``) or erased on a complainant's request
(``portal.services.subject_requests``). Setting and releasing a hold each need a reason and are
audited; the reasons stay on the hold (staff only) and never go into the audit trail, since
they may name people (a lawsuit's parties). No Flask here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Disposal, LegalHold, Staff
from portal.services.casefile import staff_names
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.permissions import Permission

HOLD_SET = "complaint.legal_hold_set"
HOLD_RELEASED = "complaint.legal_hold_released"
MAX_REASON = 2000


def _reason(text: str | None, what: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise CaseworkError(f"Give the reason for {what}.")
    if len(reason) > MAX_REASON:
        raise CaseworkError(
            f"The reason is too long ({len(reason)} characters, {MAX_REASON} at most)."
        )
    return reason


def active_hold(session: Session, complaint_id: int) -> LegalHold | None:
    """The case's active hold, if any."""
    return session.scalar(
        select(LegalHold).where(
            LegalHold.complaint_id == complaint_id, LegalHold.released_at.is_(None)
        )
    )


def set_hold(
    session: Session,
    complaint_id: int,
    *,
    reason: str | None,
    actor: Staff | None,
    now: dt.datetime,
) -> LegalHold:
    """Put the case on legal hold (``records.hold``); refused without a reason or when it is
    already held. Audited in the caller's transaction (not committed)."""
    staff = require(actor, Permission.RECORDS_HOLD)
    text = _reason(reason, "the hold")
    load_complaint(session, complaint_id)
    if active_hold(session, complaint_id) is not None:
        raise CaseworkError("This case is already on legal hold.")
    hold = LegalHold(complaint_id=complaint_id, set_at=now, set_by_id=staff.id, reason=text)
    session.add(hold)
    session.flush()
    record(
        session, staff, HOLD_SET, "complaint", complaint_id, now, {"legal_hold": False},
        {"legal_hold": True}, detail=f"hold={hold.id}",
    )  # fmt: skip
    return hold


def release_hold(
    session: Session,
    complaint_id: int,
    *,
    reason: str | None,
    actor: Staff | None,
    now: dt.datetime,
) -> LegalHold:
    """Release the case's active hold (``records.hold``) with a reason; audited."""
    staff = require(actor, Permission.RECORDS_HOLD)
    text = _reason(reason, "releasing the hold")
    load_complaint(session, complaint_id)
    hold = active_hold(session, complaint_id)
    if hold is None:
        raise CaseworkError("This case is not on legal hold.")
    hold.released_at, hold.released_by_id, hold.release_reason = now, staff.id, text
    record(
        session, staff, HOLD_RELEASED, "complaint", complaint_id, now, {"legal_hold": True},
        {"legal_hold": False}, detail=f"hold={hold.id}",
    )  # fmt: skip
    return hold


@dataclass(frozen=True)
class RecordsStatus:
    """A case's holds (newest first) and disposals, for the case page."""

    holds: list[LegalHold]
    disposals: list[Disposal]
    names: dict[int, str]

    @property
    def active(self) -> LegalHold | None:
        """The active hold, if any."""
        return next((h for h in self.holds if h.released_at is None), None)

    def name(self, staff_id: int | None) -> str:
        """A staff member's display name ('' for none: the scheduled run)."""
        return "" if staff_id is None else self.names.get(staff_id, f"#{staff_id}")


def records_status(session: Session, complaint_id: int) -> RecordsStatus:
    """The holds and disposals of one case (read only)."""
    holds = list(
        session.scalars(
            select(LegalHold)
            .where(LegalHold.complaint_id == complaint_id)
            .order_by(LegalHold.set_at.desc(), LegalHold.id.desc())
        )
    )
    disposals = list(
        session.scalars(
            select(Disposal).where(Disposal.complaint_id == complaint_id).order_by(Disposal.id)
        )
    )
    ids = {h.set_by_id for h in holds} | {h.released_by_id for h in holds}
    ids |= {d.actor_id for d in disposals}
    return RecordsStatus(holds, disposals, staff_names(session, ids))
