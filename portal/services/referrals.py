"""The referral directory (agencies and service providers staff maintain) and referral
follow-up. Re-exported by ``portal.services.casework``; same conventions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Agency, Referral, Staff
from portal.services.caserules import CaseworkError, record, require, start_write
from portal.services.permissions import Permission


def add_agency(
    session: Session,
    *,
    name: str,
    contact: str | None,
    handles: str | None,
    actor: Staff,
    now: dt.datetime,
) -> Agency:
    """Add an agency or service provider to the referral directory (names are unique)."""
    require(actor, Permission.REFERRAL_DIRECTORY)
    start_write(session)
    name = " ".join(name.split())
    if not name:
        raise CaseworkError("Give the agency a name.")
    if session.scalar(select(Agency.id).where(Agency.name == name)) is not None:
        raise CaseworkError("An agency with this name is already in the directory.")
    agency = Agency(name=name, contact=contact or None, handles=handles or None, is_active=True)
    session.add(agency)
    session.flush()
    record(
        session,
        actor,
        "agency.add",
        "agency",
        agency.id,
        now,
        after={"name": name, "contact": contact, "handles": handles, "is_active": True},
    )
    return agency


def edit_agency(
    session: Session,
    agency_id: int,
    *,
    actor: Staff,
    now: dt.datetime,
    name: str | None = None,
    contact: str | None = None,
    handles: str | None = None,
    is_active: bool | None = None,
) -> Agency:
    """Change an agency's details (only the arguments given); retire it with ``is_active=False``."""
    require(actor, Permission.REFERRAL_DIRECTORY)
    start_write(session)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise CaseworkError("There is no such agency.")
    fields = ("name", "contact", "handles", "is_active")
    before = {key: getattr(agency, key) for key in fields}
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise CaseworkError("Give the agency a name.")
        clash = session.scalar(select(Agency.id).where(Agency.name == name, Agency.id != agency.id))
        if clash is not None:
            raise CaseworkError("An agency with this name is already in the directory.")
        agency.name = name
    if contact is not None:
        agency.contact = contact or None
    if handles is not None:
        agency.handles = handles or None
    if is_active is not None:
        agency.is_active = is_active
    record(
        session,
        actor,
        "agency.edit",
        "agency",
        agency.id,
        now,
        before,
        {key: getattr(agency, key) for key in fields},
    )
    return agency


def list_agencies(session: Session, *, active_only: bool = True) -> list[Agency]:
    """The referral directory, by name (active agencies only unless ``active_only`` is False)."""
    query = select(Agency).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.is_active.is_(True))
    return list(session.scalars(query))


def record_referral_outcome(
    session: Session, referral_id: int, *, outcome: str, actor: Staff, now: dt.datetime
) -> Referral:
    """Record what the agency did with a referral (the follow-up)."""
    require(actor, Permission.CASE_SCREEN)
    start_write(session)
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise CaseworkError("There is no such referral.")
    outcome = outcome.strip()
    if not outcome:
        raise CaseworkError("Describe the outcome the agency reported.")
    before = {"outcome": referral.outcome, "outcome_at": referral.outcome_at}
    referral.outcome, referral.outcome_at = outcome, now
    record(
        session,
        actor,
        "referral.outcome",
        "complaint",
        referral.complaint_id,
        now,
        before,
        {"outcome": outcome, "outcome_at": now},
        personal=("outcome",),
        detail=f"referral={referral.id}",
    )
    return referral


def referrals_due(session: Session, today: dt.date) -> list[Referral]:
    """Referrals without an outcome whose follow-up date is today or earlier, oldest first."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.outcome_at.is_(None), Referral.follow_up_on <= today)
            .order_by(Referral.follow_up_on, Referral.id)
        )
    )
