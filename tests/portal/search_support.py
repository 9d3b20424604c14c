"""Helpers for the search, correction and reissue tests: complaints filed through the real
intake service with the people, contacts and officers a search looks for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from portal.services.intake import ComplainantInfo, OfficerReport, Submission, file_complaint
from portal.vocabulary import AllegationCategory, Channel, ContactMethod
from tests.portal.status_support import KEY, Filed

#: A Monday.
FILED_AT = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
#: The audit key of the test app (tests/conftest.py base_test_config: SECRET_KEY).
AUDIT_KEY = "test-secret-key-not-for-production"


def file_case(
    db: Session,
    *,
    narrative: str = "An officer shouted at me outside the library.",
    name: str | None = "María José Núñez",
    email: str | None = None,
    phone: str | None = None,
    officer_name: str | None = None,
    badge: str | None = None,
    location: str | None = None,
    language: str = "en",
    categories: tuple[AllegationCategory, ...] = (AllegationCategory.DISCOURTESY,),
    at: dt.datetime = FILED_AT,
    **complainant: Any,
) -> Filed:
    """File (and commit) a complaint through the intake service; return its credentials."""
    officers = (OfficerReport(name=officer_name, badge=badge),) if officer_name or badge else ()
    filed = file_complaint(
        db,
        Submission(
            narrative=narrative,
            incident_location=location,
            officers=officers,
            categories=categories,
            consent=True,
            complainant=ComplainantInfo(
                name=name,
                email=email,
                phone=phone,
                language=language,
                contact_method=ContactMethod.EMAIL if email else ContactMethod.NONE,
                **complainant,
            ),
        ),
        channel=Channel.ONLINE,
        entered_by=None,
        now=at,
        access_code_key=KEY,
        idempotency_key=None,
    )
    assert filed.access_code is not None
    return Filed(filed.complaint_id, filed.reference, filed.access_code)
