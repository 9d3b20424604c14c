"""Lantern's domain vocabulary: the one place the portal and the publisher both import.

Every enumeration is a ``StrEnum`` whose *value* is what the database stores and what a release
publishes, so a value never changes once released. Plain-language labels for residents live in
the portal's templates and translation catalogs, not here; the publisher's Table Schemas list the
same values as their ``enum`` constraints.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a complaint reached the office."""

    ONLINE = "online"
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    WALK_IN = "walk_in"
    REFERRAL = "referral"
    INTERNAL = "internal"


#: Channels staff may choose when they enter a complaint on someone's behalf.
STAFF_INTAKE_CHANNELS: tuple[Channel, ...] = (
    Channel.PHONE,
    Channel.EMAIL,
    Channel.LETTER,
    Channel.WALK_IN,
    Channel.REFERRAL,
    Channel.INTERNAL,
)


class AllegationCategory(StrEnum):
    """What kind of conduct an allegation is about (configurable list; these are the defaults)."""

    FORCE = "force"
    ABUSE_OF_AUTHORITY = "abuse_of_authority"
    DISCOURTESY = "discourtesy"
    OFFENSIVE_LANGUAGE = "offensive_language"
    BIAS = "bias"
    IMPROPER_SEARCH_OR_SEIZURE = "improper_search_or_seizure"
    FAILURE_TO_PROVIDE_SERVICE = "failure_to_provide_service"
    UNTRUTHFULNESS = "untruthfulness"
    SEXUAL_MISCONDUCT = "sexual_misconduct"
    OTHER = "other"


class Finding(StrEnum):
    """The outcome of one allegation."""

    SUSTAINED = "sustained"
    NOT_SUSTAINED = "not_sustained"
    EXONERATED = "exonerated"
    UNFOUNDED = "unfounded"
    POLICY_FAILURE = "policy_failure"
    OFFICER_UNIDENTIFIED = "officer_unidentified"
    WITHDRAWN = "withdrawn"
    COMPLAINANT_UNAVAILABLE = "complainant_unavailable"
    MEDIATED = "mediated"
    REFERRED = "referred"


#: Findings that close an allegation without a finding on the merits.
CLOSED_WITHOUT_FINDING: frozenset[Finding] = frozenset(
    {Finding.WITHDRAWN, Finding.COMPLAINANT_UNAVAILABLE, Finding.MEDIATED, Finding.REFERRED}
)


class Discipline(StrEnum):
    """Discipline imposed for an allegation (normally only a sustained one)."""

    NONE = "none"
    TRAINING = "training"
    COUNSELING = "counseling"
    WRITTEN_REPRIMAND = "written_reprimand"
    SUSPENSION = "suspension"
    DEMOTION = "demotion"
    TERMINATION = "termination"
    RESIGNED_BEFORE_DISCIPLINE = "resigned_before_discipline"
    PENDING = "pending"


class ScreeningOutcome(StrEnum):
    """The decision taken after intake."""

    INVESTIGATE = "investigate"
    EARLY_RESOLUTION = "early_resolution"
    REFER = "refer"
    DECLINE = "decline"


class CaseState(StrEnum):
    """The internal workflow state of a complaint (finer than what the public sees)."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    SCREENING = "screening"
    REFERRED = "referred"
    EARLY_RESOLUTION = "early_resolution"
    DECLINED = "declined"
    INVESTIGATION = "investigation"
    FINDINGS_REVIEW = "findings_review"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    APPEAL_REQUESTED = "appeal_requested"
    APPEAL_DECIDED = "appeal_decided"


class PublicStatus(StrEnum):
    """What a complainant sees on the status page, in plain language."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    REFERRED = "referred"
    EARLY_RESOLUTION = "early_resolution"
    UNDER_INVESTIGATION = "under_investigation"
    FINDINGS_REVIEW = "findings_review"
    CLOSED = "closed"
    APPEAL_REQUESTED = "appeal_requested"
    APPEAL_DECIDED = "appeal_decided"


#: The explicit, exhaustive mapping from internal state to public status.
PUBLIC_STATUS_OF: dict[CaseState, PublicStatus] = {
    CaseState.RECEIVED: PublicStatus.RECEIVED,
    CaseState.ACKNOWLEDGED: PublicStatus.RECEIVED,
    CaseState.SCREENING: PublicStatus.UNDER_REVIEW,
    CaseState.REFERRED: PublicStatus.REFERRED,
    CaseState.EARLY_RESOLUTION: PublicStatus.EARLY_RESOLUTION,
    CaseState.DECLINED: PublicStatus.CLOSED,
    CaseState.INVESTIGATION: PublicStatus.UNDER_INVESTIGATION,
    CaseState.FINDINGS_REVIEW: PublicStatus.FINDINGS_REVIEW,
    CaseState.CLOSED: PublicStatus.CLOSED,
    CaseState.WITHDRAWN: PublicStatus.CLOSED,
    CaseState.APPEAL_REQUESTED: PublicStatus.APPEAL_REQUESTED,
    CaseState.APPEAL_DECIDED: PublicStatus.APPEAL_DECIDED,
}

