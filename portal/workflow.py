"""The case workflow: an explicit state machine over ``CaseState``, with no Flask.

Every change of a complaint's internal state goes through ``transition``. It looks the action up
in ``TRANSITIONS`` (the one table of what may follow what), checks the action's guard, applies
the change to the complaint, records an internal ``CaseEvent`` (actor, time, from → to, reason)
and — only when the *public* status changes (``PUBLIC_STATUS_OF`` in ``portal.vocabulary``) —
a public ``StatusEvent`` that carries the new public status and nothing else: never the internal
reason, never a staff name. Anything illegal raises ``WorkflowError`` with a message a member of
staff can act on, and changes nothing.

The decision is pure (``check`` works on plain values and is what the property tests drive);
``transition`` applies it to the ORM objects in the complaint's session without committing, so the
caller commits the change, its audit entry and its outbox email in one transaction.

Findings without a decision on the merits (DESIGN.md "closed_without_finding"): a case that
ends without an investigation gets, on every allegation that has no final finding yet, the
finding in ``AUTOMATIC_FINDINGS``: mediated (closed after early resolution), referred (closed
after a referral, or declined at screening: the vocabulary has no separate "declined" finding and
a decline is normally for matters another body handles), withdrawn (withdrawn by the
complainant). A closed case therefore always has a final finding on every allegation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from portal.vocabulary import (
    PUBLIC_STATUS_OF,
    CaseState,
    Finding,
    PublicStatus,
    ScreeningOutcome,
    StatusEventKind,
)

if TYPE_CHECKING:
    from portal.models import CaseEvent, Complaint

S = CaseState


class Action(StrEnum):
    """A named workflow transition (the value is what audit entries and forms use)."""

    ACKNOWLEDGE = "acknowledge"
    START_SCREENING = "start_screening"
    SCREEN_INVESTIGATE = "screen_investigate"
    SCREEN_EARLY_RESOLUTION = "screen_early_resolution"
    SCREEN_REFER = "screen_refer"
    SCREEN_DECLINE = "screen_decline"
    ESCALATE = "escalate"
    SUBMIT_FINDINGS = "submit_findings"
    RETURN_TO_INVESTIGATION = "return_to_investigation"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    REQUEST_APPEAL = "request_appeal"
    DECIDE_APPEAL = "decide_appeal"
    REOPEN = "reopen"


#: States in which a case is still being worked (neither closed nor under appeal).
OPEN_STATES: frozenset[CaseState] = frozenset(
    {
        S.RECEIVED,
        S.ACKNOWLEDGED,
        S.SCREENING,
        S.REFERRED,
        S.EARLY_RESOLUTION,
        S.INVESTIGATION,
        S.FINDINGS_REVIEW,
    }
)


@dataclass(frozen=True)
class Transition:
    """One row of the transition table: an action, where it may start, where it leads."""

    action: Action
    sources: frozenset[CaseState]
    target: CaseState
    description: str
    needs_reason: bool = False
    screening_outcome: ScreeningOutcome | None = None


def _row(
    action: Action,
    sources: Iterable[CaseState],
    target: CaseState,
    description: str,
    *,
    needs_reason: bool = False,
    screening_outcome: ScreeningOutcome | None = None,
) -> tuple[Action, Transition]:
    return action, Transition(
        action, frozenset(sources), target, description, needs_reason, screening_outcome
    )


#: The transition table. README "Casework and deadlines" shows it as a table; keep both in step.
TRANSITIONS: dict[Action, Transition] = dict(
    [
        _row(
            Action.ACKNOWLEDGE,
            [S.RECEIVED],
            S.ACKNOWLEDGED,
            "Tell the complainant the complaint was received and will be reviewed.",
        ),
        _row(
            Action.START_SCREENING,
            [S.RECEIVED, S.ACKNOWLEDGED],
            S.SCREENING,
            "Start reviewing the complaint against policy and jurisdiction.",
        ),
        _row(
            Action.SCREEN_INVESTIGATE,
            [S.SCREENING],
            S.INVESTIGATION,
            "Screening decision: open a full investigation.",
            screening_outcome=ScreeningOutcome.INVESTIGATE,
        ),
        _row(
            Action.SCREEN_EARLY_RESOLUTION,
            [S.SCREENING],
            S.EARLY_RESOLUTION,
            "Screening decision: early resolution (mediation or service recovery).",
            screening_outcome=ScreeningOutcome.EARLY_RESOLUTION,
        ),
        _row(
            Action.SCREEN_REFER,
            [S.SCREENING],
            S.REFERRED,
            "Screening decision: refer to another agency or service provider.",
            screening_outcome=ScreeningOutcome.REFER,
        ),
        _row(
            Action.SCREEN_DECLINE,
            [S.SCREENING],
            S.DECLINED,
            "Screening decision: decline (for example outside jurisdiction); a reason is required.",
            needs_reason=True,
            screening_outcome=ScreeningOutcome.DECLINE,
        ),
        _row(
            Action.ESCALATE,
            [S.EARLY_RESOLUTION, S.REFERRED],
            S.INVESTIGATION,
            "Early resolution or referral did not resolve it: open a full investigation.",
            needs_reason=True,
        ),
        _row(
            Action.SUBMIT_FINDINGS,
            [S.INVESTIGATION],
            S.FINDINGS_REVIEW,
            "Investigation finished: submit the recommended findings for review.",
        ),
        _row(
            Action.RETURN_TO_INVESTIGATION,
            [S.FINDINGS_REVIEW],
            S.INVESTIGATION,
            "The reviewer sends the case back for more investigation; a reason is required.",
            needs_reason=True,
        ),
        _row(
            Action.CLOSE,
            [S.FINDINGS_REVIEW, S.EARLY_RESOLUTION, S.REFERRED],
            S.CLOSED,
            "Close the case (after findings review, early resolution or referral).",
        ),
        _row(
            Action.WITHDRAW,
            OPEN_STATES,
            S.WITHDRAWN,
            "The complainant withdrew the complaint.",
        ),
        _row(
            Action.REQUEST_APPEAL,
            [S.CLOSED, S.DECLINED],
            S.APPEAL_REQUESTED,
            "The complainant asks for a review of the outcome.",
        ),
        _row(
            Action.DECIDE_APPEAL,
            [S.APPEAL_REQUESTED],
            S.APPEAL_DECIDED,
            "The appeal is decided: outcome upheld or appeal denied.",
        ),
        _row(
            Action.REOPEN,
            [S.APPEAL_REQUESTED, S.CLOSED, S.DECLINED, S.WITHDRAWN, S.APPEAL_DECIDED],
            S.INVESTIGATION,
            "Reopen the case for investigation (appeal granted or new information); "
            "a reason is required.",
            needs_reason=True,
        ),
    ]
)

#: Finding given to every allegation without a final finding when a case ends without an
#: investigation, keyed by (action, state it leaves).
AUTOMATIC_FINDINGS: dict[tuple[Action, CaseState], Finding] = {
    (Action.CLOSE, S.EARLY_RESOLUTION): Finding.MEDIATED,
    (Action.CLOSE, S.REFERRED): Finding.REFERRED,
    (Action.SCREEN_DECLINE, S.SCREENING): Finding.REFERRED,
    **{(Action.WITHDRAW, state): Finding.WITHDRAWN for state in OPEN_STATES},
}


class WorkflowError(ValueError):
    """An action refused by the workflow. ``code`` is stable (for translated messages);
    ``str(error)`` is a plain-English explanation for staff. Nothing was changed."""

    def __init__(self, code: str, message: str, *, action: str, state: CaseState) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action
        self.state = state


@dataclass(frozen=True)
class AllegationFacts:
    """What the guards need to know about one allegation."""

    has_recommended_finding: bool
    has_final_finding: bool


def allowed_actions(state: CaseState) -> list[Action]:
    """The actions that may start from ``state``, in table order (guards not yet checked)."""
    return [action for action, row in TRANSITIONS.items() if state in row.sources]


def _state_phrase(state: CaseState) -> str:
    return state.value.replace("_", " ")


def check(
    state: CaseState,
    action: Action | str,
    *,
    allegations: Sequence[AllegationFacts] = (),
    reason: str | None = None,
) -> Transition:
    """Decide whether ``action`` may happen now (pure: no database, no side effects).

    Returns the ``Transition`` row. Raises ``WorkflowError`` when the action is unknown, cannot
    start from ``state``, needs a reason that is missing, or its guard fails:
    submit_findings needs at least one allegation, each with a recommended finding; close after
    findings review needs a final finding on every allegation.
    """
    try:
        act = Action(action)
    except ValueError:
        raise WorkflowError(
            "unknown_action",
            f"'{action}' is not a workflow action.",
            action=str(action),
            state=state,
        ) from None
    row = TRANSITIONS[act]
    if state not in row.sources:
        allowed = ", ".join(a.value for a in allowed_actions(state)) or "none"
        raise WorkflowError(
            "not_allowed",
            f"A case that is {_state_phrase(state)} cannot be '{act.value}'d "
            f"(allowed from here: {allowed}).",
            action=act.value,
            state=state,
        )
    if row.needs_reason and not (reason and reason.strip()):
        raise WorkflowError(
            "reason_required",
            f"'{act.value}' needs a reason: write why in the reason box.",
            action=act.value,
            state=state,
        )
    if act is Action.SUBMIT_FINDINGS:
        if not allegations:
            raise WorkflowError(
                "no_allegations",
                "Record at least one allegation (officer × category) before submitting findings.",
                action=act.value,
                state=state,
            )
        missing = sum(1 for a in allegations if not a.has_recommended_finding)
        if missing:
            raise WorkflowError(
                "recommended_finding_missing",
                f"{missing} allegation(s) have no recommended finding yet; "
                "recommend a finding on every allegation first.",
                action=act.value,
                state=state,
            )
    if act is Action.CLOSE and state is S.FINDINGS_REVIEW:
        missing = sum(1 for a in allegations if not a.has_final_finding)
        if missing:
            raise WorkflowError(
                "final_finding_missing",
                f"{missing} allegation(s) have no final finding; decide every allegation "
                "before closing.",
                action=act.value,
                state=state,
            )
    return row


def ensure_time_moves_forward(
    latest: dt.datetime | None, now: dt.datetime, *, state: CaseState = S.RECEIVED
) -> None:
    """Refuse a ``now`` that is naive (``ValueError``) or earlier than ``latest``
    (``WorkflowError`` code ``time_backwards``)."""
    if now.tzinfo is None:
        raise ValueError("workflow time must be timezone-aware UTC")
    if latest is not None and now < latest:
        raise WorkflowError(
            "time_backwards",
            "This change is dated before the case's last recorded event; check the clock.",
            action="",
            state=state,
        )


def latest_event_time(complaint: Complaint) -> dt.datetime | None:
    """The latest time recorded on the case's timelines (received, public and internal events)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import object_session

    from portal.models import CaseEvent

    times = [complaint.received_at] + [e.created_at for e in complaint.status_events]
    session = object_session(complaint)
    if session is not None and complaint.id is not None:
        last = session.scalar(
            select(func.max(CaseEvent.at)).where(CaseEvent.complaint_id == complaint.id)
        )
        if last is not None:
            times.append(last if last.tzinfo else last.replace(tzinfo=dt.UTC))
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _facts(complaint: Complaint) -> list[AllegationFacts]:
    return [
        AllegationFacts(
            has_recommended_finding=a.recommended_finding is not None,
            has_final_finding=a.finding is not None,
        )
        for a in complaint.allegations
    ]


