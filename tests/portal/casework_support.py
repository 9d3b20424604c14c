"""Factories for casework tests: complaints with complainants, officers and allegations.

Plain functions over a session (no fixtures), so unit tests, property tests and database tests
share them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from sqlalchemy.orm import Session

from portal.models import Allegation, Complainant, Complaint, InvolvedOfficer
from portal.vocabulary import AllegationCategory, CaseState, Channel, ContactMethod

T0 = dt.datetime(2025, 3, 3, 14, 0, tzinfo=dt.UTC)  # a Monday
_numbers = itertools.count(1)


def new_reference() -> str:
    """A unique, well-formed-looking reference for test complaints (not check-digit valid)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"LNT-{body[:4]}-{body[4:]}"


def make_complaint(
    session: Session,
    *,
    now: dt.datetime = T0,
    state: CaseState = CaseState.RECEIVED,
    channel: Channel = Channel.ONLINE,
    language: str = "en",
    email: str | None = None,
    name: str | None = "Alex Resident",
    district: str | None = "D01",
    categories: tuple[AllegationCategory, ...] = (),
) -> Complaint:
    """Add (and flush) a complaint received at ``now`` with one complainant and, for each
    category, an allegation against one unidentified officer."""
    complaint = Complaint(
        reference=new_reference(),
        channel=channel,
        state=state,
        received_at=now,
        narrative=f"Test narrative {next(_numbers)}",
        district=district,
        preferred_language=language,
        reported_categories=[c.value for c in categories],
        created_at=now,
        updated_at=now,
    )
    complaint.complainants.append(
        Complainant(
            name=name,
            email=email,
            language=language,
            contact_method=ContactMethod.EMAIL if email else ContactMethod.NONE,
        )
    )
    session.add(complaint)
    if categories:
        officer = InvolvedOfficer(description="Officer in a patrol car", is_unknown=True)
        complaint.officers.append(officer)
        for category in categories:
            complaint.allegations.append(Allegation(category=category, involved_officer=officer))
    session.flush()
    return complaint
