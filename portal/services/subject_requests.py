"""Data-subject requests about one complainant: export what is held about them, or erase it.

**Export** (``build_export`` → ``export_zip``): a ZIP for the staff member handling the request,
streamed and never stored: ``record.json`` (everything below, machine-readable),
``case-file.html`` and ``case-file.pdf`` (the same, readable, in the complainant's language) and
``evidence/`` (the files the public sent in). It holds this complainant's own record and the
case facts they are entitled to (the account of events, dates, place, the conduct reported, what
was found per allegation, the timeline and messages they were sent, their appeals) and *not*
other complainants' details, officers' identities, staff names, internal notes or files the
office added; ``for_the_office_to_review`` lists what a person must check before it goes out
(third-party data in a shared narrative, files that may show others).

**Erasure** (``erase_complainant``): removes the complainant's identity and contact details
(demographics stay: they are the statistical record). When nobody else is left on the case, the
case's personal data and evidence go too, as a disposal would remove them. Refused under a legal
hold, while the case is open or under appeal, and without a recorded reason.

Both need ``records.subject_request`` and are audited without personal data. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel.support import NullTranslations, Translations
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from portal.models import (
    Appeal,
    Attachment,
    Complainant,
    Complaint,
    Disposal,
    OutboxMessage,
    StatusEvent,
    SurveyResponse,
)
from portal.services import evidence, retention, search
from portal.services.caserules import CaseworkError, load_complaint, record, require
from portal.services.disposal import redact_corrections
from portal.services.legal_holds import active_hold
from portal.services.notify import BACKOFFICE_TRANSLATIONS, MAIL_TEMPLATES, language_of
from portal.services.permissions import Permission

EXPORTED = "complainant.exported"
ERASED = "complainant.erased"
FORMAT = "lantern-subject-access/1"
EXPORT_TEMPLATES = Path(__file__).resolve().parent.parent / "backoffice" / "templates" / "records"
CHUNK = 64 * 1024


def _value(value: Any) -> Any:
    """JSON-ready: enums by value, dates ISO 8601."""
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class ExportFile:
    """One evidence file in the ZIP."""

    name: str  # path inside the ZIP
    path: Path


@dataclass
class SubjectExport:
    """What one complainant's export holds (see the module docstring)."""

    complaint_id: int
    complainant_id: int
    language: str
    record: dict[str, Any]
    files: list[ExportFile] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """The ZIP's download name (internal ids only)."""
        return f"subject-access-case-{self.complaint_id}-person-{self.complainant_id}.zip"


def _complainant(session: Session, complaint_id: int, complainant_id: int) -> Complainant:
    person = session.get(Complainant, complainant_id)
    if person is None or person.complaint_id != complaint_id:
        raise CaseworkError("There is no such complainant on this case.")
    return person


def _safe_name(name: str) -> str:
    """A file name that cannot leave its folder in the ZIP (no separators, no control chars)."""
    text = unicodedata.normalize("NFC", name).replace("/", "_").replace("\\", "_")
    text = re.sub(r"[\x00-\x1f\x7f]", "", text).strip(". ") or "file"
    return text[:120]


