"""SMS senders for the outbox drainer, chosen by ``LANTERN_SMS_URL``.

- unset: SMS is off (nothing is queued on the ``sms`` channel, ``sms_sender_for`` gives None);
- ``file:`` or ``file:///path``: ``FileSmsSender`` writes one JSON file per SMS into the folder
  (``instance/sms`` for a bare ``file:``), like the ``.eml`` outbox for email — for development,
  and for an office whose SMS software picks files up from a folder;
- ``https://user:token@gateway.example/send`` (or ``http://`` on loopback): ``HttpSmsSender``
  POSTs ``{"id", "to", "text", "language"}`` as JSON with an ``Idempotency-Key`` header (the
  message id, so a gateway can drop a repeat after a drainer crash). 2xx is accepted; 4xx other
  than 408/429 is a permanent refusal; anything else (5xx, 408, 429, no connection, timeout) is
  temporary and retried by the drainer.

Another gateway plugs in by implementing ``SmsSender`` (``send`` and ``close``) and passing it to
``portal.services.outbox.drain(..., sms=...)``. Errors name the error class and HTTP status only,
never the number or the text.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit


@dataclasses.dataclass(frozen=True, slots=True)
class SmsMessage:
    """One SMS to deliver: its outbox id (stable across retries), the number and the text."""

    message_id: str
    to: str
    text: str
    language: str


class SmsSender(Protocol):
    """Something that delivers one ``SmsMessage`` or raises (``PermanentFailure`` for good)."""

    def send(self, message: SmsMessage) -> None:
        """Deliver ``message``; return only once it was accepted."""

    def close(self) -> None:
        """Release connections."""


class SmsGatewayError(Exception):
    """The gateway answered with an error status (``http_status``) that may pass."""

    def __init__(self, http_status: int) -> None:
        super().__init__(f"HTTP {http_status}")
        self.http_status = http_status


def _payload(message: SmsMessage) -> bytes:
    return json.dumps(
        {
            "id": message.message_id,
            "to": message.to,
            "text": message.text,
            "language": message.language,
        },
        ensure_ascii=False,
    ).encode("utf-8")


class FileSmsSender:
    """Writes each SMS as ``<folder>/<hash of its id>.sms.json`` (atomic rename, mode 0600;
    writing the same SMS again replaces the file, so a file exists at most once per SMS)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: SmsMessage) -> None:
        """Write ``message`` to the folder (``OSError`` when it cannot: retried later)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = hashlib.sha256(message.message_id.encode()).hexdigest()[:32] + ".sms.json"
        temporary = self.folder / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_payload(message))
        os.replace(temporary, self.folder / name)

    def close(self) -> None:
        """Nothing to release."""


class HttpSmsSender:
    """POSTs each SMS as JSON to a gateway URL (see the module docstring)."""

    def __init__(self, url: str, timeout: float = 15) -> None:
        parts = urlsplit(url)
        self._authorization: str | None = None
        if parts.username:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._authorization = "Basic " + base64.b64encode(pair.encode()).decode()
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        self.url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HttpSmsSender({urlsplit(self.url).hostname!r})"

    def send(self, message: SmsMessage) -> None:
        """POST ``message``; ``PermanentFailure`` on a 4xx refusal, other errors are temporary."""
        from portal.services.outbox import PermanentFailure

        request = urllib.request.Request(  # noqa: S310  (scheme checked in sms_sender_for)
            self.url,
            data=_payload(message),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.message_id,
            },
        )
        if self._authorization:
            request.add_header("Authorization", self._authorization)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
            if 400 <= status < 500 and status not in (408, 429):
                raise PermanentFailure(f"HTTP {status}") from SmsGatewayError(status)
            raise SmsGatewayError(status) from None

    def close(self) -> None:
        """Nothing to release (one connection per request)."""


def sms_folder(config: Mapping[str, Any]) -> Path:
    """Where a bare ``file:`` SMS URL writes: ``sms`` next to the email outbox folder."""
    outbox = Path(str(config.get("OUTBOX_FOLDER") or "instance/outbox"))
    return outbox.parent / "sms"


def sms_sender_for(config: Mapping[str, Any]) -> SmsSender | None:
    """The sender ``SMS_URL`` names, or None when SMS is off; ``ValueError`` for a URL that is
    neither ``file:`` nor ``http(s)://host``."""
    url = str(config.get("SMS_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        return FileSmsSender(Path(path) if path else sms_folder(config))
    if parts.scheme in ("http", "https") and parts.hostname:
        return HttpSmsSender(url)
    raise ValueError("LANTERN_SMS_URL must be file:///folder or https://gateway.example/path")


def describe(url: str) -> str:
    """``SMS_URL`` for messages and logs: scheme and host or folder, never a user or token."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return f"files in {unquote(parts.path) or 'instance/sms'}"
    return f"{parts.scheme}://{parts.hostname or '?'}{'' if not parts.port else f':{parts.port}'}"
