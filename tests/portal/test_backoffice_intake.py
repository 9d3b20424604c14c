"""Staff intake: a phone / email / letter / walk-in complaint entered through the same service
as the online form, with the channel and the staff member recorded, audited, and the access code
shown once to read out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Complaint, OutboxMessage, Staff
from portal.services.identifiers import access_code_matches
from portal.vocabulary import CaseState, Channel, StaffRole
from tests.portal.backoffice_support import audit_entries

StaffClient = Callable[..., tuple[Any, Staff]]


def _answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": "staff-intake-key-000001",
        "channel": "phone",
        "narrative": "Caller says an officer shouted at her outside the library.",
        "district": "D02",
        "categories": ["discourtesy"],
        "officers-0-description": "Tall officer on a bicycle",
        "role": "self",
        "name": "Maria Lopez",
        "phone": "555 010 0199",
        "contact_method": "phone",
        "language": "es",
        "consent": "y",
        # A browser always sends every select, answered or not.
        "age_band": "",
        "gender": "",
        "race": "",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_phone_complaint_is_filed_with_channel_and_staff(
    app: Any, db: Session, staff_client: StaffClient
) -> None:
    client, intake = staff_client(StaffRole.INTAKE)
    form = client.get("/staff/intake")
    assert form.status_code == 200
    assert 'name="channel"' in form.get_data(as_text=True)

    response = client.post("/staff/intake", data=_answers())
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.channel is Channel.PHONE
    assert complaint.entered_by_id == intake.id
    assert complaint.state is CaseState.RECEIVED
    assert complaint.district == "D02"
    assert complaint.preferred_language == "es"
    assert complaint.complainants[0].name == "Maria Lopez"
    assert complaint.officers[0].description == "Tall officer on a bicycle"
    assert response.location.endswith(f"/staff/intake/{complaint.id}/entered")

    receipt = client.get(response.location).get_data(as_text=True)
    assert complaint.reference in receipt
    code = re.search(r'id="access-code">([0-9A-Z-]+)<', receipt)
    assert code, "the access code is shown"
    assert access_code_matches(
        code.group(1), complaint.access_code_hash, app.config["ACCESS_CODE_KEY"]
    )
    # Once only: the next visit has the reference but not the code.
    again = client.get(response.location).get_data(as_text=True)
    assert complaint.reference in again and code.group(1) not in again

    entries = audit_entries(db, "complaint.enter")
    assert [(e.actor_id, e.object_id, e.after) for e in entries] == [
        (intake.id, complaint.id, {"channel": "phone", "state": "received"})
    ]
    assert "Maria" not in str(entries[0].after) and entries[0].detail is None


def test_every_staff_channel_can_be_chosen(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    for number, channel in enumerate(("email", "letter", "walk_in")):
        key = f"staff-intake-key-{number:06d}x"
        assert (
            client.post(
                "/staff/intake", data=_answers(channel=channel, idempotency_key=key)
            ).status_code
            == 303
        )
    channels = sorted(c.value for c in db.scalars(select(Complaint.channel)))
    assert channels == ["email", "letter", "walk_in"]


def test_missing_channel_or_consent_shows_errors_and_files_nothing(
    db: Session, staff_client: StaffClient
) -> None:
    client, _ = staff_client(StaffRole.INTAKE)
    response = client.post("/staff/intake", data=_answers(channel="", consent=None))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Choose how the complaint reached us." in page
    assert "Confirm that the complainant agreed to the privacy notice." in page
    assert "Caller says an officer shouted" in page  # answers kept
    online = client.post("/staff/intake", data=_answers(channel="online"))
    assert online.status_code == 400  # staff never file an "online" complaint
    assert db.scalars(select(Complaint)).all() == []
    assert audit_entries(db, "complaint.enter") == []


def test_resubmitting_the_same_form_files_once(db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.INTAKE)
    first = client.post("/staff/intake", data=_answers(email="maria@example.org"))
    second = client.post("/staff/intake", data=_answers(email="maria@example.org"))
    assert first.status_code == second.status_code == 303
    assert len(db.scalars(select(Complaint)).all()) == 1
    assert len(db.scalars(select(OutboxMessage)).all()) == 1  # one receipt email
    assert len(audit_entries(db, "complaint.enter")) == 1


def test_roles_without_intake_are_refused(db: Session, staff_client: StaffClient) -> None:
    for role in (StaffRole.INVESTIGATOR, StaffRole.COMMISSIONER, StaffRole.ADMIN):
        client, _ = staff_client(role)
        assert client.get("/staff/intake").status_code == 403
        assert client.post("/staff/intake", data=_answers()).status_code == 403
    assert db.scalars(select(Complaint)).all() == []


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(300)


def test_a_letter_with_enclosures_keeps_its_files(
    app: Any, db: Session, staff_client: StaffClient
) -> None:
    from io import BytesIO
    from pathlib import Path

    from portal.models import Attachment

    client, clerk = staff_client(StaffRole.INTAKE)
    data = _answers(channel="letter") | {"evidence": [(BytesIO(PNG), "photo of the car.png")]}
    response = client.post("/staff/intake", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    attachment = db.scalars(select(Attachment)).one()
    assert attachment.original_name == "photo of the car.png"
    assert attachment.uploaded_by_id == clerk.id
    assert attachment.content_type == "image/png"
    assert (Path(app.config["UPLOAD_FOLDER"]) / attachment.stored_name).read_bytes() == PNG


def test_a_refused_file_files_nothing_and_leaves_no_file(
    app: Any, db: Session, staff_client: StaffClient
) -> None:
    from io import BytesIO
    from pathlib import Path

    client, _ = staff_client(StaffRole.INTAKE)
    data = _answers() | {"evidence": [(BytesIO(PNG), "fine.png"), (BytesIO(EXE), "program.exe")]}
    response = client.post("/staff/intake", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "program.exe is not a type of file we accept." in page
    assert db.scalars(select(Complaint)).all() == []
    # The refused file is not stored; the accepted one is kept for the form's next POST.
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert [f.read_bytes() for f in folder.iterdir()] == [PNG]
    assert "fine.png" in page and 'name="kept_file"' in page


def test_files_accepted_on_a_form_that_came_back_are_filed_without_choosing_them_again(
    app: Any, db: Session, staff_client: StaffClient
) -> None:
    from io import BytesIO

    from portal.models import Attachment

    client, _ = staff_client(StaffRole.INTAKE)
    first = _answers(consent=None) | {"evidence": [(BytesIO(PNG), "scan of the letter.png")]}
    response = client.post("/staff/intake", data=first, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Files already accepted" in page and "scan of the letter.png" in page
    tokens = re.findall(r'name="kept_file" value="([^"]+)"', page)
    assert len(tokens) == 1
    again = _answers() | {"kept_file": tokens}
    assert client.post("/staff/intake", data=again).status_code == 303
    attachment = db.scalars(select(Attachment)).one()
    assert attachment.original_name == "scan of the letter.png"
    stored = Path(app.config["UPLOAD_FOLDER"]) / attachment.stored_name
    assert stored.read_bytes() == PNG
    # A kept file cannot be attached twice, nor a token be forged.
    forged = _answers(idempotency_key="staff-intake-key-000002") | {
        "kept_file": [tokens[0], tokens[0][:-2] + "xx"]
    }
    assert client.post("/staff/intake", data=forged).status_code == 303
    assert len(db.scalars(select(Attachment)).all()) == 1
