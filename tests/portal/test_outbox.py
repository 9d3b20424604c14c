"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): delivered once; with the server
down nothing is lost and retries are scheduled; once it is back every message arrives exactly
once, also with two drainers racing; emails in the complainant's language without the access
code. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.db import session_factory
from portal.models import OutboxMessage, Staff
from portal.services import casework, intake, outbox
from portal.services.mail import queue_email
from portal.services.notify import MailSettings
from portal.vocabulary import Channel, ContactMethod, OutboxStatus, ScreeningOutcome, StaffRole
from tests.portal.casework_support import T0
from tests.portal.staff_support import create_staff
from tests.support import free_port

SENDER = "Lantern <no-reply@oversight.example>"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.value = start

    def __call__(self) -> dt.datetime:
        return self.value


def _queue(db: Session, count: int, now: dt.datetime = T0) -> list[str]:
    ids = [
        queue_email(
            db,
            to=f"person{i}@example.org",
            subject=f"Subject {i}",
            body=f"Body {i}",
            language="en",
            complaint_id=None,
            now=now,
        ).message_id
        for i in range(count)
    ]
    db.commit()
    return ids


def _drain(engine: Engine, url: str, clock: Clock, **kwargs: Any) -> outbox.DrainReport:
    transport = outbox.SmtpTransport(outbox.SmtpSettings.from_url(url), timeout=5)
    return outbox.drain(session_factory(engine), transport, sender=SENDER, now=clock, **kwargs)


def _rows(db: Session) -> list[OutboxMessage]:
    db.rollback()  # a fresh snapshot: the drainer committed in its own sessions
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_delivers_each_message_once(engine: Engine, db: Session, smtp: SmtpServer) -> None:
    ids = _queue(db, 3)
    clock = Clock(T0)
    report = _drain(engine, smtp.url, clock)
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert sorted(smtp.inbox.ids()) == sorted(ids)
    assert [r.status for r in _rows(db)] == [OutboxStatus.SENT] * 3
    assert all(r.sent_at == T0 and r.attempts == 1 for r in _rows(db))
    # Draining again sends nothing more.
    assert _drain(engine, smtp.url, clock).attempted == 0
    assert len(smtp.inbox.messages) == 3
    received = smtp.inbox.messages[0]
    assert received["From"] == SENDER and received["Subject"].startswith("Subject ")


def test_server_down_then_back_loses_nothing_and_sends_once(
    engine: Engine, db: Session, smtp: SmtpServer
) -> None:
    ids = _queue(db, 4)
    smtp.stop()
    clock = Clock(T0)
    report = _drain(engine, smtp.url, clock)
    assert (report.sent, report.retried, report.failed) == (0, 4, 0)
    rows = _rows(db)
    assert all(r.status is OutboxStatus.RETRYING and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at == T0 + dt.timedelta(minutes=1) for r in rows)
    assert all(r.last_error and "@" not in r.last_error for r in rows)
    # Not due yet: nothing is tried before the retry time.
    clock.value = T0 + dt.timedelta(seconds=30)
    assert _drain(engine, smtp.url, clock).attempted == 0
    # Second failure doubles the wait.
    clock.value = T0 + dt.timedelta(minutes=1)
    assert _drain(engine, smtp.url, clock).retried == 4
    assert [(r.attempts, r.next_attempt_at) for r in _rows(db)] == [
        (2, clock.value + dt.timedelta(minutes=2))
    ] * 4

    smtp.start()
    clock.value = T0 + dt.timedelta(minutes=3)
    report = _drain(engine, smtp.url, clock)
    assert report.sent == 4
    assert sorted(smtp.inbox.ids()) == sorted(ids)  # each exactly once
    clock.value = T0 + dt.timedelta(hours=1)
    assert _drain(engine, smtp.url, clock).attempted == 0
    assert len(smtp.inbox.messages) == 4


def test_gives_up_after_max_attempts(engine: Engine, db: Session, smtp: SmtpServer) -> None:
    _queue(db, 1)
    smtp.stop()
    clock = Clock(T0)
    for _ in range(3):
        _drain(engine, smtp.url, clock, max_attempts=3)
        clock.value += dt.timedelta(hours=7)
    [row] = _rows(db)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    smtp.start()
    assert _drain(engine, smtp.url, clock).attempted == 0  # a failed message stays failed


