"""How each complainant hears from the office: the channel rule, and queueing one message on
every channel a complainant gets, in the caller's transaction (the transactional outbox).

The rule (documented in README.md, "Reaching complainants without email"), per complainant:

1. **In writing, once** — a *letter* when they prefer post and gave a postal address; otherwise an
   *email* when they gave an email address; otherwise a *letter* when they gave a postal address.
2. **An SMS as well** — when the office turned SMS on (``LANTERN_SMS_URL``), they gave a phone
   number, and they either prefer phone or get no email (a letter takes days; the SMS says there
   is news and where to read it, never what it is about in detail, never the access code).
3. **Nobody to write to** — anonymous, or no email, address or phone (or phone only with SMS
   off): nothing is queued; the case page says so, and staff call them (``portal.services.calls``).

Each channel is one ``OutboxMessage`` row with ``channel`` set: emails and SMS are sent by the
drainer (``portal.services.outbox``), letters are printed and posted from the "Letters to print"
page (``portal.services.letters``). An email address or phone number shared by two complainants
of one complaint gets one message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from portal.models import Complainant, Complaint, OutboxMessage
from portal.services.mail import new_message_id
from portal.services.mail_render import mail_environment
from portal.vocabulary import ContactMethod, MessageChannel


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """Where one message to one complainant goes: a channel and the address on it."""

    channel: MessageChannel
    address: str  # email address, phone number, or name and postal address (lines)
    language: str
    person: Complainant | None = None


def _language(person: Complainant, complaint: Complaint) -> str:
    from portal.services.notify import language_of

    return language_of(person.language or complaint.preferred_language)


def postal_block(person: Complainant) -> str | None:
    """The recipient block of a letter: the name (when given) over the postal address lines;
    None without a postal address."""
    address = [line.strip() for line in (person.postal_address or "").splitlines() if line.strip()]
    if not address:
        return None
    name = (person.name or "").strip()
    return "\n".join(([name] if name and not person.is_anonymous else []) + address)


def person_routes(person: Complainant, complaint: Complaint, *, sms_enabled: bool) -> list[Route]:
    """The channels one complainant gets (see the module docstring), written first."""
    language = _language(person, complaint)
    email = (person.email or "").strip()
    letter = postal_block(person)
    phone = (person.phone or "").strip()
    routes: list[Route] = []
    prefers = person.contact_method
    if letter and prefers is ContactMethod.POST:
        routes.append(Route(MessageChannel.LETTER, letter, language, person))
    elif email:
        routes.append(Route(MessageChannel.EMAIL, email, language, person))
    elif letter:
        routes.append(Route(MessageChannel.LETTER, letter, language, person))
    gets_email = any(r.channel is MessageChannel.EMAIL for r in routes)
    if sms_enabled and phone and (prefers is ContactMethod.PHONE or not gets_email):
        routes.append(Route(MessageChannel.SMS, phone, language, person))
    return routes


def complaint_routes(complaint: Complaint, *, sms_enabled: bool) -> list[Route]:
    """Every complainant's routes, without sending one address the same message twice."""
    found: list[Route] = []
    seen: set[tuple[MessageChannel, str]] = set()
    for person in complaint.complainants:
        for route in person_routes(person, complaint, sms_enabled=sms_enabled):
            key = (route.channel, _normalized(route))
            if key not in seen:
                seen.add(key)
                found.append(route)
    return found


def _normalized(route: Route) -> str:
    if route.channel is MessageChannel.SMS:
        return "".join(ch for ch in route.address if ch.isdigit())
    return " ".join(route.address.lower().split())


def unreachable(complaint: Complaint, *, sms_enabled: bool) -> list[Complainant]:
    """Complainants (not anonymous) who get no message at all: staff must phone or find them."""
    return [
        person
        for person in complaint.complainants
        if not person.is_anonymous and not person_routes(person, complaint, sms_enabled=sms_enabled)
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class Written:
    """A message rendered for one language: subject and plain text (email and letter)."""

    subject: str
    body: str


def sms_text(
    kind: str, language: str, *, office_name: str, status_url: str | None, phone: str | None
) -> str:
    """The short SMS for a message of ``kind`` (``status``, ``message``, ``closure``,
    ``appeal``) in ``language``: that there is news and where to read it. No reference number,
    no access code, nothing about the complaint's content."""
    from portal.services.notify import BACKOFFICE_TRANSLATIONS, MAIL_TEMPLATES, language_of

    environment = mail_environment(MAIL_TEMPLATES, BACKOFFICE_TRANSLATIONS, language_of(language))
    text = environment.get_template("sms.txt").render(
        kind=kind, office_name=office_name, status_url=status_url, office_phone=phone
    )
    return " ".join(text.split())


def queue_for_complainants(
    session: Session,
    complaint: Complaint,
    kind: str,
    render: Callable[[str], Written],
    *,
    sms_enabled: bool,
    office_name: str,
    status_url: str | None,
    office_phone: str | None,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """Queue message ``kind`` to every complainant on each of their channels (not committed).

    ``render(language)`` gives the written message (the same text goes by email and by letter).
    Returns the new outbox rows (none when nobody can be reached).
    """
    queued: list[OutboxMessage] = []
    written: dict[str, Written] = {}
    for route in complaint_routes(complaint, sms_enabled=sms_enabled):
        if route.language not in written:
            written[route.language] = render(route.language)
        message = written[route.language]
        body = message.body
        if route.channel is MessageChannel.SMS:
            body = sms_text(
                kind,
                route.language,
                office_name=office_name,
                status_url=status_url,
                phone=office_phone,
            )
        row = OutboxMessage(
            message_id=new_message_id(),
            complaint_id=complaint.id,
            complainant_id=route.person.id if route.person is not None else None,
            channel=route.channel,
            to_address=route.address,
            subject=message.subject,
            body_text=body,
            language=route.language,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        queued.append(row)
    return queued
