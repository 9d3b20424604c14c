"""Views of staff sign-in: password, then TOTP or a recovery code; enrolment; sign-out."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from portal import clock
from portal.auth import bp
from portal.auth import session as staff_session
from portal.request_db import db_session
from portal.services import audit


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str:
    """Staff sign-in, step 1: email and password."""
    return render_template("auth/sign_in.html")


@bp.post("/sign-out")
def sign_out() -> Response:
    """Sign out of this browser."""
    staff = staff_session.current_staff(touch=False)
    if staff is not None:
        session = db_session()
        audit.record(session, actor_id=staff.id, action=audit.LOGOUT, now=clock.utcnow())
        session.commit()
    staff_session.end()
    return redirect(url_for("auth.sign_in"))


@bp.post("/sign-out-everywhere")
def sign_out_everywhere() -> Response:
    """End every session of the signed-in account (bumps its ``session_version``)."""
    staff = staff_session.current_staff(touch=False)
    if staff is not None:
        session = db_session()
        staff.session_version += 1
        audit.record(session, actor_id=staff.id, action=audit.LOGOUT_EVERYWHERE, now=clock.utcnow())
        session.commit()
    staff_session.end()
    return redirect(url_for("auth.sign_in"))
