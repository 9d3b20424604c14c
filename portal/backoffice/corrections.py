"""Correct a case after filing (``/staff/cases/<id>/correct``) and reissue an access code
(``/staff/cases/<id>/access-code``).

The correction page holds one form per thing to correct (the incident, each complainant, each
officer, each allegation) and the case's correction history. Each form posts to its own endpoint;
a refused or invalid form comes back on the page with every answer kept (400), a saved one
redirects back with a message (Post/Redirect/Get). Opening the page shows personal data, so it is
audited like the case page (``complaint.view``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.orm import Session

from portal import clock
from portal.backoffice import bp
from portal.backoffice.correction_forms import (
    DELIVERY_LABELS,
    METHOD_LABELS,
    CaseDetailsForm,
    CategoryForm,
    ContactForm,
    OfficerForm,
    ReissueForm,
    RemoveOfficerForm,
)
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.models import Complaint
from portal.request_db import db_session
from portal.services import access_codes, audit, corrections
from portal.services.casefile import load_case_file
from portal.services.caserules import CaseworkError
from portal.services.notify import MailSettings
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import AllegationCategory

Work = Callable[[Session, dt.datetime], int | object]


def _(text: str, **values: Any) -> str:
    """``gettext`` typed as ``str``."""
    return str(gettext(text, **values))


def _district_choices(current: str | None) -> list[tuple[str, str]]:
    """The configured districts; a case's district no longer configured (e.g. imported) stays
    choosable, so correcting something else does not fail on it."""
    configured = list(current_app.config["DISTRICT_CHOICES"])
    if current and current not in {code for code, _name in configured}:
        configured.append((current, current))
    return [("", _("not known")), *configured]


def _default_forms(complaint: Complaint) -> dict[str, Any]:
    """One form per correctable thing, filled with what the case says now."""
    forms: dict[str, Any] = {}
    details = CaseDetailsForm(
        formdata=None,
        prefix="case",
        incident_date=complaint.incident_date,
        incident_time=complaint.incident_time.strftime("%H:%M") if complaint.incident_time else "",
        incident_date_is_approximate=complaint.incident_date_is_approximate,
        incident_location=complaint.incident_location,
        district=complaint.district or "",
    )
    forms["case"] = details
    for person in complaint.complainants:
        forms[f"person{person.id}"] = ContactForm(
            formdata=None, prefix=f"person{person.id}", obj=person
        )
    for officer in complaint.officers:
        forms[f"officer{officer.id}"] = OfficerForm(
            formdata=None, prefix=f"officer{officer.id}", obj=officer
        )
        forms[f"remove{officer.id}"] = RemoveOfficerForm(
            formdata=None, prefix=f"remove{officer.id}"
        )
    forms["newofficer"] = OfficerForm(formdata=None, prefix="newofficer")
    for allegation in complaint.allegations:
        forms[f"allegation{allegation.id}"] = CategoryForm(
            formdata=None, prefix=f"allegation{allegation.id}", category=allegation.category.value
        )
    return forms


def _page(complaint_id: int, posted: tuple[str, Any] | None = None, status: int = 200) -> Any:
    """The correction page (``posted``: the form that came back, shown with its errors)."""
    session = db_session()
    if session.get(Complaint, complaint_id) is None:
        abort(404)
    session.rollback()
    begin_write(session)
    audit.record_view(session, actor_id=g.staff.id, complaint_id=complaint_id, now=clock.utcnow())
    session.commit()
    case = load_case_file(session, complaint_id)
    if case is None:
        abort(404)
    forms = _default_forms(case.complaint)
    if posted is not None:
        forms[posted[0]] = posted[1]
    forms["case"].district.choices = _district_choices(case.complaint.district)
    html = render_template(
        "backoffice/corrections/correct.html",
        case=case,
        complaint=case.complaint,
        forms=forms,
        history=corrections.history(
            session,
            complaint_id,
            reveal_personal=has_permission(g.staff.role, Permission.CASE_VIEW),
        ),
    )
    return html, status


def _save(complaint_id: int, key: str, form: Any, work: Work) -> Any:
    """Validate ``form`` and run ``work``; on success flash and redirect, else the page again."""
    if not form.validate_on_submit():
        return _page(complaint_id, (key, form), 400)
    session = db_session()
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    try:
        changed = work(session, clock.utcnow())
        session.commit()
    except CaseworkError as refusal:
        session.rollback()
        form.reason.errors = [*form.reason.errors, str(refusal)]
        return _page(complaint_id, (key, form), 400)
    if changed == 0:
        flash(_("Nothing was different, so nothing was corrected."), "success")
    else:
        flash(_("Correction saved. The case history shows what it said before."), "success")
    return redirect(url_for("backoffice.case_corrections", complaint_id=complaint_id), 303)


@bp.get("/cases/<int:complaint_id>/correct")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def case_corrections(complaint_id: int) -> Any:
    """The correction forms and the case's correction history (audited as a view)."""
    return _page(complaint_id)


