"""The case page: everything about one case on one screen, and its evidence downloads.

Opening the page shows personal data, so every view writes a ``complaint.view`` audit entry
(and every download an ``attachment.download`` entry) before anything is shown. The action
forms on the page post to their own endpoints (``portal/backoffice/actions.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, g, render_template, send_file
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from portal import clock
from portal.backoffice import bp
from portal.backoffice.case_panel import action_forms, referral_outcome_form
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.models import Attachment, Complaint
from portal.request_db import db_session
from portal.services import audit, clocks, desk, evidence, survey_report
from portal.services.casefile import CaseFile, allegations_by_officer, load_case_file
from portal.services.permissions import Permission
from portal.workflow import allowed_actions

ATTACHMENT_DOWNLOAD = "attachment.download"


def _audited_case_file(complaint_id: int) -> CaseFile:
    """Record the view (committed) and load the case file; 404 when there is no such case."""
    session = db_session()
    if session.get(Complaint, complaint_id) is None:
        abort(404)
    session.rollback()  # end the read so SQLite can begin the write
    begin_write(session)
    audit.record_view(session, actor_id=g.staff.id, complaint_id=complaint_id, now=clock.utcnow())
    session.commit()
    case = load_case_file(session, complaint_id)
    if case is None:  # deleted between the two statements
        abort(404)
    return case


def render_case(
    case: CaseFile,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
    news: Any = None,
) -> Any:
    """The case page for ``case`` (``forms`` replaces action forms, e.g. one with errors;
    ``news``: the desk's unseen notices of this case, shown at the top)."""
    all_forms = action_forms(case) | (forms or {})
    html = render_template(
        "backoffice/cases/case.html",
        case=case,
        complaint=case.complaint,
        allegation_groups=allegations_by_officer(case.complaint),
        districts=dict(current_app.config["DISTRICT_CHOICES"]),
        next_actions=[a.value for a in allowed_actions(case.complaint.state)],
        clocks=_clocks(case.complaint),
        forms=all_forms,
        referral_outcome_form=referral_outcome_form,
        news=news,
        notice_label=_notice_label,
        survey=survey_report.case_survey(db_session(), case.complaint.id),
    )
    return html, status


def _notice_label(notice: desk.Notice) -> str:
    from portal.backoffice.desk import notice_label

    return notice_label(notice)


CLOCK_LABELS = {
    clocks.ClockName.ACKNOWLEDGE: _l("Acknowledge"),
    clocks.ClockName.SCREEN: _l("Screen"),
    clocks.ClockName.FIRST_CONTACT: _l("First contact"),
    clocks.ClockName.INVESTIGATE: _l("Complete the investigation"),
    clocks.ClockName.UPDATE: _l("Update the complainant"),
}
CLOCK_STATES = {
    clocks.ClockState.MET: _l("met"),
    clocks.ClockState.RUNNING: _l("running"),
    clocks.ClockState.DUE_SOON: _l("due soon"),
    clocks.ClockState.OVERDUE: _l("overdue"),
}


def _clocks(complaint: Complaint) -> list[dict[str, Any]]:
    """The case's service-level clocks, labelled for the page."""
    levels = clocks.ServiceLevels.from_config(current_app.config)
    found = clocks.case_clocks(db_session(), complaint, levels, clock.utcnow())
    return [
        {
            "label": CLOCK_LABELS.get(c.name, c.name.value),
            "due_on": c.due_on,
            "state": c.state.value,
            "state_label": str(CLOCK_STATES[c.state])
            + (" " + str(_l("(late)")) if c.is_late and c.state is clocks.ClockState.MET else ""),
        }
        for c in found
    ]


@bp.get("/cases/<int:complaint_id>")
@requires(Permission.CASE_VIEW)
def case_page(complaint_id: int) -> Any:
    """Everything about one case; the view is audited (``complaint.view``). What arrived since
    this staff member last looked is shown first, then marked seen — up to the newest notice the
    page showed, so one arriving while the page renders stays new."""
    session = db_session()
    if session.get(Complaint, complaint_id) is None:
        abort(404)
    levels = clocks.ServiceLevels.from_config(current_app.config)
    desk.collect(session, now=clock.utcnow(), levels=levels, complaint_id=complaint_id)
    case = _audited_case_file(complaint_id)
    news = desk.case_news(session, g.staff, complaint_id)
    page = render_case(case, news=news)
    if news is not None:
        desk.mark_seen(session, g.staff, complaint_id, news.up_to, now=clock.utcnow())
        session.commit()
    return page


@bp.get("/cases/<int:complaint_id>/attachments/<int:attachment_id>")
@requires(Permission.CASE_VIEW)
def attachment_download(complaint_id: int, attachment_id: int) -> Response | BaseResponse:
    """One evidence file, always as a download (never rendered by the browser); audited."""
    session = db_session()
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.complaint_id != complaint_id:
        abort(404)
    try:
        path = evidence.evidence_path(
            Path(current_app.config["UPLOAD_FOLDER"]), attachment.stored_name
        )
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    name, content_type = attachment.original_name, attachment.content_type
    session.rollback()
    begin_write(session)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=ATTACHMENT_DOWNLOAD,
        object_type="complaint",
        object_id=complaint_id,
        detail=f"attachment={attachment_id}",
        now=clock.utcnow(),
    )
    session.commit()
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
