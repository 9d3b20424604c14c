"""The deployment files cannot rot silently: every command they run is a real ``lantern``
command with real options, every ``LANTERN_*`` name is a setting Lantern reads, and their ports
and paths agree with each other and with where Lantern keeps its files.

The container image and the compose file are not built or run here (no container runtime):
they are parsed and checked. The systemd units go through ``systemd-analyze verify``; the
logrotate snippet really rotates a log file.
"""

from __future__ import annotations

import getpass
import grp
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from portal.cli import main
from portal.config import FILE_SETTINGS, Defaults, default_folders
from tests.support import ROOT, require

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("lantern-*"))
INSTANCE = Path("/var/lib/lantern/instance")
WORKDIR = Path("/var/lib/lantern")


def known_settings() -> set[str]:
    names = {f"LANTERN_{key}" for key in dir(Defaults) if key.isupper()}
    names |= {f"LANTERN_{key}_FILE" for key in FILE_SETTINGS}
    names |= {"LANTERN_INSTANCE_PATH", "LANTERN_PSEUDONYM_KEY", "LANTERN_PSEUDONYM_KEY_FILE"}
    return names


def check_command(argv: list[str]) -> click.Command:
    """Parse ``argv`` (``lantern …``) with the real command line; fail on any unknown command,
    option or bad value. Returns the command it names."""
    assert Path(argv[0]).name == "lantern", argv
    command: click.Command = main
    args = argv[1:]
    context = click.Context(main, info_name="lantern")
    while isinstance(command, click.Group):
        assert args, f"{argv}: a group without a command"
        sub = command.get_command(context, args[0])
        assert sub is not None, f"{argv}: 'lantern' has no command {args[0]!r}"
        command, args = sub, args[1:]
        context = click.Context(command, info_name=command.name, parent=context)
    command.make_context(command.name, list(args), parent=context.parent)  # raises on a mistake
    return command


def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def containerfile() -> str:
    return (DEPLOY / "Containerfile").read_text()


def container_cmd() -> list[str]:
    found = re.search(r"^CMD (\[.*\])$", containerfile(), re.M)
    assert found
    return list(yaml.safe_load(found.group(1)))


def lantern_services() -> dict[str, dict[str, Any]]:
    services = compose()["services"]
    return {
        name: s for name, s in services.items() if s.get("image", "").endswith("lantern:latest")
    }


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


# --- commands ---------------------------------------------------------------------------------


def test_the_bad_command_check_catches_mistakes() -> None:
    with pytest.raises(AssertionError):
        check_command(["lantern", "uploads", "sweeep"])
    with pytest.raises(click.UsageError):
        check_command(["lantern", "serve", "--wrokers", "4"])
    with pytest.raises(click.BadParameter):
        check_command(["lantern", "uploads", "sweep", "--older-than-hours", "0"])


def test_every_command_the_containers_run_is_a_real_lantern_command() -> None:
    commands = [container_cmd()] + [s["command"] for s in lantern_services().values()]
    for argv in commands:
        check_command(argv)
    assert {s["command"][1] for s in lantern_services().values()} == {"db", "serve", "mail"}
    assert lantern_services()["portal"]["command"] == container_cmd()


