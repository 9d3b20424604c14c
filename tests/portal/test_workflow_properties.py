"""Property tests: random sequences of workflow actions and allegation edits keep the invariants.

- a case in a closed state has a final finding on every allegation;
- the latest public status event always equals the mapping of the internal state;
- internal and public event timestamps never go backwards, and refused actions change nothing;
- the public timeline never carries an internal reason or a staff member's name.

Runs on a SQLite database of its own (hypothesis runs hundreds of examples; the per-test database
fixtures are for the example-based tests in test_workflow.py, which cover PostgreSQL too).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.db import make_engine, session_factory
from portal.models import Allegation, Base, CaseEvent, Staff
from portal.vocabulary import (
    CLOSED_STATES,
    PUBLIC_STATUS_OF,
    AllegationCategory,
    CaseState,
    Finding,
    PublicStatus,
    StaffRole,
    StatusEventKind,
)
from portal.workflow import Action, WorkflowError, allowed_actions, transition
from tests.portal.casework_support import T0, make_complaint

STAFF_NAME = "Dana Supervisor-Uniquename"
REASON = "INTERNAL-REASON-do-not-publish"


@pytest.fixture(scope="module")
def property_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("workflow-properties") / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


#: Rough depth of each state in the workflow (for the statistics hypothesis prints with
#: --hypothesis-show-statistics: most runs should reach closure and appeals).
DEPTH = [
    CaseState.RECEIVED,
    CaseState.ACKNOWLEDGED,
    CaseState.SCREENING,
    CaseState.REFERRED,
    CaseState.EARLY_RESOLUTION,
    CaseState.DECLINED,
    CaseState.INVESTIGATION,
    CaseState.FINDINGS_REVIEW,
    CaseState.WITHDRAWN,
    CaseState.CLOSED,
    CaseState.APPEAL_REQUESTED,
    CaseState.APPEAL_DECIDED,
]

workflow_step = st.tuples(
    st.just("action"),
    # Mostly an action the table allows from the current state (so runs get deep into the
    # workflow), sometimes any action at all (so refusals are exercised too).
    st.one_of(st.integers(min_value=0, max_value=99), st.sampled_from(list(Action))),
    st.sampled_from([None, REASON, REASON]),
    st.sampled_from([-2, 0, 1, 5, 30, 72]),  # hours since the previous step; negative = clock skew
)
allegation_step = st.tuples(
    st.sampled_from(["add", "recommend", "decide"]),
    st.sampled_from(list(AllegationCategory)),
    st.sampled_from(list(Finding)),
    st.integers(min_value=0, max_value=5),
)
steps = st.lists(st.one_of(workflow_step, workflow_step, allegation_step), min_size=1, max_size=60)


def _check_invariants(session: Session, complaint_id: int, reason_used: bool) -> None:
    from portal.models import Complaint

    complaint = session.get(Complaint, complaint_id)
    assert complaint is not None
    if complaint.state in CLOSED_STATES:
        assert all(a.finding is not None for a in complaint.allegations), complaint.state
    changes = [e for e in complaint.status_events if e.kind is StatusEventKind.STATUS_CHANGE]
    if changes:
        assert changes[-1].public_status is PUBLIC_STATUS_OF[complaint.state]
    else:  # never left the first public status
        assert PUBLIC_STATUS_OF[complaint.state] is PublicStatus.RECEIVED
    public_times = [e.created_at for e in complaint.status_events]
    assert public_times == sorted(public_times)
    internal = session.scalars(
        select(CaseEvent).where(CaseEvent.complaint_id == complaint_id).order_by(CaseEvent.id)
    ).all()
    times = [e.at for e in internal]
    assert times == sorted(times)
    assert all(t >= complaint.received_at for t in times)
    if internal:
        assert internal[-1].to_state is complaint.state
        for before, after in itertools.pairwise(internal):
            assert after.from_state is before.to_state
    for public in complaint.status_events:
        text = public.message or ""
        assert REASON not in text and STAFF_NAME not in text
    if reason_used:
        assert any(e.reason == REASON for e in internal)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=steps)
def test_random_sequences_keep_the_invariants(
    property_engine: Engine, script: list[tuple[object, ...]]
) -> None:
    session = session_factory(property_engine)()
    try:
        staff = Staff(
            email=f"s{id(script)}@x.example",
            name=STAFF_NAME,
            role=StaffRole.SUPERVISOR,
            created_at=T0,
        )
        session.add(staff)
        complaint = make_complaint(session)
        now = T0
        reason_used = False
        visited = {complaint.state}
        for step in script:
            if step[0] == "action":
                _, pick, reason, hours = step
                if isinstance(pick, Action):
                    action = pick
                else:
                    # Withdrawal is allowed almost everywhere; leave it to the "any action" branch
                    # so runs are not cut short.
                    choices = [
                        a for a in allowed_actions(complaint.state) if a is not Action.WITHDRAW
                    ] or allowed_actions(complaint.state)
                    action = choices[pick % len(choices)]
                candidate = now + dt.timedelta(hours=hours)
                state_before = complaint.state
                events_before = len(complaint.status_events)
                try:
                    transition(complaint, action, actor_id=staff.id, now=candidate, reason=reason)
                except WorkflowError:
                    assert complaint.state is state_before
                    assert len(complaint.status_events) == events_before
                else:
                    now = candidate
                    reason_used = reason_used or reason is not None
                    assert hours >= 0, "a step back in time was accepted"
            elif complaint.state not in CLOSED_STATES:
                kind, category, finding, index = step
                if kind == "add":
                    if all(a.category is not category for a in complaint.allegations):
                        complaint.allegations.append(Allegation(category=category))
                elif complaint.allegations:
                    allegation = complaint.allegations[index % len(complaint.allegations)]
                    if kind == "recommend":
                        allegation.recommended_finding = finding
                    else:
                        allegation.finding = finding
            session.flush()
            _check_invariants(session, complaint.id, reason_used)
            visited.add(complaint.state)
        event(f"deepest: {max(visited, key=DEPTH.index).value}")
    finally:
        session.rollback()
        session.close()
