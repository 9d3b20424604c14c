"""An office to back up: an instance folder with its own keys, complaints filed with evidence
through the real form, staff who signed in (password + TOTP) and opened cases (audited).

``Office`` runs ``lantern backup …`` through the real command line with the office's settings,
and opens the portal on them; ``empty_postgres`` gives a restore a new, empty database.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.cli import main
from portal.db import make_engine, normalize_url, session_factory
from portal.models import Attachment, AuditEntry, Complaint
from portal.vocabulary import StaffRole
from publisher.keys import load_key
from tests.conftest import POSTGRES_ADMIN_URL
from tests.portal.intake_support import PDF, PNG, answers, with_files
from tests.portal.staff_support import PASSWORD, create_staff, fresh_totp

CODE = re.compile(r'<p class="secret">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')
REFERENCE = re.compile(r"LNT-[0-9A-Z]{4}-[0-9A-Z]{4}")
KEY_SETTINGS = ("LANTERN_SECRET_KEY", "LANTERN_ACCESS_CODE_KEY", "LANTERN_PSEUDONYM_KEY")
TEXT_EVIDENCE = "Notes written the same evening: the officer's words, the time, the car number.\n"


@dataclass
class Filed:
    """A filed complaint and what its complainant holds."""

    reference: str
    code: str


@dataclass
class Office:
    """One Lantern instance: its folder, database and settings (keys: instance files unless
    ``settings`` names them)."""

    folder: Path
    database_url: str
    settings: dict[str, str | None] = field(default_factory=dict)

    @property
    def instance(self) -> Path:
        return self.folder / "instance"

    @property
    def uploads(self) -> Path:
        return self.instance / "uploads"

    def env(self) -> dict[str, str | None]:
        base: dict[str, str | None] = {k: None for k in KEY_SETTINGS}
        base |= {f"{k}_FILE": None for k in KEY_SETTINGS}
        base |= {
            "LANTERN_ENV": None,
            "LANTERN_INSTANCE_PATH": str(self.instance),
            "LANTERN_DATABASE_URL": self.database_url,
        }
        return base | self.settings

    def lantern(self, *args: str) -> Result:
        """Run ``lantern ARGS`` with this office's settings, in its folder."""
        import os

        previous = Path.cwd()
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chdir(self.folder)
        try:
            return CliRunner().invoke(main, list(args), env=self.env())
        finally:
            os.chdir(previous)

    def app(self) -> Flask:
        """The portal on this office (keys from its settings or its instance folder)."""
        environ = {k: v for k, v in self.env().items() if v is not None}
        return create_app(
            {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"},
            environ=environ,
        )

    def pseudonym_key(self) -> bytes:
        environ = {k: v for k, v in self.env().items() if v is not None}
        return load_key(environ, self.instance)


def dispose(app: Flask) -> None:
    from portal.request_db import engine

    with app.app_context():
        engine().dispose()


def file_complaint(client: FlaskClient, key: str, *files: tuple[bytes, str]) -> Filed:
    """File a complaint through the form with ``files`` as evidence; read the receipt."""
    response = client.post(
        "/complaint",
        data=with_files(answers(key=key), *files),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    receipt = client.get("/complaint/receipt").text
    reference, code = REFERENCE.search(receipt), CODE.search(receipt)
    assert reference and code
    return Filed(reference.group(0), code.group(1))


def sign_in(client: FlaskClient, office: Office, email: str, password: str = PASSWORD) -> Any:
    """Password, then a TOTP code this office's account has not used yet; returns the last
    response."""
    first = client.post("/staff/auth/sign-in", data={"email": email, "password": password})
    if first.status_code != 302 or not first.location.endswith("/two-factor"):
        return first
    return client.post(
        "/staff/auth/two-factor", data={"code": fresh_totp(f"{office.folder} {email}")}
    )


def lookup(client: FlaskClient, filed: Filed) -> str:
    """The status page the complainant sees with their reference and access code."""
    page = client.post("/status", data={"reference": filed.reference, "access_code": filed.code})
    return page.text


@dataclass
class Records:
    """What an office holds, as the checks after a restore compare it."""

    complaints: list[str]
    attachments: dict[str, str]  # stored name -> recorded SHA-256
    audit: list[tuple[int, str, str | None, int | None]]


def records(database_url: str) -> Records:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return Records(
                sorted(session.scalars(select(Complaint.reference))),
                {a.stored_name: a.sha256 for a in session.scalars(select(Attachment))},
                [
                    (e.id, e.action, e.at.isoformat(), e.object_id)
                    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
                ],
            )
    finally:
        engine.dispose()


@dataclass
class Filled:
    """An office with work in it and what its people hold."""

    office: Office
    filed: list[Filed]
    staff_email: str
    evidence: dict[str, bytes]  # file name on the form -> content


def fill(office: Office) -> Filled:
    """File two complaints with evidence, add a supervisor who signs in and opens both cases,
    and create the pseudonym key (as a first 'lantern publish' would)."""
    evidence = {"photo.png": PNG, "letter.pdf": PDF, "notes.txt": TEXT_EVIDENCE.encode()}
    app = office.app()
    try:
        public = app.test_client()
        filed = [
            file_complaint(public, "backup-key-1", (PNG, "photo.png"), (PDF, "letter.pdf")),
            file_complaint(public, "backup-key-2", (evidence["notes.txt"], "notes.txt")),
        ]
        engine = make_engine(office.database_url)
        with session_factory(engine)() as session:
            staff = create_staff(session, StaffRole.SUPERVISOR, email="sam@oversight.example")
            ids = list(session.scalars(select(Complaint.id).order_by(Complaint.id)))
        engine.dispose()
        desk = app.test_client()
        assert sign_in(desk, office, staff.email).location == "/staff/"
        for complaint_id in ids:
            assert desk.get(f"/staff/cases/{complaint_id}").status_code == 200
    finally:
        dispose(app)
    office.pseudonym_key()
    return Filled(office, filed, "sam@oversight.example", evidence)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for a restore (dropped afterwards)."""
    name = f"lantern_restore_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(POSTGRES_ADMIN_URL)).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()