@bp.post("/cases/<int:complaint_id>/correct/details")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def correct_details(complaint_id: int) -> Any:
    """Correct the incident's date, time, place and district."""
    form = CaseDetailsForm(prefix="case")
    complaint = db_session().get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    form.district.choices = _district_choices(complaint.district)

    def work(session: Session, now: dt.datetime) -> int:
        time_text = (form.incident_time.data or "").strip()
        return corrections.correct_case(
            session,
            complaint_id,
            corrections.CaseDetails(
                incident_date=form.incident_date.data,
                incident_time=corrections.parse_time(time_text) if time_text else None,
                incident_date_is_approximate=bool(form.incident_date_is_approximate.data),
                incident_location=form.incident_location.data,
                district=form.district.data,
            ),
            actor=g.staff,
            now=now,
            reason=form.reason.data,
        )

    return _save(complaint_id, "case", form, work)


def _belongs(complaint_id: int, kind: str, object_id: int) -> None:
    """404 unless the complainant/officer/allegation ``object_id`` is on this case."""
    case = load_case_file(db_session(), complaint_id)
    if case is None:
        abort(404)
    owned = {
        "person": [p.id for p in case.complaint.complainants],
        "officer": [o.id for o in case.complaint.officers],
        "allegation": [a.id for a in case.complaint.allegations],
    }[kind]
    if object_id not in owned:
        abort(404)


@bp.post("/cases/<int:complaint_id>/correct/complainant/<int:complainant_id>")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def correct_complainant(complaint_id: int, complainant_id: int) -> Any:
    """Correct a complainant's name and contact details."""
    _belongs(complaint_id, "person", complainant_id)
    form = ContactForm(prefix=f"person{complainant_id}")

    def work(session: Session, now: dt.datetime) -> int:
        return corrections.correct_complainant(
            session,
            complainant_id,
            corrections.ContactDetails(
                name=form.name.data or "",
                email=form.email.data,
                phone=form.phone.data,
                postal_address=form.postal_address.data,
                language=form.language.data or "en",
            ),
            actor=g.staff,
            now=now,
            reason=form.reason.data,
        )

    return _save(complaint_id, f"person{complainant_id}", form, work)


def _officer_details(form: OfficerForm) -> corrections.OfficerDetails:
    return corrections.OfficerDetails(
        name_given=form.name_given.data,
        badge_given=form.badge_given.data,
        unit_given=form.unit_given.data,
        description=form.description.data,
    )


@bp.post("/cases/<int:complaint_id>/correct/officer/<int:officer_id>")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def correct_officer(complaint_id: int, officer_id: int) -> Any:
    """Correct an officer as described."""
    _belongs(complaint_id, "officer", officer_id)
    form = OfficerForm(prefix=f"officer{officer_id}")

    def work(session: Session, now: dt.datetime) -> int:
        return corrections.correct_officer(
            session,
            officer_id,
            _officer_details(form),
            actor=g.staff,
            now=now,
            reason=form.reason.data,
        )

    return _save(complaint_id, f"officer{officer_id}", form, work)


