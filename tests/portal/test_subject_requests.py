"""Data-subject requests in the back office: one complainant's export (ZIP with record.json,
the case file as HTML and PDF, their evidence) and the erasure of their personal data —
role-limited, audited without personal data, refused under a legal hold."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Attachment, AuditEntry, Complaint, Disposal, Staff
from portal.services import legal_holds, retention
from portal.vocabulary import CaseState, StaffRole
from tests.portal.records_support import complainants_of, personal_case
from tests.publisher.publish_support import utc

StaffClient = Callable[..., tuple[FlaskClient, Staff]]


def _case(app: Flask, db: Session, marker: str, **kw: Any) -> Complaint:
    staff = db.scalar(select(Staff).limit(1))
    complaint = personal_case(db, Path(app.config["UPLOAD_FOLDER"]), marker, staff=staff, **kw)
    db.commit()
    return complaint


def fresh(db: Session) -> None:
    """Read what the requests wrote through their own sessions: end this session's snapshot
    and forget the objects it loaded."""
    db.rollback()
    db.expire_all()


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_export_holds_this_complainant_and_the_case_facts_and_nobody_else(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    complaint = _case(app, db, "Exp", complainants=2)
    _first, second = complainants_of(db, complaint.id)
    second.language = "es"
    db.commit()

    response = client.post(f"/staff/cases/{complaint.id}/complainants/{second.id}/export")

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment;" in response.headers["Content-Disposition"]
    files = _zip(response.get_data())
    assert sorted(files) == [
        "case-file.html",
        "case-file.pdf",
        "evidence/01-Exp-photo.jpg",
        "record.json",
    ]
    assert files["evidence/01-Exp-photo.jpg"] == b"Exp photo bytes"
    record = json.loads(files["record.json"])
    assert record["complainant"]["name"] == "Exp Person2"
    assert record["complainant"]["age"] == 32
    assert record["case"]["narrative"].startswith("Exp narrative")
    assert record["case"]["other_complainants"] == 1
    assert [e["included"] for e in record["evidence"]] == [True, False]  # the office's video
    assert record["for_the_office_to_review"][:2] == ["other_complainants", "office_files"]
    pdf = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(files["case-file.pdf"])).pages
    )
    html = files["case-file.html"].decode()
    for text in (pdf, html):
        assert complaint.reference in text and "Exp Person2" in text
        assert (
            "Su queja" in text and "la información que tenemos" in text
        )  # in the complainant's language
    # The other complainant, internal notes and the office's files are not in it at all.
    for name, content in files.items():
        for secret in (
            b"Exp Person1",
            b"exp1@mail",
            b"Exp note",
            b"Exp interview",
            b"office video",
        ):
            assert secret not in content, (name, secret)
    assert "Exp Person1" not in pdf
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "complainant.exported")).one()
    assert (entry.actor_id, entry.object_id) == (supervisor.id, complaint.id)
    assert entry.detail == f"complainant={second.id} files=1"


def test_only_supervisors_may_export_or_erase(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    complaint = _case(app, db, "Role")
    [person] = complainants_of(db, complaint.id)
    for role in (StaffRole.INTAKE, StaffRole.INVESTIGATOR, StaffRole.ADMIN, StaffRole.COMMISSIONER):
        client, _ = staff_client(role)
        base = f"/staff/cases/{complaint.id}/complainants/{person.id}"
        assert client.post(base + "/export").status_code == 403
        assert client.get(base + "/erase").status_code == 403
        assert client.post(base + "/erase", data={"reason": "asked"}).status_code == 403
        assert (
            client.post(f"/staff/cases/{complaint.id}/legal-hold", data={"reason": "x"}).status_code
            == 403
        )
    fresh(db)
    assert "Role narrative" in db.get(Complaint, complaint.id).narrative  # type: ignore[union-attr]
    assert (
        db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("complainant.%"))).all()
        == []
    )


def test_erasure_one_person_then_the_last_person_then_refusals(
    app: Flask, db: Session, staff_client: StaffClient
) -> None:
    client, supervisor = staff_client(StaffRole.SUPERVISOR)
    complaint = _case(app, db, "Era", complainants=2)
    first, second = complainants_of(db, complaint.id)
    folder = Path(app.config["UPLOAD_FOLDER"])
    base = f"/staff/cases/{complaint.id}/complainants"

    # Under a legal hold: refused, the typed reason comes back, nothing changes.
    legal_holds.set_hold(db, complaint.id, reason="Inquiry", actor=supervisor, now=utc(2026, 1, 1))
    db.commit()
    page = client.get(f"{base}/{first.id}/erase").get_data(as_text=True)
    assert "This case is on legal hold" in page
    refused = client.post(f"{base}/{first.id}/erase", data={"reason": "Art. 17 request of 3 May"})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "nothing of it may be erased" in body and "Art. 17 request of 3 May" in body
    assert client.post(f"{base}/{first.id}/erase", data={"reason": ""}).status_code == 400
    legal_holds.release_hold(
        db, complaint.id, reason="Closed", actor=supervisor, now=utc(2026, 1, 2)
    )
    db.commit()

    done = client.post(f"{base}/{first.id}/erase", data={"reason": "Art. 17 request of 3 May"})
    assert done.status_code == 303
    fresh(db)
    first, second = complainants_of(db, complaint.id)
    assert (first.name, first.email, first.age) == (None, None, None)
    assert second.name == "Era Person2"
    case = db.get(Complaint, complaint.id)
    assert case is not None and case.narrative.startswith("Era narrative")  # shared: kept
    assert len(list(folder.iterdir())) == 2
    assert "review them by hand" in client.get(f"/staff/cases/{complaint.id}").get_data(
        as_text=True
    )

    client.post(f"{base}/{second.id}/erase", data={"reason": "Second request"})
    fresh(db)
    case = db.get(Complaint, complaint.id)
    assert case is not None and case.narrative == retention.REMOVED
    assert list(folder.iterdir()) == []
    assert all(a.disposed_at for a in db.scalars(select(Attachment)))
    kinds = db.scalars(select(Disposal.kind).order_by(Disposal.id)).all()
    assert kinds == ["complainant_erasure", "complainant_erasure", "personal_data", "evidence"]
    again = client.post(f"{base}/{second.id}/erase", data={"reason": "again"})
    assert again.status_code == 400 and "already erased" in again.get_data(as_text=True)
    trail = json.dumps(
        [[e.action, e.detail, e.before, e.after] for e in db.scalars(select(AuditEntry))]
    )
    assert "Art. 17" not in trail and "Era" not in trail
    assert trail.count("complainant.erased") == 2


def test_an_open_case_cannot_be_erased(app: Flask, db: Session, staff_client: StaffClient) -> None:
    client, _ = staff_client(StaffRole.SUPERVISOR)
    complaint = _case(app, db, "Opn", state=CaseState.INVESTIGATION)
    [person] = complainants_of(db, complaint.id)
    response = client.post(
        f"/staff/cases/{complaint.id}/complainants/{person.id}/erase", data={"reason": "asked"}
    )
    assert response.status_code == 400 and "still open" in response.get_data(as_text=True)
    fresh(db)
    assert complainants_of(db, complaint.id)[0].name == "Opn Person1"
