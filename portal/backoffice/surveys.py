"""Lessons learned: the residents' satisfaction survey for a period — answers counted per
question, small counts withheld, comments without contact details (``survey_report``). Only for
staff who read cases and reports; every view is audited (``survey.view``)."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import Optional

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.backoffice.reports import PeriodForm, _period
from portal.db import begin_write
from portal.request_db import db_session
from portal.services import audit, survey_report
from portal.services.permissions import Permission


class SurveyPeriodForm(PeriodForm):
    """The period, by the day residents answered (GET form)."""

    start = DateField(_l("From (answered on or after)"), [Optional()])
    end = DateField(_l("Up to (answered before)"), [Optional()])


@bp.get("/surveys")
@requires(Permission.REPORT_VIEW, Permission.CASE_VIEW)
def survey_lessons() -> str:
    """The survey for a period (default: the last twelve months); the view is audited."""
    form = SurveyPeriodForm(request.args)
    now = clock.utcnow()
    start, end = _period(form, now.date())
    for field in (form.start, form.end):
        if field.errors:
            field.raw_data = []
    threshold = int(current_app.config["SURVEY_MIN_COUNT"])
    session = db_session()
    summary = survey_report.survey_summary(session, start=start, end=end, threshold=threshold)
    session.rollback()
    begin_write(session)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=survey_report.SURVEY_VIEW,
        object_type="report",
        detail=f"survey {start}..{end}",
        now=now,
    )
    session.commit()
    return render_template("backoffice/surveys/lessons.html", form=form, summary=summary)
