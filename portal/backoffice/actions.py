"""The case page's actions: each a POST to its own endpoint, guarded by ``requires``, calling one
casework service, then flash + redirect back to the case (Post/Redirect/Get).

A refusal from a service (``CaseworkError``) or from the workflow (``WorkflowError``, e.g. an
illegal transition) is shown as it is — both are written for staff — and nothing is changed.
The services write the audit entries and queue the complainant's emails in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, redirect, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from portal import clock
from portal.backoffice import bp
from portal.backoffice.case_forms import (
    ActivityForm,
    AllegationForm,
    AppealDecisionForm,
    AssignForm,
    ButtonForm,
    CaseForm,
    DecideForm,
    IdentifyOfficerForm,
    LinkForm,
    MessageForm,
    NoteForm,
    ReasonForm,
    RecommendForm,
    ReferralOutcomeForm,
    ScreenForm,
)
from portal.backoffice.guard import requires
from portal.backoffice.labels import label
from portal.choices import restrict_choices
from portal.db import begin_write
from portal.models import Appeal, Complaint, Officer
from portal.request_db import db_session
from portal.services import appeals, casework, investigation
from portal.services.clocks import ServiceLevels
from portal.services.notify import MailSettings
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import (
    ActivityKind,
    AllegationCategory,
    AppealState,
    Discipline,
    Finding,
    ScreeningOutcome,
)
from portal.workflow import WorkflowError

Work = Callable[[Session, dt.datetime], str]


def _(text: str, **values: Any) -> str:
    """``gettext`` typed as ``str`` (the messages are extracted under this name)."""
    return str(gettext(text, **values))


def _settings() -> MailSettings:
    return MailSettings.from_config(current_app.config)


def _levels() -> ServiceLevels:
    return ServiceLevels.from_config(current_app.config)


def _first_error(form: CaseForm) -> str:
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return _("The form could not be read. Try again.")


def _write_session() -> Session:
    """The request's session, starting a write transaction (SQLite: BEGIN IMMEDIATE)."""
    session = db_session()
    if session.in_transaction():
        session.rollback()
    begin_write(session)
    return session


def _id(value: str | None) -> int | None:
    """A positive id typed in a select, or None."""
    return int(value) if value and value.isdigit() else None


def perform(form: CaseForm, work: Work, target: str) -> Response:
    """Validate ``form``, run ``work(session, now)`` in one transaction, flash, redirect.

    ``work`` returns the success message; a ``CaseworkError``/``WorkflowError`` is flashed as an
    error after a rollback (nothing changed).
    """
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return redirect(target, 303)
    session = _write_session()
    try:
        message = work(session, clock.utcnow())
        session.commit()
    except (casework.CaseworkError, WorkflowError) as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return redirect(target, 303)
    flash(message, "success")
    return redirect(target, 303)


def case_url(complaint_id: int, anchor: str = "actions") -> str:
    """The case page, scrolled to ``anchor``."""
    return url_for("backoffice.case_page", complaint_id=complaint_id, _anchor=anchor)


# --- screening --------------------------------------------------------------------------------


