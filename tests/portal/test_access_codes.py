"""Reissuing a lost access code: identity verified and recorded, the old code dead at once, the
new code shown once and/or emailed in the complainant's language, never stored or audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import AccessCodeReissue, AuditEntry, Correction, OutboxMessage, Staff
from portal.services import access_codes, status
from portal.services.caserules import CaseworkError
from portal.services.notify import MailSettings
from portal.vocabulary import StaffRole
from tests.browser import assert_valid_html
from tests.portal.backoffice_support import audit_entries
from tests.portal.search_support import file_case
from tests.portal.status_support import KEY

StaffClient = Callable[..., tuple[FlaskClient, Staff]]
NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
CODE = re.compile(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>")


def _works(db: Session, reference: str, code: str) -> bool:
    db.rollback()
    return status.lookup(db, reference, code, key=KEY, now=NOW) is not None


def test_shown_once_the_old_code_stops_working_and_the_new_one_works(
    db: Session, staff_client: StaffClient, tmp_path: Path
) -> None:
    filed = file_case(db)
    assert _works(db, filed.reference, filed.code)
    client, staff = staff_client(StaffRole.INTAKE)
    form = client.get(f"/staff/cases/{filed.id}/access-code")
    assert form.status_code == 200
    response = client.post(
        f"/staff/cases/{filed.id}/access-code",
        data={
            "method": "security_questions_phone",
            "note": "Asked the incident date and the street",
            "delivery": "shown",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (new_code,) = CODE.findall(page)
    assert new_code != filed.code
    assert not _works(db, filed.reference, filed.code)
    assert _works(db, filed.reference, new_code)
    # Recorded: who and how; the code is nowhere in the database but as its keyed hash.
    (row,) = db.scalars(select(AccessCodeReissue))
    assert (row.reissued_by_id, row.method, row.delivery) == (
        staff.id,
        "security_questions_phone",
        "shown",
    )
    (entry,) = audit_entries(db, "access_code.reissue")
    assert entry.actor_id == staff.id and entry.object_id == filed.id
    assert entry.detail == "method=security_questions_phone delivery=shown emails=0"
    stored = json.dumps(
        [[e.before, e.after, e.detail] for e in db.scalars(select(AuditEntry))]
    ) + json.dumps([r.verification_note for r in db.scalars(select(AccessCodeReissue))])
    plain = new_code.replace("-", "")
    assert new_code not in stored and plain not in stored
    assert db.scalar(select(OutboxMessage.id)) is None
    assert_valid_html({"reissue-form": form.get_data(as_text=True), "reissued": page}, tmp_path)


def test_emailed_in_the_complainants_language(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    filed = file_case(db, email="lucia@example.org", language="es")
    db.execute(OutboxMessage.__table__.delete())  # the receipt
    db.commit()
    supervisor = make_staff(StaffRole.SUPERVISOR)
    done = access_codes.reissue_access_code(
        db,
        filed.id,
        actor=supervisor,
        now=NOW,
        method=access_codes.Method.PHOTO_ID_IN_PERSON,
        note=None,
        delivery=access_codes.Delivery.EMAIL,
        access_code_key=KEY,
        settings=MailSettings(status_url="https://oversight.example/status"),
    )
    db.commit()
    assert done.access_code is None and done.emailed == 1
    (mail,) = db.scalars(select(OutboxMessage))
    assert mail.to_address == "lucia@example.org" and mail.language == "es"
    assert "nuevo código de acceso" in mail.subject.lower()
    (code,) = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", mail.body_text)
    assert "ya no funciona" in mail.body_text
    assert _works(db, filed.reference, code) and not _works(db, filed.reference, filed.code)


def test_a_locked_reference_is_unlocked_by_the_new_code(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    filed = file_case(db)
    for _attempt in range(status.DEFAULT_MAX_FAILURES - 1):
        assert not _works(db, filed.reference, "AAAA-BBBB-CCCC")
    with pytest.raises(status.ReferenceLocked):
        _works(db, filed.reference, "AAAA-BBBB-CCCC")
    with pytest.raises(status.ReferenceLocked):  # locked even for the right code
        _works(db, filed.reference, filed.code)
    done = access_codes.reissue_access_code(
        db,
        filed.id,
        actor=make_staff(StaffRole.INTAKE),
        now=NOW,
        method=access_codes.Method.SECURITY_QUESTIONS_PHONE,
        note=None,
        delivery=access_codes.Delivery.SHOWN,
        access_code_key=KEY,
        settings=MailSettings(),
    )
    db.commit()
    assert done.access_code is not None and _works(db, filed.reference, done.access_code)


def test_refusals_change_nothing(db: Session, staff_client: StaffClient) -> None:
    filed = file_case(db)  # no email address
    client, _staff = staff_client(StaffRole.INTAKE)
    no_email = client.post(
        f"/staff/cases/{filed.id}/access-code",
        data={"method": "photo_id_in_person", "delivery": "email"},
    )
    assert no_email.status_code == 400
    assert "show the code instead" in no_email.get_data(as_text=True)
    other = client.post(
        f"/staff/cases/{filed.id}/access-code", data={"method": "other", "delivery": "shown"}
    )
    assert "Describe how you verified" in other.get_data(as_text=True)
    missing = client.post(f"/staff/cases/{filed.id}/access-code", data={"note": "kept text"})
    page = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "kept text" in page
    assert "Choose how you verified the caller" in page
    assert _works(db, filed.reference, filed.code)
    assert db.scalar(select(AccessCodeReissue.id)) is None
    assert db.scalar(select(Correction.id)) is None


@pytest.mark.parametrize("role", [StaffRole.INVESTIGATOR, StaffRole.COMMISSIONER, StaffRole.ADMIN])
def test_only_intake_and_supervisors_reissue(
    db: Session, staff_client: StaffClient, role: StaffRole
) -> None:
    filed = file_case(db)
    client, staff = staff_client(role)
    assert client.get(f"/staff/cases/{filed.id}/access-code").status_code == 403
    posted = client.post(
        f"/staff/cases/{filed.id}/access-code",
        data={"method": "photo_id_in_person", "delivery": "shown"},
    )
    assert posted.status_code == 403
    with pytest.raises(CaseworkError):
        access_codes.reissue_access_code(
            db,
            filed.id,
            actor=staff,
            now=NOW,
            method=access_codes.Method.PHOTO_ID_IN_PERSON,
            note=None,
            delivery=access_codes.Delivery.SHOWN,
            access_code_key=KEY,
            settings=MailSettings(),
        )
    db.rollback()
    assert _works(db, filed.reference, filed.code)


def test_a_browser_signed_in_with_the_old_code_is_signed_out(
    db: Session, client: FlaskClient, app: Any, make_staff: Callable[..., Staff]
) -> None:
    filed = file_case(db)
    assert (
        client.post(
            "/status", data={"reference": filed.reference, "access_code": filed.code}
        ).status_code
        == 200
    )
    assert client.get("/status/view").status_code == 200
    done = access_codes.reissue_access_code(
        db,
        filed.id,
        actor=make_staff(StaffRole.INTAKE),
        now=clock.utcnow(),
        method=access_codes.Method.PHOTO_ID_IN_PERSON,
        note=None,
        delivery=access_codes.Delivery.SHOWN,
        access_code_key=KEY,
        settings=MailSettings(),
    )
    db.commit()
    ended = client.get("/status/view")
    assert ended.status_code == 303 and ended.headers["Location"].endswith("/status")
    assert client.get("/status/contact").status_code == 303
    # Signing in again with the new code works and stays signed in.
    assert done.access_code is not None
    assert (
        client.post(
            "/status", data={"reference": filed.reference, "access_code": done.access_code}
        ).status_code
        == 200
    )
    assert client.get("/status/view").status_code == 200
    assert client.get("/status/contact").status_code == 200
    other = app.test_client()  # a browser that never signed in sees nothing either way
    assert other.get("/status/view").status_code == 303
