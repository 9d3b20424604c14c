"""Real-browser helpers: Debian Chromium driven by Playwright, axe-core and the Nu HTML Checker.

Never a downloaded browser: Playwright launches ``/usr/bin/chromium``. axe-core and vnu.jar come
from ``node_modules`` (``npm ci`` in ``make test``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.support import ROOT, require

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "tests" / "tools" / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "tests" / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

#: Chromium flags for a closed network (no background connections) running as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def require_chromium() -> None:
    """Skip (fail under CI) when Debian's Chromium is not installed."""
    require(CHROMIUM.exists(), "Debian chromium is not installed (apt-get install chromium)")


def launch_browser(playwright: Any) -> Any:
    """Launch headless Debian Chromium."""
    require_chromium()
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def axe_violations(page: Any, tags: Iterable[str] = WCAG_TAGS) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return the WCAG 2.1 A/AA violations.

    The script is evaluated through the DevTools protocol, so the page's strict CSP (no inline
    script) does not have to be weakened for the test.
    """
    require(AXE_JS.exists(), f"axe-core is not installed ({AXE_JS}); run npm ci")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        list(tags),
    )
    return list(result["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    """A readable summary of axe violations for an assertion message."""
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return "\n".join(lines)


def assert_accessible(page: Any, label: str = "") -> None:
    """Fail with a readable list when axe finds any WCAG 2.1 A/AA violation."""
    violations = axe_violations(page)
    assert not violations, f"axe violations on {label or page.url}:\n" + format_violations(
        violations
    )


def vnu_errors(paths: list[Path]) -> list[dict[str, Any]]:
    """Validate HTML files with the Nu HTML Checker; return its error messages."""
    java = shutil.which("java")
    require(java is not None, "Java is not installed (apt-get install default-jre-headless)")
    require(VNU_JAR.exists(), f"vnu-jar is not installed ({VNU_JAR}); run npm ci")
    completed = subprocess.run(
        [
            str(java),
            "-jar",
            str(VNU_JAR),
            "--format",
            "json",
            "--exit-zero-always",
            *[str(p) for p in paths],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(completed.stderr or '{"messages": []}')
    return [m for m in report["messages"] if m.get("type") == "error"]


def assert_valid_html(pages: dict[str, str], folder: Path) -> None:
    """Write each page (name → HTML) into ``folder`` and fail on any Nu HTML Checker error,
    naming the page and line."""
    paths = []
    for name, text in pages.items():
        assert text.startswith("<!DOCTYPE html>"), name
        path = folder / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    errors = vnu_errors(paths)
    assert not errors, "\n".join(
        f"{e.get('url', '').rsplit('/', 1)[-1]}:{e.get('lastLine', '')}: {e.get('message', '')}"
        for e in errors
    )


def choose_file_by_keyboard(page: Any, path: Path, key: str = "Space", attempts: int = 3) -> None:
    """Open the focused file input's chooser with ``key`` and pick ``path``.

    Chromium now and then does not report a chooser opened by a key right after the focus moved
    (CDP's ``Page.fileChooserOpened`` is lost: microsoft/playwright#28023); the key is pressed
    again, up to ``attempts`` times. The file is never chosen any other way than by the keyboard.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press(key)
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
            continue
        chooser.value.set_files(str(path))
        return
