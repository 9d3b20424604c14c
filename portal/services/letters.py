"""Letters to complainants: queued in the outbox (channel ``letter``), printed as PDFs, posted.

A letter is an ``OutboxMessage`` with ``channel = letter``: the recipient block (name and postal
address) in ``to_address``, the same translated text as the email in ``subject`` and
``body_text``. The drainer never touches letters; staff with ``letters.print`` work them from the
"Letters to print" page: download (one PDF per letter, or all selected as one PDF), then mark them
``printed`` and ``mailed`` (``sent``, with ``sent_at``). Every step is audited on the case.

PDFs are made on demand (WeasyPrint from ``portal/backoffice/templates/letters/letter.html``)
and never stored: the letter's text already sits in the database under its access control and
retention rules, and a file on disk would be a second copy of personal data that no retention
job knows about. Rendering is deterministic for a row (dated the day the letter was queued), so a
reprint is the same letter. The PDF carries what the letter shows — the recipient block, the
reference, the text — and nothing else: its metadata names the office only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Complaint, OutboxMessage, Staff
from portal.services import audit
from portal.services.caserules import CaseworkError, require, start_write
from portal.services.mail_render import catalog_translations
from portal.services.notify import BACKOFFICE_TRANSLATIONS, language_of
from portal.services.permissions import Permission
from portal.vocabulary import MessageChannel, OutboxStatus

LETTER_TEMPLATES = Path(__file__).resolve().parent.parent / "backoffice" / "templates" / "letters"

#: Window-envelope layouts: page size, margins and where the recipient block sits.
PAGE_LAYOUTS: dict[str, dict[str, str]] = {
    # US Letter, tri-folded into a #10 window envelope (window 7/8 in from the left).
    "letter": {
        "size": "letter",
        "margin": "0.6in 0.875in 0.9in 0.875in",
        "window_top": "1.6in",  # from the top of the content box: 2.2 in from the page's edge
        "window_width": "3.6in",
        "window_height": "0.95in",
    },
    # A4, DIN 5008 form B for a DL window envelope: the address field is 45–90 mm from the top,
    # the return address ends at 62.7 mm where the recipient's lines start.
    "a4": {
        "size": "A4",
        "margin": "15mm 20mm 22mm 20mm",
        "window_top": "43mm",  # 58 mm from the page's edge
        "window_width": "85mm",
        "window_height": "32mm",
    },
}

PRINTED = "letter.printed"
MAILED = "letter.mailed"
READDRESSED = "letter.readdressed"
RETURNED = "letter.returned"
DOWNLOADED = "letter.download"
#: ``last_error`` of a letter the post brought back (the undelivered-messages list shows it).
RETURNED_BY_POST = "ReturnedByPost"
#: How long mailed letters stay on the page, to be marked returned when the post brings one back.
RECENTLY_MAILED = dt.timedelta(days=60)


@dataclasses.dataclass(frozen=True)
class LetterSettings:
    """The office's letterhead and the paper (from the configuration)."""

    office_name: str = "Office of Police Oversight"
    office_address: tuple[str, ...] = ()
    office_phone: str | None = None
    page: str = "letter"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LetterSettings:
        """Read ``OFFICE_NAME``, ``OFFICE_ADDRESS`` (lines separated by ';'), ``OFFICE_PHONE``
        and ``LETTER_PAGE_SIZE`` (``letter`` or ``A4``; ``ValueError`` for anything else)."""
        page = str(config.get("LETTER_PAGE_SIZE") or "letter").strip().lower()
        if page not in PAGE_LAYOUTS:
            raise ValueError("LANTERN_LETTER_PAGE_SIZE must be letter or A4")
        address = str(config.get("OFFICE_ADDRESS") or "")
        return cls(
            office_name=str(config.get("OFFICE_NAME") or cls.office_name),
            office_address=tuple(p.strip() for p in address.split(";") if p.strip()),
            office_phone=str(config.get("OFFICE_PHONE") or "").strip() or None,
            page=page,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Letter:
    """A letter on the printing list: its outbox row and its case's reference."""

    message: OutboxMessage
    reference: str | None


def waiting_letters(session: Session) -> list[Letter]:
    """Letters not yet mailed (``pending`` to print, then ``printed``), oldest first."""
    rows = session.execute(
        select(OutboxMessage, Complaint.reference)
        .outerjoin(Complaint, Complaint.id == OutboxMessage.complaint_id)
        .where(
            OutboxMessage.channel == MessageChannel.LETTER,
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.PRINTED)),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [Letter(message, reference) for message, reference in rows]


def recently_mailed(session: Session, *, now: dt.datetime) -> list[Letter]:
    """Letters mailed in the last ``RECENTLY_MAILED``, newest first (to mark one returned)."""
    rows = session.execute(
        select(OutboxMessage, Complaint.reference)
        .outerjoin(Complaint, Complaint.id == OutboxMessage.complaint_id)
        .where(
            OutboxMessage.channel == MessageChannel.LETTER,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at >= now - RECENTLY_MAILED,
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
    )
    return [Letter(message, reference) for message, reference in rows]


def letters_by_id(session: Session, ids: Sequence[int]) -> list[Letter]:
    """The letters with these outbox ids (others ignored), oldest first."""
    if not ids:
        return []
    rows = session.execute(
        select(OutboxMessage, Complaint.reference)
        .outerjoin(Complaint, Complaint.id == OutboxMessage.complaint_id)
        .where(OutboxMessage.id.in_(sorted(set(ids))))
        .where(OutboxMessage.channel == MessageChannel.LETTER)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [Letter(message, reference) for message, reference in rows]


@functools.lru_cache(maxsize=8)
def _environment(language: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(LETTER_TEMPLATES)),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        catalog_translations(BACKOFFICE_TRANSLATIONS, language), newstyle=True
    )
    return environment


def letter_html(letter: Letter, settings: LetterSettings) -> str:
    """The HTML of one letter in its own language (what ``render_pdf`` prints)."""
    message = letter.message
    language = language_of(message.language)
    paragraphs = [p.strip("\n") for p in message.body_text.split("\n\n") if p.strip()]
    return (
        _environment(language)
        .get_template("letter.html")
        .render(
            language=language,
            layout=PAGE_LAYOUTS[settings.page],
            office_name=settings.office_name,
            office_address=settings.office_address,
            office_phone=settings.office_phone,
            recipient=[line for line in message.to_address.splitlines() if line.strip()],
            date=format_date(message.created_at.date(), format="long", locale=language),
            reference=letter.reference,
            subject=message.subject,
            paragraphs=paragraphs,
        )
    )


def render_pdf(letters: Sequence[Letter], settings: LetterSettings) -> bytes:
    """One PDF with every letter in order, each starting on a new page with its own page
    numbers ("page 1 of 2"). ``ValueError`` for no letters."""
    import weasyprint

    if not letters:
        raise ValueError("no letters to print")
    documents = [
        weasyprint.HTML(
            string=letter_html(letter, settings), base_url=str(LETTER_TEMPLATES)
        ).render()
        for letter in letters
    ]
    pages = [page for document in documents for page in document.pages]
    pdf: bytes = documents[0].copy(pages).write_pdf()
    return pdf


def follow_corrections(
    session: Session, letters: Sequence[Letter], *, actor: Staff, now: dt.datetime
) -> int:
    """Give each letter not yet mailed its complainant's current name and postal address (when
    staff corrected them after the letter was queued; a removed address changes nothing).
    Each change is audited (``letter.readdressed``, the address masked). Not committed.
    Returns how many letters changed."""
    from portal.models import Complainant
    from portal.services.reach import postal_block

    require(actor, Permission.LETTERS_PRINT)
    changed = 0
    for letter in letters:
        message = letter.message
        if message.complainant_id is None or message.status not in (
            OutboxStatus.PENDING,
            OutboxStatus.PRINTED,
        ):
            continue
        person = session.get(Complainant, message.complainant_id)
        block = postal_block(person) if person is not None else None
        if block is None or block == message.to_address:
            continue
        message.to_address = block
        changed += 1
        audit.record(
            session,
            actor_id=actor.id,
            action=READDRESSED,
            object_type="complaint" if message.complaint_id is not None else "outbox",
            object_id=message.complaint_id if message.complaint_id is not None else message.id,
            before={"to_address": audit.PERSONAL},
            after={"to_address": audit.PERSONAL},
            detail=f"outbox={message.id}",
            now=now,
        )
    return changed


def record_download(
    session: Session, letters: Sequence[Letter], *, actor: Staff, now: dt.datetime
) -> None:
    """Audit that ``actor`` downloaded these letters (one entry per letter, on its case). Not
    committed."""
    require(actor, Permission.LETTERS_PRINT)
    for letter in letters:
        _audit(session, letter.message, DOWNLOADED, actor=actor, now=now)


def _audit(
    session: Session,
    message: OutboxMessage,
    action: str,
    *,
    actor: Staff,
    now: dt.datetime,
    before: OutboxStatus | None = None,
) -> None:
    audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="complaint" if message.complaint_id is not None else "outbox",
        object_id=message.complaint_id if message.complaint_id is not None else message.id,
        before={"status": before} if before is not None else None,
        after={"status": message.status} if before is not None else None,
        detail=f"outbox={message.id}",
        now=now,
    )


def _locked(session: Session, ids: Sequence[int], actor: Staff) -> list[OutboxMessage]:
    """The letters ``ids`` locked for update; ``CaseworkError`` for none or a missing one."""
    require(actor, Permission.LETTERS_PRINT)
    if not ids:
        raise CaseworkError("Choose at least one letter.")
    start_write(session)
    wanted = sorted(set(ids))
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(wanted), OutboxMessage.channel == MessageChannel.LETTER)
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    )
    if len(rows) != len(wanted):
        raise CaseworkError("One of the chosen letters does not exist.")
    return rows


