"""The staff desk on the staff home page: what arrived on my cases since I last looked, my
cases with their deadlines, the team's workload (supervisors) and the reviews waiting for a
decision. Thin views over ``portal.services.desk``.

The desk shows reference numbers and states only (like the queue), so reading it is not an
audited view of personal data; acknowledging notices is audited (``desk.acknowledge``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from portal import clock
from portal.backoffice import bp
from portal.backoffice.case import CLOCK_LABELS
from portal.backoffice.case_forms import ButtonForm
from portal.backoffice.guard import requires
from portal.request_db import db_session
from portal.services import audit
from portal.services import desk as desk_service
from portal.services.clocks import ClockName, ServiceLevels
from portal.services.permissions import Permission, has_all

KIND_LABELS = {
    desk_service.NoticeKind.INFORMATION_ADDED: _l("The resident added information"),
    desk_service.NoticeKind.EVIDENCE_ADDED: _l("The resident added evidence"),
    desk_service.NoticeKind.APPEAL_REQUESTED: _l("Review requested"),
    desk_service.NoticeKind.WITHDRAWN: _l("Complaint withdrawn"),
    desk_service.NoticeKind.OVERDUE: _l("Deadline passed"),
    desk_service.NoticeKind.DELIVERY_FAILED: _l("A message to the resident could not be delivered"),
}

LAST_COLLECT = "lantern.desk.last_collect"

#: What a staff member needs for the desk (others get the plain home page).
DESK_PERMISSIONS = (Permission.CASE_QUEUE, Permission.CASE_VIEW)


def notice_label(notice: desk_service.Notice) -> str:
    """Plain words for one notice (with the clock for a passed deadline)."""
    text = str(KIND_LABELS[notice.kind])
    if notice.clock:
        name = ClockName(notice.clock)
        text = f"{text}: {CLOCK_LABELS.get(name, name.value)}"
    return text


def desk_for_current_staff() -> desk_service.Desk | None:
    """The signed-in staff member's desk, or None when their role has no cases."""
    if not has_all(g.staff.role, DESK_PERMISSIONS):
        return None
    levels = ServiceLevels.from_config(current_app.config)
    now = clock.utcnow()
    # Collecting scans every open case's clocks: at most once per DESK_COLLECT_SECONDS per app
    # process (deadlines pass by the day; notices written by events themselves are immediate).
    every = dt.timedelta(seconds=int(current_app.config["DESK_COLLECT_SECONDS"]))
    last: dt.datetime | None = current_app.extensions.get(LAST_COLLECT)
    due = last is None or not last <= now < last + every
    if due:
        current_app.extensions[LAST_COLLECT] = now
    return desk_service.desk(db_session(), g.staff, levels=levels, now=now, collect_first=due)


def desk_context() -> dict[str, Any]:
    """Template variables of the desk sections."""
    return {
        "desk": desk_for_current_staff(),
        "notice_label": notice_label,
        "news_limit": desk_service.NEWS_LIMIT,
    }


@bp.post("/desk/seen/<int:complaint_id>")
@requires(*DESK_PERMISSIONS)
def desk_acknowledge(complaint_id: int) -> Response:
    """Mark the notices of one case as seen, up to the newest one the desk showed."""
    form = ButtonForm(prefix="seen")
    raw = request.form.get("up_to", "")
    target = url_for("backoffice.home", _anchor="news")
    if not form.validate_on_submit() or not raw.isdigit():
        flash(gettext("The form could not be read. Try again."), "error")
        return redirect(target, 303)
    session = db_session()
    now = clock.utcnow()
    if not desk_service.mark_seen(session, g.staff, complaint_id, int(raw), now=now):
        session.rollback()
        flash(gettext("There is nothing to acknowledge on that case."), "error")
        return redirect(target, 303)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=desk_service.ACKNOWLEDGE,
        object_type="complaint",
        object_id=complaint_id,
        detail=f"up_to={int(raw)}",
        now=now,
    )
    session.commit()
    flash(gettext("Marked as seen."), "success")
    return redirect(target, 303)
