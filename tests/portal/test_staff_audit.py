"""The audit trail: every staff action writes its entry; nothing can change or remove one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.models import AuditEntry, Staff
from portal.services import audit
from portal.vocabulary import StaffRole
from tests.portal.staff_support import PASSWORD, totp_now
from tests.support import ROOT


def entries(db: Session) -> list[AuditEntry]:
    db.rollback()  # a fresh transaction sees what the app committed
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def last(db: Session) -> AuditEntry:
    return entries(db)[-1]


@pytest.fixture
def admin(staff_client: Callable[..., tuple[FlaskClient, Staff]]) -> tuple[FlaskClient, Staff]:
    return staff_client(StaffRole.ADMIN)


def test_login_and_failed_login(client: FlaskClient, make_staff: Callable[..., Staff], db: Session):
    staff = make_staff(StaffRole.INTAKE)
    client.post("/staff/auth/sign-in", data={"email": staff.email, "password": "wrong"})
    failed = last(db)
    assert (failed.action, failed.actor_id, failed.detail) == (
        "login.failed",
        staff.id,
        "reason=password",
    )
    client.post("/staff/auth/sign-in", data={"email": staff.email, "password": PASSWORD})
    client.post("/staff/auth/two-factor", data={"code": totp_now()})
    login = last(db)
    assert (login.action, login.actor_id, login.detail) == ("login", staff.id, "factor=totp")
    assert login.at <= dt.datetime.now(dt.UTC)


def test_logout_and_logout_everywhere(
    staff_client: Callable[..., tuple[FlaskClient, Staff]], db: Session
):
    client, staff = staff_client(StaffRole.INTAKE)
    client.post("/staff/auth/sign-out")
    assert (last(db).action, last(db).actor_id) == ("logout", staff.id)
    client2, staff2 = staff_client(StaffRole.INTAKE)
    client2.post("/staff/auth/sign-out-everywhere")
    assert (last(db).action, last(db).actor_id) == ("logout.everywhere", staff2.id)


def test_staff_add_disable_enable_reset_from_the_admin_screen(
    admin: tuple[FlaskClient, Staff], db: Session
):
    client, me = admin
    added = client.post(
        "/staff/admin/staff", data={"email": "New.Person@x.org", "name": "New", "role": "intake"}
    )
    assert added.status_code == 200
    assert "Temporary password" in added.get_data(as_text=True)
    entry = last(db)
    new_id = entry.object_id
    assert (entry.action, entry.actor_id, entry.object_type) == ("staff.add", me.id, "staff")
    assert entry.after == {"role": "intake", "is_active": True}
    assert client.post(f"/staff/admin/staff/{new_id}/disable").status_code == 302
    entry = last(db)
    assert (entry.action, entry.actor_id, entry.object_id) == ("staff.disable", me.id, new_id)
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    assert client.post(f"/staff/admin/staff/{new_id}/enable").status_code == 302
    assert (last(db).action, last(db).object_id) == ("staff.enable", new_id)
    reset = client.post(f"/staff/admin/staff/{new_id}/reset")
    assert reset.status_code == 200
    password = re.search(r'<p class="secret">([^<]+)</p>', reset.get_data(as_text=True))
    assert password
    entry = last(db)
    assert (entry.action, entry.actor_id, entry.object_id) == ("staff.reset", me.id, new_id)
    assert password.group(1) not in repr((entry.before, entry.after, entry.detail))


def test_admin_cannot_disable_or_reset_their_own_account(
    admin: tuple[FlaskClient, Staff], db: Session
):
    client, me = admin
    count = len(entries(db))
    for action in ("disable", "reset"):
        response = client.post(f"/staff/admin/staff/{me.id}/{action}", follow_redirects=True)
        assert "your own account" in response.get_data(as_text=True)
    assert len(entries(db)) == count
    assert client.get("/staff/").status_code == 200


def test_audit_export_is_audited_and_filtered(admin: tuple[FlaskClient, Staff], db: Session):
    client, me = admin
    now = dt.datetime.now(dt.UTC)
    audit.record(
        db, actor_id=me.id, action="complaint.view", object_type="complaint", object_id=7, now=now
    )
    audit.record(db, actor_id=None, action="login.failed", detail="=cmd|' /C calc'!A0", now=now)
    db.commit()
    response = client.get("/staff/admin/audit.csv?action=complaint.view")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,at,actor_id,actor,action")
    assert len(lines) == 2 and ",complaint.view,complaint,7," in lines[1]
    export = last(db)
    assert (export.action, export.actor_id) == ("audit.export", me.id)
    assert export.detail == "filters=action:complaint.view"
    # A cell that a spreadsheet would run as a formula is neutralised.
    everything = client.get("/staff/admin/audit.csv").get_data(as_text=True)
    assert "'=cmd" in everything and ",=cmd" not in everything


def test_audit_viewer_filters_and_pages(admin: tuple[FlaskClient, Staff], db: Session):
    client, me = admin
    now = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    for i in range(60):
        audit.record(
            db,
            actor_id=me.id,
            action="complaint.view",
            object_type="complaint",
            object_id=i + 1,
            now=now,
        )
    audit.record(
        db,
        actor_id=None,
        action="login.failed",
        detail="reason=unknown",
        now=now + dt.timedelta(days=3),
    )
    db.commit()
    page = client.get("/staff/admin/audit?action=complaint.view").get_data(as_text=True)
    assert "60 entries" in page and "page 1 of 2" in page
    assert page.count("complaint #") == 50
    second = client.get("/staff/admin/audit?action=complaint.view&page=2").get_data(as_text=True)
    assert second.count("complaint #") == 10 and "complaint #1<" in second
    dated = client.get("/staff/admin/audit?date_from=2026-01-08&date_to=2026-01-08")
    assert "1 entry" in dated.get_data(as_text=True)
    anyone = client.get("/staff/admin/audit?actor=none&action=login.failed")
    assert "reason=unknown" in anyone.get_data(as_text=True)
    bad = client.get("/staff/admin/audit?date_from=yesterday")
    assert bad.status_code == 400


# --- nothing edits or deletes the trail ---------------------------------------------------------

_WRITES_TO_AUDIT = re.compile(r"^\s*(UPDATE\s+\"?audit_log|DELETE\s+FROM\s+\"?audit_log)", re.I)


@pytest.fixture
def audit_writes(app: Flask) -> Iterator[list[str]]:
    """Every UPDATE/DELETE statement on audit_log the app's engine executes."""
    from portal.request_db import engine

    with app.app_context():
        app_engine = engine()
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _WRITES_TO_AUDIT.search(statement) or (
            "audit_log" in statement and re.match(r"\s*TRUNCATE", statement, re.I)
        ):
            seen.append(statement)

    event.listen(app_engine, "before_cursor_execute", spy)
    yield seen
    event.remove(app_engine, "before_cursor_execute", spy)


