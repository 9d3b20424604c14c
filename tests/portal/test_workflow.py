"""The workflow state machine: every transition, legal and illegal, the public mapping, and what
a transition records (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import CaseEvent, StatusEvent
from portal.vocabulary import (
    PUBLIC_STATUS_OF,
    AllegationCategory,
    CaseState,
    Finding,
    PublicStatus,
    ScreeningOutcome,
    StatusEventKind,
)
from portal.workflow import (
    TRANSITIONS,
    Action,
    AllegationFacts,
    WorkflowError,
    allowed_actions,
    check,
    transition,
)
from tests.portal.casework_support import T0, make_complaint

S = CaseState
DONE = AllegationFacts(has_recommended_finding=True, has_final_finding=True)
RECOMMENDED = AllegationFacts(has_recommended_finding=True, has_final_finding=False)
BARE = AllegationFacts(has_recommended_finding=False, has_final_finding=False)

# Written out by hand from the design (not derived from TRANSITIONS): action → (sources, target).
EXPECTED = {
    Action.ACKNOWLEDGE: ({S.RECEIVED}, S.ACKNOWLEDGED),
    Action.START_SCREENING: ({S.RECEIVED, S.ACKNOWLEDGED}, S.SCREENING),
    Action.SCREEN_INVESTIGATE: ({S.SCREENING}, S.INVESTIGATION),
    Action.SCREEN_EARLY_RESOLUTION: ({S.SCREENING}, S.EARLY_RESOLUTION),
    Action.SCREEN_REFER: ({S.SCREENING}, S.REFERRED),
    Action.SCREEN_DECLINE: ({S.SCREENING}, S.DECLINED),
    Action.ESCALATE: ({S.EARLY_RESOLUTION, S.REFERRED}, S.INVESTIGATION),
    Action.SUBMIT_FINDINGS: ({S.INVESTIGATION}, S.FINDINGS_REVIEW),
    Action.RETURN_TO_INVESTIGATION: ({S.FINDINGS_REVIEW}, S.INVESTIGATION),
    Action.CLOSE: ({S.FINDINGS_REVIEW, S.EARLY_RESOLUTION, S.REFERRED}, S.CLOSED),
    Action.WITHDRAW: (
        {
            S.RECEIVED,
            S.ACKNOWLEDGED,
            S.SCREENING,
            S.REFERRED,
            S.EARLY_RESOLUTION,
            S.INVESTIGATION,
            S.FINDINGS_REVIEW,
        },
        S.WITHDRAWN,
    ),
    Action.REQUEST_APPEAL: ({S.CLOSED, S.DECLINED}, S.APPEAL_REQUESTED),
    Action.DECIDE_APPEAL: ({S.APPEAL_REQUESTED}, S.APPEAL_DECIDED),
    Action.REOPEN: (
        {S.APPEAL_REQUESTED, S.CLOSED, S.DECLINED, S.WITHDRAWN, S.APPEAL_DECIDED},
        S.INVESTIGATION,
    ),
}

PUBLIC = {  # the design's public statuses, written out by hand
    S.RECEIVED: PublicStatus.RECEIVED,
    S.ACKNOWLEDGED: PublicStatus.RECEIVED,
    S.SCREENING: PublicStatus.UNDER_REVIEW,
    S.REFERRED: PublicStatus.REFERRED,
    S.EARLY_RESOLUTION: PublicStatus.EARLY_RESOLUTION,
    S.DECLINED: PublicStatus.CLOSED,
    S.INVESTIGATION: PublicStatus.UNDER_INVESTIGATION,
    S.FINDINGS_REVIEW: PublicStatus.FINDINGS_REVIEW,
    S.CLOSED: PublicStatus.CLOSED,
    S.WITHDRAWN: PublicStatus.CLOSED,
    S.APPEAL_REQUESTED: PublicStatus.APPEAL_REQUESTED,
    S.APPEAL_DECIDED: PublicStatus.APPEAL_DECIDED,
}


def _legal_facts(action: Action) -> list[AllegationFacts]:
    return [DONE] if action in (Action.SUBMIT_FINDINGS, Action.CLOSE) else []


@pytest.mark.parametrize("state", list(CaseState))
def test_every_state_maps_to_the_designed_public_status(state: CaseState) -> None:
    assert PUBLIC_STATUS_OF[state] is PUBLIC[state]


def test_the_table_is_the_designed_one() -> None:
    assert set(TRANSITIONS) == set(EXPECTED)
    for action, (sources, target) in EXPECTED.items():
        assert TRANSITIONS[action].sources == sources, action
        assert TRANSITIONS[action].target is target, action


@pytest.mark.parametrize(
    ("state", "action"),
    [(state, action) for state in CaseState for action in Action],
    ids=lambda v: str(v),
)
def test_each_action_from_each_state(state: CaseState, action: Action) -> None:
    sources, target = EXPECTED[action]
    if state in sources:
        row = check(state, action, allegations=_legal_facts(action), reason="a reason")
        assert row.target is target
        assert action in allowed_actions(state)
    else:
        with pytest.raises(WorkflowError) as caught:
            check(state, action, allegations=_legal_facts(action), reason="a reason")
        assert caught.value.code == "not_allowed"
        message = str(caught.value)
        assert state.value.replace("_", " ") in message and action.value in message
        assert action not in allowed_actions(state)


def test_closed_and_terminal_states_offer_only_appeal_or_reopen() -> None:
    assert allowed_actions(S.CLOSED) == [Action.REQUEST_APPEAL, Action.REOPEN]
    assert allowed_actions(S.WITHDRAWN) == [Action.REOPEN]


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (Action.SCREEN_DECLINE, S.SCREENING),
        (Action.ESCALATE, S.REFERRED),
        (Action.RETURN_TO_INVESTIGATION, S.FINDINGS_REVIEW),
        (Action.REOPEN, S.CLOSED),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_actions_that_need_a_reason_refuse_without_one(
    action: Action, state: CaseState, reason: str | None
) -> None:
    with pytest.raises(WorkflowError, match="needs a reason") as caught:
        check(state, action, reason=reason)
    assert caught.value.code == "reason_required"


def test_submit_findings_needs_allegations_with_recommendations() -> None:
    with pytest.raises(WorkflowError, match="at least one allegation"):
        check(S.INVESTIGATION, Action.SUBMIT_FINDINGS, allegations=[])
    with pytest.raises(WorkflowError, match="1 allegation\\(s\\) have no recommended finding"):
        check(S.INVESTIGATION, Action.SUBMIT_FINDINGS, allegations=[RECOMMENDED, BARE])
    assert check(S.INVESTIGATION, Action.SUBMIT_FINDINGS, allegations=[RECOMMENDED]).target is (
        S.FINDINGS_REVIEW
    )


def test_close_after_review_needs_a_final_finding_on_every_allegation() -> None:
    with pytest.raises(WorkflowError, match="2 allegation\\(s\\) have no final finding") as caught:
        check(S.FINDINGS_REVIEW, Action.CLOSE, allegations=[DONE, RECOMMENDED, RECOMMENDED])
    assert caught.value.code == "final_finding_missing"
    # Early resolution and referral close with automatic findings instead.
    assert check(S.EARLY_RESOLUTION, Action.CLOSE, allegations=[BARE]).target is S.CLOSED


def test_unknown_action_is_refused() -> None:
    with pytest.raises(WorkflowError, match="'teleport' is not a workflow action"):
        check(S.RECEIVED, "teleport")


# --- applied to a stored complaint (both databases) --------------------------------------------


def _events(db: Session, complaint_id: int) -> list[CaseEvent]:
    return list(
        db.scalars(
            select(CaseEvent).where(CaseEvent.complaint_id == complaint_id).order_by(CaseEvent.id)
        )
    )


def test_transition_records_internal_and_public_events(db: Session) -> None:
    complaint = make_complaint(db)
    t1, t2 = T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2)

    event = transition(complaint, Action.ACKNOWLEDGE, actor_id=None, now=t1)
    transition(complaint, "start_screening", actor_id=None, now=t2, reason="internal: checked")
    db.commit()

    events = _events(db, complaint.id)
    assert [(e.from_state, e.to_state, e.at) for e in events] == [
        (S.RECEIVED, S.ACKNOWLEDGED, t1),
        (S.ACKNOWLEDGED, S.SCREENING, t2),
    ]
    assert event.id == events[0].id
    assert events[1].reason == "internal: checked"
    # received → acknowledged is "received" for the public: only screening shows.
    public = db.scalars(select(StatusEvent).where(StatusEvent.complaint_id == complaint.id)).all()
    assert [(p.kind, p.public_status, p.message) for p in public] == [
        (StatusEventKind.STATUS_CHANGE, PublicStatus.UNDER_REVIEW, None)
    ]
    assert complaint.state is S.SCREENING
    assert complaint.last_complainant_update_at == t2


def test_illegal_transition_changes_nothing(db: Session) -> None:
    complaint = make_complaint(db)
    with pytest.raises(WorkflowError, match="received cannot be 'close'd"):
        transition(complaint, Action.CLOSE, actor_id=None, now=T0 + dt.timedelta(hours=1))
    db.commit()
    assert complaint.state is S.RECEIVED
    assert _events(db, complaint.id) == []
    assert complaint.closed_at is None


def test_time_never_goes_backwards(db: Session) -> None:
    complaint = make_complaint(db)
    transition(complaint, Action.START_SCREENING, actor_id=None, now=T0 + dt.timedelta(days=1))
    db.commit()
    with pytest.raises(WorkflowError, match="dated before") as caught:
        transition(complaint, Action.SCREEN_INVESTIGATE, actor_id=None, now=T0)
    assert caught.value.code == "time_backwards"
    assert complaint.state is S.SCREENING
    with pytest.raises(ValueError, match="timezone-aware"):
        transition(complaint, Action.SCREEN_INVESTIGATE, actor_id=None, now=dt.datetime(2030, 1, 1))


def test_screen_decline_records_reason_closes_and_sets_findings(db: Session) -> None:
    complaint = make_complaint(db, categories=(AllegationCategory.DISCOURTESY,))
    transition(complaint, Action.START_SCREENING, actor_id=None, now=T0)
    t = T0 + dt.timedelta(days=2)
    transition(complaint, Action.SCREEN_DECLINE, actor_id=None, now=t, reason="Federal agents")
    db.commit()
    assert complaint.state is S.DECLINED
    assert complaint.screening_outcome is ScreeningOutcome.DECLINE
    assert complaint.screening_reason == "Federal agents"
    assert complaint.screened_at == t and complaint.closed_at == t
    assert [a.finding for a in complaint.allegations] == [Finding.REFERRED]
    public = [e.public_status for e in complaint.status_events]
    assert public == [PublicStatus.UNDER_REVIEW, PublicStatus.CLOSED]
    assert all(e.message is None for e in complaint.status_events)


def test_close_after_early_resolution_sets_mediated_but_keeps_decided_findings(
    db: Session,
) -> None:
    complaint = make_complaint(
        db, categories=(AllegationCategory.DISCOURTESY, AllegationCategory.BIAS)
    )
    complaint.allegations[1].finding = Finding.UNFOUNDED
    for action in (Action.START_SCREENING, Action.SCREEN_EARLY_RESOLUTION, Action.CLOSE):
        transition(complaint, action, actor_id=None, now=T0)
    db.commit()
    assert [a.finding for a in complaint.allegations] == [Finding.MEDIATED, Finding.UNFOUNDED]
    assert complaint.closed_at == T0


def test_withdraw_and_reopen(db: Session) -> None:
    complaint = make_complaint(db, categories=(AllegationCategory.FORCE,))
    transition(complaint, Action.WITHDRAW, actor_id=None, now=T0)
    assert complaint.allegations[0].finding is Finding.WITHDRAWN
    assert complaint.closed_at == T0
    later = T0 + dt.timedelta(days=3)
    transition(complaint, Action.REOPEN, actor_id=None, now=later, reason="New video came in")
    db.commit()
    assert complaint.state is S.INVESTIGATION
    assert complaint.closed_at is None
    assert complaint.status_events[-1].public_status is PublicStatus.UNDER_INVESTIGATION
