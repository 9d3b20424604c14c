"""The complaint form against a real server process (gunicorn, 2 workers, CSRF on):
50 concurrent residents, none lost; nothing they typed in the server's log output."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Complaint
from tests.conftest import start_live_server, stop_live_server
from tests.portal.intake_support import PNG, TEXT_ANSWERS, answers
from tests.support import csrf_token

RESIDENTS = 50
REFERENCE = re.compile(r'<p class="secret">(LNT-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')
KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def file_one(base: str, n: int) -> tuple[str, str, list[str]]:
    """One resident: open the form, send it (with a file every fifth time), read the receipt.
    Returns (narrative sent, reference on the receipt, the personal values sent)."""
    web = requests.Session()
    form = web.get(f"{base}/complaint", timeout=60)
    form.raise_for_status()
    narrative = f"Resident {n:02d}: the officer took my phone (marker-{n:02d}-qz)."
    personal = {
        "narrative": narrative,
        "name": f"Resident Name {n:02d}xq",
        "email": f"resident{n:02d}xq@example.org",
        "phone": f"+1 555 01{n:02d}",
        "officers-0-name": f"Officer Surname {n:02d}xq",
    }
    data = answers(key=KEY.search(form.text).group(1), **personal)  # type: ignore[union-attr]
    data["csrf_token"] = csrf_token(form.text)
    files = {"evidence": (f"evidence {n:02d}xq.png", PNG, "image/png")} if n % 5 == 0 else None
    sent = web.post(f"{base}/complaint", data=data, files=files, allow_redirects=False, timeout=120)
    assert sent.status_code == 303, (n, sent.status_code)
    receipt = web.get(f"{base}/complaint/receipt", timeout=60)
    found = REFERENCE.search(receipt.text)
    assert found, (n, receipt.status_code)
    values = [*personal.values()] + ([f"evidence {n:02d}xq.png"] if files else [])
    return narrative, found.group(1), values


@pytest.mark.slow
def test_fifty_concurrent_residents_none_lost_nothing_logged(
    database_url: str, db: Session, tmp_path: Path
) -> None:
    server = start_live_server(
        database_url,
        tmp_path / "live",
        extra_env={"LANTERN_SUBMIT_RATE_LIMIT": "1000 per minute"},
    )
    results: list[tuple[str, str, list[str]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(RESIDENTS)

    def resident(n: int) -> None:
        try:
            start.wait(timeout=60)
            results.append(file_one(server.url, n))
        except BaseException as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=resident, args=(n,)) for n in range(RESIDENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    finally:
        stop_live_server(server)
        output = server.output()

    assert errors == [], errors[:3]
    assert len(results) == RESIDENTS
    stored = {c.narrative: c.reference for c in db.scalars(select(Complaint)).all()}
    assert len(stored) == RESIDENTS  # 50 complaints: none lost, none doubled
    assert len(set(stored.values())) == RESIDENTS  # 50 distinct references
    for narrative, reference, _values in results:
        assert stored[narrative] == reference  # each resident's receipt names their complaint

    # The server's whole output (gunicorn access and error logs, the app's logging) names the
    # requests it served but nothing any resident typed.
    assert output.count('"POST /complaint" 303') == RESIDENTS, output[-2000:]
    for _narrative, reference, values in results:
        for value in [*values, reference]:
            assert value not in output
    for value in TEXT_ANSWERS.values():
        assert value not in output