def test_no_route_updates_or_deletes_audit_entries(
    app: Flask,
    staff_client: Callable[..., tuple[FlaskClient, Staff]],
    db: Session,
    audit_writes: list[str],
):
    """Every route of the whole app, every method, anonymous and as every role: the audit rows
    written before are all still there, unchanged, and no UPDATE/DELETE touched the table."""
    clients = [app.test_client()] + [staff_client(role)[0] for role in StaffRole]
    for i in range(5):
        audit.record(
            db,
            actor_id=None,
            action="complaint.view",
            object_type="complaint",
            object_id=i + 1,
            before={"a": i},
            after={"a": i + 1},
            now=dt.datetime.now(dt.UTC),
        )
    db.commit()
    snapshot = [
        (e.id, e.at, e.actor_id, e.action, e.object_id, e.before, e.after, e.detail)
        for e in entries(db)
    ]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # another area's bug is not this test's subject
    requests = 0
    for rule in app.url_map.iter_rules():
        values = {name: 1 for name in rule.arguments}
        built = rule.build(values, append_unknown=False)
        if built is None:
            continue
        url = built[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for client in clients:
                client.open(url, method=method, data={"id": "1", "action": "delete"})
                requests += 1
    now = [
        (e.id, e.at, e.actor_id, e.action, e.object_id, e.before, e.after, e.detail)
        for e in entries(db)
    ]
    assert now[: len(snapshot)] == snapshot
    assert audit_writes == []
    assert requests > 50
    # Positive control: the spy does see such a statement on the app's engine.
    from sqlalchemy import text

    from portal.request_db import engine

    with app.app_context(), engine().begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = detail WHERE id < 0"))
    assert len(audit_writes) == 1


def test_no_code_updates_or_deletes_audit_entries():
    """No source file builds an UPDATE or DELETE of the audit trail (ORM or SQL)."""
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEntry|(UPDATE|DELETE\s+FROM)\s+\"?audit_log|"
        r"session\.delete\(\s*(entry|audit_entry)|AuditEntry\)\.(update|delete)",
        re.I,
    )
    offenders = []
    for folder in ("portal", "publisher"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if pattern.search(Path(path).read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_database_refuses_to_change_or_delete_an_entry(db: Session, engine) -> None:
    """Append-only holds below the application too (triggers from migration 0004)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    audit.record(
        db,
        actor_id=None,
        action="login.failed",
        detail="reason=unknown",
        now=dt.datetime.now(dt.UTC),
    )
    db.commit()
    for statement in (
        "UPDATE audit_log SET detail = 'rewritten'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    # Adding entries still works.
    audit.record(db, actor_id=None, action="login.failed", now=dt.datetime.now(dt.UTC))
    db.commit()
    assert [e.detail for e in entries(db)] == ["reason=unknown", None]


def test_role_change_from_the_admin_screen_is_audited_and_ends_sessions(
    admin: tuple[FlaskClient, Staff],
    staff_client: Callable[..., tuple[FlaskClient, Staff]],
    db: Session,
):
    client, me = admin
    other_client, other = staff_client(StaffRole.INTAKE)
    assert other_client.get("/staff/").status_code == 200
    response = client.post(f"/staff/admin/staff/{other.id}/role", data={"role": "supervisor"})
    assert response.status_code == 302
    entry = last(db)
    assert (entry.action, entry.actor_id, entry.object_id) == ("staff.role", me.id, other.id)
    assert (entry.before, entry.after) == ({"role": "intake"}, {"role": "supervisor"})
    assert other_client.get("/staff/").status_code == 302  # signs in again with the new role
    same = client.post(f"/staff/admin/staff/{other.id}/role", data={"role": "supervisor"})
    assert "already has that role" in client.get(same.location).get_data(as_text=True)
    mine = client.post(f"/staff/admin/staff/{me.id}/role", data={"role": "supervisor"})
    assert "your own account" in client.get(mine.location).get_data(as_text=True)
    db.rollback()
    assert db.get(Staff, me.id).role is StaffRole.ADMIN


def test_a_long_trail_exports_completely(admin: tuple[FlaskClient, Staff], engine) -> None:
    """Thousands of entries stream out in batches, none lost, oldest first."""
    client, me = admin
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            AuditEntry.__table__.insert(),
            [
                {
                    "at": now,
                    "actor_id": me.id,
                    "action": "complaint.view",
                    "object_type": "complaint",
                    "object_id": i + 1,
                }
                for i in range(5000)
            ],
        )
    response = client.get("/staff/admin/audit.csv?action=complaint.view")
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 5001
    ids = [int(line.split(",")[6]) for line in lines[1:]]
    assert ids == list(range(1, 5001))
