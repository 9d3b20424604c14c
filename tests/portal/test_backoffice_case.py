"""The case page: everything on one screen, every view audited, evidence downloaded safely."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    Agency,
    Attachment,
    CaseEvent,
    Complaint,
    ComplaintLink,
    InternalNote,
    Referral,
    Staff,
)
from portal.vocabulary import ActivityKind, AllegationCategory, CaseState, Finding, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import T0, make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]


def _full_case(db: Session, author: Staff) -> tuple[Complaint, Complaint]:
    complaint = make_complaint(
        db,
        state=CaseState.INVESTIGATION,
        name="Ana Ruiz",
        email="ana.ruiz@example.org",
        categories=(AllegationCategory.FORCE,),
    )
    complaint.narrative = "The officer pushed my brother against the car."
    complaint.allegations[0].recommended_finding = Finding.SUSTAINED
    other = make_complaint(db, name="Someone Else")
    agency = Agency(name="City Housing Authority", contact="311", handles="housing")
    db.add(agency)
    db.flush()
    db.add_all(
        [
            CaseEvent(
                complaint_id=complaint.id,
                from_state=CaseState.SCREENING,
                to_state=CaseState.INVESTIGATION,
                at=T0 + dt.timedelta(days=1),
                actor_id=author.id,
                reason="serious allegation",
            ),
            InternalNote(
                complaint_id=complaint.id,
                author_id=author.id,
                body="Call the witness back on Tuesday.",
                created_at=T0 + dt.timedelta(days=2),
            ),
            Activity(
                complaint_id=complaint.id,
                kind=ActivityKind.BODY_WORN_CAMERA_REVIEW,
                occurred_on=dt.date(2025, 3, 6),
                summary="Reviewed 14 minutes of footage.",
                actor_id=author.id,
                created_at=T0 + dt.timedelta(days=3),
            ),
            Referral(
                complaint_id=complaint.id,
                agency_id=agency.id,
                referred_at=T0 + dt.timedelta(days=1),
                follow_up_on=dt.date(2025, 4, 1),
                actor_id=author.id,
            ),
            ComplaintLink(
                complaint_id=complaint.id,
                related_id=other.id,
                reason="same protest",
                created_at=T0 + dt.timedelta(days=1),
                actor_id=author.id,
            ),
        ]
    )
    db.commit()
    return complaint, other


def test_case_page_shows_everything_on_one_screen(db: Session, staff_client: StaffClient):
    client, investigator = staff_client(StaffRole.INVESTIGATOR, name="Ivy Investigator")
    complaint, other = _full_case(db, investigator)
    response = client.get(f"/staff/cases/{complaint.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in (
        complaint.reference,
        "Ana Ruiz",
        "ana.ruiz@example.org",
        "The officer pushed my brother against the car.",
        "Force",
        "Sustained",  # the recommended finding
        "Call the witness back on Tuesday.",
        "Body-worn camera review",
        "Reviewed 14 minutes of footage.",
        "City Housing Authority",
        "follow up on 2025-04-01",
        other.reference,
        "same protest",
        "serious allegation",
        "Ivy Investigator",
    ):
        assert expected in page, expected


def test_every_case_view_is_audited(db: Session, staff_client: StaffClient) -> None:
    client, intake = staff_client(StaffRole.INTAKE)
    complaint = make_complaint(db)
    db.commit()
    assert client.get(f"/staff/cases/{complaint.id}").status_code == 200
    assert client.get(f"/staff/cases/{complaint.id}").status_code == 200
    views = audit_entries(db, "complaint.view")
    assert [(v.actor_id, v.object_type, v.object_id) for v in views] == [
        (intake.id, "complaint", complaint.id)
    ] * 2


def test_missing_case_is_404_and_not_audited(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    assert client.get("/staff/cases/999").status_code == 404
    assert audit_entries(db, "complaint.view") == []


def test_case_page_refused_to_admin_and_commissioner(db: Session, staff_client: StaffClient):
    complaint = make_complaint(db, name="Ana Ruiz")
    db.commit()
    for role in (StaffRole.ADMIN, StaffRole.COMMISSIONER):
        client, _ = staff_client(role)
        response = client.get(f"/staff/cases/{complaint.id}")
        assert response.status_code == 403
        assert "Ana Ruiz" not in response.get_data(as_text=True)
    assert audit_entries(db, "complaint.view") == []


def _attach(app: Flask, db: Session, complaint: Complaint, content: bytes, name: str) -> Attachment:
    stored = "ab" * 16
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(content)
    attachment = Attachment(
        complaint_id=complaint.id,
        original_name=name,
        stored_name=stored,
        content_type="text/html",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_at=T0,
    )
    db.add(attachment)
    db.commit()
    return attachment


def test_evidence_downloads_as_attachment_with_nosniff_and_is_audited(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    complaint = make_complaint(db)
    db.commit()
    content = b"<script>alert(1)</script>"
    attachment = _attach(app, db, complaint, content, "photo of car.html")
    client, staff = staff_client(StaffRole.INVESTIGATOR)
    page = client.get(f"/staff/cases/{complaint.id}").get_data(as_text=True)
    url = f"/staff/cases/{complaint.id}/attachments/{attachment.id}"
    assert url in page and "photo of car.html" in page

    response = client.get(url)
    body = response.get_data()
    response.close()  # send_file streams from an open file
    assert response.status_code == 200
    assert body == content
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "photo of car.html" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    downloads = audit_entries(db, "attachment.download")
    assert [(d.actor_id, d.object_id, d.detail) for d in downloads] == [
        (staff.id, complaint.id, f"attachment={attachment.id}")
    ]


def test_evidence_of_another_case_is_not_served(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    complaint, other = make_complaint(db), make_complaint(db)
    db.commit()
    attachment = _attach(app, db, complaint, b"%PDF-1.4", "statement.pdf")
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    assert client.get(f"/staff/cases/{other.id}/attachments/{attachment.id}").status_code == 404
    commissioner, _ = staff_client(StaffRole.COMMISSIONER)
    url = f"/staff/cases/{complaint.id}/attachments/{attachment.id}"
    assert commissioner.get(url).status_code == 403
    assert audit_entries(db, "attachment.download") == []


def test_staff_screens_follow_the_browser_language(db: Session, staff_client: StaffClient):
    client, _ = staff_client(StaffRole.SUPERVISOR)
    complaint = make_complaint(
        db, state=CaseState.FINDINGS_REVIEW, categories=(AllegationCategory.FORCE,)
    )
    db.commit()
    spanish = {"Accept-Language": "es"}
    queue = client.get("/staff/cases", headers=spanish).get_data(as_text=True)
    assert "<h1>Lista de casos</h1>" in queue and "1 caso" in queue
    page = client.get(f"/staff/cases/{complaint.id}", headers=spanish).get_data(as_text=True)
    assert "Conclusión final y sanción" in page  # the decide form's heading
    assert "Uso de la fuerza" in page