def transition(
    complaint: Complaint,
    action: Action | str,
    *,
    actor_id: int | None,
    now: dt.datetime,
    reason: str | None = None,
) -> CaseEvent:
    """Move ``complaint`` through ``action`` and record it; return the new ``CaseEvent``.

    Validates with ``check`` and refuses a ``now`` earlier than the case's latest event
    (``WorkflowError``, nothing changed). On success: sets ``state`` (and ``screening_outcome``,
    ``screened_at``, ``screening_reason`` for screening actions, ``closed_at`` when entering a
    closed state, clears it on reopen), gives automatic findings (``AUTOMATIC_FINDINGS``), adds a
    ``CaseEvent`` and — when the public status changes — a ``StatusEvent`` (kind status_change,
    no message) and sets ``last_complainant_update_at``. The complaint must belong to a session;
    nothing is committed. Audit entries and emails are the calling service's job.
    """
    from sqlalchemy.orm import object_session

    from portal.models import CaseEvent, StatusEvent

    session = object_session(complaint)
    if session is None:
        raise ValueError("the complaint must be in a session")
    before = complaint.state
    row = check(before, action, allegations=_facts(complaint), reason=reason)
    ensure_time_moves_forward(latest_event_time(complaint), now, state=before)

    finding = AUTOMATIC_FINDINGS.get((row.action, before))
    if finding is not None:
        for allegation in complaint.allegations:
            if allegation.finding is None:
                allegation.finding = finding
                allegation.decided_at = now
    if row.screening_outcome is not None:
        complaint.screening_outcome = row.screening_outcome
        complaint.screened_at = now
        complaint.screening_reason = reason
    if row.action is Action.REOPEN:
        complaint.closed_at = None
    elif row.target in (S.CLOSED, S.DECLINED, S.WITHDRAWN):
        complaint.closed_at = now
    complaint.state = row.target
    complaint.updated_at = now

    if complaint.id is None:
        session.flush()
    event = CaseEvent(
        complaint_id=complaint.id,
        from_state=before,
        to_state=row.target,
        at=now,
        actor_id=actor_id,
        reason=reason,
    )
    session.add(event)
    if public_status_changes(before, row.target):
        complaint.status_events.append(
            StatusEvent(
                kind=StatusEventKind.STATUS_CHANGE,
                public_status=PUBLIC_STATUS_OF[row.target],
                message=None,
                created_at=now,
                actor_id=actor_id,
            )
        )
        complaint.last_complainant_update_at = now
    return event


