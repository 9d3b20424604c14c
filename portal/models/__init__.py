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
from portal.models.corrections import AccessCodeReissue, Correction
from portal.models.desk import CaseNotice, CaseSeen
from portal.models.lookup import LookupLock
from portal.models.officer_match import OfficerMatch
from portal.models.records import Disposal, LegalHold
from portal.models.search import SearchDocument
from portal.models.staff import AuditEntry, RecoveryCode, SignInLock, Staff

__all__ = [
    "AccessCodeReissue",
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
    "Correction",
    "Disposal",
    "InternalNote",
    "InvolvedOfficer",
    "LegalHold",
    "LookupLock",
    "Officer",
    "OfficerMatch",
    "OutboxMessage",
    "RecoveryCode",
    "Referral",
    "SearchDocument",
    "SignInLock",
    "Staff",
    "StatusEvent",
    "SurveyResponse",
    "UTCDateTime",
]
