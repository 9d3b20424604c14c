"""Emails to complainants about their case, rendered in their language without Flask.

The templates are plain-text Jinja2 files under ``portal/backoffice/templates/mail/``; their
strings live in the back-office catalog (``portal/backoffice/translations``) and are translated
through a Babel ``Translations`` object for the complainant's language, so the same email comes
out of a web request, a command or a test. No email contains the access code (the office
does not have it: only its keyed hash is stored), internal reasons, notes or staff names — except
``access_code``, the new code a staff member sends on request after verifying the complainant's
identity (``portal.services.access_codes``).

``notify_complainants`` queues the message to every complainant on the channels they get (an
email, a letter to print, an SMS: the rule is in ``portal.services.reach``), in the caller's
transaction: the message exists if and only if the change it reports is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.dates import format_date
from sqlalchemy.orm import Session

from portal.models import Complaint, OutboxMessage
from portal.services.clocks import ServiceLevels
from portal.services.mail_render import mail_environment
from portal.services.reach import Written, queue_for_complainants

PORTAL = Path(__file__).resolve().parent.parent
MAIL_TEMPLATES = PORTAL / "backoffice" / "templates" / "mail"
BACKOFFICE_TRANSLATIONS = PORTAL / "backoffice" / "translations"
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class MailSettings:
    """Office details the case emails name, and the service levels' appeal window."""

    office_name: str = "Office of Police Oversight"
    status_url: str | None = None  # where a complainant checks their complaint
    appeal_window_days: int = 30
    levels: ServiceLevels | None = None  # for "expected by" dates; None: the defaults
    sms_enabled: bool = False  # LANTERN_SMS_URL is set: complainants may also get an SMS
    office_phone: str | None = None  # named in SMS (people without internet call us)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read ``OFFICE_NAME``, ``PUBLIC_BASE_URL`` (+ ``/status``), ``APPEAL_WINDOW_DAYS``,
        the service levels (``SLA_*``, ``HOLIDAYS``), ``SMS_URL`` (set: SMS on) and
        ``OFFICE_PHONE``."""
        base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        levels = ServiceLevels.from_config(config)
        return cls(
            office_name=str(config.get("OFFICE_NAME") or cls.office_name),
            status_url=f"{base}/status" if base else None,
            appeal_window_days=levels.appeal_window_days,
            levels=levels,
            sms_enabled=bool(config.get("SMS_URL")),
            office_phone=str(config.get("OFFICE_PHONE") or "").strip() or None,
        )

    def service_levels(self) -> ServiceLevels:
        """The service levels for expected dates (the defaults with this appeal window if unset)."""
        if self.levels is not None:
            return self.levels
        return ServiceLevels(appeal_window_days=self.appeal_window_days)


@dataclass(frozen=True)
class RenderedEmail:
    """A rendered email: one-line subject and plain-text body."""

    subject: str
    body: str


def language_of(value: str | None) -> str:
    """A supported language code for ``value`` (English when unknown or missing)."""
    code = (value or "en").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def format_day(day: dt.date | None, language: str) -> str | None:
    """A date written out for ``language`` (e.g. "March 5, 2025" / "5 de marzo de 2025")."""
    return None if day is None else format_date(day, format="long", locale=language)


def render(template: str, language: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` in ``language``.

    ``template`` is one of ``status``, ``message``, ``closure``, ``appeal``. Raises
    ``jinja2.UndefinedError`` when the context lacks a variable the template uses.
    """
    environment = mail_environment(MAIL_TEMPLATES, BACKOFFICE_TRANSLATIONS, language_of(language))
    subject = environment.get_template(f"{template}_subject.txt").render(context)
    body = environment.get_template(f"{template}.txt").render(context)
    return RenderedEmail(subject=" ".join(subject.split()), body=body)


def recipients(complaint: Complaint) -> list[tuple[str, str]]:
    """(email, language) for each complainant of ``complaint`` who gave an email address."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for person in complaint.complainants:
        address = (person.email or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            found.append((address, language_of(person.language or complaint.preferred_language)))
    return found


def notify_complainants(
    session: Session,
    complaint: Complaint,
    template: str,
    context: Mapping[str, Any],
    *,
    settings: MailSettings,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """Queue ``template`` to every complainant on their channels (email, letter, SMS: the rule
    is in ``portal.services.reach``), each in their own language.

    ``context`` is completed with ``reference``, ``office_name`` and ``status_url``; values
    that are dates are written out in each recipient's language. Returns the queued messages
    (none when nobody can be reached). Not committed: the caller commits with its change.
    """

    def written(language: str) -> Written:
        values = {
            key: format_day(value, language) if isinstance(value, dt.date) else value
            for key, value in context.items()
        }
        values.update(
            reference=complaint.reference,
            office_name=settings.office_name,
            status_url=settings.status_url,
        )
        email = render(template, language, values)
        return Written(subject=email.subject, body=email.body)

    return queue_to_complainants(session, complaint, template, written, settings=settings, now=now)


def queue_to_complainants(
    session: Session,
    complaint: Complaint,
    kind: str,
    written: Callable[[str], Written],
    *,
    settings: MailSettings,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """Queue the message ``written(language)`` of ``kind`` on every complainant's channels
    (``portal.services.reach.queue_for_complainants`` with these settings). Not committed."""
    return queue_for_complainants(
        session,
        complaint,
        kind,
        written,
        sms_enabled=settings.sms_enabled,
        office_name=settings.office_name,
        status_url=settings.status_url,
        office_phone=settings.office_phone,
        now=now,
    )
