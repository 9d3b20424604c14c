"""Plain-language words for public statuses and "what happens next" (translated per request).

The staff area may import ``status_name`` to show staff what the complainant sees.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _

from portal.vocabulary import PublicStatus

# Lazy strings: only the one a page shows is translated (each lookup costs a catalog query).
_NAMES: dict[PublicStatus, LazyString] = {
    PublicStatus.RECEIVED: lazy_gettext("Received"),
    PublicStatus.UNDER_REVIEW: lazy_gettext("Being reviewed"),
    PublicStatus.REFERRED: lazy_gettext("Sent to another agency"),
    PublicStatus.EARLY_RESOLUTION: lazy_gettext("Being resolved without a full investigation"),
    PublicStatus.UNDER_INVESTIGATION: lazy_gettext("Being investigated"),
    PublicStatus.FINDINGS_REVIEW: lazy_gettext("Investigation finished, decision being checked"),
    PublicStatus.CLOSED: lazy_gettext("Closed"),
    PublicStatus.APPEAL_REQUESTED: lazy_gettext("Review of the decision requested"),
    PublicStatus.APPEAL_DECIDED: lazy_gettext("Review of the decision finished"),
}

_MEANINGS: dict[PublicStatus, LazyString] = {
    PublicStatus.RECEIVED: lazy_gettext(
        "We have your complaint. Nobody has been assigned to it yet."
    ),
    PublicStatus.UNDER_REVIEW: lazy_gettext(
        "A member of our staff is reading your complaint to decide how we should handle it."
    ),
    PublicStatus.REFERRED: lazy_gettext(
        "Another agency is better placed to deal with what you told us, so we sent your "
        "complaint to them. We still follow it."
    ),
    PublicStatus.EARLY_RESOLUTION: lazy_gettext(
        "We are trying to resolve your complaint quickly, for example with a mediated "
        "conversation, instead of a full investigation."
    ),
    PublicStatus.UNDER_INVESTIGATION: lazy_gettext(
        "An investigator is collecting evidence and talking to the people involved."
    ),
    PublicStatus.FINDINGS_REVIEW: lazy_gettext(
        "The investigator has finished. A supervisor is checking the findings before they "
        "are final."
    ),
    PublicStatus.CLOSED: lazy_gettext("We have finished our work on your complaint."),
    PublicStatus.APPEAL_REQUESTED: lazy_gettext(
        "Someone who did not work on your complaint is reviewing our decision."
    ),
    PublicStatus.APPEAL_DECIDED: lazy_gettext("The review of our decision is finished."),
}

_NEXT: dict[str, LazyString] = {
    "received": lazy_gettext(
        "We will read your complaint and decide how to handle it. We will tell you what we decide."
    ),
    "under_review": lazy_gettext(
        "We will decide whether to investigate, try to resolve it another way, or send it to "
        "another agency, and tell you why."
    ),
    "referred": lazy_gettext(
        "We will check with the other agency and tell you what they did about your complaint."
    ),
    "early_resolution": lazy_gettext(
        "Someone from our office will contact you to agree how to resolve your complaint."
    ),
    "under_investigation": lazy_gettext(
        "The investigator will keep working on your complaint and may contact you with "
        "questions. We will update you regularly."
    ),
    "findings_review": lazy_gettext("We will write to you with the outcome of the investigation."),
    "closed": lazy_gettext(
        "If you disagree with the outcome, you can ask for a review of our decision."
    ),
    "closed_final": lazy_gettext("Nothing more will happen with this complaint."),
    "withdrawn": lazy_gettext(
        "You withdrew this complaint, so we will not do anything more with it. If you want "
        "us to look into it again, you can make a new complaint."
    ),
    "appeal_requested": lazy_gettext("We will write to you with the result of the review."),
    "appeal_decided": lazy_gettext("This is our final decision. Nothing more will happen."),
}


def status_name(status: PublicStatus | str) -> str:
    """The public status as a complainant reads it (short, plain words)."""
    return str(_NAMES[PublicStatus(status)])


def status_meaning(status: PublicStatus | str) -> str:
    """One or two sentences on what the status means for the complainant."""
    return str(_MEANINGS[PublicStatus(status)])


def next_step_text(key: str) -> str:
    """What happens next, for a ``NextStep.key`` (a public status, ``withdrawn`` or
    ``closed_final``)."""
    return str(_NEXT[key])


def expected_label(key: str) -> str:
    """The words before the expected date: "Expected by" or, after closure, the review deadline."""
    if key == "closed":
        return str(_("You can ask for a review until"))
    return str(_("Expected by"))
