"""Production behind TLS: forms work with CSRF on although browsers send no Referer (the portal
asks them not to), and cookies are Secure."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import csrf_token


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "ENV": "production",
        "REDIS_URL": "lantern-memory://",
        "WTF_CSRF_ENABLED": True,
        "TESTING": False,
    }


def test_a_form_posted_over_https_without_referer_is_accepted(client: FlaskClient) -> None:
    page = client.get("/status", base_url="https://localhost")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Secure" in page.headers["Set-Cookie"]
    token = csrf_token(page.get_data(as_text=True))
    answer = client.post(
        "/status",
        base_url="https://localhost",
        data={"csrf_token": token, "reference": "LNT-AAAA-AAAA", "access_code": "AAAA-AAAA-AAAA"},
    )
    assert answer.status_code == 200
    # The form itself was checked (its reference has a bad check character): CSRF passed.
    assert 'id="reference-error"' in answer.get_data(as_text=True)
    forged = client.post(
        "/status",
        base_url="https://localhost",
        data={"csrf_token": "forged", "reference": "LNT-AAAA-AAAA", "access_code": "AAAA"},
    )
    assert forged.status_code == 400
