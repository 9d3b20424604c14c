"""The staff area is guarded by construction: every /staff endpoint × every role.

Walks ``app.url_map``: every endpoint of the ``backoffice`` blueprint must declare its
permissions with ``requires`` (none may be missing), refuse anonymous visitors (redirect to
sign-in, never 200), and for each role answer GET — and POST where the route accepts it, with
a valid CSRF token — exactly as ``ROLE_PERMISSIONS`` says: through the guard when the role holds
every required permission, 403 otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from portal.backoffice.guard import required_permissions
from portal.services.permissions import ROLE_PERMISSIONS, Permission, has_permission
from portal.vocabulary import StaffRole
from tests.support import csrf_token


@pytest.fixture
def app_config() -> dict[str, Any]:
    """CSRF on: POSTs in this module carry a real token."""
    return {"WTF_CSRF_ENABLED": True}


def backoffice_rules(app: Flask) -> list[Rule]:
    """Every URL rule of the staff blueprint."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("backoffice.")]
    assert rules, "the backoffice blueprint has no routes"
    return rules


def sample_url(rule: Rule) -> str:
    """A concrete URL for ``rule`` (every path argument filled with 1)."""
    values = {name: 1 for name in rule.arguments}
    path = rule.build(values, append_unknown=False)
    assert path is not None
    return path[1]


def fetch_csrf(client: Any) -> str:
    """A CSRF token valid for ``client``'s session (from the staff home page, which every
    signed-in role may open and which has the sign-out form)."""
    response = client.get("/staff/")
    assert response.status_code == 200
    return csrf_token(response.get_data(as_text=True))


def test_the_permission_table_is_least_privilege() -> None:
    """Spot checks of the table that the README documents."""
    admin, commissioner = StaffRole.ADMIN, StaffRole.COMMISSIONER
    assert not has_permission(admin, Permission.CASE_VIEW)  # runs the system, not the cases
    assert has_permission(admin, Permission.AUDIT_READ)
    assert has_permission(admin, Permission.STAFF_MANAGE)
    assert ROLE_PERMISSIONS[commissioner] == {
        Permission.CASE_VIEW_ANONYMIZED,
        Permission.APPEAL_DECIDE,
        Permission.REPORT_VIEW_AGGREGATE,
        Permission.REPORT_COMMISSION,
    }
    assert not has_permission(StaffRole.INVESTIGATOR, Permission.CASE_DECIDE)
    assert not has_permission(StaffRole.INTAKE, Permission.CASE_ASSIGN)
    assert has_permission(StaffRole.SUPERVISOR, Permission.CASE_DECIDE)
    assert not any(
        has_permission(role, Permission.STAFF_MANAGE) for role in StaffRole if role is not admin
    )
    assert set(ROLE_PERMISSIONS) == set(StaffRole)


def test_every_staff_endpoint_declares_its_permissions(app: Flask) -> None:
    missing = [
        rule.endpoint
        for rule in backoffice_rules(app)
        if required_permissions(app.view_functions[rule.endpoint]) is None
    ]
    assert not missing, f"backoffice endpoints without requires(...): {missing}"


def test_every_staff_endpoint_refuses_the_public(app: Flask) -> None:
    client = app.test_client()
    # A valid token for this anonymous session, so a POST reaches the guard instead of
    # stopping at the CSRF check.
    token = csrf_token(client.get("/staff/auth/sign-in").get_data(as_text=True))
    for rule in backoffice_rules(app):
        url = sample_url(rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/staff/auth/sign-in"), (method, url)


def test_every_role_gets_exactly_what_the_table_says(app: Flask, staff_client: Any) -> None:
    rules = backoffice_rules(app)
    checked = 0
    for role in StaffRole:
        client, _staff = staff_client(role)
        token = fetch_csrf(client)
        for rule in rules:
            needed = required_permissions(app.view_functions[rule.endpoint])
            assert needed is not None
            allowed = needed <= ROLE_PERMISSIONS[role]
            url = sample_url(rule)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                data = {"csrf_token": token} if method == "POST" else None
                response = client.open(url, method=method, data=data)
                where = f"{role.value} {method} {url} ({rule.endpoint})"
                if allowed:
                    # Let through by the guard: the view answers (a missing object is a 404,
                    # a form with nothing in it a 400 or a redirect), never the role refusal.
                    assert response.status_code != 403, where
                    assert response.status_code < 500, where
                    if response.status_code == 302:
                        assert not response.location.startswith("/staff/auth/sign-in"), where
                else:
                    assert response.status_code == 403, where
                    assert "Not available to your role" in response.get_data(as_text=True), where
                checked += 1
            # The session survives every answer (a refusal does not sign anyone out).
        assert client.get("/staff/").status_code == 200
    assert checked >= len(StaffRole) * len(rules)


def test_an_endpoint_without_requires_is_refused(app: Flask, staff_client: Any) -> None:
    """The guard fails closed: a staff view that forgot ``requires`` is never served."""
    from portal.backoffice import bp

    def forgotten() -> str:
        return "secret"

    # Register straight on the app (the blueprint is already registered) under its name.
    app.add_url_rule("/staff/forgotten", "backoffice.forgotten", forgotten)
    # Flask runs a blueprint's before_request for endpoints named "<blueprint>.<name>".
    assert bp.name == "backoffice"
    client, _ = staff_client(StaffRole.SUPERVISOR)
    response = client.get("/staff/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)
    anonymous = app.test_client().get("/staff/forgotten")
    assert anonymous.status_code == 302


def test_csrf_is_required_on_staff_posts(app: Flask, staff_client: Any) -> None:
    client, _ = staff_client(StaffRole.ADMIN)
    response = client.post("/staff/admin/staff", data={"email": "x@example.org", "role": "intake"})
    assert response.status_code == 400
    assert re.search(r"(?i)form|expired|again", response.get_data(as_text=True))


def test_the_readme_permission_table_matches_the_code() -> None:
    """The table staff and auditors read is the table the guard enforces."""
    from tests.support import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Roles and what each may do", 1)[1].split("###", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    header = next(line for line in section.splitlines() if line.startswith("| permission"))
    roles = [StaffRole(cell.strip()) for cell in header.strip("|").split("|")[2:]]
    table: dict[StaffRole, set[Permission]] = {role: set() for role in roles}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        for role, mark in zip(roles, cells[2:], strict=True):
            if mark == "✓":
                table[role].add(permission)
    assert len(rows) == len(Permission)
    assert {role: frozenset(p) for role, p in table.items()} == ROLE_PERMISSIONS
