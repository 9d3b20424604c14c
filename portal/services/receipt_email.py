"""The receipt email a resident gets after filing, rendered in their language without Flask.

The text lives in Jinja2 templates under ``portal/intake/templates/mail/`` and is translated with
the intake catalog (``portal/intake/translations``) through a Babel ``Translations`` object, so
the same email comes out of the web form, the staff intake screen and any command-line tool.
The access code is in the email only when the resident asked for it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from babel.dates import format_date
from babel.support import NullTranslations, Translations

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


@functools.lru_cache(maxsize=16)
def _translations(language: str) -> NullTranslations:
    """The intake catalog for ``language`` (English, i.e. no translation, when there is none)."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(INTAKE_TRANSLATIONS), [language], domain="messages")


@functools.lru_cache(maxsize=16)
def _environment(language: str) -> jinja2.Environment:
    """A Jinja2 environment for mail templates with the catalog for ``language`` installed."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(MAIL_TEMPLATES)),
        extensions=["jinja2.ext.i18n"],
        autoescape=False,  # plain text email  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        _translations(language), newstyle=True
    )
    return environment


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
    environment = _environment(language)
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
