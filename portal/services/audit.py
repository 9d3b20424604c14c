"""The append-only audit trail: who did what, when, to which object, before → after.

Nothing here updates or deletes an entry, and no route may (tests/portal/test_staff_audit.py
proves it). ``record`` only adds the entry to the caller's session: the caller commits it in the
same transaction as the change it records, so a change and its audit line stand or fall together.

Personal data rule (decided for the whole project):

- ``detail`` is free text for *staff-facing context* (e.g. ``"role=investigator"``,
  ``"reason=locked"``): never a name, email, phone, address, narrative, access code, password,
  TOTP secret or recovery code.
- ``before`` / ``after`` hold the changed fields only. Workflow fields (status, assignee id,
  finding, discipline, dates of the workflow, ids) are recorded with their values. A *personal*
  field (anything identifying or describing a person, or free text written by the public) is
  recorded as changed with the marker ``PERSONAL`` in place of both values, so the trail shows
  *that* it changed and who changed it, without becoming a second copy of the data. Use
  ``changes(before, after, personal={...})`` to build both dicts.

Viewing personal data is audited too. Every staff view of a complaint that shows personal data
calls::

    audit.record_view(session, actor_id=g.staff.id, complaint_id=complaint.id, now=now)
    session.commit()

which writes action ``"complaint.view"`` (``VIEW_COMPLAINT``). Action names are dotted,
``<object>.<verb>``; the constants below are the ones the staff-account code writes.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.orm import Session

from portal.models import AuditEntry

#: Stands in for the value of a personal field in ``before`` / ``after``.
PERSONAL = "[personal data changed]"

# Actions written by staff accounts and sign-in (others use their own ``<object>.<verb>`` names).
LOGIN = "login"
LOGIN_FAILED = "login.failed"
LOGIN_LOCKED = "login.locked"
LOGOUT = "logout"
LOGOUT_EVERYWHERE = "logout.everywhere"
RECOVERY_CODE_USED = "login.recovery_code"
TOTP_ENROLLED = "staff.totp_enrolled"
RECOVERY_CODES_REPLACED = "staff.recovery_codes_replaced"
STAFF_ADD = "staff.add"
STAFF_DISABLE = "staff.disable"
STAFF_ENABLE = "staff.enable"
STAFF_RESET = "staff.reset"
STAFF_ROLE = "staff.role"
PASSWORD_CHANGED = "staff.password_changed"  # noqa: S105  (an action name)
AUDIT_EXPORT = "audit.export"
VIEW_COMPLAINT = "complaint.view"


def _jsonable(value: Any) -> Any:
    """A JSON-safe form of a recorded value (enums by value, datetimes ISO 8601)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str | None = None,
    now: dt.datetime,
) -> AuditEntry:
    """Append one audit entry to ``session`` (not committed: the caller commits with its change).

    ``actor_id`` is the staff member (None: the public or the system). ``before``/``after`` must
    already follow the personal-data rule of this module (see ``changes``); values are converted
    to JSON (enums by value, datetimes as ISO 8601). Returns the new entry.
    """
    if now.tzinfo is None:
        raise ValueError("audit time must be timezone-aware UTC")
    entry = AuditEntry(
        at=now,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        detail=detail,
    )
    session.add(entry)
    return entry


def changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    personal: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields of ``before`` → ``after`` as two dicts for ``record``.

    Only keys whose value differs appear (a key missing on one side counts as None). Keys in
    ``personal`` appear with ``PERSONAL`` on both sides instead of their values.
    """
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if key in personal:
            old[key] = new[key] = PERSONAL
        else:
            old[key], new[key] = _jsonable(a), _jsonable(b)
    return old, new


def record_sign_in(
    session: Session, staff_id: int, action: str, *, detail: str | None = None, now: dt.datetime
) -> AuditEntry:
    """Record a sign-in event of account ``staff_id`` (sign-in, failure, lockout, recovery code):
    the account is both the actor and the object."""
    return record(
        session,
        actor_id=staff_id,
        action=action,
        object_type="staff",
        object_id=staff_id,
        detail=detail,
        now=now,
    )


def record_view(
    session: Session, *, actor_id: int, complaint_id: int, now: dt.datetime
) -> AuditEntry:
    """Record that staff member ``actor_id`` viewed complaint ``complaint_id``'s personal data.

    Call it from every staff view that shows a complaint with personal data; commit afterwards.
    """
    return record(
        session,
        actor_id=actor_id,
        action=VIEW_COMPLAINT,
        object_type="complaint",
        object_id=complaint_id,
        now=now,
    )
