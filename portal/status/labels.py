"""Plain-language words for public statuses and "what happens next" (translated per request).

The staff area may import ``status_name`` to show staff what the complainant sees.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.vocabulary import PublicStatus


def status_name(status: PublicStatus | str) -> str:
    """The public status as a complainant reads it (short, plain words)."""
    names = {
        PublicStatus.RECEIVED: _("Received"),
        PublicStatus.UNDER_REVIEW: _("Being reviewed"),
        PublicStatus.REFERRED: _("Sent to another agency"),
        PublicStatus.EARLY_RESOLUTION: _("Being resolved without a full investigation"),
        PublicStatus.UNDER_INVESTIGATION: _("Being investigated"),
        PublicStatus.FINDINGS_REVIEW: _("Investigation finished, decision being checked"),
        PublicStatus.CLOSED: _("Closed"),
        PublicStatus.APPEAL_REQUESTED: _("Review of the decision requested"),
        PublicStatus.APPEAL_DECIDED: _("Review of the decision finished"),
    }
    return str(names[PublicStatus(status)])


def status_meaning(status: PublicStatus | str) -> str:
    """One or two sentences on what the status means for the complainant."""
    meanings = {
        PublicStatus.RECEIVED: _("We have your complaint. Nobody has been assigned to it yet."),
        PublicStatus.UNDER_REVIEW: _(
            "A member of our staff is reading your complaint to decide how we should handle it."
        ),
        PublicStatus.REFERRED: _(
            "Another agency is better placed to deal with what you told us, so we sent your "
            "complaint to them. We still follow it."
        ),
        PublicStatus.EARLY_RESOLUTION: _(
            "We are trying to resolve your complaint quickly, for example with a mediated "
            "conversation, instead of a full investigation."
        ),
        PublicStatus.UNDER_INVESTIGATION: _(
            "An investigator is collecting evidence and talking to the people involved."
        ),
        PublicStatus.FINDINGS_REVIEW: _(
            "The investigator has finished. A supervisor is checking the findings before they "
            "are final."
        ),
        PublicStatus.CLOSED: _("We have finished our work on your complaint."),
        PublicStatus.APPEAL_REQUESTED: _(
            "Someone who did not work on your complaint is reviewing our decision."
        ),
        PublicStatus.APPEAL_DECIDED: _("The review of our decision is finished."),
    }
    return str(meanings[PublicStatus(status)])


def next_step_text(key: str) -> str:
    """What happens next, for a ``NextStep.key`` (a public status, ``withdrawn`` or
    ``closed_final``)."""
    texts = {
        "received": _(
            "We will read your complaint and decide how to handle it. We will tell you what we "
            "decide."
        ),
        "under_review": _(
            "We will decide whether to investigate, try to resolve it another way, or send it to "
            "another agency, and tell you why."
        ),
        "referred": _(
            "We will check with the other agency and tell you what they did about your complaint."
        ),
        "early_resolution": _(
            "Someone from our office will contact you to agree how to resolve your complaint."
        ),
        "under_investigation": _(
            "The investigator will keep working on your complaint and may contact you with "
            "questions. We will update you regularly."
        ),
        "findings_review": _("We will write to you with the outcome of the investigation."),
        "closed": _(
            "If you disagree with the outcome, you can ask for a review of our decision. Contact "
            "our office and give your reference number."
        ),
        "closed_final": _("Nothing more will happen with this complaint."),
        "withdrawn": _(
            "You withdrew this complaint, so we will not do anything more with it. If you want "
            "us to look into it again, you can make a new complaint."
        ),
        "appeal_requested": _("We will write to you with the result of the review."),
        "appeal_decided": _("This is our final decision. Nothing more will happen."),
    }
    return str(texts[key])


def expected_label(key: str) -> str:
    """The words before the expected date: "Expected by" or, after closure, the review deadline."""
    if key == "closed":
        return str(_("You can ask for a review until"))
    return str(_("Expected by"))
