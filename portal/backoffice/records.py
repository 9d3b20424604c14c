"""Records management in the back office: the records schedule page, legal holds, and
data-subject requests (export, erasure). Thin views over ``portal.services.retention``,
``legal_holds`` and ``subject_requests``, which check the role and write the audit entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.models import Complainant, Complaint
from portal.request_db import db_session
from portal.services import audit, legal_holds, retention, subject_requests
from portal.services.caserules import CaseworkError
from portal.services.permissions import Permission

SCHEDULE_VIEW = "records.schedule_view"


class ReasonForm(LanternForm):
    """A reason, required (a hold, its release, an erasure)."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Give the reason.")),
            Length(max=2000, message=_l("Keep the reason under 2,000 characters.")),
        ],
    )


class ButtonForm(LanternForm):
    """A button with nothing to fill in (CSRF only)."""


def _write() -> Any:
    session = db_session()
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    return session


def records_of(complaint_id: int) -> legal_holds.RecordsStatus:
    """Template helper for the case page: the case's holds and disposals."""
    return legal_holds.records_status(db_session(), complaint_id)


def erased_complainants(complaint_id: int) -> set[int]:
    """Template helper for the case page: ids of the case's erased complainants."""
    return subject_requests.erased_ids(db_session(), complaint_id)


bp.add_app_template_global(records_of, "case_records")
bp.add_app_template_global(erased_complainants, "erased_complainants")
bp.add_app_template_global(ButtonForm, "records_button_form")


@bp.get("/records")
@requires(Permission.RECORDS_SCHEDULE)
def records_schedule() -> tuple[str, int]:
    """Cases due for disposal now and soon, and held ones; the view is audited."""
    session = _write()
    schedule = current_app.config["RETENTION"]
    now = clock.utcnow()
    found = retention.due_list(session, schedule, now=now)
    audit.record(
        session,
        actor_id=g.staff.id,
        action=SCHEDULE_VIEW,
        detail=f"due={found.due_total} soon={found.soon_total} held={found.held_total}",
        now=now,
    )
    session.commit()
    return render_template(
        "backoffice/records/schedule.html", schedule=schedule, found=found, now=now
    ), 200


def _complaint_or_404(complaint_id: int) -> Complaint:
    complaint = db_session().get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    return complaint


def _hold_page(complaint: Complaint, form: ReasonForm, status: int = 200) -> tuple[str, int]:
    hold = legal_holds.active_hold(db_session(), complaint.id)
    return render_template(
        "backoffice/records/hold.html", complaint=complaint, hold=hold, form=form
    ), status


@bp.get("/cases/<int:complaint_id>/legal-hold")
@requires(Permission.RECORDS_HOLD)
def legal_hold(complaint_id: int) -> tuple[str, int]:
    """Put the case on legal hold, or release its hold: the form asks for the reason."""
    return _hold_page(_complaint_or_404(complaint_id), ReasonForm())


