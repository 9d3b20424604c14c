"""The trend report (management) and its aggregate, anonymized variant (commissioners): tables
for a period chosen in a GET form, and the same figures as CSV. Thin views over
``portal.services.reports``; a CSV download is audited (``report.export``)."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import Optional

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import audit
from portal.services import reports as report_service
from portal.services.clocks import ServiceLevels
from portal.services.permissions import Permission

REPORT_EXPORT = "report.export"


class PeriodForm(LanternForm):
    """The report's period (GET form: no CSRF, nothing changes)."""

    class Meta:
        csrf = False

    start = DateField(_l("From (received on or after)"), [Optional()])
    end = DateField(_l("Up to (received before)"), [Optional()])


def _period(form: PeriodForm, today: dt.date) -> tuple[dt.date, dt.date]:
    """The chosen period, or the last twelve months (this month included) by default."""
    first = today.replace(day=1)
    year, month = (first.year - 1, first.month + 1) if first.month < 12 else (first.year, 1)
    default_start = dt.date(year, month, 1)
    valid = form.validate()
    start = form.start.data if valid and form.start.data else default_start
    end = form.end.data if valid and form.end.data else today + dt.timedelta(days=1)
    if end <= start:
        end = start + dt.timedelta(days=1)
    return start, end


def _report(aggregate: bool) -> tuple[PeriodForm, report_service.TrendReport]:
    form = PeriodForm(request.args)
    now = clock.utcnow()
    start, end = _period(form, now.date())
    for field in (form.start, form.end):
        if field.errors:
            field.raw_data = []  # a date input may only show a valid date
    levels = ServiceLevels.from_config(current_app.config)
    build = report_service.commissioner_report if aggregate else report_service.trend_report
    report = build(db_session(), start=start, end=end, now=now, levels=levels)
    return form, report


def _page(aggregate: bool) -> str:
    form, report = _report(aggregate)
    return render_template(
        "backoffice/reports/report.html",
        form=form,
        report=report,
        aggregate=aggregate,
        endpoint="backoffice.aggregate_report" if aggregate else "backoffice.trend_report",
        csv_endpoint="backoffice.aggregate_report_csv"
        if aggregate
        else "backoffice.trend_report_csv",
        args={k: v for k, v in request.args.items() if v},
    )


def _csv(aggregate: bool) -> Response:
    _form, report = _report(aggregate)
    session = db_session()
    session.rollback()
    begin_write(session)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=REPORT_EXPORT,
        object_type="report",
        detail=f"{'aggregate' if aggregate else 'trend'} {report.start}..{report.end}",
        now=clock.utcnow(),
    )
    session.commit()
    name = f"{'aggregate' if aggregate else 'trend'}-report-{report.start}-{report.end}.csv"
    response = Response(report_service.report_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/reports")
@requires(Permission.REPORT_VIEW)
def trend_report() -> str:
    """The internal trend report for a period (default: the last twelve months)."""
    return _page(aggregate=False)


@bp.get("/reports/trend.csv")
@requires(Permission.REPORT_VIEW)
def trend_report_csv() -> Response:
    """The internal trend report as CSV (section, key, value); audited."""
    return _csv(aggregate=False)


@bp.get("/reports/aggregate")
@requires(Permission.REPORT_VIEW_AGGREGATE)
def aggregate_report() -> str:
    """The aggregate, anonymized report (small counts shown as "<N")."""
    return _page(aggregate=True)


@bp.get("/reports/aggregate.csv")
@requires(Permission.REPORT_VIEW_AGGREGATE)
def aggregate_report_csv() -> Response:
    """The aggregate report as CSV; audited."""
    return _csv(aggregate=True)