def mark_returned(
    session: Session, ids: Sequence[int], *, actor: Staff, now: dt.datetime
) -> list[OutboxMessage]:
    """Mark mailed letters as returned by the post: they become ``failed`` with ``last_error``
    ``ReturnedByPost`` (the undelivered list shows them: someone must find a better address or
    call). Audited on each case. Not committed. ``CaseworkError`` for a letter not mailed."""
    rows = _locked(session, ids, actor)
    if any(row.status is not OutboxStatus.SENT for row in rows):
        raise CaseworkError("Only a mailed letter can come back from the post.")
    for row in rows:
        row.status, row.last_error = OutboxStatus.FAILED, RETURNED_BY_POST
        _audit(session, row, RETURNED, actor=actor, now=now, before=OutboxStatus.SENT)
    return rows


def mark_letters(
    session: Session,
    ids: Sequence[int],
    *,
    mailed: bool,
    actor: Staff,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """Mark the letters ``ids`` printed (``mailed=False``) or mailed (``mailed=True``), each
    audited on its case. Not committed.

    Printed: only a letter waiting to be printed. Mailed: a waiting or printed letter (it becomes
    ``sent`` with ``sent_at``). Raises ``CaseworkError`` — before changing anything — for no
    letters, an id that is not a letter, or a letter already in that state or further on (e.g.
    someone else marked it meanwhile).
    """
    rows = _locked(session, ids, actor)
    allowed = (OutboxStatus.PENDING, OutboxStatus.PRINTED) if mailed else (OutboxStatus.PENDING,)
    if any(row.status not in allowed for row in rows):
        raise CaseworkError(
            "One of the chosen letters was already marked mailed."
            if mailed
            else "One of the chosen letters was already marked printed or mailed."
        )
    for row in rows:
        before = row.status
        if mailed:
            row.status, row.sent_at = OutboxStatus.SENT, now
        else:
            row.status, row.printed_at = OutboxStatus.PRINTED, now
        _audit(session, row, MAILED if mailed else PRINTED, actor=actor, now=now, before=before)
    return rows
