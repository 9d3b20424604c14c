"""Draining the transactional outbox: email (SMTP or ``.eml`` files) and SMS
(``portal.services.sms``), with retries and no double sending. Letters are not drained: staff
print and post them (``portal.services.letters``).

How a message moves (``OutboxMessage``):

1. **Claim** (short write transaction): pick due ``pending`` or ``retrying`` rows of the channels
   this drainer can send (email; SMS when it has an SMS sender) (``next_attempt_at <= now``) —
   ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, under SQLite's write lock (``BEGIN
   IMMEDIATE`` via ``portal.db.begin_write``) — count the attempt and push ``next_attempt_at``
   a lease ahead, then commit. Another drainer (another process, another server) skips them
   until the lease runs out; no lock is held while talking to the mail server or SMS gateway.
2. **Send** outside any transaction.
3. **Settle** (short write transaction): ``sent`` with ``sent_at`` only after the server accepted
   the message; on a temporary error the row is ``retrying`` and ``next_attempt_at`` moves out
   exponentially (``retry_delay``); after ``max_attempts`` or a permanent refusal (SMTP 5xx,
   HTTP 4xx) the row is ``failed``.

Undelivered messages for a dashboard: ``status == 'retrying'`` (still trying; ``attempts``,
``last_error`` and ``next_attempt_at`` say how it goes) and ``status == 'failed'`` (given up:
someone must act) — see ``undelivered``.

If a drainer dies between 2 and 3, the lease expires and the message goes again with the same
Message-ID (at-least-once at the edge; the SMTP server or mail client can deduplicate on it). In
normal operation — server down, server back, several drainers — each message is accepted once.
``last_error`` carries the error class and SMTP code or HTTP status only: never an address, a
number or the text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portal.db import begin_write
from portal.models import OutboxMessage
from portal.services.sms import SmsMessage, SmsSender
from portal.vocabulary import MessageChannel, OutboxStatus

#: States the drainer picks up (when due).
DUE_STATES = (OutboxStatus.PENDING, OutboxStatus.RETRYING)

DEFAULT_MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=6)


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class Transport(Protocol):
    """Something that delivers one ``EmailMessage`` or raises."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; return only once it was accepted."""

    def close(self) -> None:
        """Release connections."""


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """The RFC 5322 message for an outbox row (plain text, UTF-8, its stored Message-ID)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    message["Content-Language"] = row.language  # after set_content, which resets Content-*
    return message


class FileTransport:
    """Writes each message as ``<folder>/<hash of Message-ID>.eml`` (atomic rename; writing the
    same message again replaces the file, so a file exists at most once per message)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` to the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:32] + ".eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, self.folder / name)

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class SmtpSettings:
    """Parsed ``LANTERN_SMTP_URL``.

    ``smtp://user:password@host:587`` — STARTTLS when the server offers it;
    ``smtp+starttls://…`` — STARTTLS required; ``smtps://…:465`` — TLS from the first byte.
    User and password are optional and URL-decoded.
    """

    host: str
    port: int
    mode: str  # "opportunistic" | "starttls" | "ssl"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Parse an SMTP URL; ``ValueError`` for another scheme or a missing host."""
        parts = urlsplit(url)
        modes = {"smtp": "opportunistic", "smtp+starttls": "starttls", "smtps": "ssl"}
        if parts.scheme not in modes or not parts.hostname:
            raise ValueError("LANTERN_SMTP_URL must look like smtp://user:password@host:587")
        mode = modes[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if mode == "ssl" else 587),
            mode=mode,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpTransport:
    """Sends through one SMTP connection, opened on first use and reopened after an error."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.mode == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            client.ehlo()
            if s.mode == "starttls" or client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def send(self, message: EmailMessage) -> None:
        """Send ``message``; ``PermanentFailure`` on a 5xx refusal, other errors are temporary."""
        if self._client is None:
            self._client = self._connect()
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure("recipient refused") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"SMTP {error.smtp_code}") from error
            self.close()
            raise
        except Exception:
            self.close()
            raise
        if refused:  # only possible with several recipients; we always send to one
            raise PermanentFailure("recipient refused")

    def close(self) -> None:
        """Say QUIT (best effort) and forget the connection."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # the connection is being dropped anyway
                client.quit()


def transport_for(config: Mapping[str, Any]) -> Transport:
    """SMTP when ``SMTP_URL`` is set, else ``.eml`` files in ``OUTBOX_FOLDER``."""
    url = config.get("SMTP_URL")
    if url:
        return SmtpTransport(SmtpSettings.from_url(str(url)))
    return FileTransport(Path(str(config.get("OUTBOX_FOLDER") or "instance/outbox")))


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 1, 2, 4 … minutes, ≤ 6 h."""
    delay: dt.timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY)


@dataclass
class DrainReport:
    """What one ``drain`` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Messages tried in this drain."""
        return self.sent + self.retried + self.failed


def claim(
    session: Session,
    *,
    now: dt.datetime,
    limit: int,
    channels: tuple[MessageChannel, ...] = (MessageChannel.EMAIL,),
) -> list[int]:
    """Claim up to ``limit`` due pending or retrying messages of ``channels`` (see the module
    docstring); commits. Returns their ids, oldest first.
    """
    session.rollback()
    begin_write(session)
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(DUE_STATES),
            OutboxMessage.channel.in_(channels),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
    session.commit()
    return [row.id for row in rows]


def _settle(
    session: Session,
    message_id: int,
    *,
    now: dt.datetime,
    error: BaseException | None,
    max_attempts: int,
) -> OutboxStatus:
    begin_write(session)
    row = session.get(OutboxMessage, message_id)
    assert row is not None
    if error is None:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
    else:
        cause = error.__cause__ or error
        code = getattr(cause, "smtp_code", None) or getattr(cause, "http_status", None)
        row.last_error = type(cause).__name__ + (f" {code}" if code else "")
        if isinstance(error, PermanentFailure) or row.attempts >= max_attempts:
            row.status = OutboxStatus.FAILED
        else:
            row.status = OutboxStatus.RETRYING
            row.next_attempt_at = now + retry_delay(row.attempts)
    status = row.status
    session.commit()
    return status


def drain(
    factory: sessionmaker[Session],
    transport: Transport,
    *,
    sender: str,
    now: Callable[[], dt.datetime],
    batch: int = 50,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    max_messages: int | None = None,
    sms: SmsSender | None = None,
) -> DrainReport:
    """Deliver every due email (and SMS, when ``sms`` is given) once, in batches of ``batch``,
    and return the counts.

    ``now`` is called for each claim and each settlement (the clock is injected). Stops when no
    due message is left or after ``max_messages``. Temporary errors schedule a retry; the
    senders are closed at the end. SMS rows stay queued while no SMS sender is given.
    """
    report = DrainReport()
    session = factory()
    channels = (MessageChannel.EMAIL,) + ((MessageChannel.SMS,) if sms is not None else ())
    try:
        while max_messages is None or report.attempted < max_messages:
            ids = claim(session, now=now(), limit=batch, channels=channels)
            if not ids:
                break
            for message_id in ids:
                row = session.get(OutboxMessage, message_id)
                assert row is not None
                deliver: Callable[[], None]
                if row.channel is MessageChannel.SMS and sms is not None:
                    text = SmsMessage(row.message_id, row.to_address, row.body_text, row.language)
                    deliver = functools.partial(sms.send, text)
                else:
                    deliver = functools.partial(transport.send, build_message(row, sender))
                session.rollback()  # no transaction open while talking to the server
                error: BaseException | None = None
                try:
                    deliver()
                except Exception as caught:
                    error = caught
                status = _settle(
                    session, message_id, now=now(), error=error, max_attempts=max_attempts
                )
                if status is OutboxStatus.SENT:
                    report.sent += 1
                elif status is OutboxStatus.FAILED:
                    report.failed += 1
                else:
                    report.retried += 1
    finally:
        transport.close()
        if sms is not None:
            sms.close()
        session.close()
    return report


def undelivered(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """Messages the drainer could not deliver yet: ``retrying`` and ``failed`` rows of every
    channel, failed first, oldest first (for a staff dashboard; ``last_error`` has no PII)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.FAILED, OutboxStatus.RETRYING)))
            .order_by(
                (OutboxMessage.status == OutboxStatus.RETRYING),
                OutboxMessage.created_at,
                OutboxMessage.id,
            )
            .limit(limit)
        )
    )


def run_forever(
    drain_once: Callable[[], DrainReport],
    *,
    interval: float,
    stop: threading.Event,
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """Call ``drain_once`` every ``interval`` seconds until ``stop`` is set (errors are passed
    to ``on_error`` and the loop goes on: a database hiccup must not end the drainer)."""
    while not stop.is_set():
        try:
            drain_once()
        except Exception as error:
            if on_error is not None:
                on_error(error)
        stop.wait(interval)