def build_export(
    session: Session,
    complaint_id: int,
    complainant_id: int,
    *,
    actor: Any,
    now: dt.datetime,
    folder: Path,
    office_name: str,
) -> SubjectExport:
    """Gather one complainant's export and audit it (``complainant.exported``, in the caller's
    transaction: commit before streaming). Raises ``CaseworkError`` for a role without
    ``records.subject_request`` or a complainant not on this case."""
    staff = require(actor, Permission.RECORDS_SUBJECT_REQUEST)
    complaint = load_complaint(session, complaint_id)
    person = _complainant(session, complaint_id, complainant_id)
    others = [p for p in complaint.complainants if p.id != person.id]
    erased = set(
        session.scalars(
            select(Disposal.complainant_id).where(
                Disposal.complaint_id == complaint_id, Disposal.kind == retention.ERASURE
            )
        )
    )
    events = session.scalars(
        select(StatusEvent)
        .where(StatusEvent.complaint_id == complaint_id)
        .order_by(StatusEvent.created_at, StatusEvent.id)
    ).all()
    appeals = session.scalars(
        select(Appeal).where(Appeal.complaint_id == complaint_id).order_by(Appeal.id)
    ).all()
    survey = session.scalar(
        select(SurveyResponse).where(SurveyResponse.complaint_id == complaint_id)
    )
    files: list[ExportFile] = []
    listed: list[dict[str, Any]] = []
    for number, attachment in enumerate(
        session.scalars(
            select(Attachment)
            .where(Attachment.complaint_id == complaint_id)
            .order_by(Attachment.id)
        ),
        start=1,
    ):
        from_public = attachment.uploaded_by_id is None
        included = False
        name = f"evidence/{number:02d}-{_safe_name(attachment.original_name)}"
        if from_public and attachment.disposed_at is None:
            try:
                path = evidence.evidence_path(folder, attachment.stored_name)
            except ValueError:
                path = None
            if path is not None and path.is_file():
                files.append(ExportFile(name, path))
                included = True
        listed.append(
            {
                "file": name if included else None,
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size_bytes": attachment.size_bytes,
                "sha256": attachment.sha256,
                "added_at": _value(attachment.uploaded_at),
                "added_by": "complainant" if from_public else "office",
                "disposed_at": _value(attachment.disposed_at),
                "included": included,
            }
        )
    review = []
    if others:
        review.append("other_complainants")
    if any(not item["included"] and item["disposed_at"] is None for item in listed):
        review.append("office_files")
    if complaint.witnesses:
        review.append("witnesses")
    review.append("narrative_third_parties")
    record_data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": _value(now),
        "office": office_name,
        "complainant": {
            "id": person.id,
            "erased": person.id in erased,
            "role": _value(person.role),
            "is_anonymous": person.is_anonymous,
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "postal_address": person.postal_address,
            "on_behalf_of": person.on_behalf_of,
            "contact_method": _value(person.contact_method),
            "language": person.language,
            "interpreter_needed": person.interpreter_needed,
            "interpreter_language": person.interpreter_language,
            "age": person.age,
            "age_band": _value(person.age_band),
            "gender": _value(person.gender),
            "race": _value(person.race),
        },
        "case": {
            "reference": complaint.reference,
            "received_at": _value(complaint.received_at),
            "channel": _value(complaint.channel),
            "incident_date": _value(complaint.incident_date),
            "incident_time": _value(complaint.incident_time),
            "incident_date_is_approximate": complaint.incident_date_is_approximate,
            "incident_location": complaint.incident_location,
            "district": complaint.district,
            "narrative": complaint.narrative,
            "witnesses": complaint.witnesses,
            "reported_categories": list(complaint.reported_categories or []),
            "status": _value(complaint.public_status),
            "closed_at": _value(complaint.closed_at),
            "other_complainants": len(others),
        },
        "allegations": [
            {"category": _value(a.category), "finding": _value(a.finding)}
            for a in complaint.allegations
        ],
        "timeline": [
            {
                "at": _value(e.created_at),
                "kind": _value(e.kind),
                "status": _value(e.public_status),
                "message": e.message,
            }
            for e in events
        ],
        "appeals": [
            {
                "requested_at": _value(a.requested_at),
                "reason": a.reason,
                "state": _value(a.state),
                "decided_at": _value(a.decided_at),
                "decision": a.decision,
            }
            for a in appeals
        ],
        # One survey per case: it is this person's only when nobody else is on the case.
        "survey": (
            {
                "submitted_at": _value(survey.submitted_at),
                "ease": survey.ease,
                "kept_informed": survey.kept_informed,
                "treated_fairly": survey.treated_fairly,
                "would_recommend": survey.would_recommend,
                "comment": survey.comment,
            }
            if survey is not None and not others
            else None
        ),
        "evidence": listed,
        "for_the_office_to_review": review,
    }
    record(
        session, staff, EXPORTED, "complaint", complaint_id, now,
        detail=f"complainant={person.id} files={len(files)}",
    )  # fmt: skip
    return SubjectExport(complaint_id, person.id, language_of(person.language), record_data, files)


def _translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(BACKOFFICE_TRANSLATIONS), [language], domain="messages")


def _html_environment(language: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(str(EXPORT_TEMPLATES)),
                jinja2.FileSystemLoader(str(MAIL_TEMPLATES)),
            ]
        ),
        extensions=["jinja2.ext.i18n"],
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        _translations(language), newstyle=True
    )
    return environment


def render_case_file(export: SubjectExport) -> str:
    """The export as one HTML document in the complainant's language."""
    template = _html_environment(export.language).get_template("export_case_file.html")
    return template.render(record=export.record, language=export.language)


def render_pdf(html: str) -> bytes:
    """The case file as PDF (WeasyPrint; fonts from Debian's DejaVu)."""
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