@bp.post("/cases/<int:complaint_id>/correct/officer/<int:officer_id>/remove")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def remove_officer(complaint_id: int, officer_id: int) -> Any:
    """Remove an officer named by mistake."""
    _belongs(complaint_id, "officer", officer_id)
    form = RemoveOfficerForm(prefix=f"remove{officer_id}")

    def work(session: Session, now: dt.datetime) -> object:
        corrections.remove_officer(
            session, officer_id, actor=g.staff, now=now, reason=form.reason.data
        )
        return 1

    return _save(complaint_id, f"remove{officer_id}", form, work)


@bp.post("/cases/<int:complaint_id>/correct/officers")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def add_officer(complaint_id: int) -> Any:
    """Add an officer the complaint should have named."""
    form = OfficerForm(prefix="newofficer")

    def work(session: Session, now: dt.datetime) -> object:
        corrections.add_officer(
            session,
            complaint_id,
            _officer_details(form),
            actor=g.staff,
            now=now,
            reason=form.reason.data,
        )
        return 1

    return _save(complaint_id, "newofficer", form, work)


@bp.post("/cases/<int:complaint_id>/correct/allegation/<int:allegation_id>")
@requires(Permission.CASE_VIEW, Permission.CASE_CORRECT)
def correct_category(complaint_id: int, allegation_id: int) -> Any:
    """Correct an allegation's category (before any finding)."""
    _belongs(complaint_id, "allegation", allegation_id)
    form = CategoryForm(prefix=f"allegation{allegation_id}")

    def work(session: Session, now: dt.datetime) -> int:
        return corrections.correct_allegation_category(
            session,
            allegation_id,
            AllegationCategory(form.category.data),
            actor=g.staff,
            now=now,
            reason=form.reason.data,
        )

    return _save(complaint_id, f"allegation{allegation_id}", form, work)


# --- access codes ----------------------------------------------------------------------------


def _reissue_page(complaint: Complaint, form: ReissueForm, status: int = 200) -> Any:
    errors = [(f.id, f.errors[0]) for f in form if f.errors]
    html = render_template(
        "backoffice/corrections/reissue.html",
        complaint=complaint,
        form=form,
        errors=errors,
        has_email=any(p.email for p in complaint.complainants),
    )
    return html, status


@bp.route("/cases/<int:complaint_id>/access-code", methods=["GET", "POST"])
@requires(Permission.CASE_VIEW, Permission.ACCESS_CODE_REISSUE)
def reissue_access_code(complaint_id: int) -> Any:
    """Verify identity, then issue a new access code (the old one stops working at once)."""
    session = db_session()
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        abort(404)
    form = ReissueForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _reissue_page(complaint, form, 200 if request.method == "GET" else 400)
    session.rollback()
    begin_write(session)
    try:
        done = access_codes.reissue_access_code(
            session,
            complaint_id,
            actor=g.staff,
            now=clock.utcnow(),
            method=access_codes.Method(form.method.data),
            note=form.note.data,
            delivery=access_codes.Delivery(form.delivery.data),
            access_code_key=str(current_app.config["ACCESS_CODE_KEY"]),
            settings=MailSettings.from_config(current_app.config),
        )
        session.commit()
    except CaseworkError as refusal:
        session.rollback()
        form.method.errors = [str(refusal)]
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        return _reissue_page(complaint, form, 400)
    # Rendered once, never redirected to: a reload shows nothing (the code is not kept anywhere).
    html = render_template(
        "backoffice/corrections/reissued.html",
        complaint=complaint,
        done=done,
        method_label=METHOD_LABELS[access_codes.Method(form.method.data)],
        delivery_label=DELIVERY_LABELS[access_codes.Delivery(form.delivery.data)],
    )
    return html, 200, {"Cache-Control": "no-store"}
