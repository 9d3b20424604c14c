"""Forms of the administration screens (staff accounts, audit trail filters)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.forms import LanternForm
from portal.vocabulary import StaffRole


class ActionForm(LanternForm):
    """A state-changing button: nothing but the CSRF token."""


class AddStaffForm(LanternForm):
    """Add a staff account."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("", _l("Choose a role")),
            *[SelectChoice(role.value, role.value) for role in StaffRole],
        ],
        validators=[InputRequired()],
    )


class RoleForm(LanternForm):
    """Change an account's role."""

    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, role.value) for role in StaffRole],
        validators=[InputRequired()],
    )


class AuditFilterForm(LanternForm):
    """Filters of the audit trail (a GET form: no CSRF, nothing changes)."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    actor = SelectField(_l("Staff member"), choices=[], validators=[Optional()])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=64)])
    object_id = IntegerField(_l("Object id"), validators=[Optional(), NumberRange(min=1)])
    date_from = DateField(_l("From (date, UTC)"), validators=[Optional()])
    date_to = DateField(_l("To (date, UTC)"), validators=[Optional()])