class _Sink(io.RawIOBase):
    """A write-only stream that hands back what was written since the last ``drain``."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        return len(chunk)

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _entry(name: str, when: dt.datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o600 << 16
    return info


def export_zip(export: SubjectExport, *, now: dt.datetime) -> Iterator[bytes]:
    """The ZIP, produced piece by piece (nothing is written to disk): ``record.json``,
    ``case-file.html``, ``case-file.pdf`` and the evidence files."""
    html = render_case_file(export)
    documents: list[tuple[str, Callable[[], Iterable[bytes]], int]] = [
        (
            "record.json",
            lambda: [json.dumps(export.record, indent=2, ensure_ascii=False).encode("utf-8")],
            zipfile.ZIP_DEFLATED,
        ),
        ("case-file.html", lambda: [html.encode("utf-8")], zipfile.ZIP_DEFLATED),
        ("case-file.pdf", lambda: [render_pdf(html)], zipfile.ZIP_DEFLATED),
    ]
    for item in export.files:
        documents.append((item.name, _reader(item.path), zipfile.ZIP_STORED))
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, chunks, compress in documents:
            with archive.open(_entry(name, now, compress), "w", force_zip64=True) as target:
                for chunk in chunks():
                    target.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def _reader(path: Path) -> Callable[[], Iterable[bytes]]:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while block := handle.read(CHUNK):
                yield block

    return chunks


# --- erasure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: ``whole_case`` when the case's own personal data went too."""

    complainant_id: int
    whole_case: bool
    files_removed: int
    others_kept: int


def erased_ids(session: Session, complaint_id: int) -> set[int]:
    """Ids of the case's complainants already erased."""
    return {
        cid
        for cid in session.scalars(
            select(Disposal.complainant_id).where(
                Disposal.complaint_id == complaint_id, Disposal.kind == retention.ERASURE
            )
        )
        if cid is not None
    }


def erase_complainant(
    session: Session,
    complaint_id: int,
    complainant_id: int,
    *,
    reason: str | None,
    actor: Any,
    now: dt.datetime,
    folder: Path,
) -> Erasure:
    """Erase one complainant's personal data in the caller's transaction (not committed).

    Refused (``CaseworkError``, nothing changed) without ``records.subject_request``, without a
    reason, under a legal hold, while the case is open or under appeal, once the case's
    personal data has been disposed of, or when this person was already erased. When every
    other complainant is already erased (or there is nobody else), the case's personal data and
    evidence files are removed too (``retention.redact_case`` / ``remove_evidence``). Audited
    (``complainant.erased``) without personal data; the reason stays on the ``Disposal`` row.
    """
    staff = require(actor, Permission.RECORDS_SUBJECT_REQUEST)
    text = (reason or "").strip()
    if not text:
        raise CaseworkError("Record why the data may be erased (the request and its legal basis).")
    if len(text) > 2000:
        raise CaseworkError("The reason is too long (2000 characters at most).")
    complaint = load_complaint(session, complaint_id)
    person = _complainant(session, complaint_id, complainant_id)
    if active_hold(session, complaint_id) is not None:
        raise CaseworkError("This case is on legal hold: nothing of it may be erased.")
    if complaint.state not in retention.DISPOSABLE_STATES:
        raise CaseworkError(
            "This case is still open or under appeal: close it (or record the withdrawal) first."
        )
    done = erased_ids(session, complaint_id)
    if person.id in done:
        raise CaseworkError("This complainant's personal data was already erased.")
    disposed = session.scalar(
        select(Disposal.id).where(
            Disposal.complaint_id == complaint_id, Disposal.kind == retention.PERSONAL_DATA
        )
    )
    if disposed is not None:
        raise CaseworkError("This case's personal data was already disposed of.")
    # Emails, letters and SMS queued or sent to this person carry their address or number.
    to_person = OutboxMessage.complainant_id == person.id
    if person.email:
        to_person = or_(to_person, OutboxMessage.to_address == person.email)
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id, to_person)
    )
    retention.redact_complainant(person)
    redact_corrections(session, complaint_id, f"complainant:{person.id}")
    others = [p for p in complaint.complainants if p.id != person.id and p.id not in done]
    files = 0
    if not others:
        retention.redact_case(session, complaint, now=now)
        files = retention.remove_evidence(session, complaint_id, folder, now=now)
    else:
        search.reindex_complaint(session, complaint_id, now=now)
    retention.record_disposal(
        session,
        complaint_id,
        retention.ERASURE,
        rule=None,
        now=now,
        actor_id=staff.id,
        complainant_id=person.id,
        reason=text,
        files_removed=files,
        action=ERASED,
    )
    if not others:
        for kind in (retention.PERSONAL_DATA, retention.EVIDENCE):
            session.add(
                Disposal(
                    complaint_id=complaint_id,
                    kind=kind,
                    complainant_id=person.id,
                    rule=None,
                    reason=text,
                    at=now,
                    actor_id=staff.id,
                    files_removed=files if kind == retention.EVIDENCE else 0,
                )
            )
    return Erasure(person.id, not others, files, len(others))


def complaint_of(session: Session, complaint_id: int) -> Complaint | None:
    """The complaint (for views that check it exists before asking for a reason)."""
    return session.get(Complaint, complaint_id)
