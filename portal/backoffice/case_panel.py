"""Which action forms the case page offers: those the signed-in role may use on the case in its
current state (the workflow's ``allowed_actions``), with their choices filled in."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.backoffice.case_forms import (
    ActivityForm,
    AllegationForm,
    AppealDecisionForm,
    AssignForm,
    ButtonForm,
    CallForm,
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
from portal.backoffice.discipline import imposed_form
from portal.backoffice.labels import label
from portal.choices import restrict_choices
from portal.request_db import db_session
from portal.services import casework
from portal.services.casefile import CaseFile, assignable_staff
from portal.services.permissions import Permission, has_permission
from portal.vocabulary import CLOSED_STATES, AppealState, CaseState
from portal.workflow import Action, allowed_actions


def _officer_choices(case: CaseFile, none_label: str) -> list[SelectChoice]:
    return [
        SelectChoice("", none_label),
        *[
            SelectChoice(str(o.id), _("Officer %(number)d", number=n))
            for n, o in enumerate(case.complaint.officers, start=1)
        ],
    ]


def _allegation_choices(case: CaseFile) -> list[SelectChoice]:
    numbers = {o.id: n for n, o in enumerate(case.complaint.officers, start=1)}
    choices = [SelectChoice("", _("Choose an allegation"))]
    for a in case.complaint.allegations:
        who = (
            _("Officer %(number)d", number=numbers[a.involved_officer_id])
            if a.involved_officer_id in numbers
            else _("unidentified officer")
        )
        choices.append(SelectChoice(str(a.id), f"{label(a.category)} — {who}"))
    return choices


def action_forms(case: CaseFile) -> dict[str, Any]:
    """The forms to show, by name (the names ``cases/_actions.html`` renders)."""
    role = g.staff.role
    state = case.complaint.state
    may = {p for p in Permission if has_permission(role, p)}
    allowed = set(allowed_actions(state))
    is_open = state not in CLOSED_STATES
    forms: dict[str, Any] = {}
    if Permission.CASE_SCREEN in may:
        if Action.ACKNOWLEDGE in allowed:
            forms["acknowledge"] = ButtonForm(prefix="acknowledge")
        if Action.START_SCREENING in allowed:
            forms["start_screening"] = ButtonForm(prefix="start")
        if state in (CaseState.RECEIVED, CaseState.ACKNOWLEDGED, CaseState.SCREENING):
            screen = ScreenForm(prefix="screen")
            screen.agency.choices = [
                SelectChoice("", _("Choose an agency")),
                *[SelectChoice(str(a.id), a.name) for a in casework.list_agencies(db_session())],
            ]
            forms["screen"] = screen
        if Action.ESCALATE in allowed:
            forms["escalate"] = ReasonForm(prefix="escalate")
        if Action.WITHDRAW in allowed:
            forms["withdraw"] = ReasonForm(prefix="withdraw")
        if any(r.outcome is None for r, _agency in case.referrals):
            forms["referral_outcome"] = True  # one form per referral, built in the template
    if Permission.CASE_ASSIGN in may and is_open:
        assign = AssignForm(prefix="assign")
        assign.assignee.choices = [
            SelectChoice("", _("Choose someone")),
            *[
                SelectChoice(str(s.id), f"{s.name or s.email} ({s.role.value})")
                for s in assignable_staff(db_session())
            ],
        ]
        if case.complaint.assigned_to_id:
            assign.assignee.data = str(case.complaint.assigned_to_id)
        forms["assign"] = assign
    if Permission.CASE_INVESTIGATE in may and is_open:
        forms["activity"] = ActivityForm(prefix="activity")
        officer = IdentifyOfficerForm(prefix="officer")
        officer.involved.choices = _officer_choices(case, _("A new officer on this complaint"))
        forms["officer"] = officer
        allegation = AllegationForm(prefix="allegation")
        restrict_choices(allegation.category, current_app.config["CATEGORY_VALUES"])
        allegation.involved.choices = _officer_choices(case, _("Not identified"))
        forms["allegation"] = allegation
        if case.complaint.allegations and state is CaseState.INVESTIGATION:
            recommend = RecommendForm(prefix="recommend")
            recommend.allegation.choices = _allegation_choices(case)
            forms["recommend"] = recommend
        if Action.SUBMIT_FINDINGS in allowed:
            forms["submit_findings"] = ButtonForm(prefix="submit")
    if Permission.CASE_DECIDE in may:
        if case.complaint.allegations and state is CaseState.FINDINGS_REVIEW:
            decide = DecideForm(prefix="decide")
            restrict_choices(decide.discipline, current_app.config["DISCIPLINE_VALUES"])
            decide.allegation.choices = _allegation_choices(case)
            forms["decide"] = decide
        if Action.RETURN_TO_INVESTIGATION in allowed:
            forms["return"] = ReasonForm(prefix="return")
        if Action.CLOSE in allowed:
            forms["close"] = ButtonForm(prefix="close")
        if Action.REOPEN in allowed:
            forms["reopen"] = ReasonForm(prefix="reopen")
        if (imposed := imposed_form(case)) is not None:
            forms["imposed"] = imposed
    if Permission.APPEAL_DECIDE in may:
        waiting = [a for a in case.appeals if a.state is AppealState.REQUESTED]
        if waiting:
            forms["appeal"] = AppealDecisionForm(prefix="appeal")
            forms["appeal_id"] = waiting[-1].id
    if Permission.CASE_MESSAGE in may:
        forms["message"] = MessageForm(prefix="message")
        forms["call"] = call_form(case)
    if Permission.CASE_LINK in may:
        forms["link"] = LinkForm(prefix="link")
    if Permission.CASE_VIEW in may:
        forms["note"] = NoteForm(prefix="note")
    return forms


def call_form(case: CaseFile) -> CallForm:
    """The phone-call form, filled in with now (UTC) and the first complainant's number."""
    form = CallForm(prefix="call")
    now = clock.utcnow()
    if form.day.data is None:
        form.day.data = now.date()
    if form.time.data is None:
        form.time.data = now.time().replace(second=0, microsecond=0)
    if not form.number.data:
        phones = [p.phone for p in case.complaint.complainants if p.phone]
        form.number.data = phones[0] if phones else ""
    return form


def referral_outcome_form(referral_id: int) -> ReferralOutcomeForm:
    """The follow-up form of one referral."""
    return ReferralOutcomeForm(prefix=f"referral{referral_id}")
