"""Officer early warning and roster matching for supervisors. Thin views over
``portal.services.early_warning``, which checks the role and audits each look and decision."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import InputRequired, Regexp

from portal import clock
from portal.backoffice import bp
from portal.backoffice.guard import requires
from portal.db import begin_write
from portal.forms import LanternForm
from portal.request_db import db_session
from portal.services import early_warning
from portal.services.caserules import CaseworkError
from portal.services.permissions import Permission


class MatchForm(LanternForm):
    """A decision on one suggested pair (the button pressed says which)."""

    officer_id = HiddenField(validators=[InputRequired(), Regexp(r"^\d{1,12}$")])
    roster_officer_id = HiddenField(validators=[InputRequired(), Regexp(r"^\d{1,12}$")])
    decision = HiddenField()


def _write() -> Any:
    session = db_session()
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    return session


@bp.get("/early-warning")
@requires(Permission.OFFICER_EARLY_WARNING)
def early_warning_list() -> tuple[str, int]:
    """Officers the office's rules flag, with the cases behind each flag (audited)."""
    session = _write()
    rules = current_app.config["EARLY_WARNING"]
    flagged = early_warning.flagged_officers(session, rules, actor=g.staff, now=clock.utcnow())
    session.commit()
    return render_template("backoffice/early_warning/list.html", flagged=flagged, rules=rules), 200


@bp.get("/early-warning/officers/<int:officer_id>")
@requires(Permission.OFFICER_EARLY_WARNING)
def early_warning_officer(officer_id: int) -> tuple[str, int]:
    """One officer: flags, trend by quarter against the unit's median, allegations (audited)."""
    session = _write()
    rules = current_app.config["EARLY_WARNING"]
    try:
        detail = early_warning.officer_detail(
            session, rules, officer_id, actor=g.staff, now=clock.utcnow()
        )
    except CaseworkError:
        session.rollback()
        abort(404)
    session.commit()
    return render_template("backoffice/early_warning/officer.html", detail=detail), 200


@bp.get("/officers/matches")
@requires(Permission.OFFICER_MATCH)
def officer_matches() -> tuple[str, int]:
    """Imported officers who may be roster officers: confirm or reject each pair."""
    candidates = early_warning.match_candidates(db_session(), actor=g.staff)
    return render_template(
        "backoffice/early_warning/matches.html", candidates=candidates, form=MatchForm()
    ), 200


@bp.post("/officers/matches")
@requires(Permission.OFFICER_MATCH)
def officer_match_decide() -> Response:
    """Record a decision on one pair, then show the list again (Post/Redirect/Get)."""
    form = MatchForm()
    if not form.validate_on_submit() or form.decision.data not in ("confirm", "reject"):
        flash(gettext("That decision could not be read; nothing was changed."), "error")
        return redirect(url_for("backoffice.officer_matches"), 303)
    session = _write()
    try:
        match = early_warning.decide_match(
            session,
            int(form.officer_id.data or 0),
            int(form.roster_officer_id.data or 0),
            confirm=form.decision.data == "confirm",
            actor=g.staff,
            now=clock.utcnow(),
        )
    except CaseworkError as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("backoffice.officer_matches"), 303)
    session.commit()
    if match.decision == "confirmed":
        flash(
            gettext(
                "Confirmed: one officer. %(n)d complaint involvements moved to the roster officer.",
                n=match.moved_involvements,
            ),
            "success",
        )
    else:
        flash(
            gettext("Rejected: two different officers. The pair will not be suggested again."),
            "success",
        )
    return redirect(url_for("backoffice.officer_matches"), 303)
