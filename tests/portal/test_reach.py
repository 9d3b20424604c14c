"""Reaching complainants without email: the channel rule, letters queued with the change they
report (in the complainant's language, printed to PDF), SMS drained with email through a file
sender and a real loopback HTTP gateway that fails and comes back, nothing lost and nothing sent
twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.db import session_factory
from portal.models import AuditEntry, Complainant, Complaint, OutboxMessage, Staff
from portal.services import casework, investigation, letters, outbox, reach
from portal.services.notify import MailSettings
from portal.services.sms import FileSmsSender, HttpSmsSender, sms_sender_for
from portal.vocabulary import (
    CaseState,
    ContactMethod,
    MessageChannel,
    OutboxStatus,
    ScreeningOutcome,
    StaffRole,
)
from tests.portal.casework_support import T0, make_complaint
from tests.portal.staff_support import create_staff

SENDER = "Lantern <no-reply@oversight.example>"
STATUS_URL = "https://oversight.example/status"
SMS_ON = MailSettings(
    office_name="Office of Police Oversight",
    status_url=STATUS_URL,
    sms_enabled=True,
    office_phone="(555) 010-0100",
)
ADDRESS = "12 Calle Mayor, Apt 3\nSpringfield, IL 62701"


# --- the channel rule (no database) -----------------------------------------------------------


def _person(**kwargs: Any) -> tuple[Complainant, Complaint]:
    complaint = Complaint(reference="LNT-TEST-0000", preferred_language="en")
    values: dict[str, Any] = {"name": "Ana Pérez", "language": "en", "is_anonymous": False}
    values["contact_method"] = ContactMethod.NONE
    values.update(kwargs)
    person = Complainant(**values)
    complaint.complainants.append(person)
    return person, complaint


E, L, S = MessageChannel.EMAIL, MessageChannel.LETTER, MessageChannel.SMS


@pytest.mark.parametrize(
    ("details", "sms_on", "expected"),
    [
        ({"email": "ana@example.org"}, True, [E]),
        ({"email": "ana@example.org", "postal_address": ADDRESS}, False, [E]),
        (
            {
                "email": "ana@example.org",
                "postal_address": ADDRESS,
                "contact_method": ContactMethod.POST,
            },
            False,
            [L],
        ),
        ({"postal_address": ADDRESS}, False, [L]),
        ({"postal_address": ADDRESS, "phone": "555 010 0199"}, True, [L, S]),
        ({"postal_address": ADDRESS, "phone": "555 010 0199"}, False, [L]),
        (
            {
                "email": "a@example.org",
                "phone": "555 010 0199",
                "contact_method": ContactMethod.PHONE,
            },
            True,
            [E, S],
        ),
        ({"email": "a@example.org", "phone": "555 010 0199"}, True, [E]),
        ({"phone": "555 010 0199"}, True, [S]),
        ({"phone": "555 010 0199"}, False, []),
        ({}, True, []),
    ],
)
def test_the_channel_rule(
    details: dict[str, Any], sms_on: bool, expected: list[MessageChannel]
) -> None:
    person, complaint = _person(**details)
    routes = reach.person_routes(person, complaint, sms_enabled=sms_on)
    assert [r.channel for r in routes] == expected
    assert (reach.unreachable(complaint, sms_enabled=sms_on) == [person]) is (not expected)


def test_a_letter_is_addressed_to_the_name_over_the_address_lines() -> None:
    person, _complaint = _person(postal_address="  12 Calle Mayor, Apt 3 \n\n Springfield  ")
    assert reach.postal_block(person) == "Ana Pérez\n12 Calle Mayor, Apt 3\nSpringfield"


def test_two_complainants_with_one_phone_get_one_sms() -> None:
    _first, complaint = _person(phone="555-010-0199")
    complaint.complainants.append(
        Complainant(name="Luis", phone="555 010 0199", contact_method=ContactMethod.PHONE)
    )
    assert [r.channel for r in reach.complaint_routes(complaint, sms_enabled=True)] == [S]


def test_the_sms_says_where_to_read_never_what_or_the_reference() -> None:
    text = reach.sms_text(
        "closure", "es", office_name="Oficina", status_url=STATUS_URL, phone="555 010 0100"
    )
    assert text == (
        "Oficina: hemos terminado nuestro trabajo sobre su queja. Léalo en "
        "https://oversight.example/status con su número de referencia y su código de acceso. "
        "Preguntas: llame al 555 010 0100."
    )
    english = reach.sms_text("status", "en", office_name="Office", status_url=None, phone=None)
    assert english == "Office: there is news about your complaint."


# --- queued with the change, in the complainant's language ------------------------------------


@pytest.fixture
def supervisor(db: Session) -> Staff:
    return create_staff(db, StaffRole.SUPERVISOR)


def _complainant(
    db: Session,
    *,
    language: str = "en",
    email: str | None = None,
    phone: str | None = None,
    address: str | None = ADDRESS,
    method: ContactMethod = ContactMethod.NONE,
    state: CaseState = CaseState.RECEIVED,
) -> Complaint:
    complaint = make_complaint(db, language=language, email=email, name="Ana Pérez", state=state)
    person = complaint.complainants[0]
    person.phone, person.postal_address, person.contact_method = phone, address, method
    db.commit()
    return complaint


def _rows(db: Session) -> list[OutboxMessage]:
    db.rollback()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_status_change_without_email_queues_a_spanish_letter_and_an_sms(
    db: Session, supervisor: Staff
) -> None:
    complaint = _complainant(db, language="es", phone="555 010 0199")
    casework.screen(
        db,
        complaint.id,
        ScreeningOutcome.INVESTIGATE,
        actor=supervisor,
        now=T0 + dt.timedelta(hours=1),
        settings=SMS_ON,
    )
    db.commit()
    letter, sms = _rows(db)
    assert (letter.channel, letter.language, letter.status) == (L, "es", OutboxStatus.PENDING)
    assert letter.to_address == "Ana Pérez\n" + ADDRESS
    assert complaint.reference in letter.subject and "En investigación" in letter.subject
    assert "Una persona investigadora reunirá pruebas" in letter.body_text
    assert (sms.channel, sms.to_address) == (S, "555 010 0199")
    assert sms.body_text.startswith("Office of Police Oversight: hay novedades sobre su queja.")
    assert complaint.reference not in sms.body_text


def test_a_refused_change_queues_no_letter(db: Session) -> None:
    complaint = _complainant(db)
    investigator = create_staff(db, StaffRole.INVESTIGATOR)  # may not screen
    with pytest.raises(casework.CaseworkError):
        casework.screen(db, complaint.id, ScreeningOutcome.INVESTIGATE, actor=investigator, now=T0)
    db.rollback()
    assert _rows(db) == []


def test_closure_letter_prints_in_spanish_with_only_what_the_letter_needs(
    db: Session, supervisor: Staff
) -> None:
    complaint = _complainant(db, language="es", state=CaseState.EARLY_RESOLUTION)
    investigation.close(db, complaint.id, actor=supervisor, now=T0 + dt.timedelta(days=3))
    db.commit()
    [row] = _rows(db)
    assert row.channel is L and "cerrada" in row.subject
    found = letters.waiting_letters(db)
    assert [f.message.id for f in found] == [row.id] and found[0].reference == complaint.reference
    settings = letters.LetterSettings(
        office_name="Oficina de Supervisión Policial",
        office_address=("200 Main Street", "Springfield, IL 62701"),
        office_phone="(555) 010-0100",
    )
    pdf = pypdf.PdfReader(io.BytesIO(letters.render_pdf(found, settings)))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    for expected in (
        "Oficina de Supervisión Policial",
        "Teléfono: (555) 010-0100",
        "Ana Pérez",
        "12 Calle Mayor, Apt 3",
        "6 de marzo de 2025",  # the day the letter was written (closed), in Spanish
        f"Referencia: {complaint.reference}",
        "Terminamos nuestro trabajo sobre su queja",
        "Página 1 / 1",
    ):
        assert expected in text, expected
    assert "Test narrative" not in text  # the complaint's story is not in the letter
    assert supervisor.name not in text
    metadata = {str(k): str(v) for k, v in (pdf.metadata or {}).items()}
    assert "Ana" not in " ".join(metadata.values())
    assert metadata["/Title"] == "Oficina de Supervisión Policial"


@pytest.mark.parametrize(
    ("page_size", "size_mm", "left_mm", "down_mm"),
    [
        # US Letter tri-folded into a #10 window envelope: the window shows the band about
        # 2.0–3.2 in (51–81 mm) below the top edge, 7/8 in (22 mm) from the left.
        ("letter", (215.9, 279.4), (20, 26), (51, 81)),
        # A4 in a DL window envelope, DIN 5008 form B: recipient zone 62.7–90 mm, 20 mm left.
        ("a4", (210.0, 297.0), (19, 21), (62.7, 90)),
    ],
)
def test_the_letter_sits_in_the_envelope_window(
    db: Session,
    supervisor: Staff,
    page_size: str,
    size_mm: tuple[float, float],
    left_mm: tuple[float, float],
    down_mm: tuple[float, float],
) -> None:
    complaint = _complainant(db, state=CaseState.EARLY_RESOLUTION)
    investigation.close(db, complaint.id, actor=supervisor, now=T0)
    db.commit()
    settings = letters.LetterSettings(office_address=("200 Main Street",), page=page_size)
    pdf = pypdf.PdfReader(io.BytesIO(letters.render_pdf(letters.waiting_letters(db), settings)))
    page = pdf.pages[0]
    mm = 25.4 / 72
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width * mm, 1), round(height * mm, 1)) == size_mm
    where: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip():
            where.setdefault(text.strip(), (x * mm, (height - y) * mm))

    page.extract_text(visitor_text=visit)
    for line in ("Ana Pérez", "12 Calle Mayor, Apt 3", "Springfield, IL 62701"):
        left, down = where[line]
        assert left_mm[0] <= left <= left_mm[1] and down_mm[0] <= down <= down_mm[1], (line, where)


# --- SMS through the drainer ------------------------------------------------------------------


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.value = start

    def __call__(self) -> dt.datetime:
        return self.value


def _queue_sms(db: Session, supervisor: Staff, count: int = 1) -> list[OutboxMessage]:
    for _ in range(count):
        complaint = _complainant(db, phone="555 010 0199", address=None, email=None)
        casework.screen(
            db,
            complaint.id,
            ScreeningOutcome.INVESTIGATE,
            actor=supervisor,
            now=T0,
            settings=SMS_ON,
        )
        db.commit()
    return _rows(db)


def _drain(engine: Engine, sms: Any, clock: Clock, tmp_path: Path) -> outbox.DrainReport:
    return outbox.drain(
        session_factory(engine),
        outbox.FileTransport(tmp_path / "eml"),
        sender=SENDER,
        now=clock,
        sms=sms,
    )


def test_file_sms_sender_writes_each_sms_once(
    engine: Engine, db: Session, supervisor: Staff, tmp_path: Path
) -> None:
    [row] = _queue_sms(db, supervisor)
    folder = tmp_path / "sms"
    sender = sms_sender_for({"SMS_URL": f"file://{folder}"})
    assert isinstance(sender, FileSmsSender)
    clock = Clock(T0)
    report = _drain(engine, sender, clock, tmp_path)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [written] = list(folder.glob("*.sms.json"))
    assert written.stat().st_mode & 0o777 == 0o600
    payload = json.loads(written.read_text(encoding="utf-8"))
    assert payload == {
        "id": row.message_id,
        "to": "555 010 0199",
        "text": row.body_text,
        "language": "en",
    }
    assert STATUS_URL in payload["text"]
    assert _drain(engine, sender, clock, tmp_path).attempted == 0
    assert len(list(folder.glob("*.sms.json"))) == 1
    assert _rows(db)[0].status is OutboxStatus.SENT


def test_sms_wait_in_the_outbox_while_no_sender_is_configured(
    engine: Engine, db: Session, supervisor: Staff, tmp_path: Path
) -> None:
    _queue_sms(db, supervisor)
    assert sms_sender_for({"SMS_URL": ""}) is None
    assert _drain(engine, None, Clock(T0), tmp_path).attempted == 0
    [row] = _rows(db)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


def test_unwritable_sms_folder_retries_and_loses_nothing(
    engine: Engine, db: Session, supervisor: Staff, tmp_path: Path
) -> None:
    _queue_sms(db, supervisor)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    clock = Clock(T0)
    report = _drain(engine, FileSmsSender(blocker / "sms"), clock, tmp_path)
    assert (report.sent, report.retried) == (0, 1)
    [row] = _rows(db)
    assert (row.status, row.attempts) == (OutboxStatus.RETRYING, 1)
    assert row.last_error == "NotADirectoryError"
    assert row.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert [m.id for m in outbox.undelivered(db)] == [row.id]
    blocker.unlink()
    clock.value = T0 + dt.timedelta(minutes=1)
    assert _drain(engine, FileSmsSender(blocker / "sms"), clock, tmp_path).sent == 1
    assert len(list((blocker / "sms").glob("*.sms.json"))) == 1
    db.rollback()  # a fresh snapshot: the drainer committed in its own session
    assert outbox.undelivered(db) == []


class Gateway:
    """A loopback SMS gateway: answers every POST with ``status`` and keeps what it accepted."""

    def __init__(self) -> None:
        self.status = 200
        self.accepted: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.auth: list[str | None] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.auth.append(self.headers.get("Authorization"))
                if gateway.status == 200:
                    gateway.accepted.append(json.loads(body))
                    gateway.keys.append(self.headers["Idempotency-Key"])
                self.send_response(gateway.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://lantern:s3cret@127.0.0.1:{self.server.server_address[1]}/send"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    yield server
    server.close()


def test_gateway_down_then_back_delivers_every_sms_once(
    engine: Engine, db: Session, supervisor: Staff, gateway: Gateway, tmp_path: Path
) -> None:
    rows = _queue_sms(db, supervisor, count=3)
    sender = sms_sender_for({"SMS_URL": gateway.url})
    assert isinstance(sender, HttpSmsSender) and "s3cret" not in repr(sender)
    gateway.status = 500
    clock = Clock(T0)
    report = _drain(engine, sender, clock, tmp_path)
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    assert all(
        (r.status, r.attempts, r.last_error) == (OutboxStatus.RETRYING, 1, "SmsGatewayError 500")
        for r in _rows(db)
    )
    clock.value = T0 + dt.timedelta(seconds=30)  # not due yet
    assert _drain(engine, sender, clock, tmp_path).attempted == 0
    gateway.status = 200
    clock.value = T0 + dt.timedelta(minutes=1)
    assert _drain(engine, sender, clock, tmp_path).sent == 3
    assert sorted(gateway.keys) == sorted(r.message_id for r in rows)
    assert {a["to"] for a in gateway.accepted} == {"555 010 0199"}
    assert gateway.auth[-1] == "Basic bGFudGVybjpzM2NyZXQ="  # lantern:s3cret
    clock.value = T0 + dt.timedelta(hours=1)
    assert _drain(engine, sender, clock, tmp_path).attempted == 0
    assert len(gateway.accepted) == 3


def test_gateway_refusal_fails_the_sms_for_good(
    engine: Engine, db: Session, supervisor: Staff, gateway: Gateway, tmp_path: Path
) -> None:
    _queue_sms(db, supervisor)
    gateway.status = 400
    report = _drain(engine, sms_sender_for({"SMS_URL": gateway.url}), Clock(T0), tmp_path)
    assert report.failed == 1
    [row] = _rows(db)
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "SmsGatewayError 400")
    assert [m.id for m in outbox.undelivered(db)] == [row.id]


def test_two_drainers_send_each_sms_once(
    engine: Engine, db: Session, supervisor: Staff, gateway: Gateway, tmp_path: Path
) -> None:
    rows = _queue_sms(db, supervisor, count=12)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outbox.drain(
                session_factory(engine),
                outbox.FileTransport(tmp_path / "eml"),
                sender=SENDER,
                now=Clock(T0),
                sms=HttpSmsSender(gateway.url),
                batch=3,
            )
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(gateway.keys) == sorted(r.message_id for r in rows)


def test_sms_url_must_be_file_or_http() -> None:
    with pytest.raises(ValueError, match="LANTERN_SMS_URL"):
        sms_sender_for({"SMS_URL": "smtp://example.org"})
    bare = sms_sender_for({"SMS_URL": "file:", "OUTBOX_FOLDER": "/srv/lantern/outbox"})
    assert isinstance(bare, FileSmsSender) and bare.folder == Path("/srv/lantern/sms")


# --- printing and mailing ---------------------------------------------------------------------


def test_letters_are_marked_printed_then_mailed_and_audited(db: Session, supervisor: Staff) -> None:
    complaint = _complainant(db, state=CaseState.EARLY_RESOLUTION)
    investigation.close(db, complaint.id, actor=supervisor, now=T0)
    db.commit()
    [row] = _rows(db)
    clerk = create_staff(db, StaffRole.INTAKE)
    letters.mark_letters(db, [row.id], mailed=False, actor=clerk, now=T0 + dt.timedelta(hours=1))
    db.commit()
    with pytest.raises(casework.CaseworkError, match="already marked printed"):
        letters.mark_letters(db, [row.id], mailed=False, actor=clerk, now=T0)
    db.rollback()
    letters.mark_letters(db, [row.id], mailed=True, actor=clerk, now=T0 + dt.timedelta(hours=2))
    db.commit()
    [row] = _rows(db)
    assert (row.status, row.printed_at, row.sent_at) == (
        OutboxStatus.SENT,
        T0 + dt.timedelta(hours=1),
        T0 + dt.timedelta(hours=2),
    )
    assert letters.waiting_letters(db) == []
    trail = db.scalars(
        select(AuditEntry).where(AuditEntry.action.like("letter.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_id, e.object_id, e.detail) for e in trail] == [
        ("letter.printed", clerk.id, complaint.id, f"outbox={row.id}"),
        ("letter.mailed", clerk.id, complaint.id, f"outbox={row.id}"),
    ]
    assert trail[1].before == {"status": "printed"} and trail[1].after == {"status": "sent"}
    with pytest.raises(casework.CaseworkError, match="already marked mailed"):
        letters.mark_letters(db, [row.id], mailed=True, actor=clerk, now=T0)


def test_only_the_letter_roles_may_print(db: Session, supervisor: Staff) -> None:
    complaint = _complainant(db, state=CaseState.EARLY_RESOLUTION)
    investigation.close(db, complaint.id, actor=supervisor, now=T0)
    db.commit()
    [row] = _rows(db)
    for role in (StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER):
        with pytest.raises(casework.CaseworkError, match="not allowed"):
            letters.mark_letters(db, [row.id], mailed=True, actor=create_staff(db, role), now=T0)
    with pytest.raises(casework.CaseworkError, match="does not exist"):
        letters.mark_letters(db, [row.id, row.id + 999], mailed=True, actor=supervisor, now=T0)
    db.rollback()
    assert _rows(db)[0].status is OutboxStatus.PENDING


def test_lantern_mail_send_sends_the_sms_too(
    database_url: str, db: Session, supervisor: Staff, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from portal.cli import main

    complaint = _complainant(db, phone="555 010 0199", address=None)
    casework.screen(
        db,
        complaint.id,
        ScreeningOutcome.INVESTIGATE,
        actor=supervisor,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        settings=SMS_ON,
    )
    db.commit()
    env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(tmp_path)}
    off = CliRunner().invoke(main, ["mail", "send"], env=env)
    assert "sent 0, will retry 0, failed 0" in off.output  # SMS off: the SMS waits
    result = CliRunner().invoke(main, ["mail", "send"], env=env | {"LANTERN_SMS_URL": "file:"})
    assert result.exit_code == 0, result.output
    assert "sent 1, will retry 0, failed 0" in result.output
    assert len(list((tmp_path / "sms").glob("*.sms.json"))) == 1