#: Internal states in which a case counts as closed (eligible for publication).
CLOSED_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.CLOSED,
        CaseState.DECLINED,
        CaseState.WITHDRAWN,
        CaseState.APPEAL_REQUESTED,
        CaseState.APPEAL_DECIDED,
    }
)


class ContactMethod(StrEnum):
    """How a complainant prefers to be contacted."""

    EMAIL = "email"
    PHONE = "phone"
    POST = "post"
    NONE = "none"


class ComplainantRole(StrEnum):
    """Whose complaint it is."""

    SELF = "self"
    ON_BEHALF = "on_behalf"
    WITNESS = "witness"


class Gender(StrEnum):
    """Self-described gender (optional, for equity statistics)."""

    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"
    UNKNOWN = "unknown"


class Race(StrEnum):
    """Self-described race or ethnicity (optional, for equity statistics)."""

    BLACK = "black"
    WHITE = "white"
    LATINO = "latino"
    ASIAN = "asian"
    NATIVE_AMERICAN = "native_american"
    MIDDLE_EASTERN = "middle_eastern"
    PACIFIC_ISLANDER = "pacific_islander"
    MULTIRACIAL = "multiracial"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    """Self-described age band (residents never give an exact age online)."""

    UNDER_18 = "under_18"
    AGE_18_24 = "18_24"
    AGE_25_34 = "25_34"
    AGE_35_44 = "35_44"
    AGE_45_54 = "45_54"
    AGE_55_64 = "55_64"
    AGE_65_PLUS = "65_plus"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


def age_band_of(age: int | None) -> AgeBand | None:
    """The band of an exact age, the one the publisher derives in SQL
    (``publisher.extract``); None for no age or a negative one."""
    if age is None or age < 0:
        return None
    for upper, band in (
        (17, AgeBand.UNDER_18),
        (24, AgeBand.AGE_18_24),
        (34, AgeBand.AGE_25_34),
        (44, AgeBand.AGE_35_44),
        (54, AgeBand.AGE_45_54),
        (64, AgeBand.AGE_55_64),
    ):
        if age <= upper:
            return band
    return AgeBand.AGE_65_PLUS


class StatusEventKind(StrEnum):
    """What a public status event records."""

    STATUS_CHANGE = "status_change"
    MESSAGE = "message"
    INFORMATION_ADDED = "information_added"
    EVIDENCE_ADDED = "evidence_added"


class StaffRole(StrEnum):
    """Roles of oversight staff (least privilege: see ``portal.auth.permissions``)."""

    INTAKE = "intake"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    COMMISSIONER = "commissioner"


class ActivityKind(StrEnum):
    """Investigation activities an investigator logs."""

    INTERVIEW_COMPLAINANT = "interview_complainant"
    INTERVIEW_WITNESS = "interview_witness"
    INTERVIEW_OFFICER = "interview_officer"
    EVIDENCE_REQUESTED = "evidence_requested"
    EVIDENCE_RECEIVED = "evidence_received"
    BODY_WORN_CAMERA_REVIEW = "body_worn_camera_review"
    SITE_VISIT = "site_visit"
    PHONE_CALL = "phone_call"  # recorded with the call form (direction, party, outcome, number)
    OTHER = "other"


class CallDirection(StrEnum):
    """Whether staff made the phone call or took it."""

    MADE = "made"
    RECEIVED = "received"


class CallParty(StrEnum):
    """Who was on the other end of a phone call."""

    COMPLAINANT = "complainant"
    WITNESS = "witness"
    OFFICER = "officer"
    AGENCY = "agency"
    OTHER = "other"


class CallOutcome(StrEnum):
    """How a phone call went."""

    REACHED = "reached"
    LEFT_MESSAGE = "left_message"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    DISCONNECTED = "disconnected"


class MessageChannel(StrEnum):
    """How a message to a complainant goes out (one outbox row per message and channel)."""

    EMAIL = "email"
    LETTER = "letter"  # printed and posted by staff (the "Letters to print" page)
    SMS = "sms"  # through the configured SMS sender (LANTERN_SMS_URL)


class OutboxStatus(StrEnum):
    """Delivery state of a queued message (email, SMS or letter).

    ``pending`` → (``retrying`` after a failed attempt, with ``last_error`` and the next try in
    ``next_attempt_at``) → ``sent``, or ``failed`` once the sender refused it for good or the
    attempts ran out. Letters go ``pending`` → ``printed`` → ``sent`` (mailed) by staff hands.
    Undelivered and still trying: ``retrying``; given up: ``failed``.
    """

    PENDING = "pending"
    RETRYING = "retrying"
    PRINTED = "printed"
    SENT = "sent"
    FAILED = "failed"


class AppealState(StrEnum):
    """State of a complainant's appeal."""

    REQUESTED = "requested"
    UPHELD = "upheld"
    REOPENED = "reopened"
    DENIED = "denied"