def public_status_changes(before: CaseState, after: CaseState) -> bool:
    """Whether moving ``before`` → ``after`` changes what the complainant sees (e.g.
    received → acknowledged does not: both are "received")."""
    return PUBLIC_STATUS_OF[before] != PUBLIC_STATUS_OF[after]


def record_creation(complaint: Complaint, *, actor_id: int | None, now: dt.datetime) -> CaseEvent:
    """Record a new complaint's first internal event (none → received) and public status event.

    For intake services: call after adding the complaint (state ``received``) to its session.
    """
    from sqlalchemy.orm import object_session

    from portal.models import CaseEvent, StatusEvent

    session = object_session(complaint)
    if session is None:
        raise ValueError("the complaint must be in a session")
    if complaint.id is None:
        session.flush()
    event = CaseEvent(
        complaint_id=complaint.id,
        from_state=None,
        to_state=complaint.state,
        at=now,
        actor_id=actor_id,
        reason=None,
    )
    session.add(event)
    if not complaint.status_events:
        complaint.status_events.append(
            StatusEvent(
                kind=StatusEventKind.STATUS_CHANGE,
                public_status=PUBLIC_STATUS_OF[complaint.state],
                created_at=now,
                actor_id=actor_id,
            )
        )
    return event


def public_status_of(state: CaseState) -> PublicStatus:
    """The public status for an internal state (the explicit mapping in ``portal.vocabulary``)."""
    return PUBLIC_STATUS_OF[state]
