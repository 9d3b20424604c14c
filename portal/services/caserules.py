"""The rules every casework service shares: refusals, roles, locking, audit, workflow moves.

``portal.services.casework`` re-exports these names; services in ``casework``, ``referrals``,
``investigation`` and ``appeals`` use them so each change is checked, audited and (when the
public status changes) emailed in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.models import Complaint, Staff
from portal.services import audit
from portal.services.clocks import ServiceLevels, expected_next_date
from portal.services.desk import notice_for_state
from portal.services.notify import MailSettings, notify_complainants
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import CLOSED_STATES, PUBLIC_STATUS_OF, CaseState, PublicStatus
from portal.workflow import Action, transition

DEFAULT_MAIL = MailSettings()


class CaseworkError(ValueError):
    """A casework request refused before anything changed; ``str(error)`` says why."""


# --- shared rules ---------------------------------------------------------------------------


def start_write(session: Session) -> None:
    """Begin a write transaction unless the caller already opened one."""
    if not session.in_transaction():
        begin_write(session)


def require(actor: Staff | None, permission: Permission) -> Staff:
    """Return ``actor`` if it is an active staff member granted ``permission``; else raise."""
    if actor is None or not actor.is_active or not has_permission(actor.role, permission):
        raise CaseworkError("You are not allowed to do this.")
    return actor


def load_complaint(session: Session, complaint_id: int) -> Complaint:
    """The complaint, locked for update (PostgreSQL); ``CaseworkError`` when there is none."""
    start_write(session)
    complaint = session.scalar(
        select(Complaint).where(Complaint.id == complaint_id).with_for_update()
    )
    if complaint is None:
        raise CaseworkError("There is no such case.")
    return complaint


def require_open(complaint: Complaint) -> None:
    """Refuse changes to a case that is closed (or under appeal)."""
    if complaint.state in CLOSED_STATES:
        raise CaseworkError("This case is closed; reopen it before changing it.")


def record(
    session: Session,
    actor: Staff | None,
    action: str,
    object_type: str,
    object_id: int,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    personal: tuple[str, ...] = (),
    detail: str | None = None,
) -> None:
    """Write the audit entry for a staff (or complainant) action: changed fields only, personal
    fields masked (``audit.changes``)."""
    old, new = audit.changes(before or {}, after or {}, personal=personal)
    audit.record(
        session,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=old or None,
        after=new or None,
        detail=detail,
        now=now,
    )


def appeal_until(complaint: Complaint, settings: MailSettings) -> dt.date | None:
    """The last day the complainant may ask for a review (None when not closed or withdrawn)."""
    if complaint.state not in (CaseState.CLOSED, CaseState.DECLINED) or complaint.closed_at is None:
        return None
    return complaint.closed_at.astimezone(dt.UTC).date() + dt.timedelta(
        days=settings.appeal_window_days
    )


def move(
    session: Session,
    complaint: Complaint,
    action: Action,
    *,
    actor: Staff | None,
    now: dt.datetime,
    settings: MailSettings,
    levels: ServiceLevels | None = None,
    reason: str | None = None,
    email: str | None = "status",
) -> None:
    """Apply a workflow ``action``, audit it (state before → after) and, when the public status
    changed, queue the ``email`` template (``status`` by default; None: no email)."""
    before = complaint.state
    status_before = PUBLIC_STATUS_OF[before]
    transition(
        complaint, action, actor_id=actor.id if actor is not None else None, now=now, reason=reason
    )
    if complaint.state is not before:
        notice_for_state(session, complaint.id, complaint.state, now=now)
    record(
        session,
        actor,
        f"complaint.{action.value}",
        "complaint",
        complaint.id,
        now,
        {"state": before},
        {"state": complaint.state},
    )
    status = PUBLIC_STATUS_OF[complaint.state]
    if email is None or status is status_before:
        return
    if email == "status":
        expected = None
        if status not in (PublicStatus.CLOSED, PublicStatus.APPEAL_DECIDED):
            expected = expected_next_date(complaint, levels or settings.service_levels(), now)
        notify_complainants(
            session,
            complaint,
            "status",
            {
                "status": status.value,
                "expected_on": expected,
                "appeal_until": appeal_until(complaint, settings),
            },
            settings=settings,
            now=now,
        )