def test_two_drainers_never_send_a_message_twice(
    engine: Engine, db: Session, smtp: SmtpServer
) -> None:
    ids = _queue(db, 40)
    clock = Clock(T0)
    reports: list[outbox.DrainReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            reports.append(_drain(engine, smtp.url, clock, batch=5))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(r.sent for r in reports) == 40
    assert sorted(smtp.inbox.ids()) == sorted(ids)


def test_file_transport_when_no_smtp(engine: Engine, db: Session, tmp_path: Path) -> None:
    _queue(db, 2)
    folder = tmp_path / "outbox"
    transport = outbox.transport_for({"SMTP_URL": None, "OUTBOX_FOLDER": str(folder)})
    report = outbox.drain(session_factory(engine), transport, sender=SENDER, now=Clock(T0))
    assert report.sent == 2
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"].startswith("Subject ")


def test_smtp_url_parsing() -> None:
    s = outbox.SmtpSettings.from_url("smtps://mail%40office:p%2Fw@mail.example")
    assert (s.host, s.port, s.mode, s.username, s.password) == (
        "mail.example",
        465,
        "ssl",
        "mail@office",
        "p/w",
    )
    assert outbox.SmtpSettings.from_url("smtp+starttls://h:2525").mode == "starttls"
    assert "p/w" not in repr(s)
    with pytest.raises(ValueError, match="smtp://"):
        outbox.SmtpSettings.from_url("http://mail.example")


def test_case_email_in_spanish_without_the_access_code(
    engine: Engine, db: Session, smtp: SmtpServer
) -> None:
    filed = intake.file_complaint(
        db,
        intake.Submission(
            narrative="El agente me empujó contra el coche sin motivo.",
            consent=True,
            complainant=intake.ComplainantInfo(
                name="Ana Pérez",
                email="ana@example.org",
                language="es",
                contact_method=ContactMethod.EMAIL,
                wants_code_by_email=False,
            ),
        ),
        channel=Channel.ONLINE,
        entered_by=None,
        now=T0,
        access_code_key="test-access-code-key",
        idempotency_key=None,
    )
    assert filed.access_code
    supervisor: Staff = create_staff(db, StaffRole.SUPERVISOR)
    casework.screen(
        db,
        filed.complaint_id,
        ScreeningOutcome.INVESTIGATE,
        actor=supervisor,
        now=T0 + dt.timedelta(hours=2),
        settings=MailSettings(office_name="Oficina de Supervisión"),
    )
    db.commit()
    report = _drain(engine, smtp.url, Clock(T0 + dt.timedelta(hours=3)))
    assert report.sent >= 1
    status_mail = [m for m in smtp.inbox.messages if "En investigación" in m["Subject"]]
    assert len(status_mail) == 1
    message = status_mail[0]
    body = message.get_content()
    assert message["Content-Language"] == "es"
    assert message["To"] == "ana@example.org"
    assert "Una persona investigadora reunirá pruebas" in body
    code = filed.access_code
    for received in smtp.inbox.messages:
        text = received.get_content()
        assert code not in text and code.replace("-", "") not in text


def test_lantern_mail_send_writes_eml_files(database_url: str, db: Session, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from portal.cli import main

    _queue(db, 2, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    env = {"LANTERN_DATABASE_URL": database_url, "LANTERN_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["mail", "send"], env=env)
    assert result.exit_code == 0, result.output
    assert "sent 2, will retry 0, failed 0" in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    again = CliRunner().invoke(main, ["mail", "send"], env=env)
    assert "sent 0" in again.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def _drainers_of(pid: int) -> list[int]:
    """Pids of drainer processes started by server process ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--parent-pid" in args and str(pid).encode() in args:
            found.append(int(entry.name))
    return found


def test_lantern_serve_drains_in_one_background_process(
    database_url: str, db: Session, tmp_path: Path
) -> None:
    import time

    from tests.conftest import start_live_server, stop_live_server

    ids = _queue(db, 2, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    instance = tmp_path / "live"
    server = start_live_server(database_url, instance, workers=3)
    try:
        assert len(_drainers_of(server.process.pid)) == 1  # one, whatever the worker count
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list((instance / "outbox").glob("*.eml"))) < 2:
            time.sleep(0.2)
        assert len(list((instance / "outbox").glob("*.eml"))) == 2
        rows = _rows(db)
        assert [r.message_id for r in rows if r.status is OutboxStatus.SENT] == ids
    finally:
        stop_live_server(server)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _drainers_of(server.process.pid):
        time.sleep(0.2)
    assert _drainers_of(server.process.pid) == []
