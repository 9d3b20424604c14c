"""The intake service: one complaint per filing, everything recorded, receipt email, replays."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from portal.db import session_factory
from portal.models import (
    CaseEvent,
    Complainant,
    Complaint,
    InvolvedOfficer,
    OutboxMessage,
    StatusEvent,
)
from portal.services import intake
from portal.services.evidence import StoredFile, store_upload
from portal.services.identifiers import access_code_matches, parse_reference
from portal.services.intake import (
    ComplainantInfo,
    Demographics,
    IntakeError,
    OfficerReport,
    Submission,
    file_complaint,
)
from portal.services.receipt_email import ReceiptSettings
from portal.vocabulary import (
    AgeBand,
    AllegationCategory,
    CaseState,
    Channel,
    ComplainantRole,
    ContactMethod,
    Gender,
    PublicStatus,
    Race,
    StatusEventKind,
)

NOW = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
KEY = "access-code-test-key"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%%EOF\n"


def token(n: int = 1) -> str:
    return f"idempotency-token-{n:04d}"


def stored(folder: Path, data: bytes, name: str) -> StoredFile:
    return store_upload(io.BytesIO(data), name, folder, max_file_bytes=10_000)


def full_submission(files: tuple[StoredFile, ...] = (), **person: object) -> Submission:
    details = {
        "role": ComplainantRole.ON_BEHALF,
        "name": "Ana Ruiz",
        "on_behalf_of": "Luis Ruiz",
        "email": "ana@example.org",
        "phone": "+1 555 0100",
        "postal_address": "12 Elm St\nSpringfield",
        "contact_method": ContactMethod.EMAIL,
        "language": "es",
        "interpreter_needed": True,
        "interpreter_language": "Mixteco",
        "demographics": Demographics(
            age_band=AgeBand.AGE_35_44, gender=Gender.WOMAN, race=Race.PREFER_NOT_TO_SAY
        ),
    } | person
    return Submission(
        narrative="  The officer pushed my brother.  ",
        incident_date=dt.date(2026, 2, 27),
        incident_time=dt.time(21, 15),
        incident_date_is_approximate=True,
        incident_location="Corner of 5th and Main",
        district="D03",
        officers=(
            OfficerReport(name="Smith", badge="4411", unit="Patrol", description="tall"),
            OfficerReport(),  # a blank row the resident did not use
            OfficerReport(is_unknown=True, description="second officer, in a car"),
        ),
        categories=(AllegationCategory.FORCE, AllegationCategory.DISCOURTESY),
        witnesses="A neighbour, Maria",
        complainant=ComplainantInfo(**details),  # type: ignore[arg-type]
        consent=True,
        attachments=files,
    )


def file(db: Session, submission: Submission, key: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return file_complaint(
        db,
        submission,
        channel=Channel.ONLINE,
        entered_by=None,
        now=NOW,
        access_code_key=KEY,
        idempotency_key=key or token(),
        **kwargs,  # type: ignore[arg-type]
    )


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_full_submission_records_everything(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    files = (stored(folder, PNG, "photo.png"), stored(folder, PDF, "letter.pdf"))
    filed = file(
        db,
        full_submission(files),
        upload_folder=folder,
        receipt=ReceiptSettings(office_name="Springfield OPO", status_url="https://x.test/status"),
    )
    assert not filed.replayed
    assert parse_reference(filed.reference) == filed.reference
    assert filed.access_code is not None

    db.expire_all()
    complaint = db.get_one(Complaint, filed.complaint_id)
    assert complaint.channel is Channel.ONLINE and complaint.state is CaseState.RECEIVED
    assert complaint.received_at == NOW
    assert complaint.narrative == "The officer pushed my brother."
    assert (complaint.incident_date, complaint.incident_time) == (
        dt.date(2026, 2, 27),
        dt.time(21, 15),
    )
    assert complaint.incident_date_is_approximate
    assert complaint.incident_location == "Corner of 5th and Main"
    assert complaint.district == "D03"
    assert complaint.witnesses == "A neighbour, Maria"
    assert complaint.reported_categories == ["discourtesy", "force"]
    assert complaint.preferred_language == "es"
    assert complaint.idempotency_key == token()
    assert access_code_matches(filed.access_code, complaint.access_code_hash, KEY)
    assert filed.access_code not in (complaint.access_code_hash or "")

    (person,) = complaint.complainants
    assert (person.role, person.name, person.on_behalf_of) == (
        ComplainantRole.ON_BEHALF,
        "Ana Ruiz",
        "Luis Ruiz",
    )
    assert (person.email, person.phone, person.postal_address) == (
        "ana@example.org",
        "+1 555 0100",
        "12 Elm St\nSpringfield",
    )
    assert person.contact_method is ContactMethod.EMAIL
    assert (person.language, person.interpreter_needed, person.interpreter_language) == (
        "es",
        True,
        "Mixteco",
    )
    assert (person.age_band, person.gender, person.race) == (
        AgeBand.AGE_35_44,
        Gender.WOMAN,
        Race.PREFER_NOT_TO_SAY,
    )
    assert not person.is_anonymous

    officers = [
        (o.name_given, o.badge_given, o.unit_given, o.is_unknown) for o in complaint.officers
    ]
    assert officers == [("Smith", "4411", "Patrol", False), (None, None, None, True)]
    assert complaint.allegations == []  # residents report categories; staff create allegations

    assert sorted((a.original_name, a.sha256) for a in complaint.attachments) == sorted(
        [
            ("photo.png", hashlib.sha256(PNG).hexdigest()),
            ("letter.pdf", hashlib.sha256(PDF).hexdigest()),
        ]
    )
    assert all((folder / a.stored_name).exists() for a in complaint.attachments)

    (event,) = complaint.status_events
    assert (event.kind, event.public_status, event.created_at) == (
        StatusEventKind.STATUS_CHANGE,
        PublicStatus.RECEIVED,
        NOW,
    )
    (case_event,) = db.scalars(select(CaseEvent)).all()
    assert (case_event.from_state, case_event.to_state) == (None, CaseState.RECEIVED)


def test_receipt_email_in_spanish_without_the_code(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    files = (stored(folder, PNG, "foto.png"),)
    filed = file(
        db,
        full_submission(files),
        receipt=ReceiptSettings(office_name="Springfield OPO", status_url="https://x.test/status"),
    )
    (message,) = db.scalars(select(OutboxMessage)).all()
    assert message.to_address == "ana@example.org"
    assert message.language == "es"
    assert message.complaint_id == filed.complaint_id
    assert filed.reference in message.subject and filed.reference in message.body_text
    assert hashlib.sha256(PNG).hexdigest() in message.body_text and "foto.png" in message.body_text
    assert "https://x.test/status" in message.body_text and "Springfield OPO" in message.body_text
    assert filed.access_code not in message.body_text
    assert filed.access_code.replace("-", "") not in message.body_text.replace("-", "")
    assert message.subject == f"Recibimos su queja {filed.reference}"
    assert "Gracias por contarnos lo que pasó. Recibimos su queja el 2 de marzo de 2026." in (
        message.body_text
    )
    assert "Por su seguridad, este correo no incluye su código de acceso." in message.body_text


def test_receipt_email_carries_the_code_when_asked(db: Session) -> None:
    filed = file(
        db, full_submission(language="en", wants_code_by_email=True), receipt=ReceiptSettings()
    )
    (message,) = db.scalars(select(OutboxMessage)).all()
    assert f"Your access code: {filed.access_code}" in message.body_text
    assert "March 2, 2026" in message.body_text


def test_anonymous_submission_without_contact(db: Session) -> None:
    submission = Submission(
        narrative="I saw an officer kick a man.",
        complainant=ComplainantInfo(is_anonymous=True, role=ComplainantRole.WITNESS),
        consent=True,
    )
    filed = file(db, submission)
    complaint = db.get_one(Complaint, filed.complaint_id)
    (person,) = complaint.complainants
    assert person.is_anonymous and person.name is None and person.email is None
    assert person.role is ComplainantRole.WITNESS
    assert complaint.officers == [] and complaint.reported_categories == []
    assert count(db, OutboxMessage) == 0


def test_same_key_twice_is_one_complaint_and_never_the_code_again(
    db: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    first_file = stored(folder, PNG, "a.png")
    first = file(db, full_submission((first_file,)), upload_folder=folder)
    duplicate_upload = stored(folder, PNG, "a.png")  # the browser sent the file again
    again = file(db, full_submission((duplicate_upload,)), upload_folder=folder)
    assert again.replayed and again.access_code is None
    assert (again.complaint_id, again.reference) == (first.complaint_id, first.reference)
    assert count(db, Complaint) == 1 and count(db, StatusEvent) == 1
    assert count(db, OutboxMessage) == 1  # no second receipt email
    assert (folder / first_file.stored_name).exists()
    assert not (folder / duplicate_upload.stored_name).exists()
    # A replay carrying the files the first filing kept leaves them alone.
    third = file(db, full_submission((first_file,)), upload_folder=folder)
    assert third.replayed and (folder / first_file.stored_name).exists()


def test_concurrent_filings_with_one_key_make_one_complaint(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    factory = session_factory(engine)
    results: list[intake.FiledComplaint] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker() -> None:
        session = factory()
        try:
            start.wait()
            results.append(file(session, full_submission(), key=token(7)))
        except BaseException as error:
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 6
    assert len({r.complaint_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert [r.access_code is None for r in results].count(False) == 1
    assert count(db, Complaint) == 1 and count(db, Complainant) == 1


def test_a_reference_collision_is_retried(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    first = file(db, full_submission(), key=token(1))
    fresh = iter([first.reference, first.reference, "LNT-0000-0000"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(fresh))
    second = file(db, full_submission(), key=token(2))
    assert second.reference == "LNT-0000-0000" and not second.replayed
    assert count(db, Complaint) == 2


def test_a_failed_filing_leaves_no_complaint_and_no_files(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    files = (stored(folder, PNG, "a.png"), stored(folder, PDF, "b.pdf"))

    def boom(_session: Session, _complaint: Complaint) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        file(db, full_submission(files), upload_folder=folder, before_commit=boom)
    assert count(db, Complaint) == 0 and count(db, OutboxMessage) == 0
    assert list(folder.iterdir()) == []


def test_before_commit_rows_commit_with_the_complaint(db: Session) -> None:
    def add_note(session: Session, complaint: Complaint) -> None:
        session.add(
            InvolvedOfficer(complaint_id=complaint.id, name_given="added in the same transaction")
        )

    filed = file(db, full_submission(), before_commit=add_note)
    db.expire_all()
    names = [o.name_given for o in db.get_one(Complaint, filed.complaint_id).officers]
    assert "added in the same transaction" in names


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": False}, "consent"),
        ({"narrative": "   "}, "narrative"),
        (
            {"officers": (OfficerReport(badge="1" * 33),)},
            "officer.badge",
        ),
        (
            {"complainant": ComplainantInfo(is_anonymous=True, name="Ana")},
            "name",
        ),
        (
            {"complainant": ComplainantInfo(contact_method=ContactMethod.PHONE)},
            "phone",
        ),
        (
            {"complainant": ComplainantInfo(wants_code_by_email=True)},
            "email",
        ),
        ({"complainant": ComplainantInfo(language="fr")}, "language"),
        ({"complainant": ComplainantInfo(email="a@example.org, b@example.org")}, "email"),
        ({"complainant": ComplainantInfo(email="a@example.org\nBcc: x@y.z")}, "email"),
    ],
)
def test_submissions_no_form_should_accept_are_refused(
    db: Session, change: dict[str, object], field: str
) -> None:
    base = {"narrative": "What happened", "consent": True}
    with pytest.raises(IntakeError) as caught:
        file(db, Submission(**(base | change)))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert count(db, Complaint) == 0


def test_channel_and_key_are_checked(db: Session) -> None:
    submission = Submission(narrative="x", consent=True)
    with pytest.raises(IntakeError):
        file_complaint(
            db,
            submission,
            channel=Channel.PHONE,
            entered_by=None,
            now=NOW,
            access_code_key=KEY,
            idempotency_key=token(),
        )
    with pytest.raises(IntakeError):
        file(db, submission, key="short")
