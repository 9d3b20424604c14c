"""The records pages of the back office: the records schedule (due, soon due, held), legal
holds set and released from the case page, the navigation line, and valid HTML throughout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, LegalHold, Staff
from portal.vocabulary import Finding, StaffRole
from tests.browser import assert_valid_html
from tests.portal.records_support import complainants_of, personal_case
from tests.portal.staff_support import create_staff
from tests.publisher.publish_support import utc

StaffClient = Callable[..., tuple[FlaskClient, Staff]]


@pytest.fixture
def app_config() -> dict[str, Any]:
    """CSRF on: every form here carries a real token."""
    return {"WTF_CSRF_ENABLED": True}


def _token(client: FlaskClient, url: str) -> str:
    from tests.support import csrf_token

    return csrf_token(client.get(url).get_data(as_text=True))


def test_schedule_page_lists_due_soon_and_held_cases_for_supervisors_only(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    folder = Path(app.config["UPLOAD_FOLDER"])
    now = dt.datetime.now(dt.UTC)
    due = personal_case(db, folder, "Due", closed_at=now - dt.timedelta(days=6 * 366))
    soon = personal_case(db, folder, "Soon", closed_at=now - dt.timedelta(days=6 * 365 - 30))
    later = personal_case(
        db, folder, "Later", closed_at=now - dt.timedelta(days=400), finding=Finding.SUSTAINED
    )
    held = personal_case(db, folder, "Held", closed_at=now - dt.timedelta(days=7 * 365))
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    db.add(LegalHold(complaint_id=held.id, set_at=now, set_by_id=supervisor.id, reason="Suit"))
    db.commit()

    page = client.get("/staff/records")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sections = {
        name: html.split(f'id="{name}-caption"')[1].split("</table>")[0]
        for name in ("due", "soon", "held")
    }
    assert due.reference in sections["due"] and soon.reference not in sections["due"]
    assert soon.reference in sections["soon"] and "Due within 90 days (1)" in sections["soon"]
    assert held.reference in sections["held"] and held.reference not in sections["due"]
    assert later.reference not in html
    assert "Every other closed case" in html and "10 years" in html
    assert 'href="/staff/records"' in html  # its navigation line
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "records.schedule_view")).one()
    assert entry.actor_id == supervisor.id and entry.detail == "due=1 soon=1 held=1"
    for role in (StaffRole.INTAKE, StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER):
        other, _ = staff_client(role)
        assert other.get("/staff/records").status_code == 403
        assert 'href="/staff/records"' not in other.get("/staff/").get_data(as_text=True)


def test_a_hold_is_set_and_released_from_the_case_page_with_reasons(
    app: Flask, db: Session, staff_client: StaffClient, tmp_path: Path
) -> None:
    complaint = personal_case(db, Path(app.config["UPLOAD_FOLDER"]), "Page")
    db.commit()
    client, _ = staff_client(StaffRole.SUPERVISOR)
    case_url = f"/staff/cases/{complaint.id}"
    hold_url = f"{case_url}/legal-hold"
    case_page = client.get(case_url).get_data(as_text=True)
    assert "Not on legal hold." in case_page and f'href="{hold_url}"' in case_page

    empty = client.post(hold_url, data={"csrf_token": _token(client, hold_url), "reason": ""})
    assert empty.status_code == 400 and "Give the reason." in empty.get_data(as_text=True)
    too_long = "x" * 2001
    long = client.post(hold_url, data={"csrf_token": _token(client, hold_url), "reason": too_long})
    assert long.status_code == 400 and too_long in long.get_data(as_text=True)  # answer kept

    done = client.post(
        hold_url, data={"csrf_token": _token(client, hold_url), "reason": "Suit Doe v City"}
    )
    assert done.status_code == 303
    held_page = client.get(case_url).get_data(as_text=True)
    assert "On legal hold" in held_page and "Suit Doe v City" in held_page
    release_page = client.get(hold_url).get_data(as_text=True)
    assert "Release the legal hold on" in release_page
    client.post(hold_url, data={"csrf_token": _token(client, hold_url), "reason": "Settled"})
    released = client.get(case_url).get_data(as_text=True)
    assert "Not on legal hold." in released and "Earlier holds" in released

    [person] = complainants_of(db, complaint.id)
    erase_url = f"{case_url}/complainants/{person.id}/erase"
    erase_error = client.post(
        erase_url, data={"csrf_token": _token(client, erase_url), "reason": ""}
    )
    assert erase_error.status_code == 400
    pages = {
        "case": released,
        "hold_empty": client.get(hold_url).get_data(as_text=True),
        "hold_error": empty.get_data(as_text=True),
        "hold_release": release_page,
        "erase": client.get(erase_url).get_data(as_text=True),
        "erase_error": erase_error.get_data(as_text=True),
        "schedule": client.get("/staff/records").get_data(as_text=True),
    }
    assert_valid_html(pages, tmp_path)


def test_the_investigator_sees_the_hold_but_cannot_change_it(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    complaint = personal_case(db, Path(app.config["UPLOAD_FOLDER"]), "Inv")
    supervisor = create_staff(db, StaffRole.SUPERVISOR)
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    db.add(
        LegalHold(
            complaint_id=complaint.id,
            set_at=utc(2026, 1, 1),
            set_by_id=supervisor.id,
            reason="Inquiry",
        )
    )
    db.commit()
    page = client.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    assert "On legal hold" in page
    assert "legal-hold" not in page and "/export" not in page and "/erase" not in page
