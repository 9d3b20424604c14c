"""A status session ends when its access code is replaced.

The status pages remember the looked-up complaint in the signed session (``views.SESSION_KEY``)
for 30 minutes of activity. When staff issue a new access code (the resident lost theirs —
or someone else has it), a browser signed in with the old code must not keep reading the
complaint: the lookup's sign-in time is kept next to the session, and every later status
request compares it with the complaint's latest reissue (one indexed query) and ends the
session when the code was replaced since.
"""

from __future__ import annotations

from flask import Response, g, request, session
from sqlalchemy import func, select

from portal import clock
from portal.models import AccessCodeReissue
from portal.request_db import db_session
from portal.status import bp
from portal.status.views import SESSION_KEY

#: Session key: when (epoch seconds) this browser signed in with reference + code.
SIGNED_IN_AT = "status_signed_in_at"


@bp.before_request
def end_session_of_a_replaced_code() -> None:
    """Forget the looked-up complaint if its access code was reissued after this sign-in."""
    g.status_request_started = clock.utcnow().timestamp()
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return
    signed_in = float(session.get(SIGNED_IN_AT, 0))
    latest = db_session().scalar(
        select(func.max(AccessCodeReissue.reissued_at)).where(
            AccessCodeReissue.complaint_id == data["id"]
        )
    )
    if latest is not None and latest.timestamp() > signed_in:
        session.pop(SESSION_KEY, None)
        session.pop(SIGNED_IN_AT, None)


@bp.after_request
def note_the_sign_in(response: Response) -> Response:
    """After a successful lookup, keep when it happened (the session was set in this request)."""
    data = session.get(SESSION_KEY)
    if (
        request.endpoint == "status.lookup"
        and request.method == "POST"
        and isinstance(data, dict)
        and float(data.get("seen", 0)) >= int(g.get("status_request_started", 0))
    ):
        session[SIGNED_IN_AT] = clock.utcnow().timestamp()
    return response
