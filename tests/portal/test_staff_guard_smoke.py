"""The staff area's guard: anonymous visitors are sent to sign-in; signed-in staff get in."""

from __future__ import annotations

from portal.vocabulary import StaffRole


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.location.startswith("/staff/auth/sign-in")


def test_signed_in_staff_sees_home(staff_client):
    client, _ = staff_client(StaffRole.INTAKE, name="Ana Intake")
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "Ana Intake" in response.get_data(as_text=True)
