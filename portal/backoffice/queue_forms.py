"""The queue's filter form: a GET form (no CSRF: it changes nothing), works without JavaScript."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.backoffice.labels import label, lazy_label
from portal.forms import LanternForm
from portal.services.queue import SortKey, StatusGroup
from portal.vocabulary import AllegationCategory, CaseState, Channel

DEADLINE_OVERDUE = "overdue"
DEADLINE_DUE_SOON = "due_soon"


def status_choices() -> list[SelectChoice]:
    """Open, closed, all, then every internal state."""
    return [
        SelectChoice(StatusGroup.OPEN.value, _l("Open cases")),
        SelectChoice(StatusGroup.CLOSED.value, _l("Closed cases")),
        SelectChoice(StatusGroup.ALL.value, _l("All cases")),
        *[SelectChoice(state.value, label(state)) for state in CaseState],
    ]


class QueueFilterForm(LanternForm):
    """Filters, search and sort of the case queue (read from the query string)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Reference number"),
        validators=[Optional(), Length(max=32)],
        render_kw={"spellcheck": "false"},
    )
    status = SelectField(_l("Status"), choices=[], validators=[Optional()], default="open")
    mine = BooleanField(_l("Only cases assigned to me"))
    followup = BooleanField(_l("Only referrals due for follow-up"))
    deadline = SelectField(
        _l("Deadlines"),
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice(DEADLINE_OVERDUE, _l("Overdue")),
            SelectChoice(DEADLINE_DUE_SOON, _l("Due soon")),
        ],
        validators=[Optional()],
    )
    channel = SelectField(
        _l("Channel"),
        choices=[
            SelectChoice("", _l("Any")),
            *[SelectChoice(c.value, lazy_label(c)) for c in Channel],
        ],
        validators=[Optional()],
    )
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    category = SelectField(
        _l("Category"),
        choices=[
            SelectChoice("", _l("Any")),
            *[SelectChoice(c.value, lazy_label(c)) for c in AllegationCategory],
        ],
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice(key.value, key.value) for key in SortKey],
        validators=[Optional()],
        default=SortKey.RECEIVED.value,
    )
    dir = SelectField(
        _l("Order"),
        choices=[SelectChoice("asc", _l("Oldest first")), SelectChoice("desc", _l("Newest first"))],
        validators=[Optional()],
        default="asc",
    )
