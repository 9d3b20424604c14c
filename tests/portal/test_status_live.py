"""Against a real gunicorn server: the reference and the access code never appear in a URL or in
the server's log (access log included), and the lookup works with CSRF on."""

from __future__ import annotations

import requests
from sqlalchemy.orm import Session

from tests.conftest import LiveServer
from tests.portal.status_support import make_complaint
from tests.support import csrf_token


def test_reference_and_code_never_in_a_url_or_the_server_log(
    live_server: LiveServer, db: Session
) -> None:
    filed = make_complaint(db)
    browser = requests.Session()
    form = browser.get(live_server.url + "/status", timeout=10)
    assert form.status_code == 200
    token = csrf_token(form.text)
    typed_code = filed.code.lower().replace("-", " ")
    visited = [form]
    wrong = browser.post(
        live_server.url + "/status",
        data={"csrf_token": token, "reference": filed.reference, "access_code": "AAAAAAAAAAAA"},
        timeout=10,
    )
    assert wrong.status_code == 200 and "We could not find a complaint" in wrong.text
    found = browser.post(
        live_server.url + "/status",
        data={"csrf_token": token, "reference": filed.reference, "access_code": typed_code},
        timeout=10,
    )
    assert found.status_code == 200 and "Your complaint" in found.text
    added = browser.post(
        live_server.url + "/status/add",
        data={"csrf_token": csrf_token(found.text), "text": "One more detail"},
        timeout=10,
    )
    assert added.status_code == 200 and "One more detail" in added.text
    visited += [wrong, found, added]
    urls = [r.url for response in visited for r in [*response.history, response]]
    assert urls and all(filed.reference not in u and filed.code not in u for u in urls)
    secrets = {
        filed.reference,
        filed.reference.replace("-", ""),
        filed.code,
        filed.code.replace("-", ""),
        typed_code,
    }
    log = live_server.output()
    assert "POST /status" in log  # the access log is on, and it is what we checked
    for secret in secrets:
        assert secret not in log
        assert secret.lower() not in log.lower()
