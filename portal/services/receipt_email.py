"""The receipt email a resident gets after filing, rendered in their language without Flask.

The text lives in Jinja2 templates under ``portal/intake/templates/mail/`` and is translated with
the intake catalog (``portal/intake/translations``) through a Babel ``Translations`` object, so
the same email comes out of the web form, the staff intake screen and any command-line tool.
The access code is in the email only when the resident asked for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date

from portal.services.mail_render import mail_environment

PORTAL = Path(__file__).resolve().parent.parent
MAIL_TEMPLATES = PORTAL / "intake" / "templates" / "mail"
INTAKE_TRANSLATIONS = PORTAL / "intake" / "translations"


@dataclass(frozen=True)
class ReceiptSettings:
    """Office details the receipt email names (from the app's configuration)."""

    office_name: str = "Office of Police Oversight"
    status_url: str | None = None  # where to check the complaint, e.g. https://…/status


@dataclass(frozen=True)
class ReceiptEmail:
    """A rendered receipt: subject and plain-text body."""

    subject: str
    body: str


def render_receipt_email(
    *,
    language: str,
    reference: str,
    received_at: dt.datetime,
    evidence: Sequence[tuple[str, str]],
    access_code: str | None,
    settings: ReceiptSettings,
) -> ReceiptEmail:
    """Render the receipt email in ``language`` (``en`` or ``es``).

    ``evidence`` is a list of (file name, sha256) pairs; ``access_code`` is included only when
    given (the resident ticked "email me my access code"), otherwise the body says why it is not
    there. Returns subject and body; sends nothing.
    """
    environment = mail_environment(MAIL_TEMPLATES, INTAKE_TRANSLATIONS, language)
    context = {
        "reference": reference,
        "received": format_date(received_at.date(), format="long", locale=language),
        "evidence": list(evidence),
        "access_code": access_code,
        "office_name": settings.office_name,
        "status_url": settings.status_url,
    }
    subject = environment.get_template("receipt_subject.txt").render(context).strip()
    body = environment.get_template("receipt.txt").render(context)
    return ReceiptEmail(subject=" ".join(subject.split()), body=body)
