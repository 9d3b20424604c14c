"""Helpers for the back-office screen tests: reading tables and audit entries back."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry

REFERENCE = re.compile(r"LNT-[0-9A-Z]{4}-[0-9A-Z]{4}")


def table_body(page: str) -> str:
    """The first table body of a page."""
    match = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert match, "no table body in the page"
    return match.group(1)


def references_in_table(page: str) -> list[str]:
    """The reference numbers of the queue table's rows, in display order."""
    return REFERENCE.findall(table_body(page))


def audit_actions(db: Session, *, object_id: int | None = None) -> list[str]:
    """Actions of the audit trail in order (optionally only for one object id)."""
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return list(db.scalars(query))


def audit_entries(db: Session, action: str) -> list[AuditEntry]:
    """Every audit entry with ``action``, oldest first."""
    db.rollback()  # end the test session's read snapshot (SQLite)
    db.expire_all()
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )
