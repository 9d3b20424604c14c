"""Lantern as users get it: a wheel built from the tracked files, installed into a fresh venv.

Everything runs from the installed package in a folder that is not a checkout, so a file the
code finds only next to the sources (the MkDocs project, the compiled catalogs, the migrations)
fails here. Building the wheel needs setuptools from the package index (pip's build isolation)
and installing it resolves the dependencies there too; pip's cache makes both quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("installed-wheel")]

_SPANISH_CHECK = """
import portal
from portal import create_app

print(portal.__file__)
client = create_app().test_client()
page = client.get("/complaint", headers={"Accept-Language": "es"}).get_data(as_text=True)
print("Presentar una queja" in page)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure show its output in the assertion message."""
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tracked_copy(target: Path) -> Path:
    """The files git tracks (and new, not ignored ones) copied to ``target``: no build output."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("git and a checkout are needed to build the wheel from the tracked files")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with Lantern installed from a wheel (regular install, not editable)."""
    base = tmp_path_factory.mktemp("wheel")
    source = _tracked_copy(base / "source")
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), "."], source)
    (wheel,) = dist.glob("lantern-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "publisher/site_project/mkdocs.yml" in names
    assert "portal/status/translations/es/LC_MESSAGES/messages.mo" in names
    assert "publisher/translations/es/LC_MESSAGES/site.mo" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], base)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], base)
    return venv


def test_installed_wheel_publishes_and_builds_the_site(installed: Path, tmp_path: Path) -> None:
    office = tmp_path / "office"  # not a checkout: nothing can be found next to the sources
    office.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LANTERN_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["LANTERN_INSTANCE_PATH"] = str(office / "instance")
    lantern = str(installed / "bin" / "lantern")

    output = _run([lantern, "demo", "--no-serve", "--cases", "120"], office, env)
    assert "release 1.0.0 published" in output
    assert "statistics site built in build/site" in output
    release = office / "data_releases" / "1.0.0"
    assert (release / "datapackage.json").is_file()
    assert (release / "disclosure-report.json").is_file()
    site = office / "build" / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "1.0.0" in index  # the page shows the release it was built from
    assert (site / "about.html").is_file()  # the hand-written page shipped as package data
    assert (site / "assets" / "lantern-site.css").is_file()  # the theme override too
    spanish = (site / "es" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in spanish and "Quejas contra la policía" in spanish

    first_line, spanish_line = _run(
        [str(installed / "bin" / "python"), "-c", _SPANISH_CHECK], office, env
    ).splitlines()[:2]
    assert first_line.startswith(str(installed)), first_line  # the installed copy, not ROOT
    assert spanish_line == "True"  # the compiled Spanish catalogs are in the wheel
