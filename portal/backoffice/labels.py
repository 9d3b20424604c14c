"""Staff-facing labels for the vocabulary's values (states, channels, categories, findings...).

Templates use the ``label`` filter: ``{{ complaint.state | label }}``. A value without a label
falls back to its words ("abuse_of_authority" → "abuse of authority"), so a new vocabulary value
never breaks a page.
"""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l

LABELS: dict[str, object] = {
    # internal states
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "screening": _l("Screening"),
    "referred": _l("Referred"),
    "early_resolution": _l("Early resolution"),
    "declined": _l("Declined"),
    "investigation": _l("Investigation"),
    "findings_review": _l("Findings review"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
    "appeal_requested": _l("Appeal requested"),
    "appeal_decided": _l("Appeal decided"),
    # public statuses not named above
    "under_review": _l("Under review"),
    "under_investigation": _l("Under investigation"),
    # channels
    "online": _l("Online"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "letter": _l("Letter"),
    "walk_in": _l("Walk-in"),
    "referral": _l("Referral from another agency"),
    "internal": _l("Internal"),
    # categories
    "force": _l("Force"),
    "abuse_of_authority": _l("Abuse of authority"),
    "discourtesy": _l("Discourtesy"),
    "offensive_language": _l("Offensive language"),
    "bias": _l("Bias"),
    "improper_search_or_seizure": _l("Improper search or seizure"),
    "failure_to_provide_service": _l("Failure to provide service"),
    "untruthfulness": _l("Untruthfulness"),
    "sexual_misconduct": _l("Sexual misconduct"),
    "other": _l("Other"),
    # findings
    "sustained": _l("Sustained"),
    "not_sustained": _l("Not sustained"),
    "exonerated": _l("Exonerated"),
    "unfounded": _l("Unfounded"),
    "policy_failure": _l("Policy failure"),
    "officer_unidentified": _l("Officer unidentified"),
    "complainant_unavailable": _l("Complainant unavailable"),
    "mediated": _l("Mediated"),
    # discipline
    "none": _l("None"),
    "training": _l("Training"),
    "counseling": _l("Counseling"),
    "written_reprimand": _l("Written reprimand"),
    "suspension": _l("Suspension"),
    "demotion": _l("Demotion"),
    "termination": _l("Termination"),
    "resigned_before_discipline": _l("Resigned before discipline"),
    "pending": _l("Pending"),
    # screening outcomes
    "investigate": _l("Investigate"),
    "refer": _l("Refer"),
    "decline": _l("Decline"),
    # activities
    "interview_complainant": _l("Interview with the complainant"),
    "interview_witness": _l("Interview with a witness"),
    "interview_officer": _l("Interview with an officer"),
    "evidence_requested": _l("Evidence requested"),
    "evidence_received": _l("Evidence received"),
    "body_worn_camera_review": _l("Body-worn camera review"),
    "site_visit": _l("Site visit"),
    "phone_call": _l("Phone call"),
    # phone calls
    "made": _l("We called"),
    "complainant": _l("Complainant"),
    "officer": _l("Officer"),
    "agency": _l("Agency"),
    "reached": _l("Reached"),
    "left_message": _l("Left a message"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy"),
    "wrong_number": _l("Wrong number"),
    "disconnected": _l("Number not in service"),
    # messages to complainants: channels and delivery
    "sms": _l("SMS"),
    "retrying": _l("Not delivered yet, retrying"),
    "printed": _l("Printed, not mailed yet"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    # appeals
    "requested": _l("Requested"),
    "upheld": _l("Outcome upheld"),
    "reopened": _l("Reopened"),
    "denied": _l("Denied"),
    # complainant roles and contact
    "self": _l("The person it happened to"),
    "on_behalf": _l("On behalf of someone else"),
    "witness": _l("Witness"),
    "post": _l("Letter"),
}


def label(value: object) -> str:
    """The staff label of a vocabulary value (an enum member or its string value)."""
    if value is None:
        return ""
    key = value.value if isinstance(value, Enum) else str(value)
    found = LABELS.get(key)
    return str(found) if found is not None else key.replace("_", " ")


def lazy_label(value: Enum) -> object:
    """Like ``label`` but translated when rendered (for choices built at import time)."""
    return LABELS.get(value.value, value.value.replace("_", " "))
