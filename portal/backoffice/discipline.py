"""The discipline the department imposed: recorded on the case page from findings review on,
also long after closure (departments decide months later), by staff who may decide cases.

One form (prefix ``imposed``) and one POST endpoint over ``portal.services.discipline``; the
service audits it (``allegation.discipline_imposed``)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.backoffice import bp
from portal.backoffice.actions import _allegation_of_case, _id, case_url, perform
from portal.backoffice.case_forms import CaseForm
from portal.backoffice.guard import requires
from portal.backoffice.labels import label, lazy_label
from portal.choices import restrict_choices
from portal.services import discipline as discipline_service
from portal.services.casefile import CaseFile
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import Discipline, Finding


class ImposedDisciplineForm(CaseForm):
    """The discipline imposed on one sustained allegation, and the day it was decided."""

    allegation = SelectField(
        _l("Sustained allegation"), choices=[], validators=[InputRequired()], validate_choice=False
    )
    discipline = SelectField(
        _l("Discipline imposed"),
        choices=[
            SelectChoice("", _l("Choose the discipline")),
            *[SelectChoice(d.value, lazy_label(d)) for d in Discipline],
        ],
        validators=[InputRequired(_l("Choose the discipline imposed."))],
    )
    suspension_days = IntegerField(
        _l("Days of suspension"), [Optional(), NumberRange(min=1, max=365)]
    )
    decided_on = DateField(_l("Decided on"), [Optional()])


def imposed_form(case: CaseFile) -> ImposedDisciplineForm | None:
    """The form for this case, when the signed-in role may record discipline and the case has
    a sustained allegation in a state that allows it (else None)."""
    complaint = case.complaint
    if not has_permission(g.staff.role, Permission.CASE_DECIDE):
        return None
    if complaint.state not in discipline_service.RECORDABLE:
        return None
    numbers = {o.id: n for n, o in enumerate(complaint.officers, start=1)}
    sustained = [a for a in complaint.allegations if a.finding is Finding.SUSTAINED]
    if not sustained:
        return None
    form = ImposedDisciplineForm(prefix="imposed")
    restrict_choices(form.discipline, current_app.config["DISCIPLINE_VALUES"])
    form.allegation.choices = [
        SelectChoice("", _("Choose an allegation")),
        *[
            SelectChoice(
                str(a.id),
                f"{label(a.category)} — "
                + (
                    _("Officer %(number)d", number=numbers[a.involved_officer_id])
                    if a.involved_officer_id in numbers
                    else _("unidentified officer")
                ),
            )
            for a in sustained
        ],
    ]
    return form


@bp.post("/cases/<int:complaint_id>/imposed-discipline")
@requires(Permission.CASE_DECIDE)
def case_imposed_discipline(complaint_id: int) -> Response:
    """Record (or correct) the discipline imposed on one sustained allegation."""
    form = ImposedDisciplineForm(prefix="imposed")
    restrict_choices(form.discipline, current_app.config["DISCIPLINE_VALUES"])

    def work(session: Session, now: dt.datetime) -> str:
        allegation_id = _allegation_of_case(session, _id(form.allegation.data), complaint_id)
        imposed = Discipline(form.discipline.data)
        discipline_service.record_imposed(
            session,
            allegation_id,
            discipline=imposed,
            suspension_days=form.suspension_days.data,
            decided_on=form.decided_on.data,
            actor=g.staff,
            now=now,
        )
        return str(_("Discipline imposed recorded: %(discipline)s.", discipline=label(imposed)))

    return perform(form, work, case_url(complaint_id, "officers"))
