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
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from portal import clock
from portal.models import Staff
from portal.request_db import db_session

_KEY = "staff"
_PENDING = "staff_pending"
#: How long the step between password and second factor (or enrolment) may take.
PENDING_MINUTES = 10


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


def _load(staff_id: int) -> Staff | None:
    """The account, read in a transaction of its own that is ended at once, so the view can
    still open its own (write) transaction with ``portal.db.begin_write``."""
    db = db_session()
    staff = db.get(Staff, staff_id)
    db.commit()  # ends the read; objects stay loaded (expire_on_commit=False)
    return staff


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
    staff = _load(staff_id)
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


@dataclass(frozen=True)
class Pending:
    """A sign-in between the password and the second factor (or two-factor enrolment)."""

    staff: Staff
    enrol: bool
    next_url: str | None


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a staff-area path on this site (no open redirect), else None."""
    if not target or not target.startswith("/staff/") or target.startswith("/staff/auth/"):
        return None
    if "\\" in target or "//" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def set_pending(
    staff: Staff, now: dt.datetime, *, enrol: bool = False, next_url: str | None = None
) -> None:
    """Remember that ``staff`` gave the right password; the second factor (or enrolment) is next."""
    session.clear()
    session[_PENDING] = {
        "id": staff.id,
        "v": staff.session_version,
        "at": _ts(now),
        "enrol": enrol,
        "next": safe_next(next_url),
    }


def pending(now: dt.datetime | None = None) -> Pending | None:
    """The sign-in waiting for its second factor (or enrolment), or None.

    None when there is none, it is older than ``PENDING_MINUTES``, or the account changed
    (disabled, reset) since the password was checked.
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
    staff = _load(staff_id)
    if staff is None or not staff.is_active or staff.session_version != version:
        session.pop(_PENDING, None)
        return None
    return Pending(staff, bool(data.get("enrol")), safe_next(data.get("next")))


def clear_pending() -> None:
    """Forget the pending sign-in."""
    session.pop(_PENDING, None)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the ``Secure`` flag also on every HTTPS request
    (production sets it always; locally it follows the scheme, via ProxyFix behind a proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """``Secure`` when configured, or when this request came over HTTPS."""
        return bool(super().get_cookie_secure(app)) or (has_request_context() and request.is_secure)
