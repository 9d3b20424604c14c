"""``lantern doctor`` on the SMS sender and the printed letters: each setting mistake is named
in plain words, and the gateway's token is never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.services.doctor import Deployment, Status
from portal.services.doctor_reach import check_letters, check_sms
from tests.portal.test_doctor import production_env, run_doctor

TOKEN = "gateway-token-never-printed-0123456789"


@pytest.mark.parametrize(
    ("url", "production", "status", "words"),
    [
        ("", True, Status.OK, "SMS is off"),
        ("file:", False, Status.OK, "written as files"),
        ("file:", True, Status.WARNING, "reach nobody"),
        (f"https://lantern:{TOKEN}@sms.example.org/send", True, Status.OK, "sms.example.org"),
        ("http://127.0.0.1:8025/send", True, Status.OK, "127.0.0.1:8025"),
        (f"http://lantern:{TOKEN}@sms.example.org/send", True, Status.PROBLEM, "in clear"),
        ("smtp://sms.example.org", True, Status.PROBLEM, "malformed"),
        ("https:///send", True, Status.PROBLEM, "malformed"),
    ],
)
def test_sms_settings(
    url: str, production: bool, status: Status, words: str, tmp_path: Path
) -> None:
    env = {"LANTERN_ENV": "production"} if production else {}
    config = {"SMS_URL": url, "OUTBOX_FOLDER": str(tmp_path / "outbox")}
    finding = check_sms(config, Deployment(env, tmp_path))
    assert finding.status is status and words in finding.message
    assert TOKEN not in finding.message


def test_an_sms_folder_that_is_a_file_is_a_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "sms"
    blocker.write_text("not a folder")
    finding = check_sms({"SMS_URL": f"file://{blocker}"}, Deployment({}, tmp_path))
    assert finding.status is Status.PROBLEM and "is a file" in finding.message


def test_letter_settings(tmp_path: Path) -> None:
    production = Deployment({"LANTERN_ENV": "production"}, tmp_path)
    wrong = check_letters({"LETTER_PAGE_SIZE": "legal"}, production)
    assert wrong.status is Status.PROBLEM and "letter" in wrong.message
    bare = check_letters({"LETTER_PAGE_SIZE": "A4", "OFFICE_ADDRESS": ""}, production)
    assert bare.status is Status.WARNING and "return address" in bare.message
    good = check_letters({"LETTER_PAGE_SIZE": "A4", "OFFICE_ADDRESS": "1 Main St;City"}, production)
    assert good.status is Status.OK and "a4" in good.message


def test_lantern_doctor_reports_sms_and_letters_without_the_token(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        LANTERN_SMS_URL=f"http://lantern:{TOKEN}@sms.example.org/send",
        LANTERN_LETTER_PAGE_SIZE="A5",
    )
    for args in ((), ("--json",)):
        code, output = run_doctor(env, tmp_path, *args)
        assert code == 1 and TOKEN not in output
    statuses = {f["check"]: f["status"] for f in json.loads(output)["findings"]}
    assert (statuses["sms"], statuses["letters"]) == ("problem", "problem")