def unit(path: Path) -> dict[str, list[str]]:
    """``key -> values`` of a unit file (all sections merged; units use each key in one)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_every_command_the_systemd_units_run_is_a_real_lantern_command() -> None:
    services = [p for p in UNITS if p.suffix == ".service"]
    assert {p.name for p in services} >= {
        "lantern-portal.service",
        "lantern-mail.service",
        "lantern-uploads-sweep.service",
        "lantern-backup.service",
    }
    run = {check_command(shlex.split(unit(p)["ExecStart"][0])).name for p in services}
    assert run == {"serve", "send", "sweep", "create"}
    for name in ("lantern-uploads-sweep", "lantern-backup"):
        timer = unit(DEPLOY / "systemd" / f"{name}.timer")
        assert timer["OnCalendar"] and "Unit" not in timer  # it starts the service of its name
        assert (DEPLOY / "systemd" / f"{name}.service").is_file()


def test_the_nightly_backup_writes_where_the_unit_may_write_and_keeps_the_keys_apart() -> None:
    backup = unit(DEPLOY / "systemd" / "lantern-backup.service")
    argv = shlex.split(backup["ExecStart"][0])
    assert argv[1:3] == ["backup", "create"]
    # Only /var/lib/lantern is writable for the unit; the archives go below it.
    assert Path(option(argv, "--out")).is_relative_to(backup["ReadWritePaths"][0])
    assert "--without-keys" in argv  # the keys are backed up apart (deploy/README.md)
    assert int(option(argv, "--keep")) >= 7
    assert backup["UMask"] == ["0077"]
    sweep = unit(DEPLOY / "systemd" / "lantern-uploads-sweep.timer")["OnCalendar"]
    assert unit(DEPLOY / "systemd" / "lantern-backup.timer")["OnCalendar"] != sweep


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (Debian package systemd)")
    assert analyze
    lantern = shutil.which("lantern", path=str(ROOT / ".venv" / "bin")) or shutil.which("lantern")
    assert lantern, "the lantern command is not installed"
    for path in UNITS:  # the same units, with the lantern this checkout installed
        text = path.read_text().replace("/opt/lantern/.venv/bin/lantern", lantern)
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 even for unknown keys and bad values: it only warns. Any output is a fault.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    for path in UNITS:
        if path.suffix == ".service":
            hardening = unit(path)
            assert hardening["User"] == ["lantern"] and hardening["NoNewPrivileges"] == ["yes"]
            assert hardening["ProtectSystem"] == ["strict"]
            assert hardening["ReadWritePaths"] == [str(WORKDIR)]
            assert hardening["WorkingDirectory"] == [str(WORKDIR)]
            assert hardening["EnvironmentFile"] == ["/etc/lantern/lantern.env"]


# --- settings ---------------------------------------------------------------------------------


def lantern_names(text: str) -> set[str]:
    return set(re.findall(r"\bLANTERN_[A-Z0-9_]+", text))


def test_every_setting_the_deployment_files_name_is_one_lantern_reads() -> None:
    files = [
        DEPLOY / "Containerfile",
        DEPLOY / "compose.yaml",
        DEPLOY / "lantern.env.example",
        DEPLOY / "compose" / "lantern.env.example",
        DEPLOY / "README.md",
        *UNITS,
    ]
    unknown = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in lantern_names(path.read_text())
        if name not in known_settings()
        # the lantern-admin script's own variables, documented with it
        and name not in {"LANTERN_ENV_FILE", "LANTERN_BIN"}
    }
    assert not unknown, sorted(unknown)
    assert "LANTERN_SECRET_KEY" in lantern_names((ROOT / "README.md").read_text())


def test_the_env_examples_parse_as_systemd_reads_them_and_set_what_production_needs() -> None:
    for path, required in (
        (DEPLOY / "lantern.env.example", {"LANTERN_ENV", "LANTERN_REDIS_URL"}),
        (DEPLOY / "compose" / "lantern.env.example", {"LANTERN_DATABASE_URL"}),
    ):
        pairs = dict(
            line.split("=", 1)
            for line in path.read_text().splitlines()
            if line and not line.startswith("#")
        )
        assert all(re.fullmatch(r"LANTERN_[A-Z_]+", k) for k in pairs), path
        assert not any(v.startswith(('"', "'")) for v in pairs.values()), "no quotes: " + str(path)
        assert required <= pairs.keys()
    system = dict(
        line.split("=", 1)
        for line in (DEPLOY / "lantern.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert system["LANTERN_INSTANCE_PATH"] == str(INSTANCE)
    assert {f"LANTERN_{k}_FILE" for k in ("SECRET_KEY", "ACCESS_CODE_KEY", "PSEUDONYM_KEY")} <= (
        system.keys()
    )


# --- ports, paths, secrets --------------------------------------------------------------------


def test_ports_agree_between_image_compose_proxies_and_units() -> None:
    port = option(container_cmd(), "--port")
    assert re.search(rf"^EXPOSE {port}$", containerfile(), re.M)
    assert f"http://127.0.0.1:{port}/healthz" in containerfile()
    portal = lantern_services()["portal"]
    assert portal["expose"] == [port]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(portal["healthcheck"]["test"])
    compose_proxy = (DEPLOY / "compose" / "nginx.conf").read_text()
    assert f"server portal:{port};" in compose_proxy
    listens = re.findall(r"listen (\d+)", compose_proxy)
    published = {p.split(":")[1] for p in compose()["services"]["proxy"]["ports"]}
    assert set(listens) == published
    system = shlex.split(unit(DEPLOY / "systemd" / "lantern-portal.service")["ExecStart"][0])
    system_port = option(system, "--port")
    assert option(system, "--host") == "127.0.0.1"  # only the proxy reaches it
    assert f"server 127.0.0.1:{system_port};" in (DEPLOY / "nginx" / "lantern.conf").read_text()


def location_block(text: str) -> str:
    found = re.search(r"location / \{.*?\n    \}", text, re.S)
    assert found
    return found.group(0)


def test_the_compose_proxy_forwards_exactly_as_the_smoke_tested_one() -> None:
    tested = (DEPLOY / "nginx" / "lantern.conf").read_text()
    composed = (DEPLOY / "compose" / "nginx.conf").read_text()
    assert location_block(composed) == location_block(tested)
    for text in (tested, composed):
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
        assert "$remote_addr" not in text.split("log_format", 1)[1].split(";", 1)[0]
    limit = int(re.search(r"client_max_body_size (\d+)m;", tested).group(1))  # type: ignore[union-attr]
    assert limit * 1024 * 1024 > Defaults.UPLOAD_MAX_TOTAL_BYTES


def test_volumes_and_paths_are_where_lantern_keeps_its_files() -> None:
    image = containerfile()
    assert f"LANTERN_INSTANCE_PATH={INSTANCE}" in image
    assert re.search(rf"^WORKDIR {WORKDIR}$", image, re.M)
    folders = default_folders(INSTANCE, WORKDIR)
    template = compose()["x-lantern"]
    assert template["environment"]["LANTERN_INSTANCE_PATH"] == str(INSTANCE)
    mounts = dict(v.split(":", 1)[::-1] for v in template["volumes"])
    assert folders["UPLOAD_FOLDER"] in mounts  # the uploads volume is the uploads folder
    # The instance folder (outbox) and the site (build/site, /data/) live in the data volume.
    assert str(WORKDIR) in mounts
    for key in ("OUTBOX_FOLDER", "SITE_FOLDER"):
        assert Path(folders[key]).is_relative_to(WORKDIR)
    assert f'VOLUME ["{WORKDIR}", "{folders["UPLOAD_FOLDER"]}"]' in image
    # The image runs as the uid the compose file names, never root.
    assert re.search(r"^USER lantern$", image, re.M) and "--uid 10001" in image
    assert template["user"] == "10001:10001" and template["read_only"] is True
    # Everything the image copies from the build context exists (a COPY --from copies between
    # stages), and the image installs the wheel, not the tree: an editable install would need
    # the checkout, and a wheel built without setup.py would ship no Spanish catalogs.
    copies = re.findall(r"^COPY (?!--from=)(.+) \S+$", image, re.M)
    assert copies
    for source in copies:
        for name in source.split():
            assert (ROOT / name).exists(), name
    assert any("setup.py" in c.split() for c in copies)
    assert "pip wheel" in image and "pip install -e" not in image
    assert re.search(r"pip install .*lantern-\*\.whl", image)


def test_only_the_proxy_and_the_mail_drainer_reach_outside() -> None:
    data = compose()
    internal = {n for n, net in data["networks"].items() if (net or {}).get("internal")}
    outside = {
        name
        for name, service in data["services"].items()
        if set(service.get("networks", data["x-lantern"]["networks"])) - internal
    }
    assert outside == {"proxy", "mail"}


def test_secrets_are_files_the_settings_point_at() -> None:
    data = compose()
    template = data["x-lantern"]
    for name in template["secrets"]:
        assert name in data["secrets"]
    for key, value in template["environment"].items():
        if key.endswith("_FILE"):
            assert value.removeprefix("/run/secrets/") in template["secrets"], key
            assert key in known_settings()
    assert "LANTERN_SECRET_KEY" not in template["environment"]  # no key in the environment
    gitignore = (DEPLOY / "compose" / ".gitignore").read_text().split()
    assert {"secrets/", "tls/", "lantern.env"} <= set(gitignore)
    for service in data["services"].values():
        assert (
            "healthcheck" in service
            or service.get("restart") == "no"
            or service is (data["services"]["mail"])
        )


# --- logs ------------------------------------------------------------------------------------


def test_the_logrotate_snippet_rotates_a_log(tmp_path: Path) -> None:
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    require(Path(logrotate).is_file(), "logrotate is not installed")
    logs = tmp_path / "log"
    logs.mkdir(mode=0o700)
    log = logs / "portal.log"
    log.write_text('"POST /complaint" 303 0 12ms\n')
    snippet = (DEPLOY / "logrotate" / "lantern").read_text()
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    snippet = snippet.replace("/var/log/lantern", str(logs)).replace(
        "lantern lantern", f"{user} {group}"
    )
    if os.geteuid() != 0:  # only root can switch users
        snippet = re.sub(r"\n\s*su .*", "", snippet)
    config = tmp_path / "lantern.logrotate"
    config.write_text(snippet)
    config.chmod(0o644)
    result = subprocess.run(
        [logrotate, "--state", str(tmp_path / "state"), "--force", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (logs / "portal.log.1").read_text() == '"POST /complaint" 303 0 12ms\n'
    assert log.read_text() == ""  # copytruncate: gunicorn keeps writing to the same file


def test_lantern_admin_is_valid_shell() -> None:
    script = DEPLOY / "bin" / "lantern-admin"
    assert os.access(script, os.X_OK)
    subprocess.run(["sh", "-n", str(script)], check=True, timeout=10)


#: Commands the guide keeps a slot for, built elsewhere (deploy/README.md, "Scheduled jobs").
SLOTS = {("retention", "run")}


def test_every_command_the_guide_names_exists() -> None:
    text = (DEPLOY / "README.md").read_text() + (DEPLOY / "bin" / "lantern-admin").read_text()
    # Commands as the guide writes them: in `code`, at the start of a shell line, after '&&'.
    named = re.findall(r"(?:^|`|&& |#\s+)lantern(?:-admin)? ((?:[a-z][a-z-]* ?)+)", text, re.M)
    assert len(named) > 5
    for words in named:
        path = tuple(words.split())
        if path[:2] in SLOTS:
            continue
        command: click.Command = main
        context = click.Context(main, info_name="lantern")
        for word in path:
            if not isinstance(command, click.Group):
                break
            sub = command.get_command(context, word)
            assert sub is not None, f"the guide names 'lantern {words.strip()}'"
            command = sub
        assert not isinstance(command, click.Group), f"'lantern {words.strip()}' is a group"
