"""Correcting a case after filing: staff forms, history with the original, masked audit, the
search index following the correction; and the resident correcting their contact details."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Allegation, Complainant, Complaint, Correction, InvolvedOfficer, Staff
from portal.services import audit, corrections
from portal.services.caserules import CaseworkError
from portal.vocabulary import AllegationCategory, ContactMethod, Finding, StaffRole
from tests.browser import assert_valid_html
from tests.portal.backoffice_support import audit_entries
from tests.portal.search_support import AUDIT_KEY, file_case
from tests.portal.status_support import KEY

StaffClient = Callable[..., tuple[FlaskClient, Staff]]
NOW = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)


def _complaint(db: Session, complaint_id: int) -> Complaint:
    db.rollback()
    db.expire_all()
    complaint = db.get(Complaint, complaint_id)
    assert complaint is not None
    return complaint


def _found(db: Session, staff: Staff, query: str) -> list[int]:
    from portal.services.search import search_cases

    db.rollback()  # end the test session's read snapshot (SQLite)
    result = search_cases(db, query, actor=staff, now=NOW, audit_key=AUDIT_KEY)
    return [hit.complaint_id for hit in result.hits]


def test_staff_correct_the_incident_and_the_history_keeps_the_original(
    db: Session, staff_client: StaffClient
) -> None:
    filed = file_case(db, location="Main Street near the bakery")
    client, staff = staff_client(StaffRole.INTAKE)
    response = client.post(
        f"/staff/cases/{filed.id}/correct/details",
        data={
            "case-incident_date": "2026-02-27",
            "case-incident_time": "21:15",
            "case-incident_date_is_approximate": "y",
            "case-incident_location": "Maple Avenue near the pharmacy",
            "case-district": "",
            "case-reason": "Caller phoned back: the place was wrong",
        },
    )
    assert response.status_code == 303
    complaint = _complaint(db, filed.id)
    assert complaint.incident_date == dt.date(2026, 2, 27)
    assert complaint.incident_time == dt.time(21, 15)
    assert complaint.incident_date_is_approximate is True
    assert complaint.incident_location == "Maple Avenue near the pharmacy"
    rows = {c.field: c for c in db.scalars(select(Correction))}
    assert rows["incident_location"].before_value == "Main Street near the bakery"
    assert rows["incident_location"].after_value == "Maple Avenue near the pharmacy"
    assert rows["incident_location"].actor_id == staff.id
    assert rows["incident_date_is_approximate"].before_value == "no"
    # The audit has the fields that changed, personal values masked.
    (entry,) = audit_entries(db, "complaint.correct")
    assert entry.before is not None and entry.after is not None
    assert entry.before["incident_location"] == audit.PERSONAL
    assert entry.after["incident_date_is_approximate"] is True
    assert "bakery" not in str(entry.before) + str(entry.after) + (entry.detail or "")
    # The page shows the history, with who and why.
    page = client.get(f"/staff/cases/{filed.id}/correct").get_data(as_text=True)
    assert "Main Street near the bakery" in page and "the place was wrong" in page
    assert staff.name in page
    # The search index follows the correction.
    assert _found(db, staff, "pharmacy") == [filed.id]
    assert _found(db, staff, "bakery") == []


def test_an_invalid_correction_comes_back_with_every_answer_kept(
    db: Session, staff_client: StaffClient
) -> None:
    filed = file_case(db)
    client, _staff = staff_client(StaffRole.SUPERVISOR)
    response = client.post(
        f"/staff/cases/{filed.id}/correct/details",
        data={
            "case-incident_date": "2026-02-27",
            "case-incident_time": "25:99",
            "case-incident_location": "Typed location kept",
            "case-reason": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the time as hours and minutes, like 14:30." in page
    assert "Say why you are correcting this." in page
    assert "Typed location kept" in page and 'value="25:99"' in page
    assert db.scalar(select(Correction.id)) is None


def test_officers_added_edited_and_removed_with_history(
    db: Session, staff_client: StaffClient
) -> None:
    filed = file_case(db, officer_name="Ofc. Smyth", badge="771")
    client, staff = staff_client(StaffRole.INVESTIGATOR)
    officer = db.scalar(select(InvolvedOfficer).where(InvolvedOfficer.complaint_id == filed.id))
    assert officer is not None
    db.add(
        Allegation(
            complaint_id=filed.id,
            involved_officer_id=officer.id,
            category=AllegationCategory.DISCOURTESY,
        )
    )
    db.commit()
    edit = client.post(
        f"/staff/cases/{filed.id}/correct/officer/{officer.id}",
        data={
            f"officer{officer.id}-name_given": "Ofc. Smith",
            f"officer{officer.id}-badge_given": "7710",
            f"officer{officer.id}-reason": "Spelling confirmed with the complainant",
        },
    )
    assert edit.status_code == 303
    assert _found(db, staff, "smith 7710") == [filed.id]
    assert _found(db, staff, "smyth") == []
    added = client.post(
        f"/staff/cases/{filed.id}/correct/officers",
        data={"newofficer-name_given": "Ofc. Varga", "newofficer-reason": "Second officer"},
    )
    assert added.status_code == 303
    new_id = db.scalar(select(InvolvedOfficer.id).where(InvolvedOfficer.name_given == "Ofc. Varga"))
    assert new_id is not None
    # The filed officer has the allegation: it cannot be removed, the new one can.
    refused = client.post(
        f"/staff/cases/{filed.id}/correct/officer/{officer.id}/remove",
        data={f"remove{officer.id}-reason": "Mistake"},
    )
    assert refused.status_code == 400
    assert "Allegations are recorded against this officer" in refused.get_data(as_text=True)
    removed = client.post(
        f"/staff/cases/{filed.id}/correct/officer/{new_id}/remove",
        data={f"remove{new_id}-reason": "Named by mistake"},
    )
    assert removed.status_code == 303
    db.rollback()
    assert db.get(InvolvedOfficer, new_id) is None
    history = corrections.history(db, filed.id, reveal_personal=True)
    assert ("name_given", "Ofc. Smyth", "Ofc. Smith") in [
        (h.field, h.before, h.after) for h in history
    ]
    assert ("name_given", "Ofc. Varga", None) in [(h.field, h.before, h.after) for h in history]
    masked = corrections.history(db, filed.id, reveal_personal=False)
    assert {h.before for h in masked if h.field == "name_given"} == {audit.PERSONAL}
    assert [e.action for e in audit_entries(db, "officer.remove")] == ["officer.remove"]


def test_an_allegation_category_is_corrected_only_before_a_finding(
    db: Session, make_staff: Callable[..., Staff]
) -> None:
    filed = file_case(db, officer_name="Ofc. Lane")
    supervisor = make_staff(StaffRole.SUPERVISOR)
    officer = db.scalar(select(InvolvedOfficer).where(InvolvedOfficer.complaint_id == filed.id))
    assert officer is not None
    allegation = Allegation(
        complaint_id=filed.id,
        involved_officer_id=officer.id,
        category=AllegationCategory.DISCOURTESY,
    )
    db.add(allegation)
    db.commit()
    corrections.correct_allegation_category(
        db, allegation.id, AllegationCategory.FORCE, actor=supervisor, now=NOW, reason="Pushed"
    )
    db.commit()
    assert db.get(Allegation, allegation.id).category is AllegationCategory.FORCE  # type: ignore[union-attr]
    allegation.recommended_finding = Finding.SUSTAINED  # the investigator's recommendation
    db.commit()
    with pytest.raises(CaseworkError, match="finding"):
        corrections.correct_allegation_category(
            db, allegation.id, AllegationCategory.BIAS, actor=supervisor, now=NOW, reason="x"
        )


def test_commissioners_cannot_open_or_post_corrections(
    db: Session, staff_client: StaffClient
) -> None:
    filed = file_case(db)
    client, _staff = staff_client(StaffRole.COMMISSIONER)
    assert client.get(f"/staff/cases/{filed.id}/correct").status_code == 403
    posted = client.post(
        f"/staff/cases/{filed.id}/correct/details",
        data={"case-incident_location": "x", "case-reason": "y"},
    )
    assert posted.status_code == 403
    assert db.scalar(select(Correction.id)) is None


def test_correction_page_is_valid_html_and_audited_as_a_view(
    db: Session, staff_client: StaffClient, tmp_path: Path
) -> None:
    filed = file_case(db, officer_name="Ofc. Reyes", email="r@example.org")
    client, _staff = staff_client(StaffRole.INTAKE)
    person = db.scalar(select(Complainant).where(Complainant.complaint_id == filed.id))
    assert person is not None
    client.post(
        f"/staff/cases/{filed.id}/correct/complainant/{person.id}",
        data={
            f"person{person.id}-name": "María José Núñez",
            f"person{person.id}-email": "new@example.org",
            f"person{person.id}-language": "es",
            f"person{person.id}-reason": "New address given by phone",
        },
    )
    page = client.get(f"/staff/cases/{filed.id}/correct").get_data(as_text=True)
    assert "new@example.org" in page and "r@example.org" in page
    bad = client.post(
        f"/staff/cases/{filed.id}/correct/complainant/{person.id}",
        data={
            f"person{person.id}-email": "not-an-address",
            f"person{person.id}-language": "es",
            f"person{person.id}-reason": "x",
        },
    ).get_data(as_text=True)
    assert "Enter an email address like name@example.com." in bad
    assert 'value="not-an-address"' in bad
    views = [e for e in audit_entries(db, "complaint.view") if e.object_id == filed.id]
    assert len(views) == 2
    case_page = client.get(f"/staff/cases/{filed.id}").get_data(as_text=True)
    assert f'href="/staff/cases/{filed.id}/correct"' in case_page
    assert_valid_html({"correct": page, "error": bad, "case": case_page}, tmp_path)


# --- the resident, from the status page ------------------------------------------------------


def _sign_in(client: FlaskClient, reference: str, code: str) -> None:
    response = client.post("/status", data={"reference": reference, "access_code": code})
    assert response.status_code == 200


def test_a_resident_corrects_their_contact_details(
    db: Session, client: FlaskClient, tmp_path: Path
) -> None:
    filed = file_case(db, email="old@example.org", phone="555 010 1000")
    assert client.get("/status/contact").status_code == 303  # not signed in
    _sign_in(client, filed.reference, filed.code)
    form = client.get("/status/contact").get_data(as_text=True)
    assert 'value="old@example.org"' in form
    bad = client.post(
        "/status/contact",
        data={"email": "no-at-sign", "phone": "555 010 2000", "postal_address": "1 Elm St"},
    )
    bad_page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Enter an email address like name@example.com." in bad_page
    assert 'value="555 010 2000"' in bad_page and "1 Elm St" in bad_page
    saved = client.post(
        "/status/contact",
        data={
            "email": "new@example.org",
            "phone": "555 010 2000",
            "postal_address": "1 Elm St",
            "language": "es",
        },
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/status/view")
    complaint = _complaint(db, filed.id)
    person = complaint.complainants[0]
    assert (person.email, person.phone, person.postal_address) == (
        "new@example.org",
        "555 010 2000",
        "1 Elm St",
    )
    assert person.language == "es" and complaint.preferred_language == "es"
    assert person.contact_method is ContactMethod.EMAIL
    (entry,) = audit_entries(db, "complaint.contact_corrected")
    assert entry.actor_id is None and entry.object_id == filed.id
    assert entry.after is not None and entry.after["email"] == audit.PERSONAL
    assert entry.after["language"] == "es"
    history = db.scalars(select(Correction).where(Correction.field == "email")).all()
    assert [(h.before_value, h.after_value, h.actor_id) for h in history] == [
        ("old@example.org", "new@example.org", None)
    ]
    assert_valid_html({"contact": form, "contact-error": bad_page}, tmp_path)
    # Removing the email we were to use switches contact to the phone still given.
    client.post("/status/contact", data={"phone": "555 010 2000", "language": "es"})
    person = _complaint(db, filed.id).complainants[0]
    assert person.email is None and person.contact_method is ContactMethod.PHONE


def test_the_resident_contact_page_is_in_spanish(db: Session, client: FlaskClient) -> None:
    filed = file_case(db)
    _sign_in(client, filed.reference, filed.code)
    page = client.get("/status/contact", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Sus datos de contacto" in page
    assert re.search(r"Guardar mis datos de contacto", page)


def test_resident_corrections_are_rate_limited(db: Session, client: FlaskClient) -> None:
    filed = file_case(db)
    _sign_in(client, filed.reference, filed.code)
    codes = [
        client.post(
            "/status/contact", data={"phone": f"555 010 {1000 + n}", "language": "en"}
        ).status_code
        for n in range(11)
    ]
    assert codes[:10] == [303] * 10 and codes[10] == 429
    assert KEY  # the status test app's key signs these sessions


def test_a_district_no_longer_configured_does_not_block_a_correction(
    db: Session, staff_client: StaffClient
) -> None:
    filed = file_case(db)
    complaint = _complaint(db, filed.id)
    complaint.district = "OLD-7"  # e.g. an imported case's district
    db.commit()
    client, _staff = staff_client(StaffRole.INTAKE)
    assert 'selected value="OLD-7"' in client.get(f"/staff/cases/{filed.id}/correct").get_data(
        as_text=True
    )
    response = client.post(
        f"/staff/cases/{filed.id}/correct/details",
        data={
            "case-incident_location": "Behind the station",
            "case-district": "OLD-7",
            "case-reason": "Location added",
        },
    )
    assert response.status_code == 303
    complaint = _complaint(db, filed.id)
    assert (complaint.district, complaint.incident_location) == ("OLD-7", "Behind the station")
