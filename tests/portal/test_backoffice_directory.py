"""The referral directory screens: list, add, edit, retire; each change audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Agency, Staff
from portal.vocabulary import CaseState, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]


def _agencies(db: Session) -> list[Agency]:
    db.rollback()
    db.expire_all()
    return list(db.scalars(select(Agency).order_by(Agency.id)))


def test_add_an_agency(db: Session, staff_client: StaffClient) -> None:
    client, intake = staff_client(StaffRole.INTAKE)
    assert "The directory is empty." in client.get("/staff/agencies").get_data(as_text=True)
    data = {"name": "Tenant Legal Aid", "contact": "555 0100", "handles": "Housing disputes"}
    response = client.post("/staff/agencies", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Added Tenant Legal Aid to the directory." in page
    assert "Tenant Legal Aid" in page and "Housing disputes" in page
    (agency,) = _agencies(db)
    assert (agency.name, agency.contact, agency.handles, agency.is_active) == (
        "Tenant Legal Aid",
        "555 0100",
        "Housing disputes",
        True,
    )
    assert [e.actor_id for e in audit_entries(db, "agency.add")] == [intake.id]


def test_adding_a_duplicate_or_nameless_agency_is_refused(
    db: Session, staff_client: StaffClient
) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    client.post("/staff/agencies", data={"name": "Tenant Legal Aid"})
    again = client.post("/staff/agencies", data={"name": "Tenant  Legal Aid"})
    assert again.status_code == 400
    assert "already in the directory" in again.get_data(as_text=True)
    nameless = client.post("/staff/agencies", data={"name": ""})
    assert nameless.status_code == 400
    assert "Give the agency a name." in nameless.get_data(as_text=True)
    assert len(_agencies(db)) == 1


def test_edit_and_retire_an_agency(db: Session, staff_client: StaffClient) -> None:
    client, admin = staff_client(StaffRole.ADMIN)  # admins keep the directory too
    agency = Agency(name="Youth Services", contact="old", handles="minors", is_active=True)
    db.add(agency)
    db.commit()
    form = client.get(f"/staff/agencies/{agency.id}").get_data(as_text=True)
    assert 'value="Youth Services"' in form
    response = client.post(
        f"/staff/agencies/{agency.id}",
        data={"name": "Youth Services Bureau", "contact": "555 0199", "handles": "minors"},
        follow_redirects=True,
    )
    assert "Saved Youth Services Bureau." in response.get_data(as_text=True)
    (saved,) = _agencies(db)
    assert (saved.name, saved.contact, saved.is_active) == (
        "Youth Services Bureau",
        "555 0199",
        False,
    )
    entry = audit_entries(db, "agency.edit")[0]
    assert entry.actor_id == admin.id
    assert entry.before["is_active"] is True and entry.after["is_active"] is False  # type: ignore[index]
    # A retired agency is no longer offered when screening.
    intake, _ = staff_client(StaffRole.INTAKE)
    complaint = make_complaint(db, state=CaseState.SCREENING)
    db.commit()
    case_page = intake.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    assert "Youth Services Bureau" not in case_page


def test_directory_refused_to_investigator_and_commissioner(
    db: Session, staff_client: StaffClient
) -> None:
    for role in (StaffRole.INVESTIGATOR, StaffRole.COMMISSIONER):
        client, _ = staff_client(role)
        assert client.get("/staff/agencies").status_code == 403
        assert client.post("/staff/agencies", data={"name": "X"}).status_code == 403
    assert _agencies(db) == []
