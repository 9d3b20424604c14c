"""Small helpers shared by tests (no fixtures here: see conftest.py)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` is false — or fail it under CI, where every component
    (PostgreSQL, Chromium, Java, the npm tools) must be present."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required component missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def fail_missing(reason: str) -> NoReturn:
    """Like ``require(False, reason)``."""
    require(False, reason)
    raise AssertionError("unreachable")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout: float = 30, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``url`` until it answers 200 (loopback only) or raise ``TimeoutError``."""
    assert url.startswith(("http://127.0.0.1", "http://localhost")), "loopback only"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    """The CSRF token in a rendered form (for tests that run with CSRF on)."""
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


def shared_data(name: str) -> Path:
    """The folder of the real public data set ``name`` (``../shared/data/<name>`` beside the
    checkout, or under ``LANTERN_SHARED_DATA``, or the workplace's ``/work/shared/data``).

    Returns the first that exists, else the first candidate (so ``require`` can name it). The
    data are never copied into the repository.
    """
    candidates = (
        [Path(os.environ["LANTERN_SHARED_DATA"])] if "LANTERN_SHARED_DATA" in os.environ else []
    )
    candidates += [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for base in candidates:
        if (base / name).is_dir():
            return base / name
    return candidates[0] / name