@bp.post("/cases/<int:complaint_id>/legal-hold")
@requires(Permission.RECORDS_HOLD)
def legal_hold_save(complaint_id: int) -> Response | BaseResponse | tuple[str, int]:
    """Set or release the hold (whichever applies now); the form comes back with any problem."""
    complaint = _complaint_or_404(complaint_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _hold_page(complaint, form, 400)
    session = _write()
    held = legal_holds.active_hold(session, complaint_id) is not None
    change = legal_holds.release_hold if held else legal_holds.set_hold
    try:
        change(session, complaint_id, reason=form.reason.data, actor=g.staff, now=clock.utcnow())
    except CaseworkError as refusal:
        session.rollback()
        form.reason.errors = [str(refusal)]
        return _hold_page(_complaint_or_404(complaint_id), form, 400)
    session.commit()
    if held:
        flash(gettext("The legal hold is released."), "success")
    else:
        flash(
            gettext("The case is on legal hold: nothing of it will be disposed of or erased."),
            "success",
        )
    return redirect(url_for("backoffice.case_page", complaint_id=complaint_id) + "#records", 303)


def _person_or_404(complaint_id: int, complainant_id: int) -> tuple[Complaint, Complainant]:
    complaint = _complaint_or_404(complaint_id)
    person = db_session().get(Complainant, complainant_id)
    if person is None or person.complaint_id != complaint_id:
        abort(404)
    return complaint, person


@bp.post("/cases/<int:complaint_id>/complainants/<int:complainant_id>/export")
@requires(Permission.RECORDS_SUBJECT_REQUEST)
def subject_export(complaint_id: int, complainant_id: int) -> Response | BaseResponse:
    """Everything held about one complainant as a ZIP, streamed (audited before it starts)."""
    _person_or_404(complaint_id, complainant_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    session = _write()
    now = clock.utcnow()
    try:
        export = subject_requests.build_export(
            session,
            complaint_id,
            complainant_id,
            actor=g.staff,
            now=now,
            folder=Path(current_app.config["UPLOAD_FOLDER"]),
            office_name=current_app.config["OFFICE_NAME"],
        )
    except CaseworkError as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("backoffice.case_page", complaint_id=complaint_id), 303)
    session.commit()
    response = Response(subject_requests.export_zip(export, now=now), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _erase_page(
    complaint: Complaint, person: Complainant, form: ReasonForm, status: int = 200
) -> tuple[str, int]:
    session = db_session()
    erased = subject_requests.erased_ids(session, complaint.id)
    others = [p for p in complaint.complainants if p.id != person.id and p.id not in erased]
    number = [p.id for p in complaint.complainants].index(person.id) + 1
    return render_template(
        "backoffice/records/erase.html",
        complaint=complaint,
        person=person,
        number=number,
        others=len(others),
        hold=legal_holds.active_hold(session, complaint.id),
        form=form,
    ), status


@bp.get("/cases/<int:complaint_id>/complainants/<int:complainant_id>/erase")
@requires(Permission.RECORDS_SUBJECT_REQUEST)
def subject_erase(complaint_id: int, complainant_id: int) -> tuple[str, int]:
    """What erasing this complainant would remove, and the form asking why."""
    complaint, person = _person_or_404(complaint_id, complainant_id)
    return _erase_page(complaint, person, ReasonForm())


@bp.post("/cases/<int:complaint_id>/complainants/<int:complainant_id>/erase")
@requires(Permission.RECORDS_SUBJECT_REQUEST)
def subject_erase_confirm(
    complaint_id: int, complainant_id: int
) -> Response | BaseResponse | tuple[str, int]:
    """Erase the complainant's personal data; a refusal comes back on the form, with the reason
    kept."""
    complaint, person = _person_or_404(complaint_id, complainant_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _erase_page(complaint, person, form, 400)
    session = _write()
    try:
        done = subject_requests.erase_complainant(
            session,
            complaint_id,
            complainant_id,
            reason=form.reason.data,
            actor=g.staff,
            now=clock.utcnow(),
            folder=Path(current_app.config["UPLOAD_FOLDER"]),
        )
    except CaseworkError as refusal:
        session.rollback()
        form.reason.errors = [str(refusal)]
        complaint, person = _person_or_404(complaint_id, complainant_id)
        return _erase_page(complaint, person, form, 400)
    session.commit()
    if done.whole_case:
        flash(
            gettext(
                "Erased: the complainant's details, the case's personal data and %(n)d evidence "
                "file(s). The statistical record stays.",
                n=done.files_removed,
            ),
            "success",
        )
    else:
        flash(
            gettext(
                "Erased: this complainant's details. The account of events and the evidence "
                "are shared with %(n)d other complainant(s) and were kept: review them by hand.",
                n=done.others_kept,
            ),
            "success",
        )
    return redirect(url_for("backoffice.case_page", complaint_id=complaint_id) + "#records", 303)
