"""``lantern doctor`` checks for reaching complainants without email: the SMS sender
(``LANTERN_SMS_URL``) and the letterhead and paper of printed letters. Same rules as
``portal.services.doctor``: plain words, nothing changed, no secret in any message."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from portal.services.doctor import Deployment, Finding, Status


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_sms(config: Mapping[str, Any], deployment: Deployment) -> Finding:
    """SMS off, a folder the drainer can write to, or an encrypted gateway address."""
    from portal.services.sms import sms_folder

    url = str(config.get("SMS_URL") or "").strip()
    if not url:
        return Finding(
            "sms",
            Status.OK,
            "SMS is off (LANTERN_SMS_URL unset): complainants without email get letters only.",
        )
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        folder = Path(path) if path else sms_folder(config)
        if folder.exists() and not folder.is_dir():
            return Finding(
                "sms",
                Status.PROBLEM,
                f"LANTERN_SMS_URL names {folder}, which is a file, not a folder: SMS would wait "
                "in the outbox forever (retrying). Point it at a folder.",
            )
        status = Status.WARNING if deployment.production else Status.OK
        return Finding(
            "sms",
            status,
            f"SMS are written as files into {folder} and reach nobody unless software picks "
            "them up there; for real SMS set LANTERN_SMS_URL to the gateway's https:// address.",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Finding(
            "sms",
            Status.PROBLEM,
            "LANTERN_SMS_URL is malformed: use file:///folder (SMS as files) or "
            "https://user:token@gateway.example/send (an SMS gateway).",
        )
    where = parts.hostname + (f":{parts.port}" if parts.port else "")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return Finding(
            "sms",
            Status.PROBLEM,
            f"SMS go to {where} over plain http: phone numbers and the gateway's token would "
            "cross the network in clear. Use https://.",
        )
    return Finding("sms", Status.OK, f"SMS go to the gateway at {where}.")


def check_letters(config: Mapping[str, Any], deployment: Deployment) -> Finding:
    """The paper size is one the letters know, and letters carry a return address."""
    from portal.services.letters import PAGE_LAYOUTS

    page = str(config.get("LETTER_PAGE_SIZE") or "letter").strip().lower()
    if page not in PAGE_LAYOUTS:
        return Finding(
            "letters",
            Status.PROBLEM,
            "LANTERN_LETTER_PAGE_SIZE must be letter (US, #10 window envelope) or A4 (DIN 5008, "
            "DL window envelope): the Letters to print page cannot make PDFs.",
        )
    if not str(config.get("OFFICE_ADDRESS") or "").strip():
        status = Status.WARNING if deployment.production else Status.OK
        return Finding(
            "letters",
            status,
            "LANTERN_OFFICE_ADDRESS is not set: printed letters have no return address. Set it "
            "to the office's postal address, lines separated by ';'.",
        )
    return Finding("letters", Status.OK, f"letters print on {page} paper with a return address.")
