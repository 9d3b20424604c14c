"""The referral directory: the agencies and service providers staff refer complaints to
(list, add, edit, retire). Thin views over ``portal.services.casework``, which audits each
change."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.models import Agency
from portal.request_db import db_session
from portal.services import casework
from portal.services.permissions import Permission


class AgencyForm(LanternForm):
    """An agency or service provider of the referral directory."""

    name = StringField(_l("Name"), [InputRequired(_l("Give the agency a name.")), Length(max=200)])
    contact = TextAreaField(_l("How to reach them"), [Optional(), Length(max=2000)])
    handles = TextAreaField(_l("What they handle"), [Optional(), Length(max=2000)])
    is_active = BooleanField(_l("In use (offered when referring)"), default=True)


def _render_list(form: AgencyForm, status: int = 200) -> tuple[str, int]:
    agencies = casework.list_agencies(db_session(), active_only=False)
    return render_template("backoffice/directory/list.html", agencies=agencies, form=form), status


def _write() -> Any:
    session = db_session()
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    return session


@bp.get("/agencies")
@requires(Permission.REFERRAL_DIRECTORY)
def agency_list() -> tuple[str, int]:
    """Every agency (in use first), with a form to add one."""
    return _render_list(AgencyForm())


@bp.post("/agencies")
@requires(Permission.REFERRAL_DIRECTORY)
def agency_add() -> Response | tuple[str, int]:
    """Add an agency; a refused name (empty, taken) shows the form again with the reason."""
    form = AgencyForm()
    if not form.validate_on_submit():
        return _render_list(form, 400)
    session = _write()
    try:
        agency = casework.add_agency(
            session,
            name=form.name.data or "",
            contact=(form.contact.data or "").strip() or None,
            handles=(form.handles.data or "").strip() or None,
            actor=g.staff,
            now=clock.utcnow(),
        )
    except casework.CaseworkError as refusal:
        session.rollback()
        form.name.errors = [str(refusal)]
        return _render_list(form, 400)
    session.commit()
    flash(gettext("Added %(name)s to the directory.", name=agency.name), "success")
    return redirect(url_for("backoffice.agency_list"), 303)


@bp.get("/agencies/<int:agency_id>")
@requires(Permission.REFERRAL_DIRECTORY)
def agency_edit(agency_id: int) -> tuple[str, int]:
    """The edit form of one agency."""
    agency = db_session().get(Agency, agency_id)
    if agency is None:
        abort(404)
    form = AgencyForm(obj=agency)
    return render_template("backoffice/directory/edit.html", agency=agency, form=form), 200


@bp.post("/agencies/<int:agency_id>")
@requires(Permission.REFERRAL_DIRECTORY)
def agency_save(agency_id: int) -> Response | tuple[str, int]:
    """Save an agency's details (untick "in use" to retire it)."""
    agency = db_session().get(Agency, agency_id)
    if agency is None:
        abort(404)
    form = AgencyForm()
    if not form.validate_on_submit():
        return render_template("backoffice/directory/edit.html", agency=agency, form=form), 400
    session = _write()
    try:
        casework.edit_agency(
            session,
            agency_id,
            actor=g.staff,
            now=clock.utcnow(),
            name=form.name.data or "",
            contact=(form.contact.data or "").strip(),
            handles=(form.handles.data or "").strip(),
            is_active=bool(form.is_active.data),
        )
    except casework.CaseworkError as refusal:
        session.rollback()
        form.name.errors = [str(refusal)]
        agency = session.get(Agency, agency_id)
        return render_template("backoffice/directory/edit.html", agency=agency, form=form), 400
    session.commit()
    flash(gettext("Saved %(name)s.", name=form.name.data), "success")
    return redirect(url_for("backoffice.agency_list"), 303)
