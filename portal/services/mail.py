"""Queueing email in the transactional outbox.

A message is written to the ``outbox`` table in the caller's transaction, so it exists if and
only if the change it reports was committed. Delivery (files or SMTP, retries, no duplicates) is
``portal.services.mail_delivery``'s job.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from portal.models import OutboxMessage


def new_message_id(domain: str = "lantern.invalid") -> str:
    """A random RFC 5322 Message-ID (random, so it reveals nothing about the complaint)."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def queue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    language: str,
    complaint_id: int | None,
    now: dt.datetime,
) -> OutboxMessage:
    """Add an email to the outbox in ``session``'s transaction (not committed here).

    Returns the pending ``OutboxMessage``. The caller commits it together with the change the
    email reports; nothing is sent until the outbox is drained.
    """
    message = OutboxMessage(
        message_id=new_message_id(),
        complaint_id=complaint_id,
        to_address=to,
        subject=subject,
        body_text=body,
        language=language,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message