def _with_reason(
    complaint_id: int, prefix: str, operation: Callable[..., Any], done: str
) -> Response:
    """A workflow step whose only input is a reason: run ``operation`` on the case (with the
    staff member, the clock and the mail settings) and flash ``done``."""
    form = ReasonForm(prefix=prefix)

    def work(session: Session, now: dt.datetime) -> str:
        operation(
            session,
            complaint_id,
            reason=form.reason.data or "",
            actor=g.staff,
            now=now,
            settings=_settings(),
        )
        return done

    return perform(form, work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/acknowledge")
@requires(Permission.CASE_SCREEN)
def case_acknowledge(complaint_id: int) -> Response:
    """Record that the complaint was acknowledged."""

    def work(session: Session, now: dt.datetime) -> str:
        casework.acknowledge(session, complaint_id, actor=g.staff, now=now, settings=_settings())
        return _("Acknowledged.")

    return perform(ButtonForm(prefix="acknowledge"), work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/start-screening")
@requires(Permission.CASE_SCREEN)
def case_start_screening(complaint_id: int) -> Response:
    """Start the screening review."""

    def work(session: Session, now: dt.datetime) -> str:
        casework.start_screening(
            session, complaint_id, actor=g.staff, now=now, settings=_settings(), levels=_levels()
        )
        return _("Screening started.")

    return perform(ButtonForm(prefix="start"), work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/screen")
@requires(Permission.CASE_SCREEN)
def case_screen(complaint_id: int) -> Response:
    """The screening decision: investigate, early resolution, refer (agency, follow-up), decline."""
    form = ScreenForm(prefix="screen")

    def work(session: Session, now: dt.datetime) -> str:
        outcome = ScreeningOutcome(form.outcome.data)
        casework.screen(
            session,
            complaint_id,
            outcome,
            actor=g.staff,
            now=now,
            reason=(form.reason.data or "").strip() or None,
            agency_id=_id(form.agency.data),
            follow_up_on=form.follow_up_on.data,
            settings=_settings(),
            levels=_levels(),
        )
        return _("Screening decision recorded: %(decision)s.", decision=label(outcome))

    return perform(form, work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/referrals/<int:referral_id>/outcome")
@requires(Permission.CASE_SCREEN)
def case_referral_outcome(complaint_id: int, referral_id: int) -> Response:
    """Record what the agency did with a referral."""
    form = ReferralOutcomeForm(prefix=f"referral{referral_id}")

    def work(session: Session, now: dt.datetime) -> str:
        referral = casework.record_referral_outcome(
            session, referral_id, outcome=form.outcome.data or "", actor=g.staff, now=now
        )
        if referral.complaint_id != complaint_id:
            raise casework.CaseworkError(_("This referral belongs to another case."))
        return _("Referral outcome recorded.")

    return perform(form, work, case_url(complaint_id, "investigation"))


@bp.post("/cases/<int:complaint_id>/escalate")
@requires(Permission.CASE_SCREEN)
def case_escalate(complaint_id: int) -> Response:
    """Early resolution or referral did not resolve it: open a full investigation."""
    return _with_reason(
        complaint_id, "escalate", investigation.escalate, _("A full investigation is open.")
    )


@bp.post("/cases/<int:complaint_id>/withdraw")
@requires(Permission.CASE_SCREEN)
def case_withdraw(complaint_id: int) -> Response:
    """Record that the complainant withdrew the complaint (e.g. by phone)."""
    return _with_reason(
        complaint_id, "withdraw", investigation.withdraw, _("The complaint is withdrawn.")
    )


# --- assignment, activities, notes, links, messages ------------------------------------------


@bp.post("/cases/<int:complaint_id>/assign")
@requires(Permission.CASE_ASSIGN)
def case_assign(complaint_id: int) -> Response:
    """Assign the case to an investigator."""
    form = AssignForm(prefix="assign")

    def work(session: Session, now: dt.datetime) -> str:
        complaint = casework.assign(
            session, complaint_id, _id(form.assignee.data), actor=g.staff, now=now
        )
        who = complaint.assigned_to
        return _("Assigned to %(name)s.", name=(who.name or who.email) if who else "?")

    return perform(form, work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/activities")
@requires(Permission.CASE_INVESTIGATE)
def case_activity(complaint_id: int) -> Response:
    """Log an investigation activity with its date."""
    form = ActivityForm(prefix="activity")

    def work(session: Session, now: dt.datetime) -> str:
        kind = ActivityKind(form.kind.data)
        casework.log_activity(
            session,
            complaint_id,
            kind=kind,
            occurred_on=form.occurred_on.data,
            summary=form.summary.data or "",
            actor=g.staff,
            now=now,
        )
        return _("Activity logged: %(kind)s.", kind=label(kind))

    return perform(form, work, case_url(complaint_id, "investigation"))


@bp.post("/cases/<int:complaint_id>/notes")
@requires(Permission.CASE_VIEW)
def case_note(complaint_id: int) -> Response:
    """Add an internal note (staff only, never shown to the complainant)."""
    form = NoteForm(prefix="note")

    def work(session: Session, now: dt.datetime) -> str:
        casework.add_note(session, complaint_id, form.body.data or "", actor=g.staff, now=now)
        return _("Note added.")

    return perform(form, work, case_url(complaint_id, "investigation"))


@bp.post("/cases/<int:complaint_id>/links")
@requires(Permission.CASE_LINK)
def case_link(complaint_id: int) -> Response:
    """Link a related or duplicate complaint by its reference number."""
    form = LinkForm(prefix="link")

    def work(session: Session, now: dt.datetime) -> str:
        typed = "".join(ch for ch in (form.reference.data or "").upper() if ch.isalnum())
        related = session.scalar(
            select(Complaint.id).where(func.replace(Complaint.reference, "-", "") == typed)
        )
        if related is None:
            raise casework.CaseworkError(_("No complaint has this reference number."))
        casework.link_complaints(
            session,
            complaint_id,
            related,
            reason=(form.reason.data or "").strip() or None,
            actor=g.staff,
            now=now,
        )
        return _("Complaints linked.")

    return perform(form, work, case_url(complaint_id, "investigation"))


@bp.post("/cases/<int:complaint_id>/messages")
@requires(Permission.CASE_MESSAGE)
def case_message(complaint_id: int) -> Response:
    """Send the complainant a message (status page, and email when they gave one)."""
    form = MessageForm(prefix="message")

    def work(session: Session, now: dt.datetime) -> str:
        casework.send_message(
            session,
            complaint_id,
            form.text.data or "",
            actor=g.staff,
            now=now,
            settings=_settings(),
        )
        return _("Message sent to the complainant.")

    return perform(form, work, case_url(complaint_id, "timeline"))


# --- officers, allegations, findings ----------------------------------------------------------


@bp.post("/cases/<int:complaint_id>/officers")
@requires(Permission.CASE_INVESTIGATE)
def case_identify_officer(complaint_id: int) -> Response:
    """Identify an officer of the complaint on the roster (or add one) by badge number."""
    form = IdentifyOfficerForm(prefix="officer")

    def work(session: Session, now: dt.datetime) -> str:
        badge = (form.badge.data or "").strip()
        officer = session.scalar(select(Officer).where(Officer.badge_number == badge))
        if officer is None:
            raise casework.CaseworkError(
                _("No officer on the roster has badge %(badge)s.", badge=badge)
            )
        involved_id = _id(form.involved.data)
        if involved_id is None:
            investigation.add_involved_officer(
                session, complaint_id, actor=g.staff, now=now, officer_id=officer.id
            )
        else:
            involved = investigation.identify_officer(
                session, involved_id, officer.id, actor=g.staff, now=now
            )
            if involved.complaint_id != complaint_id:
                raise casework.CaseworkError(_("This officer belongs to another case."))
        name = " ".join(p for p in (officer.first_name, officer.last_name) if p)
        return _("Officer identified: %(name)s (badge %(badge)s).", name=name, badge=badge)

    return perform(form, work, case_url(complaint_id, "officers"))


@bp.post("/cases/<int:complaint_id>/allegations")
@requires(Permission.CASE_INVESTIGATE)
def case_allegation(complaint_id: int) -> Response:
    """Add an allegation (one officer × one category)."""
    form = AllegationForm(prefix="allegation")
    restrict_choices(form.category, current_app.config["CATEGORY_VALUES"])

    def work(session: Session, now: dt.datetime) -> str:
        category = AllegationCategory(form.category.data)
        investigation.add_allegation(
            session,
            complaint_id,
            category=category,
            involved_officer_id=_id(form.involved.data),
            actor=g.staff,
            now=now,
        )
        return _("Allegation added: %(category)s.", category=label(category))

    return perform(form, work, case_url(complaint_id, "officers"))


def _allegation_of_case(session: Session, allegation_id: int | None, complaint_id: int) -> int:
    from portal.models import Allegation

    allegation = session.get(Allegation, allegation_id) if allegation_id else None
    if allegation is None or allegation.complaint_id != complaint_id:
        raise casework.CaseworkError(_("Choose an allegation of this case."))
    return allegation.id


@bp.post("/cases/<int:complaint_id>/recommend")
@requires(Permission.CASE_INVESTIGATE)
def case_recommend(complaint_id: int) -> Response:
    """The investigator's recommended finding on one allegation."""
    form = RecommendForm(prefix="recommend")

    def work(session: Session, now: dt.datetime) -> str:
        allegation_id = _allegation_of_case(session, _id(form.allegation.data), complaint_id)
        finding = Finding(form.finding.data)
        investigation.recommend_finding(session, allegation_id, finding, actor=g.staff, now=now)
        return _("Recommended finding recorded: %(finding)s.", finding=label(finding))

    return perform(form, work, case_url(complaint_id, "officers"))


@bp.post("/cases/<int:complaint_id>/submit-findings")
@requires(Permission.CASE_INVESTIGATE)
def case_submit_findings(complaint_id: int) -> Response:
    """Submit the recommended findings for review."""

    def work(session: Session, now: dt.datetime) -> str:
        investigation.submit_findings(
            session, complaint_id, actor=g.staff, now=now, settings=_settings()
        )
        return _("Findings submitted for review.")

    return perform(ButtonForm(prefix="submit"), work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/decide")
@requires(Permission.CASE_DECIDE)
def case_decide(complaint_id: int) -> Response:
    """The final finding and discipline of one allegation."""
    form = DecideForm(prefix="decide")
    restrict_choices(form.discipline, current_app.config["DISCIPLINE_VALUES"])

    def work(session: Session, now: dt.datetime) -> str:
        allegation_id = _allegation_of_case(session, _id(form.allegation.data), complaint_id)
        finding = Finding(form.finding.data)
        investigation.decide_allegation(
            session,
            allegation_id,
            finding=finding,
            discipline=Discipline(form.discipline.data) if form.discipline.data else None,
            suspension_days=form.suspension_days.data,
            actor=g.staff,
            now=now,
        )
        return _("Final finding recorded: %(finding)s.", finding=label(finding))

    return perform(form, work, case_url(complaint_id, "officers"))


@bp.post("/cases/<int:complaint_id>/return")
@requires(Permission.CASE_DECIDE)
def case_return(complaint_id: int) -> Response:
    """Send the case back for more investigation."""
    return _with_reason(
        complaint_id,
        "return",
        investigation.return_to_investigation,
        _("The case is back in investigation."),
    )


@bp.post("/cases/<int:complaint_id>/close")
@requires(Permission.CASE_DECIDE)
def case_close(complaint_id: int) -> Response:
    """Close the case (the complainant gets the closure letter)."""

    def work(session: Session, now: dt.datetime) -> str:
        investigation.close(session, complaint_id, actor=g.staff, now=now, settings=_settings())
        return _("The case is closed. The complainant was sent the closure letter.")

    return perform(ButtonForm(prefix="close"), work, case_url(complaint_id))


@bp.post("/cases/<int:complaint_id>/reopen")
@requires(Permission.CASE_DECIDE)
def case_reopen(complaint_id: int) -> Response:
    """Reopen a closed case for investigation."""
    return _with_reason(complaint_id, "reopen", investigation.reopen, _("The case is reopened."))


# --- appeals ----------------------------------------------------------------------------------


@bp.post("/appeals/<int:appeal_id>/decide")
@requires(Permission.APPEAL_DECIDE)
def appeal_decide(appeal_id: int) -> Response:
    """Decide an appeal (supervisor from the case page, commissioner from the closed case)."""
    form = AppealDecisionForm(prefix="appeal")
    appeal = db_session().get(Appeal, appeal_id)
    complaint_id = appeal.complaint_id if appeal is not None else 0
    if has_permission(g.staff.role, Permission.CASE_VIEW):
        target = case_url(complaint_id)
    else:
        target = url_for("backoffice.closed_case", complaint_id=complaint_id)

    def work(session: Session, now: dt.datetime) -> str:
        outcome = AppealState(form.outcome.data)
        appeals.decide_appeal(
            session,
            appeal_id,
            outcome=outcome,
            decision=form.decision.data or "",
            actor=g.staff,
            now=now,
            settings=_settings(),
        )
        return _("Appeal decided: %(outcome)s.", outcome=label(outcome))

    if appeal is None:
        flash(_("There is no such appeal."), "error")
        return redirect(url_for("backoffice.home"), 303)
    return perform(form, work, target)
