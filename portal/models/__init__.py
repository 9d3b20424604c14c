"""Lantern's SQLAlchemy models. Import from here: ``from portal.models import Complaint``."""

from portal.models.base import Base, UTCDateTime
from portal.models.casework import (
    Activity,
    Agency,
    Appeal,
    CaseEvent,
    ComplaintLink,
    InternalNote,
    OutboxMessage,
    Referral,
    SurveyResponse,
)
from portal.models.complaint import (
    Allegation,
    Attachment,
    Complainant,
    Complaint,
    InvolvedOfficer,
    Officer,
    StatusEvent,
)
from portal.models.desk import CaseNotice, CaseSeen
from portal.models.lookup import LookupLock
from portal.models.officer_match import OfficerMatch
from portal.models.staff import AuditEntry, RecoveryCode, SignInLock, Staff

__all__ = [
    "Activity",
    "Agency",
    "Allegation",
    "Appeal",
    "Attachment",
    "AuditEntry",
    "Base",
    "CaseEvent",
    "CaseNotice",
    "CaseSeen",
    "Complainant",
    "Complaint",
    "ComplaintLink",
    "InternalNote",
    "InvolvedOfficer",
    "LookupLock",
    "Officer",
    "OfficerMatch",
    "OutboxMessage",
    "RecoveryCode",
    "Referral",
    "SignInLock",
    "Staff",
    "StatusEvent",
    "SurveyResponse",
    "UTCDateTime",
]
