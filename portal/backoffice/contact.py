"""Reaching the complainant, on the case page: recording a phone call, and what the page shows
about who gets which messages (``reach_summary``). The call is recorded by
``portal.services.calls`` (audited); a form with errors comes back with every answer kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, g, redirect
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal import clock
from portal.backoffice import bp
from portal.backoffice.actions import case_url
from portal.backoffice.case import _audited_case_file, render_case
from portal.backoffice.case_forms import CallForm
from portal.backoffice.guard import requires
from portal.backoffice.labels import label
from portal.db import begin_write
from portal.models import Complaint
from portal.request_db import db_session
from portal.services import calls, reach
from portal.services.caserules import CaseworkError
from portal.services.permissions import Permission
from portal.vocabulary import CallDirection, CallOutcome, CallParty


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


@bp.app_template_global("reach_summary")
def reach_summary(complaint: Complaint) -> list[dict[str, Any]]:
    """For each complainant: a label and the channels messages go out on (empty: nobody can be
    written to, staff must call)."""
    sms_on = bool(current_app.config.get("SMS_URL"))
    found = []
    for number, person in enumerate(complaint.complainants, start=1):
        if person.is_anonymous:
            continue
        routes = reach.person_routes(person, complaint, sms_enabled=sms_on)
        found.append(
            {
                "who": person.name or _("Complainant %(number)d", number=number),
                "channels": [label(r.channel) for r in routes],
            }
        )
    return found


@bp.app_template_global("masked_number")
def masked_number(number: str | None) -> str:
    """A phone number with all but the last two digits hidden."""
    return calls.masked_number(number)


@bp.post("/cases/<int:complaint_id>/calls")
@requires(Permission.CASE_MESSAGE)
def case_call(complaint_id: int) -> Response | tuple[str, int]:
    """Record a phone call; a refused or invalid form comes back with its answers and the
    reason (400)."""
    form = CallForm(prefix="call")
    if form.validate_on_submit():
        session = db_session()
        session.rollback()
        begin_write(session)
        try:
            occurred = dt.datetime.combine(form.day.data, form.time.data, tzinfo=dt.UTC)
            outcome = CallOutcome(form.outcome.data)
            calls.record_call(
                session,
                complaint_id,
                direction=CallDirection(form.direction.data),
                party=CallParty(form.party.data),
                number=form.number.data or "",
                occurred_at=occurred,
                outcome=outcome,
                note=form.note.data or "",
                actor=g.staff,
                now=clock.utcnow(),
            )
            session.commit()
        except CaseworkError as refusal:
            session.rollback()
            flash(str(refusal), "error")
        else:
            flash(_("Phone call recorded: %(outcome)s.", outcome=label(outcome)), "success")
            return redirect(case_url(complaint_id, "contact"), 303)
    else:
        flash(_("The call was not recorded: correct the form below."), "error")
    html, status = render_case(_audited_case_file(complaint_id), forms={"call": form}, status=400)
    return html, status
