"""The commission report in the back office (commissioners and supervisors): the newest published
release's report of a quarter or year, downloaded as HTML or PDF. The report is built by the
publisher from the release only (``publisher.report``), never from the case database; each
download is audited (``report.export``)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.backoffice.reports import REPORT_EXPORT
from portal.db import begin_write
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import audit
from portal.services.permissions import Permission


class CommissionReportForm(LanternForm):
    """Which report to download (GET form: no CSRF, nothing changes)."""

    class Meta:
        csrf = False

    # No "required" validator: a select always sends a value, and a value that is not one of
    # the release's periods gets WTForms' "Not a valid choice" (a required select would need
    # an empty first option).
    period = SelectField(_l("Period"))
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice("en", "English"), SelectChoice("es", "Español")],
        default="en",
    )
    format = SelectField(
        _l("Format"),
        choices=[
            SelectChoice("pdf", _l("PDF (to print or send)")),
            SelectChoice("html", _l("Web page (HTML)")),
        ],
        default="pdf",
    )


def _release() -> tuple[Path | None, list[str]]:
    """The newest release folder and its periods (None and [] when nothing is published)."""
    from publisher.report import ReportError, available_periods, find_release

    try:
        folder = find_release(Path(current_app.config["RELEASES_FOLDER"]))
        return folder, available_periods(folder)
    except (ReportError, OSError):
        return None, []


def _form(periods: list[str]) -> CommissionReportForm:
    form = CommissionReportForm(request.args)
    form.period.choices = [SelectChoice(p, p) for p in periods]
    return form


def _page(form: CommissionReportForm, release: str | None) -> str:
    """The choice page, with an error summary when the form came back with errors."""
    errors = [(field.id, field.errors[0]) for field in form if field.errors]
    return render_template(
        "backoffice/reports/commission.html", form=form, release=release, errors=errors
    )


@bp.get("/reports/commission")
@requires(Permission.REPORT_COMMISSION)
def commission_report() -> str:
    """The page to choose and download the commission report of the newest release."""
    folder, periods = _release()
    return _page(_form(periods), folder.name if folder else None)


@bp.get("/reports/commission/download")
@requires(Permission.REPORT_COMMISSION)
def commission_report_download() -> Response | tuple[str, int]:
    """The report as a file (HTML or PDF) for the chosen period and language; audited."""
    from publisher.report import ReportError, build_report
    from publisher.report_render import render_html, render_pdf
    from publisher.site_i18n import load_language

    folder, periods = _release()
    form = _form(periods)
    if folder is None or not form.validate():
        return _page(form, folder.name if folder else None), 400 if folder else 404
    try:
        report = build_report(folder, form.period.data)
        html = render_html(report, load_language(form.language.data))
    except ReportError as error:  # a release without its files: say so, do not crash
        current_app.logger.warning("commission report failed: %s", error)
        form.period.errors = [str(_l("This release cannot produce a report."))]
        return _page(form, folder.name), 500
    name = f"commission-report-{report.period.label}-{form.language.data}"
    if form.format.data == "pdf":
        response = Response(render_pdf(html), mimetype="application/pdf")
        name += ".pdf"
    else:
        response = Response(html, mimetype="text/html")
        name += ".html"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    session = db_session()
    session.rollback()
    begin_write(session)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=REPORT_EXPORT,
        object_type="report",
        detail=f"commission {report.period.label} {form.language.data} {form.format.data}"
        f" release {report.release_version}",
        now=clock.utcnow(),
    )
    session.commit()
    return response
