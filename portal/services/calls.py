"""Phone calls made or taken on a case: who, when, which number, with whom, how it went, a note.

A call is an ``Activity`` of kind ``phone_call`` with its ``call_*`` columns, ``occurred_at`` and
``phone_number`` (personal data: masked in the audit trail, and shown only as ``masked_number``
to a role that may not see contact details). Calls may be recorded on closed cases too (a
complainant calls about a review). A call that reached the complainant is an update: it restarts
the "update the complainant every N days" clock.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Activity, Staff
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.permissions import Permission
from portal.vocabulary import ActivityKind, CallDirection, CallOutcome, CallParty

MAX_NOTE_CHARS = 5000
_PHONE = re.compile(r"^\+?[0-9 ().\-/]{3,40}$")
#: Calls may be logged a few minutes "in the future" (clocks of phones and servers differ).
CLOCK_SKEW = dt.timedelta(minutes=10)


def clean_number(value: str) -> str:
    """The number as typed, trimmed; ``CaseworkError`` unless it looks like a phone number (3–40
    characters: digits, spaces, + ( ) . - /, at least 3 digits)."""
    number = " ".join(value.split())
    if not _PHONE.match(number) or sum(ch.isdigit() for ch in number) < 3:
        raise CaseworkError("Enter the phone number with digits, like 555 010 0100.")
    return number


def masked_number(number: str | None) -> str:
    """A phone number with all but its last two digits hidden ("•••• 34"); "" for none."""
    digits = [ch for ch in number or "" if ch.isdigit()]
    if not digits:
        return ""
    return "•••• " + "".join(digits[-2:])


def record_call(
    session: Session,
    complaint_id: int,
    *,
    direction: CallDirection,
    party: CallParty,
    number: str,
    occurred_at: dt.datetime,
    outcome: CallOutcome,
    note: str,
    actor: Staff,
    now: dt.datetime,
) -> Activity:
    """Record a phone call on the case (audited as ``call.record``; number and note masked).

    ``occurred_at`` may not be in the future (beyond a few minutes of clock skew) nor before the
    day the complaint was received. Not committed. Raises ``CaseworkError`` before any change.
    """
    require(actor, Permission.CASE_MESSAGE)
    complaint = load_complaint(session, complaint_id)
    number = clean_number(number)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise CaseworkError(f"Keep the note under {MAX_NOTE_CHARS} characters.")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > now + CLOCK_SKEW:
        raise CaseworkError("The call cannot be in the future.")
    if occurred_at.date() < complaint.received_at.date():
        raise CaseworkError("The call cannot be before the complaint was received.")
    call = Activity(
        complaint_id=complaint.id,
        kind=ActivityKind.PHONE_CALL,
        occurred_on=occurred_at.date(),
        occurred_at=occurred_at,
        call_direction=direction,
        call_party=party,
        call_outcome=outcome,
        phone_number=number,
        summary=note,
        actor_id=actor.id,
        created_at=now,
    )
    session.add(call)
    complaint.updated_at = now
    if party is CallParty.COMPLAINANT and outcome is CallOutcome.REACHED:
        last = complaint.last_complainant_update_at
        if last is None or occurred_at > last:
            complaint.last_complainant_update_at = min(occurred_at, now)
    session.flush()
    record(
        session,
        actor,
        "call.record",
        "complaint",
        complaint.id,
        now,
        after={
            "direction": direction,
            "party": party,
            "outcome": outcome,
            "occurred_at": occurred_at,
            "phone_number": number,
            "note": note,
        },
        personal=("phone_number", "note"),
        detail=f"activity={call.id}",
    )
    return call


def call_log(session: Session, complaint_id: int) -> list[Activity]:
    """The phone calls recorded on a case, oldest first (number and note are personal: a view
    for a role without ``case.view`` shows ``masked_number`` and no note)."""
    return list(
        session.scalars(
            select(Activity)
            .where(
                Activity.complaint_id == complaint_id,
                Activity.kind == ActivityKind.PHONE_CALL,
            )
            .order_by(Activity.occurred_at, Activity.id)
        )
    )
