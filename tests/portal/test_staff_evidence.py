"""Staff add evidence after intake: the same checks as residents' uploads, files accepted once
kept when the form comes back, audited, only for staff who investigate, only on open cases
(SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Attachment, Staff
from portal.services import staff_evidence
from portal.vocabulary import CaseState, StaffRole
from tests.portal.backoffice_support import audit_entries
from tests.portal.casework_support import make_complaint

StaffClient = Callable[..., tuple[Any, Staff]]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)


def _case(db: Session, state: CaseState = CaseState.INVESTIGATION) -> int:
    complaint = make_complaint(db, state=state)
    db.commit()
    return complaint.id


def test_files_are_checked_kept_on_error_then_attached_and_audited(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    client, ivy = staff_client(StaffRole.INVESTIGATOR)
    cid = _case(db)
    url = f"/staff/cases/{cid}/evidence"
    page = client.get(url).get_data(as_text=True)
    assert 'type="file"' in page
    files = {"files": [(BytesIO(PNG), "dashcam still.png"), (BytesIO(EXE), "viewer.exe")]}
    response = client.post(url, data=files, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "viewer.exe is not a type of file we accept." in page
    assert "Files already accepted" in page and "dashcam still.png" in page
    assert db.scalars(select(Attachment)).all() == []
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert [f.read_bytes() for f in folder.iterdir()] == [PNG]  # the refused one is not kept
    tokens = re.findall(r'name="kept_file" value="([^"]+)"', page)
    response = client.post(url, data={"kept_file": tokens})
    assert response.status_code == 303
    db.rollback()
    attachment = db.scalars(select(Attachment)).one()
    assert (attachment.original_name, attachment.content_type) == (
        "dashcam still.png",
        "image/png",
    )
    assert attachment.uploaded_by_id == ivy.id
    entry = audit_entries(db, staff_evidence.EVIDENCE_ADD)[0]
    assert entry.actor_id == ivy.id and entry.detail == f"files=1 bytes={len(PNG)}"
    assert "dashcam" not in str(entry.after) + str(entry.detail)
    case_page = client.get(f"/staff/cases/{cid}").get_data(as_text=True)
    assert "dashcam still.png" in case_page and "Add evidence" in case_page
    # Nothing chosen: a clear message.
    empty = client.post(url, data={})
    assert empty.status_code == 400 and "Choose at least one file." in empty.get_data(as_text=True)


def test_the_case_limit_counts_files_already_attached(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    app.config["UPLOAD_MAX_TOTAL_BYTES"] = len(PNG) + 10
    client, _ = staff_client(StaffRole.SUPERVISOR)
    cid = _case(db)
    url = f"/staff/cases/{cid}/evidence"
    first = client.post(
        url, data={"files": [(BytesIO(PNG), "a.png")]}, content_type="multipart/form-data"
    )
    assert first.status_code == 303
    second = client.post(
        url, data={"files": [(BytesIO(PNG), "b.png")]}, content_type="multipart/form-data"
    )
    assert second.status_code == 400
    assert "would take the case over" in second.get_data(as_text=True)
    db.rollback()
    assert len(db.scalars(select(Attachment)).all()) == 1
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert len(list(folder.iterdir())) == 1  # the refused file was removed again


def test_roles_and_closed_cases(db: Session, staff_client: StaffClient) -> None:
    cid = _case(db)
    closed = _case(db, CaseState.CLOSED)
    for role in (StaffRole.INTAKE, StaffRole.COMMISSIONER, StaffRole.ADMIN):
        client, _ = staff_client(role)
        assert client.get(f"/staff/cases/{cid}/evidence").status_code == 403
        assert client.post(f"/staff/cases/{cid}/evidence", data={}).status_code == 403
    client, _ = staff_client(StaffRole.INVESTIGATOR)
    page = client.get(f"/staff/cases/{closed}/evidence").get_data(as_text=True)
    assert "reopen it before adding evidence" in page
    refused = client.post(
        f"/staff/cases/{closed}/evidence",
        data={"files": [(BytesIO(PNG), "late.png")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "This case is closed" in refused.get_data(as_text=True)
