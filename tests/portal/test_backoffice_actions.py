"""Every action of the case page: the happy path changes the case and writes its audit entry,
and one refusal each (wrong state, missing input, another case's object) changes nothing and
shows why. Roles without the permission get 403 from the guard."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    Agency,
    Allegation,
    Appeal,
    Complaint,
    ComplaintLink,
    InternalNote,
    InvolvedOfficer,
    Officer,
    OutboxMessage,
    Referral,
    Staff,
    StatusEvent,
)
from portal.vocabulary import (
    AllegationCategory,
    AppealState,
    CaseState,
    Discipline,
    Finding,
    StaffRole,
    StatusEventKind,
)
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import T0, make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]
TODAY = dt.datetime.now(dt.UTC).date()


def flashes(page: str) -> list[tuple[str, str]]:
    """(category, text) of each flashed message on a page."""
    return [
        (category, html.unescape(text).strip())
        for category, text in re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', page, re.S)
    ]


def act(client: Any, url: str, data: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """POST an action, follow the redirect back to the case, return the flashed messages."""
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return flashes(response.get_data(as_text=True))


def case(db: Session, state: CaseState = CaseState.RECEIVED, **kwargs: Any) -> Complaint:
    complaint = make_complaint(db, state=state, **kwargs)
    db.commit()
    return complaint


def state_of(db: Session, complaint: Complaint) -> CaseState:
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    found = db.get(Complaint, complaint.id)
    assert found is not None
    return found.state


# --- screening --------------------------------------------------------------------------------


def test_acknowledge_and_start_screening(db: Session, staff_client: StaffClient) -> None:
    client, intake = staff_client(StaffRole.INTAKE)
    complaint = case(db)
    base = f"/staff/cases/{complaint.id}"
    page = client.get(base).get_data(as_text=True)
    assert "Mark as acknowledged" in page and "Start screening" in page
    assert act(client, base + "/acknowledge") == [("success", "Acknowledged.")]
    assert state_of(db, complaint) is CaseState.ACKNOWLEDGED
    assert act(client, base + "/start-screening") == [("success", "Screening started.")]
    assert state_of(db, complaint) is CaseState.SCREENING
    assert [e.actor_id for e in audit_entries(db, "complaint.acknowledge")] == [intake.id]
    assert [e.actor_id for e in audit_entries(db, "complaint.start_screening")] == [intake.id]
    # Refused: an illegal transition shows the workflow's message and changes nothing.
    refused = act(client, base + "/acknowledge")
    assert refused[0][0] == "error"
    assert "cannot be 'acknowledge'd" in refused[0][1]
    assert state_of(db, complaint) is CaseState.SCREENING


def test_screen_to_investigate(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    complaint = case(db, email="ana@example.org")
    messages = act(client, f"/staff/cases/{complaint.id}/screen", {"screen-outcome": "investigate"})
    assert messages == [("success", "Screening decision recorded: Investigate.")]
    assert state_of(db, complaint) is CaseState.INVESTIGATION
    assert len(audit_entries(db, "complaint.screen_investigate")) == 1
    # The complainant is told (status page event and one email).
    statuses = db.scalars(
        select(StatusEvent.public_status).where(StatusEvent.complaint_id == complaint.id)
    ).all()
    assert "under_investigation" in [s.value for s in statuses if s]
    assert db.scalars(select(OutboxMessage)).all()


def test_screen_refer_needs_agency_and_creates_referral(
    db: Session, staff_client: StaffClient
) -> None:
    client, _ = staff_client(StaffRole.INTAKE)
    complaint = case(db, state=CaseState.SCREENING)
    agency = Agency(name="Tenant Legal Aid", contact="555 0100", handles="housing", is_active=True)
    db.add(agency)
    db.commit()
    url = f"/staff/cases/{complaint.id}/screen"
    refused = act(client, url, {"screen-outcome": "refer"})
    assert refused == [("error", "Choose an agency from the referral directory.")]
    assert state_of(db, complaint) is CaseState.SCREENING

    follow_up = (TODAY + dt.timedelta(days=14)).isoformat()
    data = {
        "screen-outcome": "refer",
        "screen-agency": str(agency.id),
        "screen-follow_up_on": follow_up,
    }
    assert act(client, url, data) == [("success", "Screening decision recorded: Refer.")]
    assert state_of(db, complaint) is CaseState.REFERRED
    db.rollback()
    referral = db.scalars(select(Referral)).one()
    assert referral.agency_id == agency.id and referral.follow_up_on.isoformat() == follow_up
    assert len(audit_entries(db, "referral.add")) == 1
    assert len(audit_entries(db, "complaint.screen_refer")) == 1

    # Follow-up: the referral's outcome.
    outcome_url = f"/staff/cases/{complaint.id}/referrals/{referral.id}/outcome"
    field = f"referral{referral.id}-outcome"
    assert act(client, outcome_url, {field: " "})[0][0] == "error"
    messages = act(client, outcome_url, {field: "Landlord repaired the door."})
    assert messages == [("success", "Referral outcome recorded.")]
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    assert db.get(Referral, referral.id).outcome == "Landlord repaired the door."  # type: ignore[union-attr]
    assert len(audit_entries(db, "referral.outcome")) == 1


def test_screen_decline_needs_a_reason(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INTAKE)
    complaint = case(db, state=CaseState.SCREENING)
    url = f"/staff/cases/{complaint.id}/screen"
    refused = act(client, url, {"screen-outcome": "decline"})
    assert refused[0][0] == "error" and "needs a reason" in refused[0][1]
    assert state_of(db, complaint) is CaseState.SCREENING
    done = act(client, url, {"screen-outcome": "decline", "screen-reason": "Federal agency"})
    assert done == [("success", "Screening decision recorded: Decline.")]
    assert state_of(db, complaint) is CaseState.DECLINED
    assert len(audit_entries(db, "complaint.screen_decline")) == 1


def test_escalate_and_withdraw(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    resolving = case(db, state=CaseState.EARLY_RESOLUTION)
    url = f"/staff/cases/{resolving.id}/escalate"
    assert act(client, url, {"escalate-reason": ""})[0][0] == "error"
    assert act(client, url, {"escalate-reason": "Mediation failed"}) == [
        ("success", "A full investigation is open.")
    ]
    assert state_of(db, resolving) is CaseState.INVESTIGATION
    url = f"/staff/cases/{resolving.id}/withdraw"
    assert act(client, url, {"withdraw-reason": "Called to withdraw"}) == [
        ("success", "The complaint is withdrawn.")
    ]
    assert state_of(db, resolving) is CaseState.WITHDRAWN
    assert len(audit_entries(db, "complaint.escalate")) == 1
    assert len(audit_entries(db, "complaint.withdraw")) == 1
    # Withdrawn is closed: withdrawing again is refused by the workflow.
    assert act(client, url, {"withdraw-reason": "again"})[0][0] == "error"


# --- assignment, activities, notes, links, messages ------------------------------------------


def test_assign_an_investigator(db: Session, staff_client: StaffClient, make_staff: Any) -> None:
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    ivy = make_staff(StaffRole.INVESTIGATOR, name="Ivy Investigator")
    clerk = make_staff(StaffRole.INTAKE, name="Ian Intake")
    complaint = case(db, state=CaseState.INVESTIGATION)
    url = f"/staff/cases/{complaint.id}/assign"
    page = client.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    assert "Ivy Investigator (investigator)" in page and "Ian Intake" not in page
    assert act(client, url, {"assign-assignee": str(clerk.id)})[0][0] == "error"
    assert act(client, url, {"assign-assignee": str(ivy.id)}) == [
        ("success", "Assigned to Ivy Investigator.")
    ]
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    assert db.get(Complaint, complaint.id).assigned_to_id == ivy.id  # type: ignore[union-attr]
    entry = audit_entries(db, "complaint.assign")[0]
    assert entry.actor_id == supervisor.id
    investigator, _ = staff_client(StaffRole.INVESTIGATOR)
    assert investigator.post(url, data={"assign-assignee": str(ivy.id)}).status_code == 403


def test_log_activity(db: Session, staff_client: StaffClient) -> None:
    client, ivy = staff_client(StaffRole.INVESTIGATOR)
    complaint = case(db, state=CaseState.INVESTIGATION)
    url = f"/staff/cases/{complaint.id}/activities"
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    refused = act(
        client, url, {"activity-kind": "body_worn_camera_review", "activity-occurred_on": future}
    )
    assert refused == [("error", "The activity date cannot be in the future.")]
    done = act(
        client,
        url,
        {
            "activity-kind": "body_worn_camera_review",
            "activity-occurred_on": TODAY.isoformat(),
            "activity-summary": "Reviewed the footage.",
        },
    )
    assert done == [("success", "Activity logged: Body-worn camera review.")]
    db.rollback()
    activity = db.scalars(select(Activity)).one()
    assert activity.occurred_on == TODAY and activity.actor_id == ivy.id
    assert len(audit_entries(db, "activity.add")) == 1
    intake, _ = staff_client(StaffRole.INTAKE)
    assert intake.post(url, data={}).status_code == 403


def test_internal_note(db: Session, staff_client: StaffClient) -> None:
    client, intake = staff_client(StaffRole.INTAKE)
    complaint = case(db)
    url = f"/staff/cases/{complaint.id}/notes"
    assert act(client, url, {"note-body": ""})[0][0] == "error"
    assert act(client, url, {"note-body": "Caller prefers mornings."}) == [
        ("success", "Note added.")
    ]
    db.rollback()
    note = db.scalars(select(InternalNote)).one()
    assert note.body == "Caller prefers mornings." and note.author_id == intake.id
    entry = audit_entries(db, "note.add")[0]
    assert "mornings" not in str(entry.after)  # the note's text stays out of the audit trail


def test_link_related_complaints(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    complaint, other = case(db), case(db)
    url = f"/staff/cases/{complaint.id}/links"
    assert act(client, url, {"link-reference": "LNT-0000-0000"}) == [
        ("error", "No complaint has this reference number.")
    ]
    assert act(client, url, {"link-reference": complaint.reference})[0][0] == "error"  # itself
    typed = other.reference.replace("-", "").lower()
    assert act(client, url, {"link-reference": typed, "link-reason": "same protest"}) == [
        ("success", "Complaints linked.")
    ]
    db.rollback()
    link = db.scalars(select(ComplaintLink)).one()
    assert {link.complaint_id, link.related_id} == {complaint.id, other.id}
    assert len(audit_entries(db, "complaint.link")) == 1


def test_message_the_complainant(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INTAKE)
    complaint = case(db, state=CaseState.SCREENING, email="ana@example.org", language="es")
    url = f"/staff/cases/{complaint.id}/messages"
    assert act(client, url, {"message-text": "  "})[0][0] == "error"
    assert act(client, url, {"message-text": "Please call us back."}) == [
        ("success", "Message sent to the complainant.")
    ]
    db.rollback()
    event = db.scalars(select(StatusEvent).where(StatusEvent.kind == StatusEventKind.MESSAGE)).one()
    assert event.message == "Please call us back."
    email = db.scalars(select(OutboxMessage)).one()
    assert email.to_address == "ana@example.org" and email.language == "es"
    assert len(audit_entries(db, "complaint.message")) == 1


# --- officers, allegations, findings, closure -------------------------------------------------


def _roster(db: Session) -> Officer:
    officer = Officer(badge_number="4411", first_name="Sam", last_name="Smith", rank="Sergeant")
    db.add(officer)
    db.commit()
    return officer


def test_identify_an_officer_from_the_roster(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    roster = _roster(db)
    complaint = case(db, state=CaseState.INVESTIGATION, categories=(AllegationCategory.FORCE,))
    involved = complaint.officers[0]
    url = f"/staff/cases/{complaint.id}/officers"
    assert act(client, url, {"officer-involved": str(involved.id), "officer-badge": "9999"}) == [
        ("error", "No officer on the roster has badge 9999.")
    ]
    assert act(client, url, {"officer-involved": str(involved.id), "officer-badge": "4411"}) == [
        ("success", "Officer identified: Sam Smith (badge 4411).")
    ]
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    assert db.get(InvolvedOfficer, involved.id).officer_id == roster.id  # type: ignore[union-attr]
    assert len(audit_entries(db, "officer.identify")) == 1
    # No involved officer chosen: a new officer is added to the complaint.
    assert act(client, url, {"officer-involved": "", "officer-badge": "4411"})[0][0] == "success"
    db.rollback()
    assert len(db.scalars(select(InvolvedOfficer)).all()) == 2
    assert len(audit_entries(db, "officer.add")) == 1


def test_allegations_recommended_and_final_findings_then_close(
    db: Session, staff_client: StaffClient
) -> None:
    investigator, ivy = staff_client(StaffRole.INVESTIGATOR)
    supervisor, dana = staff_client(StaffRole.SUPERVISOR)
    complaint = case(db, state=CaseState.INVESTIGATION, email="ana@example.org")
    complaint.officers.append(InvolvedOfficer(description="Driver", is_unknown=True))
    db.commit()
    officer_id = complaint.officers[0].id
    base = f"/staff/cases/{complaint.id}"

    # Two allegations against the officer; the same one twice is refused.
    for category in ("force", "discourtesy"):
        data = {"allegation-involved": str(officer_id), "allegation-category": category}
        assert act(investigator, base + "/allegations", data)[0][0] == "success"
    duplicate = {"allegation-involved": str(officer_id), "allegation-category": "force"}
    assert act(investigator, base + "/allegations", duplicate)[0][0] == "error"
    db.rollback()
    force, discourtesy = db.scalars(select(Allegation).order_by(Allegation.id)).all()
    assert len(audit_entries(db, "allegation.add")) == 2

    # Submitting before every allegation has a recommendation: the workflow says why.
    refused = act(investigator, base + "/submit-findings")
    assert refused[0][0] == "error" and "no recommended finding" in refused[0][1]
    for allegation, finding in ((force, "sustained"), (discourtesy, "unfounded")):
        data = {"recommend-allegation": str(allegation.id), "recommend-finding": finding}
        assert act(investigator, base + "/recommend", data)[0][0] == "success"
    assert len(audit_entries(db, "allegation.recommend")) == 2
    assert act(investigator, base + "/submit-findings") == [
        ("success", "Findings submitted for review.")
    ]
    assert state_of(db, complaint) is CaseState.FINDINGS_REVIEW
    assert [e.actor_id for e in audit_entries(db, "complaint.submit_findings")] == [ivy.id]
    # The investigator may not decide or close.
    assert investigator.post(base + "/decide", data={}).status_code == 403
    assert investigator.post(base + "/close", data={}).status_code == 403

    # Closing with undecided allegations is refused with the workflow's message.
    refused = act(supervisor, base + "/close")
    assert refused[0][0] == "error" and "no final finding" in refused[0][1]
    no_discipline = {"decide-allegation": str(force.id), "decide-finding": "sustained"}
    assert act(supervisor, base + "/decide", no_discipline)[0][0] == "error"
    decisions = [
        {
            "decide-allegation": str(force.id),
            "decide-finding": "sustained",
            "decide-discipline": "suspension",
            "decide-suspension_days": "3",
        },
        {"decide-allegation": str(discourtesy.id), "decide-finding": "unfounded"},
    ]
    for data in decisions:
        assert act(supervisor, base + "/decide", data)[0][0] == "success"
    assert len(audit_entries(db, "allegation.decide")) == 2
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    decided = db.get(Allegation, force.id)
    assert decided is not None and decided.finding is Finding.SUSTAINED
    assert decided.recommended_discipline is Discipline.SUSPENSION
    assert decided.recommended_suspension_days == 3
    assert decided.discipline is Discipline.PENDING  # imposed later, by the department

    assert act(supervisor, base + "/close") == [
        ("success", "The case is closed. The complainant was sent the closure letter.")
    ]
    assert state_of(db, complaint) is CaseState.CLOSED
    assert [e.actor_id for e in audit_entries(db, "complaint.close")] == [dana.id]
    assert ivy.id != dana.id


def test_recommend_refuses_another_cases_allegation(db: Session, staff_client: StaffClient):
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    mine = case(db, state=CaseState.INVESTIGATION)
    other = case(db, state=CaseState.INVESTIGATION, categories=(AllegationCategory.BIAS,))
    data = {
        "recommend-allegation": str(other.allegations[0].id),
        "recommend-finding": "exonerated",
    }
    assert act(client, f"/staff/cases/{mine.id}/recommend", data) == [
        ("error", "Choose an allegation of this case.")
    ]
    assert audit_entries(db, "allegation.recommend") == []


def test_return_to_investigation_and_reopen(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    review = case(db, state=CaseState.FINDINGS_REVIEW)
    url = f"/staff/cases/{review.id}/return"
    assert act(client, url, {"return-reason": ""})[0][0] == "error"
    assert act(client, url, {"return-reason": "Interview the second officer"}) == [
        ("success", "The case is back in investigation.")
    ]
    assert state_of(db, review) is CaseState.INVESTIGATION
    assert len(audit_entries(db, "complaint.return_to_investigation")) == 1
    closed = case(db, state=CaseState.CLOSED)
    url = f"/staff/cases/{closed.id}/reopen"
    assert act(client, url, {"reopen-reason": "New video"}) == [
        ("success", "The case is reopened.")
    ]
    assert state_of(db, closed) is CaseState.INVESTIGATION
    assert len(audit_entries(db, "complaint.reopen")) == 1


# --- appeals ------------------------------------------------------------------------------------


def _appealed(db: Session) -> tuple[Complaint, Appeal]:
    complaint = case(db, state=CaseState.APPEAL_REQUESTED, name="Zelda Quintanilla")
    complaint.closed_at = T0 + dt.timedelta(days=30)
    appeal = Appeal(
        complaint_id=complaint.id,
        requested_at=T0 + dt.timedelta(days=31),
        reason="Nobody spoke to my witness.",
        state=AppealState.REQUESTED,
    )
    db.add(appeal)
    db.commit()
    return complaint, appeal


@pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.COMMISSIONER])
def test_appeal_decided_by_supervisor_or_commissioner(
    db: Session, staff_client: StaffClient, role: StaffRole
) -> None:
    client, decider = staff_client(role)
    complaint, appeal = _appealed(db)
    page_url = (
        f"/staff/cases/{complaint.id}"
        if role is StaffRole.SUPERVISOR
        else f"/staff/closed/{complaint.id}"
    )
    page = client.get(page_url).get_data(as_text=True)
    assert f"/staff/appeals/{appeal.id}/decide" in page
    url = f"/staff/appeals/{appeal.id}/decide"
    assert act(client, url, {"appeal-outcome": "upheld"})[0][0] == "error"  # no decision text
    response = client.post(
        url,
        data={"appeal-outcome": "upheld", "appeal-decision": "The findings stand."},
        follow_redirects=True,
    )
    assert response.request.path == page_url
    assert flashes(response.get_data(as_text=True)) == [
        ("success", "Appeal decided: Outcome upheld.")
    ]
    assert state_of(db, complaint) is CaseState.APPEAL_DECIDED
    entry = audit_entries(db, "appeal.decide")[0]
    assert entry.actor_id == decider.id
    # Deciding twice is refused.
    again = {"appeal-outcome": "denied", "appeal-decision": "No."}
    assert act(client, url, again) == [("error", "This appeal was already decided.")]
    if role is StaffRole.COMMISSIONER:
        assert "Zelda" not in response.get_data(as_text=True)


def test_appeal_decision_refused_to_investigator(db: Session, staff_client: StaffClient):
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    _complaint, appeal = _appealed(db)
    data = {"appeal-outcome": "upheld", "appeal-decision": "x"}
    assert client.post(f"/staff/appeals/{appeal.id}/decide", data=data).status_code == 403
