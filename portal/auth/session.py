"""The staff session in Flask's signed session cookie: start, check, end.

A staff session holds only ids and times (never personal data): the staff id, the account's
``session_version`` when it started, when it started and when it was last used. It is valid while

- the account exists, is active and its ``session_version`` is unchanged (bumping it signs the
  account out everywhere: reset, disable, "sign out everywhere"),
- it was used within ``STAFF_SESSION_MINUTES`` (idle timeout), and
- it started less than ``STAFF_SESSION_MAX_HOURS`` ago (absolute lifetime).

Between the password and the second factor, a short-lived *pending* sign-in (staff id, version,
time) is kept under another key; it never grants access to /staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, session

from portal import clock
from portal.models import Staff
from portal.request_db import db_session

_KEY = "staff"
_PENDING = "staff_pending"
#: How long the step between password and second factor (or enrolment) may take.
PENDING_MINUTES = 10


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


def start(staff: Staff, now: dt.datetime) -> None:
    """Sign ``staff`` in (both factors checked): a fresh session, the pending step dropped."""
    session.clear()  # a new session on privilege change (no fixation); keeps nothing old
    session[_KEY] = {
        "id": staff.id,
        "v": staff.session_version,
        "at": _ts(now),
        "seen": _ts(now),
    }
    session.permanent = False


def end() -> None:
    """Sign out of this browser (the account's other sessions stay)."""
    session.clear()


def current_staff(now: dt.datetime | None = None, touch: bool = True) -> Staff | None:
    """The signed-in, active staff member of this request, or None (and the session cleared).

    Checks the idle timeout, the absolute lifetime, the account's state and its
    ``session_version``. With ``touch`` the idle clock restarts.
    """
    data: Any = session.get(_KEY)
    if not isinstance(data, dict):
        return None
    now = now or clock.utcnow()
    config = current_app.config
    idle = dt.timedelta(minutes=int(config["STAFF_SESSION_MINUTES"]))
    lifetime = dt.timedelta(hours=int(config["STAFF_SESSION_MAX_HOURS"]))
    try:
        started = dt.datetime.fromtimestamp(float(data["at"]), dt.UTC)
        seen = dt.datetime.fromtimestamp(float(data["seen"]), dt.UTC)
        staff_id, version = int(data["id"]), int(data["v"])
    except (KeyError, TypeError, ValueError):
        session.clear()
        return None
    if now - seen > idle or now - started > lifetime or now < started:
        session.clear()
        return None
    staff = db_session().get(Staff, staff_id)
    if staff is None or not staff.is_active or staff.session_version != version:
        session.clear()
        return None
    if not staff.is_totp_enrolled or not staff.password_hash:
        session.clear()
        return None
    if touch:
        data["seen"] = _ts(now)
        session[_KEY] = data
    return staff


def set_pending(staff: Staff, now: dt.datetime, *, enrol: bool = False) -> None:
    """Remember that ``staff`` gave the right password; the second factor (or enrolment) is next."""
    session.clear()
    session[_PENDING] = {
        "id": staff.id,
        "v": staff.session_version,
        "at": _ts(now),
        "enrol": enrol,
    }


def pending_staff(now: dt.datetime | None = None) -> tuple[Staff, bool] | None:
    """The staff member between password and second factor, and whether they must enrol first.

    None when there is no pending sign-in, it is older than ``PENDING_MINUTES``, or the account
    changed (disabled, reset) since.
    """
    data: Any = session.get(_PENDING)
    if not isinstance(data, dict):
        return None
    now = now or clock.utcnow()
    try:
        at = dt.datetime.fromtimestamp(float(data["at"]), dt.UTC)
        staff_id, version = int(data["id"]), int(data["v"])
    except (KeyError, TypeError, ValueError):
        session.pop(_PENDING, None)
        return None
    if now - at > dt.timedelta(minutes=PENDING_MINUTES) or now < at:
        session.pop(_PENDING, None)
        return None
    staff = db_session().get(Staff, staff_id)
    if staff is None or not staff.is_active or staff.session_version != version:
        session.pop(_PENDING, None)
        return None
    return staff, bool(data.get("enrol"))


def clear_pending() -> None:
    """Forget the pending sign-in."""
    session.pop(_PENDING, None)
